/* aeh_container_store_plan: what a production container gets of the store,
 * a folder or a team store (mounts, variables, names, network). */
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
#include <unistd.h>

#include "container_store.h"
#include "locate.h"

static char dir[PATH_MAX];

extern char **environ;

/* Unsets every AWS_* and PG* variable: the plan reads them. */
static void clear_store_env(void) {
  for (size_t i = 0; environ[i] != NULL;) {
    const char *e = environ[i];
    if (strncmp(e, "AWS_", 4) != 0 && strncmp(e, "PG", 2) != 0) {
      i++;
      continue;
    }
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(e, "="), e);
    unsetenv(name);
  }
}

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "%s/aero-cstore.XXXXXX",
           getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (mkdtemp(dir) == NULL)
    return -1;
  clear_store_env();
  setenv("HOME", dir, 1);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  aero_error err = AEH_ERROR_INIT;
  return aeh_remove_tree(dir, &err) == AERO_OK ? 0 : -1;
}

/* The mount whose target is `target`: its source and mode, or NULL. */
static const char *mount_source(const aeh_container_store *cs,
                                const char *target, const char **mode) {
  for (size_t i = 0; i + 2 < cs->mounts.n; i += 3)
    if (strcmp(cs->mounts.v[i + 1], target) == 0) {
      if (mode != NULL)
        *mode = cs->mounts.v[i + 2];
      return cs->mounts.v[i];
    }
  return NULL;
}

static void plan(const char *location, const char *backend, const char *blobs,
                 aeh_container_store *cs) {
  char cache[PATH_MAX + 8];
  snprintf(cache, sizeof cache, "%s/cache", dir);
  aero_error err = AEH_ERROR_INIT;
  aero_status st =
      aeh_container_store_plan(location, backend, blobs, cache, cs, &err);
  if (st != AERO_OK)
    fail_msg("plan failed: %s", err.message);
}

static void a_folder_is_mounted_at_the_store_path(void **state) {
  (void)state;
  char store[PATH_MAX + 8];
  snprintf(store, sizeof store, "%s/store", dir);
  setenv("AWS_SECRET_ACCESS_KEY", "not-for-a-folder", 1);
  aeh_container_store cs;
  plan(store, NULL, NULL, &cs);
  assert_false(cs.team);
  assert_false(cs.host_network);
  assert_string_equal(mount_source(&cs, AEH_IN_STORE, NULL), store);
  assert_true(aeh_strv_contains(&cs.sets, "AEROMANCY_STORE=" AEH_IN_STORE));
  assert_int_equal(cs.names.n, 0);
  assert_int_equal(access(store, F_OK), 0); /* created */
  aeh_container_store_free(&cs);
}

static void a_team_store_passes_settings_and_names_not_values(void **state) {
  (void)state;
  char sock[PATH_MAX + 8], url[2 * PATH_MAX], cache[PATH_MAX + 8];
  snprintf(sock, sizeof sock, "%s/pg", dir);
  snprintf(cache, sizeof cache, "%s/cache", dir);
  assert_int_equal(mkdir(sock, 0700), 0);
  snprintf(url, sizeof url, "postgresql://alice:pw@/team?host=%s", sock);
  setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "secret-value", 1);
  setenv("PGPASSWORD", "pg-secret", 1);
  setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000", 1);
  aeh_container_store cs;
  plan(url, "postgres", "s3://bucket/prefix", &cs);
  assert_true(cs.team);
  assert_null(mount_source(&cs, AEH_IN_STORE, NULL));
  const char *mode = NULL;
  assert_string_equal(mount_source(&cs, sock, &mode), sock);
  assert_string_equal(mode, "rw");
  assert_string_equal(mount_source(&cs, AEH_IN_CACHE, NULL), cache);
  assert_int_equal(access(cache, F_OK), 0);
  assert_true(aeh_strv_contains(&cs.sets, "AEROMANCY_BACKEND=postgres"));
  assert_true(
      aeh_strv_contains(&cs.sets, "AEROMANCY_BLOBS=s3://bucket/prefix"));
  assert_true(aeh_strv_contains(&cs.sets, "AEROMANCY_CACHE=" AEH_IN_CACHE));
  char store_set[2 * PATH_MAX + 32];
  snprintf(store_set, sizeof store_set, "AEROMANCY_STORE=%s", url);
  assert_true(aeh_strv_contains(&cs.sets, store_set));
  assert_true(aeh_strv_contains(&cs.names, "AWS_ACCESS_KEY_ID"));
  assert_true(aeh_strv_contains(&cs.names, "AWS_SECRET_ACCESS_KEY"));
  assert_true(aeh_strv_contains(&cs.names, "PGPASSWORD"));
  assert_true(aeh_strv_contains(&cs.names, "AWS_ENDPOINT_URL"));
  assert_false(aeh_strv_contains(&cs.names, "AWS_SESSION_TOKEN")); /* unset */
  for (size_t i = 0; i < cs.names.n; i++)
    assert_null(strchr(cs.names.v[i], '='));
  for (size_t i = 0; i < cs.sets.n; i++) {
    assert_null(strstr(cs.sets.v[i], "secret-value"));
    assert_null(strstr(cs.sets.v[i], "pg-secret"));
  }
  /* The socket is mounted; the object store is on the loopback. */
  assert_true(cs.host_network);
  assert_non_null(strstr(cs.why_network, "127.0.0.1"));
  aeh_container_store_free(&cs);
}

