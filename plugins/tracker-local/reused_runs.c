/* tracker-local: recording a batch of reused runs (reuse_record_batch) in
 * one transaction. A reused run is a run_records row with status `reused`,
 * `reused_run` naming the run it stands for, and its inputs in
 * run_inputs. Its outputs are that run's (schema 9): the view run_outputs
 * adds them, they are not copied. A copy was a run_own_outputs row per
 * output with an entry in run_outputs_by_version beside the version's
 * earlier ones: a re-run of 1,000 actions dirtied most of that index's
 * pages, and each re-run more of them as the store grew (CPU of a re-run
 * on a store of 68,000 runs: 89 -> 63 ms without the copies).
 *
 * The rows go in by chunks of CHUNK runs, several rows per INSERT: an
 * unchanged re-run of 1,000 actions made three statements per run (its
 * row, its output, its input), and each statement's fixed work (opening
 * cursors, AUTOINCREMENT's read and write of sqlite_sequence, the
 * statement's end) cost more than the row it wrote. The runs' ids are
 * given, not taken: the next ones AUTOINCREMENT would hand out, read once
 * under the write lock, so each item's id is known without a statement. */
#include "local.h"

#include <stdlib.h>
#include <string.h>

/* Runs per chunk; pairs per multi-row INSERT of run_inputs. */
#define CHUNK 32

/* One reused run's row: 11 parameters (id, entity, project, job_type,
 * job_group, outputs, mode, started_at, ended_at, invocation_id,
 * reused_run). */
#define ROW "(?, ?, ?, ?, ?, ?, ?, 'reused', ?, ?, ?, ?)"
#define ROWS4 ROW ", " ROW ", " ROW ", " ROW
#define ROWS16 ROWS4 ", " ROWS4 ", " ROWS4 ", " ROWS4
#define RUN_INSERT                                                             \
  "INSERT INTO run_records (id, entity, project, job_type, job_group, "        \
  "outputs, mode, status, started_at, ended_at, invocation_id, reused_run) "   \
  "VALUES "
#define ROW_PARAMS 11

static const char insert_one[] = RUN_INSERT ROW;
static const char insert_chunk[] = RUN_INSERT ROWS16 ", " ROWS16;

#define PAIR "(?, ?)"
#define PAIRS4 PAIR ", " PAIR ", " PAIR ", " PAIR
#define PAIRS16 PAIRS4 ", " PAIRS4 ", " PAIRS4 ", " PAIRS4
#define INPUTS "INSERT OR IGNORE INTO run_inputs (run_id, version_id) VALUES "
static const char inputs_one[] = INPUTS PAIR;
static const char inputs_chunk[] = INPUTS PAIRS16 ", " PAIRS16;

aero_status tl_reuse_outputs_migrate(tl_store *store, aero_error *err) {
  /* The copies deleted are exactly the pairs the view gives back: a row
   * of a reused run that its reused run does not also hold stays. */
  return tl_exec(
      store,
      "ALTER TABLE run_outputs RENAME TO run_own_outputs;"
      "DELETE FROM run_own_outputs AS c WHERE EXISTS (SELECT 1 FROM "
      "run_records r JOIN run_own_outputs o ON o.run_id = r.reused_run "
      "WHERE r.id = c.run_id AND o.version_id = "
      "c.version_id);" TL_RUN_OUTPUTS_VIEW,
      err);
}

/* The reused runs of a chunk, checked in one statement (one per run was
 * 6% of an unchanged re-run): the first that is not an `ok` run, by its
 * place in the chunk. */
static const char check_chunk[] =
    "WITH ids (place, id) AS (VALUES " PAIRS16 ", " PAIRS16 ") SELECT ids.id "
    "FROM ids LEFT JOIN run_records r ON r.id = ids.id WHERE r.status IS "
    "NOT 'ok' ORDER BY ids.place LIMIT 1";

/* Fails naming the first of the `n` runs reused by `items` (a chunk) that
 * is not a successful run to reuse. */
static aero_status check_reusable(tl_store *store, aero_reuse_item *items,
                                  size_t stride, size_t n, aero_error *err) {
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(store, check_chunk, &st, err);
  if (status != AERO_OK)
    return status;
  /* A short chunk's other places ask for its first run again. */
  for (size_t i = 0; i < CHUNK; i++) {
    const aero_reuse_item *item =
        (const aero_reuse_item *)(const void *)((const char *)items +
                                                (i < n ? i : 0) * stride);
    sqlite3_bind_int64(st, 1 + 2 * (int)i, (int64_t)i);
    sqlite3_bind_int64(st, 2 + 2 * (int)i, item->reused_run_id);
  }
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    status = aero_fail(err, AERO_E_NOT_FOUND,
                       "%s: run %lld is not a successful run to reuse",
                       store->db_path, (long long)sqlite3_column_int64(st, 0));
  else if (rc != SQLITE_DONE)
    status = tl_db_fail(store, rc, "reading the runs to reuse", err);
  tl_finish(store, st);
  return status;
}

