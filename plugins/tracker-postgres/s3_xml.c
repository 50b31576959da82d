/* tracker-postgres: what an S3 server answers in XML (s3_xml.h). */
#include "s3_xml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The code point of a character reference's digits ("#38", "#x26"),
 * 0 for none (or one past Unicode). */
static uint32_t char_ref(const char *digits, size_t len) {
  bool hex = len > 1 && (digits[1] == 'x' || digits[1] == 'X');
  size_t first = hex ? 2 : 1;
  if (len <= first || len > first + 8)
    return 0;
  uint32_t v = 0;
  for (size_t i = first; i < len; i++) {
    char c = digits[i];
    int d = c >= '0' && c <= '9'          ? c - '0'
            : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
            : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                          : -1;
    if (d < 0)
      return 0;
    v = v * (hex ? 16u : 10u) + (uint32_t)d;
  }
  return v <= 0x10FFFF ? v : 0;
}

/* Writes code point `cp` as UTF-8 at `out`; how many bytes. */
static size_t utf8(uint32_t cp, char *out) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | cp >> 6);
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | cp >> 12);
    out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | cp >> 18);
  out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
  out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* The `len` bytes at `text` with XML's five entities and its character
 * references replaced by what they stand for (a key or token holding
 * '&' comes as "&amp;"), malloc'd; what is not one stays as it came. A
 * reference takes at least the bytes of what it stands for, so `len` + 1
 * bytes hold the result. */
static char *unescape(const char *text, size_t len) {
  static const struct {
    const char *name;
    char c;
  } entities[] = {
      {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
  char *out = malloc(len + 1);
  if (out == NULL)
    return NULL;
  size_t n = 0;
  for (size_t i = 0; i < len;) {
    const char *semi =
        text[i] == '&' ? memchr(text + i + 1, ';', len - i - 1) : NULL;
    if (semi != NULL) {
      const char *ref = text + i + 1;
      size_t ref_len = (size_t)(semi - ref);
      size_t wrote = 0;
      for (size_t e = 0; e < sizeof entities / sizeof *entities; e++)
        if (ref_len == strlen(entities[e].name) &&
            memcmp(ref, entities[e].name, ref_len) == 0) {
          out[n] = entities[e].c;
          wrote = 1;
        }
      uint32_t cp = ref_len > 0 && ref[0] == '#' ? char_ref(ref, ref_len) : 0;
      if (cp != 0)
        wrote = utf8(cp, out + n);
      if (wrote > 0) {
        n += wrote;
        i += ref_len + 2;
        continue;
      }
    }
    out[n++] = text[i++];
  }
  out[n] = '\0';
  return out;
}

/* The bounds of the first `tag` element's text within [from, to): its
 * first byte, and its length through `len`; NULL for none. Searched within
 * the bounds, so that a listing reads each entry where it lies. */
static const char *element(const char *from, const char *to, const char *tag,
                           size_t *len) {
  char open[64], close[64];
  int open_len = snprintf(open, sizeof open, "<%s>", tag);
  int close_len = snprintf(close, sizeof close, "</%s>", tag);
  const char *a = memmem(from, (size_t)(to - from), open, (size_t)open_len);
  if (a == NULL)
    return NULL;
  a += open_len;
  const char *b = memmem(a, (size_t)(to - a), close, (size_t)close_len);
  if (b == NULL)
    return NULL;
  *len = (size_t)(b - a);
  return a;
}

char *tp_s3_xml_text(const char *xml, const char *tag) {
  size_t len = 0;
  const char *text =
      xml != NULL ? element(xml, xml + strlen(xml), tag, &len) : NULL;
  return text != NULL ? unescape(text, len) : NULL;
}

void tp_s3_error_code(const char *xml, char *out, size_t size) {
  out[0] = '\0';
  const char *start = xml != NULL ? strstr(xml, "<Code>") : NULL;
  const char *end = start != NULL ? strstr(start, "</Code>") : NULL;
  size_t len = end != NULL ? (size_t)(end - start - 6) : 0;
  /* S3's codes are names ("SlowDown", "NoSuchKey"): anything else, e.g.
   * a newline or a terminal's escape, would have gone into the one-line
   * message as it came. */
  if (len > 0 && len < 64 &&
      strspn(start + 6, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                        "0123456789._-") >= len)
    snprintf(out, size, " (%.*s)", (int)len, start + 6);
}

bool tp_s3_key_blob(const char *prefix, const char *key, char hex[65]) {
  size_t plen = strlen(prefix);
  if (strncmp(key, prefix, plen) != 0 || strncmp(key + plen, "blobs/", 6) != 0)
    return false;
  const char *k = key + plen + 6;
  if (strlen(k) != 65 || k[2] != '/')
    return false;
  snprintf(hex, 65, "%.2s%s", k, k + 3);
  return strspn(hex, "0123456789abcdef") == 64;
}

/* The value of a decimal number of bytes, the `len` bytes at `text`
 * whole; false for anything else (none, a sign, spaces, other
 * characters, more than 64 bits). */
static bool decimal(const char *text, size_t len, uint64_t *out) {
  uint64_t v = 0;
  if (len == 0)
    return false;
  for (size_t i = 0; i < len; i++) {
    unsigned d = (unsigned)(text[i] - '0');
    if (d > 9 || v > (UINT64_MAX - d) / 10)
      return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

aero_status tp_s3_list_page(const char *xml, const char *name,
                            const char *prefix, tp_s3_blob_fn each, void *ctx,
                            char **next, aero_error *err) {
  *next = NULL;
  aero_status status = AERO_OK;
  for (const char *at = xml; status == AERO_OK && at != NULL &&
                             (at = strstr(at, "<Contents>")) != NULL;) {
    const char *end = strstr(at, "</Contents>");
    if (end == NULL)
      break;
    /* Read where the entry lies: only its key is copied (to unescape it),
     * one allocation a blob of a 1,000-key page. */
    size_t key_len = 0, size_len = 0;
    const char *key_text = element(at, end, "Key", &key_len);
    const char *size = element(at, end, "Size", &size_len);
    char *key = key_text != NULL ? unescape(key_text, key_len) : NULL;
    char hex[65];
    uint64_t bytes = 0;
    /* Read with strtoull, a size of "-1" wrapped to 2^64 - 1 and one of
     * "4096</Key>..." (an element left open) passed as 4096: what is not
     * a number is said, not read as one. */
    if (key_text != NULL && key == NULL)
      status = aero_fail(err, AERO_E_NOMEM,
                         "%s: listing the blobs: out of memory", name);
    else if (key != NULL && size != NULL && tp_s3_key_blob(prefix, key, hex)) {
      if (decimal(size, size_len, &bytes))
        status = each(ctx, hex, bytes, err);
      else
        status = aero_fail(err, AERO_E_STORE,
                           "%s: listing the blobs: blob %.16s... is listed "
                           "with a size that is not a number of bytes",
                           name, hex);
    }
    free(key);
    at = end;
  }
  char *truncated =
      status == AERO_OK ? tp_s3_xml_text(xml, "IsTruncated") : NULL;
  if (truncated != NULL && strcmp(truncated, "true") == 0) {
    *next = tp_s3_xml_text(xml, "NextContinuationToken");
    /* An empty token would ask for the first page again. */
    if (*next != NULL && (*next)[0] == '\0') {
      free(*next);
      *next = NULL;
    }
    if (*next == NULL)
      status = aero_fail(err, AERO_E_STORE,
                         "%s: listing the blobs: a truncated reply without "
                         "a continuation token",
                         name);
  }
  free(truncated);
  return status;
}
