/* The executor with real fork and a real local store: each way an action
 * can end (ok, error, segfault, abort, exit, hang, bailout, interrupt),
 * dependents skipped, -k, -j 2 in parallel with prefixed output, --only,
 * --no-isolation and --dry-run. Run records are read back from the store's
 * SQLite file with the sqlite3 command-line tool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "exec/executor.h"
#include "graph.h"
#include "tracker.h"

typedef struct env {
  char dir[256];
  aeh_store *store;
  aeh_session session;
  char out[16384]; /* stdout of the last run_graph */
  char err[16384]; /* stderr of the last run_graph */
  double seconds;
} env;

/* ------------------------------------------------------------- actions */

typedef enum behaviour {
  DO_OK, /* declares its output with one small file, so children can run */
  DO_FAIL,
  DO_SEGV,
  DO_ABORT,
  DO_EXIT3,
  DO_EXIT0,
  DO_HANG,
  DO_BAIL,
  DO_SLEEP, /* writes NAME.start and NAME.end timestamps around a sleep */
  DO_PRINT,
  DO_INTERRUPT_HOST,
  DO_PID,
  DO_KILL_STARTER, /* kills the process that forked it, then waits */
  DO_SCRATCH, /* fails unless its scratch folder starts empty; leaves files */
} behaviour;

/* This test process: the host whose actions run here. */
static pid_t test_host_pid;

typedef struct act {
  behaviour how;
  char dir[256];
  char name[64];
  double sleep_s;
} act;

static void write_file(const act *a, const char *suffix, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s.%s", a->dir, a->name, suffix);
  FILE *f = fopen(path, "w");
  if (f != NULL) {
    fputs(text, f);
    fclose(f);
  }
}

static void write_now(const act *a, const char *suffix) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  char text[64];
  snprintf(text, sizeof text, "%lld\n",
           (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
  write_file(a, suffix, text);
}

static void sleep_for(double seconds) {
  struct timespec ts = {(time_t)seconds,
                        (long)((seconds - (double)(time_t)seconds) * 1e9)};
  while (nanosleep(&ts, &ts) != 0)
    ;
}

/* Entries in folder `dir` besides . and .., or -1 when it cannot be read. */
static int entries_in(const char *dir) {
  DIR *d = opendir(dir);
  if (d == NULL)
    return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  closedir(d);
  return n;
}

/* Declares the action's own output, as a real action would. */
static aero_status declare_own(const act *a, aero_tracker *tracker,
                               aero_error *err) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s.txt", aeh_tracker_workdir(tracker),
           a->name);
  FILE *f = fopen(path, "w");
  if (f == NULL)
    return aeh_error_set(err, AERO_E_IO, "cannot write %s", path);
  fprintf(f, "content of %s\n", a->name);
  fclose(f);
  const char *files[] = {path};
  aero_output_desc desc =
      AERO_OUTPUT(.name = a->name, .files = files, .file_count = 1);
  return aeh_tracker_declare_output(tracker, &desc, err);
}

