/* tracker-local: materialized views of versions, for declare_input.
 *
 * views/<version id>/ holds a version's files under their names in the
 * artifact, as hard links to the blobs (so they cost no space and are
 * read-only like the blobs). A view is built in a temp folder under tmp/
 * and renamed into place, so a view that exists is complete; when two
 * processes build the same view at once, the first rename wins and the
 * other discards its copy. The temp folder's name carries the builder's
 * owner token (owners.c), so that the host that takes over a dead builder
 * removes what it left.
 *
 * Every use checks each file of the view (size and seal, blobs.c): a view
 * file that fails is rebuilt from its blob when the blob is intact, and
 * refused, naming the blob, when it is not. A view built anew checks its
 * blobs the same way first.
 *
 * A blob kept in the database (inline.c) has no file to link: its view
 * file is written from the row, which is hashed at every use (a damaged
 * row is refused, as a damaged blob is), and the view file is compared
 * with it byte for byte (at most TL_INLINE_CAP bytes): a copy has no seal
 * shared with its blob, and is not synced, so a crash may leave it short.
 */
#include "local.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct view_file {
  char *path;
  char hash[65];
  uint64_t size;
  void *content; /* the blob's bytes when it is a row (malloc'd), else NULL */
} view_file;

static void free_files(view_file *files, size_t count) {
  for (size_t i = 0; i < count; i++) {
    free(files[i].path);
    free(files[i].content);
  }
  free(files);
}

static aero_status list_files(tl_store *store, int64_t version_id,
                              view_file **out, size_t *count, aero_error *err) {
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(store,
                                  "SELECT path, sha256, size FROM "
                                  "version_files WHERE version_id = ? ORDER "
                                  "BY path",
                                  &st, err);
  if (status != AERO_OK)
    return status;
  sqlite3_bind_int64(st, 1, version_id);
  view_file *files = NULL;
  size_t n = 0, cap = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    view_file *grown = aeu_grow(files, &cap, n + 1, sizeof *grown, 16);
    if (grown == NULL)
      goto nomem;
    files = grown;
    const char *path = (const char *)sqlite3_column_text(st, 0);
    const char *hash = (const char *)sqlite3_column_text(st, 1);
    /* A NUL inside the blob's text is damage too (then named as ''). */
    const char *blob =
        hash != NULL && (size_t)sqlite3_column_bytes(st, 1) == strlen(hash)
            ? hash
            : "";
    status = pc_check_file_row(store->db_path, version_id, path, blob, err);
    if (status != AERO_OK)
      goto fail;
    files[n].path = strdup(path);
    if (files[n].path == NULL)
      goto nomem;
    snprintf(files[n].hash, sizeof files[n].hash, "%s", hash);
    files[n].size = (uint64_t)sqlite3_column_int64(st, 2);
    files[n].content = NULL;
    n++;
  }
  if (rc != SQLITE_DONE) {
    status = tl_db_fail(store, rc, "listing a version's files", err);
    goto fail;
  }
  tl_finish(store, st);
  if (n == 0) {
    free(files);
    return aero_fail(err, AERO_E_NOT_FOUND,
                     "%s: version %lld does not exist or has no files",
                     store->db_path, (long long)version_id);
  }
  *out = files;
  *count = n;
  return AERO_OK;
nomem:
  status = aero_fail(err, AERO_E_NOMEM, "tracker-local: out of memory");
fail:
  tl_finish(store, st);
  free_files(files, n);
  return status;
}

/* The refusal of a version whose file `f` has a blob that is not intact. */
static aero_status refuse(tl_store *store, int64_t version_id,
                          const view_file *f, tl_blob_state state,
                          aero_error *err) {
  return aero_fail(err, AERO_E_STORE,
                   "store %s: file '%s' of version %lld: blob %s is %s "
                   "(declare that content again to repair it; aeromancy fsck "
                   "checks every blob)",
                   store->root, f->path, (long long)version_id, f->hash,
                   state == TL_BLOB_MISSING ? "missing"
                                            : "damaged (changed after it was "
                                              "stored)");
}

/* Reads the blobs of `files` that are rows into their `content`, hashed:
 * a damaged row is refused unless a file of that content serves. */
static aero_status load_rows(tl_store *store, int64_t version_id,
                             view_file *files, size_t count, aero_error *err) {
  for (size_t i = 0; i < count; i++) {
    bool found = false;
    tl_blob_state state = TL_BLOB_INTACT;
    aero_status status =
        tl_inline_load(store, files[i].hash, files[i].size, &files[i].content,
                       &found, &state, NULL, err);
    if (status != AERO_OK)
      return status;
    if (!found || state == TL_BLOB_INTACT)
      continue;
    tl_blob_state file = TL_BLOB_MISSING;
    if (tl_blob_file_check(store, files[i].hash, files[i].size, false, &file,
                           NULL) != AERO_OK ||
        file != TL_BLOB_INTACT)
      return refuse(store, version_id, &files[i], state, err);
  }
  return AERO_OK;
}

