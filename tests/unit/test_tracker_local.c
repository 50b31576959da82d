/* tracker-local, driven through its backend vtable: the real plugin loaded
 * with the real loader, real SQLite files in a temp folder, real fork. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <dlfcn.h>

#include "api_table.h"
#include "error.h"
#include "loader.h"

static aeh_plugin *plugin;
static const aero_backend_vtable *vt;

typedef struct fixture {
  char dir[256];   /* temp folder of the test */
  char store[512]; /* dir/store */
  void *handle;
} fixture;

/* ------------------------------------------------------------ helpers */

static void remove_tree(const char *path) {
  char cmd[PATH_MAX + 32];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
  assert_int_equal(system(cmd), 0);
}

static void write_file(const char *path, const char *content) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fputs(content, f);
  assert_int_equal(fclose(f), 0);
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  static char buf[65536];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

/* Files under `path` (recursively), counted with find. */
static int count_files(const char *path) {
  char cmd[PATH_MAX + 64];
  snprintf(cmd, sizeof cmd, "find '%s' -type f | wc -l", path);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  int n = -1;
  assert_int_equal(fscanf(p, "%d", &n), 1);
  pclose(p);
  return n;
}

/* One value from the store's database, through the sqlite3 tool. */
static long long sql_int(const fixture *f, const char *query) {
  char cmd[PATH_MAX + 512];
  snprintf(cmd, sizeof cmd, "sqlite3 -batch -noheader '%s/aeromancy.db' \"%s\"",
           f->store, query);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  long long v = -1;
  assert_int_equal(fscanf(p, "%lld", &v), 1);
  pclose(p);
  return v;
}

/* The first line the sqlite3 shell prints for `query`, run with the
 * shell's `options`. */
static const char *sql_line(const fixture *f, const char *options,
                            const char *query) {
  char cmd[PATH_MAX + 512];
  snprintf(cmd, sizeof cmd,
           "sqlite3 -batch -noheader %s '%s/aeromancy.db' \"%s\"", options,
           f->store, query);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  static char line[1024];
  if (fgets(line, sizeof line, p) == NULL)
    line[0] = '\0';
  line[strcspn(line, "\n")] = '\0';
  pclose(p);
  return line;
}

static const char *sql_text(const fixture *f, const char *query) {
  return sql_line(f, "", query);
}

/* Whether `table` (run_inputs or run_outputs) pairs run `run` with
 * version `version`. */
static bool run_holds(const fixture *f, const char *table, int64_t run,
                      int64_t version) {
  char query[256];
  snprintf(query, sizeof query,
           "SELECT count(*) FROM %s WHERE run_id = %lld AND version_id = %lld",
           table, (long long)run, (long long)version);
  return sql_int(f, query) == 1;
}

/* A handle on the fixture's store: the fixture's own, or another one (the
 * caller closes it): the one an action's own process opens to record a
 * large output (relay_client.c), whose declarations are committed at once,
 * as pending versions or links; another aerohost's; `aeromancy gc`'s. */
static void *open_handle(const fixture *f) {
  void *h = NULL;
  aero_backend_open_params params = {.struct_size = sizeof params,
                                     .location = f->store};
  aero_error err = AEH_ERROR_INIT;
  if (vt->open(&params, &h, &err) != AERO_OK)
    fail_msg("open: %s", err.message);
  return h;
}

static void open_store(fixture *f) {
  f->handle = open_handle(f);
}

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  snprintf(f->dir, sizeof f->dir, "/tmp/aero-tl-XXXXXX");
  if (mkdtemp(f->dir) == NULL)
    return -1;
  snprintf(f->store, sizeof f->store, "%s/store", f->dir);
  open_store(f);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  if (f->handle != NULL)
    vt->close(f->handle);
  remove_tree(f->dir);
  free(f);
  return 0;
}

static int64_t begin(void *handle, bool dev, const char *job) {
  static const char *const outputs[] = {"data"};
  aero_kv config[] = {AERO_KV_DOUBLE("learning_rate", 0.5),
                      AERO_KV_STRING("loss", "mse")};
  static const char *const tags[] = {"t1", "t2"};
  aero_kv env[] = {AERO_KV_STRING("git_commit", "c0ffee"),
                   AERO_KV_STRING("future_fact", "kept")};
  aero_run_record rec = {.struct_size = sizeof rec,
                         .entity = "",
                         .project = "proj",
                         .job_type = job,
                         .outputs = outputs,
                         .output_count = 1,
                         .config = config,
                         .config_count = 2,
                         .tags = tags,
                         .tag_count = 2,
                         .environment = env,
                         .environment_count = 2,
                         .dev = dev};
  aero_error err = AEH_ERROR_INIT;
  int64_t id = 0;
  if (vt->run_begin(handle, &rec, &id, &err) != AERO_OK)
    fail_msg("run_begin: %s", err.message);
  return id;
}

static aero_status end(void *handle, int64_t run, aero_run_state state,
                       aero_error *err) {
  aero_run_outcome out = {.struct_size = sizeof out,
                          .state = state,
                          .exit_code = state == AERO_RUN_OK ? 0 : 1,
                          .signal = state == AERO_RUN_CRASHED ? 11 : 0};
  return vt->run_end(handle, run, &out, err);
}

static void end_ok(void *handle, int64_t run) {
  aero_error err = AEH_ERROR_INIT;
  if (end(handle, run, AERO_RUN_OK, &err) != AERO_OK)
    fail_msg("run_end: %s", err.message);
}

static aero_status put(void *handle, int64_t run, const char *name,
                       const char *const *files, size_t count,
                       const char *strip, aero_error *err) {
  aero_artifact_ref ref = {
      .entity = "", .project = "proj", .name = name, .version = -1};
  aero_kv meta[] = {AERO_KV_INT("rows", 3)};
  aero_output_desc desc =
      AERO_OUTPUT(.name = name, .files = files, .file_count = count,
                  .artifact_type = "dataset", .strip_prefix = strip,
                  .metadata = meta, .metadata_count = 1);
  return vt->put_output(handle, run, &ref, &desc, err);
}

static void put_ok(void *handle, int64_t run, const char *name,
                   const char *file) {
  aero_error err = AEH_ERROR_INIT;
  if (put(handle, run, name, &file, 1, NULL, &err) != AERO_OK)
    fail_msg("put_output: %s", err.message);
}

static aero_status resolve(void *handle, const char *name, int64_t version,
                           bool dev, aero_artifact_version *out,
                           aero_error *err) {
  aero_artifact_ref ref = {
      .entity = "", .project = "proj", .name = name, .version = version};
  out->struct_size = sizeof *out;
  return vt->resolve(handle, &ref, dev, out, err);
}

/* Publishes `content` as a new version of `name` in one whole run. */
static void publish(void *handle, fixture *f, bool dev, const char *name,
                    const char *content) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/%s.txt", f->dir, name);
  write_file(path, content);
  int64_t run = begin(handle, dev, "make");
  put_ok(handle, run, name, path);
  end_ok(handle, run);
}

typedef struct paths {
  char items[16][PATH_MAX];
  size_t count;
} paths;

static void collect(void *ctx, const char *path) {
  paths *p = ctx;
  if (p->count < 16)
    snprintf(p->items[p->count++], PATH_MAX, "%s", path);
}

/* The record the host sends for a dev run of [make] (output "data")
 * reused from an earlier one. */
static aero_run_record reused_record(void) {
  static const char *const outputs[] = {"data"};
  return (aero_run_record){.struct_size = sizeof(aero_run_record),
                           .entity = "",
                           .project = "proj",
                           .job_type = "make",
                           .outputs = outputs,
                           .output_count = 1,
                           .dev = true};
}

/* reuse_record_batch (ABI 1.4): every item in one transaction, each new
 * run `reused` with its reused run's outputs and its own inputs; one reused
 * run that is not OK fails the call naming it and records none of them. */
static void test_reuse_record_batch_all_or_none(void **state) {
  fixture *f = *state;
  assert_non_null(vt->reuse_record_batch);
  publish(f->handle, f, true, "data", "a,b\n");
  int64_t good = (int64_t)sql_int(f, "SELECT max(id) FROM runs");
  aero_artifact_version v;
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(resolve(f->handle, "data", -1, true, &v, &err), AERO_OK);
  int64_t failed = begin(f->handle, true, "make");
  assert_int_equal(end(f->handle, failed, AERO_RUN_FAILED, &err), AERO_OK);
  aero_run_record rec = reused_record();
  int64_t inputs[] = {v.id};
  aero_reuse_item items[3];
  for (size_t i = 0; i < 3; i++)
    items[i] = (aero_reuse_item){.struct_size = sizeof items[i],
                                 .record = &rec,
                                 .reused_run_id = good,
                                 .input_ids = i == 1 ? inputs : NULL,
                                 .input_count = i == 1 ? 1 : 0};
  items[2].reused_run_id = failed;
  long long runs_before = sql_int(f, "SELECT count(*) FROM runs");
  assert_int_equal(vt->reuse_record_batch(f->handle, items, 3, &err),
                   AERO_E_NOT_FOUND);
  char want[64];
  snprintf(want, sizeof want, "run %lld", (long long)failed);
  assert_non_null(strstr(err.message, want));
  assert_int_equal(sql_int(f, "SELECT count(*) FROM runs"), runs_before);
  assert_int_equal(vt->reuse_record_batch(f->handle, items, 2, &err), AERO_OK);
  assert_true(items[0].run_id > failed);
  assert_int_equal(items[1].run_id, items[0].run_id + 1);
  char query[256];
  snprintf(query, sizeof query,
           "SELECT count(*) FROM runs r JOIN run_outputs o ON o.run_id = "
           "r.id WHERE r.id IN (%lld, %lld) AND r.status = 'reused' AND "
           "r.reused_run = %lld AND r.ended_at = r.started_at AND "
           "o.version_id = %lld",
           (long long)items[0].run_id, (long long)items[1].run_id,
           (long long)good, (long long)v.id);
  assert_int_equal(sql_int(f, query), 2);
  snprintf(query, sizeof query,
           "SELECT group_concat(run_id) FROM run_inputs WHERE version_id = "
           "%lld",
           (long long)v.id);
  assert_int_equal(sql_int(f, query), items[1].run_id);
}

/* A batch of reused runs whose environments differ: each run gets its
 * own invocation (the one its facts name) and its own environment rows,
 * though the backend reads an environment once for the runs that share it. */
static void test_reuse_record_batch_environments(void **state) {
  fixture *f = *state;
  publish(f->handle, f, true, "data", "a,b\n");
  int64_t good = (int64_t)sql_int(f, "SELECT max(id) FROM runs");
  aero_kv first[] = {AERO_KV_STRING("git_commit", "c1")};
  aero_kv second[] = {AERO_KV_STRING("git_commit", "c2"),
                      AERO_KV_STRING("future_fact", "f2")};
  aero_kv third[] = {AERO_KV_STRING("git_commit", "c3")};
  aero_run_record recs[4];
  const aero_kv *envs[] = {first, second, first, third};
  const size_t counts[] = {1, 2, 1, 1};
  aero_reuse_item items[4];
  for (size_t i = 0; i < 4; i++) {
    recs[i] = reused_record();
    recs[i].environment = envs[i];
    recs[i].environment_count = counts[i];
    items[i] = (aero_reuse_item){.struct_size = sizeof items[i],
                                 .record = &recs[i],
                                 .reused_run_id = good};
  }
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(vt->reuse_record_batch(f->handle, items, 4, &err), AERO_OK);
  const char *const commits[] = {"c1", "c2", "c1", "c3"};
  for (size_t i = 0; i < 4; i++) {
    char query[256];
    snprintf(query, sizeof query,
             "SELECT i.git_commit FROM run_records r JOIN invocations i ON "
             "i.id = r.invocation_id WHERE r.id = %lld",
             (long long)items[i].run_id);
    assert_string_equal(sql_text(f, query), commits[i]);
    snprintf(query, sizeof query,
             "SELECT count(*) FROM run_env WHERE run_id = %lld AND key = "
             "'future_fact' AND value = 'f2'",
             (long long)items[i].run_id);
    assert_int_equal(sql_int(f, query), i == 1 ? 1 : 0);
  }
}

/* Turns the store back into schema 8: run_outputs a table again, with a
 * copy of its reused run's outputs for each reused run. */
#define TO_SCHEMA_8                                                            \
  "DROP VIEW run_outputs; "                                                    \
  "ALTER TABLE run_own_outputs RENAME TO run_outputs; "                        \
  "INSERT OR IGNORE INTO run_outputs SELECT r.id, o.version_id FROM "          \
  "run_records r JOIN run_outputs o ON o.run_id = r.reused_run; "

/* query_versions' callback: counts the versions handed over. */
static aero_status count_version(void *ctx, const aero_version_info *version,
                                 aero_error *err) {
  (void)version;
  (void)err;
  ++*(int *)ctx;
  return AERO_OK;
}

/* Reused runs of run `good` (`n` of them, n <= 4), recorded in one batch;
 * their ids into `ids`. */
static void reuse_of(fixture *f, int64_t good, size_t n, int64_t *ids) {
  aero_run_record rec = reused_record();
  aero_reuse_item items[4];
  for (size_t i = 0; i < n; i++)
    items[i] = (aero_reuse_item){
        .struct_size = sizeof items[i], .record = &rec, .reused_run_id = good};
  aero_error err = AEH_ERROR_INIT;
  if (vt->reuse_record_batch(f->handle, items, n, &err) != AERO_OK)
    fail_msg("reuse_record_batch: %s", err.message);
  for (size_t i = 0; i < n; i++)
    ids[i] = items[i].run_id;
}

/* Every (run, version) pair of the view run_outputs, as one number. */
#define OUTPUT_PAIRS                                                           \
  "SELECT count(*) * 1000000 + sum(run_id * 1000 + version_id) FROM "          \
  "run_outputs"

/* Schema 9: a reused run's outputs are the run's it reuses, which the view
 * run_outputs and query_versions give; nothing is copied into
 * run_own_outputs. A store of schema 8, where they were copies, upgrades
 * to the same answers without them. */
