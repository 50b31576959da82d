/* The host side of tracking: opening a store through tracker-local.so,
 * tracked runs with inputs fixed at start, overrides, and every tracker
 * call an action makes, on a real graph, a real store and real fork. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "graph.h"
#include "relay.h"
#include "store.h"
#include "tracker.h"
#include "tracker_private.h"

typedef struct fixture {
  char dir[256];
  char store_dir[300];
  aeh_store *store;
  aero_graph *graph;
  aeh_session session;
  const char *overrides[4];
} fixture;

static aero_status noop_run(void *data, aero_tracker *tracker,
                            aero_error *err) {
  (void)data;
  (void)tracker;
  (void)err;
  return AERO_OK;
}

/* ------------------------------------------------------------ helpers */

static void write_file(const char *path, const char *content) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fputs(content, f);
  assert_int_equal(fclose(f), 0);
}

static const char *read_file(const char *path) {
  static char buf[4096];
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

static const char *sql(const fixture *f, const char *query) {
  static char line[4096];
  char cmd[8192];
  snprintf(cmd, sizeof cmd,
           "sqlite3 -batch -noheader -separator '|' '%s/aeromancy.db' \"%s\"",
           f->store_dir, query);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  size_t n = fread(line, 1, sizeof line - 1, p);
  line[n] = '\0';
  while (n > 0 && line[n - 1] == '\n')
    line[--n] = '\0';
  pclose(p);
  return line;
}

static void add_action(aero_graph *graph, const char *job, const char *output,
                       const char *parent) {
  const char *outputs[] = {output};
  const char *parents[] = {parent};
  aero_kv config[] = {AERO_KV_INT("epochs", 3)};
  aero_action_desc desc =
      AERO_ACTION(.job_type = job, .outputs = outputs, .output_count = 1,
                  .parents = parents, .parent_count = parent != NULL ? 1 : 0,
                  .config = config, .config_count = 1, .run = noop_run);
  aero_error err = AEH_ERROR_INIT;
  if (aeh_graph_add(graph, &desc, &err) != AERO_OK)
    fail_msg("graph_add: %s", err.message);
}

/* An action reading two parents (named by their outputs), in order. */
static void add_two_parent_action(aero_graph *graph, const char *job,
                                  const char *output, const char *first,
                                  const char *second) {
  const char *outputs[] = {output};
  const char *parents[] = {first, second};
  aero_action_desc desc =
      AERO_ACTION(.job_type = job, .outputs = outputs, .output_count = 1,
                  .parents = parents, .parent_count = 2, .run = noop_run);
  aero_error err = AEH_ERROR_INIT;
  if (aeh_graph_add(graph, &desc, &err) != AERO_OK)
    fail_msg("graph_add: %s", err.message);
}

static aeh_action *action_named(const fixture *f, const char *job) {
  for (size_t i = 0; i < aeh_graph_count(f->graph); i++) {
    aeh_action *a = aeh_graph_at(f->graph, i);
    if (strcmp(a->job_type, job) == 0)
      return a;
  }
  fail_msg("no action %s", job);
  return NULL;
}

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  snprintf(f->dir, sizeof f->dir, "/tmp/aero-trk-XXXXXX");
  if (mkdtemp(f->dir) == NULL)
    return -1;
  snprintf(f->store_dir, sizeof f->store_dir, "%s/store", f->dir);
  aero_error err = AEH_ERROR_INIT;
  if (aeh_store_open(NULL, f->store_dir, &f->store, &err) != AERO_OK) {
    fprintf(stderr, "store: %s\n", err.message);
    return -1;
  }
  /* ingest -> raw -> train -> model -> evaluate -> report */
  f->graph = aeh_graph_new("proj");
  add_action(f->graph, "ingest", "raw", NULL);
  add_action(f->graph, "train", "model", "raw");
  add_action(f->graph, "evaluate", "report", "model");
  add_two_parent_action(f->graph, "compare", "comparison", "raw", "model");
  if (aeh_graph_validate(f->graph, &err) != AERO_OK) {
    fprintf(stderr, "graph: %s\n", err.message);
    return -1;
  }
  static const char *const tags[] = {"nightly"};
  f->session = (aeh_session){.entity = "",
                             .project = "proj",
                             .dev = true,
                             .tags = tags,
                             .tag_count = 1,
                             .overrides = f->overrides};
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  aeh_graph_free(f->graph);
  aeh_store_close(f->store);
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
  assert_int_equal(system(cmd), 0);
  free(f);
  return 0;
}

static aeh_run *begin(fixture *f, const char *job) {
  aeh_run *run = NULL;
  aero_error err = AEH_ERROR_INIT;
  if (aeh_run_begin(f->store, &f->session, f->graph, action_named(f, job), NULL,
                    NULL, &run, NULL, &err) != AERO_OK)
    fail_msg("run_begin %s: %s", job, err.message);
  return run;
}

static void end(aeh_run *run, aero_run_state state) {
  aero_run_outcome out = {.struct_size = sizeof out,
                          .state = state,
                          .exit_code = state == AERO_RUN_OK ? 0 : 1};
  aero_error err = AEH_ERROR_INIT;
  if (aeh_run_end(run, &out, &err) != AERO_OK)
    fail_msg("run_end: %s", err.message);
}

static aero_status declare(aeh_run *run, const char *name, const char *file,
                           aero_error *err) {
  const char *files[] = {file};
  aero_output_desc desc = AERO_OUTPUT(.name = name, .files = files,
                                      .file_count = 1, .artifact_type = "t");
  return aeh_tracker_declare_output(aeh_run_tracker(run), &desc, err);
}

/* Runs `job` and declares `output` with `content`, ending OK. */
static void produce(fixture *f, const char *job, const char *output,
                    const char *content) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s.txt", f->dir, output);
  write_file(path, content);
  aeh_run *run = begin(f, job);
  aero_error err = AEH_ERROR_INIT;
  if (declare(run, output, path, &err) != AERO_OK)
    fail_msg("declare_output: %s", err.message);
  end(run, AERO_RUN_OK);
  aeh_run_free(run);
}

