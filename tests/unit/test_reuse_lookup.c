/* Reuse lookups (host/exec/reuse.c) on a real local store: a lookup that
 * fails for want of memory leaves no read transaction behind; a batch of
 * reused runs that fails to record is neither counted nor half kept.
 * Those two cases also run on the team store (tracker-postgres) when
 * AERO_TEST_BACKEND=postgres, one case at a time by AERO_TEST_ONLY, from
 * tests/unit/on_team_store.sh, which starts the servers. The
 * store's backend keeps a matched lookup's read transaction open until the
 * pending reused runs are recorded; one left open with nothing pending would
 * last past the next wait, and every later read would see the store as it was.
 * The allocation of the pending run is made to fail through the linker
 * (-Wl,--wrap=aeh_reused_prepare, tests/CMakeLists.txt). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
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
#include "store.h"
#include "tracker.h"

/* How many of the next aeh_reused_prepare calls fail as out of memory. */
static int prepare_failures;

/* The wrapped functions' parameters, once for the three declarations each
 * (-Wmissing-prototypes wants the wrapper declared before it). */
#define PREPARE_PARAMS                                                         \
  const aeh_run *preview, int64_t reused_run_id, aeh_reused *out,              \
      aero_error *err
#define FIND_BATCH_PARAMS                                                      \
  aeh_store *store, const aeh_session *session, const aeh_reuse_ask *asks,     \
      size_t count, aero_reuse_match *matches, aero_error *err

aero_status __real_aeh_reused_prepare(PREPARE_PARAMS);
aero_status __wrap_aeh_reused_prepare(PREPARE_PARAMS);
aero_status __wrap_aeh_reused_prepare(PREPARE_PARAMS) {
  if (prepare_failures > 0) {
    prepare_failures--;
    *out = (aeh_reused){0};
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  }
  return __real_aeh_reused_prepare(preview, reused_run_id, out, err);
}

/* The store's batch lookups, as the executor asks them: checked against
 * the order actions are placed in (wide_rerun_asks_the_next_actions). */
static bool watch_batches;
static size_t asked_so_far; /* actions asked, over all batches */
static size_t batch_calls;
static bool batch_out_of_order;

aero_status __real_aeh_reuse_find_batch(FIND_BATCH_PARAMS);
aero_status __wrap_aeh_reuse_find_batch(FIND_BATCH_PARAMS);
aero_status __wrap_aeh_reuse_find_batch(FIND_BATCH_PARAMS) {
  if (watch_batches) {
    batch_calls++;
    /* Action i outputs "o<i>": each batch asks the next ones, in order. */
    for (size_t i = 0; i < count; i++) {
      char want[32];
      snprintf(want, sizeof want, "o%zu", asked_so_far + i);
      if (strcmp(asks[i].action->outputs[0], want) != 0)
        batch_out_of_order = true;
    }
    asked_so_far += count;
  }
  return __real_aeh_reuse_find_batch(store, session, asks, count, matches,
                                     err);
}

/* Declares the output named `data` (a static string), one file. */
static aero_status declare(void *data, aero_tracker *tracker, aero_error *err) {
  const char *name = data;
  char path[512];
  snprintf(path, sizeof path, "%s/%s.txt", aeh_tracker_workdir(tracker), name);
  FILE *f = fopen(path, "w");
  if (f == NULL)
    return aeh_error_set(err, AERO_E_IO, "cannot write %s", path);
  fputs("made\n", f);
  fclose(f);
  const char *files[] = {path};
  aero_output_desc desc =
      AERO_OUTPUT(.name = name, .files = files, .file_count = 1);
  return aeh_tracker_declare_output(tracker, &desc, err);
}

typedef struct env {
  char dir[256];
  bool team; /* the store is $AEROMANCY_STORE, a tracker-postgres one */
  aeh_store *store;
  aeh_session session;
  aero_graph *graph;
} env;

/* A store in a new folder and a graph of `actions` independent actions,
 * [make] made, then [make2] made2. */