static void test_reused_outputs_are_implied(void **state) {
  fixture *f = *state;
  publish(f->handle, f, true, "data", "a,b\n");
  int64_t good = (int64_t)sql_int(f, "SELECT max(id) FROM runs");
  int64_t ids[2];
  reuse_of(f, good, 2, ids);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM run_own_outputs"), 1);
  char query[256];
  snprintf(query, sizeof query,
           "SELECT count(*) FROM run_outputs o JOIN run_own_outputs g ON "
           "g.version_id = o.version_id AND g.run_id = %lld WHERE o.run_id "
           "IN (%lld, %lld)",
           (long long)good, (long long)ids[0], (long long)ids[1]);
  assert_int_equal(sql_int(f, query), 2);
  aero_version_filter filter = {
      .struct_size = sizeof filter, .version = -1, .run_id = ids[1]};
  int found = 0;
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(
      vt->query_versions(f->handle, &filter, count_version, &found, &err),
      AERO_OK);
  assert_int_equal(found, 1);
  long long pairs = sql_int(f, OUTPUT_PAIRS);

  vt->close(f->handle);
  f->handle = NULL;
  sql_int(f, TO_SCHEMA_8 "PRAGMA user_version = 8; SELECT 0");
  assert_int_equal(sql_int(f, "SELECT count(*) FROM run_outputs"), 3);
  open_store(f);
  assert_int_equal(sql_int(f, "PRAGMA user_version"), 10);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM run_own_outputs"), 1);
  assert_int_equal(sql_int(f, OUTPUT_PAIRS), pairs);
}

/* gc keeps an old dev run while a kept run reuses it (the reused run's
 * outputs are its: schema 9), even one that made no output; the reused
 * run's own age does not matter once it is kept. */
static void test_gc_keeps_reused_runs(void **state) {
  fixture *f = *state;
  publish(f->handle, f, true, "data", "kept\n");
  int64_t made = (int64_t)sql_int(f, "SELECT max(id) FROM runs");
  int64_t bare = begin(f->handle, true, "make");
  end_ok(f->handle, bare);
  int64_t old = begin(f->handle, true, "make");
  end_ok(f->handle, old);
  int64_t ids[2];
  reuse_of(f, made, 1, ids);
  reuse_of(f, bare, 1, ids + 1);
  /* Every run but the reused ones from long ago. */
  char sql[256];
  snprintf(sql, sizeof sql,
           "UPDATE run_records SET started_at = 1, ended_at = 1 WHERE id NOT "
           "IN (%lld, %lld); SELECT 0",
           (long long)ids[0], (long long)ids[1]);
  sql_int(f, sql);
  aero_collect_params params = {.struct_size = sizeof params,
                                .keep_dev_ns = 3600 * (int64_t)1000000000};
  aero_error err = AEH_ERROR_INIT;
  if (vt->collect(f->handle, &params, NULL, NULL, &err) != AERO_OK)
    fail_msg("collect: %s", err.message);
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM runs WHERE id IN (%lld, %lld, %lld, %lld)",
           (long long)made, (long long)bare, (long long)ids[0],
           (long long)ids[1]);
  assert_int_equal(sql_int(f, sql), 4);
  snprintf(sql, sizeof sql, "SELECT count(*) FROM runs WHERE id = %lld",
           (long long)old);
  assert_int_equal(sql_int(f, sql), 0);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM versions"), 1);
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM run_outputs WHERE run_id = %lld",
           (long long)ids[0]);
  assert_int_equal(sql_int(f, sql), 1);
}

/* gc follows what it keeps to any depth: a run kept only because a run
 * that stays needs it keeps in turn what it needs. Made by SQL (no host
 * makes a reused run stand for another reused run): a recent reused run
 * standing for an old reused run, which stands for an old run and read a
 * version an old run made. All four stay; an old run nothing needs goes. */
static void test_gc_keeps_what_kept_runs_need(void **state) {
  fixture *f = *state;
  publish(f->handle, f, true, "data", "made\n");
  int64_t made = (int64_t)sql_int(f, "SELECT max(id) FROM runs");
  publish(f->handle, f, true, "input", "read\n");
  int64_t wrote = (int64_t)sql_int(f, "SELECT max(id) FROM runs");
  int64_t old = begin(f->handle, true, "make");
  end_ok(f->handle, old);
  aero_artifact_version v;
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(resolve(f->handle, "input", -1, true, &v, &err), AERO_OK);
  aero_run_record rec = reused_record();
  int64_t inputs[] = {v.id};
  aero_reuse_item item = {.struct_size = sizeof item,
                          .record = &rec,
                          .reused_run_id = made,
                          .input_ids = inputs,
                          .input_count = 1};
  assert_int_equal(vt->reuse_record_batch(f->handle, &item, 1, &err), AERO_OK);
  int64_t middle = item.run_id;
  int64_t recent = 0;
  reuse_of(f, made, 1, &recent);
  char sql[256];
  snprintf(sql, sizeof sql,
           "UPDATE run_records SET reused_run = %lld WHERE id = %lld; "
           "UPDATE run_records SET started_at = 1, ended_at = 1 WHERE id <> "
           "%lld; SELECT 0",
           (long long)middle, (long long)recent, (long long)recent);
  sql_int(f, sql);
  aero_collect_params params = {.struct_size = sizeof params,
                                .keep_dev_ns = 3600 * (int64_t)1000000000};
  if (vt->collect(f->handle, &params, NULL, NULL, &err) != AERO_OK)
    fail_msg("collect: %s", err.message);
  char want[128];
  snprintf(want, sizeof want, "%lld %lld %lld %lld", (long long)made,
           (long long)wrote, (long long)middle, (long long)recent);
  assert_string_equal(sql_text(f, "SELECT group_concat(id, ' ') FROM (SELECT "
                                  "id FROM runs ORDER BY id)"),
                      want);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM versions"), 2);
}

static long long wal_size(const fixture *f) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/aeromancy.db-wal", f->store);
  struct stat st;
  return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* A WAL whose every frame was checkpointed is emptied when the handle
 * closes (the next opener would read and checksum all of it); one that was
 * not is left as it is (emptying it would cost syncs at every close). */
/* Frames of the WAL file of that size (its header, then frames of a 4 KiB
 * page and a 24-byte header). */
static long long wal_frames(long long size) {
  return size <= 32 ? 0 : (size - 32) / (4096 + 24);
}

/* A handle that committed many small transactions (tracked actions, each
 * its own few commits) without reaching the running checkpoint (1,024
 * frames) checkpoints at close once its WAL holds 256 frames or more: the
 * next opener never reads more than that (1 MB), though the syncs came
 * once for the handle rather than every 256 frames. */
static void test_close_checkpoints_long_wal(void **state) {
  fixture *f = *state;
  char name[32];
  int runs = 0;
  /* Past 256 frames, short of 1,024. */
  while (wal_frames(wal_size(f)) < 300 && runs < 200) {
    snprintf(name, sizeof name, "out%d", runs++);
    publish(f->handle, f, true, name, name);
  }
  long long frames = wal_frames(wal_size(f));
  assert_true(frames >= 256);
  assert_true(frames < 1024);
  vt->close(f->handle);
  f->handle = NULL;
  assert_int_equal(wal_size(f), 0);
  open_store(f);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM runs WHERE status = 'ok'"),
                   runs);
}

static void test_close_empties_checkpointed_wal(void **state) {
  fixture *f = *state;
  publish(f->handle, f, true, "data", "a,b\n");
  vt->close(f->handle);
  f->handle = NULL;
  assert_true(wal_size(f) > 0);
  open_store(f);
  int64_t good = (int64_t)sql_int(f, "SELECT max(id) FROM runs");
  aero_run_record rec = reused_record();
  /* Enough runs for one commit to pass the 1,024-frame checkpoint. */
  enum { N = 64000 };
  aero_reuse_item *items = calloc(N, sizeof *items);
  assert_non_null(items);
  for (size_t i = 0; i < N; i++)
    items[i] = (aero_reuse_item){
        .struct_size = sizeof items[i], .record = &rec, .reused_run_id = good};
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(vt->reuse_record_batch(f->handle, items, N, &err), AERO_OK);
  free(items);
  assert_true(wal_frames(wal_size(f)) >= 1024);
  vt->close(f->handle);
  f->handle = NULL;
  assert_int_equal(wal_size(f), 0);
  open_store(f);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM runs WHERE status = "
                              "'reused'"),
                   N);
}

/* A lookup that matched keeps its read transaction for the next lookups
 * (a streak of reused actions); the handle's next write ends it: that
 * write is committed at once, and what the handle reads afterwards
 * includes what other connections wrote meanwhile. */
static void test_reuse_lookup_read_ends_at_next_write(void **state) {
  fixture *f = *state;
  publish(f->handle, f, true, "data", "v0\n");
  int64_t run = (int64_t)sql_int(f, "SELECT max(id) FROM runs");
  char key[65], job[65];
  memset(key, 'a', 64);
  memset(job, 'b', 64);
  key[64] = job[64] = '\0';
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(vt->reuse_key(f->handle, run, key, job, "p", &err), AERO_OK);
  aero_reuse_query query = {.struct_size = sizeof query,
                            .entity = "",
                            .project = "proj",
                            .job_type = "make",
                            .key = key,
                            .dev = true,
                            .job = job};
  aero_reuse_match match = {.struct_size = sizeof match};
  assert_int_equal(vt->reuse_find(f->handle, &query, &match, &err), AERO_OK);
  assert_int_equal(match.run_id, run);
  /* Another connection publishes v1 while the lookup's read is kept. */
  fixture other = *f;
  open_store(&other);
  publish(other.handle, f, true, "data", "v1\n");
  vt->close(other.handle);
  assert_int_equal(vt->reuse_find(f->handle, &query, &match, &err), AERO_OK);
  assert_int_equal(match.run_id, run);
  /* A write through the handle: committed, visible to the sqlite3 tool. */
  assert_int_equal(vt->reuse_key(f->handle, run + 1, key, job, "p", &err),
                   AERO_OK);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM run_keys"), 2);
  aero_artifact_version v;
  assert_int_equal(resolve(f->handle, "data", -1, true, &v, &err), AERO_OK);
  assert_int_equal(v.version, 1);
}

/* The key `c` repeated 64 times. */
static void key_of(char c, char out[65]) {
  memset(out, c, 64);
  out[64] = '\0';
}

/* Publishes `content` as a new version of "data" from a run with key
 * `key` (a letter, repeated), job `job` (likewise) and parts `parts`;
 * returns the run. */
static int64_t keyed_run(fixture *f, bool dev, const char *content, char key,
                         char job, const char *parts) {
  publish(f->handle, f, dev, "data", content);
  int64_t run = (int64_t)sql_int(f, "SELECT max(id) FROM runs");
  char k[65], j[65];
  key_of(key, k);
  key_of(job, j);
  aero_error err = AEH_ERROR_INIT;
  if (vt->reuse_key(f->handle, run, k, j, parts, &err) != AERO_OK)
    fail_msg("reuse_key: %s", err.message);
  return run;
}

/* A match as a newer host would pass it: larger than this build's. */
typedef struct wide_match {
  aero_reuse_match match;
  char newer[24];
} wide_match;

/* reuse_find_batch (ABI 1.6) answers each query as reuse_find answers it
 * alone, across chunks of the one statement that serves many: the newest
 * of two complete runs with its key; an older run when the newest one's
 * blob is damaged; none for a key whose one run's blob is damaged, or that
 * was recorded in the other mode or with another job type, with the parts
 * of the query's job's newest run; two queries with the same key each; and
 * its answers are stepped by the caller's struct sizes. */
static void test_reuse_find_batch_answers_each(void **state) {
  fixture *f = *state;
  assert_non_null(vt->reuse_find_batch);
  /* Keys a, c, d, f have one run at most: a chunk answers them itself.
   * Keys 1 and 2 (the lowest, so a chunk reaches them last) have two: the
   * chunk stops there and asks their queries alone. */
  int64_t a = keyed_run(f, true, "a\n", 'a', 'a', "pa");
  keyed_run(f, false, "c\n", 'c', 'c', "pc"); /* production */
  int64_t damaged = keyed_run(f, true, "f\n", 'f', 'f', "pf");
  int64_t two_old = keyed_run(f, true, "2-old\n", '2', '2', "p2");
  int64_t two_new = keyed_run(f, true, "2-new\n", '2', '2', "p2");
  keyed_run(f, true, "1-old\n", '1', '1', "p1");
  int64_t one_new = keyed_run(f, true, "1-new\n", '1', '1', "p1");
  /* Two blobs damaged: kept in the database, their hash no longer
   * matches. */
  const int64_t damage_of[] = {damaged, two_new};
  for (size_t i = 0; i < 2; i++) {
    char damage[512];
    snprintf(damage, sizeof damage,
             "UPDATE inline_blobs SET content = x'00' WHERE sha256 = (SELECT "
             "f.sha256 FROM version_files f JOIN run_outputs o ON "
             "o.version_id = f.version_id WHERE o.run_id = %lld); SELECT "
             "changes();",
             (long long)damage_of[i]);
    assert_int_equal(sql_int(f, damage), 1);
  }
  char ka[65], kc[65], kd[65], kf[65], k1[65], k2[65];
  key_of('a', ka), key_of('c', kc), key_of('d', kd), key_of('f', kf);
  key_of('1', k1), key_of('2', k2);
  /* The cases, repeated over 70 queries: three chunks, the last short. A
   * query's job is its key here. */
  typedef struct expect {
    const char *key, *job_type;
    int64_t run;
    const char *parts;
  } expect;
  const expect cases[] = {
      {ka, "make", a, ""},         {k2, "make", two_old, ""},
      {kc, "make", 0, "pc"},       {kd, "make", 0, ""},
      {ka, "other", 0, "pa"},      {kf, "make", 0, "pf"},
      {ka, "make", a, ""},         {k1, "make", one_new, ""},
  };
  enum { N = 70, CASES = sizeof cases / sizeof cases[0] };
  aero_reuse_query queries[N];
  wide_match matches[N];
  for (size_t i = 0; i < N; i++) {
    const expect *c = &cases[i % CASES];
    queries[i] = (aero_reuse_query){.struct_size = sizeof queries[i],
                                    .entity = "",
                                    .project = "proj",
                                    .job_type = c->job_type,
                                    .key = c->key,
                                    .dev = true,
                                    .job = c->key};
    memset(&matches[i], 0x5a, sizeof matches[i]);
    matches[i].match.struct_size = sizeof matches[i];
  }
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(
      vt->reuse_find_batch(f->handle, queries, N, &matches[0].match, &err),
      AERO_OK);
  for (size_t i = 0; i < N; i++) {
    const expect *c = &cases[i % CASES];
    aero_reuse_match alone = {.struct_size = sizeof alone};
    assert_int_equal(vt->reuse_find(f->handle, &queries[i], &alone, &err),
                     AERO_OK);
    if (matches[i].match.run_id != c->run || alone.run_id != c->run)
      fail_msg("query %zu: batch %lld, alone %lld, expected %lld", i,
               (long long)matches[i].match.run_id, (long long)alone.run_id,
               (long long)c->run);
    if (c->run == 0) {
      assert_string_equal(matches[i].match.parts, c->parts);
      assert_string_equal(alone.parts, c->parts);
    } else {
      assert_true(matches[i].match.ended_ns > 0);
      assert_int_equal(matches[i].match.ended_ns, alone.ended_ns);
    }
    /* Past this build's match: untouched. */
    for (size_t k = 0; k < sizeof matches[i].newer; k++)
      assert_int_equal((unsigned char)matches[i].newer[k], 0x5a);
  }
}

