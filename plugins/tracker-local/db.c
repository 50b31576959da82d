/* tracker-local: the SQLite connection, its transactions and statement
 * helpers (the schema it opens is schema.c's).
 *
 * Every connection runs in WAL mode (readers never block the writer), with
 * a 10 s busy timeout so that concurrent aerohost processes and forked
 * actions queue for the write lock instead of failing, synchronous=NORMAL
 * (a commit survives a process crash; only a power loss can roll back the
 * last commits, never corrupt), and foreign keys on. Every change of more
 * than one statement is one BEGIN IMMEDIATE transaction: taking the write
 * lock up front means a transaction never has to upgrade a stale read
 * snapshot, which in WAL mode fails at once instead of waiting.
 */
#include "local.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define BUSY_TIMEOUT_MS 10000
/* How long a connection waits for a schema upgrade another process runs
 * (tl_upgrade_running). */
#define UPGRADE_WAIT_MS (30 * 60 * 1000)
/* How much of the database file is read through mmap (tl_db_open): a
 * store past 1 GiB reads the rest the usual way. */
#define MMAP_BYTES "1073741824"

int64_t tl_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The schema version the store is at now, -1 when it cannot be read. */
static int schema_now(sqlite3 *db) {
  sqlite3_stmt *st = NULL;
  int version = -1;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) ==
          SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    version = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return version;
}

aero_status tl_db_fail(tl_store *store, int rc, const char *what,
                       aero_error *err) {
  int primary = rc & 0xff;
  const char *detail =
      store->db != NULL ? sqlite3_errmsg(store->db) : sqlite3_errstr(rc);
  switch (primary) {
  case SQLITE_NOTADB:
  case SQLITE_CORRUPT:
    return aero_fail(err, AERO_E_STORE, "%s: not a database (file is corrupt?)",
                     store->db_path);
  case SQLITE_FULL:
    return aero_fail(err, AERO_E_NOSPACE, "%s: %s: no space left on device",
                     store->db_path, what);
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
  {
    /* SQLite also answers busy without waiting (a lock upgrade that could
     * deadlock): then no wait gave up, and none is named. */
    int waited_ms = store->busy_gave_up_ms;
    store->busy_gave_up_ms = -1;
    if (waited_ms < 0)
      return aero_fail(err, AERO_E_STORE,
                       "%s: %s: the database is locked by another process",
                       store->db_path, what);
    return aero_fail(
        err, AERO_E_STORE,
        "%s: %s: the database stayed locked for %d %s by another process",
        store->db_path, what, waited_ms >= 1000 ? waited_ms / 1000 : waited_ms,
        waited_ms >= 1000 ? "s" : "ms");
  }
  case SQLITE_READONLY:
  case SQLITE_PERM:
  case SQLITE_CANTOPEN:
    return aero_fail(err, AERO_E_STORE, "%s: %s: %s (is the store writable?)",
                     store->db_path, what, detail);
  case SQLITE_NOMEM:
    return aero_fail(err, AERO_E_NOMEM, "%s: %s: out of memory", store->db_path,
                     what);
  case SQLITE_IOERR: {
    /* "disk I/O error" names no cause: SQLite keeps the system's. A full
     * disk met while growing the WAL index (-shm) or the WAL is one. */
    int sys = store->db != NULL ? sqlite3_system_errno(store->db) : 0;
    if (sys == ENOSPC || sys == EDQUOT)
      return aero_fail(err, AERO_E_NOSPACE, "%s: %s: no space left on device",
                       store->db_path, what);
    if (sys != 0)
      return aero_fail(err, AERO_E_STORE, "%s: %s: %s (%s)", store->db_path,
                       what, detail, strerror(sys));
    break;
  }
  default:
    break;
  }
  /* A program that holds no schema.lock (one built before it, or the
   * sqlite3 shell) may have changed the schema under this connection: its
   * statements then fail against tables that are not what it knows. */
  char said[512];
  snprintf(said, sizeof said, "%s", detail);
  int now =
      store->db != NULL && store->schema_checked ? schema_now(store->db) : -1;
  if (now >= 0 && now != TL_SCHEMA_VERSION)
    return aero_fail(err, AERO_E_STORE,
                     "%s: %s: %s (another program changed the store to "
                     "schema version %d while this one, at version %d, used "
                     "it)",
                     store->db_path, what, said, now, TL_SCHEMA_VERSION);
  return aero_fail(err, AERO_E_STORE, "%s: %s: %s", store->db_path, what, said);
}