static int setup_with(void **state, int actions) {
  env *e = calloc(1, sizeof *e);
  snprintf(e->dir, sizeof e->dir, "/tmp/test_reuse_lookup.XXXXXX");
  if (e == NULL || mkdtemp(e->dir) == NULL)
    return -1;
  aero_error err = AEH_ERROR_INIT;
  const char *backend = getenv("AERO_TEST_BACKEND");
  e->team = backend != NULL && strcmp(backend, "postgres") == 0;
  if (aeh_store_open(NULL, e->team ? NULL : e->dir, &e->store, &err) !=
      AERO_OK) {
    fprintf(stderr, "opening the store in %s: %s\n", e->dir, err.message);
    return -1;
  }
  e->session = (aeh_session){.entity = "", .project = "reusetest", .dev = true};
  e->graph = aeh_graph_new("reusetest");
  static const char *const jobs[] = {"make", "make2"};
  static const char *const outs[][1] = {{"made"}, {"made2"}};
  for (int i = 0; i < actions; i++) {
    aero_action_desc d =
        AERO_ACTION(.job_type = jobs[i], .outputs = outs[i], .output_count = 1,
                    .run = declare, .data = (void *)outs[i][0]);
    if (aeh_graph_add(e->graph, &d, &err) != AERO_OK) {
      fprintf(stderr, "the graph: %s\n", err.message);
      return -1;
    }
  }
  if (aeh_graph_validate(e->graph, &err) != AERO_OK) {
    fprintf(stderr, "the graph: %s\n", err.message);
    return -1;
  }
  *state = e;
  return 0;
}

/* A store and a graph of WIDE independent actions, "o0" to "o2099": more
 * than two batches of lookups (AEH_LOOK_AHEAD_MAX, 1,024). */
enum { WIDE = 2100 };
static int setup_wide(void **state) {
  if (setup_with(state, 0) != 0)
    return -1;
  env *e = *state;
  static char names[WIDE][8];
  for (int i = 0; i < WIDE; i++) {
    snprintf(names[i], sizeof names[i], "o%d", i);
    const char *outs[] = {names[i]};
    aero_action_desc d =
        AERO_ACTION(.job_type = "wide", .outputs = outs, .output_count = 1,
                    .run = declare, .data = names[i]);
    aero_error err = AEH_ERROR_INIT;
    if (aeh_graph_add(e->graph, &d, &err) != AERO_OK) {
      fprintf(stderr, "the graph: %s\n", err.message);
      return -1;
    }
  }
  aero_error err = AEH_ERROR_INIT;
  return aeh_graph_validate(e->graph, &err) == AERO_OK ? 0 : -1;
}

