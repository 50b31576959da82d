/* The runtime environment: what the runner's variables become in the run
 * record, in dev and in production. */
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

#include "runtime_env.h"

static const char *const runner_vars[] = {
    "AEROMANCY_GIT_COMMIT",  "AEROMANCY_GIT_BRANCH", "AEROMANCY_GIT_MESSAGE",
    "AEROMANCY_GIT_REMOTE",  "AEROMANCY_IMAGE_ID",   "AEROMANCY_PACKAGES_FILE",
    "AEROMANCY_PASSTHROUGH",
};

static int clear_env(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof runner_vars / sizeof runner_vars[0]; i++)
    unsetenv(runner_vars[i]);
  return 0;
}

static const char *fact(const aeh_runtime_env *env, const char *key) {
  for (size_t i = 0; i < env->count; i++)
    if (strcmp(env->entries[i].key, key) == 0) {
      assert_int_equal(env->entries[i].value.type, AERO_VALUE_STRING);
      return env->entries[i].value.as.s;
    }
  return NULL;
}

static void test_prod_refuses_without_runner_env(void **state) {
  (void)state;
  aeh_runtime_env env = {0};
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(
      aeh_runtime_env_collect(false, NULL, NULL, 0, NULL, &env, &err),
      AERO_E_CONFIG);
  assert_string_equal(err.message,
                      "production run needs the runner's environment "
                      "(AEROMANCY_GIT_COMMIT is not set): run it with "
                      "`aeromancy go`, or pass --dev");
  assert_null(env.entries); /* not written on failure */

  setenv("AEROMANCY_GIT_COMMIT", "0123abcd", 1);
  assert_int_equal(
      aeh_runtime_env_collect(false, NULL, NULL, 0, NULL, &env, &err),
      AERO_E_CONFIG);
  assert_non_null(strstr(err.message, "AEROMANCY_IMAGE_ID is not set"));
  /* Set but empty counts as missing. */
  setenv("AEROMANCY_IMAGE_ID", "", 1);
  assert_int_equal(
      aeh_runtime_env_collect(false, NULL, NULL, 0, NULL, &env, &err),
      AERO_E_CONFIG);
}

static void test_prod_records_runner_facts(void **state) {
  (void)state;
  char packages[] = "/tmp/aero-pkgs-XXXXXX";
  int fd = mkstemp(packages);
  assert_true(fd >= 0);
  const char *list = "ii  libc6 2.36-9\nii  zlib1g 1:1.2.13\n";
  assert_int_equal(write(fd, list, strlen(list)), (ssize_t)strlen(list));
  close(fd);
  setenv("AEROMANCY_GIT_COMMIT", "0123abcd", 1);
  setenv("AEROMANCY_GIT_BRANCH", "feature", 1);
  setenv("AEROMANCY_GIT_MESSAGE", "Add things", 1);
  setenv("AEROMANCY_GIT_REMOTE", "git@example.org:x.git", 1);
  setenv("AEROMANCY_IMAGE_ID", "sha256:feed", 1);
  setenv("AEROMANCY_PACKAGES_FILE", packages, 1);
  setenv("AEROMANCY_PASSTHROUGH", " API_TOKEN, ,OTHER ", 1);
  setenv("API_TOKEN", "secret-value-never-recorded", 1);
  char *argv[] = {"aerohost", "run",       "p.so", "--",
                  "--note",   "two words", "it's"};
  aeh_runtime_env env = {0};
  aero_error err = AEH_ERROR_INIT;
  aero_status status = aeh_runtime_env_collect(false, "/plugins/p.so", "abc123",
                                               7, argv, &env, &err);
  unlink(packages);
  if (status != AERO_OK)
    fail_msg("%s", err.message);
  assert_string_equal(fact(&env, "git_commit"), "0123abcd");
  assert_string_equal(fact(&env, "git_branch"), "feature");
  assert_string_equal(fact(&env, "git_message"), "Add things");
  assert_string_equal(fact(&env, "git_remote"), "git@example.org:x.git");
  assert_string_equal(fact(&env, "image_id"), "sha256:feed");
  assert_string_equal(fact(&env, "packages"), list);
  assert_string_equal(fact(&env, "plugin_path"), "/plugins/p.so");
  assert_string_equal(fact(&env, "plugin_sha256"), "abc123");
  assert_string_equal(fact(&env, "host_version"), AERO_HOST_VERSION);
  assert_string_equal(fact(&env, "abi_version"), "1.7");
  char host[256];
  assert_int_equal(gethostname(host, sizeof host), 0);
  assert_string_equal(fact(&env, "hostname"), host);
  assert_string_equal(fact(&env, "command_line"),
                      "aerohost run p.so -- --note 'two words' 'it'\\''s'");
  /* Names only: the value of a passed-through variable is nowhere. */
  assert_string_equal(fact(&env, "passthrough_env"), "API_TOKEN,OTHER");
  for (size_t i = 0; i < env.count; i++)
    assert_null(strstr(env.entries[i].value.as.s, "secret-value"));
  aeh_runtime_env_free(&env);
  assert_null(env.entries);
  unsetenv("API_TOKEN");
}

static void test_dev_needs_nothing(void **state) {
  (void)state;
  aeh_runtime_env env = {0};
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(
      aeh_runtime_env_collect(true, "p.so", NULL, 0, NULL, &env, &err),
      AERO_OK);
  assert_null(fact(&env, "git_commit"));
  assert_null(fact(&env, "image_id"));
  assert_null(fact(&env, "packages"));
  assert_string_equal(fact(&env, "plugin_path"), "p.so");
  assert_string_equal(fact(&env, "passthrough_env"), "");
  aeh_runtime_env_free(&env);
  /* What the runner does set is recorded in dev too. */
  setenv("AEROMANCY_GIT_BRANCH", "wip", 1);
  assert_int_equal(
      aeh_runtime_env_collect(true, NULL, NULL, 0, NULL, &env, &err), AERO_OK);
  assert_string_equal(fact(&env, "git_branch"), "wip");
  aeh_runtime_env_free(&env);
}

static void test_unreadable_package_list(void **state) {
  (void)state;
  setenv("AEROMANCY_GIT_COMMIT", "0123abcd", 1);
  setenv("AEROMANCY_IMAGE_ID", "sha256:feed", 1);
  setenv("AEROMANCY_PACKAGES_FILE", "/nonexistent/packages.txt", 1);
  aeh_runtime_env env = {0};
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(
      aeh_runtime_env_collect(false, NULL, NULL, 0, NULL, &env, &err),
      AERO_E_CONFIG);
  assert_non_null(strstr(err.message, "/nonexistent/packages.txt"));
  assert_null(strchr(err.message, '\n'));
  assert_null(env.entries);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_prod_refuses_without_runner_env, clear_env),
      cmocka_unit_test_setup(test_prod_records_runner_facts, clear_env),
      cmocka_unit_test_setup(test_dev_needs_nothing, clear_env),
      cmocka_unit_test_setup(test_unreadable_package_list, clear_env),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