/* Ends a read transaction kept by tl_read_linger. */
static void stop_lingering(tl_store *store);

/* A statement that writes must not run inside a kept read transaction:
 * it would stay uncommitted there. */
static void before_statement(tl_store *store, sqlite3_stmt *st) {
  if (store->lingering && !sqlite3_stmt_readonly(st))
    stop_lingering(store);
}

aero_status tl_prepare(tl_store *store, const char *sql, sqlite3_stmt **out,
                       aero_error *err) {
  for (size_t i = 0; i < store->stmt_count; i++) {
    if (store->stmts[i].sql == sql) {
      *out = store->stmts[i].st;
      before_statement(store, *out);
      return AERO_OK;
    }
  }
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v3(store->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                              &st, NULL);
  if (rc != SQLITE_OK)
    return tl_db_fail(store, rc, "preparing a statement", err);
  if (store->stmt_count < TL_STMT_CACHE) {
    store->stmts[store->stmt_count].sql = sql;
    store->stmts[store->stmt_count].st = st;
    store->stmt_count++;
  }
  before_statement(store, st);
  *out = st;
  return AERO_OK;
}

void tl_finish(tl_store *store, sqlite3_stmt *st) {
  if (st == NULL)
    return;
  for (size_t i = 0; i < store->stmt_count; i++) {
    if (store->stmts[i].st == st) {
      sqlite3_reset(st);
      sqlite3_clear_bindings(st);
      return;
    }
  }
  sqlite3_finalize(st); /* the cache was full */
}

/* tl_exec1 and tl_exec2: `sql` with the `n` int64 parameters `ids`. */
static aero_status exec_ids(tl_store *store, const char *sql,
                            const int64_t *ids, int n, const char *what,
                            aero_error *err) {
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(store, sql, &st, err);
  if (status != AERO_OK)
    return status;
  for (int i = 0; i < n; i++)
    sqlite3_bind_int64(st, i + 1, ids[i]);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE)
    status = tl_db_fail(store, rc, what, err);
  tl_finish(store, st);
  return status;
}

aero_status tl_exec1(tl_store *store, const char *sql, int64_t id,
                     const char *what, aero_error *err) {
  return exec_ids(store, sql, &id, 1, what, err);
}

aero_status tl_exec2(tl_store *store, const char *sql, int64_t a, int64_t b,
                     const char *what, aero_error *err) {
  const int64_t ids[] = {a, b};
  return exec_ids(store, sql, ids, 2, what, err);
}

aero_status tl_exec(tl_store *store, const char *sql, aero_error *err) {
  stop_lingering(store);
  int rc = sqlite3_exec(store->db, sql, NULL, NULL, NULL);
  if (rc == SQLITE_OK)
    return AERO_OK;
  /* The statement's start says what failed: a schema step's whole SQL
   * (kilobytes) would push SQLite's reason past the message's end. */
  char what[80];
  snprintf(what, sizeof what, "%.64s%s", sql, strlen(sql) > 64 ? "..." : "");
  return tl_db_fail(store, rc, what, err);
}

/* Runs one of the transaction statements below, prepared once per
 * connection: sqlite3_exec would parse it again at every call, a good part
 * of what a short transaction costs. */