static int setup(void **state) {
  return setup_with(state, 1);
}
static int setup_two(void **state) {
  return setup_with(state, 2);
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

/* The shell command running `statement` on the store's database. */
static void sql_command(const env *e, const char *statement, char *cmd,
                        size_t size) {
  if (e->team)
    snprintf(cmd, size,
             "\"$AERO_PG_BIN/psql\" -X -q -A -t -v ON_ERROR_STOP=1 "
             "\"$AERO_PG_URL\" -c \"%s\"",
             statement);
  else
    snprintf(cmd, size, "sqlite3 -batch '%s/aeromancy.db' \"%s\"", e->dir,
             statement);
}

static void sql(const env *e, const char *statement) {
  char cmd[1024];
  sql_command(e, statement, cmd, sizeof cmd);
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

/* The output of a query of the store by the sqlite3 shell. */
static long long sql_number(const env *e, const char *query) {
  char cmd[1024];
  sql_command(e, query, cmd, sizeof cmd);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  long long n = -1;
  assert_int_equal(fscanf(p, "%lld", &n), 1);
  assert_int_equal(pclose(p), 0);
  return n;
}

#define BATCH                                                                  \
  40 /* two of tracker-local's chunks (32 runs each), the second               \
        not full */

/* The record of a reused run of [make] made, for the batches below. */
static const char *const made_outputs[] = {"made"};
static const aero_run_record made_record = {.struct_size = sizeof made_record,
                                            .entity = "",
                                            .project = "reusetest",
                                            .job_type = "make",
                                            .outputs = made_outputs,
                                            .output_count = 1,
                                            .dev = true};

/* Calls the store's reuse_record_batch for BATCH reused runs of run 1,
 * item `bad` standing for a run that is not a successful one (-1: none). */
static aero_status record_batch(env *e, aero_reuse_item *items, int bad,
                                aero_error *err) {
  for (int i = 0; i < BATCH; i++)
    items[i] = (aero_reuse_item){.struct_size = sizeof *items,
                                 .record = &made_record,
                                 .reused_run_id = i == bad ? 999 : 1,
                                 .run_id = -7};
  void *handle = NULL;
  assert_int_equal(aeh_store_handle(e->store, &handle, err), AERO_OK);
  return aeh_store_backend(e->store)->reuse_record_batch(handle, items, BATCH,
                                                         err);
}

/* A batch whose second chunk fails (its transaction rolled back after the
 * first chunk's rows were written and numbered) hands back no run id: a
 * caller counting the items with one as recorded counts none. */
static void batch_failing_late_hands_back_no_run_ids(void **state) {
  env *e = *state;
  assert_int_equal(aeh_execute(e->graph, e->store, &e->session, &reusing), 0);
  aero_reuse_item items[BATCH];
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(record_batch(e, items, 35, &err), AERO_E_NOT_FOUND);
  assert_non_null(strstr(err.message, "run 999 is not a successful run"));
  for (int i = 0; i < BATCH; i++)
    assert_int_equal(items[i].run_id, 0);
  assert_int_equal(sql_number(e, "SELECT count(*) FROM runs"), 1);
  assert_int_equal(sql_number(e, "SELECT count(*) FROM run_outputs"), 1);

  /* The control: the same batch without the bad item is recorded whole,
   * each item given the id of its own reused run (ids that follow each
   * other; a PostgreSQL sequence does not give back the ids the failed
   * batch took). */
  err = (aero_error)AEH_ERROR_INIT;
  assert_int_equal(record_batch(e, items, -1, &err), AERO_OK);
  assert_true(items[0].run_id > 1);
  for (int i = 1; i < BATCH; i++)
    assert_int_equal(items[i].run_id, items[0].run_id + i);
  char query[256];
  snprintf(query, sizeof query,
           "SELECT count(*) FROM runs WHERE status = 'reused' AND reused_run "
           "= 1 AND id BETWEEN %lld AND %lld",
           (long long)items[0].run_id, (long long)items[BATCH - 1].run_id);
  assert_int_equal(sql_number(e, query), BATCH);
}

/* A batch of 300 whose 201st reads a version that does not exist fails
 * inside the statements that insert the runs (tracker-postgres sends them
 * 128 at a time without waiting for each answer: this one is in the
 * second group), not at the check of the reused runs: nothing is
 * recorded, no run id is handed back, and the store takes the same batch
 * without it at once. */
static void batch_failing_mid_insert_records_nothing(void **state) {
  env *e = *state;
  assert_int_equal(aeh_execute(e->graph, e->store, &e->session, &reusing), 0);
  enum { N = 300, BAD = 200 };
  static const int64_t missing[] = {424242};
  aero_reuse_item *items = calloc(N, sizeof *items);
  assert_non_null(items);
  for (int i = 0; i < N; i++)
    items[i] = (aero_reuse_item){.struct_size = sizeof *items,
                                 .record = &made_record,
                                 .reused_run_id = 1,
                                 .input_ids = i == BAD ? missing : NULL,
                                 .input_count = i == BAD ? 1 : 0,
                                 .run_id = -7};
  void *handle = NULL;
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_store_handle(e->store, &handle, &err), AERO_OK);
  const aero_backend_vtable *vt = aeh_store_backend(e->store);
  assert_int_not_equal(vt->reuse_record_batch(handle, items, N, &err), AERO_OK);
  for (int i = 0; i < N; i++)
    assert_int_equal(items[i].run_id, 0);
  assert_int_equal(sql_number(e, "SELECT count(*) FROM runs"), 1);
  assert_int_equal(sql_number(e, "SELECT count(*) FROM run_inputs"), 0);

  items[BAD].input_ids = NULL;
  items[BAD].input_count = 0;
  err = (aero_error)AEH_ERROR_INIT;
  assert_int_equal(vt->reuse_record_batch(handle, items, N, &err), AERO_OK);
  for (int i = 1; i < N; i++)
    assert_int_equal(items[i].run_id, items[0].run_id + i);
  assert_int_equal(sql_number(e, "SELECT count(*) FROM runs WHERE status = "
                                 "'reused' AND reused_run = 1"),
                   N);
  free(items);
}

/* The host's side: two matched runs, the second marked failed by another
 * process before the pending reused runs are recorded. The batch fails
 * after the first was written and numbered, and is rolled back: one error
 * line says both were not recorded, neither is counted as begun nor as
 * reused (the summary line's figures), and the invocation ends as an
 * infrastructure error (ex.infra: exit 2). */
static void reused_run_gone_before_recording_is_not_counted(void **state) {
  env *e = *state;
  assert_int_equal(aeh_execute(e->graph, e->store, &e->session, &reusing), 0);
  aeh_exec ex;
  exec_init(e, &ex);
  assert_true(aeh_reuse_try(&ex, 0));
  assert_true(aeh_reuse_try(&ex, 1));
  ex.reused = 2; /* as place() counts them */
  sql(e, e->team ? "UPDATE runs SET status = 'failed' WHERE job_type = 'make2'"
                 : "UPDATE run_records SET status = 'failed' WHERE job_type = "
                   "'make2'");

  char log[] = "/tmp/test_reuse_lookup.err.XXXXXX";
  int fd = mkstemp(log);
  assert_true(fd >= 0);
  fflush(stderr);
  int saved = dup(STDERR_FILENO);
  assert_true(saved >= 0 && dup2(fd, STDERR_FILENO) >= 0);
  aeh_reuse_flush(&ex);
  fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  char text[2048] = "";
  ssize_t got = pread(fd, text, sizeof text - 1, 0);
  close(fd);
  unlink(log);
  assert_true(got > 0);
  text[got] = '\0';
  fputs(text, stderr);

  assert_true(ex.infra);
  assert_int_equal(ex.reused, 0);
  assert_int_equal(ex.runs_begun, 0);
  assert_int_equal(ex.pending_count, 0);
  /* The streak's banners (released before the record is tried), then one
   * line for the whole failed record. */
  assert_ptr_equal(strstr(text, "[1/2] Reused [make] made (run 1, "), text);
  assert_non_null(strstr(text, "\n[2/2] Reused [make2] made2 (run 2, "));
  assert_non_null(strstr(text, "\naerohost: error: recording 2 reused runs "
                               "failed: "));
  assert_non_null(strstr(text, "run 2 is not a successful run to reuse\n"));
  size_t lines = 0;
  for (const char *c = text; *c; c++)
    lines += *c == '\n';
  assert_int_equal(lines, 3);
  assert_int_equal(sql_number(e, "SELECT count(*) FROM runs"), 2);
  aeh_reuse_free(&ex);
  aeh_sched_free(&ex);
}

/* An unchanged re-run of many ready actions asks the store for the next
 * actions to be placed, in their order, a batch at a time: each action
 * once, in three batches for 2,100. Batches taken from the ready heap's
 * array instead missed some of the next actions, each of which then made
 * a batch of its own while the others' answers waited. */
static void wide_rerun_asks_the_next_actions(void **state) {
  env *e = *state;
  /* In this process (no fork per action), the banners out of the way. */
  static const aeh_exec_options inline_run = {.jobs = 1, .isolate = false};
  fflush(stderr);
  int saved = dup(STDERR_FILENO);
  int null = open("/dev/null", O_WRONLY);
  assert_true(saved >= 0 && null >= 0 && dup2(null, STDERR_FILENO) >= 0);
  int first = aeh_execute(e->graph, e->store, &e->session, &inline_run);
  watch_batches = true;
  int again = aeh_execute(e->graph, e->store, &e->session, &inline_run);
  watch_batches = false;
  fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(null);
  assert_int_equal(first, 0);
  assert_int_equal(again, 0);
  assert_int_equal(sql_number(e, "SELECT count(*) FROM runs WHERE status = "
                                 "'reused'"),
                   WIDE);
  assert_int_equal(asked_so_far, WIDE);
  assert_int_equal(batch_calls, 3);
  assert_false(batch_out_of_order);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(lookup_matches_the_ok_run, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          lookup_failing_for_memory_leaves_no_stale_snapshot, setup, teardown),
      cmocka_unit_test_setup_teardown(batch_failing_mid_insert_records_nothing,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(batch_failing_late_hands_back_no_run_ids,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          reused_run_gone_before_recording_is_not_counted, setup_two, teardown),
      cmocka_unit_test_setup_teardown(wide_rerun_asks_the_next_actions,
                                      setup_wide, teardown),
  };
  /* One case by name (tests/unit/on_team_store.sh: a fresh store each). */
  if (getenv("AERO_TEST_ONLY") != NULL)
    cmocka_set_test_filter(getenv("AERO_TEST_ONLY"));
  return cmocka_run_group_tests(tests, NULL, NULL);
}
