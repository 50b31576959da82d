/* STUB: replaced by the engine's implementation. */
#include "console.h"
#include <stdarg.h>
#include <stdio.h>
void aeh_console_init(void) {}
bool aeh_console_fancy(void) { return false; }
#define EMIT(tag) va_list ap; va_start(ap, fmt); fputs("aerohost: " tag, stderr); vfprintf(stderr, fmt, ap); fputc('\n', stderr); va_end(ap)
void aeh_console_error(const char *fmt, ...) { EMIT("error: "); }
void aeh_console_warn(const char *fmt, ...) { EMIT("warning: "); }
void aeh_console_info(const char *fmt, ...) { EMIT(""); }
void aeh_console_progress(const char *label, uint64_t done, uint64_t total) { (void)label; (void)done; (void)total; }