/* ------------------------------------------------------------- cases */

static void test_inputs_flow_from_parent_outputs(void **state) {
  fixture *f = *state;
  produce(f, "ingest", "raw", "rows\n");
  aeh_run *run = begin(f, "train");
  aero_input in = {.struct_size = sizeof in};
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(
      aeh_tracker_declare_input(aeh_run_tracker(run), "raw", &in, &err),
      AERO_OK);
  assert_string_equal(in.artifact, "proj/raw:v0");
  assert_string_equal(in.artifact_type, "t");
  assert_int_equal(in.path_count, 1);
  assert_string_equal(read_file(in.paths[0]), "rows\n");
  struct stat st;
  assert_int_equal(stat(in.paths[0], &st), 0);
  assert_int_equal(st.st_mode & 0222, 0); /* read-only */
  assert_int_equal(strncmp(in.paths[0], in.directory, strlen(in.directory)), 0);
  int64_t id = aeh_run_id(run);
  end(run, AERO_RUN_OK);
  aeh_run_free(run);
  char q[256];
  snprintf(q, sizeof q,
           "SELECT a.name || ':v' || v.version FROM run_inputs i JOIN "
           "versions v ON v.id = i.version_id JOIN artifacts a ON a.id = "
           "v.artifact_id WHERE i.run_id = %lld",
           (long long)id);
  assert_string_equal(sql(f, q), "raw:v0");
  snprintf(q, sizeof q,
           "SELECT job_type, mode, status FROM runs WHERE id = %lld",
           (long long)id);
  assert_string_equal(sql(f, q), "train|dev|ok");
  snprintf(q, sizeof q,
           "SELECT key || '=' || value FROM run_config WHERE run_id = %lld",
           (long long)id);
  assert_string_equal(sql(f, q), "epochs=3");
  snprintf(q, sizeof q, "SELECT tag FROM run_tags WHERE run_id = %lld",
           (long long)id);
  assert_string_equal(sql(f, q), "nightly");
}

static void test_inputs_fixed_at_start(void **state) {
  fixture *f = *state;
  produce(f, "ingest", "raw", "first\n");
  aeh_run *train = begin(f, "train"); /* fixes raw:v0 now */
  produce(f, "ingest", "raw", "second\n");
  aero_input in = {.struct_size = sizeof in};
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(
      aeh_tracker_declare_input(aeh_run_tracker(train), "raw", &in, &err),
      AERO_OK);
  assert_string_equal(in.artifact, "proj/raw:v0");
  assert_string_equal(read_file(in.paths[0]), "first\n");
  /* An explicit latest asks for what is latest now. */
  assert_int_equal(aeh_tracker_declare_input(aeh_run_tracker(train),
                                             "raw:latest", &in, &err),
                   AERO_OK);
  assert_string_equal(in.artifact, "proj/raw:v1");
  end(train, AERO_RUN_OK);
  aeh_run_free(train);
}

/* The fork server hands a run over as bytes and rebuilds it in caller
 * storage (no allocation) or, when that is too small, on the heap: either
 * way the rebuilt run resolves the same fixed input. */
static void test_run_handed_over_as_bytes(void **state) {
  fixture *f = *state;
  produce(f, "ingest", "raw", "first\n");
  aeh_run *train = begin(f, "train"); /* fixes raw:v0 */
  produce(f, "ingest", "raw", "second\n");
  size_t size = aeh_run_state_size(train);
  char *bytes = malloc(size);
  assert_non_null(bytes);
  aeh_run_state_write(train, bytes);
  static char storage[4096];
  char tiny[64];
  void *storages[] = {storage, tiny, NULL};
  size_t sizes[] = {sizeof storage, sizeof tiny, 0};
  for (size_t k = 0; k < 3; k++) {
    aeh_run *copy = NULL;
    aero_error err = AEH_ERROR_INIT;
    assert_int_equal(aeh_run_adopt(f->store, &f->session,
                                   action_named(f, "train"), bytes, size,
                                   storages[k], sizes[k], &copy, &err),
                     AERO_OK);
    assert_int_equal(aeh_run_id(copy), aeh_run_id(train));
    if (k == 0) /* it fits: built inside the storage */
      assert_ptr_equal(copy, (void *)storage);
    else
      assert_true((char *)copy < tiny || (char *)copy >= tiny + sizeof tiny);
    aero_input in = {.struct_size = sizeof in};
    assert_int_equal(
        aeh_tracker_declare_input(aeh_run_tracker(copy), "raw", &in, &err),
        AERO_OK);
    assert_string_equal(in.artifact, "proj/raw:v0");
    assert_string_equal(read_file(in.paths[0]), "first\n");
    aeh_run_release(copy);
  }
  /* A truncated state is refused, not read past. */
  aeh_run *copy = NULL;
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_run_adopt(f->store, &f->session,
                                 action_named(f, "train"), bytes, size - 1,
                                 storage, sizeof storage, &copy, &err),
                   AERO_E_INVALID);
  assert_null(copy);
  free(bytes);
  end(train, AERO_RUN_OK);
  aeh_run_free(train);
}

static void test_missing_input_fails_and_is_recorded(void **state) {
  fixture *f = *state;
  aeh_run *run = NULL;
  aero_error err = AEH_ERROR_INIT;
  int64_t failed_id = -1;
  assert_int_equal(aeh_run_begin(f->store, &f->session, f->graph,
                                 action_named(f, "train"), NULL, NULL, &run,
                                 &failed_id, &err),
                   AERO_E_NOT_FOUND);
  assert_null(run);
  assert_string_equal(err.message,
                      "input 'raw' does not exist in the store (run its "
                      "producer first, or check --only)");
  assert_string_equal(
      sql(f, "SELECT status || '|' || message FROM runs"),
      "failed|input 'raw' does not exist in the store (run its producer "
      "first, or check --only)");
  /* The caller names it and counts it in its summary. */
  char want[32];
  snprintf(want, sizeof want, "%lld", (long long)failed_id);
  assert_string_equal(sql(f, "SELECT id FROM runs"), want);
}

