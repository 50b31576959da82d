/* tracker-local: version rows: resolving references to them, recording
 * inputs, and inserting artifacts and versions (a run's outputs are
 * published at its end by settle.c).
 *
 * Version numbers are per artifact and shared by dev and production runs;
 * a production run never sees a dev version (`latest` means the highest
 * published production version there), a dev run sees both.
 */
#include "local.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The artifact's id, or 0 when it was never declared. */
static aero_status find_artifact(tl_store *store, const aero_artifact_ref *ref,
                                 int64_t *id, aero_error *err) {
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(store,
                                  "SELECT id FROM artifacts WHERE entity = ? "
                                  "AND project = ? AND name = ?",
                                  &st, err);
  if (status != AERO_OK)
    return status;
  tl_bind_text(st, 1, ref->entity != NULL ? ref->entity : "");
  tl_bind_text(st, 2, ref->project);
  tl_bind_text(st, 3, ref->name);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    *id = sqlite3_column_int64(st, 0);
  else if (rc == SQLITE_DONE)
    *id = 0;
  else
    status = tl_db_fail(store, rc, "looking up an artifact", err);
  tl_finish(store, st);
  return status;
}

/* The highest published version visible in a mode, or -1. */
static aero_status latest_version(tl_store *store, int64_t artifact_id,
                                  bool dev, int64_t *version, aero_error *err) {
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(
      store,
      dev ? "SELECT max(version) FROM versions WHERE artifact_id = ? AND "
            "published = 1"
          : "SELECT max(version) FROM versions WHERE artifact_id = ? AND "
            "published = 1 AND mode = 'prod'",
      &st, err);
  if (status != AERO_OK)
    return status;
  sqlite3_bind_int64(st, 1, artifact_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    *version = sqlite3_column_type(st, 0) == SQLITE_NULL
                   ? -1
                   : sqlite3_column_int64(st, 0);
  else
    status = tl_db_fail(store, rc, "looking up the latest version", err);
  tl_finish(store, st);
  return status;
}

static void copy_text(char *dst, size_t size, const unsigned char *src) {
  snprintf(dst, size, "%s", src != NULL ? (const char *)src : "");
}

/* Reads version `version` (published) of the artifact into *out; *found
 * says whether it exists. */
static aero_status read_version(tl_store *store, int64_t artifact_id,
                                int64_t version, aero_artifact_version *out,
                                bool *found, aero_error *err) {
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(
      store,
      "SELECT id, mode, digest, type FROM versions WHERE artifact_id = ? AND "
      "version = ? AND published = 1",
      &st, err);
  if (status != AERO_OK)
    return status;
  sqlite3_bind_int64(st, 1, artifact_id);
  sqlite3_bind_int64(st, 2, version);
  int rc = sqlite3_step(st);
  *found = false;
  if (rc == SQLITE_ROW) {
    aero_artifact_version v = {.struct_size = sizeof v};
    v.id = sqlite3_column_int64(st, 0);
    v.version = version;
    v.dev = strcmp((const char *)sqlite3_column_text(st, 1), "dev") == 0;
    copy_text(v.digest, sizeof v.digest, sqlite3_column_text(st, 2));
    copy_text(v.type, sizeof v.type, sqlite3_column_text(st, 3));
    /* Only the members the caller's struct has. */
    uint32_t size = out->struct_size;
    memcpy(out, &v, size < sizeof v ? size : sizeof v);
    out->struct_size = size;
    *found = true;
  } else if (rc != SQLITE_DONE) {
    status = tl_db_fail(store, rc, "reading a version", err);
  }
  tl_finish(store, st);
  return status;
}

static aero_status resolve_in(tl_store *store, const aero_artifact_ref *ref,
                              bool dev, aero_artifact_version *out,
                              aero_error *err) {
  char name[512];
  pc_format_ref(ref, name, sizeof name);
  int64_t artifact_id = 0;
  aero_status status = find_artifact(store, ref, &artifact_id, err);
  if (status != AERO_OK)
    return status;
  if (artifact_id == 0)
    return aero_fail(err, AERO_E_NOT_FOUND,
                     "artifact '%s' does not exist in the store", name);
  int64_t latest = -1;
  status = latest_version(store, artifact_id, dev, &latest, err);
  if (status != AERO_OK)
    return status;
  int64_t wanted = ref->version >= 0 ? ref->version : latest;
  if (wanted < 0) {
    int64_t any = -1;
    status = latest_version(store, artifact_id, true, &any, err);
    if (status != AERO_OK)
      return status;
    return pc_resolve_none(name, any, err);
  }
  bool found = false;
  status = read_version(store, artifact_id, wanted, out, &found, err);
  if (status != AERO_OK)
    return status;
  if (!found)
    return pc_resolve_missing(name, wanted, latest, err);
  if (out->dev && !dev)
    return pc_resolve_dev_only(name, wanted, latest, err);
  return AERO_OK;
}

aero_status tl_resolve(void *handle, const aero_artifact_ref *ref, bool dev,
                       aero_artifact_version *out, aero_error *err) {
  tl_store *store = handle;
  aero_status status = pc_check_ref(ref, err);
  if (status != AERO_OK)
    return status;
  if (out == NULL || out->struct_size == 0)
    return aero_fail(err, AERO_E_INVALID,
                     "tracker-local: resolve needs an output with its "
                     "struct_size set");
  /* One read transaction, so that the latest version and its row come from
   * the same snapshot. */
  status = tl_read_begin(store, err);
  if (status != AERO_OK)
    return status;
  aero_artifact_version v = {.struct_size = out->struct_size};
  status = resolve_in(store, ref, dev, &v, err);
  tl_read_end(store);
  if (status == AERO_OK)
    memcpy(out, &v, out->struct_size < sizeof v ? out->struct_size : sizeof v);
  return status;
}

aero_status tl_record_input(void *handle, int64_t run_id, int64_t version_id,
                            aero_error *err) {
  tl_store *store = handle;
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(
      store,
      "INSERT OR IGNORE INTO run_inputs (run_id, version_id) VALUES (?, ?)",
      &st, err);
  if (status != AERO_OK)
    return status;
  sqlite3_bind_int64(st, 1, run_id);
  sqlite3_bind_int64(st, 2, version_id);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE)
    status = tl_db_fail(store, rc, "recording an input", err);
  tl_finish(store, st);
  return status;
}

