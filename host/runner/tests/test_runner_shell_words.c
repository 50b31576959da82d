/* aeh_shell_words_split: --extra-docker-run-args and run_args are split the
 * way a POSIX shell would, without any expansion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "shell_words.h"

static void split_ok(const char *text, const char *const *expected,
                     size_t count) {
  aeh_strv words = AEH_STRV_INIT;
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_shell_words_split(text, &words, &err), AERO_OK);
  assert_int_equal(words.n, count);
  for (size_t i = 0; i < count; i++)
    assert_string_equal(words.v[i], expected[i]);
  aeh_strv_free(&words);
}

static void blanks_separate_words(void **state) {
  (void)state;
  static const char *const want[] = {"-v", "/data:/data:ro", "--shm-size",
                                     "1g"};
  split_ok("  -v /data:/data:ro\t--shm-size\n1g ", want, 4);
}

static void single_quotes_keep_everything(void **state) {
  (void)state;
  static const char *const want[] = {"-e", "A=$HOME \"x\" \\n *"};
  split_ok("-e 'A=$HOME \"x\" \\n *'", want, 2);
}

static void double_quotes_escape_only_special_characters(void **state) {
  (void)state;
  static const char *const want[] = {"-v", "/my data/$x\"q\\\\n:/d"};
  split_ok("-v \"/my data/\\$x\\\"q\\\\\\n:/d\"", want, 2);
}

static void quotes_join_into_one_word(void **state) {
  (void)state;
  static const char *const want[] = {"--label=a b'c", ""};
  split_ok("--label=\"a b\"\\'c ''", want, 2);
}

static void no_expansion_of_globs_or_commands(void **state) {
  (void)state;
  static const char *const want[] = {"*", "$(rm", "-rf", "/)", "`id`", "~"};
  split_ok("* $(rm -rf /) `id` ~", want, 6);
}

static void empty_text_gives_no_words(void **state) {
  (void)state;
  split_ok("   ", NULL, 0);
}

static void unterminated_quotes_fail_with_position(void **state) {
  (void)state;
  static const char *const bad[] = {"-v 'abc", "-v \"abc", "abc \\"};
  for (size_t i = 0; i < 3; i++) {
    aeh_strv words = AEH_STRV_INIT;
    aero_error err = AEH_ERROR_INIT;
    assert_int_equal(aeh_shell_words_split(bad[i], &words, &err),
                     AERO_E_INVALID);
    assert_non_null(strstr(err.message, bad[i]));
    aeh_strv_free(&words);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(blanks_separate_words),
      cmocka_unit_test(single_quotes_keep_everything),
      cmocka_unit_test(double_quotes_escape_only_special_characters),
      cmocka_unit_test(quotes_join_into_one_word),
      cmocka_unit_test(no_expansion_of_globs_or_commands),
      cmocka_unit_test(empty_text_gives_no_words),
      cmocka_unit_test(unterminated_quotes_fail_with_position),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
