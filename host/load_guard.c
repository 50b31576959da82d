/* The load guard (load_guard.h): signal handlers, a timer and an exit
 * handler that are live only while plugin code loads. Everything the
 * handlers do is async-signal-safe: the message is prepared beforehand
 * and written with write(2), then _exit(3). */
#include "load_guard.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "exit_codes.h"

static const int guarded[] = {SIGSEGV, SIGBUS, SIGILL,  SIGFPE,
                              SIGABRT, SIGSYS, SIGTRAP, SIGALRM};
#define GUARDED_COUNT (sizeof guarded / sizeof guarded[0])

static struct {
  volatile sig_atomic_t active;
  char prefix[PATH_MAX + 32]; /* "aerohost: error: PATH: " */
  size_t prefix_len;
  unsigned timeout_s;
  struct sigaction saved[GUARDED_COUNT];
  struct itimerval saved_timer;
  bool exit_hook;
  bool armed; /* between begin and end */
} guard;

static void put(const char *text) {
  size_t len = strlen(text);
  while (len > 0) {
    ssize_t n = write(STDERR_FILENO, text, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;
    text += n;
    len -= (size_t)n;
  }
}

/* The decimal digits of `n` into `buf` (at least 12 bytes). */
static const char *decimal(unsigned n, char *buf) {
  char *p = buf + 11;
  *p = '\0';
  do {
    *--p = (char)('0' + n % 10);
    n /= 10;
  } while (n > 0 && p > buf);
  return p;
}

static _Noreturn void fail_with(const char *what, const char *detail,
                                const char *rest) {
  put(guard.prefix);
  put(what);
  put(detail);
  put(rest);
  put("\n");
  _exit(AEH_EXIT_USAGE);
}

static void on_signal(int sig) {
  char digits[12];
  if (sig == SIGALRM)
    fail_with("the plugin did not finish loading within ",
              decimal(guard.timeout_s, digits),
              " s (a library constructor or its init hangs)");
  const char *name = sigabbrev_np(sig);
  fail_with("the plugin crashed while loading (SIG",
            name != NULL ? name : decimal((unsigned)sig, digits),
            " in a library constructor, its entry or its init)");
}

static void on_exit_while_loading(int status, void *unused) {
  (void)unused;
  char digits[12];
  if (!guard.active)
    return;
  fail_with("the plugin called exit(", decimal((unsigned)status & 0xff, digits),
            ") while loading (plugin code must return an error, never "
            "exit)");
}

/* The timeout $AEROMANCY_PLUGIN_LOAD_TIMEOUT sets into *seconds (the
 * default when unset or empty); false when it is not 0-86400 seconds. */
static bool read_timeout(unsigned *seconds) {
  *seconds = AEH_LOAD_TIMEOUT_S;
  const char *text = getenv("AEROMANCY_PLUGIN_LOAD_TIMEOUT");
  if (text == NULL || text[0] == '\0')
    return true;
  char *end = NULL;
  errno = 0;
  unsigned long value = strtoul(text, &end, 10);
  if (errno != 0 || *end != '\0' || value > 86400 || text[0] < '0' ||
      text[0] > '9')
    return false;
  *seconds = (unsigned)value;
  return true;
}

aero_status aeh_load_guard_check(unsigned *seconds, aero_error *err) {
  if (read_timeout(seconds))
    return AERO_OK;
  return aeh_error_set(err, AERO_E_CONFIG,
                       "AEROMANCY_PLUGIN_LOAD_TIMEOUT: '%.64s' is not a "
                       "number of seconds from 0 (no limit) to 86400",
                       getenv("AEROMANCY_PLUGIN_LOAD_TIMEOUT"));
}

void aeh_load_guard_begin(const char *path, unsigned timeout_s) {
  int n = snprintf(guard.prefix, sizeof guard.prefix,
                   "aerohost: error: %s: ", path);
  guard.prefix_len = n < 0 ? 0 : (size_t)n;
  guard.timeout_s = timeout_s;
  if (!guard.exit_hook) {
    /* Once per process; it does nothing unless a load is under way. */
    on_exit(on_exit_while_loading, NULL);
    guard.exit_hook = true;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;
  for (size_t i = 0; i < GUARDED_COUNT; i++)
    sigaction(guarded[i], &sa, &guard.saved[i]);
  struct itimerval timer = {.it_value = {.tv_sec = guard.timeout_s}};
  if (guard.timeout_s > 0)
    setitimer(ITIMER_REAL, &timer, &guard.saved_timer);
  guard.armed = true;
  guard.active = 1;
}

void aeh_load_guard_end(void) {
  if (!guard.armed)
    return;
  guard.armed = false;
  guard.active = 0;
  if (guard.timeout_s > 0)
    setitimer(ITIMER_REAL, &guard.saved_timer, NULL);
  for (size_t i = 0; i < GUARDED_COUNT; i++)
    sigaction(guarded[i], &guard.saved[i], NULL);
}
