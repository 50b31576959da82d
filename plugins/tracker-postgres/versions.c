/* tracker-postgres: resolving references, recording inputs, and publishing
 * a run's pending outputs.
 *
 * Version numbers are per artifact and shared by dev and production runs;
 * a production run never sees a dev version. A number is allocated inside
 * run_end's transaction with the artifact's row locked (SELECT ... FOR
 * UPDATE), so that hosts publishing the same artifact at once queue there
 * and each takes the next number; UNIQUE (artifact_id, version) backs it.
 */
#include "tp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct resolve_ctx {
  const aero_artifact_ref *ref;
  bool dev;
  aero_artifact_version v;
} resolve_ctx;

/* The highest published version visible in a mode, or -1. */
static aero_status latest(tp_store *store, const char *artifact_id, bool dev,
                          int64_t *out, aero_error *err) {
  tp_params p = {0};
  tp_param_text(&p, artifact_id);
  PGresult *res = NULL;
  aero_status status = tp_exec(
      store,
      dev ? "SELECT max(version) FROM versions WHERE artifact_id = $1 AND "
            "published = 1"
          : "SELECT max(version) FROM versions WHERE artifact_id = $1 AND "
            "published = 1 AND mode = 'prod'",
      &p, &res, "looking up the latest version", err);
  if (status != AERO_OK)
    return status;
  *out = PQgetisnull(res, 0, 0) ? -1 : strtoll(PQgetvalue(res, 0, 0), NULL, 10);
  PQclear(res);
  return AERO_OK;
}

static aero_status resolve_body(tp_store *store, void *ctx_, aero_error *err) {
  resolve_ctx *ctx = ctx_;
  const aero_artifact_ref *ref = ctx->ref;
  char name[512];
  pc_format_ref(ref, name, sizeof name);
  tp_params p = {0};
  tp_param_text(&p, ref->entity != NULL ? ref->entity : "");
  tp_param_text(&p, ref->project);
  tp_param_text(&p, ref->name);
  PGresult *res = NULL;
  aero_status status = tp_exec(store,
                               "SELECT id FROM artifacts WHERE entity = $1 "
                               "AND project = $2 AND name = $3",
                               &p, &res, "looking up an artifact", err);
  if (status != AERO_OK)
    return status;
  if (PQntuples(res) == 0) {
    PQclear(res);
    return aero_fail(err, AERO_E_NOT_FOUND,
                     "artifact '%s' does not exist in the store", name);
  }
  char artifact_id[32];
  snprintf(artifact_id, sizeof artifact_id, "%s", PQgetvalue(res, 0, 0));
  PQclear(res);
  int64_t newest = -1;
  status = latest(store, artifact_id, ctx->dev, &newest, err);
  if (status != AERO_OK)
    return status;
  int64_t wanted = ref->version >= 0 ? ref->version : newest;
  if (wanted < 0) {
    int64_t any = -1;
    status = latest(store, artifact_id, true, &any, err);
    if (status != AERO_OK)
      return status;
    return pc_resolve_none(name, any, err);
  }
  tp_params q = {0};
  tp_param_text(&q, artifact_id);
  tp_param_int(&q, wanted);
  status = tp_exec(store,
                   "SELECT id, mode, digest, type FROM versions WHERE "
                   "artifact_id = $1 AND version = $2 AND published = 1",
                   &q, &res, "reading a version", err);
  if (status != AERO_OK)
    return status;
  if (PQntuples(res) == 0) {
    PQclear(res);
    return pc_resolve_missing(name, wanted, newest, err);
  }
  aero_artifact_version *v = &ctx->v;
  v->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
  v->version = wanted;
  v->dev = strcmp(PQgetvalue(res, 0, 1), "dev") == 0;
  snprintf(v->digest, sizeof v->digest, "%s", PQgetvalue(res, 0, 2));
  snprintf(v->type, sizeof v->type, "%s", PQgetvalue(res, 0, 3));
  PQclear(res);
  if (v->dev && !ctx->dev)
    return pc_resolve_dev_only(name, wanted, newest, err);
  return AERO_OK;
}

aero_status tp_resolve(void *handle, const aero_artifact_ref *ref, bool dev,
                       aero_artifact_version *out, aero_error *err) {
  tp_store *store = handle;
  aero_status status = pc_check_ref(ref, err);
  if (status != AERO_OK)
    return status;
  if (out == NULL || out->struct_size == 0)
    return aero_fail(err, AERO_E_INVALID,
                     "tracker-postgres: resolve needs an output with its "
                     "struct_size set");
  resolve_ctx ctx = {.ref = ref, .dev = dev};
  ctx.v.struct_size = sizeof ctx.v;
  pthread_mutex_lock(&store->lock);
  /* One transaction: the latest number and its row from one snapshot. */
  status = tp_txn(store, resolve_body, &ctx, "resolving an artifact", err);
  pthread_mutex_unlock(&store->lock);
  if (status == AERO_OK) {
    uint32_t size = out->struct_size;
    memcpy(out, &ctx.v, size < sizeof ctx.v ? size : sizeof ctx.v);
    out->struct_size = size;
  }
  return status;
}

