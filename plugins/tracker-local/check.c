/* tracker-local: verifying a store (the vtable's check member, for
 * `aeromancy fsck`).
 *
 * Every blob a version refers to is re-hashed in full (a file with
 * tl_blob_file_check, a row with tl_inline_load), so a blob written in
 * place is caught whatever its size; one that is gone is reported with a
 * version that needs it. Blobs nothing refers to are counted. Runs still
 * `running` whose owner lock (owners.c) nobody holds were left by a host
 * that is gone. With `repair`, damaged blobs are moved aside to damaged/
 * (so that the next declaration of that content stores it again), and
 * abandoned runs are recorded as killed. Metric blocks are decoded and
 * checked against their summaries (check_metrics.c; reported, never
 * repaired).
 *
 * Safe while hosts write: the list of blobs is read in one snapshot, then
 * hashed outside any transaction; blobs are only ever installed whole
 * (renamed into place), so a blob that appears meanwhile is complete.
 * Blobs kept in the database (inline.c) are hashed on this thread (the
 * connection is not shared), the files on two; a damaged row is set aside
 * by --repair as a damaged file is, into damaged/.
 *
 * One content can be both a row and a file: a file stored by a process
 * with a lower AEROMANCY_INLINE_MAX (or before schema 8) and damaged, then
 * declared again, gets a row beside it. Readers use the row, but fall back
 * to the file when the row is damaged, so the file is checked too.
 */
#include "local.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct blob_ref {
  char hex[65];
  int64_t size;
  int64_t version_id;  /* one version that holds it */
  tl_blob_state state; /* what hashing found (hash_all) */
  aero_status status;  /* AERO_OK unless it could not be read */
  bool in_db;          /* a row of inline_blobs, not a file */
  uint64_t stored;     /* the row's length (in_db) */
  /* The file of that content beside the row (in_db; hash_all). */
  tl_blob_state file_state;
  aero_status file_status;
} blob_ref;

typedef struct checker {
  tl_store *store;
  const aero_check_params *params;
  aero_status (*each)(void *, const aero_problem *, aero_error *);
  void *ctx;
  aero_check_report counts;
  aero_error *err;
} checker;

static aero_status report(checker *c, uint32_t kind, const char *subject,
                          const char *detail, int64_t run_id,
                          int64_t version_id, bool repaired) {
  pc_problem_sink sink = {.each = c->each, .ctx = c->ctx, .err = c->err};
  return pc_report_problem(&sink, &c->counts, kind, subject, detail, run_id,
                           version_id, repaired);
}

/* Every blob the versions (published or pending) refer to, once. */
static aero_status list_blobs(tl_store *store, blob_ref **out, size_t *count,
                              aero_error *err) {
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(store,
                                  "SELECT f.sha256, max(f.size), "
                                  "min(f.version_id), EXISTS (SELECT 1 FROM "
                                  "inline_blobs i WHERE i.sha256 = f.sha256) "
                                  "FROM version_files f GROUP BY f.sha256",
                                  &st, err);
  if (status != AERO_OK)
    return status;
  blob_ref *list = NULL;
  size_t n = 0, cap = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    blob_ref *grown = aeu_grow(list, &cap, n + 1, sizeof *grown, 256);
    if (grown == NULL) {
      status = aero_fail(err, AERO_E_NOMEM, "tracker-local: out of memory");
      break;
    }
    list = grown;
    snprintf(list[n].hex, sizeof list[n].hex, "%s",
             (const char *)sqlite3_column_text(st, 0));
    list[n].size = sqlite3_column_int64(st, 1);
    list[n].version_id = sqlite3_column_int64(st, 2);
    list[n].state = TL_BLOB_INTACT;
    list[n].status = AERO_OK;
    list[n].in_db = sqlite3_column_int(st, 3) != 0;
    list[n].stored = 0;
    list[n].file_state = TL_BLOB_MISSING;
    list[n].file_status = AERO_OK;
    n++;
  }
  if (status == AERO_OK && rc != SQLITE_DONE)
    status = tl_db_fail(store, rc, "listing blobs", err);
  tl_finish(store, st);
  if (status != AERO_OK) {
    free(list);
    return status;
  }
  *out = list;
  *count = n;
  return AERO_OK;
}

