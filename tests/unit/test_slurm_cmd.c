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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
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

/* A production job's aerohost (in a container without scontrol) reads why
 * Slurm ends its job from the file its wrapper writes: only when a signal
 * interrupted its action, waiting for a file that comes late, and never
 * taking an answer that is not a record for one. */
static char ends[] = "/tmp/aero-slurm-ends-XXXXXX";

static void put_end(const char *text) {
  char tmp[sizeof ends + 16], path[sizeof ends + 16];
  snprintf(tmp, sizeof tmp, "%s/77.part", ends);
  snprintf(path, sizeof path, "%s/77", ends);
  FILE *f = fopen(tmp, "w");
  assert_non_null(f);
  fputs(text, f);
  assert_int_equal(fclose(f), 0);
  assert_int_equal(rename(tmp, path), 0);
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static const char timeout_record[] =
    "JobId=77 JobName=aero [train] model JobState=COMPLETING "
    "Reason=TimeLimit StdOut=/nowhere/77.out\n"
    "slurmstepd: error: *** JOB 77 ON n CANCELLED AT 2026-12-02T01:04:29 "
    "DUE TO TIME LIMIT ***\n";

static void the_wrappers_word_on_the_end(void **state) {
  (void)state;
  assert_non_null(mkdtemp(ends));
  setenv("SLURM_JOB_ID", "77", 1);
  setenv("AEROMANCY_SLURM_ACTION", "2", 1);
  setenv("AEROMANCY_SLURM_END_DIR", ends, 1);
  char msg[256];
  aero_run_outcome o = {.state = AERO_RUN_KILLED};

  /* The wrapper writes it a little after the container got the signal. */
  pid_t writer = fork();
  assert_true(writer >= 0);
  if (writer == 0) {
    usleep(300000);
    put_end(timeout_record);
    _exit(0);
  }
  double t0 = now_s();
  assert_true(aeh_slurm_job_ending(&o, true, msg, sizeof msg));
  assert_true(now_s() - t0 < 1.5);
  assert_int_equal(o.state, AERO_RUN_TIMED_OUT);
  assert_string_equal(o.message,
                      "Slurm job 77 reached its time limit (TimeLimit)");
  waitpid(writer, NULL, 0);

  /* An action that failed on its own: no wait, no rewrite. */
  o = (aero_run_outcome){.state = AERO_RUN_FAILED};
  assert_false(aeh_slurm_job_ending(&o, false, msg, sizeof msg));
  assert_int_equal(o.state, AERO_RUN_FAILED);

  put_end("JobId=77 JobState=CANCELLED Reason=None StdOut=/nowhere\n"
          "slurmstepd: error: *** JOB 77 ON n CANCELLED AT 2026-12-02T01:04:29 "
          "DUE TO PREEMPTION ***\n");
  assert_true(aeh_slurm_job_ending(&o, true, msg, sizeof msg));
  assert_int_equal(o.state, AERO_RUN_KILLED);
  assert_string_equal(o.message,
                      "Slurm job 77 was cancelled due to preemption");

  /* Signalled without being ended (scancel --signal=TERM), and scontrol's
   * error in place of a record: the signal stands. */
  o = (aero_run_outcome){.state = AERO_RUN_KILLED};
  put_end("JobId=77 JobState=RUNNING Reason=None\n");
  assert_false(aeh_slurm_job_ending(&o, true, msg, sizeof msg));
  put_end("slurm_load_jobs error: Socket timed out on send/recv operation\n");
  assert_false(aeh_slurm_job_ending(&o, true, msg, sizeof msg));
  assert_int_equal(o.state, AERO_RUN_KILLED);

  /* No file at all: given up after a bounded wait. */
  char path[sizeof ends + 16];
  snprintf(path, sizeof path, "%s/77", ends);
  unlink(path);
  t0 = now_s();
  assert_false(aeh_slurm_job_ending(&o, true, msg, sizeof msg));
  double waited = now_s() - t0;
  assert_true(waited > 1.5 && waited < 10);
  assert_int_equal(rmdir(ends), 0);
  unsetenv("AEROMANCY_SLURM_END_DIR");
  unsetenv("AEROMANCY_SLURM_ACTION");
  unsetenv("SLURM_JOB_ID");
}

/* Where inotify cannot watch the folder (here: not there yet; on a node,
 * the user's inotify instances used up) the wait is no shorter: the file
 * that comes late is found, and the warning's "within 2 s" is true. */
static void the_wrappers_word_without_inotify(void **state) {
  (void)state;
  char base[] = "/tmp/aero-slurm-ends-XXXXXX", dir[64], path[80], tmp[80];
  assert_non_null(mkdtemp(base));
  snprintf(dir, sizeof dir, "%s/later", base);
  snprintf(path, sizeof path, "%s/78", dir);
  snprintf(tmp, sizeof tmp, "%s/78.part", base);
  setenv("SLURM_JOB_ID", "78", 1);
  setenv("AEROMANCY_SLURM_ACTION", "2", 1);
  setenv("AEROMANCY_SLURM_END_DIR", dir, 1);
  char msg[256];
  aero_run_outcome o = {.state = AERO_RUN_KILLED};
  pid_t writer = fork();
  assert_true(writer >= 0);
  if (writer == 0) {
    usleep(300000);
    FILE *f = fopen(tmp, "w");
    if (f == NULL || fputs(timeout_record, f) < 0 || fclose(f) != 0 ||
        mkdir(dir, 0700) != 0 || rename(tmp, path) != 0)
      _exit(1);
    _exit(0);
  }
  double t0 = now_s();
  assert_true(aeh_slurm_job_ending(&o, true, msg, sizeof msg));
  assert_true(now_s() - t0 < 1.5);
  assert_int_equal(o.state, AERO_RUN_TIMED_OUT);
  int status = -1;
  waitpid(writer, &status, 0);
  assert_int_equal(status, 0);
  /* And none at all: given up after the same bounded wait. */
  assert_int_equal(unlink(path), 0);
  assert_int_equal(rmdir(dir), 0);
  t0 = now_s();
  assert_false(aeh_slurm_job_ending(&o, true, msg, sizeof msg));
  double waited = now_s() - t0;
  assert_true(waited > 1.5 && waited < 10);
  assert_int_equal(rmdir(base), 0);
  unsetenv("AEROMANCY_SLURM_END_DIR");
  unsetenv("AEROMANCY_SLURM_ACTION");
  unsetenv("SLURM_JOB_ID");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(long_output_is_not_cut),
      cmocka_unit_test(a_failure_gives_its_first_line),
      cmocka_unit_test(a_failed_lookup_of_the_signal_is_an_error),
      cmocka_unit_test(the_wrappers_word_on_the_end),
      cmocka_unit_test(the_wrappers_word_without_inotify),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
