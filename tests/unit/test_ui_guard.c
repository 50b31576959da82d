/* The UI's request gates: which Host headers are this server (DNS
 * rebinding), and the grammars of URL parameters (traversal attempts). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ui_guard.h"

static void test_host_loopback_names_with_our_port(void **state) {
  (void)state;
  assert_true(aeh_ui_host_allowed("127.0.0.1:8765", NULL, 8765));
  assert_true(aeh_ui_host_allowed("localhost:8765", NULL, 8765));
  assert_true(aeh_ui_host_allowed("LOCALHOST:8765", NULL, 8765));
  assert_true(aeh_ui_host_allowed("[::1]:8765", NULL, 8765));
  assert_true(aeh_ui_host_allowed("localhost", NULL, 80));
}

static void test_host_refuses_other_names_and_ports(void **state) {
  (void)state;
  assert_false(aeh_ui_host_allowed(NULL, NULL, 8765));
  assert_false(aeh_ui_host_allowed("", NULL, 8765));
  assert_false(aeh_ui_host_allowed("evil.example:8765", NULL, 8765));
  assert_false(aeh_ui_host_allowed("127.0.0.1:8766", NULL, 8765));
  assert_false(aeh_ui_host_allowed("127.0.0.1", NULL, 8765));
  assert_false(aeh_ui_host_allowed("127.0.0.1:87650", NULL, 8765));
  assert_false(aeh_ui_host_allowed("localhost.evil.example:8765", NULL, 8765));
  assert_false(aeh_ui_host_allowed("127.0.0.1:8765.evil", NULL, 8765));
  assert_false(aeh_ui_host_allowed("127.0.0.1:8765@evil", NULL, 8765));
}

static void test_host_bound_address_is_allowed(void **state) {
  (void)state;
  assert_true(aeh_ui_host_allowed("10.0.0.5:80", "10.0.0.5", 80));
  assert_true(aeh_ui_host_allowed("10.0.0.5", "10.0.0.5", 80));
  assert_true(aeh_ui_host_allowed("[fd00::5]:9000", "fd00::5", 9000));
  assert_false(aeh_ui_host_allowed("10.0.0.6:80", "10.0.0.5", 80));
  /* A wildcard bind names no host: only the loopback names pass. */
  assert_false(aeh_ui_host_allowed("0.0.0.0:80", "0.0.0.0", 80));
  assert_false(aeh_ui_host_allowed("evil.example:80", "0.0.0.0", 80));
}

static void test_ids(void **state) {
  (void)state;
  int64_t id = -7;
  assert_true(aeh_ui_parse_id("42", &id));
  assert_int_equal(id, 42);
  assert_true(aeh_ui_parse_id("999999999999999999", &id));
  const char *bad[] = {"",
                       "-1",
                       "+1",
                       " 1",
                       "1 ",
                       "1a",
                       "0x10",
                       "../1",
                       "1/..",
                       "%2e%2e",
                       "1234567890123456789"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    id = -7;
    assert_false(aeh_ui_parse_id(bad[i], &id));
    assert_int_equal(id, -7);
  }
  assert_false(aeh_ui_parse_id(NULL, &id));
}

static void test_id_lists(void **state) {
  (void)state;
  int64_t ids[3];
  size_t n = 99;
  assert_true(aeh_ui_parse_id_list("3,7,12", ids, 3, &n));
  assert_int_equal(n, 3);
  assert_int_equal(ids[2], 12);
  assert_true(aeh_ui_parse_id_list("5", ids, 3, &n));
  assert_int_equal(n, 1);
  n = 99;
  assert_false(aeh_ui_parse_id_list("1,2,3,4", ids, 3, &n));
  assert_false(aeh_ui_parse_id_list("1,,2", ids, 3, &n));
  assert_false(aeh_ui_parse_id_list("1,", ids, 3, &n));
  assert_false(aeh_ui_parse_id_list("1,../../etc/passwd", ids, 3, &n));
  assert_false(aeh_ui_parse_id_list("", ids, 3, &n));
  assert_false(aeh_ui_parse_id_list(NULL, ids, 3, &n));
  assert_int_equal(n, 99);
}

static void test_digests(void **state) {
  (void)state;
  const char *good =
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  assert_true(aeh_ui_is_digest(good));
  assert_false(aeh_ui_is_digest(
      "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
  assert_false(aeh_ui_is_digest(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85"));
  assert_false(aeh_ui_is_digest(
      "../../../../../../../../../../../../../../../../../../etc/passwd"));
  assert_false(aeh_ui_is_digest(NULL));
}

static void test_text(void **state) {
  (void)state;
  assert_true(aeh_ui_is_text("loss"));
  assert_true(aeh_ui_is_text("train/loss"));
  assert_true(aeh_ui_is_text("<script>alert(1)</script>"));
  assert_false(aeh_ui_is_text(""));
  assert_false(aeh_ui_is_text("a\nb"));
  assert_false(aeh_ui_is_text("a\x7f"));
  char long_text[300];
  for (size_t i = 0; i < sizeof long_text; i++)
    long_text[i] = 'x';
  long_text[257] = '\0';
  assert_false(aeh_ui_is_text(long_text));
  long_text[256] = '\0';
  assert_true(aeh_ui_is_text(long_text));
}

static void test_counts(void **state) {
  (void)state;
  long v = -1;
  assert_true(aeh_ui_parse_count("0", &v));
  assert_int_equal(v, 0);
  assert_true(aeh_ui_parse_count("999999999", &v));
  assert_int_equal(v, 999999999);
  v = -1;
  assert_false(aeh_ui_parse_count("1000000000", &v));
  assert_false(aeh_ui_parse_count("-5", &v));
  assert_false(aeh_ui_parse_count("5x", &v));
  assert_false(aeh_ui_parse_count("", &v));
  assert_int_equal(v, -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_host_loopback_names_with_our_port),
      cmocka_unit_test(test_host_refuses_other_names_and_ports),
      cmocka_unit_test(test_host_bound_address_is_allowed),
      cmocka_unit_test(test_ids),
      cmocka_unit_test(test_id_lists),
      cmocka_unit_test(test_digests),
      cmocka_unit_test(test_text),
      cmocka_unit_test(test_counts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