/* Whether the file open as `fd` (`st`), blob `hex` of `size` bytes, is
 * intact: hashed in full. False when it cannot be read (nothing is moved
 * that was not seen damaged). */
static bool file_intact(int fd, const struct stat *st, const char *path,
                        const char *hex, uint64_t size, bool *damaged) {
  char got[65];
  *damaged = false;
  if ((uint64_t)st->st_size != size) {
    *damaged = true;
    return false;
  }
  if (tl_sha256_fd(fd, path, size, NULL, got, NULL) != AERO_OK)
    return false;
  *damaged = strcmp(got, hex) != 0;
  return !*damaged;
}

/* Moves a damaged blob file to damaged/<hex>-<time>: out of the way of the
 * next declaration, kept for whoever wants to look at it. True when the
 * file there now is not the damaged one (moved, or intact after all).
 *
 * A host declaring the same content replaces a damaged file (it renames a
 * good copy into place, tl_blob_ensure, without any lock), maybe since
 * fsck hashed it: the file is hashed again here, and left when intact
 * (sealed again). Hashing takes no lock (a large blob would hold writers
 * past their busy timeout); a good copy may still be renamed in between,
 * so what the rename moved is compared with the file hashed, which stays
 * open (its inode cannot be reused meanwhile), and a good copy moved by
 * mistake is linked back (never over a newer one). The move and its undo
 * happen under the store's write lock, as a row's (tl_inline_set_aside):
 * no writer's transaction sees the blob gone for that moment. */
