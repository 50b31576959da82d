#include "doc.h"

#include <ctype.h>
#include <string.h>

/* Help columns: option names, then their text, wrapped at WRAP. */
#define HELP_COLUMN 30
#define WRAP 79

#ifndef AERO_HOST_VERSION
#error "AERO_HOST_VERSION must be defined"
#endif

/* Writes `n` bytes of `s` escaped for roff, at the start of a line when
 * `bol`. */
static void roff_n(FILE *out, const char *s, size_t n, int bol) {
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (bol && (c == '.' || c == '\''))
      fputs("\\&", out);
    bol = 0;
    if (c == '\\')
      fputs("\\e", out);
    else if (c == '-')
      fputs("\\-", out);
    else if (c == '\n') {
      fputc('\n', out);
      bol = 1;
    } else
      fputc(c, out);
  }
}

void aeh_doc_escaped(const aeh_doc *d, const char *text) {
  if (d->format == AEH_DOC_MAN)
    roff_n(d->out, text, strlen(text), 0);
  else
    fputs(text, d->out);
}

/* Writes `n` bytes of `text` wrapped at WRAP, continuing lines at `indent`,
 * starting at column `col`. */
static void wrap_n(FILE *out, const char *text, size_t n, int col, int indent) {
  const char *p = text, *end = text + n;
  while (p < end) {
    while (p < end && (*p == ' ' || *p == '\n'))
      p++;
    size_t word = 0;
    while (p + word < end && p[word] != ' ' && p[word] != '\n')
      word++;
    if (word == 0)
      break;
    if (col > indent && col + 1 + (int)word > WRAP) {
      fprintf(out, "\n%*s", indent, "");
      col = indent;
    } else if (col > indent) {
      fputc(' ', out);
      col++;
    }
    fwrite(p, 1, word, out);
    col += (int)word;
    p += word;
  }
  fputc('\n', out);
}

void aeh_doc_usage(const aeh_doc *d, const char *title, const char *usage) {
  const char *p = usage;
  if (d->format == AEH_DOC_MAN) {
    fputs(".SS \"", d->out);
    roff_n(d->out, title, strlen(title), 0);
    fputs("\"\n", d->out);
  }
  for (int first = 1; *p != '\0'; first = 0) {
    size_t n = strcspn(p, "\n");
    if (d->format == AEH_DOC_MAN) {
      fputs(first ? ".PP\n\\fB" : ".br\n\\fB", d->out);
      roff_n(d->out, p, n, 0);
      fputs("\\fR\n", d->out);
    } else {
      fputs(first ? "usage: " : "       ", d->out);
      wrap_n(d->out, p, n, 7, 7 + 2);
    }
    p += n + (p[n] == '\n');
  }
  if (d->format == AEH_DOC_TEXT)
    fputc('\n', d->out);
}

void aeh_doc_para(const aeh_doc *d, int indent, const char *text) {
  const char *p = text;
  for (int first = 1; *p != '\0'; first = 0) {
    const char *sep = strstr(p, "\n\n");
    size_t n = sep ? (size_t)(sep - p) : strlen(p);
    if (d->format == AEH_DOC_MAN) {
      fputs(".PP\n", d->out);
      /* One line per paragraph: roff fills it; newlines inside would start
       * lines that a leading dot could turn into requests. */
      for (size_t i = 0; i < n;) {
        size_t run = strcspn(p + i, "\n");
        if (run > n - i)
          run = n - i;
        roff_n(d->out, p + i, run, i == 0);
        i += run;
        if (i < n) {
          fputc(' ', d->out);
          i++;
        }
      }
      fputc('\n', d->out);
    } else {
      if (!first)
        fputc('\n', d->out);
      fprintf(d->out, "%*s", indent, "");
      wrap_n(d->out, p, n, indent, indent);
    }
    p += n;
    while (*p == '\n')
      p++;
  }
}

void aeh_doc_heading(const aeh_doc *d, const char *title, int section) {
  if (d->format == AEH_DOC_TEXT) {
    fprintf(d->out, "\n%s:\n", title);
    return;
  }
  if (section) {
    fputs(".SH \"", d->out);
    for (const char *p = title; *p; p++)
      fputc(toupper((unsigned char)*p), d->out);
    fputs("\"\n", d->out);
    return;
  }
  fputs(".PP\n\\fB", d->out);
  roff_n(d->out, title, strlen(title), 0);
  fputs("\\fR\n", d->out);
}

void aeh_doc_entry(const aeh_doc *d, const char *left, const char *text,
                   int column) {
  if (d->format == AEH_DOC_MAN) {
    left += strspn(left, " "); /* the text's alignment, not the page's */
    fputs(".TP\n\\fB", d->out);
    roff_n(d->out, left, strlen(left), 0);
    fputs("\\fR\n", d->out);
    roff_n(d->out, text, strlen(text), 1);
    fputc('\n', d->out);
    return;
  }
  if (column == 0)
    column = HELP_COLUMN;
  int col = fprintf(d->out, "  %s", left);
  if (col < column - 1)
    fprintf(d->out, "%*s", column - col, "");
  else
    fprintf(d->out, "\n%*s", column, "");
  wrap_n(d->out, text, strlen(text), column, column);
}

void aeh_doc_man_begin(const aeh_doc *d, const char *name, int section,
                       const char *summary) {
  if (d->format != AEH_DOC_MAN)
    return;
  char upper[64];
  size_t i = 0;
  for (; name[i] != '\0' && i + 1 < sizeof upper; i++)
    upper[i] = (char)toupper((unsigned char)name[i]);
  upper[i] = '\0';
  /* No date: the page is generated at build time and must not change with
   * the day it was built (reproducible packages). */
  fprintf(d->out,
          ".\\\" Generated from the program's own help; do not edit.\n"
          ".TH \"%s\" \"%d\" \"\" \"aeromancy %s\" \"aeromancy manual\"\n"
          ".SH NAME\n",
          upper, section, AERO_HOST_VERSION);
  roff_n(d->out, name, strlen(name), 1);
  fputs(" \\- ", d->out);
  roff_n(d->out, summary, strlen(summary), 0);
  fputc('\n', d->out);
}

void aeh_doc_synopsis(const aeh_doc *d, const char *lines) {
  if (d->format != AEH_DOC_MAN)
    return;
  for (const char *p = lines; *p != '\0';) {
    size_t n = strcspn(p, "\n");
    fputs(".nh\n.br\n\\fB", d->out);
    roff_n(d->out, p, n, 0);
    fputs("\\fR\n", d->out);
    p += n + (p[n] == '\n');
  }
}
