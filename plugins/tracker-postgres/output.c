/* tracker-postgres: put_output. Each file is hashed in one pass, uploaded
 * as a blob unless the bucket already holds it (identical content is
 * uploaded once, by anyone), and checked in the bucket; only then is the
 * pending version written, in one transaction, so a version row never
 * refers to a blob that is not whole in the bucket. run_end publishes it.
 */
#include "tp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Uploads the blob of a hashed file unless the bucket has it whole. */
static aero_status put_blob(void *ctx, const pc_file *file, int fd,
                            aero_error *err) {
  tp_store *store = ctx;
  bool present = false;
  aero_status status =
      tp_s3_has_blob(store->s3, file->hash, file->size, &present, err);
  if (status == AERO_OK && !present) {
    char *label = pc_strdup_printf("uploading %s", file->name);
    status = tp_s3_put_blob(store->s3, file->hash, fd, file->size, label, err);
    free(label);
  }
  return status;
}

typedef struct record_ctx {
  int64_t run_id;
  const aero_artifact_ref *ref;
  const aero_output_desc *desc;
  const char *digest;
  const char *paths, *hashes, *sizes;               /* array literals */
  const char *meta_keys, *meta_types, *meta_values; /* array literals */
} record_ctx;

static aero_status record_body(tp_store *store, void *ctx_, aero_error *err) {
  record_ctx *ctx = ctx_;
  bool dev = false;
  aero_status status = tp_run_mode(store, ctx->run_id, &dev, err);
  if (status != AERO_OK)
    return status;
  tp_params a = {0};
  tp_param_text(&a, ctx->ref->entity != NULL ? ctx->ref->entity : "");
  tp_param_text(&a, ctx->ref->project);
  tp_param_text(&a, ctx->ref->name);
  PGresult *res = NULL;
  status = tp_exec(store,
                   "INSERT INTO artifacts (entity, project, name) VALUES ($1, "
                   "$2, $3) ON CONFLICT (entity, project, name) DO UPDATE SET "
                   "name = excluded.name RETURNING id",
                   &a, &res, "recording an artifact", err);
  if (status != AERO_OK)
    return status;
  char artifact_id[32];
  snprintf(artifact_id, sizeof artifact_id, "%s", PQgetvalue(res, 0, 0));
  PQclear(res);
  /* The last declaration of an artifact by a run is the one published. */
  tp_params v = {0};
  tp_param_int(&v, ctx->run_id);
  tp_param_text(&v, artifact_id);
  tp_param_text(&v, ctx->digest);
  tp_param_text(&v, ctx->desc->artifact_type != NULL ? ctx->desc->artifact_type
                                                     : "");
  tp_param_text(&v, dev ? "dev" : "prod");
  tp_param_int(&v, tp_now_ns());
  tp_param_text(&v, ctx->paths);
  tp_param_text(&v, ctx->hashes);
  tp_param_text(&v, ctx->sizes);
  tp_param_text(&v, ctx->meta_keys);
  tp_param_text(&v, ctx->meta_types);
  tp_param_text(&v, ctx->meta_values);
  return tp_exec(
      store,
      "WITH gone AS (DELETE FROM versions WHERE run_id = $1 AND artifact_id = "
      "$2 AND published = 0),"
      " v AS (INSERT INTO versions (artifact_id, version, digest, type, mode, "
      "run_id, created_at, published) VALUES ($2, NULL, $3, $4, $5, $1, $6, "
      "0) RETURNING id),"
      " f AS (INSERT INTO version_files (version_id, path, sha256, size) "
      "SELECT v.id, u.p, u.h, u.s FROM v, unnest($7::text[], $8::text[], "
      "$9::bigint[]) AS u(p, h, s))"
      " INSERT INTO version_metadata (version_id, key, type, value) SELECT "
      "v.id, u.k, u.t, u.x FROM v, unnest($10::text[], $11::text[], "
      "$12::text[]) AS u(k, t, x) ON CONFLICT DO NOTHING",
      &v, NULL, "recording a version", err);
}

aero_status tp_put_output(void *handle, int64_t run_id,
                          const aero_artifact_ref *ref,
                          const aero_output_desc *desc_in, aero_error *err) {
  tp_store *store = handle;
  aero_output_desc desc;
  char output[512];
  aero_status status = pc_output_begin("tracker-postgres", ref, desc_in, &desc,
                                       output, sizeof output, err);
  if (status != AERO_OK)
    return status;
  pc_file_list list = {0};
  status = pc_collect(output, &desc, &list, err);
  pthread_mutex_lock(&store->lock);
  for (size_t i = 0; status == AERO_OK && i < list.count; i++)
    status = pc_store_file(&list.items[i], put_blob, store, err);
  char digest[65];
  if (status == AERO_OK)
    status = pc_manifest_digest(&list, digest, err);
  char *bufs[6] = {0};
  size_t lens[6] = {0}, caps[6] = {0};
  bool ok = true;
  for (size_t i = 0; status == AERO_OK && i < list.count; i++) {
    char size[32];
    snprintf(size, sizeof size, "%llu", (unsigned long long)list.items[i].size);
    ok = ok && tp_array_add(&bufs[0], &lens[0], &caps[0], list.items[i].name) &&
         tp_array_add(&bufs[1], &lens[1], &caps[1], list.items[i].hash) &&
         tp_array_add(&bufs[2], &lens[2], &caps[2], size);
  }
  for (size_t i = 0; status == AERO_OK && i < desc.metadata_count; i++) {
    char num[32];
    const char *type = NULL;
    const char *text =
        tp_value_text(&desc.metadata[i].value, num, sizeof num, &type);
    ok = ok &&
         tp_array_add(&bufs[3], &lens[3], &caps[3], desc.metadata[i].key) &&
         tp_array_add(&bufs[4], &lens[4], &caps[4], type) &&
         tp_array_add(&bufs[5], &lens[5], &caps[5], text);
  }
  for (size_t i = 0; i < 6; i++)
    ok = ok && tp_array_end(&bufs[i], &lens[i], &caps[i]);
  if (status == AERO_OK && !ok)
    status = aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  if (status == AERO_OK) {
    record_ctx ctx = {.run_id = run_id,
                      .ref = ref,
                      .desc = &desc,
                      .digest = digest,
                      .paths = bufs[0],
                      .hashes = bufs[1],
                      .sizes = bufs[2],
                      .meta_keys = bufs[3],
                      .meta_types = bufs[4],
                      .meta_values = bufs[5]};
    status = tp_txn(store, record_body, &ctx, "recording a version", err);
  }
  pthread_mutex_unlock(&store->lock);
  for (size_t i = 0; i < 6; i++)
    free(bufs[i]);
  pc_file_list_free(&list);
  return status;
}
