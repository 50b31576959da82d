/* tracker-local: a run's outputs settled at its end, inside run_end's
 * transaction: its pending versions published (numbered, or dropped for
 * the latest version with the same content) and its output links turned
 * into outputs (links.c), or, for a run that did not succeed, both
 * discarded. */
#include "local.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The rows of `sql` (static storage; one parameter, the run's id; columns
 * version id, artifact id, digest, mode) as a malloc'd list the caller
 * frees. */
static aero_status settling_list(tl_store *store, const char *sql,
                                 int64_t run_id, tl_settling **out,
                                 size_t *count, aero_error *err) {
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
    const unsigned char *digest = sqlite3_column_text(st, 2);
    snprintf(list[n].digest, sizeof list[n].digest, "%s",
             digest != NULL ? (const char *)digest : "");
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

/* Makes output `p` (a pending version, or a link when `linked`) an output
 * of run `run_id`. When the latest version the run's mode sees has the
 * same content, that version is the output (a pending row then goes):
 * identical content never makes a new version. Only the latest is
 * compared, so that going back to older content still makes it `latest`
 * again (as a new version) rather than leaving a newer, different version
 * as what readers get. Otherwise a pending version is numbered, and a
 * link's content copied into a new version (tl_link_copy). */
static aero_status output_publish(tl_store *store, int64_t run_id,
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

/* Turns the links of run `run_id` into its outputs (`publish`), or drops
 * them. */
static aero_status links_settle(tl_store *store, int64_t run_id, bool publish,
                                aero_error *err) {
  tl_settling *list = NULL;
  size_t n = 0;
  aero_status status = AERO_OK;
  if (publish)
    status = settling_list(
        store,
        "SELECT l.version_id, l.artifact_id, v.digest, r.mode FROM "
        "output_links l JOIN versions v ON v.id = l.version_id JOIN "
        "run_records r "
        "ON r.id = l.run_id WHERE l.run_id = ? ORDER BY l.artifact_id",
        run_id, &list, &n, err);
  for (size_t i = 0; status == AERO_OK && i < n; i++)
    status = output_publish(store, run_id, &list[i], true, err);
  free(list);
  if (status != AERO_OK)
    return status;
  return tl_exec1(store, "DELETE FROM output_links WHERE run_id = ?", run_id,
                  "settling a run's outputs", err);
}

aero_status tl_versions_settle(tl_store *store, int64_t run_id, bool publish,
                               aero_error *err) {
  aero_status status = links_settle(store, run_id, publish, err);
  if (status != AERO_OK)
    return status;
  if (!publish)
    return tl_exec2(store,
                    "DELETE FROM versions WHERE run_id = ? AND published = ?",
                    run_id, 0, "discarding a run's outputs", err);
  tl_settling *list = NULL;
  size_t count = 0;
  status = settling_list(store,
                            "SELECT id, artifact_id, digest, mode FROM "
                            "versions WHERE run_id = ? AND published = 0 "
                            "ORDER BY id",
                            run_id, &list, &count, err);
  for (size_t i = 0; status == AERO_OK && i < count; i++)
    status = output_publish(store, run_id, &list[i], false, err);
  free(list);
  return status;
}