static bool move_aside(tl_store *store, const char *hex, uint64_t size) {
  char from[PATH_MAX], dir[PATH_MAX], to[PATH_MAX + 96];
  tl_blob_path(store, hex, from, sizeof from);
  int fd = open(from, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  struct stat hashed, moved;
  bool damaged = false;
  if (fstat(fd, &hashed) == 0 &&
      file_intact(fd, &hashed, from, hex, size, &damaged)) {
    if (!tl_blob_sealed(&hashed))
      tl_blob_seal(fd);
    close(fd);
    return true;
  }
  bool done = false;
  if (damaged && tl_begin(store, NULL) == AERO_OK) {
    snprintf(dir, sizeof dir, "%s/damaged", store->root);
    snprintf(to, sizeof to, "%s/%s-%lld", dir, hex, (long long)time(NULL));
    if ((mkdir(dir, 0755) == 0 || errno == EEXIST) && rename(from, to) == 0) {
      done = stat(to, &moved) == 0 && moved.st_dev == hashed.st_dev &&
             moved.st_ino == hashed.st_ino;
      if (!done && (link(to, from) == 0 || errno == EEXIST))
        unlink(to);
    }
    tl_rollback(store); /* nothing written: the lock only */
  }
  close(fd);
  return done;
}

/* The blobs left to hash, shared by the hashing threads. */
typedef struct hash_queue {
  tl_store *store;
  blob_ref *list;
  size_t count;
  atomic_size_t next; /* the next index to take */
} hash_queue;

static void hash_some(hash_queue *q) {
  size_t i;
  while ((i = atomic_fetch_add(&q->next, 1)) < q->count) {
    blob_ref *b = &q->list[i];
    /* No message here: the caller asks again, on its own thread, for the
     * rare blob that cannot be read. A row is hashed by check_rows; here,
     * the file beside it, if any. */
    if (b->in_db)
      b->file_status = tl_blob_file_check(q->store, b->hex, (uint64_t)b->size,
                                          true, &b->file_state, NULL);
    else
      b->status = tl_blob_file_check(q->store, b->hex, (uint64_t)b->size,
                                     true, &b->state, NULL);
  }
}

static void *hash_thread(void *arg) {
  hash_some(arg);
  return NULL;
}

/* Hashes every blob, distinct blobs on two threads when the machine has
 * two CPUs or more: fsck is a batch job, and one thread hashing from the
 * page cache is bound by one core (docs/performance.md). Each blob's
 * result goes into its own entry; reporting stays on this thread, in
 * order. */
static void hash_all(tl_store *store, blob_ref *list, size_t count) {
  hash_queue q = {store, list, count, 0};
  pthread_t helper;
  bool two = count > 1 && sysconf(_SC_NPROCESSORS_ONLN) > 1 &&
             pthread_create(&helper, NULL, hash_thread, &q) == 0;
  hash_some(&q);
  if (two)
    pthread_join(helper, NULL);
}

/* Hashes the blobs that are rows, on this thread. A row gone since the
 * list was read (gc) is looked for as a file. */
static void check_rows(tl_store *store, blob_ref *list, size_t count) {
  for (size_t i = 0; i < count; i++) {
    blob_ref *b = &list[i];
    bool found = false;
    if (!b->in_db)
      continue;
    b->status = tl_inline_load(store, b->hex, (uint64_t)b->size, NULL, &found,
                               &b->state, &b->stored, NULL);
    b->in_db = b->status != AERO_OK || found;
  }
}

/* Checks blob `b` again on this thread, for the message of a blob that
 * could not be read. */
static aero_status check_again(checker *c, blob_ref *b, tl_blob_state *state) {
  bool found = false;
  if (b->in_db)
    return tl_inline_load(c->store, b->hex, (uint64_t)b->size, NULL, &found,
                          state, &b->stored, c->err);
  return tl_blob_file_check(c->store, b->hex, (uint64_t)b->size, true, state,
                            c->err);
}

/* Reports blob `b`, found `state` (not INTACT): its row when `row`, else
 * its file. With --repair, a damaged one is set aside. */
static aero_status report_blob(checker *c, const blob_ref *b, bool row,
                               tl_blob_state state) {
  char path[PATH_MAX];
  tl_blob_path(c->store, b->hex, path, sizeof path);
  struct stat st;
  bool other_size = row ? b->stored != (uint64_t)b->size
                        : stat(path, &st) == 0 && st.st_size != b->size;
  uint32_t kind = state == TL_BLOB_MISSING ? AERO_PROBLEM_BLOB_MISSING
                  : other_size             ? AERO_PROBLEM_SIZE
                                           : AERO_PROBLEM_BLOB_DAMAGED;
  const char *where = row       ? " (in the database)"
                      : b->in_db ? " (a file beside its row)"
                                 : "";
  char detail[512];
  if (kind == AERO_PROBLEM_BLOB_MISSING)
    snprintf(detail, sizeof detail, "blob %s of version %lld is missing",
             b->hex, (long long)b->version_id);
  else if (kind == AERO_PROBLEM_SIZE)
    snprintf(detail, sizeof detail,
             "blob %s of version %lld%s has another size than recorded "
             "(%lld bytes recorded)",
             b->hex, (long long)b->version_id, where, (long long)b->size);
  else
    snprintf(detail, sizeof detail,
             "blob %s of version %lld%s no longer hashes to its name "
             "(changed in place)",
             b->hex, (long long)b->version_id, where);
  bool repaired = kind != AERO_PROBLEM_BLOB_MISSING && c->params->repair &&
                  (row ? tl_inline_set_aside(c->store, b->hex, NULL) == AERO_OK
                       : move_aside(c->store, b->hex, (uint64_t)b->size));
  return report(c, kind, b->hex, detail, 0, b->version_id, repaired);
}

/* The file of row `b`'s content, when there is one: no file is the rule
 * for a row, a damaged one is reported as any damaged file is. */
static aero_status check_file_beside(checker *c, const blob_ref *b) {
  tl_blob_state state = b->file_state;
  if (b->file_status != AERO_OK) { /* again, for the message */
    aero_status status = tl_blob_file_check(c->store, b->hex, (uint64_t)b->size,
                                            true, &state, c->err);
    if (status != AERO_OK)
      return status;
  }
  if (state == TL_BLOB_MISSING)
    return AERO_OK;
  c->counts.bytes_hashed += b->size;
  return state == TL_BLOB_INTACT ? AERO_OK : report_blob(c, b, false, state);
}

static aero_status check_blobs(checker *c) {
  blob_ref *list = NULL;
  size_t count = 0;
  aero_status status = tl_read_begin(c->store, c->err);
  if (status == AERO_OK) {
    status = list_blobs(c->store, &list, &count, c->err);
    tl_read_end(c->store);
  }
  if (status == AERO_OK) {
    check_rows(c->store, list, count);
    hash_all(c->store, list, count);
  }
  for (size_t i = 0; status == AERO_OK && i < count; i++) {
    blob_ref *b = &list[i];
    tl_blob_state state = b->state;
    if (b->status != AERO_OK) /* again, for the message */
      status = check_again(c, b, &state);
    if (status != AERO_OK)
      break;
    c->counts.files_checked++;
    if (state != TL_BLOB_MISSING) {
      c->counts.blobs_checked++;
      c->counts.bytes_hashed += b->size;
    }
    if (state != TL_BLOB_INTACT)
      status = report_blob(c, b, b->in_db, state);
    if (status == AERO_OK && b->in_db)
      status = check_file_beside(c, b);
  }
  free(list);
  return status;
}

/* Whether blob `hex` is one no version refers to. */
typedef struct orphans {
  checker *c;
  sqlite3_stmt *st;
} orphans;

static aero_status count_one(void *ctx, const char *hex, const char *path,
                             const char *name) {
  (void)path;
  (void)name;
  orphans *o = ctx;
  if (hex == NULL)
    return AERO_OK;
  sqlite3_reset(o->st);
  tl_bind_text(o->st, 1, hex);
  int rc = sqlite3_step(o->st);
  if (rc == SQLITE_DONE)
    o->c->counts.orphans++;
  else if (rc != SQLITE_ROW)
    return tl_db_fail(o->c->store, rc, "looking up a blob", o->c->err);
  return AERO_OK;
}

static aero_status count_row(void *ctx, const char *hex, int64_t bytes) {
  (void)hex;
  (void)bytes;
  ((checker *)ctx)->counts.orphans++;
  return AERO_OK;
}

/* Counts the blobs no version refers to, files and rows. */
static aero_status count_orphans(checker *c) {
  orphans o = {c, NULL};
  aero_status status = tl_prepare(
      c->store, "SELECT 1 FROM version_files WHERE sha256 = ? LIMIT 1", &o.st,
      c->err);
  if (status == AERO_OK)
    status = tl_blob_walk(c->store, count_one, &o);
  tl_finish(c->store, o.st);
  if (status == AERO_OK)
    status = tl_inline_orphans(c->store, false, count_row, c, c->err);
  return status;
}

/* True when the owner behind `token` is gone: its lock file is missing or
 * nobody holds its lock. */
static bool owner_gone(tl_store *store, const char *token) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/owners/%s", store->root, token);
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return errno == ENOENT;
  bool gone = flock(fd, LOCK_EX | LOCK_NB) == 0; /* released by close */
  close(fd);
  return gone;
}

