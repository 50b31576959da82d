/* The Slurm placement's job scripts (host/exec/slurm_script.c): what a
 * script runs, run by sh, and a script that cannot be written refused with
 * its real cause. */
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

#include "exec/slurm_script.h"

typedef struct env {
  char dir[64];
} env;

static int setup(void **state) {
  env *e = calloc(1, sizeof *e);
  snprintf(e->dir, sizeof e->dir, "/tmp/test_slurm_script.XXXXXX");
  if (e == NULL || mkdtemp(e->dir) == NULL)
    return -1;
  *state = e;
  return 0;
}

static int teardown(void **state) {
  env *e = *state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->dir);
  int rc = system(cmd);
  free(e);
  return rc == 0 ? 0 : -1;
}

/* What the script of `path`, run by sh with `echo` as its command, prints. */
static void run_script(const char *path, char *out, size_t size) {
  char cmd[PATH_MAX + 16];
  snprintf(cmd, sizeof cmd, "sh '%s'", path);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  size_t n = fread(out, 1, size - 1, p);
  out[n] = '\0';
  assert_int_equal(pclose(p), 0);
}

static void the_command_stands_for_run_plugin(void **state) {
  env *e = *state;
  char *const command[] = {"echo", "in image:", "it's", NULL};
  char *const argv[] = {"aerohost", "run", "/x/p.so", "--only", "a b", NULL};
  char path[PATH_MAX], why[512] = "", out[256];
  assert_true(aeh_slurm_script_write(e->dir, 3, command, 5, argv, path,
                                     sizeof path, why, sizeof why));
  char want[PATH_MAX];
  snprintf(want, sizeof want, "%s/action-3.sh", e->dir);
  assert_string_equal(path, want);
  run_script(path, out, sizeof out);
  /* Every word whole, a quote in one too; the plugin is the command's. */
  assert_string_equal(out, "in image: it's --only a b\n");
}

static void without_a_command_it_runs_this_executable(void **state) {
  env *e = *state;
  char *const argv[] = {"aerohost", "run", "/x/p.so", NULL};
  char path[PATH_MAX], why[512] = "", text[PATH_MAX + 64] = "", exe[PATH_MAX];
  assert_true(aeh_slurm_script_write(e->dir, 1, NULL, 3, argv, path,
                                     sizeof path, why, sizeof why));
  ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  assert_true(len > 0);
  exe[len] = '\0';
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  size_t n = fread(text, 1, sizeof text - 1, f);
  text[n] = '\0';
  fclose(f);
  char want[PATH_MAX + 64];
  snprintf(want, sizeof want, "#!/bin/sh\nexec '%s' 'run' '/x/p.so'\n", exe);
  assert_string_equal(text, want);
}

static void a_command_line_not_run_plugin_is_named(void **state) {
  env *e = *state;
  char *const command[] = {"echo", NULL};
  char *const argv[] = {"aerohost", "describe", "/x/p.so", NULL};
  char path[PATH_MAX], why[512] = "", script[PATH_MAX];
  assert_false(aeh_slurm_script_write(e->dir, 1, command, 3, argv, path,
                                      sizeof path, why, sizeof why));
  assert_non_null(strstr(why, "$AEROMANCY_SLURM_JOB_COMMAND"));
  assert_non_null(strstr(why, "started as 'aerohost describe'"));
  assert_null(strstr(why, "cannot write"));
  assert_null(strchr(why, '\n'));
  snprintf(script, sizeof script, "%s/action-1.sh", e->dir);
  assert_int_equal(access(script, F_OK), -1);
  /* Too short to hold `run PLUGIN`: named as well. */
  assert_false(aeh_slurm_script_write(e->dir, 1, command, 2, argv, path,
                                      sizeof path, why, sizeof why));
  assert_non_null(strstr(why, "not 'run PLUGIN ...'"));
}

static void an_unwritable_folder_is_named_with_the_reason(void **state) {
  env *e = *state;
  char *const argv[] = {"aerohost", "run", "/x/p.so", NULL};
  char dir[128], path[PATH_MAX], why[512] = "";
  snprintf(dir, sizeof dir, "%s/missing", e->dir);
  assert_false(aeh_slurm_script_write(dir, 2, NULL, 3, argv, path, sizeof path,
                                      why, sizeof why));
  assert_non_null(strstr(why, "cannot write its job script"));
  assert_non_null(strstr(why, "/missing/action-2.sh"));
  assert_non_null(strstr(why, "No such file or directory"));
  assert_false(aeh_slurm_script_write(e->dir, 2, NULL, 3, argv, path, 8, why,
                                      sizeof why));
  assert_non_null(strstr(why, "path under"));
  assert_non_null(strstr(why, "is too long"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(the_command_stands_for_run_plugin, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(without_a_command_it_runs_this_executable,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(a_command_line_not_run_plugin_is_named,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          an_unwritable_folder_is_named_with_the_reason, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