/* An input missing after one found: the failed run holds the one found,
 * through run_begin (ABI 1.5) and through record_input (ABI 1.4). */
static void missing_second_input(fixture *f) {
  aeh_run *run = NULL;
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_run_begin(f->store, &f->session, f->graph,
                                 action_named(f, "compare"), NULL, NULL, &run,
                                 NULL, &err),
                   AERO_E_NOT_FOUND);
  assert_null(run);
  assert_non_null(strstr(err.message, "input 'model' does not exist"));
  assert_string_equal(
      sql(f, "SELECT r.status || '|' || a.name FROM runs r JOIN run_inputs i "
             "ON i.run_id = r.id JOIN versions v ON v.id = i.version_id JOIN "
             "artifacts a ON a.id = v.artifact_id WHERE r.job_type = "
             "'compare'"),
      "failed|raw");
}

static void test_missing_second_input_keeps_the_first(void **state) {
  fixture *f = *state;
  produce(f, "ingest", "raw", "rows\n");
  missing_second_input(f);
}

static void test_missing_second_input_keeps_the_first_abi_1_4(void **state) {
  fixture *f = *state;
  produce(f, "ingest", "raw", "rows\n");
  aeh_store_begin_as_abi_1_4(f->store);
  missing_second_input(f);
}

static void test_override_pins_input(void **state) {
  fixture *f = *state;
  produce(f, "ingest", "raw", "v0\n");
  produce(f, "ingest", "raw", "v1\n");
  f->overrides[0] = "raw:v0";
  f->session.override_count = 1;
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_session_check_overrides(&f->session, &err), AERO_OK);
  aeh_run *run = begin(f, "train");
  aero_input in = {.struct_size = sizeof in};
  assert_int_equal(
      aeh_tracker_declare_input(aeh_run_tracker(run), "raw", &in, &err),
      AERO_OK);
  assert_string_equal(in.artifact, "proj/raw:v0");
  assert_string_equal(read_file(in.paths[0]), "v0\n");
  /* The override wins over an explicit version, too. */
  assert_int_equal(
      aeh_tracker_declare_input(aeh_run_tracker(run), "proj/raw:v1", &in, &err),
      AERO_OK);
  assert_string_equal(in.artifact, "proj/raw:v0");
  end(run, AERO_RUN_OK);
  aeh_run_free(run);

  /* A pin to a version that does not exist fails the run at start. */
  f->overrides[0] = "proj/raw:v9";
  run = NULL;
  assert_int_equal(aeh_run_begin(f->store, &f->session, f->graph,
                                 action_named(f, "train"), NULL, NULL, &run,
                                 NULL, &err),
                   AERO_E_NOT_FOUND);
  assert_non_null(strstr(err.message, "--artifact-override"));
  assert_non_null(strstr(err.message, "raw:v9"));
  assert_null(strchr(err.message, '\n'));
}

static void test_check_overrides(void **state) {
  fixture *f = *state;
  aero_error err = AEH_ERROR_INIT;
  f->session.override_count = 1;
  f->overrides[0] = "raw";
  assert_int_equal(aeh_session_check_overrides(&f->session, &err),
                   AERO_E_INVALID);
  assert_non_null(strstr(err.message, "explicit version"));
  f->overrides[0] = "../raw:v1";
  assert_int_equal(aeh_session_check_overrides(&f->session, &err),
                   AERO_E_INVALID);
  assert_non_null(strstr(err.message, "'../raw:v1'"));
  f->overrides[0] = "raw:v1";
  f->overrides[1] = "proj/raw:v2";
  f->session.override_count = 2;
  assert_int_equal(aeh_session_check_overrides(&f->session, &err),
                   AERO_E_INVALID);
  assert_non_null(strstr(err.message, "twice"));
  f->overrides[1] = "other/raw:v2"; /* another project's raw: fine */
  assert_int_equal(aeh_session_check_overrides(&f->session, &err), AERO_OK);
}

static void test_declare_output_checks_names(void **state) {
  fixture *f = *state;
  char path[512];
  snprintf(path, sizeof path, "%s/x.txt", f->dir);
  write_file(path, "x");
  aeh_run *run = begin(f, "ingest");
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(declare(run, "../raw", path, &err), AERO_E_INVALID);
  assert_non_null(strstr(err.message, "'../raw'"));
  assert_int_equal(declare(run, "raw:v3", path, &err), AERO_E_INVALID);
  assert_non_null(strstr(err.message, "must not have a version"));
  assert_int_equal(declare(run, "model", path, &err), AERO_E_INVALID);
  assert_non_null(strstr(err.message, "'model' is not one of the outputs"));
  assert_non_null(strstr(err.message, "(raw)"));
  assert_int_equal(declare(run, "proj/raw", path, &err), AERO_OK);
  end(run, AERO_RUN_OK);
  aeh_run_free(run);
  assert_string_equal(
      sql(f, "SELECT name || ':v' || version FROM artifact_versions"),
      "raw:v0");
}

static void test_failed_run_publishes_nothing(void **state) {
  fixture *f = *state;
  char path[512];
  snprintf(path, sizeof path, "%s/x.txt", f->dir);
  write_file(path, "x");
  aeh_run *run = begin(f, "ingest");
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(declare(run, "raw", path, &err), AERO_OK);
  end(run, AERO_RUN_CRASHED);
  aeh_run_free(run);
  assert_string_equal(sql(f, "SELECT count(*) FROM versions"), "0");
}