/* An action with many outputs is answered in a chunk too: its run holds
 * all 20 (each counted once), and one output's blob damaged makes it
 * run. */
static void test_reuse_find_batch_many_outputs(void **state) {
  fixture *f = *state;
  enum { OUTPUTS = 20 };
  char names[OUTPUTS][16], files[OUTPUTS][PATH_MAX];
  const char *outputs[OUTPUTS];
  for (int i = 0; i < OUTPUTS; i++) {
    snprintf(names[i], sizeof names[i], "out%d", i);
    snprintf(files[i], sizeof files[i], "%s/%s.txt", f->dir, names[i]);
    char content[32];
    snprintf(content, sizeof content, "content %d\n", i);
    write_file(files[i], content);
    outputs[i] = names[i];
  }
  aero_run_record rec = {.struct_size = sizeof rec,
                         .entity = "",
                         .project = "proj",
                         .job_type = "many",
                         .outputs = outputs,
                         .output_count = OUTPUTS,
                         .dev = true};
  aero_error err = AEH_ERROR_INIT;
  int64_t run = 0;
  assert_int_equal(vt->run_begin(f->handle, &rec, &run, &err), AERO_OK);
  for (int i = 0; i < OUTPUTS; i++)
    put_ok(f->handle, run, names[i], files[i]);
  end_ok(f->handle, run);
  char key[65], other[65];
  key_of('9', key);
  key_of('8', other);
  assert_int_equal(vt->reuse_key(f->handle, run, key, key, "p9", &err),
                   AERO_OK);
  /* Two queries: a chunk, not a lookup alone. */
  aero_reuse_query queries[2];
  aero_reuse_match matches[2];
  const char *keys[] = {key, other};
  for (int i = 0; i < 2; i++) {
    queries[i] = (aero_reuse_query){.struct_size = sizeof queries[i],
                                    .entity = "",
                                    .project = "proj",
                                    .job_type = "many",
                                    .key = keys[i],
                                    .dev = true,
                                    .job = keys[i]};
    matches[i] = (aero_reuse_match){.struct_size = sizeof matches[i]};
  }
  assert_int_equal(vt->reuse_find_batch(f->handle, queries, 2, matches, &err),
                   AERO_OK);
  assert_int_equal(matches[0].run_id, run);
  assert_int_equal(matches[1].run_id, 0);
  char damage[512];
  snprintf(damage, sizeof damage,
           "UPDATE inline_blobs SET content = x'00' WHERE sha256 = (SELECT "
           "f.sha256 FROM version_files f JOIN artifact_versions a ON "
           "a.version_id = f.version_id WHERE a.name = 'out17'); SELECT "
           "changes();");
  assert_int_equal(sql_int(f, damage), 1);
  /* A new handle: the match kept this one's read (a streak's snapshot). */
  vt->close(f->handle);
  open_store(f);
  assert_int_equal(vt->reuse_find_batch(f->handle, queries, 2, matches, &err),
                   AERO_OK);
  assert_int_equal(matches[0].run_id, 0);
  assert_string_equal(matches[0].parts, "p9");
}

/* A run's end that is not an end state, or no outcome at all, is refused
 * with one line naming the backend (and the run), and the run stays
 * running: a later end still records it. */
static void test_run_end_checks_its_outcome(void **state) {
  fixture *f = *state;
  int64_t run = begin(f->handle, true, "make");
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(end(f->handle, run, AERO_RUN_RUNNING, &err),
                   AERO_E_INVALID);
  char want[96];
  snprintf(want, sizeof want, "tracker-local: run %lld cannot end in state %u",
           (long long)run, (unsigned)AERO_RUN_RUNNING);
  assert_string_equal(err.message, want);
  assert_int_equal(vt->run_end(f->handle, run, NULL, &err), AERO_E_INVALID);
  assert_string_equal(err.message, "tracker-local: no run outcome");
  char query[96];
  snprintf(query, sizeof query,
           "SELECT count(*) FROM runs WHERE id = %lld AND status = 'running'",
           (long long)run);
  assert_int_equal(sql_int(f, query), 1);
  end_ok(f->handle, run);
}

/* A reuse key or job of another length, or parts past 255 bytes, is
 * refused with the backend's name (the check both backends share). */
static void test_reuse_key_checked(void **state) {
  fixture *f = *state;
  publish(f->handle, f, true, "data", "v0\n");
  int64_t run = (int64_t)sql_int(f, "SELECT max(id) FROM runs");
  char key[65], job[65], parts[257];
  memset(key, 'a', 64);
  memset(job, 'b', 64);
  memset(parts, 'p', 256);
  key[64] = job[64] = parts[256] = '\0';
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(vt->reuse_key(f->handle, run, key + 1, job, "p", &err),
                   AERO_E_INVALID);
  assert_non_null(strstr(err.message, "tracker-local: a reuse key and job "
                                      "are 64 hex digits"));
  assert_int_equal(vt->reuse_key(f->handle, run, key, job + 1, "p", &err),
                   AERO_E_INVALID);
  assert_int_equal(vt->reuse_key(f->handle, run, key, job, parts, &err),
                   AERO_E_INVALID);
  assert_int_equal(vt->reuse_key(f->handle, run, key, job, parts + 1, &err),
                   AERO_OK);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM run_keys"), 1);
}

/* ------------------------------------------------------------- cases */

static void test_open_creates_layout_and_schema(void **state) {
  fixture *f = *state;
  struct stat st;
  const char *subs[] = {"aeromancy.db", "blobs", "views", "tmp"};
  for (size_t i = 0; i < 4; i++) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", f->store, subs[i]);
    assert_int_equal(stat(path, &st), 0);
  }
  assert_int_equal(sql_int(f, "PRAGMA user_version"), 10);
  /* The tables and views other tools query by name. */
  assert_int_equal(
      sql_int(f, "SELECT count(*) FROM sqlite_master WHERE type IN ('table', "
                 "'view') AND name IN ('runs', 'run_config', 'run_tags', "
                 "'metrics', 'metric_blocks', 'run_logs', 'artifacts', "
                 "'versions', 'version_files', 'version_metadata', "
                 "'run_inputs', 'run_outputs', 'run_env')"),
      13);
  assert_string_equal(sql_text(f, "PRAGMA journal_mode"), "wal");
}

static void test_run_records_config_tags_env(void **state) {
  fixture *f = *state;
  int64_t run = begin(f->handle, true, "train");
  assert_int_equal(sql_int(f, "SELECT count(*) FROM runs WHERE status = "
                              "'running' AND mode = 'dev'"),
                   1);
  aero_metric m[] = {{"loss", 0.25}, {"acc", 0.75}};
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(vt->log_metrics(f->handle, run, m, 2, 3, &err), AERO_OK);
  assert_int_equal(vt->log_metrics(f->handle, run, m, 1, AERO_NO_STEP, &err),
                   AERO_OK);
  aero_metric nan_metric = {"bad", 0.0 / 0.0};
  assert_int_equal(vt->log_metrics(f->handle, run, &nan_metric, 1, 0, &err),
                   AERO_E_INVALID);
  assert_non_null(strstr(err.message, "bad"));
  assert_int_equal(vt->log_text(f->handle, run, AERO_LOG_INFO, "hello", &err),
                   AERO_OK);
  aero_run_outcome out = {.struct_size = sizeof out,
                          .state = AERO_RUN_CRASHED,
                          .exit_code = -1,
                          .signal = 11,
                          .message = "crashed with SIGSEGV"};
  assert_int_equal(vt->run_end(f->handle, run, &out, &err), AERO_OK);
  assert_int_equal(
      sql_int(f, "SELECT count(*) FROM runs WHERE status = 'crashed' AND "
                 "signal = 11 AND exit_code IS NULL AND ended_at >= "
                 "started_at AND git_commit = 'c0ffee'"),
      1);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM run_config WHERE key = "
                              "'learning_rate' AND type = 'double' AND value "
                              "= 0.5"),
                   1);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM run_tags"), 2);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM run_env WHERE key = "
                              "'future_fact' AND value = 'kept'"),
                   1);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM metrics WHERE step = 3"),
                   2);
  assert_int_equal(
      sql_int(f, "SELECT count(*) FROM metrics WHERE step IS NULL"), 1);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM run_logs WHERE message "
                              "= 'hello' AND level = 'info'"),
                   1);
  /* A run ends once. */
  assert_int_equal(vt->run_end(f->handle, run, &out, &err), AERO_E_STATE);
}

/* What query_run reports for one metric key. */
typedef struct summary_seen {
  const char *key;
  aero_metric_summary m;
  int keys; /* summaries reported */
  bool found;
} summary_seen;

static aero_status on_summary(void *ctx, const aero_metric_summary *m,
                              aero_error *err) {
  (void)err;
  summary_seen *s = ctx;
  s->keys++;
  if (strcmp(m->key, s->key) == 0) {
    s->m = *m;
    s->found = true;
  }
  return AERO_OK;
}

static summary_seen summary_of(void *handle, int64_t run, const char *key) {
  summary_seen s = {.key = key};
  aero_run_sink sink = {.struct_size = sizeof sink,
                        .metric_summary = on_summary};
  aero_error err = AEH_ERROR_INIT;
  if (vt->query_run(handle, run, &sink, &s, &err) != AERO_OK)
    fail_msg("query_run: %s", err.message);
  assert_true(s.found);
  return s;
}

/* Turns the store back into schema 6: `runs` a table with the facts of
 * each run's invocation in its own columns. */
#define TO_SCHEMA_6                                                            \
  TO_SCHEMA_8                                                                  \
  "DROP TABLE inline_blobs; DROP VIEW runs; "                                  \
  "ALTER TABLE run_records ADD COLUMN git_commit TEXT; "                       \
  "ALTER TABLE run_records ADD COLUMN git_branch TEXT; "                       \
  "ALTER TABLE run_records ADD COLUMN git_message TEXT; "                      \
  "ALTER TABLE run_records ADD COLUMN git_remote TEXT; "                       \
  "ALTER TABLE run_records ADD COLUMN image_id TEXT; "                         \
  "ALTER TABLE run_records ADD COLUMN packages TEXT; "                         \
  "ALTER TABLE run_records ADD COLUMN plugin_path TEXT; "                      \
  "ALTER TABLE run_records ADD COLUMN plugin_sha256 TEXT; "                    \
  "ALTER TABLE run_records ADD COLUMN host_version TEXT; "                     \
  "ALTER TABLE run_records ADD COLUMN abi_version TEXT; "                      \
  "ALTER TABLE run_records ADD COLUMN hostname TEXT; "                         \
  "ALTER TABLE run_records ADD COLUMN command_line TEXT; "                     \
  "ALTER TABLE run_records ADD COLUMN passthrough_env TEXT; "                  \
  "UPDATE run_records SET (git_commit, git_branch, git_message, git_remote, "  \
  "image_id, packages, plugin_path, plugin_sha256, host_version, "             \
  "abi_version, hostname, command_line, passthrough_env) = (SELECT "           \
  "git_commit, git_branch, git_message, git_remote, image_id, packages, "      \
  "plugin_path, plugin_sha256, host_version, abi_version, hostname, "          \
  "command_line, passthrough_env FROM invocations i WHERE i.id = "             \
  "invocation_id); "                                                           \
  "ALTER TABLE run_records DROP COLUMN invocation_id; DROP TABLE "             \
  "invocations; "                                                              \
  "ALTER TABLE run_records RENAME TO runs; "

/* Turns the store back into schema 4 (one metrics row per point, the
 * covering index metrics_points), as tracker-local wrote it before
 * blocks, with the same points in the same logging order per key. */
#define TO_SCHEMA_4                                                            \
  TO_SCHEMA_6                                                                  \
  "DROP TABLE output_links; "                                                  \
  "CREATE TABLE old_points AS SELECT * FROM metrics; DROP VIEW metrics; "      \
  "DROP TABLE metric_blocks; CREATE TABLE metrics (id INTEGER PRIMARY KEY, "   \
  "run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE, key TEXT "  \
  "NOT NULL, value REAL NOT NULL, step INTEGER CHECK (step IS NULL OR step "   \
  ">= 0), logged_at INTEGER NOT NULL); INSERT INTO metrics (run_id, key, "     \
  "value, step, logged_at) SELECT run_id, key, value, step, logged_at FROM "   \
  "old_points ORDER BY block_id, point; DROP TABLE old_points; CREATE INDEX "  \
  "metrics_points ON metrics (run_id, key, step, id, value, logged_at); "      \
  "PRAGMA user_version = 4; "

/* Keys whose kept summary differs from one computed from the points. */
#define SUMMARY_WRONG                                                          \
  "SELECT count(*) FROM metric_summaries s WHERE NOT (s.count = (SELECT "      \
  "count(*) FROM metrics m WHERE m.run_id = s.run_id AND m.key = s.key) AND "  \
  "s.min_value = (SELECT min(value) FROM metrics m WHERE m.run_id = s.run_id " \
  "AND m.key = s.key) AND s.max_value = (SELECT max(value) FROM metrics m "    \
  "WHERE m.run_id = s.run_id AND m.key = s.key) AND s.last_value = (SELECT "   \
  "value FROM metrics m WHERE m.run_id = s.run_id AND m.key = s.key ORDER BY " \
  "step DESC, block_id DESC, point DESC LIMIT 1) AND s.last_step IS (SELECT "  \
  "max(step) FROM "                                                            \
  "metrics m WHERE m.run_id = s.run_id AND m.key = s.key))"

