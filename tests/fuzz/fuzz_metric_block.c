/* A metric block as tracker-local reads it from its file (block.c): its
 * count, first_step and last_step columns and its steps, vals and times
 * arrays, each array in a buffer of its own size, so that a read past one
 * is AddressSanitizer's to see. The input is
 *   count (8 bytes), flags (1: bit 0 first_step set, bit 1 last_step
 *   set, bit 2 arrays as the count says), first_step (8), last_step (8),
 *   then the arrays: with bit 2, the rest in three equal parts (the count
 *   is then their points); else two 2-byte sizes, then the arrays.
 * Besides memory and UB: a block decoded holds `count` points of 8 bytes
 * in each array; tl_block_check calls a block sound exactly when it is
 * (steps from AERO_NO_STEP up in order, finite values, first_step and
 * last_step its lowest and highest step, NULL for AERO_NO_STEP), and a
 * problem it names is one line; every point encodes back to its bytes. */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <aeromancy/aeromancy.h>

#include "block.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t le(const uint8_t *p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

static void fail(const char *what) {
  fprintf(stderr, "fuzz: %s\n", what);
  abort();
}

/* Whether the block is sound, said independently of tl_block_check. */
static bool sound(const tl_block *b, bool has_first, int64_t first,
                  bool has_last, int64_t last) {
  int64_t lo = 0, hi = 0;
  for (size_t i = 0; i < b->n; i++) {
    int64_t step = (int64_t)le(b->steps + 8 * i, 8);
    uint64_t bits = le(b->vals + 8 * i, 8);
    double v;
    memcpy(&v, &bits, sizeof v);
    if (step < -1 || !isfinite(v))
      return false;
    if (i > 0 && step < hi)
      return false;
    if (i == 0)
      lo = step;
    hi = step;
  }
  bool first_ok = lo == AERO_NO_STEP ? !has_first : has_first && first == lo;
  bool last_ok = hi == AERO_NO_STEP ? !has_last : has_last && last == hi;
  return first_ok && last_ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 25)
    return 0;
  int64_t count = (int64_t)le(data, 8);
  unsigned flags = data[8];
  bool has_first = (flags & 1) != 0, has_last = (flags & 2) != 0;
  int64_t first = (int64_t)le(data + 9, 8), last = (int64_t)le(data + 17, 8);
  const uint8_t *rest = data + 25;
  size_t left = size - 25;
  size_t sizes[3];
  if ((flags & 4) != 0) {
    sizes[0] = sizes[1] = sizes[2] = left / 3;
    count = (int64_t)(left / 3 / 8);
  } else {
    if (left < 4)
      return 0;
    sizes[0] = (size_t)le(rest, 2);
    sizes[1] = (size_t)le(rest + 2, 2);
    rest += 4;
    left -= 4;
    if (sizes[0] > left)
      sizes[0] = left;
    if (sizes[1] > left - sizes[0])
      sizes[1] = left - sizes[0];
    sizes[2] = left - sizes[0] - sizes[1];
  }
  /* Each array in a buffer of exactly its size, as SQLite hands a blob
   * (a zero-length one as NULL). */
  unsigned char *arrays[3];
  for (int i = 0; i < 3; i++) {
    arrays[i] = sizes[i] > 0 ? malloc(sizes[i]) : NULL;
    if (sizes[i] > 0 && arrays[i] == NULL)
      abort();
    if (sizes[i] > 0)
      memcpy(arrays[i], rest, sizes[i]);
    rest += sizes[i];
  }
  const void *const in[3] = {arrays[0], arrays[1], arrays[2]};
  tl_block b;
  if (tl_block_decode(count, in, sizes, &b)) {
    if (count <= 0 || b.n != (uint64_t)count)
      fail("a block decoded with another number of points than its count");
    for (int i = 0; i < 3; i++)
      if (sizes[i] != 8 * b.n)
        fail("a block decoded with an array of another size");
    const char *problem = tl_block_check(&b, has_first, first, has_last, last);
    if (problem != NULL &&
        (problem[0] == '\0' || strchr(problem, '\n') != NULL))
      fail("a problem that is not one line");
    if ((problem == NULL) != sound(&b, has_first, first, has_last, last))
      fail(problem == NULL ? "a damaged block called sound"
                           : "a sound block called damaged");
    for (size_t i = 0; i < b.n; i++) {
      unsigned char again[8];
      tl_put_i64(again, tl_get_i64(b.steps + 8 * i));
      if (memcmp(again, b.steps + 8 * i, 8) != 0)
        fail("a step that does not encode back to its bytes");
      double v = tl_get_f64(b.vals + 8 * i);
      int64_t bits;
      memcpy(&bits, &v, sizeof bits);
      tl_put_i64(again, bits);
      if (memcmp(again, b.vals + 8 * i, 8) != 0)
        fail("a value that does not encode back to its bytes");
      tl_put_i64(again, tl_get_i64(b.times + 8 * i));
      if (memcmp(again, b.times + 8 * i, 8) != 0)
        fail("a time that does not encode back to its bytes");
    }
  } else if (count > 0 && count <= INT32_MAX / 8 &&
             sizes[0] == 8 * (size_t)count && sizes[1] == sizes[0] &&
             sizes[2] == sizes[0]) {
    fail("a block whose arrays hold its count refused");
  }
  for (int i = 0; i < 3; i++)
    free(arrays[i]);
  return 0;
}
