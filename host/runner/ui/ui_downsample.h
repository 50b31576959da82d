/* Downsampling a metric series for a chart, in one pass and bounded memory.
 *
 * A run may log 1,000,000 points of one metric; a chart a few hundred pixels
 * wide shows at most a few thousand. The series is cut into `buckets`
 * equal runs of consecutive points, and each bucket keeps its first, lowest,
 * highest and last point (in their original order, each once): the drawn
 * line keeps every spike and every plateau's ends, which averaging or
 * taking every Nth point would lose.
 *
 * Points are fed in step order with aeh_ui_downsample_add; the caller says
 * ahead how many there are (the metric's count). When a live writer adds
 * points meanwhile, the extra ones fall into the last bucket.
 */
#ifndef AEH_UI_DOWNSAMPLE_H
#define AEH_UI_DOWNSAMPLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct aeh_ui_point {
  int64_t step;
  double value; /* may be NaN or infinite */
} aeh_ui_point;

typedef struct aeh_ui_downsample {
  size_t total;   /* points announced */
  size_t buckets; /* 0: every point is kept */
  size_t seen;    /* points fed so far */
  size_t bucket;  /* the bucket being filled */
  size_t filled;  /* points in it */
  aeh_ui_point first, low, high, last;
  size_t first_i, low_i, high_i, last_i; /* their positions in the series */
  aeh_ui_point *out;                     /* kept points; owned */
  size_t count;                          /* of out */
  size_t capacity;
} aeh_ui_downsample;

/* Starts a downsampler for `total` points kept to at most `max_points`
 * (at least 4). Every point is kept when `total` <= `max_points`. Returns 0,
 * or -1 when out of memory. */
int aeh_ui_downsample_init(aeh_ui_downsample *d, size_t total,
                           size_t max_points);

/* Feeds the next point. Returns 0, or -1 when out of memory. */
int aeh_ui_downsample_add(aeh_ui_downsample *d, aeh_ui_point p);

/* Flushes the last bucket. d->out[0..d->count) is then the result (still
 * owned by `d`). Returns 0, or -1 when out of memory. */
int aeh_ui_downsample_finish(aeh_ui_downsample *d);

/* Frees what `d` holds. */
void aeh_ui_downsample_free(aeh_ui_downsample *d);

#endif /* AEH_UI_DOWNSAMPLE_H */
