/* tracker-postgres: verifying a team store (the vtable's check member, for
 * `aeromancy fsck`).
 *
 * The blobs the versions refer to are read from the database first, then
 * the bucket is listed: an upload always precedes the rows that refer to
 * it, so every blob referenced in that first read is already in the bucket
 * unless something outside removed it. A version recorded in between only
 * makes its blob counted as an orphan this time (orphans are only counted).
 *
 * Every object in the bucket is re-hashed as it streams in (nothing is
 * kept, whatever its size). A damaged one -- other bytes or another size
 * than its name and the versions say -- is deleted by --repair: uploads
 * skip a blob only when the bucket holds it with the right size, so the
 * next declaration of that content uploads it again.
 *
 * A run still 'running' whose lease is gone or expired was left by a host
 * that died; --repair records it killed and drops its pending versions,
 * as the next run_begin of any host would.
 */
#include "tp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct obj_blob {
  char hex[65];
  uint64_t size;
} obj_blob;

typedef struct checker {
  tp_store *store;
  const aero_check_params *params;
  aero_status (*each)(void *, const aero_problem *, aero_error *);
  void *ctx;
  aero_check_report counts;
  tp_blob_refs refs;
  obj_blob *objs;
  size_t nobjs, capobjs;
  int64_t *abandoned;
  size_t nabandoned;
  aero_error *err;
} checker;

static aero_status report(checker *c, uint32_t kind, const char *subject,
                          const char *detail, int64_t run_id,
                          int64_t version_id, bool repaired) {
  pc_problem_sink sink = {.each = c->each, .ctx = c->ctx, .err = c->err};
  return pc_report_problem(&sink, &c->counts, kind, subject, detail, run_id,
                           version_id, repaired);
}

static aero_status refs_body(tp_store *store, void *ctx, aero_error *err) {
  checker *c = ctx;
  return tp_blob_refs_load(store, &c->refs, err);
}

static aero_status add_obj(void *ctx, const char *hex, uint64_t size,
                           aero_error *err) {
  checker *c = ctx;
  obj_blob *grown =
      aeu_grow(c->objs, &c->capobjs, c->nobjs + 1, sizeof *grown, 256);
  if (grown == NULL)
    return aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  c->objs = grown;
  snprintf(c->objs[c->nobjs].hex, 65, "%s", hex);
  c->objs[c->nobjs++].size = size;
  return AERO_OK;
}

/* Re-hashes one object; reports and (with --repair) deletes it when
 * damaged. */
static aero_status check_obj(checker *c, const obj_blob *o) {
  tp_blob_ref *ref = tp_blob_refs_find(&c->refs, o->hex);
  bool found = false;
  char got[65];
  uint64_t bytes = 0;
  aero_status status =
      tp_s3_hash_blob(c->store->s3, o->hex, &found, got, &bytes, c->err);
  if (status != AERO_OK || !found)
    return status; /* removed since the listing: missing if referenced */
  c->counts.blobs_checked++;
  c->counts.bytes_hashed += (int64_t)bytes;
  bool wrong_size = ref != NULL && (int64_t)bytes != ref->size;
  bool damaged = strcmp(got, o->hex) != 0;
  if (!wrong_size && !damaged) {
    if (ref != NULL)
      ref->seen = true;
    else
      c->counts.orphans++;
    return AERO_OK;
  }
  if (ref == NULL)
    c->counts.orphans++;
  bool repaired = c->params->repair &&
                  tp_s3_delete_blob(c->store->s3, o->hex, NULL) == AERO_OK;
  char detail[256];
  if (wrong_size)
    snprintf(detail, sizeof detail,
             "blob %.16s... has %llu bytes in the bucket, %lld recorded%s",
             o->hex, (unsigned long long)bytes, (long long)ref->size,
             repaired ? " (deleted: the next declaration uploads it again)"
                      : "");
  else
    snprintf(detail, sizeof detail,
             "blob %.16s... is damaged in the bucket (its SHA-256 is "
             "%.16s...)%s",
             o->hex, got,
             repaired ? " (deleted: the next declaration uploads it again)"
                      : "");
  return report(c, wrong_size ? AERO_PROBLEM_SIZE : AERO_PROBLEM_BLOB_DAMAGED,
                o->hex, detail, 0, ref != NULL ? ref->version_id : 0, repaired);
}

