#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void strip_newlines(char *message) {
  size_t len = strlen(message);
  while (len > 0 && (message[len - 1] == '\n' || message[len - 1] == '\r'))
    message[--len] = '\0';
}

aero_status aeh_error_set(aero_error *err, aero_status code, const char *fmt,
                          ...) {
  if (err == NULL)
    return code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  strip_newlines(err->message);
  err->code = code;
  return code;
}

void aeh_error_set_message(aero_error *err, aero_status code,
                           const char *message) {
  if (err == NULL)
    return;
  if (message == NULL || message[0] == '\0')
    message = aero_status_str(code);
  snprintf(err->message, sizeof err->message, "%s", message);
  strip_newlines(err->message);
  err->code = code;
}

void aeh_error_prefix(aero_error *err, const char *fmt, ...) {
  if (err == NULL)
    return;
  char prefix[AERO_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  /* Room for both in full, then truncated to what the error keeps. */
  char joined[2 * AERO_ERROR_MESSAGE_MAX + 2];
  snprintf(joined, sizeof joined, "%s: %s", prefix, err->message);
  snprintf(err->message, sizeof err->message, "%.*s",
           (int)(sizeof err->message - 1), joined);
}

void aeh_error_clear(aero_error *err) {
  if (err == NULL)
    return;
  err->code = AERO_OK;
  err->message[0] = '\0';
}