static void test_metric_summaries_kept_and_migrated(void **state) {
  fixture *f = *state;
  int64_t run = begin(f->handle, true, "train");
  aero_error err = AEH_ERROR_INIT;
  /* One batch with more keys than are summarised at once; "loss" gets a
   * point without a step after stepped ones (not last), an equal step
   * later (last), a lower step (not last). */
  aero_metric_row rows[48];
  char keys[40][8];
  size_t n = 0;
  for (int i = 0; i < 40; i++) {
    snprintf(keys[i], sizeof keys[i], "k%02d", i);
    rows[n++] = (aero_metric_row){
        .key = keys[i], .value = i, .step = AERO_NO_STEP, .logged_ns = 1};
  }
  const aero_metric_row loss[] = {{"loss", 1.0, 5, 1},
                                  {"loss", 9.0, AERO_NO_STEP, 1},
                                  {"loss", 2.0, 5, 1},
                                  {"loss", -4.0, 3, 1},
                                  {"nostep", 7.0, AERO_NO_STEP, 1}};
  for (size_t i = 0; i < 5; i++)
    rows[n++] = loss[i];
  assert_int_equal(vt->log_metric_rows(f->handle, run, rows, n, &err), AERO_OK);
  /* Later batches: an equal step logged later wins; a point without a
   * step never follows a stepped one; without steps, the latest wins. */
  const aero_metric_row later[] = {{"loss", 3.0, 5, 2},
                                   {"loss", 3.5, 5, 2},
                                   {"loss", 0.5, AERO_NO_STEP, 2},
                                   {"nostep", 8.0, AERO_NO_STEP, 2},
                                   {"k07", 70.0, 1, 2}};
  assert_int_equal(vt->log_metric_rows(f->handle, run, later, 5, &err),
                   AERO_OK);
  assert_int_equal(vt->log_metric_rows(f->handle, run, later + 3, 1, &err),
                   AERO_OK);
  end_ok(f->handle, run);

  summary_seen s = summary_of(f->handle, run, "loss");
  assert_int_equal(s.keys, 42);
  assert_int_equal(s.m.count, 7);
  assert_true(s.m.min == -4.0 && s.m.max == 9.0);
  assert_true(s.m.last == 3.5);
  assert_int_equal(s.m.last_step, 5);
  s = summary_of(f->handle, run, "nostep");
  assert_int_equal(s.m.count, 3);
  assert_true(s.m.last == 8.0);
  assert_int_equal(s.m.last_step, AERO_NO_STEP);
  s = summary_of(f->handle, run, "k07");
  assert_true(s.m.count == 2 && s.m.last == 70.0 && s.m.last_step == 1);
  assert_int_equal(sql_int(f, SUMMARY_WRONG), 0);

  /* A store of schema 2 (no summaries kept, the index of schema 3) gets
   * them from its points when it is opened. */
  vt->close(f->handle);
  f->handle = NULL;
  sql_int(f, TO_SCHEMA_4 "DROP TABLE metric_summaries; DROP INDEX "
                         "metrics_points; CREATE INDEX metrics_by_run ON "
                         "metrics (run_id, key, step); PRAGMA user_version = "
                         "2; SELECT 0");
  open_store(f);
  assert_int_equal(sql_int(f, "PRAGMA user_version"), 10);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM metric_summaries"), 42);
  assert_int_equal(sql_int(f, SUMMARY_WRONG), 0);
  s = summary_of(f->handle, run, "loss");
  assert_true(s.m.count == 7 && s.m.last == 3.5 && s.m.last_step == 5);
}

/* The points query_metrics hands over, as "key:step=value" joined. */
typedef struct points_seen {
  char text[512];
} points_seen;

static aero_status on_points(void *ctx, const aero_metric_row *rows,
                             size_t count, aero_error *err) {
  (void)err;
  points_seen *seen = ctx;
  for (size_t i = 0; i < count; i++) {
    size_t used = strlen(seen->text);
    snprintf(seen->text + used, sizeof seen->text - used, "%s:%lld=%g ",
             rows[i].key, (long long)rows[i].step, rows[i].value);
  }
  return AERO_OK;
}

static const char *points_of(fixture *f, int64_t run) {
  static points_seen seen;
  seen.text[0] = '\0';
  aero_metric_query q = {.struct_size = sizeof q, .run_id = run};
  aero_error err = AEH_ERROR_INIT;
  if (vt->query_metrics(f->handle, &q, on_points, &seen, &err) != AERO_OK)
    fail_msg("query_metrics: %s", err.message);
  return seen.text;
}

/* How SQLite reads a run's blocks, as query_metrics asks for them: the
 * detail of EXPLAIN QUERY PLAN's one step. */
static const char *points_plan(const fixture *f) {
  const char *line = sql_line(
      f, "-cmd '.explain off'",
      "EXPLAIN QUERY PLAN SELECT key, id, first_step, count, steps, vals, "
      "times FROM metric_blocks WHERE run_id = 1 ORDER BY key, first_step, "
      "id");
  const char *detail = strrchr(line, '|');
  return detail != NULL ? detail + 1 : line;
}

static void test_points_read_in_order_and_migrated(void **state) {
  fixture *f = *state;
  int64_t run = begin(f->handle, true, "train");
  aero_error err = AEH_ERROR_INIT;
  /* Equal steps keep their logging order; no step sorts first; a later
   * batch's points sort among the earlier ones by step. */
  const aero_metric_row rows[] = {{"loss", 1.0, 5, 1},
                                  {"acc", 0.5, 1, 1},
                                  {"loss", 2.0, 5, 1},
                                  {"loss", 9.0, AERO_NO_STEP, 1},
                                  {"loss", -4.0, 3, 1}};
  const aero_metric_row later[] = {
      {"loss", 7.0, 4, 2}, {"loss", 8.0, 5, 2}, {"loss", 6.0, AERO_NO_STEP, 2}};
  assert_int_equal(vt->log_metric_rows(f->handle, run, rows, 5, &err), AERO_OK);
  assert_int_equal(vt->log_metric_rows(f->handle, run, later, 3, &err),
                   AERO_OK);
  end_ok(f->handle, run);
  const char *want = "acc:1=0.5 loss:-1=9 loss:-1=6 loss:3=-4 loss:4=7 "
                     "loss:5=1 loss:5=2 loss:5=8 ";
  assert_string_equal(points_of(f, run), want);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM metric_blocks"), 3);
  assert_string_equal(points_plan(f),
                      "SEARCH metric_blocks USING INDEX metric_blocks_by_run "
                      "(run_id=?)");

  /* A store of schema 4 (a row per point) gets its points moved into
   * blocks when it is opened, and reads the same points; so does one of
   * schema 3 (metrics_by_run, without values). */
  for (int version = 4; version >= 3; version--) {
    vt->close(f->handle);
    f->handle = NULL;
    sql_int(f, version == 4 ? TO_SCHEMA_4 "SELECT 0"
                            : TO_SCHEMA_4 "DROP INDEX metrics_points; CREATE "
                                          "INDEX metrics_by_run ON metrics "
                                          "(run_id, key, step); PRAGMA "
                                          "user_version = 3; SELECT 0");
    assert_int_equal(sql_int(f, "SELECT count(*) FROM metrics"), 8);
    open_store(f);
    assert_int_equal(sql_int(f, "PRAGMA user_version"), 10);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM sqlite_schema WHERE "
                                "name IN ('metrics_by_run', 'metrics_points')"),
                     0);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM metric_blocks"), 2);
    assert_string_equal(points_of(f, run), want);
  }
}

/* The keys of a query are a set, as on tracker-postgres (`key = ANY`): a
 * key asked twice streams its points once. */
static void test_points_of_a_key_asked_twice_once(void **state) {
  fixture *f = *state;
  int64_t run = begin(f->handle, true, "train");
  aero_error err = AEH_ERROR_INIT;
  const aero_metric_row rows[] = {
      {"loss", 1.0, 1, 1}, {"acc", 0.5, 1, 1}, {"loss", 2.0, 2, 1}};
  assert_int_equal(vt->log_metric_rows(f->handle, run, rows, 3, &err), AERO_OK);
  end_ok(f->handle, run);
  const char *asked[] = {"loss", "acc", "loss", "acc"};
  aero_metric_query q = {
      .struct_size = sizeof q, .run_id = run, .keys = asked, .key_count = 4};
  points_seen seen = {.text = ""};
  assert_int_equal(vt->query_metrics(f->handle, &q, on_points, &seen, &err),
                   AERO_OK);
  assert_string_equal(seen.text, "acc:1=0.5 loss:1=1 loss:2=2 ");
}

/* A point as the tests below log and expect it. */
typedef struct point {
  int64_t key;
  int64_t step;
  double value;
  int64_t ns;
} point;

static const char *const point_keys[] = {"a", "b", "c"};

typedef struct points_got {
  point *p;
  size_t n, cap;
} points_got;

static aero_status collect_points(void *ctx, const aero_metric_row *rows,
                                  size_t count, aero_error *err) {
  (void)err;
  points_got *got = ctx;
  for (size_t i = 0; i < count; i++) {
    if (got->n == got->cap)
      return AERO_E_INVALID;
    int key = rows[i].key[0] - 'a';
    got->p[got->n++] =
        (point){key, rows[i].step, rows[i].value, rows[i].logged_ns};
  }
  return AERO_OK;
}

/* Key, then step, then logging order (`ns` counts up as logged). */
static int by_key_step_ns(const void *a, const void *b) {
  const point *x = a, *y = b;
  if (x->key != y->key)
    return x->key < y->key ? -1 : 1;
  if (x->step != y->step)
    return x->step < y->step ? -1 : 1;
  return x->ns < y->ns ? -1 : x->ns > y->ns;
}

static void test_points_of_many_batches_merge_in_order(void **state) {
  fixture *f = *state;
  int64_t run = begin(f->handle, true, "train");
  aero_error err = AEH_ERROR_INIT;
  enum { BATCHES = 60, MAX_BATCH = 300, TOTAL = BATCHES * MAX_BATCH };
  point *logged = calloc(TOTAL, sizeof *logged);
  aero_metric_row *rows = calloc(MAX_BATCH, sizeof *rows);
  assert_non_null(logged);
  assert_non_null(rows);
  size_t n = 0;
  srand(7);
  /* Batches of interleaved keys, steps mostly rising but often repeated,
   * going back, or none: blocks whose steps overlap. */
  for (int batch = 0; batch < BATCHES; batch++) {
    size_t count = 1 + (size_t)rand() % MAX_BATCH;
    for (size_t i = 0; i < count; i++) {
      int r = rand() % 10;
      int64_t step = r == 0   ? AERO_NO_STEP
                     : r <= 2 ? rand() % 50
                              : (int64_t)(n / 4) + rand() % 3;
      point p = {rand() % 3, step, (double)rand() / 7.0 - 1e5, (int64_t)n + 1};
      logged[n++] = p;
      rows[i] = (aero_metric_row){point_keys[p.key], p.value, p.step, p.ns};
    }
    assert_int_equal(vt->log_metric_rows(f->handle, run, rows, count, &err),
                     AERO_OK);
  }
  end_ok(f->handle, run);
  qsort(logged, n, sizeof *logged, by_key_step_ns);

  points_got got = {calloc(n, sizeof(point)), 0, n};
  aero_metric_query q = {.struct_size = sizeof q, .run_id = run};
  assert_int_equal(vt->query_metrics(f->handle, &q, collect_points, &got, &err),
                   AERO_OK);
  assert_int_equal(got.n, n);
  assert_memory_equal(got.p, logged, n * sizeof *logged);

  /* Keys asked for, in key order whatever the order asked (query.h). */
  const char *asked[] = {"c", "a"};
  q.keys = asked;
  q.key_count = 2;
  got.n = 0;
  assert_int_equal(vt->query_metrics(f->handle, &q, collect_points, &got, &err),
                   AERO_OK);
  size_t a = 0, c = 0;
  while (a < n && logged[a].key == 0)
    a++;
  c = a;
  while (c < n && logged[c].key == 1)
    c++;
  assert_int_equal(got.n, a + (n - c));
  assert_memory_equal(got.p, logged, a * sizeof *logged);
  assert_memory_equal(got.p + a, logged + c, (n - c) * sizeof *logged);

  /* The metrics view shows the same points, values exact. */
  assert_int_equal(sql_int(f, "SELECT count(*) FROM metrics"), (long long)n);
  size_t k = n / 2;
  while (logged[k].step == AERO_NO_STEP)
    k++;
  char query[256];
  snprintf(query, sizeof query,
           "SELECT count(*) FROM metrics WHERE value = %.17g AND step = "
           "%lld AND logged_at = %lld AND key = '%s'",
           logged[k].value, (long long)logged[k].step, (long long)logged[k].ns,
           point_keys[logged[k].key]);
  assert_int_equal(sql_int(f, query), 1);
  free(got.p);
  free(rows);
  free(logged);
}

static void test_put_publish_resolve_dedupe(void **state) {
  fixture *f = *state;
  aero_error err = AEH_ERROR_INIT;
  aero_artifact_version v;
  /* Nothing yet. */
  assert_int_equal(resolve(f->handle, "data", -1, true, &v, &err),
                   AERO_E_NOT_FOUND);
  assert_non_null(strstr(err.message, "proj/data"));

  publish(f->handle, f, true, "data", "one\n");
  assert_int_equal(resolve(f->handle, "data", -1, true, &v, &err), AERO_OK);
  assert_int_equal(v.version, 0);
  assert_true(v.dev);
  assert_string_equal(v.type, "dataset");
  int64_t first_id = v.id;

  /* Identical content: the same version. */
  publish(f->handle, f, true, "data", "one\n");
  assert_int_equal(resolve(f->handle, "data", -1, true, &v, &err), AERO_OK);
  assert_int_equal(v.version, 0);
  assert_int_equal(v.id, first_id);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM versions"), 1);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM run_outputs WHERE "
                              "version_id = (SELECT id FROM versions)"),
                   2);

  /* New content: the next number. */
  publish(f->handle, f, true, "data", "two\n");
  assert_int_equal(resolve(f->handle, "data", -1, true, &v, &err), AERO_OK);
  assert_int_equal(v.version, 1);
  assert_int_equal(resolve(f->handle, "data", 0, true, &v, &err), AERO_OK);
  assert_int_equal(v.id, first_id);
  assert_int_equal(resolve(f->handle, "data", 7, true, &v, &err),
                   AERO_E_NOT_FOUND);
  assert_non_null(strstr(err.message, "proj/data:v7"));
  assert_non_null(strstr(err.message, "latest is v1"));

  /* Back to old content: a new latest, not v0 again (readers of `latest`
   * must get what the producer made last). */
  publish(f->handle, f, true, "data", "one\n");
  assert_int_equal(resolve(f->handle, "data", -1, true, &v, &err), AERO_OK);
  assert_int_equal(v.version, 2);
  assert_int_equal(
      sql_int(f, "SELECT count(*) FROM version_metadata WHERE key = 'rows' "
                 "AND type = 'int' AND value = 3"),
      3);
}

