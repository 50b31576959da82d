/* tracker-local: the schema. A new store gets schema version 1, then
 * every step after it (each module's migration, in order), so that there
 * is one way to each version; an older store is brought to this one under
 * the write lock, by one process, while schema.lock and upgrade.lock
 * (schema_lock.c) keep the processes using it at its version from being
 * broken and the others waiting. docs/store.md describes every table. */
#include "local.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Schema version 1. docs/store.md describes every table; other tools and
 * tests query them by these names, so renaming is a schema change. */
static const char schema_v1[] =
    "CREATE TABLE runs ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " entity TEXT NOT NULL DEFAULT '',"
    " project TEXT NOT NULL,"
    " job_type TEXT NOT NULL,"
    " job_group TEXT,"
    " outputs TEXT NOT NULL DEFAULT '',"
    " mode TEXT NOT NULL CHECK (mode IN ('dev', 'prod')),"
    " status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed',"
    "  'crashed', 'timed_out', 'killed', 'skipped', 'bailed')),"
    " exit_code INTEGER,"
    " signal INTEGER,"
    " message TEXT,"
    " started_at INTEGER NOT NULL,"
    " ended_at INTEGER,"
    " git_commit TEXT, git_branch TEXT, git_message TEXT, git_remote TEXT,"
    " image_id TEXT, packages TEXT, plugin_path TEXT, plugin_sha256 TEXT,"
    " host_version TEXT, abi_version TEXT, hostname TEXT, command_line TEXT,"
    " passthrough_env TEXT);"
    "CREATE INDEX runs_by_job ON runs (project, job_type);"
    "CREATE TABLE run_env ("
    " run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    " key TEXT NOT NULL, value TEXT,"
    " PRIMARY KEY (run_id, key)) WITHOUT ROWID;"
    "CREATE TABLE run_config ("
    " run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    " key TEXT NOT NULL,"
    " type TEXT NOT NULL CHECK (type IN ('bool', 'int', 'double', 'string')),"
    " value,"
    " PRIMARY KEY (run_id, key)) WITHOUT ROWID;"
    "CREATE TABLE run_tags ("
    " run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    " tag TEXT NOT NULL,"
    " PRIMARY KEY (run_id, tag)) WITHOUT ROWID;"
    "CREATE TABLE metrics ("
    " id INTEGER PRIMARY KEY,"
    " run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    " key TEXT NOT NULL,"
    " value REAL NOT NULL,"
    " step INTEGER CHECK (step IS NULL OR step >= 0),"
    " logged_at INTEGER NOT NULL);"
    "CREATE INDEX metrics_by_run ON metrics (run_id, key, step);"
    "CREATE TABLE run_logs ("
    " id INTEGER PRIMARY KEY,"
    " run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    " level TEXT NOT NULL CHECK (level IN ('error', 'warn', 'info', 'debug')),"
    " message TEXT NOT NULL,"
    " logged_at INTEGER NOT NULL);"
    "CREATE INDEX run_logs_by_run ON run_logs (run_id);"
    "CREATE TABLE artifacts ("
    " id INTEGER PRIMARY KEY,"
    " entity TEXT NOT NULL DEFAULT '',"
    " project TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " UNIQUE (entity, project, name));"
    "CREATE TABLE versions ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " artifact_id INTEGER NOT NULL REFERENCES artifacts (id),"
    " version INTEGER CHECK (version IS NULL OR version >= 0),"
    " digest TEXT NOT NULL,"
    " type TEXT NOT NULL DEFAULT '',"
    " mode TEXT NOT NULL CHECK (mode IN ('dev', 'prod')),"
    " run_id INTEGER NOT NULL REFERENCES runs (id),"
    " created_at INTEGER NOT NULL,"
    " published INTEGER NOT NULL DEFAULT 0 CHECK (published IN (0, 1)),"
    " UNIQUE (artifact_id, version),"
    " CHECK ((published = 1) = (version IS NOT NULL)));"
    "CREATE INDEX versions_pending ON versions (run_id) WHERE published = 0;"
    "CREATE TABLE version_files ("
    " version_id INTEGER NOT NULL REFERENCES versions (id) ON DELETE CASCADE,"
    " path TEXT NOT NULL,"
    " sha256 TEXT NOT NULL,"
    " size INTEGER NOT NULL,"
    " PRIMARY KEY (version_id, path)) WITHOUT ROWID;"
    "CREATE INDEX version_files_by_blob ON version_files (sha256);"
    "CREATE TABLE version_metadata ("
    " version_id INTEGER NOT NULL REFERENCES versions (id) ON DELETE CASCADE,"
    " key TEXT NOT NULL,"
    " type TEXT NOT NULL CHECK (type IN ('bool', 'int', 'double', 'string')),"
    " value,"
    " PRIMARY KEY (version_id, key)) WITHOUT ROWID;"
    "CREATE TABLE run_inputs ("
    " run_id INTEGER NOT NULL REFERENCES runs (id),"
    " version_id INTEGER NOT NULL REFERENCES versions (id),"
    " PRIMARY KEY (run_id, version_id)) WITHOUT ROWID;"
    "CREATE TABLE run_outputs ("
    " run_id INTEGER NOT NULL REFERENCES runs (id),"
    " version_id INTEGER NOT NULL REFERENCES versions (id),"
    " PRIMARY KEY (run_id, version_id)) WITHOUT ROWID;"
    "CREATE INDEX run_outputs_by_version ON run_outputs (version_id);"
    /* Published versions with their artifact's names, for people and
     * scripts reading the store. */
    "CREATE VIEW artifact_versions AS"
    " SELECT v.id AS version_id, a.entity, a.project, a.name, v.version,"
    "  v.mode, v.digest, v.type, v.run_id, v.created_at"
    " FROM versions v JOIN artifacts a ON a.id = v.artifact_id"
    " WHERE v.published = 1;";