typedef struct input_ctx {
  tp_params params;
} input_ctx;

static aero_status input_body(tp_store *store, void *ctx_, aero_error *err) {
  input_ctx *ctx = ctx_;
  return tp_exec(store,
                 "INSERT INTO run_inputs (run_id, version_id) VALUES ($1, $2) "
                 "ON CONFLICT DO NOTHING",
                 &ctx->params, NULL, "recording an input", err);
}

aero_status tp_record_input(void *handle, int64_t run_id, int64_t version_id,
                            aero_error *err) {
  tp_store *store = handle;
  input_ctx ctx = {0};
  tp_param_int(&ctx.params, run_id);
  tp_param_int(&ctx.params, version_id);
  pthread_mutex_lock(&store->lock);
  aero_status status =
      tp_once(store, input_body, &ctx, "recording an input", err);
  pthread_mutex_unlock(&store->lock);
  return status;
}

/* Publishes pending version `id` of artifact `artifact_id` for run
 * `run_id`. Identical content to the latest version the run's mode sees
 * is not a new version: that version becomes the run's output. */
static aero_status publish_one(tp_store *store, int64_t run_id, const char *id,
                               const char *artifact_id, const char *digest,
                               bool dev, aero_error *err) {
  tp_params lock = {0};
  tp_param_text(&lock, artifact_id);
  aero_status status =
      tp_exec(store, "SELECT id FROM artifacts WHERE id = $1 FOR UPDATE", &lock,
              NULL, "locking an artifact", err);
  int64_t newest = -1;
  if (status == AERO_OK)
    status = latest(store, artifact_id, dev, &newest, err);
  if (status != AERO_OK)
    return status;
  tp_params p = {0};
  tp_param_int(&p, run_id);
  tp_param_text(&p, id);
  if (newest >= 0) {
    tp_params q = {0};
    tp_param_text(&q, artifact_id);
    tp_param_int(&q, newest);
    tp_param_text(&q, digest);
    PGresult *res = NULL;
    status = tp_exec(store,
                     "SELECT id FROM versions WHERE artifact_id = $1 AND "
                     "version = $2 AND published = 1 AND digest = $3",
                     &q, &res, "comparing with the latest version", err);
    if (status != AERO_OK)
      return status;
    if (PQntuples(res) > 0) {
      char existing[32];
      snprintf(existing, sizeof existing, "%s", PQgetvalue(res, 0, 0));
      PQclear(res);
      tp_params same = {0};
      tp_param_int(&same, run_id);
      tp_param_text(&same, existing);
      tp_param_text(&same, id);
      return tp_exec(store,
                     "WITH o AS (INSERT INTO run_own_outputs (run_id, "
                     "version_id) VALUES ($1, $2) ON CONFLICT DO NOTHING) "
                     "DELETE FROM versions WHERE id = $3 AND published = 0",
                     &same, NULL, "recording an output", err);
    }
    PQclear(res);
  }
  tp_params n = {0};
  tp_param_text(&n, id);
  tp_param_text(&n, artifact_id);
  tp_param_int(&n, tp_now_ns());
  tp_param_int(&n, run_id);
  return tp_exec(
      store,
      "WITH v AS (UPDATE versions SET version = (SELECT coalesce(max(version), "
      "-1) + 1 FROM versions WHERE artifact_id = $2), published = 1, "
      "created_at = $3 WHERE id = $1 RETURNING id) INSERT INTO run_own_outputs "
      "(run_id, version_id) SELECT $4, id FROM v ON CONFLICT DO NOTHING",
      &n, NULL, "publishing a version", err);
}

aero_status tp_versions_settle(tp_store *store, int64_t run_id, bool publish,
                               aero_error *err) {
  tp_params p = {0};
  tp_param_int(&p, run_id);
  if (!publish)
    return tp_exec(store,
                   "DELETE FROM versions WHERE run_id = $1 AND published = 0",
                   &p, NULL, "discarding a run's outputs", err);
  PGresult *res = NULL;
  /* In artifact order, so that two runs publishing the same artifacts lock
   * them in the same order and never deadlock. */
  aero_status status =
      tp_exec(store,
              "SELECT id, artifact_id, digest, mode FROM versions WHERE "
              "run_id = $1 AND published = 0 ORDER BY artifact_id, id",
              &p, &res, "listing a run's outputs", err);
  if (status != AERO_OK)
    return status;
  for (int i = 0; status == AERO_OK && i < PQntuples(res); i++)
    status = publish_one(store, run_id, PQgetvalue(res, i, 0),
                         PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
                         strcmp(PQgetvalue(res, i, 3), "dev") == 0, err);
  PQclear(res);
  return status;
}
