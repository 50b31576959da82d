/* What an S3 server answers in XML (s3_xml.c), on replies fuzz.s3_xml
 * found read wrong: a listed size that is not a number, an error code
 * holding control characters, a truncated page with an empty token. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "s3_xml.h"

static const aero_host_api test_api = {.struct_size = sizeof test_api,
                                       .error_set = aeh_error_set_message};
const aero_host_api *aero_api = &test_api;

#define HEX "abababababababababababababababababababababababababababababababab"
#define HEX_REST                                                               \
  "ababababababababababababababababababababababababababababababab"
#define KEY "blobs/ab/" HEX_REST
#define NAME "S3 server http://s3 (bucket b)"

typedef struct seen {
  size_t n;
  uint64_t sizes[8];
} seen;

static aero_status note(void *ctx, const char *hex, uint64_t size,
                        aero_error *err) {
  (void)err;
  seen *s = ctx;
  assert_string_equal(hex, HEX);
  s->sizes[s->n++] = size;
  return AERO_OK;
}

/* One page holding one blob listed with `size`. */
static aero_status page_of(const char *size, seen *s, aero_error *err) {
  char xml[1024];
  snprintf(xml, sizeof xml,
           "<ListBucketResult><IsTruncated>false</IsTruncated><Contents>"
           "<Key>" KEY "</Key><Size>%s</Size></Contents></ListBucketResult>",
           size);
  char *next = NULL;
  aero_status status = tp_s3_list_page(xml, NAME, "", note, s, &next, err);
  assert_null(next);
  return status;
}

static void listed_sizes_are_numbers(void **state) {
  (void)state;
  seen s = {0};
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(page_of("0", &s, &err), AERO_OK);
  assert_int_equal(page_of("18446744073709551615", &s, &err), AERO_OK);
  assert_int_equal(s.n, 2);
  assert_true(s.sizes[0] == 0 && s.sizes[1] == UINT64_MAX);
  /* Found by fuzz.s3_xml: an element left open read as its first digits
   * (4096); a sign, spaces, overflow and words as strtoull read them. */
  const char *bad[] = {"4096</Key><Size>5",    "-1",  " 12", "12 ", "+3", "",
                       "18446744073709551616", "abc", "0x10"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    err = (aero_error)AEH_ERROR_INIT;
    assert_int_equal(page_of(bad[i], &s, &err), AERO_E_STORE);
    assert_string_equal(err.message,
                        NAME ": listing the blobs: blob abababababababab... is "
                             "listed with a size that is not a number of "
                             "bytes");
  }
  assert_int_equal(s.n, 2);
}

static void error_codes_are_names(void **state) {
  (void)state;
  char code[80];
  tp_s3_error_code("<Error><Code>NoSuchBucket</Code></Error>", code,
                   sizeof code);
  assert_string_equal(code, " (NoSuchBucket)");
  tp_s3_error_code("<Error><Code>Slow.Down_1-x</Code></Error>", code,
                   sizeof code);
  assert_string_equal(code, " (Slow.Down_1-x)");
  /* Found by fuzz.s3_xml: a control character went into the message. */
  const char *bad[] = {"<Code>Internal\x1e"
                       "Error</Code>",
                       "<Code>Slow\nDown</Code>",
                       "<Code>a\x1b[2Jb</Code>",
                       "<Code></Code>",
                       "<Code>NoSuchKey",
                       "<Code>Has Space</Code>"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    tp_s3_error_code(bad[i], code, sizeof code);
    assert_string_equal(code, "");
  }
}

/* A truncated page names the next one; found with fuzz.s3_xml's check on
 * a seed (truncated_empty_token): an empty token was handed over, which
 * asks for the first page again. */
static void truncated_pages_have_a_token(void **state) {
  (void)state;
  seen s = {0};
  const char *pages[] = {
      "<IsTruncated>true</IsTruncated>",
      "<IsTruncated>true</IsTruncated><NextContinuationToken>"
      "</NextContinuationToken>",
      "<IsTruncated>true</IsTruncated><NextContinuationToken>"
      "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="
      "</NextContinuationToken>",
      "<IsTruncated>false</IsTruncated>"};
  for (size_t i = 0; i < 4; i++) {
    aero_error err = AEH_ERROR_INIT;
    char *next = NULL;
    aero_status status =
        tp_s3_list_page(pages[i], NAME, "", note, &s, &next, &err);
    if (i < 2) {
      assert_int_equal(status, AERO_E_STORE);
      assert_null(next);
      assert_string_equal(err.message,
                          NAME ": listing the blobs: a truncated reply "
                               "without a continuation token");
    } else {
      assert_int_equal(status, AERO_OK);
      if (i == 2)
        assert_string_equal(next,
                            "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
      else
        assert_null(next);
      free(next);
    }
  }
}

/* Element text is XML: a prefix or token holding '&', '<', '>', quotes
 * comes escaped, as an entity or a character reference. Read as written,
 * a prefix "p&q/" matched none of its own blobs (fsck called every one
 * missing) and a token "a&b" asked for a page that is not there. */
static void element_text_is_unescaped(void **state) {
  (void)state;
  seen s = {0};
  aero_error err = AEH_ERROR_INIT;
  char *next = NULL;
  const char *xml =
      "<ListBucketResult><Contents><Key>p&amp;q&lt;&gt;&quot;&apos;&#39;"
      "&#x41;/" KEY "</Key><Size>7</Size></Contents><IsTruncated>true"
      "</IsTruncated><NextContinuationToken>a&amp;b&#38;amp;"
      "</NextContinuationToken></ListBucketResult>";
  assert_int_equal(
      tp_s3_list_page(xml, NAME, "p&q<>\"''A/", note, &s, &next, &err),
      AERO_OK);
  assert_int_equal(s.n, 1);
  assert_int_equal(s.sizes[0], 7);
  assert_string_equal(next, "a&b&amp;");
  free(next);
  /* What is not a known reference stays as it came. */
  char *text = tp_s3_xml_text("<K>&bogus; & &#; &#xZZ; &#0; &amp</K>", "K");
  assert_string_equal(text, "&bogus; & &#; &#xZZ; &#0; &amp");
  free(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(listed_sizes_are_numbers),
      cmocka_unit_test(error_codes_are_names),
      cmocka_unit_test(truncated_pages_have_a_token),
      cmocka_unit_test(element_text_is_unescaped),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