static void test_outputs_invisible_until_run_ok(void **state) {
  fixture *f = *state;
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/a.txt", f->dir);
  write_file(path, "pending\n");
  aero_error err = AEH_ERROR_INIT;
  aero_artifact_version v;
  int64_t run = begin(f->handle, true, "make");
  put_ok(f->handle, run, "data", path);
  assert_int_equal(resolve(f->handle, "data", -1, true, &v, &err),
                   AERO_E_NOT_FOUND);
  end_ok(f->handle, run);
  assert_int_equal(resolve(f->handle, "data", -1, true, &v, &err), AERO_OK);
}

static void test_failed_runs_publish_nothing(void **state) {
  fixture *f = *state;
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/a.txt", f->dir);
  const aero_run_state bad[] = {AERO_RUN_CRASHED, AERO_RUN_FAILED,
                                AERO_RUN_TIMED_OUT, AERO_RUN_KILLED,
                                AERO_RUN_BAILED};
  for (size_t i = 0; i < 5; i++) {
    char content[32];
    snprintf(content, sizeof content, "attempt %zu\n", i);
    write_file(path, content);
    int64_t run = begin(f->handle, true, "make");
    put_ok(f->handle, run, "data", path);
    aero_error err = AEH_ERROR_INIT;
    assert_int_equal(end(f->handle, run, bad[i], &err), AERO_OK);
  }
  aero_error err = AEH_ERROR_INIT;
  aero_artifact_version v;
  assert_int_equal(resolve(f->handle, "data", -1, true, &v, &err),
                   AERO_E_NOT_FOUND);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM versions"), 0);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM version_files"), 0);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM run_outputs"), 0);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM runs WHERE status IN "
                              "('crashed', 'failed', 'timed_out', 'killed', "
                              "'bailed')"),
                   5);
}

static void test_dev_and_prod_resolution(void **state) {
  fixture *f = *state;
  aero_error err = AEH_ERROR_INIT;
  aero_artifact_version v;
  publish(f->handle, f, true, "data", "dev zero\n");
  /* Production never sees a dev version. */
  assert_int_equal(resolve(f->handle, "data", -1, false, &v, &err),
                   AERO_E_NOT_FOUND);
  assert_non_null(strstr(err.message, "only dev versions"));
  assert_int_equal(resolve(f->handle, "data", 0, false, &v, &err),
                   AERO_E_NOT_FOUND);
  assert_non_null(strstr(err.message, "is a dev version"));

  publish(f->handle, f, false, "data", "prod one\n");
  publish(f->handle, f, true, "data", "dev two\n");
  assert_int_equal(resolve(f->handle, "data", -1, false, &v, &err), AERO_OK);
  assert_int_equal(v.version, 1); /* numbers are shared by both modes */
  assert_false(v.dev);
  assert_int_equal(resolve(f->handle, "data", -1, true, &v, &err), AERO_OK);
  assert_int_equal(v.version, 2);
  assert_true(v.dev);
  assert_int_equal(resolve(f->handle, "data", 2, false, &v, &err),
                   AERO_E_NOT_FOUND);
  assert_non_null(strstr(err.message, "latest production version: v1"));

  /* Production content equal to a dev version still makes a production
   * version; dev content equal to the latest version it sees reuses it. */
  publish(f->handle, f, false, "data", "dev two\n");
  assert_int_equal(resolve(f->handle, "data", -1, false, &v, &err), AERO_OK);
  assert_int_equal(v.version, 3);
  assert_false(v.dev);
  publish(f->handle, f, true, "data", "dev two\n");
  assert_int_equal(resolve(f->handle, "data", -1, true, &v, &err), AERO_OK);
  assert_int_equal(v.version, 3);
}

/* A folder (`content` NULL) or a file, relative to the test's folder. */
typedef struct tree_entry {
  const char *path, *content;
} tree_entry;

/* Makes `count` entries in order (a folder before what it holds). */
static void make_tree(const fixture *f, const tree_entry *entries,
                      size_t count) {
  for (size_t i = 0; i < count; i++) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", f->dir, entries[i].path);
    if (entries[i].content == NULL)
      assert_int_equal(mkdir(path, 0755), 0);
    else
      write_file(path, entries[i].content);
  }
}

/* The tree of `entries` (under out/) made, declared as artifact "data" by
 * an ok run, and that version resolved. */
static aero_artifact_version
stored_tree(const fixture *f, const tree_entry *entries, size_t count) {
  make_tree(f, entries, count);
  char tree[PATH_MAX];
  snprintf(tree, sizeof tree, "%s/out", f->dir);
  int64_t run = begin(f->handle, true, "make");
  const char *files[] = {tree};
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(put(f->handle, run, "data", files, 1, NULL, &err), AERO_OK);
  end_ok(f->handle, run);
  aero_artifact_version v;
  assert_int_equal(resolve(f->handle, "data", -1, true, &v, &err), AERO_OK);
  return v;
}

static void test_materialized_files_read_only_right_bytes(void **state) {
  fixture *f = *state;
  /* An empty folder in the output holds no file: nothing of it is kept. */
  static const tree_entry entries[] = {
      {"out", NULL},        {"out/sub", NULL},         {"out/empty", NULL},
      {"out/a.csv", "x,y\n1,2\n"}, {"out/sub/b.csv", "bee\n"}};
  aero_artifact_version v = stored_tree(f, entries, 5);
  aero_error err = AEH_ERROR_INIT;

  paths got = {0};
  char dir[1024];
  assert_int_equal(
      vt->materialize(f->handle, v.id, collect, &got, dir, sizeof dir, &err),
      AERO_OK);
  assert_int_equal(got.count, 2);
  char want[PATH_MAX];
  /* A folder without strip_prefix keeps its base name. */
  snprintf(want, sizeof want, "%s/out/a.csv", dir);
  assert_string_equal(got.items[0], want);
  snprintf(want, sizeof want, "%s/out/sub/b.csv", dir);
  assert_string_equal(got.items[1], want);
  assert_string_equal(read_file(got.items[0]), "x,y\n1,2\n");
  assert_string_equal(read_file(got.items[1]), "bee\n");
  for (size_t i = 0; i < 2; i++) {
    struct stat st;
    assert_int_equal(stat(got.items[i], &st), 0);
    assert_int_equal(st.st_mode & 0777, 0444);
  }
  assert_true(dir[0] == '/');

  /* Materializing again reuses the view. */
  paths again = {0};
  assert_int_equal(
      vt->materialize(f->handle, v.id, collect, &again, dir, sizeof dir, &err),
      AERO_OK);
  assert_int_equal(again.count, 2);
  assert_string_equal(again.items[1], got.items[1]);
  char tmp[PATH_MAX];
  snprintf(tmp, sizeof tmp, "%s/tmp", f->store);
  assert_int_equal(count_files(tmp), 0);
}

/* sql_exec: runs `query` on the store's database through the sqlite3
 * tool. */
static void sql_exec(const fixture *f, const char *query) {
  char cmd[PATH_MAX + 512];
  snprintf(cmd, sizeof cmd, "sqlite3 -batch '%s/aeromancy.db' \"%s\"", f->store,
           query);
  assert_int_equal(system(cmd), 0);
}

/* Records `per_key` ok runs without outputs (complete, so reusable) for
 * each of `keys` keys, `prefix` then the key's number: 64 characters. */
static void runs_per_key(const fixture *f, char prefix, int keys,
                         int per_key) {
  char query[1024];
  snprintf(query, sizeof query,
           "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
           "WHERE i < %d) INSERT INTO run_records (project, job_type, mode, "
           "status, started_at, ended_at) SELECT 'proj', 'make', 'dev', 'ok', "
           "i, i FROM n; INSERT INTO run_keys (run_id, key, job, parts) SELECT "
           "id, '%c' || printf('%%063d', id %% %d), 'j', 'p' FROM run_records "
           "WHERE id NOT IN (SELECT run_id FROM run_keys);",
           keys * per_key, prefix, keys);
  sql_exec(f, query);
}

/* CPU seconds of `rounds` batch lookups of the `n` queries. */
static double lookup_cpu(const fixture *f, const aero_reuse_query *queries,
                         aero_reuse_match *matches, size_t n, int rounds) {
  struct timespec a, b;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
  for (int r = 0; r < rounds; r++) {
    aero_error err = AEH_ERROR_INIT;
    if (vt->reuse_find_batch(f->handle, queries, n, matches, &err) != AERO_OK)
      fail_msg("reuse_find_batch: %s", err.message);
  }
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
  return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

/* A key's older `ok` runs (one per --force re-run) cost its lookup
 * nothing: the chunk takes each key's newest run and stops at a key's
 * second, leaving the rest to the one-query lookup, which stops at the
 * first complete run. The answers would be the same if the chunk read
 * every run of every key, one join each; only the cost tells, so it is
 * compared: 16 keys with 400 runs each against 16 keys with 2, the same
 * lookups otherwise (reading every run costs the first ~100 times more). */
static void test_reuse_find_batch_skips_older_runs(void **state) {
  fixture *f = *state;
  enum { KEYS = 16, FEW = 2, MANY = 400, ROUNDS = 20 };
  runs_per_key(f, 'a', KEYS, FEW);
  int64_t last_few = (int64_t)sql_int(f, "SELECT max(id) FROM run_records");
  runs_per_key(f, 'b', KEYS, MANY);
  char keys[2][KEYS][65];
  aero_reuse_query queries[2][KEYS];
  aero_reuse_match matches[2][KEYS];
  for (int set = 0; set < 2; set++)
    for (int i = 0; i < KEYS; i++) {
      snprintf(keys[set][i], sizeof keys[set][i], "%c%063d", "ab"[set], i);
      queries[set][i] = (aero_reuse_query){.struct_size = sizeof queries[0][0],
                                           .entity = "",
                                           .project = "proj",
                                           .job_type = "make",
                                           .key = keys[set][i],
                                           .dev = true,
                                           .job = "j"};
      matches[set][i] = (aero_reuse_match){.struct_size = sizeof matches[0][0]};
    }
  /* Each answered with its newest run: the last of its residue. */
  double cpu[2] = {1e9, 1e9};
  for (int attempt = 0; attempt < 3; attempt++)
    for (int set = 0; set < 2; set++) {
      double t = lookup_cpu(f, queries[set], matches[set], KEYS, ROUNDS);
      cpu[set] = t < cpu[set] ? t : cpu[set];
      for (int i = 0; i < KEYS; i++) {
        int64_t first = set == 0 ? 0 : last_few;
        int64_t runs = set == 0 ? KEYS * FEW : KEYS * MANY;
        int64_t newest = first + runs - KEYS + (i == 0 ? KEYS : i);
        assert_int_equal(matches[set][i].run_id, newest);
      }
    }
  if (cpu[1] > 4 * cpu[0])
    fail_msg("%d runs per key cost the lookups %.1f ms, %d runs %.1f ms: "
             "older runs are read",
             MANY, cpu[1] * 1e3, FEW, cpu[0] * 1e3);
}

/* Whether the sqlite3 tool's `statement`, in a transaction rolled back,
 * succeeds on the store's database. */
static bool sql_accepts(const fixture *f, const char *statement) {
  char cmd[PATH_MAX + 1024];
  snprintf(cmd, sizeof cmd,
           "sqlite3 -bail -batch '%s/aeromancy.db' \"BEGIN; %s; ROLLBACK;\" "
           "2>/dev/null",
           f->store, statement);
  return system(cmd) == 0;
}

#define RUN_WITH(mode, status)                                                 \
  "INSERT INTO run_records (project, job_type, mode, status, started_at) "     \
  "VALUES ('p', 'j', '" mode "', '" status "', 0)"
#define VERSION_WITH(mode, published)                                          \
  "INSERT INTO versions (artifact_id, digest, mode, run_id, created_at, "      \
  "published) VALUES (1, 'd', '" mode "', 1, 0, " published ")"
#define CONFIG_OF(type)                                                        \
  "INSERT INTO run_config (run_id, key, type, value) VALUES (1, 'k', '" type  \
  "', 1)"
#define METADATA_OF(type)                                                      \
  "INSERT INTO version_metadata (version_id, key, type, value) VALUES (1, "    \
  "'k', '" type "', 1)"
#define LOG_AT(level)                                                          \
  "INSERT INTO run_logs (run_id, level, message, logged_at) VALUES (1, '"      \
  level "', 'm', 0)"

/* The constraints that name the values a column allows hold every one of
 * them and nothing else, and are comparisons, not lists (which SQLite
 * evaluates by building a table at every row: schema 10). */
static void assert_value_checks(const fixture *f) {
  assert_int_equal(
      sql_int(f, "SELECT count(*) FROM sqlite_schema WHERE sql LIKE '%CHECK "
                 "(% IN (%'"),
      0);
  static const char *const allowed[] = {
      RUN_WITH("dev", "running"),   RUN_WITH("prod", "ok"),
      RUN_WITH("dev", "failed"),    RUN_WITH("dev", "crashed"),
      RUN_WITH("dev", "timed_out"), RUN_WITH("dev", "killed"),
      RUN_WITH("dev", "skipped"),   RUN_WITH("dev", "bailed"),
      RUN_WITH("dev", "reused"),    VERSION_WITH("dev", "0"),
      VERSION_WITH("prod", "0"),    CONFIG_OF("bool"),
      CONFIG_OF("int"),             CONFIG_OF("double"),
      CONFIG_OF("string"),          METADATA_OF("bool"),
      METADATA_OF("int"),           METADATA_OF("double"),
      METADATA_OF("string"),        LOG_AT("error"),
      LOG_AT("warn"),               LOG_AT("info"),
      LOG_AT("debug")};
  static const char *const refused[] = {
      RUN_WITH("dev", "Ok"),       RUN_WITH("dev", "done"),
      RUN_WITH("test", "ok"),      VERSION_WITH("staging", "0"),
      VERSION_WITH("dev", "2"),    CONFIG_OF("float"),
      METADATA_OF("list"),         LOG_AT("fatal")};
  for (size_t i = 0; i < sizeof allowed / sizeof *allowed; i++)
    if (!sql_accepts(f, allowed[i]))
      fail_msg("refused: %s", allowed[i]);
  for (size_t i = 0; i < sizeof refused / sizeof *refused; i++)
    if (sql_accepts(f, refused[i]))
      fail_msg("allowed: %s", refused[i]);
}

/* The lists as schema 1 wrote them (with schema 2's `reused`): a store of
 * schema 9. `level_list` is run_logs' list. */
static void rewind_to_schema_9(const fixture *f, const char *level_list) {
  char query[2048];
  snprintf(
      query, sizeof query,
      "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = "
      "replace(sql, 'CHECK (mode = ''dev'' OR mode = ''prod'')', 'CHECK (mode "
      "IN (''dev'', ''prod''))'); UPDATE sqlite_schema SET sql = replace(sql, "
      "'CHECK (status = ''running'' OR status = ''ok'' OR status = ''reused'' "
      "OR status = ''failed'' OR status = ''crashed'' OR status = "
      "''timed_out'' OR status = ''killed'' OR status = ''skipped'' OR status "
      "= ''bailed'')', 'CHECK (status IN (''running'', ''ok'', ''failed'',  "
      "''crashed'', ''timed_out'', ''killed'', ''skipped'', ''bailed'', "
      "''reused''))'); UPDATE sqlite_schema SET sql = replace(sql, 'CHECK "
      "(published = 0 OR published = 1)', 'CHECK (published IN (0, 1))'); "
      "UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (type = ''double'' "
      "OR type = ''int'' OR type = ''string'' OR type = ''bool'')', 'CHECK "
      "(type IN (''bool'', ''int'', ''double'', ''string''))'); UPDATE "
      "sqlite_schema SET sql = replace(sql, 'CHECK (level = ''info'' OR level "
      "= ''debug'' OR level = ''warn'' OR level = ''error'')', 'CHECK (level "
      "IN (%s))'); PRAGMA writable_schema = OFF; PRAGMA user_version = 9; "
      "SELECT count(*) FROM sqlite_schema WHERE sql LIKE '%%CHECK (%% IN "
      "(%%';",
      level_list);
  assert_int_equal(sql_int(f, query), 5);
}

/* A new store's value checks, and those of a store of schema 9 upgraded;
 * one whose list was changed by hand is refused in one line, unchanged. */
static void test_value_checks(void **state) {
  fixture *f = *state;
  assert_value_checks(f);
  vt->close(f->handle);
  f->handle = NULL;
  rewind_to_schema_9(f, "''error'', ''warn'', ''info'', ''debug''");
  assert_false(sql_accepts(f, LOG_AT("fatal")));
  open_store(f);
  assert_int_equal(sql_int(f, "PRAGMA user_version"), 10);
  assert_value_checks(f);
  vt->close(f->handle);
  f->handle = NULL;
  rewind_to_schema_9(f, "''error'', ''warn'', ''info'', ''debug'', ''trace''");
  aero_backend_open_params params = {.struct_size = sizeof params,
                                     .location = f->store};
  aero_error err = AEH_ERROR_INIT;
  void *h = NULL;
  assert_int_not_equal(vt->open(&params, &h, &err), AERO_OK);
  assert_null(h);
  assert_non_null(strstr(err.message, "table run_logs is not as aeromancy "
                                      "created it"));
  assert_int_equal(sql_int(f, "PRAGMA user_version"), 9);
  assert_true(sql_accepts(f, LOG_AT("trace")));
}

/* A view is written under the names and from the blobs its version's rows
 * give: a damaged row ('..' in a name, a blob that is no SHA-256) is
 * refused in one line, and nothing is written outside the view. */
static void test_damaged_file_rows_refused(void **state) {
  fixture *f = *state;
  static const tree_entry entries[] = {{"out", NULL},
                                       {"out/a.csv", "x,y\n1,2\n"}};
  aero_artifact_version v = stored_tree(f, entries, 2);
  aero_error err = AEH_ERROR_INIT;
  paths got = {0};
  char dir[1024];
  sql_exec(f, "UPDATE version_files SET path = '../../escaped' WHERE path = "
              "'out/a.csv'");
  assert_int_equal(
      vt->materialize(f->handle, v.id, collect, &got, dir, sizeof dir, &err),
      AERO_E_STORE);
  assert_non_null(strstr(err.message, "is damaged: the name of its file "
                                      "'../../escaped' has an empty, '.' or "
                                      "'..' part"));
  assert_null(strchr(err.message, '\n'));
  char escaped[PATH_MAX];
  snprintf(escaped, sizeof escaped, "%s/escaped", f->store);
  assert_int_equal(access(escaped, F_OK), -1);
  sql_exec(f, "UPDATE version_files SET path = 'out/a.csv', sha256 = '' "
              "WHERE path = '../../escaped'");
  err = (aero_error)AEH_ERROR_INIT;
  assert_int_equal(
      vt->materialize(f->handle, v.id, collect, &got, dir, sizeof dir, &err),
      AERO_E_STORE);
  assert_non_null(strstr(err.message, "is damaged: its file 'out/a.csv' "
                                      "names blob '', not a SHA-256"));
  assert_int_equal(got.count, 0);
}

static void test_strip_prefix_and_bad_names(void **state) {
  fixture *f = *state;
  static const tree_entry entries[] = {
      {"one", NULL}, {"two", NULL}, {"one/a.txt", "1"}, {"two/a.txt", "2"}};
  make_tree(f, entries, 4);
  char d1[PATH_MAX], a1[PATH_MAX], a2[PATH_MAX];
  snprintf(d1, sizeof d1, "%s/one", f->dir);
  snprintf(a1, sizeof a1, "%s/one/a.txt", f->dir);
  snprintf(a2, sizeof a2, "%s/two/a.txt", f->dir);
  int64_t run = begin(f->handle, true, "make");
  aero_error err = AEH_ERROR_INIT;
  const char *both[] = {a1, a2};
  /* Two files with one base name clash. */
  assert_int_equal(put(f->handle, run, "data", both, 2, NULL, &err),
                   AERO_E_INVALID);
  assert_non_null(strstr(err.message, "'a.txt'"));
  /* With strip_prefix they keep their folders. */
  assert_int_equal(put(f->handle, run, "data", both, 2, f->dir, &err), AERO_OK);
  /* A path outside strip_prefix. */
  assert_int_equal(put(f->handle, run, "data", both, 2, d1, &err),
                   AERO_E_INVALID);
  assert_non_null(strstr(err.message, "not under strip_prefix"));
  /* A missing file. */
  const char *missing[] = {"/nonexistent/file"};
  assert_int_equal(put(f->handle, run, "data", missing, 1, NULL, &err),
                   AERO_E_NOT_FOUND);
  assert_non_null(strstr(err.message, "/nonexistent/file"));
  /* strip_prefix that removes everything. */
  const char *one[] = {a1};
  assert_int_equal(put(f->handle, run, "data", one, 1, a1, &err),
                   AERO_E_INVALID);
  end_ok(f->handle, run);
  aero_artifact_version v;
  assert_int_equal(resolve(f->handle, "data", -1, true, &v, &err), AERO_OK);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM version_files WHERE path "
                              "IN ('one/a.txt', 'two/a.txt')"),
                   2);
}

