/* Reuse lookups (host/exec/reuse.c) on a real local store: a lookup that
 * fails for want of memory leaves no read transaction behind. The store's
 * backend keeps a matched lookup's read transaction open until the pending
 * reused runs are recorded; one left open with nothing pending would last
 * past the next wait, and every later read would see the store as it was.
 * The allocation of the pending run is made to fail through the linker
 * (-Wl,--wrap=aeh_reused_prepare, tests/CMakeLists.txt). */
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
#include "exec/exec.h"
#include "exec/executor.h"
#include "exec/placement.h"
#include "exec/reuse.h"
#include "exec/scheduler.h"
#include "graph.h"
#include "tracker.h"

/* How many of the next aeh_reused_prepare calls fail as out of memory. */
static int prepare_failures;

aero_status __real_aeh_reused_prepare(const aeh_run *preview,
                                      int64_t reused_run_id, aeh_reused *out,
                                      aero_error *err);
aero_status __wrap_aeh_reused_prepare(const aeh_run *preview,
                                      int64_t reused_run_id, aeh_reused *out,
                                      aero_error *err);
aero_status __wrap_aeh_reused_prepare(const aeh_run *preview,
                                      int64_t reused_run_id, aeh_reused *out,
                                      aero_error *err) {
  if (prepare_failures > 0) {
    prepare_failures--;
    *out = (aeh_reused){0};
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  }
  return __real_aeh_reused_prepare(preview, reused_run_id, out, err);
}

static aero_status declare(void *data, aero_tracker *tracker, aero_error *err) {
  (void)data;
  char path[512];
  snprintf(path, sizeof path, "%s/made.txt", aeh_tracker_workdir(tracker));
  FILE *f = fopen(path, "w");
  if (f == NULL)
    return aeh_error_set(err, AERO_E_IO, "cannot write %s", path);
  fputs("made\n", f);
  fclose(f);
  const char *files[] = {path};
  aero_output_desc desc =
      AERO_OUTPUT(.name = "made", .files = files, .file_count = 1);
  return aeh_tracker_declare_output(tracker, &desc, err);
}

typedef struct env {
  char dir[256];
  aeh_store *store;
  aeh_session session;
  aero_graph *graph;
} env;

static int setup(void **state) {
  env *e = calloc(1, sizeof *e);
  snprintf(e->dir, sizeof e->dir, "/tmp/test_reuse_lookup.XXXXXX");
  if (e == NULL || mkdtemp(e->dir) == NULL)
    return -1;
  aero_error err = AEH_ERROR_INIT;
  if (aeh_store_open(NULL, e->dir, &e->store, &err) != AERO_OK) {
    fprintf(stderr, "opening the store in %s: %s\n", e->dir, err.message);
    return -1;
  }
  e->session = (aeh_session){.entity = "", .project = "reusetest", .dev = true};
  e->graph = aeh_graph_new("reusetest");
  const char *outs[] = {"made"};
  aero_action_desc d = AERO_ACTION(.job_type = "make", .outputs = outs,
                                   .output_count = 1, .run = declare);
  if (aeh_graph_add(e->graph, &d, &err) != AERO_OK ||
      aeh_graph_validate(e->graph, &err) != AERO_OK) {
    fprintf(stderr, "the graph: %s\n", err.message);
    return -1;
  }
  *state = e;
  return 0;
}

static int teardown(void **state) {
  env *e = *state;
  aeh_graph_free(e->graph);
  aeh_store_close(e->store);
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->dir);
  int rc = system(cmd);
  free(e);
  return rc == 0 ? 0 : -1;
}

static const aeh_exec_options reusing = {.jobs = 1, .isolate = true};

/* The executor's state as aeh_execute makes it, for calls into reuse.c. */
static void exec_init(env *e, aeh_exec *ex) {
  *ex = (aeh_exec){.graph = e->graph,
                   .store = e->store,
                   .session = &e->session,
                   .opts = &reusing,
                   .place = &aeh_place_process,
                   .n = aeh_graph_count(e->graph),
                   .sig_r = -1,
                   .sig_w = -1,
                   .first_failure = AEH_EXEC_NONE};
  assert_true(aeh_sched_init(ex));
  ex->reuses = aeh_store_reuses(e->store);
  assert_true(ex->reuses);
}

static void sql(const env *e, const char *statement) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "sqlite3 -batch '%s/aeromancy.db' \"%s\"", e->dir,
           statement);
  assert_int_equal(system(cmd), 0);
}

static void lookup_failing_for_memory_leaves_no_stale_snapshot(void **state) {
  env *e = *state;
  /* A run of [make] that a later lookup matches. */
  assert_int_equal(aeh_execute(e->graph, e->store, &e->session, &reusing), 0);
  aeh_exec ex;
  exec_init(e, &ex);

  prepare_failures = 1;
  assert_false(aeh_reuse_try(&ex, 0)); /* it runs instead, with a warning */
  assert_int_equal(prepare_failures, 0);
  assert_int_equal(ex.pending_count, 0);
  aeh_reuse_flush(&ex); /* nothing pending: what the scheduler does next */

  /* Another process marks the run failed meanwhile: a read transaction
   * left open would still see it ok and reuse it. */
  sql(e, "UPDATE run_records SET status = 'failed'");
  assert_false(aeh_reuse_try(&ex, 0));
  assert_int_equal(ex.pending_count, 0);

  aeh_reuse_free(&ex);
  aeh_sched_free(&ex);
}

/* The control: without the failure the same lookup reuses the run. */
static void lookup_matches_the_ok_run(void **state) {
  env *e = *state;
  assert_int_equal(aeh_execute(e->graph, e->store, &e->session, &reusing), 0);
  aeh_exec ex;
  exec_init(e, &ex);
  assert_true(aeh_reuse_try(&ex, 0));
  assert_int_equal(ex.pending_count, 1);
  ex.reused = 1;
  aeh_reuse_flush(&ex);
  assert_false(ex.infra);
  assert_int_equal(ex.pending_count, 0);
  aeh_reuse_free(&ex);
  aeh_sched_free(&ex);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(lookup_matches_the_ok_run, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          lookup_failing_for_memory_leaves_no_stale_snapshot, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
