/* JSON output helpers: any bytes become valid JSON text (invalid UTF-8 as
 * "\xNN"), numbers JSON cannot hold become null, keys are repaired too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_out.h"

typedef struct text_case {
  const char *in;
  const char *want;
} text_case;

static void test_text_keeps_valid_utf8_and_escapes_the_rest(void **state) {
  (void)state;
  static const text_case cases[] = {
      {"plain", "plain"},
      {"", ""},
      {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac "
                                                    "\xf0\x9f\x98\x80"},
      {"\xff", "\\xff"},
      {"a\xc3(b", "a\\xc3(b"},             /* lead byte without its tail */
      {"\xc0\xaf", "\\xc0\\xaf"},          /* overlong '/' */
      {"\xe0\x80\xaf", "\\xe0\\x80\\xaf"}, /* overlong, three bytes */
      {"\xed\xa0\x80", "\\xed\\xa0\\x80"}, /* a UTF-16 surrogate */
      {"\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"}, /* past U+10FFFF */
      {"\xe2\x82", "\\xe2\\x82"},                   /* cut at the end */
      {"\x80x", "\\x80x"},                          /* lone continuation */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_t *s = aeh_json_text(cases[i].in);
    assert_non_null(s);
    assert_string_equal(json_string_value(s), cases[i].want);
    json_decref(s);
  }
  json_t *null = aeh_json_text(NULL);
  assert_true(json_is_null(null));
  json_decref(null);
}

static void test_number_outside_json_is_null(void **state) {
  (void)state;
  json_t *n = aeh_json_number(NAN);
  assert_true(json_is_null(n));
  json_decref(n);
  n = aeh_json_number(INFINITY);
  assert_true(json_is_null(n));
  json_decref(n);
  n = aeh_json_number(0.5);
  assert_true(json_is_real(n));
  json_decref(n);
}

static void test_written_document_parses_back(void **state) {
  (void)state;
  json_t *doc = json_object();
  assert_int_equal(aeh_json_set(doc, "bad\xfekey", aeh_json_text("v\xfe\"\n")),
                   0);
  json_t *list = json_array();
  assert_int_equal(aeh_json_set(doc, "list", json_incref(list)), 0);
  assert_int_equal(aeh_json_append(list, aeh_json_text("\x01")), 0);
  json_decref(list);
  assert_int_equal(aeh_json_set(doc, "x", NULL), -1);
  assert_int_equal(aeh_json_append(doc, json_true()), -1); /* not an array */

  char *buf = NULL;
  size_t size = 0;
  FILE *mem = open_memstream(&buf, &size);
  assert_non_null(mem);
  assert_int_equal(aeh_json_write(mem, doc), 0);
  fclose(mem);
  json_decref(doc);
  assert_int_equal(buf[size - 1], '\n');

  json_error_t jerr;
  json_t *back = json_loads(buf, 0, &jerr);
  if (back == NULL)
    fail_msg("not JSON (%s): %s", jerr.text, buf);
  assert_string_equal(json_string_value(json_object_get(back, "bad\\xfekey")),
                      "v\\xfe\"\n");
  assert_string_equal(
      json_string_value(json_array_get(json_object_get(back, "list"), 0)),
      "\x01");
  json_decref(back);
  free(buf);
}

static void test_write_failure_is_reported(void **state) {
  (void)state;
  FILE *full = fopen("/dev/full", "w");
  if (full == NULL)
    skip();
  setvbuf(full, NULL, _IONBF, 0);
  json_t *doc = json_pack("{s:s}", "a", "b");
  assert_int_equal(aeh_json_write(full, doc), -1);
  json_decref(doc);
  fclose(full);
}

/* aeh_json_dump lays a document out as jansson does, whatever the flags:
 * the same text for a document without reals. */
static void test_dump_lays_out_as_jansson(void **state) {
  (void)state;
  json_error_t jerr;
  json_t *doc = json_loads(
      "{\"a\": 1, \"e/\\\"\\u0001k\": \"x/y\\n\\u00e9\\ud83d\\ude00\", "
      "\"list\": [[], {}, [true, false, null, -7], {\"in\": {\"deep\": "
      "[\"s\"]}}], \"empty\": {}, \"\": \"\"}",
      0, &jerr);
  if (doc == NULL)
    fail_msg("%s", jerr.text);
  const size_t flags[] = {0,
                          JSON_INDENT(2),
                          JSON_INDENT(3) | JSON_ESCAPE_SLASH,
                          JSON_COMPACT,
                          JSON_COMPACT | JSON_ESCAPE_SLASH,
                          JSON_INDENT(2) | JSON_COMPACT};
  for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
    char *want = json_dumps(doc, flags[i]),
         *got = aeh_json_dumps(doc, flags[i]);
    assert_non_null(want);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(want);
    free(got);
  }
  json_decref(doc);
}

/* Reals in the shortest form that reads back as the same double (jansson
 * writes 17 digits), laid out as jansson lays them out: a '.' or an
 * exponent, and no '+' or leading zeros in the exponent. */
static void test_dump_writes_shortest_reals(void **state) {
  (void)state;
  const struct {
    double v;
    const char *text;
  } cases[] = {{0.1, "0.1"},
               {0.1 + 0.2, "0.30000000000000004"},
               {0.07, "0.07"},
               {3.0, "3.0"},
               {-0.0, "-0.0"},
               {-2.5, "-2.5"},
               {1e15, "1000000000000000.0"},
               {1e17, "1e17"},
               {1e22, "1e22"},
               {1e-4, "0.0001"},
               {1e-5, "1e-5"},
               {-1.5e-7, "-1.5e-7"},
               {1e-300, "1e-300"},
               {5e-324, "5e-324"},
               {1.7976931348623157e308, "1.7976931348623157e308"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_t *doc = json_pack("[f,{s:f}]", cases[i].v, "v", cases[i].v);
    char *got = aeh_json_dumps(doc, JSON_COMPACT);
    char want[96];
    snprintf(want, sizeof want, "[%s,{\"v\":%s}]", cases[i].text,
             cases[i].text);
    assert_string_equal(got, want);
    json_t *back = json_loads(got, 0, NULL);
    assert_true(json_is_real(json_array_get(back, 0)));
    double v = json_real_value(json_array_get(back, 0));
    assert_memory_equal(&v, &cases[i].v, sizeof v);
    json_decref(back);
    json_decref(doc);
    free(got);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_text_keeps_valid_utf8_and_escapes_the_rest),
      cmocka_unit_test(test_number_outside_json_is_null),
      cmocka_unit_test(test_written_document_parses_back),
      cmocka_unit_test(test_write_failure_is_reported),
      cmocka_unit_test(test_dump_lays_out_as_jansson),
      cmocka_unit_test(test_dump_writes_shortest_reals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
