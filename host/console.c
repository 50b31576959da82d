/* The console: every human-readable message of the host goes to stderr
 * through here, so that one decision (terminal, TERM, NO_COLOR) governs
 * colour and redrawn lines everywhere. */
#include "console.h"
#include "aeu.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool fancy;

/* Progress state of the line being redrawn (one per process). */
static unsigned progress_permille = 1001;
static bool progress_open;

#define RESET "\033[0m"
#define BOLD "\033[1m"
#define RED "\033[1;31m"
#define GREEN "\033[32m"
#define YELLOW "\033[33m"
#define CYAN "\033[36m"

void aeh_console_init(void) {
  const char *term = getenv("TERM");
  const char *no_color = getenv("NO_COLOR");
  /* no-color.org: NO_COLOR set to anything but "" turns colour off. */
  fancy = isatty(STDERR_FILENO) && term != NULL && term[0] != '\0' &&
          strcmp(term, "dumb") != 0 &&
          (no_color == NULL || no_color[0] == '\0');
}

bool aeh_console_fancy(void) {
  return fancy;
}

/* Set with plain: the host writes this process's stderr lines prefixed. */
static bool captured;

void aeh_console_set_plain(void) {
  fancy = false;
  captured = true;
}

bool aeh_console_captured(void) {
  return captured;
}

/* Banner lines held by aeh_console_hold, not yet written. */
static struct {
  bool on;
  char *text;
  size_t len, cap;
} held;

static void write_held(void) {
  if (held.len > 0)
    fwrite(held.text, 1, held.len, stderr);
  held.len = 0;
}

void aeh_console_hold(void) {
  held.on = true;
}

void aeh_console_release(void) {
  write_held();
  held.on = false;
  free(held.text);
  held.text = NULL;
  held.cap = 0;
}

/* Appends `line` to the held lines; false when it must be written now. */
static bool hold_line(const char *line, size_t len) {
  if (!held.on)
    return false;
  char *grown = aeu_grow(held.text, &held.cap, held.len + len, 1, 16384);
  if (grown == NULL)
    return false;
  held.text = grown;
  memcpy(held.text + held.len, line, len);
  held.len += len;
  return true;
}

/* Ends a progress line left open, so that the next message starts on a
 * line of its own; writes the held lines first. */
static void close_progress(void) {
  write_held();
  if (progress_open) {
    fputs("\r\033[K", stderr);
    progress_open = false;
    progress_permille = 1001;
  }
}

static void emit(const char *colour, const char *tag, const char *fmt,
                 va_list ap) {
  /* One buffer, one write: lines of concurrent processes never mix. */
  char line[4096];
  size_t used = 0;
  close_progress();
  if (fancy && tag[0] != '\0')
    used = (size_t)snprintf(line, sizeof line, "aerohost: %s%s" RESET " ",
                            colour, tag);
  else
    used = (size_t)snprintf(line, sizeof line, "aerohost: %s%s", tag,
                            tag[0] != '\0' ? " " : "");
  if (used < sizeof line)
    used += (size_t)vsnprintf(line + used, sizeof line - used, fmt, ap);
  if (used > sizeof line - 2)
    used = sizeof line - 2;
  line[used++] = '\n';
  fwrite(line, 1, used, stderr);
}

void aeh_console_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit(RED, "error:", fmt, ap);
  va_end(ap);
}

void aeh_console_warn(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit(YELLOW, "warning:", fmt, ap);
  va_end(ap);
}

void aeh_console_info(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit("", "", fmt, ap);
  va_end(ap);
}

/* A line put together by hand: a banner per reused action, 1,000 in an
 * unchanged re-run, spent 3% of its CPU in snprintf. */
typedef struct line_buf {
  char *at, *end; /* end: the last byte the text may use */
} line_buf;

static void put(line_buf *b, const char *s, size_t len) {
  size_t room = (size_t)(b->end - b->at);
  if (len > room)
    len = room;
  memcpy(b->at, s, len);
  b->at += len;
}

static void put_str(line_buf *b, const char *s) {
  put(b, s, strlen(s));
}

