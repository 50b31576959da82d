/* The relay's frame decoder (relay_wire.c): the input is a stream of bytes
 * as it arrives on an action's tracker channel. It is cut into frames by
 * their lengths, and each frame's fields are read with the readers the
 * host serves requests with, in an order the frame's first byte picks.
 * Nothing is read outside the frame, and what the readers return encodes
 * back to the same bytes. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz_check.h"
#include "relay_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads `body` field by field, writing every field read into `w`. Returns
 * the bytes read before the reader went bad. */
static size_t read_fields(const char *body, uint32_t size, aeh_wire *w) {
  aeh_wire_reader r = {.p = body, .left = size};
  unsigned kind = size > 0 ? (unsigned char)body[0] : 0;
  size_t good = 0;
  while (!r.bad && r.left > 0) {
    switch (kind++ % 4) {
    case 0: {
      uint32_t v = aeh_wire_get_u32(&r);
      if (!r.bad)
        aeh_wire_u32(w, v);
      break;
    }
    case 1: {
      int64_t v = aeh_wire_get_i64(&r);
      if (!r.bad)
        aeh_wire_i64(w, v);
      break;
    }
    case 2: {
      double v = aeh_wire_get_f64(&r);
      if (!r.bad)
        aeh_wire_f64(w, v);
      break;
    }
    default: {
      const char *s = aeh_wire_get_str(&r);
      if (!r.bad)
        aeh_wire_str(w, s);
      break;
    }
    }
    if (r.left > size)
      abort(); /* read past the end */
    if (!r.bad)
      good = size - r.left;
  }
  return good;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *stream = (const char *)data;
  size_t at = 0;
  const char *body;
  uint32_t frame_size;
  aeh_frame_state state;
  while ((state = aeh_wire_next_frame(stream, size, &at, &body, &frame_size)) ==
         AEH_FRAME_WHOLE) {
    if (body < stream || body + frame_size > stream + size || at > size)
      abort();
    aeh_wire w = {0};
    aeh_wire_start(&w);
    size_t good = read_fields(body, frame_size, &w);
    /* The written frame holds a length, then the fields read. */
    if (!aeh_wire_finish(&w) || w.len != 4 + good ||
        memcmp(w.data + 4, body, good) != 0)
      abort();
    aeh_wire_free(&w);
  }
  if (state == AEH_FRAME_TOO_LARGE && frame_size <= AEH_RELAY_FRAME_MAX)
    abort();
  return 0;
}