static void test_redeclare_copies_nothing(void **state) {
  fixture *f = *state;
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/big.bin", f->dir);
  FILE *out = fopen(path, "wb");
  assert_non_null(out);
  for (int i = 0; i < 300000; i++)
    fprintf(out, "%d\n", i);
  fclose(out);
  int64_t run = begin(f->handle, true, "make");
  put_ok(f->handle, run, "data", path);
  end_ok(f->handle, run);
  char blobs[1024];
  snprintf(blobs, sizeof blobs, "%s/blobs", f->store);
  assert_int_equal(count_files(blobs), 1);
  char hash[65];
  FILE *p = NULL;
  char cmd[PATH_MAX + 32];
  snprintf(cmd, sizeof cmd, "sha256sum '%s'", path);
  p = popen(cmd, "r");
  assert_int_equal(fscanf(p, "%64s", hash), 1);
  pclose(p);
  char blob[PATH_MAX];
  snprintf(blob, sizeof blob, "%s/%.2s/%s", blobs, hash, hash + 2);
  struct stat before, after;
  assert_int_equal(stat(blob, &before), 0); /* named by its SHA-256 */
  assert_int_equal(before.st_mode & 0777, 0444);

  usleep(20000); /* a copy would get a visibly newer mtime */
  run = begin(f->handle, true, "make");
  put_ok(f->handle, run, "data", path);
  end_ok(f->handle, run);
  assert_int_equal(stat(blob, &after), 0);
  assert_int_equal(after.st_ino, before.st_ino);
  assert_int_equal(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
  assert_int_equal(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
  assert_int_equal(count_files(blobs), 1);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM versions"), 1);
}

/* ABI 1.5: run_begin records the run's inputs and reuse key in its own
 * commit; a 1.4 host's shorter record (struct_size before them) is read
 * without them, whatever follows it in memory. */
static void test_run_begin_records_inputs_and_key(void **state) {
  fixture *f = *state;
  publish(f->handle, f, true, "data", "in\n");
  aero_artifact_version v;
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(resolve(f->handle, "data", -1, true, &v, &err), AERO_OK);
  char key[65], job[65];
  memset(key, 'a', 64);
  memset(job, 'b', 64);
  key[64] = job[64] = '\0';
  int64_t inputs[] = {v.id};
  aero_run_record rec = {.struct_size = sizeof rec,
                         .entity = "",
                         .project = "proj",
                         .job_type = "train",
                         .dev = true,
                         .input_ids = inputs,
                         .input_count = 1,
                         .reuse_key = key,
                         .reuse_job = job,
                         .reuse_parts = "code=1"};
  int64_t run = 0;
  assert_int_equal(vt->run_begin(f->handle, &rec, &run, &err), AERO_OK);
  assert_true(run_holds(f, "run_inputs", run, v.id));
  char sql[256];
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM run_keys WHERE run_id = %lld AND key = "
           "'%s' AND job = '%s' AND parts = 'code=1'",
           (long long)run, key, job);
  assert_int_equal(sql_int(f, sql), 1);
  end_ok(f->handle, run);

  rec.struct_size = offsetof(aero_run_record, input_ids);
  rec.input_ids = (const int64_t *)(uintptr_t)1; /* never read */
  rec.reuse_key = "not read";
  assert_int_equal(vt->run_begin(f->handle, &rec, &run, &err), AERO_OK);
  snprintf(sql, sizeof sql,
           "SELECT (SELECT count(*) FROM run_inputs WHERE run_id = %lld) + "
           "(SELECT count(*) FROM run_keys WHERE run_id = %lld)",
           (long long)run, (long long)run);
  assert_int_equal(sql_int(f, sql), 0);
  end_ok(f->handle, run);

  /* A count without its array, and a bad key, record nothing. */
  long long runs = sql_int(f, "SELECT count(*) FROM runs");
  rec.struct_size = sizeof rec;
  rec.input_ids = NULL;
  assert_int_equal(vt->run_begin(f->handle, &rec, &run, &err), AERO_E_INVALID);
  rec.input_ids = inputs;
  assert_int_equal(vt->run_begin(f->handle, &rec, &run, &err), AERO_E_INVALID);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM runs"), runs);
}

/* put_output with an explicit type and one `rows` metadata value. */
/* The content of the latest version of `name` (dev), one file. */
static const char *latest_content(fixture *f, const char *name,
                                  int64_t *version) {
  aero_artifact_version v;
  aero_error err = AEH_ERROR_INIT;
  if (resolve(f->handle, name, -1, true, &v, &err) != AERO_OK)
    fail_msg("resolve: %s", err.message);
  *version = v.version;
  paths got = {0};
  char dir[PATH_MAX];
  if (vt->materialize(f->handle, v.id, collect, &got, dir, sizeof dir, &err) !=
      AERO_OK)
    fail_msg("materialize: %s", err.message);
  assert_int_equal(got.count, 1);
  return read_file(got.items[0]);
}

/* A small output of a run this handle began is written in the commit that
 * records the run's end: nothing of it in the database before (not its
 * artifact, its version or its blob's row), all of it after. Declared
 * twice, the last declaration is the output, and the first one's bytes
 * are never written. */
static void test_small_output_recorded_with_run_end(void **state) {
  fixture *f = *state;
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/data.txt", f->dir);
  write_file(path, "kept until the end\n");
  int64_t run = begin(f->handle, true, "make");
  put_ok(f->handle, run, "data", path);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM artifacts"), 0);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM versions"), 0);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM inline_blobs"), 0);
  end_ok(f->handle, run);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM versions WHERE "
                              "published = 1 AND version = 0 AND type = "
                              "'dataset' AND mode = 'dev'"),
                   1);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM version_files"), 1);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM version_metadata WHERE "
                              "key = 'rows' AND value = 3"),
                   1);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM inline_blobs"), 1);
  assert_true(
      run_holds(f, "run_outputs", run, sql_int(f, "SELECT id FROM versions")));
  int64_t number = -1;
  assert_string_equal(latest_content(f, "data", &number),
                      "kept until the end\n");

  run = begin(f->handle, true, "make");
  write_file(path, "first\n");
  put_ok(f->handle, run, "data", path);
  write_file(path, "second\n");
  put_ok(f->handle, run, "data", path);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM versions"), 1);
  end_ok(f->handle, run);
  assert_string_equal(latest_content(f, "data", &number), "second\n");
  assert_int_equal(number, 1);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM versions"), 2);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM inline_blobs"), 2);
  char sql[128];
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM run_outputs WHERE run_id = %lld",
           (long long)run);
  assert_int_equal(sql_int(f, sql), 1);
}

/* A host that dies after a run declared a small output and before its end
 * leaves no trace of the output: the next host records the run killed, and
 * no version, blob row or artifact exists. */
static void test_host_death_before_run_end_publishes_nothing(void **state) {
  fixture *f = *state;
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/data.txt", f->dir);
  write_file(path, "never published\n");
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    void *h = open_handle(f);
    int64_t run = begin(h, true, "make");
    put_ok(h, run, "data", path);
    _exit(0); /* dies holding the run: no run_end, no close */
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  int64_t run = begin(f->handle, true, "next"); /* takes over the dead owner */
  end_ok(f->handle, run);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM runs WHERE status = "
                              "'killed' AND job_type = 'make'"),
                   1);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM versions"), 0);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM inline_blobs"), 0);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM run_outputs"), 0);
}

/* One artifact declared by a run through both of its handles (a small
 * output through the host's, a large one from the action's own process):
 * the declaration made last is the run's output, whichever handle made
 * it, as when both went through one handle. */
