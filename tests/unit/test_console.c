/* The console: plain lines unless stderr is a real terminal (a pty here)
 * with a usable TERM and no NO_COLOR; banners, summary and messages in
 * their documented shapes; progress redraws only on a terminal and only
 * for totals over 100 MiB. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "console.h"

#define MIB (1ull << 20)

/* Where stderr goes during a case, and how to read back what it got. */
typedef struct sink {
  int saved;  /* the real stderr */
  int reader; /* pty master, or the temp file reopened for reading */
  char path[64];
} sink;

static void to_file(sink *s) {
  snprintf(s->path, sizeof s->path, "/tmp/test_console.XXXXXX");
  int fd = mkstemp(s->path);
  assert_true(fd >= 0);
  fflush(stderr);
  s->saved = dup(2);
  dup2(fd, 2);
  close(fd);
  s->reader = open(s->path, O_RDONLY);
}

static void to_terminal(sink *s) {
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  assert_true(master >= 0);
  assert_int_equal(grantpt(master), 0);
  assert_int_equal(unlockpt(master), 0);
  int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
  assert_true(slave >= 0);
  /* Raw: bytes arrive exactly as written (no "\n" -> "\r\n"). */
  struct termios raw;
  tcgetattr(slave, &raw);
  cfmakeraw(&raw);
  tcsetattr(slave, TCSANOW, &raw);
  fflush(stderr);
  s->saved = dup(2);
  dup2(slave, 2);
  close(slave);
  fcntl(master, F_SETFL, O_NONBLOCK);
  s->reader = master;
  s->path[0] = '\0';
}

/* Restores stderr and returns what the case wrote (caller frees). */
static char *collect(sink *s) {
  fflush(stderr);
  dup2(s->saved, 2);
  close(s->saved);
  size_t cap = 1 << 16, len = 0;
  char *text = malloc(cap);
  ssize_t got;
  while (len + 1 < cap &&
         (got = read(s->reader, text + len, cap - 1 - len)) > 0)
    len += (size_t)got;
  text[len] = '\0';
  close(s->reader);
  if (s->path[0] != '\0')
    unlink(s->path);
  return text;
}

static void set_env(const char *term, const char *no_color) {
  if (term != NULL)
    setenv("TERM", term, 1);
  else
    unsetenv("TERM");
  if (no_color != NULL)
    setenv("NO_COLOR", no_color, 1);
  else
    unsetenv("NO_COLOR");
}

/* Whether the console turns fancy with stderr on a terminal and this
 * environment. */
static bool fancy_on_terminal(const char *term, const char *no_color) {
  sink s;
  set_env(term, no_color);
  to_terminal(&s);
  aeh_console_init();
  bool fancy = aeh_console_fancy();
  free(collect(&s));
  return fancy;
}

static void colour_only_on_a_usable_terminal(void **state) {
  (void)state;
  assert_true(fancy_on_terminal("xterm-256color", NULL));
  assert_false(fancy_on_terminal("xterm-256color", "1"));
  /* no-color.org: an empty NO_COLOR does not count. */
  assert_true(fancy_on_terminal("xterm", ""));
  assert_false(fancy_on_terminal("dumb", NULL));
  assert_false(fancy_on_terminal(NULL, NULL));
  assert_false(fancy_on_terminal("", NULL));

  sink s;
  set_env("xterm", NULL);
  to_file(&s);
  aeh_console_init();
  assert_false(aeh_console_fancy());
  free(collect(&s));
}

static void plain_lines_elsewhere(void **state) {
  (void)state;
  sink s;
  set_env("xterm", NULL);
  to_file(&s);
  aeh_console_init();
  aeh_console_banner(AEH_BANNER_RUNNING, 1, 3, "[ingest] data", NULL);
  aeh_console_banner(AEH_BANNER_OK, 1, 3, "[ingest] data", "0.25 s");
  aeh_console_banner(AEH_BANNER_FAILED, 2, 3, "[train] model",
                     "loss is NaN (run 12)");
  aeh_console_banner(AEH_BANNER_SKIPPED, 3, 3, "[evaluate] report",
                     "parent [train] model failed");
  aeh_console_summary(1, 0, 1, 1, 1.5, NULL);
  aeh_console_summary(3, 0, 0, 0, 0.02, "runs 41-43 in ~/store");
  aeh_console_error("bad %s", "thing");
  aeh_console_warn("careful");
  aeh_console_info("Bailed out: %s", "why");
  aeh_console_progress("hashing big.bin", 50 * MIB, 200 * MIB);
  aeh_console_progress("hashing big.bin", 200 * MIB, 200 * MIB);
  char *text = collect(&s);
  assert_string_equal(text,
                      "[1/3] Running [ingest] data\n"
                      "[1/3] OK [ingest] data (0.25 s)\n"
                      "[2/3] Failed [train] model: loss is NaN (run 12)\n"
                      "[3/3] Skipped [evaluate] report: parent [train] model "
                      "failed\n"
                      "1 ok, 1 failed, 1 skipped in 1.50 s\n"
                      "3 ok, 0 failed, 0 skipped in 0.02 s; runs 41-43 in "
                      "~/store\n"
                      "aerohost: error: bad thing\n"
                      "aerohost: warning: careful\n"
                      "aerohost: Bailed out: why\n");
  free(text);
}

