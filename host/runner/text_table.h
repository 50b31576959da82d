/* Text output of the read commands: columns aligned on a terminal,
 * tab-separated otherwise (for cut, awk and sort), colour only on a
 * terminal and never with NO_COLOR. */
#ifndef AEH_TEXT_TABLE_H
#define AEH_TEXT_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"

/* Decided once from stdout: a terminal aligns; colour also needs NO_COLOR
 * unset and TERM not "dumb". */
bool aeh_out_aligned(void);
bool aeh_out_colour(void);

/* Colours for cells (ANSI SGR parameters), or 0. */
typedef enum aeh_colour {
  AEH_PLAIN = 0,
  AEH_GREEN,
  AEH_RED,
  AEH_YELLOW,
  AEH_DIM,
} aeh_colour;

/* The colour that shows a run status word ("ok" green, "failed" red...). */
aeh_colour aeh_status_colour(const char *status);

/* A table of text cells, printed at once so that columns can be aligned.
 * Cells are copied. */
typedef struct aeh_table {
  size_t cols;
  size_t rows;
  size_t cap;
  char **cells;        /* rows * cols, owned */
  aeh_colour *colours; /* rows * cols */
} aeh_table;

void aeh_table_init(aeh_table *t, size_t cols);
/* Appends a row of `t->cols` cells (NULL prints as ""). Returns AERO_OK or
 * AERO_E_NOMEM. */
aero_status aeh_table_add(aeh_table *t, const char *const *cells);
/* Colours cell `col` of the last row. */
void aeh_table_colour(aeh_table *t, size_t col, aeh_colour colour);
/* Prints it (aligned, or tab-separated) with `indent` spaces before each
 * line on a terminal, and frees it. */
void aeh_table_print(aeh_table *t, FILE *out, int indent);
void aeh_table_free(aeh_table *t);

/* Writes one cell for tab-separated output: tabs and newlines inside a
 * value would break the columns, so they become spaces. */
void aeh_put_cell(FILE *out, const char *text);

#endif /* AEH_TEXT_TABLE_H */