static aero_status act_run(void *data, aero_tracker *tracker, aero_error *err) {
  act *a = data;
  switch (a->how) {
  case DO_OK:
    return declare_own(a, tracker, err);
  case DO_FAIL:
    return aeh_error_set(err, AERO_E_ACTION, "loss diverged at step %d", 7);
  case DO_SEGV: {
    volatile uintptr_t address = 8;
    *(volatile int *)address = 1;
    return AERO_OK;
  }
  case DO_ABORT:
    abort();
  case DO_EXIT3:
    exit(3);
  case DO_EXIT0:
    exit(0);
  case DO_HANG:
    for (;;)
      pause();
  case DO_BAIL:
    return aeh_tracker_bailout(tracker, "enough for today");
  case DO_SLEEP:
    write_now(a, "start");
    sleep_for(a->sleep_s);
    write_now(a, "end");
    return declare_own(a, tracker, err);
  case DO_PRINT:
    printf("line one from %s\n", a->name);
    fflush(stdout);
    sleep_for(a->sleep_s);
    printf("partial from %s", a->name);
    fprintf(stderr, "complaint from %s\n", a->name);
    return declare_own(a, tracker, err);
  case DO_INTERRUPT_HOST:
    /* Not getppid(): actions are forked by the host's fork server. */
    kill(test_host_pid, SIGINT);
    for (;;)
      pause();
  case DO_SCRATCH: {
    const char *dir = aeh_tracker_workdir(tracker);
    if (dir == NULL || entries_in(dir) != 0)
      return aeh_error_set(err, AERO_E_ACTION, "scratch folder %s not empty",
                           dir != NULL ? dir : "(none)");
    char path[512];
    snprintf(path, sizeof path, "%s/sub", dir);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/sub/left-over", dir);
    FILE *f = fopen(path, "w");
    if (f != NULL)
      fclose(f);
    return declare_own(a, tracker, err);
  }
  case DO_KILL_STARTER:
    kill(getppid(), SIGKILL);
    for (;;)
      pause();
  case DO_PID: {
    char text[32];
    snprintf(text, sizeof text, "%ld\n", (long)getpid());
    write_file(a, "pid", text);
    return declare_own(a, tracker, err);
  }
  }
  return AERO_OK;
}

/* Adds [type] out with a behaviour; parents is a comma list or NULL. */
static void add(env *e, aero_graph *g, const char *type, const char *out,
                const char *parents, behaviour how, double sleep_s) {
  act *a = calloc(1, sizeof *a);
  assert_non_null(a);
  a->how = how;
  a->sleep_s = sleep_s;
  snprintf(a->dir, sizeof a->dir, "%s", e->dir);
  snprintf(a->name, sizeof a->name, "%s", out);
  char buf[256];
  const char *p[8];
  size_t np = 0;
  if (parents != NULL) {
    snprintf(buf, sizeof buf, "%s", parents);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t != NULL && np < 8;
         t = strtok_r(NULL, ",", &save))
      p[np++] = t;
  }
  const char *outs[] = {out};
  aero_action_desc d =
      AERO_ACTION(.job_type = type, .outputs = outs, .output_count = 1,
                  .parents = p, .parent_count = np, .run = act_run, .data = a,
                  .destroy = free);
  aero_error err = AEH_ERROR_INIT;
  if (aeh_graph_add(g, &d, &err) != AERO_OK)
    fail_msg("add [%s] %s: %s", type, out, err.message);
}

static void validate(aero_graph *g) {
  aero_error err = AEH_ERROR_INIT;
  if (aeh_graph_validate(g, &err) != AERO_OK)
    fail_msg("validate: %s", err.message);
}

/* ------------------------------------------------------------- fixture */

static int setup(void **state) {
  env *e = calloc(1, sizeof *e);
  snprintf(e->dir, sizeof e->dir, "/tmp/test_executor.XXXXXX");
  if (mkdtemp(e->dir) == NULL)
    return -1;
  aero_error err = AEH_ERROR_INIT;
  if (aeh_store_open(NULL, e->dir, &e->store, &err) != AERO_OK) {
    fprintf(stderr, "opening the store in %s: %s\n", e->dir, err.message);
    return -1;
  }
  e->session = (aeh_session){.entity = "", .project = "exectest", .dev = true};
  *state = e;
  return 0;
}

static int teardown(void **state) {
  env *e = *state;
  aeh_store_close(e->store);
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->dir);
  if (system(cmd) != 0)
    return -1;
  free(e);
  return 0;
}

