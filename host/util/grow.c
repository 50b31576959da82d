/* The one growth of a dynamic array: doubling, so that appending n
 * elements one at a time costs O(n) copies in all. */
#include "aeu.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

void *aeu_grow(void *items, size_t *cap, size_t need, size_t size,
               size_t first) {
  if (need <= *cap)
    return items;
  size_t n = *cap > 0 ? *cap : first > 0 ? first : 1;
  while (n < need) {
    if (n > SIZE_MAX / 2)
      goto overflow;
    n *= 2;
  }
  if (size > 0 && n > SIZE_MAX / size)
    goto overflow;
  void *grown = realloc(items, n * size);
  if (grown != NULL)
    *cap = n;
  return grown;
overflow:
  errno = ENOMEM;
  return NULL;
}