static void test_metrics_and_logs(void **state) {
  fixture *f = *state;
  aeh_run *run = begin(f, "ingest");
  aero_tracker *t = aeh_run_tracker(run);
  aero_error err = AEH_ERROR_INIT;
  aero_metric good[] = {{"loss", 0.5}, {"acc", 0.25}};
  assert_int_equal(aeh_tracker_log_metrics(t, good, 2, 0, &err), AERO_OK);
  assert_int_equal(aeh_tracker_log_metrics(t, good, 1, 1, &err), AERO_OK);
  assert_int_equal(aeh_tracker_log_metrics(t, good, 1, AERO_NO_STEP, &err),
                   AERO_OK);
  aero_metric inf = {"loss", 1.0 / 0.0};
  assert_int_equal(aeh_tracker_log_metrics(t, &inf, 1, 0, &err),
                   AERO_E_INVALID);
  assert_non_null(strstr(err.message, "'loss'"));
  aero_metric empty = {"", 1.0};
  assert_int_equal(aeh_tracker_log_metrics(t, &empty, 1, 0, &err),
                   AERO_E_INVALID);
  assert_int_equal(aeh_tracker_log_metrics(t, good, 1, -5, &err),
                   AERO_E_INVALID);
  /* Keys of AERO_METRIC_KEY_MAX bytes at most, without control characters:
   * a longer one was once recorded and then unreadable, a tab or a line
   * break broke the lines that print it. */
  static char longest[AERO_METRIC_KEY_MAX + 2];
  memset(longest, 'k', AERO_METRIC_KEY_MAX);
  aero_metric at_max = {longest, 1.0};
  assert_int_equal(aeh_tracker_log_metrics(t, &at_max, 1, 0, &err), AERO_OK);
  longest[AERO_METRIC_KEY_MAX] = 'k';
  assert_int_equal(aeh_tracker_log_metrics(t, &at_max, 1, 0, &err),
                   AERO_E_INVALID);
  assert_non_null(strstr(err.message, "longer than 4096 bytes"));
  const char *bad_keys[] = {"a\tb", "line\nbreak", "bell\a", "del\x7f"};
  for (size_t i = 0; i < sizeof bad_keys / sizeof *bad_keys; i++) {
    aero_metric bad = {bad_keys[i], 1.0};
    assert_int_equal(aeh_tracker_log_metrics(t, &bad, 1, 0, &err),
                     AERO_E_INVALID);
    assert_non_null(strstr(err.message, "control character"));
  }
  aero_metric unicode = {"lo\xc3\x9f, \"x\"", 1.0}; /* UTF-8, commas, quotes */
  assert_int_equal(aeh_tracker_log_metrics(t, &unicode, 1, 0, &err), AERO_OK);
  aeh_tracker_log_text(t, AERO_LOG_INFO, "hello\n");
  int64_t id = aeh_run_id(run);
  end(run, AERO_RUN_OK);
  aeh_run_free(run);
  char q[256];
  snprintf(q, sizeof q,
           "SELECT group_concat(key || '@' || ifnull(step, '-'), ',') FROM "
           "(SELECT * FROM metrics WHERE run_id = %lld AND length(key) < 99 "
           "ORDER BY key, step)",
           (long long)id);
  assert_string_equal(sql(f, q), "acc@0,loss@-,loss@0,loss@1,"
                                 "lo\xc3\x9f, \"x\"@0");
  assert_string_equal(sql(f, "SELECT message FROM run_logs"), "hello");
  assert_string_equal(
      sql(f, "SELECT count(*) FROM metrics WHERE length(key) = 4096"), "1");
}

static void test_calls_outside_a_run(void **state) {
  fixture *f = *state;
  aero_error err = AEH_ERROR_INIT;
  aero_input in = {.struct_size = sizeof in};
  assert_int_equal(aeh_tracker_declare_input(NULL, "raw", &in, &err),
                   AERO_E_STATE);
  aero_metric m = {"x", 1};
  assert_int_equal(aeh_tracker_log_metrics(NULL, &m, 1, 0, &err), AERO_E_STATE);
  aeh_run *run = begin(f, "ingest");
  aero_tracker *t = aeh_run_tracker(run);
  end(run, AERO_RUN_OK);
  /* After the run ended (in-process actions keep the pointer). */
  assert_int_equal(aeh_tracker_log_metrics(t, &m, 1, 0, &err), AERO_E_STATE);
  assert_non_null(strstr(err.message, "outside an action's run"));
  assert_int_equal(declare(run, "raw", "/etc/hostname", &err), AERO_E_STATE);
  assert_null(aeh_tracker_workdir(t));
  aeh_run_free(run);
}

static void test_workdir_and_bailout(void **state) {
  fixture *f = *state;
  aeh_run *run = begin(f, "ingest");
  aero_tracker *t = aeh_run_tracker(run);
  const char *dir = aeh_tracker_workdir(t);
  assert_non_null(dir);
  char saved[512];
  snprintf(saved, sizeof saved, "%s", dir);
  assert_int_equal(strncmp(saved, f->store_dir, strlen(f->store_dir)), 0);
  char inner[600];
  snprintf(inner, sizeof inner, "%s/scratch.txt", saved);
  write_file(inner, "temporary");
  assert_false(aeh_tracker_bailed(t));
  assert_int_equal(aeh_tracker_bailout(t, "looking at things"), AERO_E_BAILOUT);
  assert_true(aeh_tracker_bailed(t));
  end(run, AERO_RUN_BAILED);
  struct stat st;
  assert_int_equal(stat(saved, &st), 0);
  aeh_run_free(run);
  /* Emptied with the run; the folder itself is kept for this process's
   * next run until it begins no more. */
  assert_int_not_equal(stat(inner, &st), 0);
  aeh_run_drop_kept_workdir();
  assert_int_not_equal(stat(saved, &st), 0);
}

/* ------------------------------------------------------------ relay */

typedef aero_status (*child_fn)(fixture *f, aeh_run *run, aero_error *err);

