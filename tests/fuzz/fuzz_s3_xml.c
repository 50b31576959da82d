/* What an S3 server answers tracker-postgres in XML (s3_xml.c): the input
 * is a reply as s3.c keeps it, read as an error document (its code goes
 * into a message), as the reply that starts a multipart upload (its
 * UploadId) and as a page of a blob listing (its blobs, sizes and
 * continuation token). The first byte picks the store's prefix and
 * whether the listing's callback fails at the second blob (as fsck's does
 * when memory runs out). Besides memory and UB: an error code is one
 * printable line; a blob handed over has a 64-digit name and the size
 * the reply wrote as a decimal number; a truncated page hands over a
 * token that is not empty; a refusal is one line. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "s3_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const aero_host_api fuzz_api = {.struct_size = sizeof fuzz_api,
                                       .error_set = aeh_error_set_message};
const aero_host_api *aero_api = &fuzz_api;

#define NAME "S3 server http://s3 (bucket b)"
#define SIZES_MAX 4096

typedef struct page {
  const char *prefix;
  uint64_t sizes[SIZES_MAX]; /* every <Size> that is a decimal number */
  size_t nsizes;
  bool fail_second;
  size_t handed;
} page;

static bool printable_line(const char *s) {
  for (const unsigned char *c = (const unsigned char *)s; *c != '\0'; c++)
    if (*c < 0x20 || *c == 0x7f)
      return false;
  return true;
}

/* The values of the <Size> elements written as plain decimal numbers
 * that fit in 64 bits. */
static void note_sizes(page *p, const char *xml) {
  for (const char *at = xml; (at = strstr(at, "<Size>")) != NULL;) {
    at += 6;
    const char *end = strstr(at, "</Size>");
    if (end == NULL)
      break;
    uint64_t v = 0;
    bool ok = end > at;
    for (const char *c = at; ok && c < end; c++) {
      unsigned d = (unsigned)(*c - '0');
      ok = d <= 9 && v <= (UINT64_MAX - d) / 10;
      v = v * 10 + d;
    }
    if (ok && p->nsizes < SIZES_MAX)
      p->sizes[p->nsizes++] = v;
  }
}

static aero_status each(void *ctx, const char *hex, uint64_t size,
                        aero_error *err) {
  page *p = ctx;
  if (strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64) {
    fprintf(stderr, "fuzz: a blob named '%s'\n", hex);
    abort();
  }
  bool written = false;
  for (size_t i = 0; i < p->nsizes && !written; i++)
    written = p->sizes[i] == size;
  if (!written) {
    fprintf(stderr,
            "fuzz: blob %s handed over with a size of %llu, which "
            "the reply does not write\n",
            hex, (unsigned long long)size);
    abort();
  }
  if (p->fail_second && ++p->handed == 2)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  return AERO_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  char *xml = fuzz_text(data + 1, size - 1);

  char code[80];
  tp_s3_error_code(xml, code, sizeof code);
  if (code[0] != '\0' &&
      (strncmp(code, " (", 2) != 0 || code[strlen(code) - 1] != ')' ||
       !printable_line(code))) {
    fprintf(stderr, "fuzz: an error code that is not one line: \"%s\"\n", code);
    abort();
  }

  free(tp_s3_xml_text(xml, "UploadId"));

  static page p; /* large: not on the stack */
  p = (page){.prefix = (data[0] & 1) != 0 ? "team/" : "",
             .fail_second = (data[0] & 2) != 0};
  note_sizes(&p, xml);
  aero_error err = AEH_ERROR_INIT;
  char *next = (char *)"unset";
  aero_status status =
      tp_s3_list_page(xml, NAME, p.prefix, each, &p, &next, &err);
  if (status != AERO_OK) {
    fuzz_check_one_line(&err);
    if (next != NULL) {
      fprintf(stderr, "fuzz: a refused page hands over a token\n");
      abort();
    }
  } else if (next != NULL && next[0] == '\0') {
    fprintf(stderr, "fuzz: a truncated page with an empty token\n");
    abort();
  }
  free(next);
  free(xml);
  return 0;
}