/* One run of a chunk, read and checked before its rows are written. */
typedef struct pending {
  aero_reuse_item *item;
  aero_run_record rec;
  char *outputs; /* its output names, one per line (malloc'd) */
  int64_t invocation;
  bool env_rows; /* environment keys for run_env */
} pending;

/* The id AUTOINCREMENT would give the next run (under the write lock). */
static aero_status next_run_id(tl_store *store, int64_t *id, aero_error *err) {
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(
      store,
      "SELECT max(ifnull((SELECT seq FROM sqlite_sequence WHERE name = "
      "'run_records'), 0), ifnull((SELECT max(id) FROM run_records), 0)) + 1",
      &st, err);
  if (status != AERO_OK)
    return status;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    *id = sqlite3_column_int64(st, 0);
  else
    status = tl_db_fail(store, rc, "numbering reused runs", err);
  tl_finish(store, st);
  return status;
}

/* Binds run `p`'s row at parameter `first` (ROW's order). */
static void bind_row(sqlite3_stmt *st, int first, const pending *p) {
  const aero_run_record *rec = &p->rec;
  int64_t started = rec->started_ns != 0 ? rec->started_ns : tl_now_ns();
  sqlite3_bind_int64(st, first, p->item->run_id);
  tl_bind_text(st, first + 1, rec->entity != NULL ? rec->entity : "");
  tl_bind_text(st, first + 2, rec->project);
  tl_bind_text(st, first + 3, rec->job_type);
  tl_bind_text(st, first + 4, rec->job_group);
  tl_bind_text(st, first + 5, p->outputs);
  tl_bind_text(st, first + 6, rec->dev ? "dev" : "prod");
  sqlite3_bind_int64(st, first + 7, started);
  sqlite3_bind_int64(st, first + 8, started); /* ended when it started */
  sqlite3_bind_int64(st, first + 9, p->invocation);
  sqlite3_bind_int64(st, first + 10, p->item->reused_run_id);
}

/* Steps `st` (bound) once and readies it for the next use. */
static aero_status step_done(tl_store *store, sqlite3_stmt *st,
                             const char *what, aero_error *err) {
  int rc = sqlite3_step(st);
  aero_status status =
      rc == SQLITE_DONE ? AERO_OK : tl_db_fail(store, rc, what, err);
  tl_finish(store, st);
  return status;
}

/* The rows of the `n` runs of a chunk: one INSERT when it is full. */
static aero_status insert_rows(tl_store *store, pending *runs, size_t n,
                               aero_error *err) {
  sqlite3_stmt *st = NULL;
  aero_status status = AERO_OK;
  if (n == CHUNK) {
    status = tl_prepare(store, insert_chunk, &st, err);
    for (size_t i = 0; status == AERO_OK && i < n; i++)
      bind_row(st, 1 + (int)i * ROW_PARAMS, &runs[i]);
    return status == AERO_OK
               ? step_done(store, st, "recording reused runs", err)
               : status;
  }
  for (size_t i = 0; status == AERO_OK && i < n; i++) {
    status = tl_prepare(store, insert_one, &st, err);
    if (status == AERO_OK) {
      bind_row(st, 1, &runs[i]);
      status = step_done(store, st, "recording a reused run", err);
    }
  }
  return status;
}

/* Pairs (run, version) to insert, CHUNK at a time. */
typedef struct pairs {
  tl_store *store;
  const char *one, *chunk, *what;
  int64_t run[CHUNK], version[CHUNK];
  size_t count;
} pairs;

static aero_status pairs_flush(pairs *p, aero_error *err) {
  sqlite3_stmt *st = NULL;
  aero_status status = AERO_OK;
  if (p->count == CHUNK) {
    status = tl_prepare(p->store, p->chunk, &st, err);
    for (size_t i = 0; status == AERO_OK && i < CHUNK; i++) {
      sqlite3_bind_int64(st, 1 + 2 * (int)i, p->run[i]);
      sqlite3_bind_int64(st, 2 + 2 * (int)i, p->version[i]);
    }
    if (status == AERO_OK)
      status = step_done(p->store, st, p->what, err);
  } else {
    for (size_t i = 0; status == AERO_OK && i < p->count; i++)
      status =
          tl_exec2(p->store, p->one, p->run[i], p->version[i], p->what, err);
  }
  p->count = 0;
  return status;
}

static aero_status pairs_add(pairs *p, int64_t run, int64_t version,
                             aero_error *err) {
  p->run[p->count] = run;
  p->version[p->count] = version;
  return ++p->count == CHUNK ? pairs_flush(p, err) : AERO_OK;
}