typedef struct relayed {
  int wstatus;
  bool returned; /* the child's report arrived */
  int32_t code;
  char message[AERO_ERROR_MESSAGE_MAX];
  size_t unrecorded;
  size_t outputs; /* declare-output requests the host served */
} relayed;

/* The real process model: the host records begin and end and serves the
 * relay; a forked child makes the tracker calls through it (and, like an
 * action's process, reports how its callback returned). */
static relayed run_relayed(fixture *f, aeh_run *run, child_fn fn) {
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(sv[0]);
    aeh_run_relay_to(run, sv[1]);
    aero_error err = AEH_ERROR_INIT;
    aero_status status = fn(f, run, &err);
    aeh_relay_send_returned(sv[1], status,
                            status != AERO_OK ? err.message : NULL);
    _exit(status == AERO_OK ? 0 : 1);
  }
  close(sv[1]);
  aeh_relay_conn conn;
  aeh_relay_conn_open(&conn, sv[0], aeh_run_id(run), "[test child]");
  for (;;) {
    struct pollfd pfd = {.fd = conn.fd, .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, 10000), 1);
    if (!aeh_relay_conn_serve(&conn, f->store))
      break;
  }
  relayed out = {.returned = conn.returned,
                 .code = conn.code,
                 .unrecorded = conn.unrecorded,
                 .outputs = conn.outputs};
  snprintf(out.message, sizeof out.message, "%s", conn.message);
  aeh_relay_conn_close(&conn);
  assert_int_equal(waitpid(pid, &out.wstatus, 0), pid);
  return out;
}

static aero_status child_declares_and_logs(fixture *f, aeh_run *run,
                                           aero_error *err) {
  char path[512];
  snprintf(path, sizeof path, "%s/child.txt", f->dir);
  aero_metric m = {"rows", 1};
  aero_status status = declare(run, "raw", path, err);
  if (status == AERO_OK)
    status = aeh_tracker_log_metrics(aeh_run_tracker(run), &m, 1, 0, err);
  return status;
}

static void test_forked_child_tracks_through_the_relay(void **state) {
  fixture *f = *state;
  char path[512];
  snprintf(path, sizeof path, "%s/child.txt", f->dir);
  write_file(path, "from the child\n");
  aeh_run *run = begin(f, "ingest");
  relayed r = run_relayed(f, run, child_declares_and_logs);
  assert_true(WIFEXITED(r.wstatus) && WEXITSTATUS(r.wstatus) == 0);
  assert_true(r.returned);
  assert_int_equal(r.code, AERO_OK);
  assert_int_equal(r.outputs, 1); /* a small output: stored by the host */
  end(run, AERO_RUN_OK);
  aeh_run_free(run);
  assert_string_equal(
      sql(f, "SELECT name || ':v' || version FROM artifact_versions"),
      "raw:v0");
  assert_string_equal(sql(f, "SELECT count(*) FROM metrics"), "1");
  /* The host's own handle still works after the child is gone. */
  produce(f, "ingest", "raw", "later\n");
  assert_string_equal(sql(f, "SELECT max(version) FROM versions"), "1");
}

/* Declares a 20 MiB file: stored from the child's own process, so that
 * hashing it does not hold up the host's loop. */
static aero_status child_declares_large(fixture *f, aeh_run *run,
                                        aero_error *err) {
  char path[512];
  snprintf(path, sizeof path, "%s/large.bin", f->dir);
  return declare(run, "raw", path, err);
}

static void test_large_output_stored_by_the_action(void **state) {
  fixture *f = *state;
  char path[512];
  snprintf(path, sizeof path, "%s/large.bin", f->dir);
  FILE *out = fopen(path, "wb");
  assert_non_null(out);
  static char block[1 << 20];
  for (size_t i = 0; i < 20; i++) {
    memset(block, (int)('a' + i), sizeof block);
    assert_int_equal(fwrite(block, 1, sizeof block, out), sizeof block);
  }
  assert_int_equal(fclose(out), 0);
  aeh_run *run = begin(f, "ingest");
  relayed r = run_relayed(f, run, child_declares_large);
  assert_int_equal(r.code, AERO_OK);
  assert_int_equal(r.outputs, 0); /* not a request: done in the child */
  end(run, AERO_RUN_OK);
  aeh_run_free(run);
  assert_string_equal(
      sql(f, "SELECT name || ':v' || version FROM artifact_versions"),
      "raw:v0");
  assert_string_equal(sql(f, "SELECT size FROM version_files"), "20971520");
}

/* Logs 300 metrics without waiting for the host, then dies. */
static aero_status child_logs_then_crashes(fixture *f, aeh_run *run,
                                           aero_error *err) {
  (void)f;
  for (int i = 0; i < 300; i++) {
    aero_metric m = {"loss", 1.0 / (i + 1)};
    if (aeh_tracker_log_metrics(aeh_run_tracker(run), &m, 1, i, err) != AERO_OK)
      return AERO_E_IO;
  }
  aero_metric last = {"acc", 0.5};
  aeh_tracker_log_metrics(aeh_run_tracker(run), &last, 1, AERO_NO_STEP, err);
  aeh_tracker_log_text(aeh_run_tracker(run), AERO_LOG_WARN, "about to crash");
  signal(SIGABRT, SIG_DFL);
  abort();
}