static void the_network_follows_the_hosts(void **state) {
  (void)state;
  aeh_container_store cs;
  plan("host=db.example.com dbname=team", "postgres", NULL, &cs);
  assert_true(cs.team);
  assert_false(cs.host_network);
  aeh_container_store_free(&cs);

  plan("postgresql://alice@localhost:5433/team", "postgres", NULL, &cs);
  assert_true(cs.host_network);
  assert_non_null(strstr(cs.why_network, "database on localhost"));
  aeh_container_store_free(&cs);

  plan("postgresql://alice@db1.example.com,127.0.0.2/team", NULL, NULL, &cs);
  assert_true(cs.host_network);
  aeh_container_store_free(&cs);

  setenv("PGHOST", "::1", 1);
  plan("dbname=team", NULL, NULL, &cs);
  assert_true(cs.host_network);
  aeh_container_store_free(&cs);
  unsetenv("PGHOST");

  setenv("AWS_ENDPOINT_URL", "https://minio.example.com:9000", 1);
  plan("postgresql://alice@db.example.com/team", NULL, NULL, &cs);
  assert_false(cs.host_network);
  aeh_container_store_free(&cs);
  setenv("AWS_ENDPOINT_URL", "http://other.example.com", 1);
  setenv("AWS_ENDPOINT_URL_S3", "http://[::1]:9000/", 1);
  plan("postgresql://alice@db.example.com/team", NULL, NULL, &cs);
  assert_true(cs.host_network);
  assert_non_null(strstr(cs.why_network, "object store on [::1]"));
  aeh_container_store_free(&cs);
}

static void libpq_files_are_mounted_read_only(void **state) {
  (void)state;
  char path[PATH_MAX + 16];
  snprintf(path, sizeof path, "%s/.pgpass", dir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("*:*:*:*:secret\n", f);
  fclose(f);
  aeh_container_store cs;
  plan("postgresql://alice@db.example.com/team", NULL, NULL, &cs);
  const char *mode = NULL;
  assert_string_equal(mount_source(&cs, AEH_IN_PG_FILES "/pgpass", &mode),
                      path);
  assert_string_equal(mode, "ro");
  assert_true(
      aeh_strv_contains(&cs.sets, "PGPASSFILE=" AEH_IN_PG_FILES "/pgpass"));
  aeh_container_store_free(&cs);
}

static void bad_locations_are_one_line_without_password(void **state) {
  (void)state;
  char cache[PATH_MAX + 8];
  snprintf(cache, sizeof cache, "%s/cache", dir);
  aeh_container_store cs;
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(
      aeh_container_store_plan("postgresql://u:hunter2@/db?host=/no/such/dir",
                               NULL, NULL, cache, &cs, &err),
      AERO_E_CONFIG);
  assert_non_null(strstr(err.message, "/no/such/dir"));
  assert_null(strstr(err.message, "hunter2"));
  err = (aero_error)AEH_ERROR_INIT;
  assert_int_equal(aeh_container_store_plan("postgresql://u:hunter2@/db?nope=1",
                                            NULL, NULL, cache, &cs, &err),
                   AERO_E_CONFIG);
  assert_non_null(strstr(err.message, "postgresql://u@/db"));
  assert_null(strstr(err.message, "hunter2"));
  assert_null(strchr(err.message, '\n'));
}

static void loopback_names_and_addresses(void **state) {
  (void)state;
  const char *const yes[] = {
      "localhost", "LOCALHOST", "127.0.0.1",   "127.1.2.3",
      "::1",       "[::1]",     "a.localhost", "::ffff:127.0.0.1"};
  const char *const no[] = {
      "db.example.com", "10.0.0.1", "128.0.0.1", "::2", "", "localhostx"};
  for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
    if (!aeh_host_is_loopback(yes[i]))
      fail_msg("%s is the loopback", yes[i]);
  for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
    if (aeh_host_is_loopback(no[i]))
      fail_msg("%s is not the loopback", no[i]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(a_folder_is_mounted_at_the_store_path,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          a_team_store_passes_settings_and_names_not_values, setup, teardown),
      cmocka_unit_test_setup_teardown(the_network_follows_the_hosts, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(libpq_files_are_mounted_read_only, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          bad_locations_are_one_line_without_password, setup, teardown),
      cmocka_unit_test(loopback_names_and_addresses),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