static aero_status check_blobs(checker *c) {
  aero_status status = tp_s3_list_blobs(c->store->s3, add_obj, c, c->err);
  if (status != AERO_OK)
    return status;
  aeu_sort(c->objs, c->nobjs, sizeof *c->objs, tp_cmp_hex);
  for (size_t i = 0; status == AERO_OK && i < c->nobjs; i++)
    status = check_obj(c, &c->objs[i]);
  for (size_t i = 0; status == AERO_OK && i < c->refs.n; i++) {
    tp_blob_ref *r = &c->refs.v[i];
    c->counts.files_checked += r->files;
    if (r->seen)
      continue;
    bool listed = c->nobjs > 0 && bsearch(r->hex, c->objs, c->nobjs,
                                          sizeof *c->objs, tp_cmp_hex) != NULL;
    if (listed)
      continue; /* damaged: reported above */
    char detail[200];
    snprintf(detail, sizeof detail,
             "blob %.16s... of version %lld (and %lld file(s) in all) is "
             "missing from the bucket",
             r->hex, (long long)r->version_id, (long long)r->files);
    status = report(c, AERO_PROBLEM_BLOB_MISSING, r->hex, detail, 0,
                    r->version_id, false);
  }
  return status;
}

static aero_status abandoned_body(tp_store *store, void *ctx, aero_error *err) {
  checker *c = ctx;
  PGresult *res = NULL;
  aero_status status = tp_exec(
      store,
      "SELECT r.id FROM runs r LEFT JOIN leases l ON l.token = r.lease "
      "WHERE r.status = 'running' AND (l.token IS NULL OR l.expires_at < "
      "now()) ORDER BY r.id",
      NULL, &res, "listing runs left running", err);
  if (status != AERO_OK)
    return status;
  free(c->abandoned);
  c->nabandoned = (size_t)PQntuples(res);
  c->abandoned = calloc(c->nabandoned + 1, sizeof *c->abandoned);
  if (c->abandoned == NULL)
    status = aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  for (size_t i = 0; status == AERO_OK && i < c->nabandoned; i++)
    c->abandoned[i] = strtoll(PQgetvalue(res, (int)i, 0), NULL, 10);
  PQclear(res);
  return status;
}

typedef struct kill_ctx {
  int64_t run_id;
} kill_ctx;

static aero_status kill_body(tp_store *store, void *ctx, aero_error *err) {
  kill_ctx *k = ctx;
  tp_params p = {0};
  tp_param_int(&p, k->run_id);
  /* Only while still running: its host may have come back meanwhile. It
   * ends when it was last seen alive, as tp_lease_reap's runs. */
  return tp_exec(
      store,
      "WITH killed AS (UPDATE runs r SET status = 'killed', ended_at = "
      "GREATEST(r.started_at, (SELECT max(l.logged_at) FROM run_logs l WHERE "
      "l.run_id = r.id), (SELECT max(m.logged_at) FROM metrics m WHERE "
      "m.run_id = r.id)), message = 'recorded as killed by aeromancy fsck "
      "--repair: its aerohost stopped renewing its lease' WHERE r.id = $1 "
      "AND r.status = 'running' RETURNING r.id) DELETE FROM versions WHERE "
      "published = 0 AND run_id IN (SELECT id FROM killed)",
      &p, NULL, "recording an abandoned run killed", err);
}

static aero_status check_runs(checker *c) {
  aero_status status =
      tp_once(c->store, abandoned_body, c, "listing runs left running", c->err);
  for (size_t i = 0; status == AERO_OK && i < c->nabandoned; i++) {
    kill_ctx k = {c->abandoned[i]};
    bool repaired =
        c->params->repair &&
        tp_txn(c->store, kill_body, &k, "recording an abandoned run killed",
               NULL) == AERO_OK;
    char subject[32], detail[200];
    snprintf(subject, sizeof subject, "%lld", (long long)k.run_id);
    snprintf(detail, sizeof detail,
             "run %lld is still 'running' but the aerohost that ran it "
             "stopped renewing its lease",
             (long long)k.run_id);
    status = report(c, AERO_PROBLEM_RUN_ABANDONED, subject, detail, k.run_id, 0,
                    repaired);
  }
  return status;
}

aero_status tp_check(void *handle, const aero_check_params *params,
                     aero_status (*each)(void *, const aero_problem *,
                                         aero_error *),
                     void *ctx, aero_check_report *out, aero_error *err) {
  tp_store *store = handle;
  aero_check_params none = {.struct_size = sizeof none};
  checker c = {.store = store,
               .params = params != NULL ? params : &none,
               .each = each,
               .ctx = ctx,
               .counts = {.struct_size = sizeof c.counts},
               .err = err};
  pthread_mutex_lock(&store->lock);
  aero_status status =
      tp_once(store, refs_body, &c, "listing the blobs versions refer to", err);
  if (status == AERO_OK)
    status = check_blobs(&c);
  if (status == AERO_OK)
    status = check_runs(&c);
  pthread_mutex_unlock(&store->lock);
  if (out != NULL) {
    uint32_t size = out->struct_size;
    memcpy(out, &c.counts, size < sizeof c.counts ? size : sizeof c.counts);
    out->struct_size = size;
  }
  tp_blob_refs_free(&c.refs);
  free(c.objs);
  free(c.abandoned);
  return status;
}
