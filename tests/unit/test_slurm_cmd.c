/* Slurm's commands as the Slurm executor runs them (aeh_spawn_check of
 * host/proc/process.c, slurm_job.c), with the real Slurm clients: output of any
 * length kept whole, a failure's one-line reason, and a job's end that scontrol
 * cannot give read as an error, never as "no signal". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "exec/slurm_job.h"
#include "process.h"

static void long_output_is_not_cut(void **state) {
  (void)state;
  /* 1.3 MiB: more than the 1 MiB an earlier copy of the spawner kept. */
  char *const argv[] = {"awk",
                        "BEGIN { for (i = 0; i < 60000; i++) "
                        "print i \" PENDING Dependency\" }",
                        NULL};
  aeh_spawn_out out;
  char why[256];
  assert_true(aeh_spawn_check(argv, NULL, &out, why, sizeof why));
  assert_true(out.out_len > (1 << 20));
  assert_non_null(strstr(out.out, "\n59999 PENDING Dependency\n"));
  aeh_spawn_out_free(&out);
}

static void a_failure_gives_its_first_line(void **state) {
  (void)state;
  char *const argv[] = {"sh", "-c",
                        "echo out; echo 'sbatch: error: no'>&2;"
                        "echo more >&2; exit 1",
                        NULL};
  aeh_spawn_out out;
  char why[256];
  assert_false(aeh_spawn_check(argv, NULL, &out, why, sizeof why));
  assert_string_equal(why, "sbatch: error: no");
  aeh_spawn_out_free(&out);
  char *const silent[] = {"sh", "-c", "exit 3", NULL};
  assert_false(aeh_spawn_check(silent, NULL, &out, why, sizeof why));
  assert_string_equal(why, "sh exited with code 3");
  aeh_spawn_out_free(&out);
  char *const missing[] = {"aeromancy-no-such-sbatch", NULL};
  assert_false(aeh_spawn_check(missing, NULL, &out, why, sizeof why));
  assert_non_null(strstr(why, "aeromancy-no-such-sbatch"));
  aeh_spawn_out_free(&out);
}

/* scontrol that cannot answer (here: an unusable slurm.conf, which the
 * real scontrol refuses at once) is an error naming the job and
 * scontrol's reason, not a job that ended without a signal. */
static void a_failed_lookup_of_the_signal_is_an_error(void **state) {
  (void)state;
  char conf[] = "/tmp/aero-slurm-conf-XXXXXX";
  int fd = mkstemp(conf);
  assert_true(fd >= 0);
  close(fd);
  assert_int_equal(setenv("SLURM_CONF", conf, 1), 0);
  int sig = -7;
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_slurm_job_signal(4242, &sig, &err), AERO_E_IO);
  assert_int_equal(sig, -7);
  assert_non_null(strstr(err.message, "scontrol show job 4242: "));
  assert_non_null(strstr(err.message, "is empty"));
  /* Nor is it a purged job. */
  assert_false(aeh_slurm_job_gone(4242));
  unsetenv("SLURM_CONF");
  unlink(conf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(long_output_is_not_cut),
      cmocka_unit_test(a_failure_gives_its_first_line),
      cmocka_unit_test(a_failed_lookup_of_the_signal_is_an_error),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
