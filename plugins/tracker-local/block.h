/* tracker-local: a metric block's bytes (metric_blocks.c stores them).
 *
 * Decoding reads only what it is handed: three arrays and the block's
 * columns, no SQLite, so that what comes from the file (a damaged count,
 * arrays cut short, steps out of order) can be fuzzed on its own
 * (tests/fuzz/fuzz_metric_block.c).
 */
#ifndef TL_BLOCK_H
#define TL_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A block's arrays, borrowed. */
typedef struct tl_block {
  size_t n;
  const unsigned char *steps, *vals, *times; /* n 8-byte little-endian */
} tl_block;

/* Points `out` at the arrays of a block of `count` points, given its
 * steps, vals and times columns (`arrays`, of `sizes` bytes each); false
 * when the count is not a positive number of points that a blob can hold,
 * or an array's size is not 8 bytes per point. */
bool tl_block_decode(int64_t count, const void *const arrays[3],
                     const size_t sizes[3], tl_block *out);
/* What is wrong with a block read with tl_block_decode, given its
 * first_step and last_step columns (has_* false for NULL); NULL when it
 * is sound. */
const char *tl_block_check(const tl_block *b, bool has_first, int64_t first,
                           bool has_last, int64_t last);
/* The 8-byte little-endian integers and doubles of the arrays. */
void tl_put_i64(unsigned char *p, int64_t v);
int64_t tl_get_i64(const unsigned char *p);
double tl_get_f64(const unsigned char *p);

#endif /* TL_BLOCK_H */