static void test_metrics_logged_before_a_crash_are_recorded(void **state) {
  fixture *f = *state;
  aeh_run *run = begin(f, "ingest");
  relayed r = run_relayed(f, run, child_logs_then_crashes);
  assert_true(WIFSIGNALED(r.wstatus));
  assert_false(r.returned);
  assert_int_equal(r.unrecorded, 0);
  end(run, AERO_RUN_CRASHED);
  aeh_run_free(run);
  /* Every one, with its step, in order, and none twice. */
  assert_string_equal(sql(f, "SELECT count(*), count(DISTINCT step), "
                             "min(step), max(step) FROM metrics WHERE "
                             "key = 'loss'"),
                      "300|300|0|299");
  assert_string_equal(sql(f, "SELECT count(*) FROM metrics WHERE key = 'acc' "
                             "AND step IS NULL"),
                      "1");
  assert_string_equal(sql(f, "SELECT count(*) FROM (SELECT step, logged_at, "
                             "lag(logged_at) OVER (ORDER BY step) AS prev "
                             "FROM metrics WHERE key = 'loss') WHERE "
                             "logged_at < prev"),
                      "0");
  assert_string_equal(sql(f, "SELECT level || ':' || message FROM run_logs"),
                      "warn:about to crash");
}

/* Logs a burst of 5,000 points (sent together, not one by one), then
 * computes for 300 ms without another tracker call and is killed. */
static aero_status child_bursts_then_is_killed(fixture *f, aeh_run *run,
                                               aero_error *err) {
  (void)f;
  for (int i = 0; i < 5000; i++) {
    aero_metric m = {"loss", 1.0 / (i + 1)};
    if (aeh_tracker_log_metrics(aeh_run_tracker(run), &m, 1, i, err) != AERO_OK)
      return AERO_E_IO;
  }
  const struct timespec pause = {0, 300 * 1000000};
  nanosleep(&pause, NULL);
  raise(SIGKILL);
  return AERO_OK;
}

/* Points held by the action's relay client reach the host while it
 * computes (the flusher, within ~10 ms), not only at its next call. */
static void test_burst_of_metrics_sent_while_the_action_computes(void **state) {
  fixture *f = *state;
  aeh_run *run = begin(f, "ingest");
  relayed r = run_relayed(f, run, child_bursts_then_is_killed);
  assert_true(WIFSIGNALED(r.wstatus) && WTERMSIG(r.wstatus) == SIGKILL);
  assert_int_equal(r.unrecorded, 0);
  end(run, AERO_RUN_KILLED);
  aeh_run_free(run);
  assert_string_equal(sql(f, "SELECT count(*), count(DISTINCT step), "
                             "min(step), max(step) FROM metrics"),
                      "5000|5000|0|4999");
  /* Stored in logging order: blocks are numbered as logged. */
  assert_string_equal(sql(f, "SELECT count(*) FROM (SELECT step, block_id * "
                             "1000000 + point AS id, lag(block_id * 1000000 "
                             "+ point) OVER (ORDER BY step) AS prev FROM "
                             "metrics) WHERE id < prev"),
                      "0");
}

/* Asks the host, through the run's own transport (the relay), to record
 * an input for a run that is not its own. */
static aero_status child_forges_a_run(fixture *f, aeh_run *run,
                                      aero_error *err) {
  (void)f;
  void *handle = NULL;
  const aero_backend_vtable *vt = NULL;
  aero_status status = aeh_run_backend(run, &vt, &handle, err);
  if (status != AERO_OK)
    return status;
  return vt->record_input(handle, aeh_run_id(run) + 7, 1, err);
}

/* The relay is the run's transport, not the process's: the store's own
 * backend in the action's process is still the local one. */
static aero_status child_checks_transport(fixture *f, aeh_run *run,
                                          aero_error *err) {
  void *handle = NULL;
  const aero_backend_vtable *vt = NULL;
  aero_status status = aeh_run_backend(run, &vt, &handle, err);
  if (status != AERO_OK)
    return status;
  if (vt != aeh_relay_backend() || vt == aeh_store_backend(f->store))
    return aeh_error_set(err, AERO_E_STATE, "the run does not use the relay");
  return AERO_OK;
}

static void test_relay_is_the_runs_transport(void **state) {
  fixture *f = *state;
  aeh_run *run = begin(f, "ingest");
  relayed r = run_relayed(f, run, child_checks_transport);
  assert_true(r.returned);
  assert_int_equal(r.code, AERO_OK);
  /* In the host the run goes straight to the store. */
  void *handle = NULL;
  const aero_backend_vtable *vt = NULL;
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_run_backend(run, &vt, &handle, &err), AERO_OK);
  assert_ptr_equal(vt, aeh_store_backend(f->store));
  end(run, AERO_RUN_OK);
  aeh_run_free(run);
}

static void test_relay_refuses_another_run(void **state) {
  fixture *f = *state;
  aeh_run *run = begin(f, "ingest");
  relayed r = run_relayed(f, run, child_forges_a_run);
  assert_true(r.returned);
  assert_int_equal(r.code, AERO_E_INVALID);
  char want[160];
  snprintf(want, sizeof want,
           "this action's process may only record run %lld, not run %lld",
           (long long)aeh_run_id(run), (long long)aeh_run_id(run) + 7);
  assert_string_equal(r.message, want);
  end(run, AERO_RUN_FAILED);
  aeh_run_free(run);
  assert_string_equal(sql(f, "SELECT count(*) FROM run_inputs"), "0");
}

/* Declares a relative path after moving to another folder: the host must
 * read it from there, not from its own current folder. */
static aero_status child_declares_relative(fixture *f, aeh_run *run,
                                           aero_error *err) {
  char sub[512];
  snprintf(sub, sizeof sub, "%s/elsewhere", f->dir);
  if (chdir(sub) != 0)
    return AERO_E_IO;
  return declare(run, "raw", "data.txt", err);
}

static void test_relative_paths_follow_the_action(void **state) {
  fixture *f = *state;
  char sub[512], path[600];
  snprintf(sub, sizeof sub, "%s/elsewhere", f->dir);
  assert_int_equal(mkdir(sub, 0755), 0);
  snprintf(path, sizeof path, "%s/data.txt", sub);
  write_file(path, "relative\n");
  char here[PATH_MAX];
  assert_non_null(getcwd(here, sizeof here));
  aeh_run *run = begin(f, "ingest");
  relayed r = run_relayed(f, run, child_declares_relative);
  assert_int_equal(r.code, AERO_OK);
  end(run, AERO_RUN_OK);
  aeh_run_free(run);
  char after[PATH_MAX];
  assert_non_null(getcwd(after, sizeof after));
  assert_string_equal(after, here); /* the host came back */
  assert_string_equal(sql(f, "SELECT path || ':' || size FROM version_files"),
                      "data.txt:9");
}

