/* How the Slurm executor reads the end of a job (host/exec/slurm_acct.c):
 * squeue's "STATE REASON", and sacct's answer for jobs squeue no longer
 * lists, as Slurm 22.05's sacct -n -P -X -o
 * JobID,State,ExitCode,Start,Reason writes it. The real sacct, on a cluster
 * with slurmdbd, is run by tests/cli/test_slurm_ends.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
  const char *text = "12|FAILED|3:0|2026-12-02T01:00:00|NonZeroExitCode\n"
                     "13|FAILED|0:9|2026-12-02T01:00:01|Dependency\n"
                     "14|CANCELLED by 0|0:0|Unknown|JobHeldUser\n"
                     "15|TIMEOUT|0:15|2026-12-02T01:00:02|None\n"
                     "16|OUT_OF_MEMORY|0:125|2026-12-02T01:00:03|None\n"
                     "17|RUNNING|0:0|2026-12-02T01:00:04|None\n"
                     "18|COMPLETED|0:0|2026-12-02T01:00:05|None";
  long ids[] = {18, 14, 99, 12, 13, 15, 16, 17};
  aeh_slurm_end e[8];
  memset(e, 'x', sizeof e);
  aeh_slurm_acct_parse(text, ids, 8, e);
  assert_string_equal(e[0].state, "COMPLETED");
  assert_string_equal(e[0].reason, "");
  assert_int_equal(e[0].exit_code, 0);
  assert_int_equal(e[0].signal, 0);
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

/* What is not sacct's line: nothing read from it, nothing overrun. */
static void sacct_noise(void **state) {
  (void)state;
  long ids[] = {12, 13};
  aeh_slurm_end e[2];
  aeh_slurm_acct_parse("12.batch|FAILED|0:9|Unknown|None\n"
                       "x|FAILED|1:0|Unknown|None\n"
                       "\n"
                       "13|FAILED\n"
                       "12|CANCELLED|0:0|None|"
                       "A reason longer than any Slurm gives, over the "
                       "hundred and sixty bytes of the field with what is "
                       "put before it: cut, never written past its end, "
                       "whatever sacct says.",
                       ids, 2, e);
  assert_string_equal(e[0].state, "CANCELLED");
  assert_int_equal(strlen(e[0].reason), sizeof e[0].reason - 1);
  assert_memory_equal(e[0].reason, "while pending: A reason", 23);
  /* No exit code: a state without it is no less an end. */
  assert_string_equal(e[1].state, "FAILED");
  assert_int_equal(e[1].exit_code, -1);
  assert_int_equal(e[1].signal, -1);
  aeh_slurm_acct_parse("", ids, 2, e);
  assert_string_equal(e[0].state, "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(squeue_line),
      cmocka_unit_test(sacct_answer),
      cmocka_unit_test(sacct_noise),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