static aero_status check_runs(checker *c) {
  sqlite3_stmt *st = NULL;
  aero_status status =
      tl_prepare(c->store,
                 "SELECT r.id, e.value FROM run_records r JOIN run_env e ON "
                 "e.run_id = r.id "
                 "AND e.key = 'owner' WHERE r.status = 'running' ORDER BY r.id",
                 &st, c->err);
  if (status != AERO_OK)
    return status;
  int64_t *ids = NULL;
  size_t n = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *token = (const char *)sqlite3_column_text(st, 1);
    if (token == NULL || !owner_gone(c->store, token))
      continue;
    int64_t *grown = realloc(ids, (n + 1) * sizeof *ids);
    if (grown == NULL) {
      status = aero_fail(c->err, AERO_E_NOMEM, "tracker-local: out of memory");
      break;
    }
    ids = grown;
    ids[n++] = sqlite3_column_int64(st, 0);
  }
  if (status == AERO_OK && rc != SQLITE_DONE)
    status = tl_db_fail(c->store, rc, "listing running runs", c->err);
  tl_finish(c->store, st);
  for (size_t i = 0; status == AERO_OK && i < n; i++) {
    bool repaired = false;
    if (c->params->repair) {
      aero_run_outcome out = {.struct_size = sizeof out,
                              .state = AERO_RUN_KILLED,
                              .exit_code = -1,
                              .message = "recorded as killed by aeromancy "
                                         "fsck --repair: its aerohost was "
                                         "gone",
                              .ended_ns = tl_run_last_sign(c->store, ids[i])};
      repaired = tl_run_settle(c->store, ids[i], &out, NULL) == AERO_OK;
    }
    char subject[32], detail[160];
    snprintf(subject, sizeof subject, "%lld", (long long)ids[i]);
    snprintf(detail, sizeof detail,
             "run %lld is still 'running' but the aerohost that ran it is "
             "gone",
             (long long)ids[i]);
    status = report(c, AERO_PROBLEM_RUN_ABANDONED, subject, detail, ids[i], 0,
                    repaired);
  }
  free(ids);
  return status;
}

