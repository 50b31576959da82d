/* Several host processes on one store, each forking its actions the way
 * the executor does: the host records begin and end on its own handle,
 * every child declares its output through a handle of its own. Nothing is
 * lost and no version number is handed out twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "graph.h"
#include "tracker.h"

enum { HOSTS = 4, RUNS_PER_HOST = 6 };

static aero_status noop_run(void *data, aero_tracker *tracker,
                            aero_error *err) {
  (void)data;
  (void)tracker;
  (void)err;
  return AERO_OK;
}

static long long sql_int(const char *store, const char *query) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "sqlite3 -batch -noheader '%s/aeromancy.db' \"%s\"",
           store, query);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  long long v = -1;
  assert_int_equal(fscanf(p, "%lld", &v), 1);
  pclose(p);
  return v;
}

/* One host process: opens the store, then runs its action RUNS_PER_HOST
 * times, each in a forked child that publishes distinct content. Returns
 * the exit code. */
static int host_main(const char *dir, const char *store_dir, int host) {
  aero_error err = AEH_ERROR_INIT;
  aeh_store *store = NULL;
  if (aeh_store_open(NULL, store_dir, &store, &err) != AERO_OK) {
    fprintf(stderr, "host %d: %s\n", host, err.message);
    return 2;
  }
  aero_graph *graph = aeh_graph_new("proj");
  const char *outputs[] = {"shared"};
  aero_action_desc desc = AERO_ACTION(.job_type = "make", .outputs = outputs,
                                      .output_count = 1, .run = noop_run);
  if (aeh_graph_add(graph, &desc, &err) != AERO_OK ||
      aeh_graph_validate(graph, &err) != AERO_OK) {
    fprintf(stderr, "host %d: %s\n", host, err.message);
    return 2;
  }
  aeh_session session = {.entity = "", .project = "proj", .dev = true};
  aeh_action *action = aeh_graph_at(graph, 0);
  int rc = 0;
  for (int k = 0; k < RUNS_PER_HOST && rc == 0; k++) {
    aeh_run *run = NULL;
    if (aeh_run_begin(store, &session, graph, action, NULL, NULL, &run, NULL,
                      &err) != AERO_OK) {
      fprintf(stderr, "host %d: %s\n", host, err.message);
      rc = 1;
      break;
    }
    pid_t pid = fork();
    if (pid == 0) {
      aeh_store_after_fork(store);
      char path[512], content[64];
      snprintf(path, sizeof path, "%s/h%d-%d.txt", dir, host, k);
      snprintf(content, sizeof content, "host %d run %d\n", host, k);
      FILE *f = fopen(path, "w");
      fputs(content, f);
      fclose(f);
      const char *files[] = {path};
      aero_output_desc out =
          AERO_OUTPUT(.name = "shared", .files = files, .file_count = 1);
      aero_error cerr = AEH_ERROR_INIT;
      if (aeh_tracker_declare_output(aeh_run_tracker(run), &out, &cerr) !=
          AERO_OK) {
        fprintf(stderr, "host %d child %d: %s\n", host, k, cerr.message);
        _exit(1);
      }
      _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    aero_run_outcome outcome = {.struct_size = sizeof outcome,
                                .state = ok ? AERO_RUN_OK : AERO_RUN_FAILED,
                                .exit_code = ok ? 0 : 1};
    if (aeh_run_end(run, &outcome, &err) != AERO_OK) {
      fprintf(stderr, "host %d: %s\n", host, err.message);
      rc = 1;
    }
    if (!ok)
      rc = 1;
    aeh_run_free(run);
  }
  aeh_graph_free(graph);
  aeh_store_close(store);
  return rc;
}

static void test_hosts_and_children_share_one_store(void **state) {
  (void)state;
  char dir[] = "/tmp/aero-conc-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char store[64];
  snprintf(store, sizeof store, "%s/store", dir);
  pid_t pids[HOSTS];
  for (int i = 0; i < HOSTS; i++) {
    pids[i] = fork();
    assert_true(pids[i] >= 0);
    if (pids[i] == 0)
      _exit(host_main(dir, store, i));
  }
  for (int i = 0; i < HOSTS; i++) {
    int status = 0;
    assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
  }
  const long long total = HOSTS * RUNS_PER_HOST;
  assert_int_equal(sql_int(store, "SELECT count(*) FROM runs WHERE status "
                                  "= 'ok'"),
                   total);
  assert_int_equal(sql_int(store, "SELECT count(*) FROM versions WHERE "
                                  "published = 1"),
                   total);
  assert_int_equal(sql_int(store, "SELECT count(DISTINCT version) FROM "
                                  "versions"),
                   total);
  assert_int_equal(sql_int(store, "SELECT max(version) FROM versions"),
                   total - 1);
  assert_int_equal(sql_int(store, "SELECT count(*) FROM run_outputs"), total);
  assert_int_equal(sql_int(store, "SELECT count(*) FROM versions WHERE "
                                  "published = 0"),
                   0);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

/* Hosts started at the same moment on a store that does not exist yet:
 * every one opens it (the first switch to WAL races; the losers are told
 * SQLITE_BUSY at once and must retry, not fail). */
enum { ROUNDS = 15, OPENERS = 8 };

static void test_hosts_open_a_new_store_at_once(void **state) {
  (void)state;
  for (int round = 0; round < ROUNDS; round++) {
    char dir[] = "/tmp/aero-open-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char store[64];
    snprintf(store, sizeof store, "%s/store", dir);
    int gate[2];
    assert_int_equal(pipe(gate), 0);
    pid_t pids[OPENERS];
    for (int i = 0; i < OPENERS; i++) {
      pids[i] = fork();
      assert_true(pids[i] >= 0);
      if (pids[i] == 0) {
        close(gate[1]);
        char byte;
        (void)!read(gate[0], &byte, 1); /* end of file: all go at once */
        aeh_store *s = NULL;
        aero_error err = AEH_ERROR_INIT;
        if (aeh_store_open(NULL, store, &s, &err) != AERO_OK) {
          fprintf(stderr, "opener %d: %s\n", i, err.message);
          _exit(1);
        }
        aeh_store_close(s);
        _exit(0);
      }
    }
    close(gate[0]);
    close(gate[1]);
    for (int i = 0; i < OPENERS; i++) {
      int status = 0;
      assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
      assert_true(WIFEXITED(status));
      assert_int_equal(WEXITSTATUS(status), 0);
    }
    assert_int_equal(sql_int(store, "PRAGMA user_version"), 10);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hosts_and_children_share_one_store),
      cmocka_unit_test(test_hosts_open_a_new_store_at_once),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
