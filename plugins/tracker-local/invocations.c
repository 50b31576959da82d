/* tracker-local: the facts of an aerohost invocation (git commit, image,
 * plugin digest, packages, command line...), kept once per invocation in
 * `invocations` (schema 7) rather than in every run's row: an unchanged
 * re-run of 1,000 actions wrote them 1,000 times, a good part of what
 * recording a reused run cost. `runs` is a view joining each row of
 * run_records to its invocation, with the columns `runs` had before.
 *
 * The backend sees runs, not invocations: each run record carries its
 * facts. A handle keeps the facts of the last invocation row it wrote and
 * uses that row while the facts of the next run are the same, text for
 * text; other facts make a new row. A row written in a transaction that
 * was rolled back is forgotten with it. `aeromancy gc` deletes the
 * invocations no run refers to, which may be this handle's row between two
 * of its transactions; so the first reuse in a transaction looks the row up
 * (a primary-key lookup) and writes a new one when it is gone or another
 * handle's row has taken its id since.
 */
#include "local.h"

#include <stdlib.h>
#include <string.h>

/* The view with the old table's columns, in its order, for people and
 * scripts reading the store with the sqlite3 shell. */
#define RUNS_VIEW                                                              \
  "CREATE VIEW runs AS SELECT r.id, r.entity, r.project, r.job_type,"          \
  " r.job_group, r.outputs, r.mode, r.status, r.exit_code, r.signal,"          \
  " r.message, r.started_at, r.ended_at, i.git_commit, i.git_branch,"          \
  " i.git_message, i.git_remote, i.image_id, i.packages, i.plugin_path,"       \
  " i.plugin_sha256, i.host_version, i.abi_version, i.hostname,"               \
  " i.command_line, i.passthrough_env, r.reused_run"                           \
  " FROM run_records r LEFT JOIN invocations i ON i.id = r.invocation_id;"

#define FACT_COLUMNS                                                           \
  "git_commit, git_branch, git_message, git_remote, image_id, packages, "      \
  "plugin_path, plugin_sha256, host_version, abi_version, hostname, "          \
  "command_line, passthrough_env"

static const char insert_sql[] =
    "INSERT INTO invocations (" FACT_COLUMNS
    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

_Static_assert(PC_ENV_COLUMN_COUNT == 13, "invocations has 13 fact columns");

/* A range of consecutive runs [first, last] with one invocation. */
typedef struct span {
  int64_t first, last, invocation;
} span;

typedef struct spans {
  span *items;
  size_t count, cap;
} spans;

static bool spans_add(spans *s, span item) {
  span *grown = aeu_grow(s->items, &s->cap, s->count + 1, sizeof *grown, 64);
  if (grown == NULL)
    return false;
  s->items = grown;
  s->items[s->count++] = item;
  return true;
}

/* Whether the facts of row `st` (columns 1..13) equal those of `prev`
 * (columns 1..13 of the previous row, as SQLite values). */
static bool same_facts(sqlite3_stmt *st, sqlite3_value *const *prev) {
  for (int i = 0; i < PC_ENV_COLUMN_COUNT; i++) {
    int type = sqlite3_column_type(st, 1 + i);
    if (type != sqlite3_value_type(prev[i]))
      return false;
    if (type == SQLITE_NULL)
      continue;
    int n = sqlite3_column_bytes(st, 1 + i);
    if (n != sqlite3_value_bytes(prev[i]) ||
        (n > 0 && memcmp(sqlite3_column_blob(st, 1 + i),
                         sqlite3_value_blob(prev[i]), (size_t)n) != 0))
      return false;
  }
  return true;
}

/* Inserts the facts of row `st` (columns 1..13) as a new invocation. */
static aero_status insert_from_row(tl_store *store, sqlite3_stmt *st,
                                   int64_t *id, aero_error *err) {
  sqlite3_stmt *ins = NULL;
  aero_status status = tl_prepare(store, insert_sql, &ins, err);
  if (status != AERO_OK)
    return status;
  for (int i = 0; i < PC_ENV_COLUMN_COUNT; i++)
    sqlite3_bind_value(ins, 1 + i, sqlite3_column_value(st, 1 + i));
  int rc = sqlite3_step(ins);
  if (rc == SQLITE_DONE)
    *id = sqlite3_last_insert_rowid(store->db);
  else
    status = tl_db_fail(store, rc, "recording an invocation", err);
  tl_finish(store, ins);
  return status;
}

