/* Downsampling a metric series for a chart, in one pass and bounded memory,
 * without knowing its length ahead.
 *
 * A run may log 1,000,000 points of one metric; a chart a few hundred pixels
 * wide shows at most a few thousand. Up to `max_points` points are kept as
 * they are. Past that, the series is cut into buckets of consecutive
 * points, and each bucket keeps its first, lowest, highest and last point
 * (in their original order, each once): the drawn line keeps every spike
 * and every plateau's ends, which averaging or taking every Nth point
 * would lose. When the buckets fill up, neighbours merge (their extremes
 * are kept exactly) and new buckets are twice as long, so the result
 * always holds between max_points / 8 and max_points points.
 */
#ifndef AEH_UI_DOWNSAMPLE_H
#define AEH_UI_DOWNSAMPLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct aeh_ui_point {
  int64_t step;
  double value; /* may be NaN or infinite */
} aeh_ui_point;

typedef struct aeh_ui_bucket {
  aeh_ui_point first, low, high, last;
  size_t first_i, low_i, high_i, last_i; /* positions in the series */
  size_t filled;                         /* points in it */
} aeh_ui_bucket;

typedef struct aeh_ui_downsample {
  size_t max_points;     /* at least 8, a multiple of 8 */
  size_t seen;           /* points fed so far */
  aeh_ui_point *raw;     /* the first max_points points, kept whole */
  aeh_ui_bucket *bucket; /* after that: at most max_points / 4 buckets */
  size_t buckets;        /* closed buckets */
  size_t bucket_size;    /* points per bucket from now on */
  aeh_ui_bucket open;    /* the bucket being filled */
  aeh_ui_point *out;     /* the result, after finish; owned */
  size_t count;          /* of out */
} aeh_ui_downsample;

/* Starts a downsampler keeping at most `max_points` points (rounded down
 * to a multiple of 8, at least 8). Returns 0, or -1 when out of memory. */
int aeh_ui_downsample_init(aeh_ui_downsample *d, size_t max_points);

/* Feeds the next point. Returns 0, or -1 when out of memory. */
int aeh_ui_downsample_add(aeh_ui_downsample *d, aeh_ui_point p);

/* Ends the series: d->out[0..d->count) is then the result (still owned by
 * `d`), and d->count < d->seen when points were dropped. Returns 0, or -1
 * when out of memory. */
int aeh_ui_downsample_finish(aeh_ui_downsample *d);

/* Frees what `d` holds. */
void aeh_ui_downsample_free(aeh_ui_downsample *d);

#endif /* AEH_UI_DOWNSAMPLE_H */
