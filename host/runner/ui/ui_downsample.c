/* Min/max-preserving downsampling (ui_downsample.h). */
#include "ui_downsample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Points a bucket holds when the raw points first overflow: the raw
 * points then fill half of the buckets. */
enum { FIRST_BUCKET_SIZE = 8 };

int aeh_ui_downsample_init(aeh_ui_downsample *d, size_t max_points) {
  memset(d, 0, sizeof *d);
  max_points -= max_points % 8;
  d->max_points = max_points < 8 ? 8 : max_points;
  d->raw = malloc(d->max_points * sizeof *d->raw);
  return d->raw == NULL ? -1 : 0;
}

/* True when `a` is a lower extreme than `b`: NaN never replaces a number. */
static int lower(double a, double b) {
  return a < b || (isnan(b) && !isnan(a));
}

static void bucket_add(aeh_ui_bucket *b, aeh_ui_point p, size_t i) {
  if (b->filled == 0) {
    b->first = b->low = b->high = p;
    b->first_i = b->low_i = b->high_i = i;
  } else {
    if (lower(p.value, b->low.value)) {
      b->low = p;
      b->low_i = i;
    }
    if (lower(-p.value, -b->high.value)) {
      b->high = p;
      b->high_i = i;
    }
  }
  b->last = p;
  b->last_i = i;
  b->filled++;
}

/* `a` followed by `b`, as one bucket. */
static aeh_ui_bucket merged(const aeh_ui_bucket *a, const aeh_ui_bucket *b) {
  aeh_ui_bucket m = *a;
  if (lower(b->low.value, a->low.value)) {
    m.low = b->low;
    m.low_i = b->low_i;
  }
  if (lower(-b->high.value, -a->high.value)) {
    m.high = b->high;
    m.high_i = b->high_i;
  }
  m.last = b->last;
  m.last_i = b->last_i;
  m.filled = a->filled + b->filled;
  return m;
}

/* Closes the open bucket; when the buckets are full, merges neighbours and
 * doubles the size of the buckets to come. */
static void close_bucket(aeh_ui_downsample *d) {
  size_t limit = d->max_points / 4;
  d->bucket[d->buckets++] = d->open;
  memset(&d->open, 0, sizeof d->open);
  if (d->buckets < limit)
    return;
  for (size_t i = 0; i < d->buckets / 2; i++)
    d->bucket[i] = merged(&d->bucket[2 * i], &d->bucket[2 * i + 1]);
  d->buckets /= 2;
  d->bucket_size *= 2;
}

/* The raw points overflowed: they become buckets of FIRST_BUCKET_SIZE. */
static int start_buckets(aeh_ui_downsample *d) {
  d->bucket = malloc(d->max_points / 4 * sizeof *d->bucket);
  if (d->bucket == NULL)
    return -1;
  d->bucket_size = FIRST_BUCKET_SIZE;
  for (size_t i = 0; i < d->max_points; i++) {
    bucket_add(&d->open, d->raw[i], i);
    if (d->open.filled == d->bucket_size)
      close_bucket(d);
  }
  return 0;
}

int aeh_ui_downsample_add(aeh_ui_downsample *d, aeh_ui_point p) {
  size_t i = d->seen++;
  if (i < d->max_points) {
    d->raw[i] = p;
    return 0;
  }
  if (d->bucket == NULL && start_buckets(d) != 0)
    return -1;
  bucket_add(&d->open, p, i);
  if (d->open.filled == d->bucket_size)
    close_bucket(d);
  return 0;
}

typedef struct kept {
  size_t i; /* position in the series */
  aeh_ui_point p;
} kept;

/* Appends a bucket's kept points in series order, each position once. */
static void emit(aeh_ui_downsample *d, const aeh_ui_bucket *b) {
  kept keep[4] = {{b->first_i, b->first},
                  {b->low_i, b->low},
                  {b->high_i, b->high},
                  {b->last_i, b->last}};
  /* Four items: an insertion sort by position. */
  for (int a = 1; a < 4; a++)
    for (int c = a; c > 0 && keep[c - 1].i > keep[c].i; c--) {
      kept t = keep[c];
      keep[c] = keep[c - 1];
      keep[c - 1] = t;
    }
  for (int a = 0; a < 4; a++)
    if (a == 0 || keep[a].i != keep[a - 1].i)
      d->out[d->count++] = keep[a].p;
}

int aeh_ui_downsample_finish(aeh_ui_downsample *d) {
  if (d->bucket == NULL) { /* never overflowed: every point */
    d->out = d->raw;
    d->raw = NULL;
    d->count = d->seen;
    return 0;
  }
  /* Closed buckets (< max/4) and the open one: at most max points. */
  d->out = malloc(d->max_points * sizeof *d->out);
  if (d->out == NULL)
    return -1;
  for (size_t b = 0; b < d->buckets; b++)
    emit(d, &d->bucket[b]);
  if (d->open.filled > 0)
    emit(d, &d->open);
  return 0;
}

void aeh_ui_downsample_free(aeh_ui_downsample *d) {
  free(d->raw);
  free(d->bucket);
  free(d->out);
  memset(d, 0, sizeof *d);
}
