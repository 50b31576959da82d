/* tracker-local: small blobs kept inside the database (schema 8).
 *
 * A new blob of at most TL_INLINE_MAX bytes is a row of inline_blobs
 * (sha256, content), written in the transaction that records the version
 * referring to it: its durability is that commit's, and it costs no file,
 * no fsync of its own and no fsync of a folder. A new 100-byte output was
 * bound by those two syncs (docs/performance.md). It is named by the same
 * SHA-256 as a blob file, so versions, manifests and dedup do not know
 * where a blob lives: a reader looks for the row first and falls back to
 * the file (stores from before schema 8 hold small blobs as files, and
 * AEROMANCY_INLINE_MAX may have been lower when one was stored).
 *
 * A row's content is hashed at every use (at most TL_INLINE_CAP bytes):
 * SQLite can be written to by anyone with the sqlite3 shell, and a row
 * carries no seal as a blob file does.
 */
#include "local.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

aero_status tl_inline_migrate(tl_store *store, aero_error *err) {
  /* WITHOUT ROWID: one b-tree keyed by the digest, no second index. */
  return tl_exec(store,
                 "CREATE TABLE inline_blobs ("
                 " sha256 TEXT PRIMARY KEY,"
                 " content BLOB NOT NULL) WITHOUT ROWID;",
                 err);
}

aero_status tl_inline_limit(size_t *limit, aero_error *err) {
  const char *text = getenv("AEROMANCY_INLINE_MAX");
  *limit = TL_INLINE_MAX;
  if (text == NULL || text[0] == '\0')
    return AERO_OK;
  char *end = NULL;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 10);
  if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 ||
      v > TL_INLINE_CAP)
    return aero_fail(err, AERO_E_INVALID,
                     "AEROMANCY_INLINE_MAX: expected a number of bytes from 0 "
                     "to %d, got '%.40s'",
                     TL_INLINE_CAP, text);
  *limit = (size_t)v;
  return AERO_OK;
}

/* Whether `content` (`size` bytes) hashes to `hex`. */
static bool row_hashes_to(const char *hex, const void *content, size_t size) {
  char hash[65];
  tl_sha256_buf(content, size, hash);
  return strcmp(hash, hex) == 0;
}

/* What is wrong with `content` (`got` bytes) as blob `hex` of `size`
 * bytes, in `err`; *state DAMAGED, or INTACT and nothing said. */
static void judge(tl_store *store, const char *hex, uint64_t size,
                  const void *content, size_t got, tl_blob_state *state,
                  aero_error *err) {
  *state = TL_BLOB_DAMAGED;
  if ((uint64_t)got != size) {
    (void)aero_fail(err, AERO_E_STORE,
                    "store %s: blob %s (in the database) is damaged: %zu "
                    "bytes, %llu recorded (changed after it was stored)",
                    store->root, hex, got, (unsigned long long)size);
    return;
  }
  char hash[65];
  tl_sha256_buf(content, got, hash);
  if (strcmp(hash, hex) != 0) {
    (void)aero_fail(err, AERO_E_STORE,
                    "store %s: blob %s (in the database) is damaged: its "
                    "content now hashes to %.16s... (changed after it was "
                    "stored)",
                    store->root, hex, hash);
    return;
  }
  *state = TL_BLOB_INTACT;
}

void tl_inline_judge(tl_store *store, const char *hex, uint64_t size,
                     const void *content, size_t got, tl_blob_state *state,
                     aero_error *err) {
  judge(store, hex, size, content, got, state, err);
}

aero_status tl_inline_load(tl_store *store, const char *hex, uint64_t size,
                           void **content, bool *found, tl_blob_state *state,
                           uint64_t *stored, aero_error *err) {
  *found = false;
  if (content != NULL)
    *content = NULL;
  if (size > TL_INLINE_CAP)
    return AERO_OK;
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(
      store, "SELECT content FROM inline_blobs WHERE sha256 = ?", &st, err);
  if (status != AERO_OK)
    return status;
  tl_bind_text(st, 1, hex);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    const void *bytes = sqlite3_column_blob(st, 0);
    size_t got = (size_t)sqlite3_column_bytes(st, 0);
    *found = true;
    if (stored != NULL)
      *stored = got;
    judge(store, hex, size, bytes, got, state, err);
    if (*state == TL_BLOB_INTACT && content != NULL) {
      /* One byte more, so that an empty blob is not a NULL pointer. */
      *content = malloc(got + 1);
      if (*content == NULL)
        status = aero_fail(err, AERO_E_NOMEM, "tracker-local: out of memory");
      else if (got > 0)
        memcpy(*content, bytes, got);
    }
  } else if (rc != SQLITE_DONE) {
    status = tl_db_fail(store, rc, "reading a blob", err);
  }
  tl_finish(store, st);
  return status;
}

