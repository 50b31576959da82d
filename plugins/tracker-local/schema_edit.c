/* tracker-local: editing a table's text in sqlite_schema. SQLite cannot
 * alter a CHECK constraint; its manual describes editing the table's text
 * in sqlite_schema instead, for a change that stored rows cannot break: a
 * constraint that allows more (reuse.c), or one written differently that
 * allows the same (checks.c). The schema cookie is bumped so that every
 * connection reads the schema again. */
#include "local.h"

#include <stdio.h>

aero_status tl_schema_edit(tl_store *store, const char *update,
                           aero_error *err) {
  sqlite3_stmt *st = NULL;
  int cookie = 0;
  aero_status status = tl_prepare(store, "PRAGMA schema_version", &st, err);
  if (status != AERO_OK)
    return status;
  if (sqlite3_step(st) == SQLITE_ROW)
    cookie = sqlite3_column_int(st, 0);
  tl_finish(store, st);
  status = tl_exec(store, "PRAGMA writable_schema = ON", err);
  if (status == AERO_OK)
    status = tl_exec(store, update, err);
  /* Off again whatever happened: no later statement may write it (a
   * failure before keeps its own message). */
  aero_status off = tl_exec(store, "PRAGMA writable_schema = OFF",
                            status == AERO_OK ? err : NULL);
  if (status == AERO_OK)
    status = off;
  char bump[64];
  snprintf(bump, sizeof bump, "PRAGMA schema_version = %d", cookie + 1);
  if (status == AERO_OK)
    status = tl_exec(store, bump, err);
  return status;
}
