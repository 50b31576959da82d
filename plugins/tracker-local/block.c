/* tracker-local: a metric block's bytes (block.h). */
#include "block.h"

#include <limits.h>
#include <math.h>
#include <string.h>

#include <aeromancy/aeromancy.h>

void tl_put_i64(unsigned char *p, int64_t v) {
  uint64_t u = (uint64_t)v;
  for (int i = 0; i < 8; i++)
    p[i] = (unsigned char)(u >> (8 * i));
}

int64_t tl_get_i64(const unsigned char *p) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  int64_t v;
  memcpy(&v, p, sizeof v);
  return v;
#else
  uint64_t u = 0;
  for (int i = 0; i < 8; i++)
    u |= (uint64_t)p[i] << (8 * i);
  return (int64_t)u;
#endif
}

double tl_get_f64(const unsigned char *p) {
  int64_t bits = tl_get_i64(p);
  double d;
  memcpy(&d, &bits, sizeof d);
  return d;
}

bool tl_block_decode(int64_t count, const void *const arrays[3],
                     const size_t sizes[3], tl_block *out) {
  /* `count` comes from the file: a damaged one past what a blob can hold
   * (at most INT_MAX bytes) made 8 * count wrap to a blob's real size, and
   * the readers ran that many points past its end. */
  if (count <= 0 || count > INT_MAX / 8)
    return false;
  for (int i = 0; i < 3; i++)
    if (sizes[i] != 8 * (size_t)count)
      return false;
  *out = (tl_block){.n = (size_t)count,
                    .steps = arrays[0],
                    .vals = arrays[1],
                    .times = arrays[2]};
  return true;
}

const char *tl_block_check(const tl_block *b, bool has_first, int64_t first,
                           bool has_last, int64_t last) {
  int64_t prev = AERO_NO_STEP;
  for (size_t i = 0; i < b->n; i++) {
    int64_t step = tl_get_i64(b->steps + 8 * i);
    if (step < AERO_NO_STEP)
      return "a negative step";
    if (step < prev)
      return "steps out of order";
    prev = step;
    if (!isfinite(tl_get_f64(b->vals + 8 * i)))
      return "a value that is not a finite number";
  }
  int64_t lo = tl_get_i64(b->steps), hi = prev;
  if (has_first != (lo != AERO_NO_STEP) || (has_first && first != lo))
    return "first_step is not its lowest step";
  if (has_last != (hi != AERO_NO_STEP) || (has_last && last != hi))
    return "last_step is not its highest step";
  return NULL;
}