static void test_last_declaration_wins_across_handles(void **state) {
  fixture *f = *state;
  void *act = open_handle(f);
  char host_path[PATH_MAX], act_path[PATH_MAX];
  snprintf(host_path, sizeof host_path, "%s/host.txt", f->dir);
  snprintf(act_path, sizeof act_path, "%s/action.txt", f->dir);

  int64_t run = begin(f->handle, true, "make");
  write_file(host_path, "host's, first\n");
  put_ok(f->handle, run, "data", host_path);
  write_file(act_path, "action's, last\n");
  put_ok(act, run, "data", act_path);
  end_ok(f->handle, run);
  int64_t number = -1;
  assert_string_equal(latest_content(f, "data", &number), "action's, last\n");
  assert_int_equal(number, 0);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM versions"), 1);

  run = begin(f->handle, true, "make");
  write_file(act_path, "action's, first\n");
  put_ok(act, run, "data", act_path);
  write_file(host_path, "host's, last\n");
  put_ok(f->handle, run, "data", host_path);
  end_ok(f->handle, run);
  assert_string_equal(latest_content(f, "data", &number), "host's, last\n");
  assert_int_equal(number, 1);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM versions"), 2);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM run_outputs"), 2);
  vt->close(act);
}

static void put_typed(void *handle, int64_t run, const char *file,
                      const char *type, int64_t rows) {
  aero_artifact_ref ref = {
      .entity = "", .project = "proj", .name = "data", .version = -1};
  aero_kv meta[] = {AERO_KV_INT("rows", rows)};
  aero_output_desc desc =
      AERO_OUTPUT(.name = "data", .files = &file, .file_count = 1,
                  .artifact_type = type, .metadata = meta, .metadata_count = 1);
  aero_error err = AEH_ERROR_INIT;
  if (vt->put_output(handle, run, &ref, &desc, &err) != AERO_OK)
    fail_msg("put_output: %s", err.message);
}

/* Metadata doubles are finite numbers, as metric values: a NaN was
 * stored as NULL and read back as 0. */
static void test_metadata_must_be_finite(void **state) {
  fixture *f = *state;
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/data.txt", f->dir);
  write_file(path, "x\n");
  const char *file = path;
  int64_t run = begin(f->handle, true, "make");
  aero_artifact_ref ref = {
      .entity = "", .project = "proj", .name = "data", .version = -1};
  const double bad[] = {NAN, INFINITY, -INFINITY};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    aero_kv meta[] = {AERO_KV_DOUBLE("ok", 1.5), AERO_KV_DOUBLE("x", bad[i])};
    aero_output_desc desc = AERO_OUTPUT(.name = "data", .files = &file,
                                        .file_count = 1, .metadata = meta,
                                        .metadata_count = 2);
    aero_error err = AEH_ERROR_INIT;
    assert_int_equal(vt->put_output(f->handle, run, &ref, &desc, &err),
                     AERO_E_INVALID);
    assert_non_null(strstr(err.message, "metadata 'x' is"));
    assert_non_null(strstr(err.message, "not a finite number"));
  }
  put_typed(f->handle, run, path, "dataset", 3);
  end_ok(f->handle, run);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM version_metadata"), 1);
}

/* The link tests' start: an action's handle (*act, closed by the caller),
 * the latest dev version of "data" published with `content` from
 * data.txt (its path into `path`), and a dev run of [make] that declares
 * data.txt again through *act: a link to that version. Returns the run. */
static int64_t begin_linked_run(fixture *f, const char *content, void **act,
                                char path[PATH_MAX]) {
  *act = open_handle(f);
  publish(f->handle, f, true, "data", content);
  snprintf(path, PATH_MAX, "%s/data.txt", f->dir);
  int64_t run = begin(f->handle, true, "make");
  put_ok(*act, run, "data", path);
  return run;
}

/* Declaring the latest version's content (same type and metadata) from the
 * action's own handle records a link, not a pending version: no versions
 * or file rows written, and the run ends holding that version, as before;
 * a failed run's link goes. */
static void test_unchanged_output_is_a_link(void **state) {
  fixture *f = *state;
  void *act = NULL;
  char path[PATH_MAX];
  int64_t run = begin_linked_run(f, "same\n", &act, path);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM versions"), 1);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM version_files"), 1);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM output_links WHERE "
                              "version_id = (SELECT id FROM versions)"),
                   1);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM run_outputs"), 1);
  end_ok(f->handle, run);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM output_links"), 0);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM versions"), 1);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM run_outputs WHERE "
                              "version_id = (SELECT id FROM versions)"),
                   2);

  run = begin(f->handle, true, "make");
  put_ok(act, run, "data", path);
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(end(f->handle, run, AERO_RUN_FAILED, &err), AERO_OK);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM output_links"), 0);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM run_outputs"), 2);

  /* Another type, or other metadata: a pending version as before (the
   * content still makes no new version). */
  run = begin(f->handle, true, "make");
  put_typed(act, run, path, "model", 3);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM output_links"), 0);
  assert_int_equal(
      sql_int(f, "SELECT count(*) FROM versions WHERE published = 0"), 1);
  put_typed(act, run, path, "dataset", 4);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM output_links"), 0);
  /* Declared again as it is: the link replaces the pending version. */
  put_typed(act, run, path, "dataset", 3);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM output_links"), 1);
  assert_int_equal(
      sql_int(f, "SELECT count(*) FROM versions WHERE published = 0"), 0);
  /* And new content replaces the link. */
  write_file(path, "other\n");
  put_ok(act, run, "data", path);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM output_links"), 0);
  end_ok(f->handle, run);
  aero_artifact_version v;
  assert_int_equal(resolve(f->handle, "data", -1, true, &v, &err), AERO_OK);
  assert_int_equal(v.version, 1);

  /* The latest content under another type: its pending version goes at
   * the end, and the run holds the latest version. */
  run = begin(f->handle, true, "make");
  put_typed(act, run, path, "model", 3);
  assert_int_equal(
      sql_int(f, "SELECT count(*) FROM versions WHERE published = 0"), 1);
  end_ok(f->handle, run);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM versions"), 2);
  assert_true(run_holds(f, "run_outputs", run, v.id));
  vt->close(act);
}

/* gc keeps a dev version that a running run linked as its output, with
 * the run that made it, and the linked run ends holding it. */
static void test_gc_keeps_linked_versions(void **state) {
  fixture *f = *state;
  void *act = NULL;
  char path[PATH_MAX];
  int64_t run = begin_linked_run(f, "kept\n", &act, path);
  aero_collect_params params = {.struct_size = sizeof params, .keep_dev_ns = 0};
  aero_error err = AEH_ERROR_INIT;
  /* AERO_E_STATE: the running run's scratch folder is kept too. */
  aero_status collected = vt->collect(f->handle, &params, NULL, NULL, &err);
  if (collected != AERO_OK && collected != AERO_E_STATE)
    fail_msg("collect: %s", err.message);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM versions"), 1);
  end_ok(f->handle, run);
  aero_artifact_version v;
  assert_int_equal(resolve(f->handle, "data", -1, true, &v, &err), AERO_OK);
  assert_int_equal(v.version, 0);
  vt->close(act);
}

/* A run linked to the latest version while another run published other
 * content: it ends holding its own content as a new latest version, with
 * the linked version's files, type and metadata, as a pending version
 * would have become. */
static void test_link_outrun_publishes_its_content(void **state) {
  fixture *f = *state;
  void *act = NULL;
  char path[PATH_MAX];
  int64_t run = begin_linked_run(f, "mine\n", &act, path);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM output_links"), 1);
  void *other = open_handle(f);
  aero_error err = AEH_ERROR_INIT;
  publish(other, f, true, "data", "theirs\n");
  vt->close(other);
  end_ok(f->handle, run);

  aero_artifact_version v0, v2;
  assert_int_equal(resolve(f->handle, "data", 0, true, &v0, &err), AERO_OK);
  assert_int_equal(resolve(f->handle, "data", -1, true, &v2, &err), AERO_OK);
  assert_int_equal(v2.version, 2);
  assert_string_equal(v2.digest, v0.digest);
  assert_string_equal(v2.type, "dataset");
  assert_true(run_holds(f, "run_outputs", run, v2.id));
  char sql[256];
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM version_files a JOIN version_files b ON "
           "a.path = b.path AND a.sha256 = b.sha256 AND a.size = b.size "
           "WHERE a.version_id = %lld AND b.version_id = %lld",
           (long long)v0.id, (long long)v2.id);
  assert_int_equal(sql_int(f, sql), 1);
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM version_metadata WHERE version_id = %lld "
           "AND key = 'rows' AND value = 3",
           (long long)v2.id);
  assert_int_equal(sql_int(f, sql), 1);
  paths got = {0};
  char dir[PATH_MAX];
  assert_int_equal(
      vt->materialize(f->handle, v2.id, collect, &got, dir, sizeof dir, &err),
      AERO_OK);
  assert_int_equal(got.count, 1);
  assert_string_equal(read_file(got.items[0]), "mine\n");
  assert_int_equal(sql_int(f, "SELECT count(*) FROM output_links"), 0);
  vt->close(act);
}

/* Closes the fixture's handle and removes its database (with its WAL and
 * shared memory), whose path goes to `db` (PATH_MAX bytes). */
static void remove_database(fixture *f, char *db) {
  vt->close(f->handle);
  f->handle = NULL;
  snprintf(db, PATH_MAX, "%s/aeromancy.db", f->store);
  char wal[PATH_MAX + 8], shm[PATH_MAX + 8];
  snprintf(wal, sizeof wal, "%s-wal", db);
  snprintf(shm, sizeof shm, "%s-shm", db);
  unlink(db);
  unlink(wal);
  unlink(shm);
}

/* Opening the fixture's store fails (AERO_E_STORE), saying why in *err. */
static void open_refused(const fixture *f, aero_error *err) {
  void *handle = NULL;
  aero_backend_open_params params = {.struct_size = sizeof params,
                                     .location = f->store};
  assert_int_equal(vt->open(&params, &handle, err), AERO_E_STORE);
  assert_null(handle);
}

/* Schema 7: a run's facts are its invocation's row, shared while the facts
 * stay the same and never one written by a transaction rolled back. */
static void test_invocation_facts_per_run(void **state) {
  fixture *f = *state;
  begin(f->handle, true, "a");
  aero_kv bad_config[] = {{.key = "x", .value = {.type = (aero_value_type)99}}};
  aero_kv env[] = {AERO_KV_STRING("git_commit", "beef"),
                   AERO_KV_STRING("hostname", "h2")};
  aero_run_record rec = {.struct_size = sizeof rec,
                         .project = "proj",
                         .job_type = "b",
                         .config = bad_config,
                         .config_count = 1,
                         .environment = env,
                         .environment_count = 2,
                         .dev = true};
  aero_error err = AEH_ERROR_INIT;
  int64_t id = 0;
  /* Its invocation row is written, then the run is refused: rolled back. */
  assert_int_equal(vt->run_begin(f->handle, &rec, &id, &err), AERO_E_INVALID);
  rec.config_count = 0;
  assert_int_equal(vt->run_begin(f->handle, &rec, &id, &err), AERO_OK);
  assert_int_equal(vt->run_begin(f->handle, &rec, &id, &err), AERO_OK);
  begin(f->handle, true, "a");
  assert_string_equal(
      sql_text(f, "SELECT group_concat(job_type || ':' || "
                  "ifnull(git_commit, '-') || ':' || ifnull(hostname, '-'), "
                  "' ') FROM runs"),
      "a:c0ffee:- b:beef:h2 b:beef:h2 a:c0ffee:-");
  /* c0ffee, beef, c0ffee again: the last run's facts differ from the
   * previous run's, so it has a row of its own. */
  assert_int_equal(sql_int(f, "SELECT count(*) FROM invocations"), 3);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM run_records WHERE "
                              "invocation_id NOT IN (SELECT id FROM "
                              "invocations)"),
                   0);
}

/* `aeromancy gc --keep-dev 0` through `handle`. */
static void collect_all_dev(void *handle) {
  aero_collect_params params = {.struct_size = sizeof params, .keep_dev_ns = 0};
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(vt->collect(handle, &params, NULL, NULL, &err), AERO_OK);
}

/* gc (another handle, as `aeromancy gc` between two runs of one host)
 * deletes the invocation row this handle remembers with the only run that
 * used it: the next run with the same facts writes the row again rather
 * than pointing at the deleted one. */
static void test_invocation_rewritten_after_gc(void **state) {
  fixture *f = *state;
  end_ok(f->handle, begin(f->handle, true, "a"));
  void *gc = open_handle(f);
  collect_all_dev(gc);
  vt->close(gc);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM invocations"), 0);
  begin(f->handle, true, "b");
  assert_string_equal(sql_text(f, "SELECT group_concat(job_type || ':' || "
                                  "ifnull(git_commit, '-'), ' ') FROM runs"),
                      "b:c0ffee");
  assert_int_equal(sql_int(f, "SELECT count(*) FROM run_records WHERE "
                              "invocation_id NOT IN (SELECT id FROM "
                              "invocations)"),
                   0);
}

/* After gc deleted this handle's invocation row, another host's run with
 * other facts takes its id (SQLite gives the next row the largest id plus
 * one): this handle's next run must not read that host's facts. */
static void test_invocation_id_taken_after_gc(void **state) {
  fixture *f = *state;
  end_ok(f->handle, begin(f->handle, true, "a"));
  long long first = sql_int(f, "SELECT max(id) FROM invocations");
  void *other = open_handle(f);
  collect_all_dev(other);
  aero_kv env[] = {AERO_KV_STRING("git_commit", "beef")};
  aero_run_record rec = {.struct_size = sizeof rec,
                         .project = "proj",
                         .job_type = "c",
                         .environment = env,
                         .environment_count = 1,
                         .dev = true};
  aero_error err = AEH_ERROR_INIT;
  int64_t id = 0;
  assert_int_equal(vt->run_begin(other, &rec, &id, &err), AERO_OK);
  end_ok(other, id);
  vt->close(other);
  /* The premise: the other host's row has the deleted row's id. */
  assert_int_equal(sql_int(f, "SELECT max(id) FROM invocations"), first);
  begin(f->handle, true, "b");
  assert_string_equal(sql_text(f, "SELECT group_concat(job_type || ':' || "
                                  "ifnull(git_commit, '-'), ' ') FROM runs"),
                      "c:beef b:c0ffee");
}

static void test_corrupt_database(void **state) {
  fixture *f = *state;
  char db[PATH_MAX];
  remove_database(f, db);
  write_file(db, "this is not a database, it is a text file of some length "
                 "that fills more than the header of a SQLite file would\n");
  aero_error err = AEH_ERROR_INIT;
  open_refused(f, &err);
  char want[PATH_MAX + 64];
  snprintf(want, sizeof want, "%s: not a database (file is corrupt?)", db);
  assert_string_equal(err.message, want);
}

/* A folder whose aeromancy.db is another program's database (a table
 * `runs` of its own): refused in one line that ends with SQLite's reason,
 * not lost behind the kilobytes of the schema's SQL. */