static void slurp(const char *path, char *buf, size_t size) {
  buf[0] = '\0';
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return;
  size_t n = fread(buf, 1, size - 1, f);
  buf[n] = '\0';
  fclose(f);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs the graph with stdout and stderr captured in e->out and e->err
 * (echoed to the real stderr, for whoever reads the test log). */
static int run_graph(env *e, aero_graph *g, const aeh_exec_options *opts) {
  char out_path[300], err_path[300];
  snprintf(out_path, sizeof out_path, "%s/stdout.txt", e->dir);
  snprintf(err_path, sizeof err_path, "%s/stderr.txt", e->dir);
  fflush(stdout);
  fflush(stderr);
  int saved_out = dup(1), saved_err = dup(2);
  int fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int fe = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2(fo, 1);
  dup2(fe, 2);
  close(fo);
  close(fe);
  double t0 = now_s();
  int code = aeh_execute(g, e->store, &e->session, opts);
  e->seconds = now_s() - t0;
  fflush(stdout);
  fflush(stderr);
  dup2(saved_out, 1);
  dup2(saved_err, 2);
  close(saved_out);
  close(saved_err);
  slurp(out_path, e->out, sizeof e->out);
  slurp(err_path, e->err, sizeof e->err);
  fprintf(stderr, "--- stdout:\n%s--- stderr:\n%s---\n", e->out, e->err);
  return code;
}

/* One line per run, "job_type status message", in recording order. */
static void runs(env *e, char *buf, size_t size) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "sqlite3 -batch -noheader '%s/aeromancy.db' \"SELECT job_type || "
           "' ' || status || ' ' || coalesce(message, '') FROM runs ORDER "
           "BY id\"",
           e->dir);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  size_t n = fread(buf, 1, size - 1, p);
  buf[n] = '\0';
  assert_int_equal(pclose(p), 0);
}

static long long query_int(env *e, const char *sql) {
  char cmd[1024], buf[64] = {0};
  snprintf(cmd, sizeof cmd, "sqlite3 -batch -noheader '%s/aeromancy.db' \"%s\"",
           e->dir, sql);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  if (fgets(buf, sizeof buf, p) == NULL)
    buf[0] = '\0';
  pclose(p);
  return buf[0] != '\0' ? atoll(buf) : -1000;
}

static void assert_has(const char *text, const char *want) {
  if (strstr(text, want) == NULL)
    fail_msg("expected '%s' in:\n%s", want, text);
}

/* These tests are about running: nothing is reused (--force). */
static const aeh_exec_options serial = {
    .jobs = 1, .isolate = true, .force = true};

/* --------------------------------------------------------------- tests */

static void ok_action_is_recorded_ok(void **state) {
  env *e = *state;
  aero_graph *g = aeh_graph_new("exectest");
  add(e, g, "ingest", "data", NULL, DO_OK, 0);
  validate(g);
  assert_int_equal(run_graph(e, g, &serial), AEH_EXIT_OK);
  char r[4096];
  runs(e, r, sizeof r);
  assert_string_equal(r, "ingest ok \n");
  assert_has(e->err, "[1/1] Running [ingest] data\n");
  assert_has(e->err, "[1/1] OK [ingest] data (");
  assert_has(e->err, "1 ok, 0 failed, 0 skipped in ");
  aeh_graph_free(g);
}

static void failure_records_message_and_skips_dependents(void **state) {
  env *e = *state;
  aero_graph *g = aeh_graph_new("exectest");
  add(e, g, "ingest", "data", NULL, DO_OK, 0);
  add(e, g, "train", "model", "data", DO_FAIL, 0);
  add(e, g, "evaluate", "report", "model", DO_OK, 0);
  add(e, g, "publish", "site", "report", DO_OK, 0);
  validate(g);
  assert_int_equal(run_graph(e, g, &serial), AEH_EXIT_FAILED);
  char r[4096];
  runs(e, r, sizeof r);
  assert_string_equal(r, "ingest ok \n"
                         "train failed loss diverged at step 7\n"
                         "evaluate skipped parent [train] model failed\n"
                         "publish skipped ancestor [train] model failed\n");
  long long id = query_int(e, "SELECT id FROM runs WHERE job_type='train'");
  char want[256];
  snprintf(want, sizeof want,
           "[2/4] Failed [train] model: loss diverged at step 7 (run %lld)\n",
           id);
  assert_has(e->err, want);
  assert_has(e->err, "[3/4] Skipped [evaluate] report: parent [train] model "
                     "failed\n");
  assert_has(e->err, "1 ok, 1 failed, 2 skipped in ");
  aeh_graph_free(g);
}