aero_status tl_no_record(const char *root, aero_error *err) {
  return aero_fail(err, AERO_E_NOT_FOUND,
                   "no store at %s: its aeromancy.db holds no record (an "
                   "empty database: nothing recorded yet, or the file was "
                   "emptied)",
                   root);
}

/* True when folder `name` of the store holds anything: blobs/ and views/
 * are only written into once the store has a schema. */
static bool holds_anything(const tl_store *store, const char *name) {
  char *path = pc_strdup_printf("%s/%s", store->root, name);
  DIR *dir = path != NULL ? opendir(path) : NULL;
  free(path);
  bool found = false;
  struct dirent *d;
  while (dir != NULL && !found && (d = readdir(dir)) != NULL)
    found = strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
  if (dir != NULL)
    closedir(dir);
  return found;
}

static aero_status read_user_version(tl_store *store, int *version,
                                     aero_error *err) {
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(store, "PRAGMA user_version", &st, err);
  if (status != AERO_OK)
    return status;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    *version = sqlite3_column_int(st, 0);
  else
    status = tl_db_fail(store, rc, "reading the schema version", err);
  tl_finish(store, st);
  return status;
}

/* Creates the schema of a new database, or brings an older one to this
 * version. Two processes opening a store at once both get here: the check
 * is repeated under the write lock, so exactly one changes it. */