static int step_once(tl_store *store, const char *sql) {
  sqlite3_stmt *st = NULL;
  if (tl_prepare(store, sql, &st, NULL) != AERO_OK)
    return sqlite3_errcode(store->db);
  int rc = sqlite3_step(st);
  tl_finish(store, st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static const char begin_immediate[] = "BEGIN IMMEDIATE";
static const char begin_read[] = "BEGIN";
static const char commit[] = "COMMIT";

static void stop_lingering(tl_store *store) {
  if (!store->lingering)
    return;
  store->lingering = false;
  if (!sqlite3_get_autocommit(store->db))
    step_once(store, commit);
}

aero_status tl_begin(tl_store *store, aero_error *err) {
  stop_lingering(store);
  int rc = step_once(store, begin_immediate);
  if (rc != SQLITE_OK)
    return tl_db_fail(store, rc, "starting a transaction", err);
  return AERO_OK;
}

aero_status tl_commit(tl_store *store, aero_error *err) {
  int rc = step_once(store, commit);
  if (rc != SQLITE_OK)
    return tl_db_fail(store, rc, "committing", err);
  tl_invocation_after(store, true);
  return AERO_OK;
}

aero_status tl_read_begin(tl_store *store, aero_error *err) {
  if (store->lingering)
    return AERO_OK; /* already in one */
  int rc = step_once(store, begin_read);
  if (rc != SQLITE_OK)
    return tl_db_fail(store, rc, "starting a read", err);
  return AERO_OK;
}

void tl_read_end(tl_store *store) {
  if (!store->lingering && !sqlite3_get_autocommit(store->db))
    step_once(store, commit);
}

void tl_read_linger(tl_store *store, bool keep) {
  if (keep)
    store->lingering = !sqlite3_get_autocommit(store->db);
  else
    stop_lingering(store);
  tl_read_end(store);
}

void tl_rollback(tl_store *store) {
  store->lingering = false;
  tl_invocation_after(store, false);
  /* After some errors SQLite has already rolled back; then there is no
   * transaction left and this is a no-op. */
  if (!sqlite3_get_autocommit(store->db))
    sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
}

int tl_bind_env_value(sqlite3_stmt *st, int index, const aero_value *v) {
  const char *type_name;
  if (v->type == AERO_VALUE_STRING)
    return tl_bind_text(st, index, v->as.s);
  return tl_bind_value(st, index, v, &type_name);
}

int tl_bind_text(sqlite3_stmt *st, int index, const char *text) {
  if (text == NULL)
    return sqlite3_bind_null(st, index);
  return sqlite3_bind_text(st, index, text, -1, SQLITE_STATIC);
}

int tl_bind_value(sqlite3_stmt *st, int index, const aero_value *value,
                  const char **type_name) {
  switch (value->type) {
  case AERO_VALUE_BOOL:
    *type_name = "bool";
    return sqlite3_bind_int(st, index, value->as.b ? 1 : 0);
  case AERO_VALUE_INT:
    *type_name = "int";
    return sqlite3_bind_int64(st, index, value->as.i);
  case AERO_VALUE_DOUBLE:
    *type_name = "double";
    return sqlite3_bind_double(st, index, value->as.d);
  case AERO_VALUE_STRING:
    *type_name = "string";
    return tl_bind_text(st, index, value->as.s);
  default:
    *type_name = NULL;
    return SQLITE_MISMATCH;
  }
}

bool tl_bind_kv(sqlite3_stmt *st, int first, const aero_kv *kv) {
  const char *type_name = NULL;
  tl_bind_text(st, first, kv->key);
  tl_bind_value(st, first + 2, &kv->value, &type_name);
  tl_bind_text(st, first + 1, type_name);
  return type_name != NULL;
}

bool tl_bind_metadata(sqlite3_stmt *st, int64_t version_id, const aero_kv *kv) {
  sqlite3_reset(st);
  sqlite3_bind_int64(st, 1, version_id);
  return tl_bind_kv(st, 2, kv);
}

aero_status tl_each_row(tl_store *store, const char *sql, int64_t id,
                        aero_status (*row)(void *ctx, sqlite3_stmt *st,
                                           aero_error *err),
                        void *ctx, const char *what, aero_error *err) {
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(store, sql, &st, err);
  if (status != AERO_OK)
    return status;
  sqlite3_bind_int64(st, 1, id);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    status = row(ctx, st, err);
    if (status != AERO_OK)
      break;
  }
  if (status == AERO_OK && rc != SQLITE_DONE)
    status = tl_db_fail(store, rc, what, err);
  tl_finish(store, st);
  return status;
}

void tl_kv_from(sqlite3_stmt *st, int first, aero_kv *out) {
  const char *type = (const char *)sqlite3_column_text(st, first + 1);
  const char *text = (const char *)sqlite3_column_text(st, first + 2);
  *out = (aero_kv){.key = (const char *)sqlite3_column_text(st, first)};
  if (type != NULL && strcmp(type, "bool") == 0) {
    out->value.type = AERO_VALUE_BOOL;
    out->value.as.b = sqlite3_column_int(st, first + 2) != 0;
  } else if (type != NULL && strcmp(type, "int") == 0) {
    out->value.type = AERO_VALUE_INT;
    out->value.as.i = sqlite3_column_int64(st, first + 2);
  } else if (type != NULL && strcmp(type, "double") == 0) {
    out->value.type = AERO_VALUE_DOUBLE;
    out->value.as.d = sqlite3_column_double(st, first + 2);
  } else {
    out->value.type = AERO_VALUE_STRING;
    out->value.as.s = text != NULL ? text : "";
  }
}

/* SQLite's busy handler: `count` calls so far in this wait. */
static int on_busy(void *ctx, int count) {
  tl_store *store = ctx;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  if (count == 0) {
    store->busy_since = now;
  }
  double waited_ms = (double)(now.tv_sec - store->busy_since.tv_sec) * 1e3 +
                     (double)(now.tv_nsec - store->busy_since.tv_nsec) / 1e6;
  bool past_deadline =
      store->busy_deadline_on &&
      (now.tv_sec > store->busy_deadline.tv_sec ||
       (now.tv_sec == store->busy_deadline.tv_sec &&
        now.tv_nsec >= store->busy_deadline.tv_nsec));
  if (past_deadline ||
      (waited_ms >= BUSY_TIMEOUT_MS &&
       (waited_ms >= UPGRADE_WAIT_MS || !tl_upgrade_running(store)))) {
    store->busy_gave_up_ms = (int)waited_ms;
    return 0;
  }
  sqlite3_sleep(count < 10 ? 1 : 10);
  return 1;
}

/* SQLite's automatic checkpoint (a passive one after a commit that leaves
 * WAL_CHECKPOINT_FRAMES or more frames in the WAL), done here to learn
 * whether it copied every frame: then the WAL holds nothing the database
 * lacks, and tl_db_close empties it. Each checkpoint costs two syncs (the
 * WAL, then the database) and rewrites the pages it copies: a tracked
 * action commits ~23 frames, mostly the same few pages, so at 256 frames
 * a run of 200 actions checkpointed 27 times (55 fdatasync); at 1,024
 * frames 7 times, each copying a few more distinct pages. What a host
 * leaves for the next one to read at its start stays bounded by
 * WAL_LEAVE_FRAMES (tl_db_close). */
#define WAL_CHECKPOINT_FRAMES 1024
#define WAL_LEAVE_FRAMES 256

static int after_commit(void *ctx, sqlite3 *db, const char *name, int frames) {
  tl_store *store = ctx;
  store->wal_backfilled = false;
  store->wal_frames = frames;
  if (frames < WAL_CHECKPOINT_FRAMES)
    return SQLITE_OK;
  int log = -1, copied = -2;
  if (sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, &log,
                                &copied) == SQLITE_OK)
    store->wal_backfilled = log == copied;
  return SQLITE_OK; /* the commit stands whatever the checkpoint did */
}

