#include "relay_wire.h"

#include <stdlib.h>
#include <string.h>

#define NULL_STRING UINT32_MAX

static void put(aeh_wire *w, const void *bytes, size_t size) {
  if (w->failed || size == 0) /* no bytes may come as NULL */
    return;
  if (w->len + size > w->cap) {
    size_t cap = w->cap ? w->cap : 256;
    while (cap < w->len + size)
      cap *= 2;
    char *grown = NULL;
    if (cap <= (size_t)AEH_RELAY_FRAME_MAX + 4)
      grown = w->borrowed ? malloc(cap) : realloc(w->data, cap);
    if (grown == NULL) {
      w->failed = true;
      return;
    }
    if (w->borrowed)
      memcpy(grown, w->data, w->len);
    w->data = grown;
    w->cap = cap;
    w->borrowed = false;
  }
  memcpy(w->data + w->len, bytes, size);
  w->len += size;
}

void aeh_wire_bytes(aeh_wire *w, const void *bytes, size_t size) {
  put(w, bytes, size);
}

void aeh_wire_start_in(aeh_wire *w, char *buf, size_t size) {
  if (!w->borrowed)
    free(w->data);
  *w = (aeh_wire){.data = buf, .cap = size, .borrowed = true};
  aeh_wire_u32(w, 0); /* the length, filled in by aeh_wire_finish */
}

void aeh_wire_start(aeh_wire *w) {
  w->len = 0;
  w->failed = false;
  aeh_wire_u32(w, 0); /* the length, filled in by aeh_wire_finish */
}

void aeh_wire_u32(aeh_wire *w, uint32_t v) {
  put(w, &v, sizeof v);
}

void aeh_wire_i64(aeh_wire *w, int64_t v) {
  put(w, &v, sizeof v);
}

void aeh_wire_f64(aeh_wire *w, double v) {
  put(w, &v, sizeof v);
}

void aeh_wire_str(aeh_wire *w, const char *s) {
  if (s == NULL) {
    aeh_wire_u32(w, NULL_STRING);
    return;
  }
  size_t len = strlen(s);
  if (len >= AEH_RELAY_FRAME_MAX) {
    w->failed = true;
    return;
  }
  aeh_wire_u32(w, (uint32_t)len);
  put(w, s, len + 1);
}

void aeh_wire_value(aeh_wire *w, const aero_value *v) {
  aeh_wire_u32(w, v->type);
  switch (v->type) {
  case AERO_VALUE_BOOL:
    aeh_wire_u32(w, v->as.b ? 1 : 0);
    break;
  case AERO_VALUE_INT:
    aeh_wire_i64(w, v->as.i);
    break;
  case AERO_VALUE_DOUBLE:
    aeh_wire_f64(w, v->as.d);
    break;
  case AERO_VALUE_STRING:
    aeh_wire_str(w, v->as.s);
    break;
  default:
    break; /* the backend names the unknown type */
  }
}

bool aeh_wire_finish(aeh_wire *w) {
  if (w->failed || w->len - 4 > AEH_RELAY_FRAME_MAX)
    return false;
  uint32_t body = (uint32_t)(w->len - 4);
  memcpy(w->data, &body, sizeof body);
  return true;
}

void aeh_wire_free(aeh_wire *w) {
  if (!w->borrowed)
    free(w->data);
  *w = (aeh_wire){0};
}

aeh_frame_state aeh_wire_next_frame(const char *buf, size_t len, size_t *at,
                                    const char **body, uint32_t *size) {
  if (*at > len || len - *at < sizeof *size)
    return AEH_FRAME_PARTIAL;
  memcpy(size, buf + *at, sizeof *size);
  if (*size > AEH_RELAY_FRAME_MAX)
    return AEH_FRAME_TOO_LARGE;
  if (len - *at - sizeof *size < *size)
    return AEH_FRAME_PARTIAL;
  *body = buf + *at + sizeof *size;
  *at += sizeof *size + (size_t)*size;
  return AEH_FRAME_WHOLE;
}

static bool take(aeh_wire_reader *r, void *out, size_t size) {
  if (r->bad || r->left < size) {
    r->bad = true;
    memset(out, 0, size);
    return false;
  }
  memcpy(out, r->p, size);
  r->p += size;
  r->left -= size;
  return true;
}

uint32_t aeh_wire_get_u32(aeh_wire_reader *r) {
  uint32_t v;
  take(r, &v, sizeof v);
  return v;
}

int64_t aeh_wire_get_i64(aeh_wire_reader *r) {
  int64_t v;
  take(r, &v, sizeof v);
  return v;
}

double aeh_wire_get_f64(aeh_wire_reader *r) {
  double v;
  take(r, &v, sizeof v);
  return v;
}

const char *aeh_wire_get_str(aeh_wire_reader *r) {
  uint32_t len = aeh_wire_get_u32(r);
  if (r->bad || len == NULL_STRING)
    return NULL;
  /* A NUL inside would cut the string short of the length it claims. */
  if (r->left < (size_t)len + 1 || r->p[len] != '\0' ||
      memchr(r->p, '\0', len) != NULL) {
    r->bad = true;
    return NULL;
  }
  const char *s = r->p;
  r->p += (size_t)len + 1;
  r->left -= (size_t)len + 1;
  return s;
}

aero_value aeh_wire_get_value(aeh_wire_reader *r) {
  aero_value v = {.type = aeh_wire_get_u32(r)};
  switch (v.type) {
  case AERO_VALUE_BOOL:
    v.as.b = aeh_wire_get_u32(r) != 0;
    break;
  case AERO_VALUE_INT:
    v.as.i = aeh_wire_get_i64(r);
    break;
  case AERO_VALUE_DOUBLE:
    v.as.d = aeh_wire_get_f64(r);
    break;
  case AERO_VALUE_STRING:
    v.as.s = aeh_wire_get_str(r);
    break;
  default:
    break;
  }
  return v;
}
