/* Writing a jansson document with its real numbers in their shortest form
 * (json_out.h). jansson writes a real with printf's %.17g, so 0.1 comes
 * out as 0.10000000000000001, and its JSON_REAL_PRECISION holds for the
 * whole document, not per number; `aeromancy metrics` prints the shortest
 * decimal that reads back as the same double (aeu_format_double), and the
 * JSON documents say the same. So this walks the arrays and objects itself,
 * laid out as jansson lays them out (JSON_INDENT, JSON_COMPACT), writes
 * reals with aeu_format_double, and hands every other value, and every key
 * that needs escaping, to jansson: strings are never escaped by hand. */
#include "json_out.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "aeu.h"

typedef struct dumper {
  size_t flags;
  json_dump_callback_t put;
  void *data;
} dumper;

/* A new line and the indent of `depth` with JSON_INDENT; else a space
 * where jansson puts one (after ',' unless compact). */
static int put_indent(const dumper *d, size_t depth, bool space) {
  static const char spaces[] = "                                ";
  size_t n = (d->flags & JSON_MAX_INDENT) * depth;
  if ((d->flags & JSON_MAX_INDENT) == 0)
    return space && !(d->flags & JSON_COMPACT) ? d->put(" ", 1, d->data) : 0;
  if (d->put("\n", 1, d->data) != 0)
    return -1;
  for (size_t chunk; n > 0; n -= chunk) {
    chunk = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
    if (d->put(spaces, chunk, d->data) != 0)
      return -1;
  }
  return 0;
}

/* As jansson lays a real out: with a '.' or an exponent, so that a reader
 * takes it for a real again ("3.0", not "3"), and an exponent without '+'
 * or leading zeros ("1e-5", "1e22"). */
static int put_real(const dumper *d, double v) {
  char text[AEU_DOUBLE_CHARS + 2];
  size_t len = aeu_format_double(v, text);
  char *e = strchr(text, 'e');
  if (e == NULL && strchr(text, '.') == NULL) {
    memcpy(text + len, ".0", 3);
    len += 2;
  } else if (e != NULL) {
    char *digits = e + 1 + (e[1] == '-'), *from = digits;
    while (*from == '+' || (*from == '0' && from[1] != '\0'))
      from++;
    memmove(digits, from, strlen(from) + 1);
    len -= (size_t)(from - digits);
  }
  return d->put(text, len, d->data);
}

/* An object key: verbatim when jansson would write it so (nothing below
 * ' ', no '"' or '\\', no '/' with JSON_ESCAPE_SLASH), as jansson writes
 * it otherwise. The common key costs no allocation. */
static int put_key(const dumper *d, const char *key, size_t len) {
  bool plain = true;
  for (size_t i = 0; i < len && plain; i++) {
    unsigned char c = (unsigned char)key[i];
    plain = c >= 0x20 && c != '"' && c != '\\' &&
            !(c == '/' && (d->flags & JSON_ESCAPE_SLASH));
  }
  if (plain)
    return d->put("\"", 1, d->data) || d->put(key, len, d->data) ||
                   d->put("\"", 1, d->data)
               ? -1
               : 0;
  json_t *s = json_stringn(key, len);
  int rc = s != NULL ? json_dump_callback(s, d->put, d->data,
                                          d->flags | JSON_ENCODE_ANY)
                     : -1;
  json_decref(s);
  return rc;
}

static int put_value(const dumper *d, const json_t *v, size_t depth) {
  if (json_is_real(v))
    return put_real(d, json_real_value(v));
  bool array = json_is_array(v);
  if (!array && !json_is_object(v))
    return json_dump_callback(v, d->put, d->data, d->flags | JSON_ENCODE_ANY);
  size_t n = array ? json_array_size(v) : json_object_size(v);
  if (d->put(array ? "[" : "{", 1, d->data) != 0)
    return -1;
  if (n > 0 && put_indent(d, depth + 1, false) != 0)
    return -1;
  void *iter = array ? NULL : json_object_iter((json_t *)v);
  for (size_t i = 0; i < n; i++) {
    if (!array) {
      if (put_key(d, json_object_iter_key(iter),
                  json_object_iter_key_len(iter)) != 0 ||
          d->put(": ", d->flags & JSON_COMPACT ? 1 : 2, d->data) != 0 ||
          put_value(d, json_object_iter_value(iter), depth + 1) != 0)
        return -1;
      iter = json_object_iter_next((json_t *)v, iter);
    } else if (put_value(d, json_array_get(v, i), depth + 1) != 0) {
      return -1;
    }
    if (i + 1 < n ? d->put(",", 1, d->data) != 0 ||
                        put_indent(d, depth + 1, true) != 0
                  : put_indent(d, depth, false) != 0)
      return -1;
  }
  return d->put(array ? "]" : "}", 1, d->data);
}

int aeh_json_dump(const json_t *doc, size_t flags, json_dump_callback_t put,
                  void *data) {
  if (doc == NULL)
    return -1;
  dumper d = {flags, put, data};
  return put_value(&d, doc, 0);
}

typedef struct text {
  char *s;
  size_t len, cap;
} text;

static int put_text(const char *bytes, size_t size, void *data) {
  text *t = data;
  char *s = aeu_grow(t->s, &t->cap, t->len + size + 1, 1, 256);
  if (s == NULL)
    return -1;
  t->s = s;
  memcpy(t->s + t->len, bytes, size);
  t->len += size;
  t->s[t->len] = '\0';
  return 0;
}

char *aeh_json_dumps(const json_t *doc, size_t flags) {
  text t = {NULL, 0, 0};
  if (aeh_json_dump(doc, flags, put_text, &t) != 0 || t.s == NULL) {
    free(t.s);
    return NULL;
  }
  return t.s;
}