aero_status tl_schema_ensure(tl_store *store, aero_error *err) {
  int version = 0;
  aero_status status = read_user_version(store, &version, err);
  if (status != AERO_OK)
    return status;
  /* An empty database (a file emptied, or one a host has only just
   * created): a reader says so instead of making it a store, so that
   * `aeromancy runs` and fsck never report an empty record as a sound one
   * and a reader never creates a store. An older schema is upgraded as
   * for a writer. */
  if (version == 0 && store->existing)
    return tl_no_record(store->root, err);
  if (version >= 0 && version < TL_SCHEMA_VERSION) {
    int lock_fd = tl_upgrade_lock(store);
    status = tl_begin(store, err);
    if (status != AERO_OK) {
      if (lock_fd >= 0)
        close(lock_fd);
      return status;
    }
    status = read_user_version(store, &version, err);
    /* The record lost beside what it recorded (a copy of aeromancy.db
     * without its -wal file, which holds every commit since the last
     * checkpoint; a file emptied): a new schema would number runs and
     * versions from 1 again over views of the old ones. Told under the
     * write lock: a host creating this store at the same time cannot
     * have stored a blob before its schema is committed. */
    if (status == AERO_OK && version == 0 &&
        (holds_anything(store, "blobs") || holds_anything(store, "views")))
      status = aero_fail(err, AERO_E_STORE,
                         "%s holds no record, but the store %s holds blobs "
                         "or views: its database was lost or emptied "
                         "(copied without aeromancy.db-wal?); restore it, or "
                         "move the folder aside to start a new store",
                         store->db_path, store->root);
    /* Still old under the write lock: whoever holds schema.lock uses the
     * store at this version (a process at the new one would have found
     * it upgraded), and the upgrade must not break its writes. */
    if (status == AERO_OK && version >= 0 && version < TL_SCHEMA_VERSION)
      status = tl_schema_claim(store, version, err);
    if (status == AERO_OK && version >= 0 && version < TL_SCHEMA_VERSION) {
      /* A new store gets version 1, then every step after it, so that
       * there is one way to each version. */
      char set_version[64];
      snprintf(set_version, sizeof set_version, "PRAGMA user_version = %d",
               TL_SCHEMA_VERSION);
      if (version == 0)
        status = tl_exec(store, schema_v1, err);
      if (status == AERO_OK && version <= 1)
        status = tl_reuse_migrate(store, err);
      if (status == AERO_OK && version <= 2)
        status = tl_summary_migrate(store, err);
      if (status == AERO_OK && version <= 3)
        status = tl_points_migrate(store, err);
      if (status == AERO_OK && version <= 4)
        status = tl_blocks_migrate(store, err);
      if (status == AERO_OK && version <= 5)
        status = tl_links_migrate(store, err);
      if (status == AERO_OK && version <= 6)
        status = tl_invocations_migrate(store, err);
      if (status == AERO_OK && version <= 7)
        status = tl_inline_migrate(store, err);
      if (status == AERO_OK && version <= 8)
        status = tl_reuse_outputs_migrate(store, err);
      if (status == AERO_OK && version <= 9)
        status = tl_checks_migrate(store, err);
      if (status == AERO_OK)
        status = tl_exec(store, set_version, err);
      if (status == AERO_OK)
        version = TL_SCHEMA_VERSION;
    }
    if (status == AERO_OK)
      status = tl_commit(store, err);
    if (status != AERO_OK)
      tl_rollback(store);
    if (lock_fd >= 0)
      close(lock_fd); /* after the commit: the upgrade is visible */
    if (status != AERO_OK)
      return status;
  }
  if (version == TL_SCHEMA_VERSION) {
    /* In use at this version from now on; a newer process may have
     * upgraded the store while this one waited for the lock. */
    tl_schema_share(store);
    status = read_user_version(store, &version, err);
    if (status != AERO_OK)
      return status;
  }
  if (version != TL_SCHEMA_VERSION)
    return aero_fail(err, AERO_E_STORE,
                     "%s: schema version %d is not the one this tracker-local "
                     "understands (%d): use the aeromancy that wrote it",
                     store->db_path, version, TL_SCHEMA_VERSION);
  store->schema_checked = true;
  return AERO_OK;
}

aero_status tl_store_connect(tl_store *store, aero_error *err) {
  aero_status status = tl_db_open(store, err);
  if (status == AERO_OK) {
    status = tl_schema_ensure(store, err);
    if (status != AERO_OK)
      tl_db_close(store);
  }
  return status;
}
