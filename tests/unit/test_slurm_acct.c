/* How the Slurm executor reads the end of a job (host/exec/slurm_acct.c):
 * squeue's "STATE REASON", and sacct's answer for jobs squeue no longer
 * lists, as Slurm 22.05's sacct -n -P -X -o
 * JobID,State,ExitCode,Submit,Start,Reason writes it with
 * SLURM_TIME_FORMAT=%s (Submit in Unix time). The real sacct, on a cluster
 * with slurmdbd, is run by tests/cli/test_slurm_ends.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec/slurm_acct.h"

static void squeue_line(void **state) {
  (void)state;
  aeh_slurm_end e;
  aeh_slurm_end_from_squeue("TIMEOUT TimeLimit", &e);
  assert_string_equal(e.state, "TIMEOUT");
  assert_string_equal(e.reason, "TimeLimit");
  assert_int_equal(e.exit_code, -1);
  assert_int_equal(e.signal, -1);
  aeh_slurm_end_from_squeue("COMPLETED None", &e);
  assert_string_equal(e.state, "COMPLETED");
  assert_string_equal(e.reason, "");
}

static void sacct_answer(void **state) {
  (void)state;
  /* Lines in sacct's order (by id), not the order asked in; a job asked
   * twice; one sacct does not know; one whose end the database has not
   * received yet. */
  const char *text =
      "12|FAILED|3:0|1796173200|1796173200|NonZeroExitCode\n"
      "13|FAILED|0:9|1796173200|1796173201|Dependency\n"
      "14|CANCELLED by 0|0:0|1796173200|Unknown|JobHeldUser\n"
      "15|TIMEOUT|0:15|1796173201|1796173202|None\n"
      "16|OUT_OF_MEMORY|0:125|1796173201|1796173203|None\n"
      "17|RUNNING|0:0|1796173201|1796173204|None\n"
      "18|COMPLETED|0:0|1796173202|1796173205|None";
  long ids[] = {18, 14, 99, 12, 13, 15, 16, 17};
  /* Each submitted at or after the time its submitter took. */
  time_t since[] = {1796173202, 1796173100, 1796173100, 1796173200,
                    1796173200, 1796173200, 1796173200, 1796173200};
  aeh_slurm_end e[8];
  memset(e, 'x', sizeof e);
  aeh_slurm_acct_parse(text, ids, since, 8, e);
  assert_string_equal(e[0].state, "COMPLETED");
  assert_string_equal(e[0].reason, "");
  assert_int_equal(e[0].exit_code, 0);
  assert_int_equal(e[0].signal, 0);
  assert_int_equal(e[0].submitted, 1796173202);
  /* What it waited for, said only of a job that never started: sacct's
   * Reason is no cause of an end (13 waited for its Dependency). */
  assert_string_equal(e[1].state, "CANCELLED");
  assert_string_equal(e[1].reason, "while pending: JobHeldUser");
  assert_string_equal(e[2].state, "");
  assert_int_equal(e[2].signal, -1);
  assert_string_equal(e[3].state, "FAILED");
  assert_string_equal(e[3].reason, "");
  assert_int_equal(e[3].exit_code, 3);
  assert_int_equal(e[3].signal, 0);
  assert_string_equal(e[4].state, "FAILED");
  assert_string_equal(e[4].reason, "");
  assert_int_equal(e[4].signal, 9);
  assert_string_equal(e[5].state, "TIMEOUT");
  assert_string_equal(e[5].reason, "");
  assert_int_equal(e[5].signal, 15);
  assert_string_equal(e[6].state, "OUT_OF_MEMORY");
  assert_string_equal(e[6].reason, "");
  assert_string_equal(e[7].state, "");
  assert_int_equal(e[7].exit_code, -1);
}

/* Slurm reused the ids (a controller that lost its state, a new cluster
 * on the same database): an older job's ended record is no answer for
 * ours, before or after ours in sacct's answer (sacct -D lists both; its
 * newest alone, without -D, is the older one while ours is not in the
 * database yet). */
