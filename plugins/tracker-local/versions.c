/* tracker-local: resolving references to versions, recording inputs, and
 * publishing a run's pending outputs.
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

aero_status tl_settling_list(tl_store *store, const char *sql, int64_t run_id,
                             tl_settling **out, size_t *count,
                             aero_error *err) {
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(store, sql, &st, err);
  if (status != AERO_OK)
    return status;
  sqlite3_bind_int64(st, 1, run_id);
  tl_settling *list = NULL;
  size_t n = 0, cap = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    tl_settling *grown = aeu_grow(list, &cap, n + 1, sizeof *grown, 4);
    if (grown == NULL) {
      status = aero_fail(err, AERO_E_NOMEM, "tracker-local: out of memory");
      goto done;
    }
    list = grown;
    const unsigned char *mode = sqlite3_column_text(st, 3);
    list[n].version_id = sqlite3_column_int64(st, 0);
    list[n].artifact_id = sqlite3_column_int64(st, 1);
    copy_text(list[n].digest, sizeof list[n].digest,
              sqlite3_column_text(st, 2));
    list[n].dev = mode != NULL && strcmp((const char *)mode, "dev") == 0;
    n++;
  }
  if (rc != SQLITE_DONE)
    status = tl_db_fail(store, rc, "listing a run's outputs", err);
done:
  tl_finish(store, st);
  if (status != AERO_OK) {
    free(list);
    return status;
  }
  *out = list;
  *count = n;
  return AERO_OK;
}

/* Numbers pending version `p`: it becomes the artifact's latest. */
static aero_status number_pending(tl_store *store, const tl_settling *p,
                                  aero_error *err) {
  int64_t next = -1;
  aero_status status = tl_version_next(store, p->artifact_id, &next, err);
  if (status != AERO_OK)
    return status;
  sqlite3_stmt *st = NULL;
  status = tl_prepare(store,
                      "UPDATE versions SET version = ?, published = 1, "
                      "created_at = ? WHERE id = ?",
                      &st, err);
  if (status != AERO_OK)
    return status;
  sqlite3_bind_int64(st, 1, next);
  sqlite3_bind_int64(st, 2, tl_now_ns());
  sqlite3_bind_int64(st, 3, p->version_id);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE)
    status = tl_db_fail(store, rc, "publishing a version", err);
  tl_finish(store, st);
  return status;
}

aero_status tl_output_publish(tl_store *store, int64_t run_id,
                              const tl_settling *p, bool linked,
                              aero_error *err) {
  aero_artifact_version v = {.struct_size = sizeof v};
  bool found = false;
  aero_status status =
      tl_version_latest(store, p->artifact_id, p->dev, &v, &found, err);
  if (status != AERO_OK)
    return status;
  int64_t output = p->version_id;
  if (found && strcmp(v.digest, p->digest) == 0) {
    output = v.id;
    if (!linked)
      status =
          tl_exec2(store, "DELETE FROM versions WHERE id = ? AND published = ?",
                   p->version_id, 0, "dropping a duplicate version", err);
  } else if (linked) {
    status = tl_link_copy(store, run_id, p, &output, err);
  } else {
    status = number_pending(store, p, err);
  }
  if (status == AERO_OK)
    status = tl_exec2(store,
                      "INSERT OR IGNORE INTO run_own_outputs (run_id, version_id) "
                      "VALUES (?, ?)",
                      run_id, output, "recording an output", err);
  return status;
}

aero_status tl_versions_settle(tl_store *store, int64_t run_id, bool publish,
                               aero_error *err) {
  aero_status status = tl_links_settle(store, run_id, publish, err);
  if (status != AERO_OK)
    return status;
  if (!publish)
    return tl_exec2(store,
                    "DELETE FROM versions WHERE run_id = ? AND published = ?",
                    run_id, 0, "discarding a run's outputs", err);
  tl_settling *list = NULL;
  size_t count = 0;
  status = tl_settling_list(store,
                            "SELECT id, artifact_id, digest, mode FROM "
                            "versions WHERE run_id = ? AND published = 0 "
                            "ORDER BY id",
                            run_id, &list, &count, err);
  for (size_t i = 0; status == AERO_OK && i < count; i++)
    status = tl_output_publish(store, run_id, &list[i], false, err);
  free(list);
  return status;
}