static void crash_abort_and_exit_are_recorded_and_host_survives(void **state) {
  env *e = *state;
  /* No core files from the crashes on purpose. */
  struct rlimit none = {0, 0};
  setrlimit(RLIMIT_CORE, &none);
  aero_graph *g = aeh_graph_new("exectest");
  add(e, g, "segv", "a", NULL, DO_SEGV, 0);
  add(e, g, "abort", "b", NULL, DO_ABORT, 0);
  add(e, g, "exit3", "c", NULL, DO_EXIT3, 0);
  add(e, g, "exit0", "d", NULL, DO_EXIT0, 0);
  add(e, g, "fine", "e", NULL, DO_OK, 0);
  validate(g);
  aeh_exec_options opts = serial;
  opts.keep_going = true;
  assert_int_equal(run_graph(e, g, &opts), AEH_EXIT_FAILED);
  char r[4096];
  runs(e, r, sizeof r);
  assert_string_equal(r, "segv crashed crashed with SIGSEGV\n"
                         "abort crashed crashed with SIGABRT\n"
                         "exit3 failed action called exit(3)\n"
                         "exit0 failed action called exit(0)\n"
                         "fine ok \n");
  assert_int_equal(
      query_int(e, "SELECT signal FROM runs WHERE job_type='segv'"), SIGSEGV);
  assert_int_equal(
      query_int(e, "SELECT signal FROM runs WHERE job_type='abort'"), SIGABRT);
  assert_int_equal(
      query_int(e, "SELECT exit_code FROM runs WHERE job_type='exit3'"), 3);
  assert_has(e->err, "1 ok, 4 failed, 0 skipped in ");
  aeh_graph_free(g);
}

static void hang_times_out(void **state) {
  env *e = *state;
  aero_graph *g = aeh_graph_new("exectest");
  add(e, g, "hang", "forever", NULL, DO_HANG, 0);
  add(e, g, "after", "next", "forever", DO_OK, 0);
  validate(g);
  aeh_exec_options opts = serial;
  opts.timeout_s = 0.3;
  assert_int_equal(run_graph(e, g, &opts), AEH_EXIT_FAILED);
  char r[4096];
  runs(e, r, sizeof r);
  assert_string_equal(r, "hang timed_out timed out after 0.3 s\n"
                         "after skipped parent [hang] forever timed out\n");
  assert_true(e->seconds >= 0.3);
  assert_true(e->seconds < 5.0); /* loose: the deadline, not a long wait */
  aeh_graph_free(g);
}

static void failure_stops_independent_actions_unless_keep_going(void **state) {
  env *e = *state;
  for (int keep = 0; keep <= 1; keep++) {
    aero_graph *g = aeh_graph_new("exectest");
    add(e, g, "a", "a", NULL, DO_FAIL, 0);
    add(e, g, "b", "b", NULL, DO_OK, 0);
    add(e, g, "c", "c", "a", DO_OK, 0);
    validate(g);
    aeh_exec_options opts = serial;
    opts.keep_going = keep;
    assert_int_equal(run_graph(e, g, &opts), AEH_EXIT_FAILED);
    aeh_graph_free(g);
  }
  char r[4096];
  runs(e, r, sizeof r);
  assert_string_equal(r, "a failed loss diverged at step 7\n"
                         "b skipped not started after [a] a failed (-k keeps "
                         "going)\n"
                         "c skipped parent [a] a failed\n"
                         "a failed loss diverged at step 7\n"
                         "b ok \n"
                         "c skipped parent [a] a failed\n");
}

