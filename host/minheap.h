/* A binary min-heap of size_t, for schedulers that must pick the earliest
 * (lowest-numbered) ready item: the graph's topological order and the
 * executor's ready queue. The caller sizes `items` for every push. */
#ifndef AEH_MINHEAP_H
#define AEH_MINHEAP_H

#include <stddef.h>

typedef struct aeh_minheap {
  size_t *items; /* caller-owned, large enough for every push */
  size_t count;
} aeh_minheap;

static inline void aeh_minheap_push(aeh_minheap *h, size_t value) {
  size_t i = h->count++;
  while (i > 0) {
    size_t up = (i - 1) / 2;
    if (h->items[up] <= value)
      break;
    h->items[i] = h->items[up];
    i = up;
  }
  h->items[i] = value;
}

/* The smallest item; the heap must not be empty. */
static inline size_t aeh_minheap_peek(const aeh_minheap *h) {
  return h->items[0];
}

static inline size_t aeh_minheap_pop(aeh_minheap *h) {
  size_t top = h->items[0];
  size_t last = h->items[--h->count];
  size_t i = 0;
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= h->count)
      break;
    if (child + 1 < h->count && h->items[child + 1] < h->items[child])
      child++;
    if (h->items[child] >= last)
      break;
    h->items[i] = h->items[child];
    i = child;
  }
  if (h->count > 0)
    h->items[i] = last;
  return top;
}

#endif /* AEH_MINHEAP_H */