/* Writes a row's bytes as the view file `dest` (read-only, sealed like a
 * blob, so that the size-and-seal check of every use applies). Returns 0
 * or an errno value. */
static int write_row(const view_file *f, const char *dest) {
  int out = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (out < 0)
    return errno;
  int rc = pc_write_all(out, f->content, (size_t)f->size);
  if (rc == 0)
    rc = tl_blob_seal(out);
  if (close(out) != 0 && rc == 0)
    rc = errno;
  return rc;
}

/* True when the view file `path` holds exactly the row's bytes. */
static bool same_as_row(const char *path, const view_file *f) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  char *buf = fd >= 0 ? malloc((size_t)f->size + 1) : NULL;
  size_t got = 0;
  ssize_t n;
  /* One byte more than the row: a longer file is not the same. */
  while (buf != NULL && got <= f->size &&
         ((n = read(fd, buf + got, (size_t)f->size + 1 - got)) > 0 ||
          (n < 0 && errno == EINTR)))
    if (n > 0)
      got += (size_t)n;
  bool same =
      buf != NULL && got == f->size && memcmp(buf, f->content, got) == 0;
  free(buf);
  if (fd >= 0)
    close(fd);
  return same;
}

/* A private copy, for when a hard link is impossible (too many links to
 * one blob, or a file system without them). */