aero_status tl_version_latest(tl_store *store, int64_t artifact_id, bool dev,
                              aero_artifact_version *out, bool *found,
                              aero_error *err) {
  int64_t latest = -1;
  *found = false;
  aero_status status = latest_version(store, artifact_id, dev, &latest, err);
  if (status == AERO_OK && latest >= 0)
    status = read_version(store, artifact_id, latest, out, found, err);
  return status;
}

aero_status tl_version_next(tl_store *store, int64_t artifact_id, int64_t *next,
                            aero_error *err) {
  /* Numbers are shared by both modes: the next one after every version of
   * the artifact. The caller holds the write lock (BEGIN IMMEDIATE), so no
   * other process can take the same number. */
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(store,
                                  "SELECT coalesce(max(version), -1) FROM "
                                  "versions WHERE artifact_id = ?",
                                  &st, err);
  if (status != AERO_OK)
    return status;
  sqlite3_bind_int64(st, 1, artifact_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    *next = sqlite3_column_int64(st, 0) + 1;
  else
    status = tl_db_fail(store, rc, "allocating a version", err);
  tl_finish(store, st);
  return status;
}

/* Looks the artifact up before inserting it: an upsert that finds the row
 * still rewrites it and its index page, one WAL frame per declared output
 * for nothing once the artifact exists (issue 10). */
aero_status tl_artifact_id(tl_store *store, const aero_artifact_ref *ref,
                           int64_t *id, aero_error *err) {
  static const char *const sql[] = {
      "SELECT id FROM artifacts WHERE entity = ? AND project = ? AND name = ?",
      "INSERT INTO artifacts (entity, project, name) VALUES (?, ?, ?) "
      "RETURNING id"};
  aero_status status = AERO_OK;
  int rc = SQLITE_DONE;
  for (size_t i = 0; i < 2 && status == AERO_OK && rc == SQLITE_DONE; i++) {
    sqlite3_stmt *st = NULL;
    status = tl_prepare(store, sql[i], &st, err);
    if (status != AERO_OK)
      return status;
    tl_bind_text(st, 1, ref->entity != NULL ? ref->entity : "");
    tl_bind_text(st, 2, ref->project);
    tl_bind_text(st, 3, ref->name);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
      *id = sqlite3_column_int64(st, 0);
    else if (rc != SQLITE_DONE)
      status = tl_db_fail(store, rc, "recording an artifact", err);
    tl_finish(store, st);
  }
  if (status == AERO_OK && rc != SQLITE_ROW)
    status = aero_fail(err, AERO_E_IO, "%s: recording an artifact gave no id",
                       store->db_path);
  return status;
}

static aero_status step_done(tl_store *store, sqlite3_stmt *st,
                             const char *what, aero_error *err) {
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE)
    return tl_db_fail(store, rc, what, err);
  return AERO_OK;
}

aero_status tl_version_insert(tl_store *store, int64_t artifact_id,
                              int64_t run_id, bool dev,
                              const aero_output_desc *desc,
                              const pc_file_list *list, const char *digest,
                              int64_t number, int64_t *version_id,
                              aero_error *err) {
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(
      store,
      "INSERT INTO versions (artifact_id, version, digest, type, mode, "
      "run_id, created_at, published) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      &st, err);
  if (status != AERO_OK)
    return status;
  sqlite3_bind_int64(st, 1, artifact_id);
  if (number >= 0)
    sqlite3_bind_int64(st, 2, number);
  tl_bind_text(st, 3, digest);
  tl_bind_text(st, 4, desc->artifact_type != NULL ? desc->artifact_type : "");
  tl_bind_text(st, 5, dev ? "dev" : "prod");
  sqlite3_bind_int64(st, 6, run_id);
  sqlite3_bind_int64(st, 7, tl_now_ns());
  sqlite3_bind_int(st, 8, number >= 0);
  status = step_done(store, st, "recording a version", err);
  tl_finish(store, st);
  st = NULL;
  if (status != AERO_OK)
    return status;
  *version_id = sqlite3_last_insert_rowid(store->db);

  status = tl_prepare(store,
                      "INSERT INTO version_files (version_id, path, sha256, "
                      "size) VALUES (?, ?, ?, ?)",
                      &st, err);
  for (size_t i = 0; status == AERO_OK && i < list->count; i++) {
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, *version_id);
    tl_bind_text(st, 2, list->items[i].name);
    tl_bind_text(st, 3, list->items[i].hash);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)list->items[i].size);
    status = step_done(store, st, "recording a version's files", err);
  }
  tl_finish(store, st);
  st = NULL;
  if (status != AERO_OK || desc->metadata_count == 0)
    return status;

  status = tl_prepare(store,
                      "INSERT OR REPLACE INTO version_metadata (version_id, "
                      "key, type, value) VALUES (?, ?, ?, ?)",
                      &st, err);
  for (size_t i = 0; status == AERO_OK && i < desc->metadata_count; i++) {
    tl_bind_metadata(st, *version_id, &desc->metadata[i]);
    status = step_done(store, st, "recording a version's metadata", err);
  }
  tl_finish(store, st);
  return status;
}
