#include "json_out.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at `p` (RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF), or 0 when there is none. */
static size_t utf8_sequence(const unsigned char *p) {
  unsigned char c = p[0];
  if (c < 0x80)
    return 1;
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF; /* bounds of the second byte */
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0)
      lo = 0xA0; /* overlong */
    else if (c == 0xED)
      hi = 0x9F; /* surrogates */
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0)
      lo = 0x90; /* overlong */
    else if (c == 0xF4)
      hi = 0x8F; /* past U+10FFFF */
  } else {
    return 0;
  }
  if (p[1] < lo || p[1] > hi)
    return 0;
  for (size_t i = 2; i < len; i++)
    if (p[i] < 0x80 || p[i] > 0xBF)
      return 0; /* also stops at the terminating NUL */
  return len;
}

/* `s` with every byte that starts no well-formed sequence written as
 * "\xNN"; malloc'd, NULL when memory runs out. */
static char *utf8_repaired(const char *s) {
  size_t n = strlen(s);
  char *out = malloc(4 * n + 1);
  if (out == NULL)
    return NULL;
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p = (const unsigned char *)s;
  size_t o = 0;
  while (*p != '\0') {
    size_t len = utf8_sequence(p);
    if (len == 0) {
      out[o++] = '\\';
      out[o++] = 'x';
      out[o++] = hex[*p >> 4];
      out[o++] = hex[*p & 0xF];
      p++;
      continue;
    }
    memcpy(out + o, p, len);
    o += len;
    p += len;
  }
  out[o] = '\0';
  return out;
}

json_t *aeh_json_text(const char *s) {
  if (s == NULL)
    return json_null();
  /* json_string() checks UTF-8 itself: valid text, the common case, is
   * copied once. */
  json_t *str = json_string(s);
  if (str != NULL)
    return str;
  char *fixed = utf8_repaired(s);
  if (fixed == NULL)
    return NULL;
  str = json_string(fixed);
  free(fixed);
  return str;
}

json_t *aeh_json_number(double d) {
  return isfinite(d) ? json_real(d) : json_null();
}

int aeh_json_set(json_t *object, const char *key, json_t *value) {
  if (value == NULL)
    return -1;
  /* json_object_set_new() releases `value` on every failure. */
  const unsigned char *p = (const unsigned char *)key;
  while (*p != '\0' && utf8_sequence(p) > 0)
    p += utf8_sequence(p);
  if (*p == '\0')
    return json_object_set_new(object, key, value);
  char *fixed = utf8_repaired(key);
  if (fixed == NULL) {
    json_decref(value);
    return -1;
  }
  int rc = json_object_set_new(object, fixed, value);
  free(fixed);
  return rc;
}

int aeh_json_append(json_t *array, json_t *value) {
  if (value == NULL)
    return -1;
  return json_array_append_new(array, value);
}

static int put_file(const char *bytes, size_t size, void *out) {
  return fwrite(bytes, 1, size, out) == size ? 0 : -1;
}

int aeh_json_write(FILE *out, const json_t *doc) {
  if (aeh_json_dump(doc, JSON_INDENT(2), put_file, out) != 0 ||
      putc('\n', out) == EOF)
    return -1;
  return 0;
}