/* Empties a WAL whose every frame is in the database: SQLite keeps the
 * WAL (and its frames) when the last connection closes, and the next
 * process to open the store reads and checksums all of it to rebuild its
 * index, a cost that grew with the store (13 MB, 3,000 frames, after a
 * few reused re-runs of 1,000 actions: a commit that appends to a WAL
 * checkpointed by an earlier process cannot restart it). With every frame
 * copied, truncating needs no sync; a WAL of WAL_LEAVE_FRAMES or more that
 * is not (this host's commits since its last checkpoint, or another
 * process appended since) is checkpointed first, with the syncs that
 * takes: the next start then reads at most 1 MB, as when SQLite
 * checkpointed every 256 frames, while the syncs come once per host
 * instead of every ~11 actions. Never waits for another connection's
 * reader (busy timeout 0: the WAL is then simply left). */
static void empty_wal(tl_store *store) {
  if (!store->wal_backfilled && store->wal_frames < WAL_LEAVE_FRAMES)
    return;
  sqlite3_busy_timeout(store->db, 0);
  sqlite3_wal_checkpoint_v2(store->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL,
                            NULL);
}

/* Switches the store to WAL (a no-op once it is). On a new store opened
 * by several hosts at once the switch needs an exclusive lock, and SQLite
 * answers a second connection upgrading its lock SQLITE_BUSY at once,
 * without its busy handler (waiting could deadlock): retried here, within
 * the same timeout. */