/* One invocation per streak of consecutive runs (by id) with the same
 * facts: the runs of one aerohost are consecutive unless hosts shared the
 * store at the same time, and runs with the same facts read the same
 * whatever row they point at. */
static aero_status group_runs(tl_store *store, spans *out, aero_error *err) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(
      store->db, "SELECT id, " FACT_COLUMNS " FROM run_records ORDER BY id", -1,
      &st, NULL);
  if (rc != SQLITE_OK)
    return tl_db_fail(store, rc, "reading runs to upgrade", err);
  sqlite3_value *prev[PC_ENV_COLUMN_COUNT] = {0};
  aero_status status = AERO_OK;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t id = sqlite3_column_int64(st, 0);
    if (out->count > 0 && same_facts(st, prev)) {
      out->items[out->count - 1].last = id;
      continue;
    }
    span next = {id, id, 0};
    status = insert_from_row(store, st, &next.invocation, err);
    if (status != AERO_OK)
      break;
    if (!spans_add(out, next)) {
      status = aero_fail(err, AERO_E_NOMEM, "tracker-local: out of memory");
      break;
    }
    for (int i = 0; i < PC_ENV_COLUMN_COUNT; i++) {
      sqlite3_value_free(prev[i]);
      prev[i] = sqlite3_value_dup(sqlite3_column_value(st, 1 + i));
      if (prev[i] == NULL) {
        status = aero_fail(err, AERO_E_NOMEM, "tracker-local: out of memory");
        break;
      }
    }
    if (status != AERO_OK)
      break;
  }
  if (status == AERO_OK && rc != SQLITE_DONE)
    status = tl_db_fail(store, rc, "reading runs to upgrade", err);
  for (int i = 0; i < PC_ENV_COLUMN_COUNT; i++)
    sqlite3_value_free(prev[i]);
  sqlite3_finalize(st);
  return status;
}

aero_status tl_invocations_migrate(tl_store *store, aero_error *err) {
  static const char before[] =
      "ALTER TABLE runs RENAME TO run_records;"
      "CREATE TABLE invocations ("
      " id INTEGER PRIMARY KEY,"
      " git_commit TEXT, git_branch TEXT, git_message TEXT, git_remote TEXT,"
      " image_id TEXT, packages TEXT, plugin_path TEXT, plugin_sha256 TEXT,"
      " host_version TEXT, abi_version TEXT, hostname TEXT,"
      " command_line TEXT, passthrough_env TEXT);"
      /* No REFERENCES: deleting an invocation would then scan every run
       * for one pointing at it (there is no index on the column, which
       * every recorded run would pay for); gc deletes only unused ones. */
      "ALTER TABLE run_records ADD COLUMN invocation_id INTEGER;";
  static const char after[] = "ALTER TABLE run_records DROP COLUMN git_commit;"
                              "ALTER TABLE run_records DROP COLUMN git_branch;"
                              "ALTER TABLE run_records DROP COLUMN git_message;"
                              "ALTER TABLE run_records DROP COLUMN git_remote;"
                              "ALTER TABLE run_records DROP COLUMN image_id;"
                              "ALTER TABLE run_records DROP COLUMN packages;"
                              "ALTER TABLE run_records DROP COLUMN plugin_path;"
                              "ALTER TABLE run_records DROP COLUMN "
                              "plugin_sha256;"
                              "ALTER TABLE run_records DROP COLUMN "
                              "host_version;"
                              "ALTER TABLE run_records DROP COLUMN abi_version;"
                              "ALTER TABLE run_records DROP COLUMN hostname;"
                              "ALTER TABLE run_records DROP COLUMN "
                              "command_line;"
                              "ALTER TABLE run_records DROP COLUMN "
                              "passthrough_env;" RUNS_VIEW;
  spans groups = {0};
  aero_status status = tl_exec(store, before, err);
  if (status == AERO_OK)
    status = group_runs(store, &groups, err);
  for (size_t i = 0; status == AERO_OK && i < groups.count; i++) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(store->db,
                                "UPDATE run_records SET invocation_id = ? "
                                "WHERE id BETWEEN ? AND ?",
                                -1, &st, NULL);
    if (rc == SQLITE_OK) {
      sqlite3_bind_int64(st, 1, groups.items[i].invocation);
      sqlite3_bind_int64(st, 2, groups.items[i].first);
      sqlite3_bind_int64(st, 3, groups.items[i].last);
      rc = sqlite3_step(st);
    }
    if (rc != SQLITE_DONE && rc != SQLITE_OK)
      status = tl_db_fail(store, rc, "linking runs to their invocation", err);
    sqlite3_finalize(st);
  }
  free(groups.items);
  if (status == AERO_OK)
    status = tl_exec(store, after, err);
  return status;
}

