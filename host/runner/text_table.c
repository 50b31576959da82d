/* Aligned or tab-separated tables; see text_table.h. */
#include "text_table.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aeu.h"

bool aeh_out_aligned(void) {
  static int aligned = -1;
  if (aligned < 0)
    aligned = isatty(STDOUT_FILENO) ? 1 : 0;
  return aligned == 1;
}

bool aeh_out_colour(void) {
  static int colour = -1;
  if (colour < 0) {
    const char *no = getenv("NO_COLOR");
    const char *term = getenv("TERM");
    colour = aeh_out_aligned() && (no == NULL || no[0] == '\0') &&
                     (term == NULL || strcmp(term, "dumb") != 0)
                 ? 1
                 : 0;
  }
  return colour == 1;
}

aeh_colour aeh_status_colour(const char *status) {
  if (status == NULL)
    return AEH_PLAIN;
  if (strcmp(status, "ok") == 0)
    return AEH_GREEN;
  if (strcmp(status, "running") == 0 || strcmp(status, "skipped") == 0)
    return AEH_YELLOW;
  return AEH_RED;
}

static const char *sgr(aeh_colour c) {
  switch (c) {
  case AEH_GREEN:
    return "\033[32m";
  case AEH_RED:
    return "\033[31m";
  case AEH_YELLOW:
    return "\033[33m";
  case AEH_DIM:
    return "\033[2m";
  default:
    return "";
  }
}

void aeh_table_init(aeh_table *t, size_t cols) {
  memset(t, 0, sizeof *t);
  t->cols = cols;
}

aero_status aeh_table_add(aeh_table *t, const char *const *cells) {
  /* Rows of cells and of colours, one capacity (t->cap) for both. */
  size_t cap = t->cap;
  char **grown =
      aeu_grow(t->cells, &cap, t->rows + 1, t->cols * sizeof *grown, 16);
  if (grown == NULL)
    return AERO_E_NOMEM;
  t->cells = grown;
  cap = t->cap;
  aeh_colour *colours =
      aeu_grow(t->colours, &cap, t->rows + 1, t->cols * sizeof *colours, 16);
  if (colours == NULL)
    return AERO_E_NOMEM;
  t->colours = colours;
  t->cap = cap;
  for (size_t c = 0; c < t->cols; c++) {
    char *copy = strdup(cells[c] != NULL ? cells[c] : "");
    if (copy == NULL) {
      for (size_t k = 0; k < c; k++)
        free(t->cells[t->rows * t->cols + k]);
      return AERO_E_NOMEM;
    }
    t->cells[t->rows * t->cols + c] = copy;
    t->colours[t->rows * t->cols + c] = AEH_PLAIN;
  }
  t->rows++;
  return AERO_OK;
}

void aeh_table_colour(aeh_table *t, size_t col, aeh_colour colour) {
  if (t->rows > 0 && col < t->cols)
    t->colours[(t->rows - 1) * t->cols + col] = colour;
}

/* Columns a UTF-8 string takes: its code points (continuation bytes do
 * not count). Wide characters are rare in names and values. */
static size_t width(const char *s) {
  size_t n = 0;
  for (; *s != '\0'; s++)
    if (((unsigned char)*s & 0xC0) != 0x80)
      n++;
  return n;
}

void aeh_put_cell(FILE *out, const char *text) {
  for (const char *p = text; *p != '\0'; p++)
    fputc(*p == '\t' || *p == '\n' || *p == '\r' ? ' ' : *p, out);
}

void aeh_table_print(aeh_table *t, FILE *out, int indent) {
  bool aligned = aeh_out_aligned();
  bool colour = aeh_out_colour();
  size_t *widths = calloc(t->cols ? t->cols : 1, sizeof *widths);
  if (aligned && widths != NULL)
    for (size_t r = 0; r < t->rows; r++)
      for (size_t c = 0; c < t->cols; c++) {
        size_t w = width(t->cells[r * t->cols + c]);
        if (w > widths[c])
          widths[c] = w;
      }
  for (size_t r = 0; r < t->rows; r++) {
    if (aligned)
      fprintf(out, "%*s", indent, "");
    for (size_t c = 0; c < t->cols; c++) {
      const char *cell = t->cells[r * t->cols + c];
      aeh_colour col = t->colours[r * t->cols + c];
      bool last = c + 1 == t->cols;
      if (!aligned) {
        aeh_put_cell(out, cell);
        fputc(last ? '\n' : '\t', out);
        continue;
      }
      if (colour && col != AEH_PLAIN)
        fprintf(out, "%s%s\033[0m", sgr(col), cell);
      else
        fputs(cell, out);
      if (last) {
        fputc('\n', out);
      } else {
        size_t pad = widths != NULL ? widths[c] - width(cell) : 0;
        fprintf(out, "%*s", (int)pad + 2, "");
      }
    }
  }
  free(widths);
  aeh_table_free(t);
}

void aeh_table_free(aeh_table *t) {
  for (size_t i = 0; i < t->rows * t->cols; i++)
    free(t->cells[i]);
  free(t->cells);
  free(t->colours);
  memset(t, 0, sizeof *t);
}