/* Writes a frame that is not one, then makes a call. */
static aero_status child_breaks_the_stream(fixture *f, aeh_run *run,
                                           aero_error *err) {
  (void)f;
  int fd = -1;
  /* The relay's descriptor: the only socket this process has. */
  for (int i = 3; i < 64 && fd < 0; i++) {
    int type = 0;
    socklen_t len = sizeof type;
    if (getsockopt(i, SOL_SOCKET, SO_TYPE, &type, &len) == 0)
      fd = i;
  }
  const uint32_t junk[3] = {8, 99, 0};
  if (fd < 0 || write(fd, junk, sizeof junk) != (ssize_t)sizeof junk)
    return AERO_E_IO;
  aero_metric m = {"rows", 1};
  aero_status status =
      aeh_tracker_log_metrics(aeh_run_tracker(run), &m, 1, 0, err);
  if (status == AERO_OK)
    status = declare(run, "raw", "/nonexistent-file", err);
  return status;
}

static void test_malformed_stream_cuts_the_relay(void **state) {
  fixture *f = *state;
  aeh_run *run = begin(f, "ingest");
  relayed r = run_relayed(f, run, child_breaks_the_stream);
  assert_true(WIFEXITED(r.wstatus) && WEXITSTATUS(r.wstatus) == 1);
  assert_false(r.returned); /* nothing after the bad frame is believed */
  end(run, AERO_RUN_FAILED);
  aeh_run_free(run);
  assert_string_equal(sql(f, "SELECT count(*) FROM metrics"), "0");
}

/* Records two reused runs of `train` standing for `ok` and `bad` (in that
 * order) and returns the status; ids in r[0..1].run_id. */
static aero_status record_two(fixture *f, int64_t ok, int64_t bad,
                              aeh_reused r[2], aero_error *err) {
  aeh_run *preview = NULL;
  if (aeh_run_preview(f->store, &f->session, f->graph, action_named(f, "train"),
                      &preview, err) != AERO_OK)
    fail_msg("preview: %s", err->message);
  assert_int_equal(aeh_reused_prepare(preview, ok, &r[0], err), AERO_OK);
  assert_int_equal(aeh_reused_prepare(preview, bad, &r[1], err), AERO_OK);
  aeh_run_free(preview);
  aero_status status = aeh_reused_record(f->store, r, 2, err);
  aeh_reused_release(&r[0]);
  aeh_reused_release(&r[1]);
  return status;
}

/* Reused runs are recorded in one transaction by a backend of ABI 1.4 (a
 * failure records none), and one call each by a backend without
 * reuse_record_batch (a failure keeps those before it). */
static void test_reused_runs_batched_or_one_by_one(void **state) {
  fixture *f = *state;
  produce(f, "ingest", "raw", "rows\n");
  aeh_run *train = begin(f, "train");
  int64_t ok = aeh_run_id(train);
  end(train, AERO_RUN_OK);
  aeh_run_free(train);
  train = begin(f, "train");
  int64_t failed = aeh_run_id(train);
  end(train, AERO_RUN_FAILED);
  aeh_run_free(train);
  aeh_reused r[2];
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(record_two(f, ok, ok, r, &err), AERO_OK);
  assert_int_equal(r[1].run_id, r[0].run_id + 1);
  char query[256];
  snprintf(query, sizeof query,
           "SELECT count(*) FROM runs r JOIN run_inputs i ON i.run_id = r.id "
           "WHERE r.status = 'reused' AND r.reused_run = %lld AND r.id >= "
           "%lld",
           (long long)ok, (long long)r[0].run_id);
  assert_string_equal(sql(f, query), "2");
  assert_int_equal(record_two(f, ok, failed, r, &err), AERO_E_NOT_FOUND);
  assert_true(r[0].run_id == 0 && r[1].run_id == 0);
  assert_string_equal(sql(f, "SELECT count(*) FROM runs WHERE status = "
                             "'reused'"),
                      "2");
  /* The same store through a backend of ABI 1.3: the vtable's copy with
   * the member cleared, as the loader leaves it for an older plugin. */
  aero_backend_vtable *vt =
      (aero_backend_vtable *)(uintptr_t)aeh_store_backend(f->store);
  vt->reuse_record_batch = NULL;
  assert_int_equal(record_two(f, ok, failed, r, &err), AERO_E_NOT_FOUND);
  assert_true(r[0].run_id > 0 && r[1].run_id == 0);
  assert_string_equal(sql(f, "SELECT count(*) FROM runs WHERE status = "
                             "'reused'"),
                      "3");
}

static void test_skipped_run_recorded(void **state) {
  fixture *f = *state;
  aero_error err = AEH_ERROR_INIT;
  int64_t id = -1;
  assert_int_equal(aeh_run_record_skipped(f->store, &f->session,
                                          action_named(f, "evaluate"),
                                          "parent [train] failed", &id, &err),
                   AERO_OK);
  assert_string_equal(sql(f, "SELECT job_type || '|' || status || '|' || "
                             "message FROM runs"),
                      "evaluate|skipped|parent [train] failed");
  char want[32];
  snprintf(want, sizeof want, "%lld", (long long)id);
  assert_string_equal(sql(f, "SELECT id FROM runs"), want);
}