aero_status tl_inline_put(tl_store *store, const char *hex, const void *content,
                          size_t size, aero_error *err) {
  /* A row with other bytes under this name is damaged (the name is the
   * hash of what was stored): the declaration's bytes, just hashed,
   * replace it. An intact row is left alone, unwritten. */
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(
      store,
      "INSERT INTO inline_blobs (sha256, content) VALUES (?1, ?2) "
      "ON CONFLICT (sha256) DO UPDATE SET content = excluded.content "
      "WHERE content IS NOT excluded.content",
      &st, err);
  if (status != AERO_OK)
    return status;
  tl_bind_text(st, 1, hex);
  /* A zero-length blob, not NULL: the column is NOT NULL. */
  sqlite3_bind_blob(st, 2, size > 0 ? content : "", (int)size, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE)
    status = tl_db_fail(store, rc, "storing a blob", err);
  tl_finish(store, st);
  return status;
}

aero_status tl_inline_set_aside(tl_store *store, const char *hex,
                                aero_error *err) {
  aero_status status = tl_begin(store, err);
  if (status != AERO_OK)
    return status;
  sqlite3_stmt *st = NULL;
  status = tl_prepare(
      store, "SELECT content FROM inline_blobs WHERE sha256 = ?", &st, err);
  int rc = SQLITE_DONE;
  if (status == AERO_OK) {
    tl_bind_text(st, 1, hex);
    rc = sqlite3_step(st);
  }
  /* Hashed again under the write lock: a declaration of the same bytes
   * may have repaired the row since fsck hashed it, and an intact row
   * that a version refers to must never go. */
  bool intact = status == AERO_OK && rc == SQLITE_ROW &&
                row_hashes_to(hex, sqlite3_column_blob(st, 0),
                              (size_t)sqlite3_column_bytes(st, 0));
  if (status == AERO_OK && rc == SQLITE_ROW && !intact) {
    char dir[PATH_MAX], to[PATH_MAX + 96];
    snprintf(dir, sizeof dir, "%s/damaged", store->root);
    snprintf(to, sizeof to, "%s/%s-%lld", dir, hex, (long long)time(NULL));
    int fd = -1, written = 0;
    if (mkdir(dir, 0755) == 0 || errno == EEXIST)
      fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444);
    if (fd < 0)
      written = errno;
    else
      written = pc_write_all(fd, sqlite3_column_blob(st, 0),
                             (size_t)sqlite3_column_bytes(st, 0));
    /* Kept on disk before the row goes: nothing is lost to a crash. */
    if (written == 0 && fsync(fd) != 0)
      written = errno;
    if (written != 0)
      status = aero_fail(err, tl_errno_status(written, AERO_E_STORE),
                         "store %s: cannot write %s: %s", store->root, to,
                         strerror(written));
    if (fd >= 0)
      close(fd);
    if (status == AERO_OK)
      tl_fsync_dir(dir);
  } else if (status == AERO_OK && rc != SQLITE_DONE) {
    status = tl_db_fail(store, rc, "reading a blob", err);
  }
  tl_finish(store, st);
  if (status == AERO_OK && !intact) {
    status = tl_prepare(store, "DELETE FROM inline_blobs WHERE sha256 = ?", &st,
                        err);
    if (status == AERO_OK) {
      tl_bind_text(st, 1, hex);
      rc = sqlite3_step(st);
      if (rc != SQLITE_DONE)
        status = tl_db_fail(store, rc, "removing a damaged blob", err);
      tl_finish(store, st);
    }
  }
  if (status == AERO_OK)
    status = tl_commit(store, err);
  if (status != AERO_OK)
    tl_rollback(store);
  return status;
}

aero_status tl_inline_orphans(tl_store *store, bool remove, tl_inline_fn each,
                              void *ctx, aero_error *err) {
  /* DELETE ... RETURNING removes every row before handing the first one
   * over: the rows are never walked while they are being removed. */
  static const char list[] =
      "SELECT sha256, length(content) FROM inline_blobs i WHERE NOT EXISTS "
      "(SELECT 1 FROM version_files f WHERE f.sha256 = i.sha256)";
  static const char drop[] =
      "DELETE FROM inline_blobs AS i WHERE NOT EXISTS "
      "(SELECT 1 FROM version_files f WHERE f.sha256 = i.sha256) "
      "RETURNING sha256, length(content)";
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(store, remove ? drop : list, &st, err);
  if (status != AERO_OK)
    return status;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (status == AERO_OK)
      status = each(ctx, (const char *)sqlite3_column_text(st, 0),
                    sqlite3_column_int64(st, 1));
    if (status != AERO_OK && !remove)
      break;
  }
  /* A DELETE is stepped to its end whatever `each` said: the caller's
   * rollback undoes it. */
  if (status == AERO_OK && rc != SQLITE_DONE)
    status =
        tl_db_fail(store, rc, remove ? "removing blobs" : "listing blobs", err);
  tl_finish(store, st);
  return status;
}