static long long read_ns(env *e, const char *name, const char *suffix) {
  char path[512], text[64];
  snprintf(path, sizeof path, "%s/%s.%s", e->dir, name, suffix);
  slurp(path, text, sizeof text);
  assert_true(text[0] != '\0');
  return atoll(text);
}

static void jobs_run_independent_actions_in_parallel(void **state) {
  env *e = *state;
  aero_graph *g = aeh_graph_new("exectest");
  add(e, g, "sleep", "left", NULL, DO_SLEEP, 0.4);
  add(e, g, "sleep", "right", NULL, DO_SLEEP, 0.4);
  add(e, g, "join", "both", "left,right", DO_SLEEP, 0.0);
  validate(g);
  aeh_exec_options opts = serial;
  opts.jobs = 2;
  assert_int_equal(run_graph(e, g, &opts), AEH_EXIT_OK);
  long long ls = read_ns(e, "left", "start"), le = read_ns(e, "left", "end");
  long long rs = read_ns(e, "right", "start"), re = read_ns(e, "right", "end");
  long long js = read_ns(e, "both", "start");
  /* Overlap: each started before the other ended. */
  assert_true(ls < re && rs < le);
  /* The dependent started only after both parents ended. */
  assert_true(js >= le && js >= re);
  aeh_graph_free(g);
}

static void jobs_prefix_whole_lines(void **state) {
  env *e = *state;
  aero_graph *g = aeh_graph_new("exectest");
  add(e, g, "talk", "one", NULL, DO_PRINT, 0.2);
  add(e, g, "talk", "two", NULL, DO_PRINT, 0.2);
  validate(g);
  aeh_exec_options opts = serial;
  opts.jobs = 2;
  assert_int_equal(run_graph(e, g, &opts), AEH_EXIT_OK);
  assert_has(e->out, "[talk one] line one from one\n");
  assert_has(e->out, "[talk two] line one from two\n");
  /* An unterminated last line still ends as a line of its own. */
  assert_has(e->out, "[talk one] partial from one\n");
  assert_has(e->out, "[talk two] partial from two\n");
  assert_has(e->err, "[talk one] complaint from one\n");
  assert_has(e->err, "[talk two] complaint from two\n");
  /* Every line of stdout is prefixed. */
  for (const char *line = e->out; *line != '\0';) {
    assert_true(strncmp(line, "[talk ", 6) == 0);
    const char *nl = strchr(line, '\n');
    assert_non_null(nl);
    line = nl + 1;
  }
  aeh_graph_free(g);
}

static void bailout_stops_quietly_with_exit_0(void **state) {
  env *e = *state;
  aero_graph *g = aeh_graph_new("exectest");
  add(e, g, "explore", "idea", NULL, DO_BAIL, 0);
  add(e, g, "later", "more", NULL, DO_OK, 0);
  validate(g);
  assert_int_equal(run_graph(e, g, &serial), AEH_EXIT_OK);
  char r[4096];
  runs(e, r, sizeof r);
  assert_true(strncmp(r, "explore bailed", 14) == 0);
  assert_null(strstr(r, "later")); /* never started, never recorded */
  assert_has(e->err, "Bailed out: [explore] idea: enough for today\n");
  assert_null(strstr(e->err, "[2/2]"));
  aeh_graph_free(g);
}

