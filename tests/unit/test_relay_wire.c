/* The relay's frame encoding: what is written reads back the same, and a
 * truncated or malformed frame is noticed rather than read past. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "relay_wire.h"

static aeh_wire_reader body_of(const aeh_wire *w) {
  return (aeh_wire_reader){.p = w->data + 4, .left = w->len - 4};
}

static void test_fields_read_back(void **state) {
  (void)state;
  aeh_wire w = {0};
  aeh_wire_start(&w);
  aeh_wire_u32(&w, 7);
  aeh_wire_i64(&w, -42);
  aeh_wire_f64(&w, 0.25);
  aeh_wire_str(&w, "name");
  aeh_wire_str(&w, NULL);
  aeh_wire_str(&w, "");
  aero_value values[] = {
      {.type = AERO_VALUE_BOOL, .as.b = true},
      {.type = AERO_VALUE_INT, .as.i = INT64_MIN},
      {.type = AERO_VALUE_DOUBLE, .as.d = -1.5},
      {.type = AERO_VALUE_STRING, .as.s = "text"},
  };
  for (size_t i = 0; i < 4; i++)
    aeh_wire_value(&w, &values[i]);
  assert_true(aeh_wire_finish(&w));
  uint32_t len;
  memcpy(&len, w.data, sizeof len);
  assert_int_equal(len, w.len - 4);

  aeh_wire_reader r = body_of(&w);
  assert_int_equal(aeh_wire_get_u32(&r), 7);
  assert_int_equal(aeh_wire_get_i64(&r), -42);
  assert_true(aeh_wire_get_f64(&r) == 0.25);
  assert_string_equal(aeh_wire_get_str(&r), "name");
  assert_null(aeh_wire_get_str(&r));
  assert_string_equal(aeh_wire_get_str(&r), "");
  aero_value v = aeh_wire_get_value(&r);
  assert_true(v.type == AERO_VALUE_BOOL && v.as.b);
  v = aeh_wire_get_value(&r);
  assert_true(v.type == AERO_VALUE_INT && v.as.i == INT64_MIN);
  v = aeh_wire_get_value(&r);
  assert_true(v.type == AERO_VALUE_DOUBLE && v.as.d == -1.5);
  v = aeh_wire_get_value(&r);
  assert_int_equal(v.type, AERO_VALUE_STRING);
  assert_string_equal(v.as.s, "text");
  assert_false(r.bad);
  assert_int_equal(r.left, 0);
  aeh_wire_free(&w);
}

/* A materialize of no files hands over no bytes: (NULL, 0) adds nothing
 * (memcpy's source may not be NULL even for 0 bytes: UBSan stops here). */
static void test_no_bytes_add_nothing(void **state) {
  (void)state;
  aeh_wire w = {0};
  aeh_wire_start(&w);
  aeh_wire_bytes(&w, NULL, 0);
  aeh_wire_u32(&w, 9);
  assert_true(aeh_wire_finish(&w));
  assert_int_equal(w.len, 8);
  aeh_wire_reader r = body_of(&w);
  assert_int_equal(aeh_wire_get_u32(&r), 9);
  assert_int_equal(r.left, 0);
  aeh_wire_free(&w);
}

static void test_truncated_frame_is_bad(void **state) {
  (void)state;
  aeh_wire w = {0};
  aeh_wire_start(&w);
  aeh_wire_str(&w, "a string");
  aeh_wire_i64(&w, 5);
  assert_true(aeh_wire_finish(&w));
  /* Cut inside the string, then inside the integer. */
  aeh_wire_reader r = {.p = w.data + 4, .left = 6};
  assert_null(aeh_wire_get_str(&r));
  assert_true(r.bad);
  assert_int_equal(aeh_wire_get_i64(&r), 0); /* stays bad: zeros */
  r = (aeh_wire_reader){.p = w.data + 4, .left = w.len - 4 - 3};
  assert_string_equal(aeh_wire_get_str(&r), "a string");
  assert_false(r.bad);
  assert_int_equal(aeh_wire_get_i64(&r), 0);
  assert_true(r.bad);
  aeh_wire_free(&w);
}

static void test_string_without_terminator_is_bad(void **state) {
  (void)state;
  /* Length 3, then "abc" and no NUL where one must be. */
  const char bytes[] = {3, 0, 0, 0, 'a', 'b', 'c', 'd'};
  aeh_wire_reader r = {.p = bytes, .left = sizeof bytes};
  assert_null(aeh_wire_get_str(&r));
  assert_true(r.bad);
}

/* Found by the fuzz target: a NUL inside a string would hand the server a
 * shorter string than the frame holds. */
static void test_string_with_inner_nul_is_bad(void **state) {
  (void)state;
  const char bytes[] = {3, 0, 0, 0, 'a', 0, 'c', 0};
  aeh_wire_reader r = {.p = bytes, .left = sizeof bytes};
  assert_null(aeh_wire_get_str(&r));
  assert_true(r.bad);
}

/* The stream is cut into frames by their lengths; a frame not yet whole
 * waits, a length over the limit is refused before anything is read. */
static void test_next_frame_splits_the_stream(void **state) {
  (void)state;
  char stream[64];
  uint32_t a = 3, b = 0, huge = AEH_RELAY_FRAME_MAX + 1;
  size_t len = 0;
  memcpy(stream + len, &a, 4);
  memcpy(stream + len + 4, "abc", 3);
  len += 7;
  memcpy(stream + len, &b, 4);
  len += 4;
  memcpy(stream + len, &a, 4);
  memcpy(stream + len + 4, "xy", 2); /* one byte short */
  len += 6;
  size_t at = 0;
  const char *body = NULL;
  uint32_t size = 0;
  assert_int_equal(aeh_wire_next_frame(stream, len, &at, &body, &size),
                   AEH_FRAME_WHOLE);
  assert_int_equal(size, 3);
  assert_memory_equal(body, "abc", 3);
  assert_int_equal(at, 7);
  assert_int_equal(aeh_wire_next_frame(stream, len, &at, &body, &size),
                   AEH_FRAME_WHOLE);
  assert_int_equal(size, 0);
  assert_int_equal(at, 11);
  assert_int_equal(aeh_wire_next_frame(stream, len, &at, &body, &size),
                   AEH_FRAME_PARTIAL);
  assert_int_equal(at, 11);
  assert_int_equal(aeh_wire_next_frame(stream, 13, &at, &body, &size),
                   AEH_FRAME_PARTIAL); /* not even the length */
  memcpy(stream, &huge, 4);
  at = 0;
  assert_int_equal(aeh_wire_next_frame(stream, 4, &at, &body, &size),
                   AEH_FRAME_TOO_LARGE);
  assert_int_equal(size, huge);
  assert_int_equal(at, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fields_read_back),
      cmocka_unit_test(test_next_frame_splits_the_stream),
      cmocka_unit_test(test_no_bytes_add_nothing),
      cmocka_unit_test(test_truncated_frame_is_bad),
      cmocka_unit_test(test_string_without_terminator_is_bad),
      cmocka_unit_test(test_string_with_inner_nul_is_bad),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
