/* Help text and man pages from one writer: every program's --help and its
 * man page are printed by the same calls, once as wrapped terminal text and
 * once as roff, so the two cannot say different things.
 *
 * Owner: packaging (doc.c). Used by cli.c (aerohost), the runner's command
 * table (host/runner/command.c) and the man page generator (host/docs/).
 */
#ifndef AEH_DOC_H
#define AEH_DOC_H

#include <stdio.h>

typedef enum aeh_doc_format {
  AEH_DOC_TEXT, /* --help: wrapped at 79 columns */
  AEH_DOC_MAN,  /* roff for man(7) */
} aeh_doc_format;

/* Where and how to write. `out` is borrowed. */
typedef struct aeh_doc {
  FILE *out;
  aeh_doc_format format;
} aeh_doc;

/* The first lines of a command's help. Text: "usage: LINE" (each further
 * line of `usage`, separated by '\n', indented under the first). Man: a
 * subsection titled `title`, then the usage lines in bold. */
void aeh_doc_usage(const aeh_doc *d, const char *title, const char *usage);

/* A paragraph, wrapped (text) or filled (man). Paragraphs in `text` are
 * separated by "\n\n"; `indent` columns of indentation in text only. */
void aeh_doc_para(const aeh_doc *d, int indent, const char *text);

/* A heading over a group of entries ("Options"). Text: "\nTITLE:"; man: a
 * bold line, or with `section` a man page section (.SH, upper case). */
void aeh_doc_heading(const aeh_doc *d, const char *title, int section);

/* One entry of a listing, LEFT (an option and its value) then TEXT, with
 * the text at `column` in the terminal (0: the default column). */
void aeh_doc_entry(const aeh_doc *d, const char *left, const char *text,
                   int column);

/* A man page's header: .TH NAME SECTION with the package version, then the
 * NAME section ("name \- summary"). No-op in text. */
void aeh_doc_man_begin(const aeh_doc *d, const char *name, int section,
                       const char *summary);

/* One or more synopsis lines ('\n'-separated) of a man page's SYNOPSIS,
 * in bold, each on a line of its own, never hyphenated. No-op in text. */
void aeh_doc_synopsis(const aeh_doc *d, const char *lines);

/* Writes `text` escaped for roff (backslashes, hyphens, a leading dot or
 * quote); in text, as is. */
void aeh_doc_escaped(const aeh_doc *d, const char *text);

#endif /* AEH_DOC_H */