static aero_status set_wal_mode(tl_store *store, aero_error *err) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (int attempt = 0;; attempt++) {
    int rc =
        sqlite3_exec(store->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
      return AERO_OK;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double waited_ms = (double)(now.tv_sec - start.tv_sec) * 1e3 +
                       (double)(now.tv_nsec - start.tv_nsec) / 1e6;
    if ((rc & 0xff) != SQLITE_BUSY || waited_ms >= BUSY_TIMEOUT_MS) {
      if ((rc & 0xff) == SQLITE_BUSY)
        store->busy_gave_up_ms = (int)waited_ms;
      return tl_db_fail(store, rc, "PRAGMA journal_mode = WAL", err);
    }
    sqlite3_sleep(attempt < 10 ? 1 : 10);
  }
}

/* SQLite's page cache takes its first 20 pages of each connection in one
 * block and writes a header into each (pcache1InitBulk): ~22 faults at
 * every open, for pages most hosts never fill. N = 0 takes each page when
 * it is first read. Process-wide, and only before SQLite initialises:
 * once, before the first connection (a no-op if something else in the
 * process initialised SQLite first). */
static pthread_once_t sqlite_configured = PTHREAD_ONCE_INIT;
static void configure_sqlite(void) {
  (void)sqlite3_config(SQLITE_CONFIG_PAGECACHE, NULL, 0, 0);
}

aero_status tl_db_open(tl_store *store, aero_error *err) {
  sqlite3 *db = NULL;
  pthread_once(&sqlite_configured, configure_sqlite);
  int rc = sqlite3_open_v2(
      store->db_path, &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  store->db = db;
  aero_status status = AERO_OK;
  if (rc != SQLITE_OK) {
    status = tl_db_fail(store, rc, "opening", err);
    goto fail;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_handler(db, on_busy, store);
  /* Every aerohost closes its connection after a few runs: checkpointing
   * and deleting the WAL then, and recreating it at the next start, costs
   * four syncs per invocation (open + 6 runs + close: 7 ms -> 2.5 ms
   * without). The WAL stays, consistent, and is checkpointed when it
   * grows past WAL_CHECKPOINT_FRAMES (after_commit); emptied at close only
   * when that checkpoint already copied all of it (empty_wal). */
  sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
  /* The first statement reads the file header: a corrupt file fails here. */
  status = set_wal_mode(store, err);
  /* cache_size: SQLite's default 2 MB page cache holds a fraction of the
   * indexes that an unchanged re-run of 100,000 actions probes at random
   * (run_keys by key): every lookup then read pages again from the OS
   * (pread, 1-3 per action). 64 MB, taken only as pages are read, from
   * malloc: a block of slots given with SQLITE_CONFIG_PAGECACHE (128 of
   * them, populated, once here) made SQLite's cache recycle its pages as
   * soon as all but 10 slots were in use, whatever cache_size says, and a
   * tracked action's commits touch more pages than that: 1,000 fresh
   * actions read 14,290 pages back (4.8 per action more than with the
   * whole cache), for ~60 faults fewer per host.
   * mmap_size: the database file's pages are read where the kernel caches
   * them, not copied into that heap: the kernel maps 16 pages a fault
   * around a read, where each heap page is a fault of its own, and a fault
   * costs 20-40 us on the VMs we measure on (docs/performance.md). An
   * unchanged re-run of 1,000 actions: 649 -> 539 faults, 4-10% less CPU.
   * Writes still go through the WAL and write(). The one cost: an I/O
   * error of the disk while reading the file is a SIGBUS, not an error
   * code (SQLite's "memory-mapped I/O" page). */
  if (status == AERO_OK)
    status = tl_exec(store,
                     "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; "
                     "PRAGMA cache_size = -65536; "
                     "PRAGMA mmap_size = " MMAP_BYTES,
                     err);
  if (status == AERO_OK)
    sqlite3_wal_hook(db, after_commit, store);
  if (status != AERO_OK)
    goto fail;
  return AERO_OK;
fail:
  tl_db_close(store);
  return status;
}

void tl_db_close(tl_store *store) {
  tl_invocation_forget(store);
  for (size_t i = 0; i < store->stmt_count; i++)
    sqlite3_finalize(store->stmts[i].st);
  store->stmt_count = 0;
  if (store->db != NULL && store->lingering &&
      !sqlite3_get_autocommit(store->db))
    sqlite3_exec(store->db, "COMMIT", NULL, NULL, NULL);
  store->lingering = false;
  if (store->db != NULL)
    empty_wal(store);
  sqlite3_close(store->db);
  store->db = NULL;
  tl_schema_release(store);
}