static int copy_blob(const char *blob, const char *dest, uint64_t size) {
  int in = open(blob, O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return errno;
  int out = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (out < 0) {
    int rc = errno;
    close(in);
    return rc;
  }
  bool on_write = false;
  int rc = tl_copy_fd(in, out, size, NULL, &on_write);
  if (rc == 0)
    rc = tl_blob_seal(out);
  if (close(out) != 0 && rc == 0)
    rc = errno;
  close(in);
  return rc;
}

/* Checks the blob files a new view is about to link (size and seal, one
 * stat each; a broken seal is hashed): a link shares the blob's bytes, so
 * a blob damaged in place would otherwise reach the action as the
 * version's content. Rows were hashed by load_rows. */
static aero_status check_blob_files(tl_store *store, int64_t version_id,
                                    const view_file *files, size_t count,
                                    aero_error *err) {
  for (size_t i = 0; i < count; i++) {
    if (files[i].content != NULL)
      continue;
    tl_blob_state state = TL_BLOB_INTACT;
    aero_status status = tl_blob_file_check(store, files[i].hash, files[i].size,
                                            false, &state, err);
    if (status != AERO_OK)
      return status;
    if (state != TL_BLOB_INTACT)
      return refuse(store, version_id, &files[i], state, err);
  }
  return AERO_OK;
}

static aero_status build_view(tl_store *store, int64_t version_id,
                              const view_file *files, size_t count,
                              const char *final, aero_error *err) {
  char tmp[PATH_MAX];
  snprintf(tmp, sizeof tmp, "%s/tmp/view-%lld-%s-XXXXXX", store->root,
           (long long)version_id, store->owner_token);
  if (mkdtemp(tmp) == NULL)
    return aero_fail(err, tl_errno_status(errno, AERO_E_STORE),
                     "store %s: cannot create a folder in tmp/: %s",
                     store->root, strerror(errno));
  chmod(tmp, 0755); /* mkdtemp makes it 0700 */
  aero_status status = AERO_OK;
  for (size_t i = 0; i < count; i++) {
    char blob[PATH_MAX], dest[PATH_MAX];
    tl_blob_path(store, files[i].hash, blob, sizeof blob);
    int rc = 0;
    if (snprintf(dest, sizeof dest, "%s/%s", tmp, files[i].path) >=
        (int)sizeof dest)
      rc = ENAMETOOLONG;
    if (rc == 0)
      rc = tl_mkdirs_parent(dest);
    if (rc == 0 && files[i].content != NULL) {
      rc = write_row(&files[i], dest);
    } else if (rc == 0 && link(blob, dest) != 0) {
      rc = errno;
      if (rc == EMLINK || rc == EXDEV || rc == EPERM)
        rc = copy_blob(blob, dest, files[i].size);
    }
    if (rc != 0) {
      status = aero_fail(
          err, tl_errno_status(rc, AERO_E_STORE),
          rc == ENOENT ? "store %s: blob %s of '%s' is missing (%s)"
                       : "store %s: cannot materialize %s as '%s': %s",
          store->root, files[i].hash, files[i].path, strerror(rc));
      goto fail;
    }
  }
  if (rename(tmp, final) != 0) {
    if (errno == EEXIST || errno == ENOTEMPTY) {
      /* Another process built the same view first; use it. */
      tl_remove_tree(tmp);
      return AERO_OK;
    }
    status = aero_fail(err, tl_errno_status(errno, AERO_E_STORE),
                       "store %s: cannot install view %s: %s", store->root,
                       final, strerror(errno));
    goto fail;
  }
  char views[PATH_MAX];
  snprintf(views, sizeof views, "%s/views", store->root);
  tl_fsync_dir(views);
  return AERO_OK;
fail:
  tl_remove_tree(tmp);
  return status;
}

/* Whether view file `st` is still the blob file of `f` (one file, two
 * names). A view can outlive its blob file: fsck --repair moves a damaged
 * blob aside, and a host declaring the content again renames a good copy
 * over a damaged blob; either way the view's link keeps the damaged bytes,
 * with their size and seal. A private copy (copy_blob, where a link is
 * impossible) is never the blob file: such a view is built again at each
 * use. */
static bool links_blob(tl_store *store, const view_file *f,
                       const struct stat *st) {
  char blob[PATH_MAX];
  struct stat b;
  tl_blob_path(store, f->hash, blob, sizeof blob);
  return stat(blob, &b) == 0 && b.st_ino == st->st_ino &&
         b.st_dev == st->st_dev;
}

/* Checks that the view `final` still holds what version `version_id`
 * recorded (size and seal of each file, each file still its blob's);
 * rebuilds it from the blobs when it does not and they are intact, and
 * fails naming the first damaged or missing blob when they are not. */
static aero_status check_view(tl_store *store, int64_t version_id,
                              const view_file *files, size_t count,
                              const char *final, aero_error *err) {
  bool stale = false;
  for (size_t i = 0; i < count && !stale; i++) {
    char path[PATH_MAX];
    struct stat st;
    stale = snprintf(path, sizeof path, "%s/%s", final, files[i].path) >=
                (int)sizeof path ||
            stat(path, &st) != 0 || (uint64_t)st.st_size != files[i].size ||
            !tl_blob_sealed(&st) ||
            (files[i].content != NULL ? !same_as_row(path, &files[i])
                                      : !links_blob(store, &files[i], &st));
  }
  if (!stale)
    return AERO_OK;
  for (size_t i = 0; i < count; i++) {
    tl_blob_state state = TL_BLOB_INTACT;
    aero_status status =
        tl_blob_check(store, files[i].hash, files[i].size, false, &state, err);
    if (status != AERO_OK)
      return status;
    if (state != TL_BLOB_INTACT)
      return refuse(store, version_id, &files[i], state, err);
  }
  /* Set aside under a unique name, then removed: a concurrent builder's
   * rename of a fresh view cannot collide with it. */
  char aside[PATH_MAX];
  snprintf(aside, sizeof aside, "%s/tmp/view-%lld-%s-stale-XXXXXX", store->root,
           (long long)version_id, store->owner_token);
  if (mkdtemp(aside) != NULL) {
    char inside[PATH_MAX + 8];
    snprintf(inside, sizeof inside, "%s/v", aside);
    if (rename(final, inside) != 0 && errno != ENOENT) {
      tl_remove_tree(aside);
      return aero_fail(err, tl_errno_status(errno, AERO_E_STORE),
                       "store %s: cannot replace damaged view %s: %s",
                       store->root, final, strerror(errno));
    }
    tl_remove_tree(aside);
  }
  return build_view(store, version_id, files, count, final, err);
}

aero_status tl_materialize(void *handle, int64_t version_id,
                           aero_backend_file_fn each, void *ctx,
                           char *directory, size_t directory_size,
                           aero_error *err) {
  tl_store *store = handle;
  view_file *files = NULL;
  size_t count = 0;
  aero_status status = list_files(store, version_id, &files, &count, err);
  if (status != AERO_OK)
    return status;
  status = load_rows(store, version_id, files, count, err);
  if (status != AERO_OK)
    goto done;
  char final[PATH_MAX];
  int len = snprintf(final, sizeof final, "%s/views/%lld", store->root,
                     (long long)version_id);
  if (directory != NULL && (size_t)len >= directory_size) {
    status = aero_fail(err, AERO_E_INVALID,
                       "store %s: view path %s does not fit in %zu bytes",
                       store->root, final, directory_size);
    goto done;
  }
  struct stat st;
  if (stat(final, &st) == 0) {
    status = check_view(store, version_id, files, count, final, err);
  } else {
    status = check_blob_files(store, version_id, files, count, err);
    if (status == AERO_OK)
      status = build_view(store, version_id, files, count, final, err);
  }
  if (status != AERO_OK)
    goto done;
  if (each != NULL) {
    for (size_t i = 0; i < count; i++) {
      char path[PATH_MAX];
      if (snprintf(path, sizeof path, "%s/%s", final, files[i].path) >=
          (int)sizeof path) {
        status =
            aero_fail(err, AERO_E_INVALID, "store %s: path of '%s' is too long",
                      store->root, files[i].path);
        goto done;
      }
      each(ctx, path);
    }
  }
  if (directory != NULL)
    snprintf(directory, directory_size, "%s", final);
done:
  free_files(files, count);
  return status;
}
