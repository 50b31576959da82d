/* The host's definition of the error object plugins receive as
 * `aero_error *`, and the helpers that fill it. */
#ifndef AEH_ERROR_H
#define AEH_ERROR_H

#include <aeromancy/error.h>

struct aero_error {
  aero_status code;                      /* AERO_OK until set */
  char message[AERO_ERROR_MESSAGE_MAX];  /* one line, no trailing newline */
};

/* A cleared error, ready to hand to a call. */
#define AEH_ERROR_INIT {AERO_OK, {0}}

/* Sets code and formatted message. `err` may be NULL. Returns `code`, so
 * that `return aeh_error_set(err, AERO_E_IO, "...")` reads naturally. */
aero_status aeh_error_set(aero_error *err, aero_status code, const char *fmt,
                          ...) __attribute__((format(printf, 3, 4)));

/* The host API's error_set: copies `message` (NULL reads as the status's own
 * message) and strips trailing newlines. */
void aeh_error_set_message(aero_error *err, aero_status code,
                           const char *message);

/* Prefixes the current message with a formatted context, e.g. the plugin
 * path: "PATH: <old message>". */
void aeh_error_prefix(aero_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Resets `err` to AERO_OK with an empty message. */
void aeh_error_clear(aero_error *err);

#endif /* AEH_ERROR_H */