static void
unselected_actions_are_not_recorded_and_resolve_latest(void **state) {
  env *e = *state;
  aero_graph *g = aeh_graph_new("exectest");
  add(e, g, "ingest", "data", NULL, DO_OK, 0);
  add(e, g, "train", "model", "data", DO_OK, 0);
  validate(g);
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_graph_select(g, "train", &err), AERO_OK);
  /* Nothing has produced "data" yet: train cannot start. */
  assert_int_equal(run_graph(e, g, &serial), AEH_EXIT_FAILED);
  assert_has(e->err, "[1/2] Skipped [ingest] data: not selected");
  assert_has(e->err, "[2/2] Failed [train] model: ");
  assert_has(e->err, "data");
  char r[4096];
  runs(e, r, sizeof r);
  assert_null(strstr(r, "ingest"));
  assert_true(strncmp(r, "train failed ", 13) == 0);

  /* Once "data" exists, the same selection runs train against it. */
  assert_int_equal(aeh_graph_select(g, NULL, &err), AERO_OK);
  assert_int_equal(run_graph(e, g, &serial), AEH_EXIT_OK);
  assert_int_equal(aeh_graph_select(g, "train", &err), AERO_OK);
  assert_int_equal(run_graph(e, g, &serial), AEH_EXIT_OK);
  assert_int_equal(query_int(e, "SELECT count(*) FROM runs WHERE "
                                "job_type='ingest'"),
                   1);
  assert_int_equal(query_int(e, "SELECT count(*) FROM runs WHERE "
                                "job_type='train' AND status='ok'"),
                   2);
  /* The last train read the one version of data that exists. */
  assert_true(query_int(e, "SELECT version_id FROM artifact_versions WHERE "
                           "name = 'data'") > 0);
  assert_int_equal(query_int(e, "SELECT version_id FROM run_inputs WHERE "
                                "run_id = (SELECT max(id) FROM runs)"),
                   query_int(e, "SELECT version_id FROM artifact_versions "
                                "WHERE name = 'data'"));
  aeh_graph_free(g);
}

static void interrupt_kills_children_and_returns_128_plus_n(void **state) {
  env *e = *state;
  aero_graph *g = aeh_graph_new("exectest");
  add(e, g, "victim", "a", NULL, DO_INTERRUPT_HOST, 0);
  add(e, g, "later", "b", NULL, DO_OK, 0);
  validate(g);
  assert_int_equal(run_graph(e, g, &serial), AEH_EXIT_SIGNAL + SIGINT);
  char r[4096];
  runs(e, r, sizeof r);
  assert_string_equal(r, "victim killed interrupted by SIGINT\n");
  assert_int_equal(
      query_int(e, "SELECT signal FROM runs WHERE job_type='victim'"), SIGINT);
  assert_has(e->err, "interrupted by SIGINT");
  aeh_graph_free(g);
}

static void no_isolation_runs_in_process(void **state) {
  env *e = *state;
  aero_graph *g = aeh_graph_new("exectest");
  add(e, g, "local", "here", NULL, DO_PID, 0);
  add(e, g, "local", "fails", NULL, DO_FAIL, 0);
  validate(g);
  aeh_exec_options opts = serial;
  opts.isolate = false;
  opts.keep_going = true;
  assert_int_equal(run_graph(e, g, &opts), AEH_EXIT_FAILED);
  char path[512], text[32];
  snprintf(path, sizeof path, "%s/here.pid", e->dir);
  slurp(path, text, sizeof text);
  assert_int_equal(atol(text), (long)getpid());
  char r[4096];
  runs(e, r, sizeof r);
  assert_string_equal(r, "local ok \nlocal failed loss diverged at step 7\n");
  aeh_graph_free(g);
}

static void dry_run_prints_the_plan_and_records_nothing(void **state) {
  env *e = *state;
  aero_graph *g = aeh_graph_new("exectest");
  add(e, g, "ingest", "data", NULL, DO_PID, 0);
  add(e, g, "train", "model", "data", DO_PID, 0);
  validate(g);
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_graph_select(g, "train", &err), AERO_OK);
  aeh_exec_options opts = serial;
  opts.dry_run = true;
  assert_int_equal(run_graph(e, g, &opts), AEH_EXIT_OK);
  assert_has(e->out, "2 actions, 1 to run, 1 skipped");
  assert_has(e->out, "[1/2] skip [ingest] data: not selected");
  assert_has(e->out, "[2/2] run  [train] model <- data");
  char path[512], text[32];
  snprintf(path, sizeof path, "%s/model.pid", e->dir);
  slurp(path, text, sizeof text);
  assert_string_equal(text, ""); /* never ran */
  assert_int_equal(query_int(e, "SELECT count(*) FROM runs"), 0);
  aeh_graph_free(g);
}