static void test_foreign_database(void **state) {
  fixture *f = *state;
  char db[PATH_MAX];
  remove_database(f, db);
  sql_int(f, "CREATE TABLE runs (x); SELECT 0");
  aero_error err = AEH_ERROR_INIT;
  open_refused(f, &err);
  assert_null(strchr(err.message, '\n'));
  assert_true(strncmp(err.message, db, strlen(db)) == 0);
  const char *reason = "table runs already exists";
  size_t len = strlen(err.message);
  assert_true(len < 300);
  assert_string_equal(err.message + len - strlen(reason), reason);
}

static void test_unwritable_store(void **state) {
  fixture *f = *state;
  void *handle = NULL;
  aero_error err = AEH_ERROR_INIT;
  char file[PATH_MAX];
  snprintf(file, sizeof file, "%s/plain-file", f->dir);
  write_file(file, "x");
  char below[PATH_MAX + 8];
  snprintf(below, sizeof below, "%s/store", file);
  aero_backend_open_params params = {.struct_size = sizeof params,
                                     .location = below};
  assert_int_not_equal(vt->open(&params, &handle, &err), AERO_OK);
  assert_null(handle);
  assert_non_null(strstr(err.message, below));
  assert_null(strchr(err.message, '\n'));
}

/* Child of test_read_only_store: in a mount namespace of its own, mounts
 * the store read-only at `ro`, opens a handle there (a reader, as
 * `aeromancy runs` on a store mounted read-only), says so on `ready` and
 * keeps it open until `done` closes. Exits 77 when it cannot mount. */
static void read_only_reader(const char *store, const char *ro, int ready,
                             int done) {
  if (unshare(CLONE_NEWNS) != 0 ||
      mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
      mount(store, ro, NULL, MS_BIND, NULL) != 0 ||
      mount(NULL, ro, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) != 0) {
    fprintf(stderr,
            "SKIP: cannot mount the store read-only (%s): the "
            "read-only reader case is not checked\n",
            strerror(errno));
    _exit(77);
  }
  void *h = NULL;
  aero_error err = AEH_ERROR_INIT;
  aero_backend_open_params params = {.struct_size = sizeof params,
                                     .location = ro,
                                     .flags = AERO_OPEN_EXISTING};
  if (vt->open(&params, &h, &err) != AERO_OK) {
    fprintf(stderr, "open read-only: %s\n", err.message);
    _exit(1);
  }
  aero_artifact_version v;
  if (resolve(h, "data", -1, true, &v, &err) != AERO_OK) {
    fprintf(stderr, "resolve read-only: %s\n", err.message);
    _exit(1);
  }
  char c = 'r';
  if (write(ready, &c, 1) != 1 || read(done, &c, 1) < 0)
    _exit(1);
  vt->close(h);
  _exit(0);
}

/* A reader of a store mounted read-only cannot open schema.lock for
 * writing; it opens it read-only and holds it shared all the same, so an
 * upgrade by a process that can write (here: a lock taken through the
 * writable path) is refused while it reads. */
static void test_read_only_store(void **state) {
  fixture *f = *state;
  publish(f->handle, f, true, "data", "content");
  vt->close(f->handle);
  f->handle = NULL;
  char ro[PATH_MAX], lock[PATH_MAX + 16];
  snprintf(ro, sizeof ro, "%s/ro", f->dir);
  snprintf(lock, sizeof lock, "%s/schema.lock", f->store);
  assert_int_equal(mkdir(ro, 0755), 0);
  int ready[2], done[2];
  assert_int_equal(pipe(ready), 0);
  assert_int_equal(pipe(done), 0);
  pid_t child = fork();
  assert_true(child >= 0);
  if (child == 0) {
    close(ready[0]);
    close(done[1]);
    read_only_reader(f->store, ro, ready[1], done[0]);
  }
  close(ready[1]);
  close(done[0]);
  char c;
  bool reading = read(ready[0], &c, 1) == 1;
  int fd = open(lock, O_RDONLY | O_CLOEXEC);
  bool refused =
      fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  close(done[1]);
  int wstatus = 0;
  assert_int_equal(waitpid(child, &wstatus, 0), child);
  close(ready[0]);
  if (!reading && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 77) {
    close(fd);
    skip();
  }
  assert_true(reading);
  assert_true(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
  assert_true(refused); /* held shared while the reader had it open */
  assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0); /* and let go */
  close(fd);
}

/* N processes, each with its own handle, publish distinct content to one
 * artifact at once: every version number is handed out exactly once and
 * nothing is lost. */
static void test_concurrent_publishers(void **state) {
  fixture *f = *state;
  enum { N = 8, EACH = 3 };
  pid_t pids[N];
  for (int i = 0; i < N; i++) {
    pids[i] = fork();
    assert_true(pids[i] >= 0);
    if (pids[i] == 0) {
      void *h = NULL;
      aero_error err = AEH_ERROR_INIT;
      aero_backend_open_params params = {.struct_size = sizeof params,
                                         .location = f->store};
      if (vt->open(&params, &h, &err) != AERO_OK) {
        fprintf(stderr, "child %d: %s\n", i, err.message);
        _exit(1);
      }
      for (int k = 0; k < EACH; k++) {
        char path[PATH_MAX], content[64];
        snprintf(path, sizeof path, "%s/c%d-%d.txt", f->dir, i, k);
        snprintf(content, sizeof content, "child %d item %d\n", i, k);
        write_file(path, content);
        int64_t run = begin(h, true, "make");
        const char *files[] = {path};
        if (put(h, run, "shared", files, 1, NULL, &err) != AERO_OK ||
            end(h, run, AERO_RUN_OK, &err) != AERO_OK) {
          fprintf(stderr, "child %d: %s\n", i, err.message);
          _exit(1);
        }
      }
      vt->close(h);
      _exit(0);
    }
  }
  for (int i = 0; i < N; i++) {
    int status = 0;
    assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
  }
  assert_int_equal(sql_int(f, "SELECT count(*) FROM versions WHERE "
                              "published = 1"),
                   N * EACH);
  assert_int_equal(sql_int(f, "SELECT count(DISTINCT version) FROM versions"),
                   N * EACH);
  assert_int_equal(sql_int(f, "SELECT min(version) FROM versions"), 0);
  assert_int_equal(sql_int(f, "SELECT max(version) FROM versions"),
                   N * EACH - 1);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM runs WHERE status = 'ok'"),
                   N * EACH);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM run_outputs"), N * EACH);
}

static void test_enospc(void **state) {
  fixture *f = *state;
  char mnt[PATH_MAX];
  snprintf(mnt, sizeof mnt, "%s/tiny", f->dir);
  assert_int_equal(mkdir(mnt, 0755), 0);
  if (mount("tmpfs", mnt, "tmpfs", 0, "size=1m") != 0) {
    int e = errno;
    rmdir(mnt);
    char why[128];
    snprintf(why, sizeof why,
             "cannot mount a tiny tmpfs (%s): ENOSPC case "
             "not checked",
             strerror(e));
    fprintf(stderr, "SKIP: %s\n", why);
    skip();
  }
  char store[PATH_MAX + 8];
  snprintf(store, sizeof store, "%s/store", mnt);
  void *h = NULL;
  aero_error err = AEH_ERROR_INIT;
  aero_backend_open_params params = {.struct_size = sizeof params,
                                     .location = store};
  aero_status status = vt->open(&params, &h, &err);
  if (status != AERO_OK) {
    umount(mnt);
    fail_msg("open on tmpfs: %s", err.message);
  }
  char big[PATH_MAX];
  snprintf(big, sizeof big, "%s/big.bin", f->dir);
  FILE *out = fopen(big, "wb");
  for (int i = 0; i < (2 << 20) / 16; i++)
    fprintf(out, "%015d\n", i);
  fclose(out);
  int64_t run = begin(h, true, "make");
  const char *files[] = {big};
  status = put(h, run, "data", files, 1, NULL, &err);
  char msg[AERO_ERROR_MESSAGE_MAX];
  snprintf(msg, sizeof msg, "%s", err.message);
  end_ok(h, run);
  aero_artifact_version v;
  aero_status found = resolve(h, "data", -1, true, &v, &err);
  vt->close(h);
  char blobs[PATH_MAX + 16];
  snprintf(blobs, sizeof blobs, "%s/blobs", store);
  int leftovers = count_files(blobs);
  assert_int_equal(umount(mnt), 0);
  assert_int_equal(status, AERO_E_NOSPACE);
  assert_non_null(strstr(msg, store));
  assert_non_null(strstr(msg, big));
  assert_int_equal(found, AERO_E_NOT_FOUND);
  assert_int_equal(leftovers, 0); /* the temp file was removed */
}

/* Progress lines: the plugin reports through the host table's progress.
 * To see the calls, the test re-runs the plugin's init with a copy of the
 * host's table whose progress records them (and then with the host's own
 * progress again). */
typedef struct progress_call {
  char label[64];
  uint64_t done, total;
} progress_call;
static progress_call calls[64];
static size_t call_count;

static void record_progress(const char *label, uint64_t done, uint64_t total) {
  if (call_count < 64) {
    snprintf(calls[call_count].label, sizeof calls[call_count].label, "%s",
             label);
    calls[call_count].done = done;
    calls[call_count].total = total;
    call_count++;
  }
}

static aero_status accept_backend(aero_registrar *reg,
                                  const aero_backend_vtable *vtable,
                                  aero_error *err) {
  (void)reg;
  (void)vtable;
  (void)err;
  return AERO_OK;
}

static void reinit_plugin(void (*progress)(const char *, uint64_t, uint64_t)) {
  static aero_host_api api;
  api = *aeh_host_api();
  api.register_backend = accept_backend;
  api.progress = progress;
  void *lib = dlopen(aeh_plugin_path(plugin), RTLD_NOW | RTLD_NOLOAD);
  assert_non_null(lib);
  aero_plugin_entry_fn entry =
      (aero_plugin_entry_fn)(uintptr_t)dlsym(lib, AERO_ENTRY_SYMBOL);
  assert_non_null(entry);
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(entry()->init(&api, NULL, &err), AERO_OK);
  dlclose(lib); /* drops only the reference NOLOAD took */
}

static void test_progress_for_large_files(void **state) {
  fixture *f = *state;
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/large.bin", f->dir);
  const uint64_t size = ((uint64_t)101 << 20) + 5;
  int fd = open(path, O_WRONLY | O_CREAT, 0644);
  assert_true(fd >= 0);
  assert_int_equal(ftruncate(fd, (off_t)size), 0); /* sparse: cheap */
  close(fd);
  call_count = 0;
  reinit_plugin(record_progress);
  int64_t run = begin(f->handle, true, "make");
  aero_error err = AEH_ERROR_INIT;
  const char *files[] = {path};
  aero_status status = put(f->handle, run, "large", files, 1, NULL, &err);
  reinit_plugin(aeh_host_api()->progress);
  unlink(path);
  assert_int_equal(status, AERO_OK);
  /* Hashing, then storing: each starts at 0 and ends at done == total. */
  bool hash_start = false, hash_end = false, store_end = false;
  for (size_t i = 0; i < call_count; i++) {
    assert_int_equal(calls[i].total, size);
    assert_true(calls[i].done <= size);
    if (strcmp(calls[i].label, "hashing large.bin") == 0) {
      hash_start |= calls[i].done == 0;
      hash_end |= calls[i].done == size;
    } else {
      assert_string_equal(calls[i].label, "storing large.bin");
      assert_true(hash_end); /* storing comes after hashing */
      store_end |= calls[i].done == size;
    }
  }
  assert_true(hash_start && hash_end && store_end);
  /* A small file reports nothing. */
  call_count = 0;
  reinit_plugin(record_progress);
  publish(f->handle, f, true, "small", "tiny\n");
  reinit_plugin(aeh_host_api()->progress);
  assert_int_equal(call_count, 0);
}

static int group_setup(void **state) {
  (void)state;
  const char *dir = getenv("AEROMANCY_PLUGIN_PATH");
  if (dir == NULL) {
    fprintf(stderr, "AEROMANCY_PLUGIN_PATH is not set (run through ctest)\n");
    return -1;
  }
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/tracker-local.so", dir);
  aero_error err = AEH_ERROR_INIT;
  if (aeh_plugin_load(path, AERO_PLUGIN_BACKEND, &plugin, &err) != AERO_OK) {
    fprintf(stderr, "%s\n", err.message);
    return -1;
  }
  vt = aeh_plugin_backend(plugin);
  return vt != NULL ? 0 : -1;
}

static int group_teardown(void **state) {
  (void)state;
  aeh_plugin_unload(plugin);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_open_creates_layout_and_schema,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_reuse_lookup_read_ends_at_next_write,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_reuse_key_checked, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reuse_find_batch_answers_each,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_reuse_record_batch_environments,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_value_checks, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reuse_find_batch_skips_older_runs,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_reuse_find_batch_many_outputs,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_run_end_checks_its_outcome, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_close_empties_checkpointed_wal,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_close_checkpoints_long_wal, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_reuse_record_batch_all_or_none,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_run_records_config_tags_env, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_points_read_in_order_and_migrated,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_points_of_many_batches_merge_in_order, setup, teardown),
      cmocka_unit_test_setup_teardown(test_points_of_a_key_asked_twice_once,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_metric_summaries_kept_and_migrated,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_put_publish_resolve_dedupe, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_outputs_invisible_until_run_ok,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_failed_runs_publish_nothing, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_dev_and_prod_resolution, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          test_materialized_files_read_only_right_bytes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_damaged_file_rows_refused, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_strip_prefix_and_bad_names, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_redeclare_copies_nothing, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_run_begin_records_inputs_and_key,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_metadata_must_be_finite, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_small_output_recorded_with_run_end,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_last_declaration_wins_across_handles,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_host_death_before_run_end_publishes_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unchanged_output_is_a_link, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_link_outrun_publishes_its_content,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_reused_outputs_are_implied, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_gc_keeps_reused_runs, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_gc_keeps_what_kept_runs_need, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_gc_keeps_linked_versions, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_invocation_facts_per_run, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_invocation_rewritten_after_gc, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_invocation_id_taken_after_gc, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_corrupt_database, setup, teardown),
      cmocka_unit_test_setup_teardown(test_foreign_database, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unwritable_store, setup, teardown),
      cmocka_unit_test_setup_teardown(test_read_only_store, setup, teardown),
      cmocka_unit_test_setup_teardown(test_concurrent_publishers, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_enospc, setup, teardown),
      cmocka_unit_test_setup_teardown(test_progress_for_large_files, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
