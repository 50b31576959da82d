/* tracker-local: listing published artifact versions (query_versions),
 * the files of one (query_files) and its metadata (query_metadata). */
#include "local.h"

#include <stdio.h>
#include <string.h>

void tl_version_info_from(sqlite3_stmt *st, int first, aero_version_info *out) {
  const char *mode = (const char *)sqlite3_column_text(st, first + 5);
  *out = (aero_version_info){
      .struct_size = sizeof *out,
      .id = sqlite3_column_int64(st, first),
      .entity = (const char *)sqlite3_column_text(st, first + 1),
      .project = (const char *)sqlite3_column_text(st, first + 2),
      .name = (const char *)sqlite3_column_text(st, first + 3),
      .version = sqlite3_column_int64(st, first + 4),
      .dev = mode != NULL && strcmp(mode, "dev") == 0,
      .digest = (const char *)sqlite3_column_text(st, first + 6),
      .type = (const char *)sqlite3_column_text(st, first + 7),
      .run_id = sqlite3_column_int64(st, first + 8),
      .created_ns = sqlite3_column_int64(st, first + 9),
      .file_count = sqlite3_column_int64(st, first + 10),
      .total_size = sqlite3_column_int64(st, first + 11),
  };
}

aero_status tl_query_versions(void *handle, const aero_version_filter *filter,
                              aero_status (*each)(void *,
                                                  const aero_version_info *,
                                                  aero_error *),
                              void *ctx, aero_error *err) {
  tl_store *store = handle;
  if (filter == NULL || each == NULL ||
      filter->struct_size < sizeof(aero_version_filter))
    return aero_fail(err, AERO_E_INVALID,
                     "tracker-local: query_versions needs a filter and a "
                     "callback");
  /* Unset members match everything through the "? IS NULL" arms, so one
   * statement serves every filter and is prepared once per connection; a
   * run's versions have their own, which starts from the run's outputs
   * (asked once per parent whose dependents run here, host/exec/made.h):
   * through the general one's "OR" arms SQLite read every version. */
#define FILTERS                                                                \
  " AND (:entity IS NULL OR a.entity = :entity)"                               \
  " AND (:project IS NULL OR a.project = :project)"                            \
  " AND (:name IS NULL OR a.name = :name)"                                     \
  " AND (:version < 0 OR v.version = :version)"                                \
  " AND (:mode = 0 OR v.mode = CASE :mode WHEN 1 THEN 'dev' ELSE 'prod' "      \
  "END)"                                                                       \
  " AND (:id = 0 OR v.id = :id)"                                               \
  " ORDER BY a.entity, a.project, a.name, v.version"
  static const char sql[] =
      "SELECT " TL_VERSION_COLUMNS
      " FROM versions v JOIN artifacts a ON a.id = v.artifact_id"
      " WHERE v.published = 1"
      " AND (:run = 0 OR v.id IN (SELECT o.version_id FROM run_outputs o "
      "WHERE o.run_id = :run))" FILTERS;
  static const char by_run[] =
      "SELECT " TL_VERSION_COLUMNS
      " FROM run_outputs o JOIN versions v ON v.id = o.version_id"
      " JOIN artifacts a ON a.id = v.artifact_id"
      " WHERE o.run_id = :run AND v.published = 1" FILTERS;
#undef FILTERS
  sqlite3_stmt *st = NULL;
  aero_status status =
      tl_prepare(store, filter->run_id != 0 ? by_run : sql, &st, err);
  if (status != AERO_OK)
    return status;
  tl_bind_text(st, sqlite3_bind_parameter_index(st, ":entity"), filter->entity);
  tl_bind_text(st, sqlite3_bind_parameter_index(st, ":project"),
               filter->project);
  tl_bind_text(st, sqlite3_bind_parameter_index(st, ":name"), filter->name);
  sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":version"),
                     filter->version);
  sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":mode"),
                     filter->mode);
  sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":run"),
                     filter->run_id);
  sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":id"),
                     filter->version_id);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    aero_version_info v;
    tl_version_info_from(st, 0, &v);
    status = each(ctx, &v, err);
    if (status != AERO_OK)
      break;
  }
  if (status == AERO_OK && rc != SQLITE_DONE)
    status = tl_db_fail(store, rc, "listing versions", err);
  tl_finish(store, st);
  return status;
}

typedef struct files_ctx {
  aero_status (*each)(void *, const aero_file_info *, aero_error *);
  void *ctx;
} files_ctx;

static aero_status file_row(void *ctx, sqlite3_stmt *st, aero_error *err) {
  files_ctx *c = ctx;
  aero_file_info f = {.struct_size = sizeof f,
                      .path = (const char *)sqlite3_column_text(st, 0),
                      .sha256 = (const char *)sqlite3_column_text(st, 1),
                      .size = sqlite3_column_int64(st, 2)};
  return c->each(c->ctx, &f, err);
}

aero_status tl_query_files(void *handle, int64_t version_id,
                           aero_status (*each)(void *, const aero_file_info *,
                                               aero_error *),
                           void *ctx, aero_error *err) {
  if (each == NULL)
    return aero_fail(err, AERO_E_INVALID,
                     "tracker-local: query_files needs a callback");
  files_ctx c = {each, ctx};
  return tl_each_row(handle,
                     "SELECT path, sha256, size FROM version_files WHERE "
                     "version_id = ? ORDER BY path",
                     version_id, file_row, &c, "listing a version's files",
                     err);
}

typedef struct metadata_ctx {
  aero_status (*each)(void *, const aero_kv *, aero_error *);
  void *ctx;
} metadata_ctx;

static aero_status metadata_row(void *ctx, sqlite3_stmt *st, aero_error *err) {
  metadata_ctx *c = ctx;
  aero_kv kv;
  tl_kv_from(st, 0, &kv);
  return c->each(c->ctx, &kv, err);
}

aero_status tl_query_metadata(void *handle, int64_t version_id,
                              aero_status (*each)(void *, const aero_kv *,
                                                  aero_error *),
                              void *ctx, aero_error *err) {
  if (each == NULL)
    return aero_fail(err, AERO_E_INVALID,
                     "tracker-local: query_metadata needs a callback");
  metadata_ctx c = {each, ctx};
  return tl_each_row(handle,
                     "SELECT key, type, value FROM version_metadata WHERE "
                     "version_id = ? ORDER BY key",
                     version_id, metadata_row, &c,
                     "reading a version's metadata", err);
}
