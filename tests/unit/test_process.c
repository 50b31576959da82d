/* Child processes of aerohost and the runner (host/proc/process.c):
 * captured output (with NULs) of any length, exit codes and signals, many
 * commands at once, a missing program, foreground pipelines, and
 * environments built for a child. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "process.h"

static void captures_stdout_with_nuls_and_stderr(void **state) {
  (void)state;
  char *const argv[] = {"sh", "-c", "printf 'a\\0b\\0'; echo oops >&2; exit 4",
                        NULL};
  aeh_spawn_out r = {0};
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_spawn_capture(argv, NULL, &r, &err), AERO_OK);
  assert_int_equal(r.code, 4);
  assert_int_equal(r.out_len, 4);
  assert_memory_equal(r.out, "a\0b\0", 4);
  assert_string_equal(r.err, "oops\n");
  aeh_spawn_out_free(&r);
}

/* Several MiB on both pipes at once (squeue over thousands of jobs):
 * kept whole, never cut at a buffer's size. */
static void long_output_is_kept_whole(void **state) {
  (void)state;
  char *const argv[] = {
      "sh", "-c",
      "head -c 5000000 /dev/zero | tr '\\0' x; echo end;"
      "head -c 3000000 /dev/zero | tr '\\0' y >&2; echo fin >&2",
      NULL};
  aeh_spawn_out r = {0};
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_spawn_capture(argv, NULL, &r, &err), AERO_OK);
  assert_int_equal(r.code, 0);
  assert_int_equal(r.out_len, 5000004);
  assert_int_equal(strspn(r.out, "x"), 5000000);
  assert_string_equal(r.out + 5000000, "end\n");
  assert_int_equal(strlen(r.err), 3000004);
  assert_string_equal(r.err + 3000000, "fin\n");
  aeh_spawn_out_free(&r);
}

static void a_signal_reads_as_128_plus_n(void **state) {
  (void)state;
  char *const argv[] = {"sh", "-c", "kill -TERM $$", NULL};
  aeh_spawn_out r = {0};
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_spawn_capture(argv, NULL, &r, &err), AERO_OK);
  assert_int_equal(r.code, 128 + 15);
  aeh_spawn_out_free(&r);
}

static void a_missing_program_is_named(void **state) {
  (void)state;
  char *const argv[] = {"aeromancy-no-such-program", NULL};
  aeh_spawn_out r = {0};
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_spawn_capture(argv, NULL, &r, &err), AERO_E_NOT_FOUND);
  assert_non_null(strstr(err.message, "aeromancy-no-such-program"));
  assert_null(r.out);
}

static void many_commands_run_at_once(void **state) {
  (void)state;
  /* Each sleeps 0.5 s: run one after another they would take 2 s. A big
   * output on one pipe must not block the others. */
  char *const a[] = {"sh", "-c", "sleep 0.5; echo one", NULL};
  char *const b[] = {"sh", "-c", "sleep 0.5; head -c 300000 /dev/zero", NULL};
  char *const c[] = {"sh", "-c", "sleep 0.5; echo three >&2; exit 3", NULL};
  char *const d[] = {"sh", "-c", "sleep 0.5", NULL};
  char *const *const argvs[] = {a, b, c, d};
  aeh_spawn_out r[4];
  aero_error err = AEH_ERROR_INIT;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  assert_int_equal(aeh_spawn_capture_all(argvs, 4, NULL, r, &err), AERO_OK);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double took =
      (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  assert_true(took < 1.5);
  assert_string_equal(r[0].out, "one\n");
  assert_int_equal(r[1].out_len, 300000);
  assert_int_equal(r[2].code, 3);
  assert_string_equal(r[2].err, "three\n");
  assert_int_equal(r[3].code, 0);
  for (int i = 0; i < 4; i++)
    aeh_spawn_out_free(&r[i]);
}

static void foreground_pipeline_gives_the_consumers_code(void **state) {
  (void)state;
  char *const producer[] = {"sh", "-c", "echo data", NULL};
  char *const consumer[] = {"sh", "-c", "read x; [ \"$x\" = data ] && exit 5",
                            NULL};
  aero_error err = AEH_ERROR_INIT;
  int code = -1;
  assert_int_equal(
      aeh_spawn_foreground(producer, consumer, NULL, true, &code, &err),
      AERO_OK);
  assert_int_equal(code, 5);
  char *const failing[] = {"sh", "-c", "exit 7", NULL};
  char *const cat[] = {"cat", NULL};
  assert_int_equal(aeh_spawn_foreground(failing, cat, NULL, true, &code, &err),
                   AERO_OK);
  assert_int_equal(code, 7);
  assert_int_equal(
      aeh_spawn_foreground(failing, NULL, NULL, false, &code, &err), AERO_OK);
  assert_int_equal(code, 7);
}

static void env_with_replaces_and_adds(void **state) {
  (void)state;
  char *base[] = {"A=1", "B=2", "AB=3", NULL};
  char *sets[] = {"B=two", "C=3"};
  char **env = aeh_spawn_env_with(base, sets, 2);
  assert_non_null(env);
  assert_string_equal(env[0], "A=1");
  assert_string_equal(env[1], "AB=3");
  assert_string_equal(env[2], "B=two");
  assert_string_equal(env[3], "C=3");
  assert_null(env[4]);
  free(env);
  /* The child sees it. */
  char *const argv[] = {"sh", "-c", "printf %s \"$B\"", NULL};
  char *envp[] = {"PATH=/usr/bin:/bin", "B=seen", NULL};
  aeh_spawn_out r = {0};
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_spawn_capture(argv, envp, &r, &err), AERO_OK);
  assert_string_equal(r.out, "seen");
  aeh_spawn_out_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(captures_stdout_with_nuls_and_stderr),
      cmocka_unit_test(long_output_is_kept_whole),
      cmocka_unit_test(a_signal_reads_as_128_plus_n),
      cmocka_unit_test(a_missing_program_is_named),
      cmocka_unit_test(many_commands_run_at_once),
      cmocka_unit_test(foreground_pipeline_gives_the_consumers_code),
      cmocka_unit_test(env_with_replaces_and_adds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
