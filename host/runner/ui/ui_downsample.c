/* Min/max-preserving downsampling (ui_downsample.h). */
#include "ui_downsample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int aeh_ui_downsample_init(aeh_ui_downsample *d, size_t total,
                           size_t max_points) {
  memset(d, 0, sizeof *d);
  d->total = total;
  if (max_points < 4)
    max_points = 4;
  d->buckets = total <= max_points ? 0 : max_points / 4;
  /* Exact when the count is right; grows if a live writer adds points. */
  d->capacity = d->buckets == 0 ? total : d->buckets * 4;
  if (d->capacity == 0)
    d->capacity = 16;
  d->out = malloc(d->capacity * sizeof *d->out);
  return d->out == NULL ? -1 : 0;
}

static int push(aeh_ui_downsample *d, aeh_ui_point p) {
  if (d->count == d->capacity) {
    size_t cap = d->capacity * 2;
    aeh_ui_point *grown = realloc(d->out, cap * sizeof *grown);
    if (grown == NULL)
      return -1;
    d->out = grown;
    d->capacity = cap;
  }
  d->out[d->count++] = p;
  return 0;
}

typedef struct kept {
  size_t i; /* position in the series */
  aeh_ui_point p;
} kept;

/* Emits the bucket's kept points in series order, each position once. */
static int flush(aeh_ui_downsample *d) {
  if (d->filled == 0)
    return 0;
  kept keep[4] = {{d->first_i, d->first},
                  {d->low_i, d->low},
                  {d->high_i, d->high},
                  {d->last_i, d->last}};
  /* Four items: an insertion sort by position. */
  for (int a = 1; a < 4; a++)
    for (int b = a; b > 0 && keep[b - 1].i > keep[b].i; b--) {
      kept t = keep[b];
      keep[b] = keep[b - 1];
      keep[b - 1] = t;
    }
  for (int a = 0; a < 4; a++) {
    if (a > 0 && keep[a].i == keep[a - 1].i)
      continue;
    if (push(d, keep[a].p) != 0)
      return -1;
  }
  d->filled = 0;
  return 0;
}

int aeh_ui_downsample_add(aeh_ui_downsample *d, aeh_ui_point p) {
  size_t i = d->seen++;
  if (d->buckets == 0)
    return push(d, p);
  size_t b = d->total == 0 ? 0 : i * d->buckets / d->total;
  if (b >= d->buckets)
    b = d->buckets - 1;
  if (b != d->bucket && flush(d) != 0)
    return -1;
  d->bucket = b;
  if (d->filled == 0) {
    d->first = d->low = d->high = p;
    d->first_i = d->low_i = d->high_i = i;
  } else {
    /* NaN never replaces a number as an extreme. */
    if (p.value < d->low.value || (isnan(d->low.value) && !isnan(p.value))) {
      d->low = p;
      d->low_i = i;
    }
    if (p.value > d->high.value || (isnan(d->high.value) && !isnan(p.value))) {
      d->high = p;
      d->high_i = i;
    }
  }
  d->last = p;
  d->last_i = i;
  d->filled++;
  return 0;
}

int aeh_ui_downsample_finish(aeh_ui_downsample *d) {
  return d->buckets == 0 ? 0 : flush(d);
}

void aeh_ui_downsample_free(aeh_ui_downsample *d) {
  free(d->out);
  memset(d, 0, sizeof *d);
}
