/* What every fuzz target checks besides memory safety (AddressSanitizer)
 * and undefined behaviour (UndefinedBehaviorSanitizer): a refused input
 * gets one clear line, as every bad input must. */
#ifndef AERO_FUZZ_CHECK_H
#define AERO_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Stops the run (libFuzzer keeps the input) when `err` does not hold one
 * non-empty line. */
static inline void fuzz_check_one_line(const aero_error *err) {
  if (err->message[0] == '\0' || strchr(err->message, '\n') != NULL ||
      strchr(err->message, '\r') != NULL) {
    fprintf(stderr, "fuzz: refused without one clear line: \"%s\"\n",
            err->message);
    abort();
  }
}

/* A NUL-terminated copy of the input; the caller frees it. */
static inline char *fuzz_text(const unsigned char *data, size_t size) {
  char *text = malloc(size + 1);
  if (text == NULL)
    abort();
  memcpy(text, data, size);
  text[size] = '\0';
  return text;
}

#endif /* AERO_FUZZ_CHECK_H */
