/* What a Slurm job's aerohost is told of its reused parents
 * ($AEROMANCY_SLURM_INPUTS, host/exec/slurm_job.c): every parent, however
 * many (a value cut to a buffer left the rest to resolve to the latest
 * versions, not the ones their reused runs hold), read back as written; a
 * malformed value an error quoting where, never a partial reading. The
 * cluster itself runs in tests/cli/test_slurm.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "exec/exec.h"
#include "exec/made.h"
#include "exec/placement.h"
#include "exec/scheduler.h"
#include "exec/slurm_job.h"
#include "graph.h"

/* Parents of the fan-in: their entries alone run past 4,096 bytes. */
#define PARENTS 1000

static aero_status nothing(void *data, aero_tracker *tracker,
                           aero_error *err) {
  (void)data, (void)tracker, (void)err;
  return AERO_OK;
}

/* PARENTS independent actions, then one reading all of them. */
static aero_graph *fan_in(void) {
  aero_graph *g = aeh_graph_new("inputs");
  assert_non_null(g);
  static char names[PARENTS][16];
  static const char *parents[PARENTS];
  aero_error err = AEH_ERROR_INIT;
  for (size_t i = 0; i < PARENTS; i++) {
    snprintf(names[i], sizeof names[i], "p%zu", i);
    parents[i] = names[i];
    const char *outs[] = {names[i]};
    aero_action_desc d = AERO_ACTION(.job_type = "part", .outputs = outs,
                                     .output_count = 1, .run = nothing);
    assert_int_equal(aeh_graph_add(g, &d, &err), AERO_OK);
  }
  const char *outs[] = {"all"};
  aero_action_desc d = AERO_ACTION(
      .job_type = "join", .outputs = outs, .output_count = 1,
      .parents = parents, .parent_count = PARENTS, .run = nothing);
  assert_int_equal(aeh_graph_add(g, &d, &err), AERO_OK);
  assert_int_equal(aeh_graph_validate(g, &err), AERO_OK);
  return g;
}

typedef struct fixture {
  aero_graph *graph;
  aeh_exec_options opts;
  aeh_exec ex;
} fixture;

static void open_exec(fixture *f) {
  f->opts = (aeh_exec_options){.jobs = 1, .isolate = true};
  f->ex = (aeh_exec){.graph = f->graph,
                     .opts = &f->opts,
                     .place = &aeh_place_process,
                     .n = aeh_graph_count(f->graph),
                     .first_failure = AEH_EXEC_NONE,
                     .made = aeh_made_new(NULL, f->graph)};
  assert_non_null(f->ex.made);
  assert_true(aeh_sched_init(&f->ex));
}

static void close_exec(fixture *f) {
  aeh_sched_free(&f->ex);
  aeh_made_free(f->ex.made);
}

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  f->graph = fan_in();
  setenv("SLURM_JOB_ID", "7", 1);
  setenv("AEROMANCY_SLURM_ACTION", "1001", 1);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  aeh_graph_free(f->graph);
  free(f);
  unsetenv("AEROMANCY_SLURM_INPUTS");
  return 0;
}

/* The join's position and each part's, in run order. */
static size_t join_pos(const fixture *f) {
  for (size_t p = 0; p < f->ex.n; p++)
    if (strcmp(f->ex.nodes[p].action->job_type, "join") == 0)
      return p;
  fail_msg("no join");
  return 0;
}

static void every_reused_parent_reaches_the_job(void **state) {
  fixture *f = *state;
  open_exec(f);
  size_t join = join_pos(f);
  /* Every part reused from run 5000 + its position, but the last, which
   * its own job makes (no entry: it reads the latest). */
  size_t reused = 0;
  for (size_t p = 0; p < f->ex.n; p++)
    if (p != join && p + 2 != f->ex.n) {
      aeh_made_by(f->ex.made, f->ex.nodes[p].action, 5000 + (int64_t)p);
      reused++;
    }
  char *v = aeh_slurm_inputs_of(&f->ex, join);
  assert_non_null(v);
  assert_true(strlen(v) > 4096);
  const char *value = strchr(v, '=') + 1;
  size_t entries = 1;
  for (const char *c = value; *c; c++)
    entries += *c == ',';
  assert_int_equal(entries, reused);
  close_exec(f);

  /* The job's aerohost reads back each of them. */
  setenv("AEROMANCY_SLURM_INPUTS", value, 1);
  free(v);
  open_exec(f);
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_slurm_inputs_apply(&f->ex, &err), AERO_OK);
  for (size_t p = 0; p < f->ex.n; p++) {
    int64_t want = p == join || p + 2 == f->ex.n ? 0 : 5000 + (int64_t)p;
    assert_int_equal(aeh_made_run(f->ex.made, f->ex.nodes[p].action), want);
  }
  close_exec(f);
}

/* Each malformed value is refused whole, quoting where it goes wrong. */
static void malformed_value_is_an_error(void **state) {
  fixture *f = *state;
  static const char *const bad[][2] = {
      {"1:10,2:x", "malformed at '2:x'"},
      {"1:10,1002:3", "malformed at '1002:3'"},
      {"0:4", "malformed at '0:4'"},
      {"1:10,", "malformed at ','"},
      {"3:-1", "malformed at '3:-1'"},
      {"garbage", "malformed at 'garbage'"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    setenv("AEROMANCY_SLURM_INPUTS", bad[i][0], 1);
    open_exec(f);
    aero_error err = AEH_ERROR_INIT;
    assert_int_equal(aeh_slurm_inputs_apply(&f->ex, &err), AERO_E_INVALID);
    if (strstr(err.message, bad[i][1]) == NULL)
      fail_msg("'%s': %s", bad[i][0], err.message);
    assert_non_null(strstr(err.message, "$AEROMANCY_SLURM_INPUTS"));
    close_exec(f);
  }
  /* Outside a job the variable is not read. */
  unsetenv("SLURM_JOB_ID");
  open_exec(f);
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_slurm_inputs_apply(&f->ex, &err), AERO_OK);
  close_exec(f);
  setenv("SLURM_JOB_ID", "7", 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(every_reused_parent_reaches_the_job,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(malformed_value_is_an_error, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
