/* The console: messages on stderr, colour and redrawn lines only on a
 * terminal and never with NO_COLOR.
 *
 * Owner: engine (console.c).
 */
#ifndef AEH_CONSOLE_H
#define AEH_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

/* Decides once whether stderr gets colour and redraws. */
void aeh_console_init(void);
bool aeh_console_fancy(void);

/* "aerohost: error: ..." and friends, one line each on stderr. */
void aeh_console_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
void aeh_console_warn(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
void aeh_console_info(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* The host API's progress member. */
void aeh_console_progress(const char *label, uint64_t done, uint64_t total);

#endif /* AEH_CONSOLE_H */