/* Held banners (a streak of reused actions) are written together at
 * release, or before any other line, never out of order. */
static void held_banners_keep_their_order(void **state) {
  (void)state;
  sink s;
  set_env("xterm", NULL);
  to_file(&s);
  aeh_console_init();
  aeh_console_hold();
  aeh_console_banner(AEH_BANNER_REUSED, 1, 3, "[ingest] data", "run 4");
  aeh_console_banner(AEH_BANNER_REUSED, 2, 3, "[train] model", "run 5");
  fflush(stderr);
  char first[8];
  assert_int_equal(read(s.reader, first, sizeof first), 0); /* held */
  aeh_console_warn("careful");
  aeh_console_banner(AEH_BANNER_REUSED, 3, 3, "[evaluate] report", "run 6");
  aeh_console_release();
  aeh_console_summary(0, 3, 0, 0, 0.01, NULL);
  char *text = collect(&s);
  assert_string_equal(text, "[1/3] Reused [ingest] data (run 4)\n"
                            "[2/3] Reused [train] model (run 5)\n"
                            "aerohost: warning: careful\n"
                            "[3/3] Reused [evaluate] report (run 6)\n"
                            "0 ok, 3 reused, 0 failed, 0 skipped in 0.01 s\n");
  free(text);
}

static void colour_and_redraws_on_a_terminal(void **state) {
  (void)state;
  sink s;
  set_env("xterm", NULL);
  to_terminal(&s);
  aeh_console_init();
  aeh_console_banner(AEH_BANNER_FAILED, 2, 3, "[train] model", "why");
  /* Small totals never draw; large ones redraw one line in place, once
   * per visible change, and end it at 100%. */
  aeh_console_progress("small", 1 * MIB, 10 * MIB);
  for (uint64_t done = 0; done <= 200 * MIB; done += 2 * MIB)
    for (int again = 0; again < 5; again++)
      aeh_console_progress("hashing big.bin", done, 200 * MIB);
  aeh_console_error("after");
  char *text = collect(&s);
  assert_non_null(strstr(text, "\033[1;31mFailed\033[0m [train] model: why"));
  assert_null(strstr(text, "small"));
  assert_non_null(strstr(text, "\r\033[Khashing big.bin  50.0% (100/200 MiB)"));
  assert_non_null(
      strstr(text, "\r\033[Khashing big.bin 100.0% (200/200 MiB)\n"));
  size_t redraws = 0;
  for (const char *p = text; (p = strstr(p, "\r\033[Khashing")) != NULL; p++)
    redraws++;
  /* 505 calls, 101 visible changes: one redraw per change. */
  assert_int_equal(redraws, 101);
  free(text);

  /* A message during a redrawn line clears it first. */
  to_terminal(&s);
  aeh_console_init();
  aeh_console_progress("copying", 10 * MIB, 400 * MIB);
  aeh_console_warn("meanwhile");
  text = collect(&s);
  assert_non_null(strstr(text, "(10/400 MiB)\r\033[Kaerohost: "));
  free(text);
}

static void set_plain_stops_colour(void **state) {
  (void)state;
  sink s;
  set_env("xterm", NULL);
  to_terminal(&s);
  aeh_console_init();
  aeh_console_set_plain();
  aeh_console_banner(AEH_BANNER_OK, 1, 1, "[a] b", "0.01 s");
  aeh_console_progress("big", 1, 500 * MIB);
  char *text = collect(&s);
  assert_string_equal(text, "[1/1] OK [a] b (0.01 s)\n");
  free(text);
}

/* A store's place: "~" for $HOME only when the path is in it. */
static void paths_in_home_shown_with_tilde(void **state) {
  (void)state;
  const struct {
    const char *home, *path, *shown;
  } cases[] = {
      {"/home/u", "/home/u/.local/share/aeromancy", "~/.local/share/aeromancy"},
      {"/home/u", "/home/u", "~"},
      {"/home/u", "/home/u2/st", "/home/u2/st"}, /* a sibling */
      {"/home/u", "/srv/st", "/srv/st"},
      {"/", "/srv/st", "/srv/st"}, /* not "~/srv/st" */
      {NULL, "/home/u/st", "/home/u/st"}};
  char *saved = getenv("HOME") != NULL ? strdup(getenv("HOME")) : NULL;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    if (cases[i].home != NULL)
      setenv("HOME", cases[i].home, 1);
    else
      unsetenv("HOME");
    char buf[64];
    assert_string_equal(aeh_console_path(cases[i].path, buf, sizeof buf),
                        cases[i].shown);
  }
  if (saved != NULL)
    setenv("HOME", saved, 1);
  free(saved);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(colour_only_on_a_usable_terminal),
      cmocka_unit_test(plain_lines_elsewhere),
      cmocka_unit_test(held_banners_keep_their_order),
      cmocka_unit_test(colour_and_redraws_on_a_terminal),
      cmocka_unit_test(set_plain_stops_colour),
      cmocka_unit_test(paths_in_home_shown_with_tilde),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
