/* Sanitized builds only (AERO_SANITIZE): UndefinedBehaviorSanitizer's
 * report also goes to a file, as AddressSanitizer's does with log_path.
 * UBSan prints to stderr whatever log_path says (GCC 12), so a report of
 * a process whose stderr nobody reads (a host in a test's background, an
 * action of it) went unseen. With AERO_UBSAN_LOG=PREFIX set, each report
 * is appended to PREFIX.PID as "FILE:LINE:COL: runtime error: KIND:
 * MESSAGE" (tests/lib.sh sets it beside its ASan reports and fails the
 * test on any). Linked into aerohost, aeromancy and aeromancy-ui: the
 * runtime calls this hook (its weak default does nothing) in every
 * process, for the plugins' reports too. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* libubsan's (sanitizer/ubsan_interface.h is not installed by GCC 12). */
void __ubsan_get_current_report_data(const char **kind, const char **message,
                                     const char **file, unsigned *line,
                                     unsigned *col, char **address);
void __ubsan_on_report(void);

void __ubsan_on_report(void) {
  const char *prefix = getenv("AERO_UBSAN_LOG");
  if (prefix == NULL || prefix[0] == '\0')
    return;
  const char *kind = "?", *message = "?", *file = "?";
  unsigned line = 0, col = 0;
  char *address = NULL;
  __ubsan_get_current_report_data(&kind, &message, &file, &line, &col,
                                  &address);
  char path[4096], text[2048];
  snprintf(path, sizeof path, "%s.%ld", prefix, (long)getpid());
  int n = snprintf(text, sizeof text, "%s:%u:%u: runtime error: %s: %s\n",
                   file, line, col, kind, message);
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0)
    return;
  if (n > 0)
    (void)!write(fd, text, (size_t)n < sizeof text ? (size_t)n : sizeof text - 1);
  close(fd);
}
