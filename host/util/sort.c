/* The one call of qsort: C11 (7.22.5) wants its base to be a valid
 * pointer even for no element, and glibc declares it nonnull, while an
 * array grown with aeu_grow is NULL until its first element. Sorting an
 * empty folder's listing that way failed an action under UBSan once. */
#include "aeu.h"

#include <stdlib.h>

void aeu_sort(void *items, size_t count, size_t size,
              int (*compare)(const void *, const void *)) {
  if (count < 2)
    return;
  qsort(items, count, size, compare);
}