/* The process that starts actions dies (here an action kills it): the
 * running actions die with it and are recorded so, nothing else starts,
 * the run is the host's failure, and the host signals no process but the
 * actions' (a start whose process id it never learnt must not become
 * kill(0), its own process group: this test process). */
static void starter_death_stops_the_run(void **state) {
  env *e = *state;
  aero_graph *g = aeh_graph_new("exectest");
  add(e, g, "killer", "a", NULL, DO_KILL_STARTER, 0);
  add(e, g, "sleeper", "b", NULL, DO_SLEEP, 3);
  add(e, g, "after", "c", "a", DO_OK, 0);
  validate(g);
  aeh_exec_options opts = serial;
  opts.jobs = 2;
  assert_int_equal(run_graph(e, g, &opts), AEH_EXIT_INFRA);
  assert_has(e->err, "the process that starts actions died: stopping");
  assert_true(e->seconds < 2.5); /* the sleeper did not run to its end */
  char r[4096];
  runs(e, r, sizeof r);
  assert_has(r, "killer crashed crashed with SIGKILL");
  assert_has(r, "sleeper crashed crashed with SIGKILL");
  assert_true(strstr(r, "after ok") == NULL);
  aeh_graph_free(g);
}

/* Each run starts with an empty scratch folder, whatever the run before
 * left in its own (the host keeps one emptied folder for the next run),
 * and none is left in the store's tmp/ when the host is done: with and
 * without isolation. */
static void scratch_folders_start_empty_and_are_removed(void **state) {
  env *e = *state;
  for (int isolate = 1; isolate >= 0; isolate--) {
    aero_graph *g = aeh_graph_new("exectest");
    add(e, g, "s", "a", NULL, DO_SCRATCH, 0);
    add(e, g, "s", "b", "a", DO_SCRATCH, 0);
    add(e, g, "s", "c", "b", DO_SCRATCH, 0);
    validate(g);
    aeh_exec_options opts = serial;
    opts.isolate = isolate != 0;
    assert_int_equal(run_graph(e, g, &opts), AEH_EXIT_OK);
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s/tmp", e->dir);
    assert_int_equal(entries_in(tmp), 0);
    aeh_graph_free(g);
  }
}

int main(void) {
  test_host_pid = getpid();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(ok_action_is_recorded_ok, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          failure_records_message_and_skips_dependents, setup, teardown),
      cmocka_unit_test_setup_teardown(
          crash_abort_and_exit_are_recorded_and_host_survives, setup, teardown),
      cmocka_unit_test_setup_teardown(hang_times_out, setup, teardown),
      cmocka_unit_test_setup_teardown(starter_death_stops_the_run, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          scratch_folders_start_empty_and_are_removed, setup, teardown),
      cmocka_unit_test_setup_teardown(
          failure_stops_independent_actions_unless_keep_going, setup, teardown),
      cmocka_unit_test_setup_teardown(jobs_run_independent_actions_in_parallel,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(jobs_prefix_whole_lines, setup, teardown),
      cmocka_unit_test_setup_teardown(bailout_stops_quietly_with_exit_0, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          unselected_actions_are_not_recorded_and_resolve_latest, setup,
          teardown),
      cmocka_unit_test_setup_teardown(
          interrupt_kills_children_and_returns_128_plus_n, setup, teardown),
      cmocka_unit_test_setup_teardown(no_isolation_runs_in_process, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          dry_run_prints_the_plan_and_records_nothing, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
