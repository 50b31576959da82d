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

/* Kahn's algorithm with this heap: the `n` nodes of a graph whose edges out
 * of node i go to targets[start[i] .. start[i + 1]), each placed after
 * every node with an edge to it, the smallest-numbered ready node first
 * (O((V + E) log V)), into `order`. `indegree` holds each node's incoming
 * edges and is used up; `heap` has room for n items. Returns how many
 * nodes were placed: fewer than n when the rest lie on a cycle. */
static inline size_t aeh_kahn_order(size_t n, size_t *indegree,
                                    const size_t *start, const size_t *targets,
                                    size_t *heap, size_t *order) {
  aeh_minheap ready = {heap, 0};
  for (size_t i = 0; i < n; i++)
    if (indegree[i] == 0)
      aeh_minheap_push(&ready, i);
  size_t placed = 0;
  while (ready.count > 0) {
    size_t i = aeh_minheap_pop(&ready);
    order[placed++] = i;
    for (size_t e = start[i]; e < start[i + 1]; e++)
      if (--indegree[targets[e]] == 0)
        aeh_minheap_push(&ready, targets[e]);
  }
  return placed;
}

#endif /* AEH_MINHEAP_H */