static void sacct_reused_ids(void **state) {
  (void)state;
  const char *text =
      /* 21: the older job first, ours after it. */
      "21|COMPLETED|0:0|1700000000|1700000001|None\n"
      "21|FAILED|0:9|1796173300|1796173301|None\n"
      /* 22: ours first, the older job after it. */
      "22|FAILED|2:0|1796173300|1796173302|None\n"
      "22|COMPLETED|0:0|1796170000|1796170001|None\n"
      /* 23: only an older job's record (ours not in the database yet). */
      "23|COMPLETED|0:0|1796173299|1796173299|None\n"
      /* 24: ours not ended yet, an older job's end after it. */
      "24|RUNNING|0:0|1796173300|1796173303|None\n"
      "24|TIMEOUT|0:15|1796100000|1796100001|None\n"
      /* 25: an older job after ours, no submit time: unknown age. */
      "25|FAILED|3:0|1796173300|1796173304|None\n"
      "25|COMPLETED|0:0|Unknown|1796173305|None\n"
      /* 26: two records ours or later (a requeued job): the newest. */
      "26|NODE_FAIL|0:0|1796173310|1796173311|None\n"
      "26|COMPLETED|0:0|1796173400|1796173401|None\n"
      "26|FAILED|1:0|1796173350|1796173351|None\n";
  long ids[] = {21, 22, 23, 24, 25, 26};
  time_t since[] = {1796173300, 1796173300, 1796173300,
                    1796173300, 1796173300, 1796173300};
  aeh_slurm_end e[6];
  aeh_slurm_acct_parse(text, ids, since, 6, e);
  assert_string_equal(e[0].state, "FAILED");
  assert_int_equal(e[0].signal, 9);
  assert_int_equal(e[0].submitted, 1796173300);
  assert_string_equal(e[1].state, "FAILED");
  assert_int_equal(e[1].exit_code, 2);
  assert_string_equal(e[2].state, "");
  assert_int_equal(e[2].exit_code, -1);
  assert_string_equal(e[3].state, "");
  assert_int_equal(e[3].signal, -1);
  assert_string_equal(e[4].state, "FAILED");
  assert_int_equal(e[4].exit_code, 3);
  assert_string_equal(e[5].state, "COMPLETED");
  assert_int_equal(e[5].submitted, 1796173400);
  /* With no time to go by (0), any record will do: the newest. */
  time_t any[] = {0, 0, 0, 0, 0, 0};
  aeh_slurm_acct_parse(text, ids, any, 6, e);
  assert_string_equal(e[0].state, "FAILED");
  assert_string_equal(e[2].state, "COMPLETED");
}

/* What is not sacct's line: nothing read from it, nothing overrun. */
static void sacct_noise(void **state) {
  (void)state;
  long ids[] = {12, 13};
  time_t any[] = {0, 0};
  aeh_slurm_end e[2];
  aeh_slurm_acct_parse("12.batch|FAILED|0:9|1796173200|Unknown|None\n"
                       "x|FAILED|1:0|1796173200|Unknown|None\n"
                       "\n"
                       "13|FAILED\n"
                       "12|CANCELLED|0:0|1796173200|None|"
                       "A reason longer than any Slurm gives, over the "
                       "hundred and sixty bytes of the field with what is "
                       "put before it: cut, never written past its end, "
                       "whatever sacct says.",
                       ids, any, 2, e);
  assert_string_equal(e[0].state, "CANCELLED");
  assert_int_equal(strlen(e[0].reason), sizeof e[0].reason - 1);
  assert_memory_equal(e[0].reason, "while pending: A reason", 23);
  /* No exit code: a state without it is no less an end. */
  assert_string_equal(e[1].state, "FAILED");
  assert_int_equal(e[1].exit_code, -1);
  assert_int_equal(e[1].signal, -1);
  /* 13's line holds no submit time: no answer when one is asked for. */
  time_t since[] = {1796173200, 1796173200};
  aeh_slurm_acct_parse("13|FAILED\n", ids, since, 2, e);
  assert_string_equal(e[1].state, "");
  aeh_slurm_acct_parse("", ids, any, 2, e);
  assert_string_equal(e[0].state, "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(squeue_line),
      cmocka_unit_test(sacct_answer),
      cmocka_unit_test(sacct_reused_ids),
      cmocka_unit_test(sacct_noise),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