/* What the last run's environment gave, for the next run with the same
 * one. A host passes every run of a batch the session's environment, the
 * same array: compared by address (the records are borrowed for the whole
 * call, so an address cannot stand for other contents meanwhile), it is
 * read once per batch instead of twice per run (7% of an unchanged
 * re-run's instructions, most of it matching its keys by name). */
typedef struct env_seen {
  const aero_kv *environment; /* NULL: nothing seen yet */
  size_t count;
  int64_t invocation;
  bool rows; /* tl_run_has_env_rows */
} env_seen;

/* The invocation of `rec` and whether it has environment rows to write,
 * from `seen` when it has the same environment. */
static aero_status environment_of(tl_store *store, const aero_run_record *rec,
                                  env_seen *seen, int64_t *invocation,
                                  bool *rows, aero_error *err) {
  if (seen->environment == NULL || seen->environment != rec->environment ||
      seen->count != rec->environment_count) {
    aero_status status = tl_invocation_of(store, rec, invocation, err);
    if (status != AERO_OK)
      return status;
    *seen = (env_seen){.environment = rec->environment,
                       .count = rec->environment_count,
                       .invocation = *invocation,
                       .rows = tl_run_has_env_rows(rec)};
  }
  *invocation = seen->invocation;
  *rows = seen->rows;
  return AERO_OK;
}

/* Reads and checks the `n` items of a chunk (their ids from *next), then
 * writes their rows. */
static aero_status record_chunk(tl_store *store, aero_reuse_item *items,
                                size_t stride, size_t n, int64_t *next,
                                env_seen *seen, aero_error *err) {
  pending runs[CHUNK];
  size_t ready = 0;
  aero_status status = check_reusable(store, items, stride, n, err);
  for (; status == AERO_OK && ready < n; ready++) {
    pending *p = &runs[ready];
    *p = (pending){
        .item = (aero_reuse_item *)(void *)((char *)items + ready * stride)};
    status = tl_run_record_read(p->item->record, &p->rec, err);
    if (status == AERO_OK)
      status = environment_of(store, &p->rec, seen, &p->invocation,
                              &p->env_rows, err);
    if (status == AERO_OK && (p->outputs = pc_join_outputs(&p->rec)) == NULL)
      status = aero_fail(err, AERO_E_NOMEM, "tracker-local: out of memory");
    if (status == AERO_OK)
      p->item->run_id = (*next)++;
  }
  if (status == AERO_OK)
    status = insert_rows(store, runs, n, err);
  for (size_t i = 0; status == AERO_OK && i < n; i++)
    if (runs[i].rec.config_count > 0 || runs[i].rec.tag_count > 0 ||
        runs[i].env_rows)
      status = tl_run_pairs(store, runs[i].item->run_id, &runs[i].rec, err);
  pairs inputs = {.store = store,
                  .one = inputs_one,
                  .chunk = inputs_chunk,
                  .what = "recording reused runs' inputs"};
  for (size_t i = 0; status == AERO_OK && i < n; i++) {
    const pending *p = &runs[i];
    for (size_t k = 0; status == AERO_OK && k < p->item->input_count; k++)
      status = pairs_add(&inputs, p->item->run_id, p->item->input_ids[k], err);
  }
  if (status == AERO_OK)
    status = pairs_flush(&inputs, err);
  for (size_t i = 0; i < ready; i++)
    free(runs[i].outputs);
  return status;
}

aero_status tl_reuse_record(void *handle, const aero_run_record *record,
                            int64_t reused_run_id, const int64_t *input_ids,
                            size_t input_count, int64_t *run_id,
                            aero_error *err) {
  return pc_reuse_record_one(handle, tl_reuse_record_batch, record,
                             reused_run_id, input_ids, input_count, run_id,
                             err);
}

aero_status tl_reuse_record_batch(void *handle, aero_reuse_item *items,
                                  size_t count, aero_error *err) {
  tl_store *store = handle;
  if (count > 0 && (items == NULL || items->struct_size < sizeof *items))
    return aero_fail(err, AERO_E_INVALID, "tracker-local: bad reused runs");
  aero_status status = tl_begin(store, err);
  if (status != AERO_OK)
    return status;
  /* Stepped by the caller's struct_size: a newer host's items are larger. */
  size_t stride = count > 0 ? items->struct_size : 0;
  int64_t next = 0;
  env_seen seen = {.environment = NULL};
  if (count > 0)
    status = next_run_id(store, &next, err);
  for (size_t done = 0; status == AERO_OK && done < count; done += CHUNK)
    status = record_chunk(
        store, (aero_reuse_item *)(void *)((char *)items + done * stride),
        stride, count - done < CHUNK ? count - done : CHUNK, &next, &seen,
        err);
  if (status == AERO_OK)
    status = tl_commit(store, err);
  if (status != AERO_OK) {
    tl_rollback(store);
    for (size_t i = 0; i < count; i++) /* none was recorded */
      ((aero_reuse_item *)(void *)((char *)items + i * stride))->run_id = 0;
  }
  return status;
}
