/* tracker-local: schema 9 -> 10, the CHECK constraints that list allowed
 * values written as comparisons. SQLite evaluates `status IN ('running',
 * ...)` in a CHECK by building a small table of the list for every row
 * inserted or updated: 1.5 us a row, where `status = 'running' OR ...`
 * costs 0.25 us and allows exactly the same values (NULL passes both, as
 * any CHECK's NULL does; the columns are NOT NULL). Every run, version,
 * config value and log line pays it: recording 100,000 reused runs, the
 * lists were a third of the sqlite3 shell's CPU and 4% of aerohost's
 * unchanged re-run (docs/performance.md). */
#include "local.h"

/* Each rewrite: the constraint as schema 1 (and schema 2's `reused`) wrote
 * it, and as schema 10 writes it; the most frequent values first. */
#define MODE_IN "'CHECK (mode IN (''dev'', ''prod''))'"
#define MODE_EQ "'CHECK (mode = ''dev'' OR mode = ''prod'')'"
#define TYPE_IN "'CHECK (type IN (''bool'', ''int'', ''double'', ''string''))'"
#define TYPE_EQ                                                                \
  "'CHECK (type = ''double'' OR type = ''int'' OR type = ''string'' OR type "  \
  "= ''bool'')'"
static const char rewrite[] =
    "UPDATE sqlite_schema SET sql = replace(replace(sql, " MODE_IN ", " MODE_EQ
    "), 'CHECK (status IN (''running'', ''ok'', ''failed'',  ''crashed'', "
    "''timed_out'', ''killed'', ''skipped'', ''bailed'', ''reused''))', "
    "'CHECK (status = ''running'' OR status = ''ok'' OR status = ''reused'' "
    "OR status = ''failed'' OR status = ''crashed'' OR status = ''timed_out'' "
    "OR status = ''killed'' OR status = ''skipped'' OR status = ''bailed'')') "
    "WHERE type = 'table' AND name = 'run_records';"
    "UPDATE sqlite_schema SET sql = replace(replace(sql, " MODE_IN ", " MODE_EQ
    "), 'CHECK (published IN (0, 1))', 'CHECK (published = 0 OR published = "
    "1)') WHERE type = 'table' AND name = 'versions';"
    "UPDATE sqlite_schema SET sql = replace(sql, " TYPE_IN ", " TYPE_EQ
    ") WHERE type = 'table' AND name IN ('run_config', 'version_metadata');"
    "UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (level IN (''error'', "
    "''warn'', ''info'', ''debug''))', 'CHECK (level = ''info'' OR level = "
    "''debug'' OR level = ''warn'' OR level = ''error'')') WHERE type = "
    "'table' AND name = 'run_logs';";

/* The tables rewritten: none may keep a list once done. */
static const char lists_left[] =
    "SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN "
    "('run_records', 'versions', 'run_config', 'version_metadata', "
    "'run_logs') AND sql LIKE '%CHECK (% IN (%' LIMIT 1";

aero_status tl_checks_migrate(tl_store *store, aero_error *err) {
  aero_status status = tl_schema_edit(store, rewrite, err);
  if (status != AERO_OK)
    return status;
  /* Text other than schema 1's (a table changed by hand) is left as it is
   * by replace(): said, not upgraded halfway. */
  sqlite3_stmt *st = NULL;
  status = tl_prepare(store, lists_left, &st, err);
  if (status != AERO_OK)
    return status;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    status = aero_fail(err, AERO_E_STORE,
                       "%s: table %s is not as aeromancy created it: its "
                       "CHECK constraint could not be upgraded",
                       store->db_path, (const char *)sqlite3_column_text(st, 0));
  else if (rc != SQLITE_DONE)
    status = tl_db_fail(store, rc, "upgrading the schema", err);
  tl_finish(store, st);
  return status;
}
