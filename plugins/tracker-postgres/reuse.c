/* tracker-postgres: the reuse members (ABI 1.3). A run's reuse key
 * (computed by the host) is kept in run_keys; a reused run is a row of
 * `runs` with status `reused` and `reused_run` pointing at the run it
 * stands for, whose outputs it holds without copies (schema 3: the view
 * run_outputs adds them, db.c): the same layout as tracker-local's. A run
 * is reused only while every file of its outputs is whole in the bucket
 * (a HEAD per blob, with its size): reuse_batch.c finds it. */
#include "tp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct key_ctx {
  tp_params params;
} key_ctx;

static aero_status key_body(tp_store *store, void *ctx_, aero_error *err) {
  key_ctx *ctx = ctx_;
  return tp_exec(store,
                 "INSERT INTO run_keys (run_id, key, parts, job) VALUES ($1, "
                 "$2, $3, $4) ON CONFLICT (run_id) DO UPDATE SET key = "
                 "excluded.key, parts = excluded.parts, job = excluded.job",
                 &ctx->params, NULL, "recording a reuse key", err);
}

aero_status tp_reuse_key(void *handle, int64_t run_id, const char *key,
                         const char *job, const char *parts, aero_error *err) {
  tp_store *store = handle;
  aero_status checked =
      pc_check_reuse_key("tracker-postgres", key, job, parts, err);
  if (checked != AERO_OK)
    return checked;
  key_ctx ctx = {0};
  tp_param_int(&ctx.params, run_id);
  tp_param_text(&ctx.params, key);
  tp_param_text(&ctx.params, parts);
  tp_param_text(&ctx.params, job);
  pthread_mutex_lock(&store->lock);
  aero_status status =
      tp_once(store, key_body, &ctx, "recording a reuse key", err);
  pthread_mutex_unlock(&store->lock);
  return status;
}

/* One lookup is a batch of one (reuse_batch.c): the same query, the same
 * checks of the blobs, the same parts. */
aero_status tp_reuse_find(void *handle, const aero_reuse_query *query,
                          aero_reuse_match *match, aero_error *err) {
  return pc_reuse_find_one(handle, "tracker-postgres", tp_reuse_find_batch,
                           query, match, err);
}

/* One reused run, prepared before the transaction. */
typedef struct record_item {
  tp_run_insert ins;
  bool prepared;
  int64_t reused;
} record_item;

typedef struct record_ctx {
  record_item *items;
  size_t count;
  char *reused_array; /* every item's reused run, "{1,2}" */
} record_ctx;

/* Locks every run to reuse against a change of status until the commit,
 * in one statement; fails naming the first that is no longer OK. */
static aero_status lock_reused(tp_store *store, record_ctx *ctx,
                               aero_error *err) {
  tp_params p = {0};
  tp_param_text(&p, ctx->reused_array);
  PGresult *res = NULL;
  aero_status status =
      tp_exec(store,
              "SELECT id FROM runs WHERE id = ANY($1::bigint[]) AND status = "
              "'ok' ORDER BY id FOR SHARE",
              &p, &res, "reading the runs to reuse", err);
  if (status != AERO_OK)
    return status;
  int rows = PQntuples(res);
  for (size_t i = 0; i < ctx->count && status == AERO_OK; i++) {
    bool ok = false;
    for (int lo = 0, hi = rows; lo < hi && !ok;) {
      int mid = lo + (hi - lo) / 2;
      long long id = strtoll(PQgetvalue(res, mid, 0), NULL, 10);
      if (id == ctx->items[i].reused)
        ok = true;
      else if (id < ctx->items[i].reused)
        lo = mid + 1;
      else
        hi = mid;
    }
    if (!ok)
      status = aero_fail(err, AERO_E_NOT_FOUND,
                         "%s: run %lld is not a successful run to reuse",
                         store->server, (long long)ctx->items[i].reused);
  }
  PQclear(res);
  return status;
}

/* Every item in the one transaction (retried whole by tp_txn): each a
 * single statement, pipelined, its inputs with it (no output rows: reused_run
 * is what gives the run its outputs, the view run_outputs). */