static void put_count(line_buf *b, size_t v) {
  char digits[24];
  put(b, digits, aeu_format_u64((uint64_t)v, digits));
}

void aeh_console_banner(aeh_banner_kind kind, size_t i, size_t n,
                        const char *label, const char *detail) {
  static const char *const words[] = {"Running", "OK", "Failed", "Skipped",
                                      "Reused"};
  static const char *const colours[] = {CYAN, GREEN, RED, YELLOW, GREEN};
  char line[2048];
  /* As snprintf into line[2047] would: the newline always fits. */
  line_buf b = {.at = line, .end = line + sizeof line - 2};
  if (fancy)
    put_str(&b, BOLD);
  put_str(&b, "[");
  put_count(&b, i);
  put_str(&b, "/");
  put_count(&b, n);
  put_str(&b, "]");
  if (fancy) {
    put_str(&b, RESET " ");
    put_str(&b, colours[kind]);
    put_str(&b, words[kind]);
    put_str(&b, RESET " ");
  } else {
    put_str(&b, " ");
    put_str(&b, words[kind]);
    put_str(&b, " ");
  }
  put_str(&b, label);
  if (detail != NULL && detail[0] != '\0') {
    bool paren = kind == AEH_BANNER_OK || kind == AEH_BANNER_REUSED;
    put_str(&b, paren ? " (" : ": ");
    put_str(&b, detail);
    if (paren)
      put_str(&b, ")");
  }
  size_t len = (size_t)(b.at - line);
  line[len++] = '\n';
  if (progress_open || !hold_line(line, len)) {
    close_progress();
    fwrite(line, 1, len, stderr);
  }
}

void aeh_console_summary(size_t ok, size_t reused, size_t failed,
                         size_t skipped, double seconds, const char *where) {
  close_progress();
  const char *sep = where != NULL && where[0] != '\0' ? "; " : "";
  if (where == NULL)
    where = "";
  char reused_text[48] = "";
  if (reused > 0)
    snprintf(reused_text, sizeof reused_text, ", %zu reused", reused);
  if (fancy)
    fprintf(stderr,
            GREEN "%zu ok%s" RESET ", %s%zu failed" RESET
                  ", %s%zu skipped" RESET " in %.2f s%s%s\n",
            ok, reused_text, failed > 0 ? RED : "", failed,
            skipped > 0 ? YELLOW : "", skipped, seconds, sep, where);
  else
    fprintf(stderr, "%zu ok%s, %zu failed, %zu skipped in %.2f s%s%s\n", ok,
            reused_text, failed, skipped, seconds, sep, where);
}

const char *aeh_console_path(const char *path, char *buf, size_t size) {
  const char *home = getenv("HOME");
  size_t home_len = home != NULL ? strlen(home) : 0;
  /* HOME=/ would make every path "~/...". */
  if (home_len > 1 && strncmp(path, home, home_len) == 0 &&
      (path[home_len] == '/' || path[home_len] == '\0'))
    snprintf(buf, size, "~%s", path + home_len);
  else
    snprintf(buf, size, "%s", path);
  return buf;
}

#define PROGRESS_MIN_BYTES (100ull << 20)

void aeh_console_progress(const char *label, uint64_t done, uint64_t total) {
  /* Only long operations on a terminal get a line; everywhere else a
   * progress line would only be noise in a log. */
  if (!fancy || total <= PROGRESS_MIN_BYTES)
    return;
  write_held();
  if (done > total)
    done = total;
  unsigned permille = (unsigned)((double)done / (double)total * 1000.0);
  /* Nothing visible changed: no redraw. A finished line stays finished
   * (its permille stays 1000) until another operation starts. */
  if (permille == progress_permille && !(done == total && progress_open))
    return;
  progress_permille = permille;
  progress_open = true;
  fprintf(stderr, "\r\033[K%s %3u.%u%% (%llu/%llu MiB)",
          label != NULL ? label : "", permille / 10, permille % 10,
          (unsigned long long)(done >> 20), (unsigned long long)(total >> 20));
  if (done == total) {
    fputc('\n', stderr);
    progress_open = false;
  }
}
