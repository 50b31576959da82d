/* The copy of an optional string (one that may be NULL). */
#include "aeu.h"

#include <stdlib.h>
#include <string.h>

char *aeu_strdup_or_null(const char *s, bool *failed) {
  if (s == NULL)
    return NULL;
  char *copy = strdup(s);
  if (copy == NULL && failed != NULL)
    *failed = true;
  return copy;
}