static aero_status record_body(tp_store *store, void *ctx_, aero_error *err) {
  record_ctx *ctx = ctx_;
  aero_status status = lock_reused(store, ctx, err);
  tp_run_insert **ins = malloc((ctx->count + 1) * sizeof *ins);
  if (status == AERO_OK && ins == NULL)
    status = aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  for (size_t i = 0; status == AERO_OK && i < ctx->count; i++)
    ins[i] = &ctx->items[i].ins;
  if (status == AERO_OK)
    status = tp_run_insert_many(store, ins, ctx->count, err);
  free(ins);
  return status;
}

/* Checks and prepares the insert of `in` into `out`. */
static aero_status prepare_item(const aero_reuse_item *in, record_item *out,
                                aero_error *err) {
  const aero_run_record *record = in->record;
  if (record == NULL || record->struct_size == 0 ||
      (in->input_count > 0 && in->input_ids == NULL))
    return aero_fail(err, AERO_E_INVALID, "tracker-postgres: no run record");
  aero_run_record rec = {0};
  memcpy(&rec, record,
         record->struct_size < sizeof rec ? record->struct_size : sizeof rec);
  aero_status status = pc_check_record(&rec, err);
  if (status != AERO_OK)
    return status;
  /* Its inputs are the item's (the record's own, ABI 1.5, are for a run
   * begun). */
  rec.input_ids = in->input_ids;
  rec.input_count = in->input_count;
  rec.reuse_key = rec.reuse_job = rec.reuse_parts = NULL;
  out->reused = in->reused_run_id;
  /* No lease: the run is never RUNNING. */
  status = tp_run_prepare(&out->ins, &rec, NULL, NULL, err);
  out->prepared = status == AERO_OK;
  if (out->prepared)
    tp_run_as_reused(&out->ins, out->reused);
  return status;
}

aero_status tp_reuse_record_batch(void *handle, aero_reuse_item *items,
                                  size_t count, aero_error *err) {
  tp_store *store = handle;
  if (count > 0 && (items == NULL || items->struct_size < sizeof *items))
    return aero_fail(err, AERO_E_INVALID, "tracker-postgres: bad reused runs");
  record_item *prepared = calloc(count > 0 ? count : 1, sizeof *prepared);
  if (prepared == NULL)
    return aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  /* Stepped by the caller's struct_size: a newer host's items are larger. */
  size_t stride = count > 0 ? items->struct_size : 0;
  aero_status status = AERO_OK;
  for (size_t i = 0; i < count && status == AERO_OK; i++)
    status = prepare_item(
        (const aero_reuse_item *)(const void *)((char *)items + i * stride),
        &prepared[i], err);
  record_ctx ctx = {prepared, count, NULL};
  size_t len = 0, cap = 0;
  bool ok = true;
  for (size_t i = 0; i < count && status == AERO_OK && ok; i++) {
    char num[32];
    snprintf(num, sizeof num, "%lld", (long long)prepared[i].reused);
    ok = tp_array_add(&ctx.reused_array, &len, &cap, num);
  }
  if (status == AERO_OK && !(ok && tp_array_end(&ctx.reused_array, &len, &cap)))
    status = aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  if (status == AERO_OK) {
    pthread_mutex_lock(&store->lock);
    status = tp_txn(store, record_body, &ctx, "recording reused runs", err);
    pthread_mutex_unlock(&store->lock);
  }
  free(ctx.reused_array);
  for (size_t i = 0; i < count; i++) {
    /* None was recorded when the transaction failed (backend.h). */
    ((aero_reuse_item *)(void *)((char *)items + i * stride))->run_id =
        status == AERO_OK ? prepared[i].ins.id : 0;
    if (prepared[i].prepared)
      tp_run_prepared_free(&prepared[i].ins);
  }
  free(prepared);
  return status;
}

aero_status tp_reuse_record(void *handle, const aero_run_record *record,
                            int64_t reused_run_id, const int64_t *input_ids,
                            size_t input_count, int64_t *run_id,
                            aero_error *err) {
  return pc_reuse_record_one(handle, tp_reuse_record_batch, record,
                             reused_run_id, input_ids, input_count, run_id,
                             err);
}