/* The facts of `rec` by column (NULL: absent), into `facts`; false when
 * one is not a string (a number from some host: stored as SQLite makes
 * it text, compared here only as text, so never shared). */
static bool record_facts(const aero_run_record *rec, const char **facts) {
  for (int i = 0; i < PC_ENV_COLUMN_COUNT; i++)
    facts[i] = NULL;
  bool strings = true;
  for (size_t i = 0; i < rec->environment_count; i++) {
    int column = pc_env_column(rec->environment[i].key);
    if (column < 0)
      continue;
    if (rec->environment[i].value.type != AERO_VALUE_STRING)
      strings = false;
    else
      facts[column] = rec->environment[i].value.as.s;
  }
  return strings;
}

/* Whether two facts are the same, NULL equal to NULL only: a fact the run
 * does not have is NULL in its invocation row and "" is '', which `runs`
 * shows apart, so a row of one cannot stand for a run of the other. Not
 * declared.c's differs_null_as_empty, where NULL and "" name one artifact. */
static bool same_text_or_both_null(const char *a, const char *b) {
  return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* Keeps copies of `facts` as those of invocation `id`. */
static bool remember(tl_store *store, const char **facts, int64_t id) {
  tl_invocation_forget(store);
  for (int i = 0; i < PC_ENV_COLUMN_COUNT; i++) {
    if (facts[i] != NULL &&
        (store->invocation.facts[i] = strdup(facts[i])) == NULL) {
      tl_invocation_forget(store);
      return false;
    }
  }
  store->invocation.id = id;
  store->invocation.seen = true;
  return true;
}

/* Whether the remembered row still exists with the remembered facts: gc
 * may have deleted it since the last transaction, and then another
 * handle's next row may have taken its id (a rowid is one past the
 * largest, not AUTOINCREMENT), with that handle's facts. Checked once per
 * write transaction, which holds the write lock, so no gc can delete it
 * before the commit. */
static aero_status still_there(tl_store *store, bool *there, aero_error *err) {
  *there = true;
  if (store->invocation.seen)
    return AERO_OK;
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(
      store, "SELECT " FACT_COLUMNS " FROM invocations WHERE id = ?", &st, err);
  if (status != AERO_OK)
    return status;
  sqlite3_bind_int64(st, 1, store->invocation.id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    for (int i = 0; *there && i < PC_ENV_COLUMN_COUNT; i++) {
      int type = sqlite3_column_type(st, i);
      *there = (type == SQLITE_NULL || type == SQLITE_TEXT) &&
               same_text_or_both_null(store->invocation.facts[i],
                                      (const char *)sqlite3_column_text(st, i));
    }
    store->invocation.seen = *there;
  } else if (rc == SQLITE_DONE) {
    *there = false;
  } else {
    status = tl_db_fail(store, rc, "looking up the run's invocation", err);
  }
  tl_finish(store, st);
  return status;
}

aero_status tl_invocation_of(tl_store *store, const aero_run_record *rec,
                             int64_t *id, aero_error *err) {
  const char *facts[PC_ENV_COLUMN_COUNT];
  bool strings = record_facts(rec, facts);
  if (strings && store->invocation.id != 0) {
    bool same = true;
    for (int i = 0; same && i < PC_ENV_COLUMN_COUNT; i++)
      same = same_text_or_both_null(store->invocation.facts[i], facts[i]);
    bool there = false;
    if (same) {
      aero_status status = still_there(store, &there, err);
      if (status != AERO_OK)
        return status;
    }
    if (same && there) {
      *id = store->invocation.id;
      return AERO_OK;
    }
  }
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(store, insert_sql, &st, err);
  if (status != AERO_OK)
    return status;
  for (size_t i = 0; i < rec->environment_count; i++) {
    int column = pc_env_column(rec->environment[i].key);
    if (column >= 0)
      tl_bind_env_value(st, 1 + column, &rec->environment[i].value);
  }
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE)
    status = tl_db_fail(store, rc, "recording the run's invocation", err);
  tl_finish(store, st);
  if (status != AERO_OK)
    return status;
  *id = sqlite3_last_insert_rowid(store->db);
  /* Not remembered (only the cost of a row per run): facts that are not
   * all strings, or no memory for the copies. */
  if (!strings || !remember(store, facts, *id))
    tl_invocation_forget(store);
  return AERO_OK;
}
