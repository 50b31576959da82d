/* tracker-local: output links, a running run's declared output whose
 * content is already the latest version (schema version 6).
 *
 * An unchanged re-run declares the same bytes as the version it would
 * otherwise re-create. Recording that as a pending version (a versions row,
 * its file rows and their indexes) only for run_end to find the same
 * digest and delete it again wrote about a dozen database pages per output
 * for nothing (issue 10). A link is one row: (run, artifact, version).
 * run_end turns it into the run's output (run_own_outputs) when the version is
 * still the latest its mode sees, as a pending version would have been
 * published; when another run published different content meanwhile, it
 * publishes the linked content as a new version, exactly what the pending
 * version would have become. A link is made only when the declaration's
 * type and metadata equal the version's, so that both ways record the
 * same thing as before.
 */
#include "local.h"

#include <stdlib.h>
#include <string.h>

aero_status tl_links_migrate(tl_store *store, aero_error *err) {
  return tl_exec(store,
                 "CREATE TABLE output_links ("
                 " run_id INTEGER NOT NULL REFERENCES runs (id),"
                 " artifact_id INTEGER NOT NULL REFERENCES artifacts (id),"
                 " version_id INTEGER NOT NULL REFERENCES versions (id),"
                 " PRIMARY KEY (run_id, artifact_id)) WITHOUT ROWID;",
                 err);
}

/* Whether the metadata of `desc` (the last value of a key repeated, as
 * recording it keeps) is exactly that of version `version_id`. */
static aero_status same_metadata(tl_store *store, int64_t version_id,
                                 const aero_output_desc *desc, bool *same,
                                 aero_error *err) {
  sqlite3_stmt *st = NULL;
  int64_t keys = 0;
  aero_status status = tl_prepare(
      store,
      "SELECT 1 FROM version_metadata WHERE version_id = ? AND key = ? AND "
      "type = ? AND value IS ?",
      &st, err);
  *same = true;
  for (size_t i = 0; status == AERO_OK && *same && i < desc->metadata_count;
       i++) {
    const aero_kv *kv = &desc->metadata[i];
    bool later = false;
    for (size_t j = i + 1; j < desc->metadata_count && !later; j++)
      later = strcmp(desc->metadata[j].key, kv->key) == 0;
    if (later)
      continue;
    keys++;
    tl_bind_metadata(st, version_id, kv);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
      *same = false;
    else if (rc != SQLITE_ROW)
      status = tl_db_fail(store, rc, "comparing an output's metadata", err);
  }
  tl_finish(store, st);
  if (status != AERO_OK || !*same)
    return status;
  status = tl_prepare(
      store, "SELECT count(*) FROM version_metadata WHERE version_id = ?", &st,
      err);
  if (status != AERO_OK)
    return status;
  sqlite3_bind_int64(st, 1, version_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    *same = sqlite3_column_int64(st, 0) == keys;
  else
    status = tl_db_fail(store, rc, "comparing an output's metadata", err);
  tl_finish(store, st);
  return status;
}

aero_status tl_link_record(tl_store *store, int64_t run_id, int64_t artifact_id,
                           bool dev, const aero_output_desc *desc,
                           const char *digest, bool *linked, aero_error *err) {
  aero_artifact_version latest = {.struct_size = sizeof latest};
  bool found = false;
  *linked = false;
  aero_status status =
      tl_version_latest(store, artifact_id, dev, &latest, &found, err);
  /* The type read with the version is whole: a declared type is shorter
   * than its buffer (pc_output_begin). */
  bool same =
      found && strcmp(latest.digest, digest) == 0 &&
      strcmp(latest.type,
             desc->artifact_type != NULL ? desc->artifact_type : "") == 0;
  if (status == AERO_OK && same)
    status = same_metadata(store, latest.id, desc, &same, err);
  if (status != AERO_OK)
    return status;
  if (!same)
    /* A pending version stands for this declaration: an earlier link of
     * the same artifact by this run goes, as an earlier pending version
     * does. */
    return tl_exec2(store,
                    "DELETE FROM output_links WHERE run_id = ? AND "
                    "artifact_id = ?",
                    run_id, artifact_id, "replacing an earlier declaration",
                    err);
  status = tl_exec2(store,
                    "INSERT OR REPLACE INTO output_links (run_id, "
                    "artifact_id, version_id) SELECT ?, artifact_id, id FROM "
                    "versions WHERE id = ?",
                    run_id, latest.id, "recording an output", err);
  if (status == AERO_OK)
    *linked = true;
  return status;
}

aero_status tl_link_copy(tl_store *store, int64_t run_id, const tl_settling *l,
                         int64_t *new_id, aero_error *err) {
  int64_t next = -1;
  aero_status status = tl_version_next(store, l->artifact_id, &next, err);
  sqlite3_stmt *st = NULL;
  if (status == AERO_OK)
    status = tl_prepare(
        store,
        "INSERT INTO versions (artifact_id, version, digest, type, mode, "
        "run_id, created_at, published) SELECT artifact_id, ?, digest, type, "
        "?, ?, ?, 1 FROM versions WHERE id = ?",
        &st, err);
  if (status != AERO_OK)
    return status;
  sqlite3_bind_int64(st, 1, next);
  tl_bind_text(st, 2, l->dev ? "dev" : "prod");
  sqlite3_bind_int64(st, 3, run_id);
  sqlite3_bind_int64(st, 4, tl_now_ns());
  sqlite3_bind_int64(st, 5, l->version_id);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE)
    status = tl_db_fail(store, rc, "publishing a version", err);
  tl_finish(store, st);
  if (status != AERO_OK)
    return status;
  *new_id = sqlite3_last_insert_rowid(store->db);
  status = tl_exec2(store,
                    "INSERT INTO version_files (version_id, path, sha256, "
                    "size) SELECT ?, path, sha256, size FROM version_files "
                    "WHERE version_id = ?",
                    *new_id, l->version_id, "recording a version's files", err);
  if (status == AERO_OK)
    status =
        tl_exec2(store,
                 "INSERT INTO version_metadata (version_id, key, type, "
                 "value) SELECT ?, key, type, value FROM "
                 "version_metadata WHERE version_id = ?",
                 *new_id, l->version_id, "recording a version's metadata", err);
  return status;
}
