/* aeh_project_load: the runner's view of aeromancy.ini, with every bad
 * input reported as FILE[:LINE]. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "locate.h"
#include "project.h"

static char dir[PATH_MAX];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "%s/aero-project.XXXXXX",
           getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (mkdtemp(dir) == NULL)
    return -1;
  unsetenv("AEROMANCY_CONFIG");
  unsetenv("AEROMANCY_STORE");
  unsetenv("AEROMANCY_ENGINE");
  unsetenv("AEROMANCY_BASE_IMAGE");
  unsetenv("XDG_DATA_HOME");
  setenv("HOME", dir, 1);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  aero_error err = AEH_ERROR_INIT;
  return aeh_remove_tree(dir, &err) == AERO_OK ? 0 : -1;
}

static void write_ini(const char *text) {
  char path[PATH_MAX + 16];
  snprintf(path, sizeof path, "%s/aeromancy.ini", dir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void expect_error(const char *text, const char *fragment) {
  aeh_project p = {0};
  aero_error err = AEH_ERROR_INIT;
  write_ini(text);
  assert_int_equal(aeh_project_load(dir, true, &p, &err), AERO_E_CONFIG);
  if (strstr(err.message, fragment) == NULL)
    fail_msg("'%s' lacks '%s'", err.message, fragment);
  assert_null(strchr(err.message, '\n'));
}

static void full_file_is_read(void **state) {
  (void)state;
  aeh_project p = {0};
  aero_error err = AEH_ERROR_INIT;
  write_ini("[project]\nname = demo\n"
            "[build]\nsystem = cmake\ntarget = demo_plugin\n"
            "[container]\nengine = podman\nimage = my-host\n"
            "base_image = local:12\nrun_args = -v \"/a b:/data:ro\" --x\n"
            "debian_packages = libgsl-dev, gnuplot  zlib1g-dev\n"
            "[env]\npassthrough = API_KEY,CUDA_VISIBLE_DEVICES\n"
            "[store]\npath = runs\n[git]\nallow_main = yes\n"
            "[flags]\nepochs = 3\n");
  assert_int_equal(aeh_project_load(dir, true, &p, &err), AERO_OK);
  assert_string_equal(p.name, "demo");
  assert_string_equal(p.target, "demo_plugin");
  assert_string_equal(p.engine, "podman");
  assert_string_equal(p.image_repo, "my-host");
  assert_string_equal(p.base_image, "local:12");
  assert_int_equal(p.run_args.n, 3);
  assert_string_equal(p.run_args.v[1], "/a b:/data:ro");
  assert_int_equal(p.debian_packages.n, 3);
  assert_string_equal(p.debian_packages.v[2], "zlib1g-dev");
  assert_int_equal(p.passthrough.n, 2);
  assert_string_equal(p.passthrough.v[1], "CUDA_VISIBLE_DEVICES");
  char store[PATH_MAX + 8];
  snprintf(store, sizeof store, "%s/runs", dir);
  assert_string_equal(p.store, store);
  assert_true(p.allow_main);
  aeh_project_free(&p);
}

static void defaults_and_environment(void **state) {
  (void)state;
  aeh_project p = {0};
  aero_error err = AEH_ERROR_INIT;
  write_ini("[project]\nname = demo\n");
  assert_int_equal(aeh_project_load(dir, true, &p, &err), AERO_OK);
  assert_null(p.target); /* the build's one plugin target */
  assert_string_equal(p.engine, "docker");
  assert_string_equal(p.image_repo, "aeromancy-host");
  assert_null(p.base_image);
  assert_false(p.allow_main);
  char store[PATH_MAX + 32];
  snprintf(store, sizeof store, "%s/.local/share/aeromancy", dir);
  assert_string_equal(p.store, store);
  aeh_project_free(&p);

  /* The same default as aerohost's: XDG_DATA_HOME first. */
  setenv("XDG_DATA_HOME", "/srv/xdg", 1);
  assert_int_equal(aeh_project_load(dir, true, &p, &err), AERO_OK);
  assert_string_equal(p.store, "/srv/xdg/aeromancy");
  aeh_project_free(&p);
  unsetenv("XDG_DATA_HOME");

  setenv("AEROMANCY_STORE", "/srv/store", 1);
  setenv("AEROMANCY_BASE_IMAGE", "aeromancy-base:bookworm", 1);
  assert_int_equal(aeh_project_load(dir, true, &p, &err), AERO_OK);
  assert_string_equal(p.store, "/srv/store");
  assert_string_equal(p.base_image, "aeromancy-base:bookworm");
  aeh_project_free(&p);
  unsetenv("AEROMANCY_STORE");
  unsetenv("AEROMANCY_BASE_IMAGE");
}

static void missing_file_is_a_config_error(void **state) {
  (void)state;
  aeh_project p = {0};
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_project_load(dir, true, &p, &err), AERO_E_CONFIG);
  assert_non_null(strstr(err.message, "aeromancy.ini"));
  assert_non_null(strstr(err.message, "no such file"));
  /* `aeromancy image` works without one. */
  assert_int_equal(aeh_project_load(dir, false, &p, &err), AERO_OK);
  assert_string_equal(p.engine, "docker");
  aeh_project_free(&p);
}

static void bad_values_name_file_and_line(void **state) {
  (void)state;
  expect_error("[project]\nname = x\n[container]\nrun_arg = -v a\n",
               "aeromancy.ini:4: unknown key 'run_arg' in [container]");
  expect_error("[project]\nname = x\nthis is not ini\n",
               "aeromancy.ini:3: malformed line");
  expect_error("[container]\nengine = lxc\n",
               "aeromancy.ini:2: container engine 'lxc'");
  expect_error("[build]\nsystem = make\n", "aeromancy.ini:2: [build] system");
  expect_error("[git]\nallow_main = perhaps\n",
               "aeromancy.ini:2: [git] allow_main = perhaps");
  expect_error("\n[env]\npassthrough = OK, 1BAD\n",
               "aeromancy.ini:3: [env] passthrough: '1BAD'");
  expect_error("[container]\ndebian_packages = Bad_Name\n",
               "aeromancy.ini:2: [container] debian_packages: 'Bad_Name'");
  expect_error("[container]\nrun_args = -v 'unterminated\n",
               "aeromancy.ini:2: [container] run_args");
  expect_error("[project]\nname = no/slash\n", "aeromancy.ini:2:");
  expect_error("[build]\n\ntarget = a b\n",
               "aeromancy.ini:3: [build] target = 'a b'");
  expect_error("[build]\ntarget =\n", "aeromancy.ini:2: [build] target is "
                                      "empty");
}

static void names_are_checked(void **state) {
  (void)state;
  assert_true(aeh_project_valid_env_name("_A1"));
  assert_false(aeh_project_valid_env_name("A-B"));
  assert_false(aeh_project_valid_env_name("A=1"));
  assert_false(aeh_project_valid_env_name(""));
  assert_true(aeh_project_valid_package("g++"));
  assert_true(aeh_project_valid_package("libc6=2.36-9"));
  assert_false(aeh_project_valid_package("x"));
  assert_false(aeh_project_valid_package("a;rm"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(full_file_is_read, setup, teardown),
      cmocka_unit_test_setup_teardown(defaults_and_environment, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(missing_file_is_a_config_error, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(bad_values_name_file_and_line, setup,
                                      teardown),
      cmocka_unit_test(names_are_checked),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
