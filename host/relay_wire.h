/* The relay's message encoding (see relay.h): a frame is a u32 length and
 * that many bytes of fields, each in this machine's byte order (both ends
 * are one executable, forked). Strings carry their length and a NUL, so a
 * reader hands out pointers into the frame; NULL is its own length. */
#ifndef AEH_RELAY_WIRE_H
#define AEH_RELAY_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <aeromancy/value.h>

/* Frames larger than this are refused: a length read from a corrupted
 * stream must not become a huge allocation. */
#define AEH_RELAY_FRAME_MAX (64u << 20)

/* A frame being written. `data` starts with room for the length, which
 * aeh_wire_finish fills in. A failed allocation sticks in `failed`. */
typedef struct aeh_wire {
  char *data;
  size_t len;
  size_t cap;
  bool failed;
  bool borrowed; /* `data` is the caller's until the frame outgrows it */
} aeh_wire;

void aeh_wire_start(aeh_wire *w);
/* Starts a frame in the caller's `buf` (for a frame that usually fits:
 * no allocation), moving to the heap if it grows past `size`. */
void aeh_wire_start_in(aeh_wire *w, char *buf, size_t size);
void aeh_wire_u32(aeh_wire *w, uint32_t v);
void aeh_wire_i64(aeh_wire *w, int64_t v);
void aeh_wire_f64(aeh_wire *w, double v);
void aeh_wire_str(aeh_wire *w, const char *s); /* s may be NULL */
void aeh_wire_value(aeh_wire *w, const aero_value *v);
/* Appends the fields another frame holds (its bytes after the length). */
void aeh_wire_bytes(aeh_wire *w, const void *bytes, size_t size);
/* Fills in the length. False when an allocation failed or the frame is
 * over AEH_RELAY_FRAME_MAX. */
bool aeh_wire_finish(aeh_wire *w);
void aeh_wire_free(aeh_wire *w);

/* What aeh_wire_next_frame found. */
typedef enum aeh_frame_state {
  AEH_FRAME_PARTIAL,   /* not all of the next frame has arrived */
  AEH_FRAME_WHOLE,     /* *body and *size are the next frame */
  AEH_FRAME_TOO_LARGE, /* its length (*size) is over AEH_RELAY_FRAME_MAX:
                          the stream cannot be trusted after it */
} aeh_frame_state;

/* The relay's frame decoder: the next frame of the stream bytes
 * buf[*at, len). On AEH_FRAME_WHOLE, *body points at its `*size` bytes
 * (borrowed from `buf`) and *at moves past it. */
aeh_frame_state aeh_wire_next_frame(const char *buf, size_t len, size_t *at,
                                    const char **body, uint32_t *size);

/* A frame being read (its body, after the length). Reading past the end or
 * a malformed field sets `bad` and yields zeros and NULLs. */
typedef struct aeh_wire_reader {
  const char *p;
  size_t left;
  bool bad;
} aeh_wire_reader;

uint32_t aeh_wire_get_u32(aeh_wire_reader *r);
int64_t aeh_wire_get_i64(aeh_wire_reader *r);
double aeh_wire_get_f64(aeh_wire_reader *r);
/* Borrowed from the frame; NULL when NULL was written (or on error). */
const char *aeh_wire_get_str(aeh_wire_reader *r);
/* String values are borrowed from the frame. */
aero_value aeh_wire_get_value(aeh_wire_reader *r);

#endif /* AEH_RELAY_WIRE_H */
