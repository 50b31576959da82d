/* aero_util (host/util/aeu.h): the one mkdir -p, array growth and copy of an
 * optional string of the host, the runner and the backend plugins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aeu.h"

static char root[PATH_MAX];

static int setup(void **state) {
  (void)state;
  snprintf(root, sizeof root, "%s/aero-util.XXXXXX",
           getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  return mkdtemp(root) != NULL ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[PATH_MAX + 16];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  return system(cmd) == 0 ? 0 : -1;
}

static mode_t mode_of(const char *path) {
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_true(S_ISDIR(st.st_mode));
  return st.st_mode & 0777;
}

static void creates_every_missing_folder_with_the_mode(void **state) {
  (void)state;
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/a/b/c/", root);
  assert_int_equal(aeu_mkdirs(path, 0700), 0);
  assert_int_equal(mode_of(path), 0700);
  snprintf(path, sizeof path, "%s/a", root);
  assert_int_equal(mode_of(path), 0700);
  /* Again: it exists, which is fine. */
  assert_int_equal(aeu_mkdirs(path, 0755), 0);
}

static void a_file_in_the_way_is_enotdir(void **state) {
  (void)state;
  char file[PATH_MAX + 32], path[PATH_MAX + 64];
  snprintf(file, sizeof file, "%s/f", root);
  FILE *f = fopen(file, "w");
  assert_non_null(f);
  fclose(f);
  assert_int_equal(aeu_mkdirs(file, 0755), ENOTDIR);
  snprintf(path, sizeof path, "%s/below", file);
  assert_int_equal(aeu_mkdirs(path, 0755), ENOTDIR);
}

static void parent_of_a_path(void **state) {
  (void)state;
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/x/y/file.txt", root);
  assert_int_equal(aeu_mkdirs_parent(path, 0755), 0);
  snprintf(path, sizeof path, "%s/x/y", root);
  assert_int_equal(mode_of(path), 0755);
  assert_int_equal(aeu_mkdirs_parent("bare-name", 0755), 0);
}

static void grows_from_first_then_doubles(void **state) {
  (void)state;
  size_t cap = 0;
  int *items = aeu_grow(NULL, &cap, 1, sizeof *items, 8);
  assert_non_null(items);
  assert_int_equal(cap, 8);
  for (int i = 0; i < 8; i++)
    items[i] = i;
  /* Room enough: the same array, untouched. */
  assert_ptr_equal(aeu_grow(items, &cap, 8, sizeof *items, 8), items);
  assert_int_equal(cap, 8);
  items = aeu_grow(items, &cap, 9, sizeof *items, 8);
  assert_non_null(items);
  assert_int_equal(cap, 16);
  /* Doubled as often as it takes; the elements kept. */
  items = aeu_grow(items, &cap, 40, sizeof *items, 8);
  assert_non_null(items);
  assert_int_equal(cap, 64);
  for (int i = 0; i < 8; i++)
    assert_int_equal(items[i], i);
  items[63] = 63;
  free(items);
  /* Bytes, with room for more than one at once; no `first`: 1. */
  cap = 0;
  char *bytes = aeu_grow(NULL, &cap, 5, 1, 0);
  assert_non_null(bytes);
  assert_int_equal(cap, 8);
  free(bytes);
}

static void too_large_is_enomem_and_keeps_the_array(void **state) {
  (void)state;
  size_t cap = 0;
  double *items = aeu_grow(NULL, &cap, 4, sizeof *items, 4);
  assert_non_null(items);
  items[3] = 0.5;
  errno = 0;
  assert_null(aeu_grow(items, &cap, SIZE_MAX / 2, sizeof *items, 4));
  assert_int_equal(errno, ENOMEM);
  assert_null(aeu_grow(items, &cap, SIZE_MAX, 1, 4));
  assert_int_equal(cap, 4);
  assert_true(items[3] == 0.5);
  free(items);
}

static int by_value(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* An empty array grown with aeu_grow is NULL, which qsort may not be given
 * (UBSan's nonnull-attribute check fails the test if it is). */
static void sorts_any_count_even_a_null_array(void **state) {
  (void)state;
  aeu_sort(NULL, 0, sizeof(int), by_value);
  int one[] = {5};
  aeu_sort(one, 1, sizeof *one, by_value);
  assert_int_equal(one[0], 5);
  int v[] = {3, -1, 7, 3, 0};
  aeu_sort(v, 5, sizeof *v, by_value);
  const int want[] = {-1, 0, 3, 3, 7};
  assert_memory_equal(v, want, sizeof want);
}

static void optional_string_copied_null_kept(void **state) {
  (void)state;
  bool failed = false;
  assert_null(aeu_strdup_or_null(NULL, &failed));
  assert_false(failed);
  assert_null(aeu_strdup_or_null(NULL, NULL));
  const char text[] = "text";
  char *copy = aeu_strdup_or_null(text, &failed);
  assert_non_null(copy);
  assert_ptr_not_equal(copy, text);
  assert_string_equal(copy, "text");
  assert_false(failed);
  free(copy);
  copy = aeu_strdup_or_null("", NULL);
  assert_string_equal(copy, "");
  free(copy);
  /* Never cleared: one flag covers several copies. */
  failed = true;
  copy = aeu_strdup_or_null(text, &failed);
  assert_true(failed);
  free(copy);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          creates_every_missing_folder_with_the_mode, setup, teardown),
      cmocka_unit_test_setup_teardown(a_file_in_the_way_is_enotdir, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(parent_of_a_path, setup, teardown),
      cmocka_unit_test(grows_from_first_then_doubles),
      cmocka_unit_test(too_large_is_enomem_and_keeps_the_array),
      cmocka_unit_test(sorts_any_count_even_a_null_array),
      cmocka_unit_test(optional_string_copied_null_kept),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
