/* aeh_slurm_wrapper_write: the script each production Slurm job runs its
 * container through, run here with sh as a job's script runs it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "slurm_wrapper.h"

/* Runs `sh SCRIPT ENDS sh -c CHILD` as Slurm job 4242; its exit status. */
static int run_wrapper(const char *script, const char *ends,
                       const char *child) {
  char command[2048];
  snprintf(command, sizeof command, "SLURM_JOB_ID=4242 sh '%s' '%s' sh -c '%s'",
           script, ends, child);
  int status = system(command);
  assert_true(WIFEXITED(status));
  return WEXITSTATUS(status);
}

/* Job ids start again when slurmctld loses its state: the end record an
 * earlier job 4242 left is gone before this job's client starts, so that
 * its aerohost, interrupted, never reads another job's reason. The
 * client's exit status is the job's. */
static void stale_end_record_removed(void **state) {
  (void)state;
  char dir[] = "/tmp/aero-wrapper-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char *script = NULL, *ends = NULL;
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_slurm_wrapper_write(dir, &script, &ends, &err), AERO_OK);
  struct stat st;
  assert_int_equal(stat(ends, &st), 0);
  assert_true(S_ISDIR(st.st_mode));
  char stale[1024];
  snprintf(stale, sizeof stale, "%s/4242", ends);
  FILE *f = fopen(stale, "w");
  assert_non_null(f);
  fputs("JobId=4242 JobState=TIMEOUT Reason=TimeLimit\n", f);
  fclose(f);
  char child[1200];
  snprintf(child, sizeof child, "if [ -e %s ]; then exit 4; fi; exit 3", stale);
  assert_int_equal(run_wrapper(script, ends, child), 3);
  assert_int_not_equal(access(stale, F_OK), 0);
  /* Written whole again: the same paths, the same behaviour. */
  free(script);
  free(ends);
  assert_int_equal(aeh_slurm_wrapper_write(dir, &script, &ends, &err), AERO_OK);
  assert_int_equal(run_wrapper(script, ends, "exit 0"), 0);
  unlink(script);
  rmdir(ends);
  assert_int_equal(rmdir(dir), 0);
  free(script);
  free(ends);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(stale_end_record_removed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