/* How many of SQLite's messages about a damaged database are reported. */
#define DB_PROBLEMS_MAX "20"

/* The database file itself: SQLite's integrity check (every page of
 * every table and index, and every index against its table), in the read
 * snapshot of the checks below. A damaged page that none of them reads
 * (a run's invocation, a log line) would leave the store "sound" while
 * `aeromancy runs` fails on it. Reported, never repaired. */
static aero_status check_database(checker *c) {
  sqlite3_stmt *st = NULL;
  aero_status status =
      tl_prepare(c->store, "PRAGMA integrity_check(" DB_PROBLEMS_MAX ")",
                 &st, c->err);
  if (status != AERO_OK)
    return status;
  int rc;
  while (status == AERO_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *what = (const char *)sqlite3_column_text(st, 0);
    if (what == NULL || strcmp(what, "ok") == 0)
      continue;
    char detail[512];
    snprintf(detail, sizeof detail, "the database is damaged: %s", what);
    for (char *p = detail; *p; p++) /* a message may span lines */
      if (*p == '\n' || *p == '\t')
        *p = ' ';
    status = report(c, AERO_PROBLEM_OTHER, "aeromancy.db", detail, 0, 0, false);
  }
  if (status == AERO_OK && rc != SQLITE_DONE) {
    /* So damaged that the check itself cannot go on: that is the finding. */
    char detail[512];
    snprintf(detail, sizeof detail, "the database is damaged: %s",
             sqlite3_errmsg(c->store->db));
    status = report(c, AERO_PROBLEM_OTHER, "aeromancy.db", detail, 0, 0, false);
  }
  tl_finish(c->store, st);
  return status;
}

aero_status tl_check(void *handle, const aero_check_params *params,
                     aero_status (*each)(void *, const aero_problem *,
                                         aero_error *),
                     void *ctx, aero_check_report *out, aero_error *err) {
  tl_store *store = handle;
  aero_check_params none = {.struct_size = sizeof none};
  if (params == NULL)
    params = &none;
  checker c = {.store = store,
               .params = params,
               .each = each,
               .ctx = ctx,
               .counts = {.struct_size = sizeof c.counts},
               .err = err};
  aero_status status = check_database(&c);
  if (status == AERO_OK)
    status = check_blobs(&c);
  if (status == AERO_OK)
    status = count_orphans(&c);
  if (status == AERO_OK)
    status = check_runs(&c);
  if (status == AERO_OK) {
    pc_problem_sink sink = {.each = each, .ctx = ctx, .err = err};
    status = tl_check_metrics(store, &sink, &c.counts);
  }
  if (out != NULL) {
    uint32_t size = out->struct_size;
    memcpy(out, &c.counts, size < sizeof c.counts ? size : sizeof c.counts);
    out->struct_size = size;
  }
  return status;
}