static void test_prod_never_reads_dev(void **state) {
  fixture *f = *state;
  produce(f, "ingest", "raw", "dev data\n");
  f->session.dev = false;
  aeh_run *run = NULL;
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_run_begin(f->store, &f->session, f->graph,
                                 action_named(f, "train"), NULL, NULL, &run,
                                 NULL, &err),
                   AERO_E_NOT_FOUND);
  assert_non_null(strstr(err.message, "input 'raw' has only dev versions"));
  produce(f, "ingest", "raw", "prod data\n");
  run = begin(f, "train");
  aero_input in = {.struct_size = sizeof in};
  assert_int_equal(
      aeh_tracker_declare_input(aeh_run_tracker(run), "raw", &in, &err),
      AERO_OK);
  assert_string_equal(in.artifact, "proj/raw:v1");
  assert_string_equal(read_file(in.paths[0]), "prod data\n");
  end(run, AERO_RUN_OK);
  aeh_run_free(run);
  assert_string_equal(sql(f, "SELECT mode FROM runs WHERE id = (SELECT "
                             "max(id) FROM runs)"),
                      "prod");
}

/* ------------------------------------------------- opening the store */

static void test_store_location_precedence(void **state) {
  fixture *f = *state;
  char env_store[512], ini_store[512], ini[512], xdg[512];
  snprintf(env_store, sizeof env_store, "%s/env-store", f->dir);
  snprintf(ini_store, sizeof ini_store, "%s/ini-store", f->dir);
  snprintf(ini, sizeof ini, "%s/aeromancy.ini", f->dir);
  snprintf(xdg, sizeof xdg, "%s/xdg", f->dir);
  write_file(ini, "[store]\npath = ini-store\n");
  setenv("AEROMANCY_CONFIG", ini, 1);
  setenv("AEROMANCY_STORE", env_store, 1);
  aeh_store *s = NULL;
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_store_open(NULL, NULL, &s, &err), AERO_OK);
  assert_string_equal(aeh_store_location(s), env_store);
  aeh_store_close(s);
  unsetenv("AEROMANCY_STORE");
  /* A relative [store] path is relative to the ini file's folder. */
  assert_int_equal(aeh_store_open(NULL, NULL, &s, &err), AERO_OK);
  assert_string_equal(aeh_store_location(s), ini_store);
  aeh_store_close(s);
  unsetenv("AEROMANCY_CONFIG");
  /* A file named by AEROMANCY_CONFIG that is not there is an error, not
   * the defaults. */
  char no_ini[600], empty_ini[600];
  snprintf(no_ini, sizeof no_ini, "%s/none.ini", f->dir);
  setenv("AEROMANCY_CONFIG", no_ini, 1);
  assert_int_equal(aeh_store_open(NULL, NULL, &s, &err), AERO_E_CONFIG);
  assert_non_null(strstr(err.message, "none.ini: no such file (named by "
                                      "AEROMANCY_CONFIG)"));
  snprintf(empty_ini, sizeof empty_ini, "%s/empty.ini", f->dir);
  write_file(empty_ini, "; nothing set\n");
  setenv("AEROMANCY_CONFIG", empty_ini, 1);
  setenv("XDG_DATA_HOME", xdg, 1);
  assert_int_equal(aeh_store_open(NULL, NULL, &s, &err), AERO_OK);
  char want[600];
  snprintf(want, sizeof want, "%s/aeromancy", xdg);
  assert_string_equal(aeh_store_location(s), want);
  aeh_store_close(s);
  unsetenv("XDG_DATA_HOME");
  unsetenv("AEROMANCY_CONFIG");
  struct stat st;
  assert_int_equal(stat(env_store, &st), 0);
  assert_int_equal(stat(ini_store, &st), 0);
}

static void test_store_open_errors(void **state) {
  fixture *f = *state;
  aeh_store *s = NULL;
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_store_open("nosuch", f->store_dir, &s, &err),
                   AERO_E_NOT_FOUND);
  assert_non_null(strstr(err.message, "tracker-nosuch.so"));
  assert_null(s);
  assert_int_equal(aeh_store_open("../x", f->store_dir, &s, &err),
                   AERO_E_INVALID);
  /* A corrupt database file: one line naming it. */
  char bad[512], db[600];
  snprintf(bad, sizeof bad, "%s/bad-store", f->dir);
  assert_int_equal(mkdir(bad, 0755), 0);
  snprintf(db, sizeof db, "%s/aeromancy.db", bad);
  write_file(db, "garbage garbage garbage garbage garbage garbage garbage "
                 "garbage garbage garbage garbage garbage garbage garbage\n");
  assert_int_equal(aeh_store_open(NULL, bad, &s, &err), AERO_E_STORE);
  char want[700];
  snprintf(want, sizeof want, "%s: not a database (file is corrupt?)", db);
  assert_string_equal(err.message, want);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define CASE(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
      CASE(test_inputs_flow_from_parent_outputs),
      CASE(test_inputs_fixed_at_start),
      CASE(test_run_handed_over_as_bytes),
      CASE(test_missing_input_fails_and_is_recorded),
      CASE(test_missing_second_input_keeps_the_first),
      CASE(test_missing_second_input_keeps_the_first_abi_1_4),
      CASE(test_override_pins_input),
      CASE(test_check_overrides),
      CASE(test_declare_output_checks_names),
      CASE(test_failed_run_publishes_nothing),
      CASE(test_metrics_and_logs),
      CASE(test_calls_outside_a_run),
      CASE(test_workdir_and_bailout),
      CASE(test_forked_child_tracks_through_the_relay),
      CASE(test_large_output_stored_by_the_action),
      CASE(test_metrics_logged_before_a_crash_are_recorded),
      CASE(test_burst_of_metrics_sent_while_the_action_computes),
      CASE(test_relay_is_the_runs_transport),
      CASE(test_relay_refuses_another_run),
      CASE(test_relative_paths_follow_the_action),
      CASE(test_malformed_stream_cuts_the_relay),
      CASE(test_reused_runs_batched_or_one_by_one),
      CASE(test_skipped_run_recorded),
      CASE(test_prod_never_reads_dev),
      CASE(test_store_location_precedence),
      CASE(test_store_open_errors),
#undef CASE
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
