/* The host image's recipe: which files of the context it covers, and a
 * hash that changes exactly when the image's content would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "image.h"
#include "locate.h"

static char ctx[PATH_MAX];

static void put(const char *rel, const char *text) {
  char path[PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/%s", ctx, rel);
  char *slash = strrchr(path, '/');
  *slash = '\0';
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_mkdirs(path, 0700, &err), AERO_OK);
  *slash = '/';
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static int setup(void **state) {
  (void)state;
  snprintf(ctx, sizeof ctx, "%s/aero-image.XXXXXX",
           getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (mkdtemp(ctx) == NULL)
    return -1;
  put("Dockerfile", "FROM scratch\n");
  put("CMakeLists.txt", "project(x)\n");
  put("cmake/AeromancyPlugin.cmake", "# plugin\n");
  put("sdk/include/aeromancy/abi.h", "#define X 1\n");
  put("host/loader.c", "int x;\n");
  put("host/runner/go.c", "int runner;\n");
  put("host/.loader.c.swp", "junk");
  put("host/loader.c~", "backup");
  put("plugins/tracker-local/backend.c", "int y;\n");
  put("tests/unit/test_x.c", "int t;\n");
  put("examples/demo/demo.c", "int d;\n");
  return 0;
}

static int teardown(void **state) {
  (void)state;
  aero_error err = AEH_ERROR_INIT;
  return aeh_remove_tree(ctx, &err) == AERO_OK ? 0 : -1;
}

static void recipe(const char *base, const char *const *pkgs, char hex[65]) {
  aeh_strv files = AEH_STRV_INIT, packages = AEH_STRV_INIT;
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_image_context_files(ctx, &files, &err), AERO_OK);
  for (size_t i = 0; pkgs && pkgs[i]; i++)
    assert_int_equal(aeh_strv_push(&packages, pkgs[i]), AERO_OK);
  aeh_strv_sort_unique(&packages);
  assert_int_equal(
      aeh_image_recipe_hash(ctx, &files, base, &packages, hex, &err), AERO_OK);
  assert_int_equal(strlen(hex), 64);
  aeh_strv_free(&packages);
  aeh_strv_free(&files);
}

static void context_is_what_the_image_builds(void **state) {
  (void)state;
  aeh_strv files = AEH_STRV_INIT;
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_image_context_files(ctx, &files, &err), AERO_OK);
  static const char *const want[] = {"CMakeLists.txt",
                                     "Dockerfile",
                                     "cmake/AeromancyPlugin.cmake",
                                     "host/loader.c",
                                     "plugins/tracker-local/backend.c",
                                     "sdk/include/aeromancy/abi.h"};
  assert_int_equal(files.n, 6);
  for (size_t i = 0; i < 6; i++)
    assert_string_equal(files.v[i], want[i]);
  aeh_strv_free(&files);
}

static void hash_follows_the_recipe(void **state) {
  (void)state;
  char h0[65], h[65];
  recipe(NULL, NULL, h0);
  recipe(NULL, NULL, h);
  assert_string_equal(h, h0);

  /* Not part of the image: the runner, tests, examples, editor files. */
  put("host/runner/go.c", "int runner_changed;\n");
  put("tests/unit/test_x.c", "int changed;\n");
  put("host/.loader.c.swp", "other junk");
  recipe(NULL, NULL, h);
  assert_string_equal(h, h0);

  /* Part of it: the base image, packages (in any order), sources. */
  static const char *const ab[] = {"gnuplot", "bc", NULL};
  static const char *const ba[] = {"bc", "gnuplot", "bc", NULL};
  char hab[65], hba[65];
  recipe(NULL, ab, hab);
  recipe(NULL, ba, hba);
  assert_string_equal(hab, hba);
  assert_string_not_equal(hab, h0);
  recipe("aeromancy-base:bookworm", NULL, h);
  assert_string_not_equal(h, h0);
  put("host/loader.c", "int x2;\n");
  recipe(NULL, NULL, h);
  assert_string_not_equal(h, h0);
  put("host/loader.c", "int x;\n");
  recipe(NULL, NULL, h);
  assert_string_equal(h, h0);
  put("host/new.c", "");
  recipe(NULL, NULL, h);
  assert_string_not_equal(h, h0);
}

static void a_missing_engine_is_an_io_error(void **state) {
  (void)state;
  char *id = NULL;
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(
      aeh_image_inspect("aeromancy-no-such-engine", "x:y", &id, &err),
      AERO_E_IO);
  assert_non_null(strstr(err.message, "aeromancy-no-such-engine"));
  assert_null(id);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(context_is_what_the_image_builds, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(hash_follows_the_recipe, setup, teardown),
      cmocka_unit_test(a_missing_engine_is_an_io_error),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
