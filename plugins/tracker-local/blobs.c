/* tracker-local: the content-addressed blob store.
 *
 * A blob is named by the SHA-256 of its content: blobs/aa/bbbb... (the
 * first two hex digits name a folder, so that no folder grows huge). It is
 * written to a temp file in that same folder, made read-only, fsync'd and
 * renamed into place, so that a reader (or a crash at any point) never sees
 * a half-written blob. Writing the same blob twice at once is harmless too:
 * both renames install identical bytes. The temp file of a run's output is
 * written in the run's scratch folder (tmp/run-<id>/), so that whoever
 * removes that folder (the host when the run ends, the next host when the
 * host died) removes a half-written blob with it.
 *
 * A blob is sealed when it is installed: its modification time is set to
 * the epoch (TL_BLOB_SEAL). Blobs are read-only, but root ignores modes,
 * and views are hard links to them: a blob written in place afterwards
 * carries a newer time. So every use checks size and seal (one stat), and
 * a blob whose seal is broken is hashed again before it is trusted: kept
 * (and sealed again) when its content still matches its name, replaced
 * when it is declared again, refused otherwise.
 *
 * Small blobs are rows of the database instead (inline.c): tl_blob_check
 * looks there first.
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

/* Chunk per copy_file_range call: big enough to be cheap, small enough to
 * report progress and notice a full disk early. */
#define COPY_CHUNK ((size_t)64 << 20)
#define FALLBACK_BUFFER ((size_t)1 << 20)

void tl_blob_path(const tl_store *store, const char *hex, char *buf,
                  size_t size) {
  snprintf(buf, size, "%s/blobs/%.2s/%s", store->root, hex, hex + 2);
}

bool tl_blob_sealed(const struct stat *st) {
  return st->st_mtim.tv_sec == TL_BLOB_SEAL && st->st_mtim.tv_nsec == 0;
}

int tl_blob_seal(int fd) {
  const struct timespec times[2] = {{.tv_sec = 0, .tv_nsec = UTIME_OMIT},
                                    {.tv_sec = TL_BLOB_SEAL, .tv_nsec = 0}};
  return futimens(fd, times) == 0 ? 0 : errno;
}

/* The blobs folder of the handle, opened once (O_PATH): a stat relative to
 * it walks two names instead of the store's whole path, and its name needs
 * no formatting (a reuse lookup stats every output file: 10% of an
 * unchanged re-run's CPU went to that walk and snprintf). -1 when it
 * cannot be opened (no blob stored yet): full paths then. */
static int blobs_dir(tl_store *store) {
  if (store->blobs_fd < 0) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/blobs", store->root);
    store->blobs_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  }
  return store->blobs_fd;
}

/* One stat of blob `hex`: its entry relative to the blobs folder when that
 * is open, else by its full path. */
static int stat_blob(tl_store *store, const char *hex, struct stat *st) {
  int dir = blobs_dir(store);
  if (dir < 0) {
    char path[PATH_MAX];
    tl_blob_path(store, hex, path, sizeof path);
    return stat(path, st);
  }
  char name[68]; /* aa/ + 62 hex digits */
  size_t len = strnlen(hex, 64);
  if (len < 3)
    return -1;
  name[0] = hex[0];
  name[1] = hex[1];
  name[2] = '/';
  memcpy(name + 3, hex + 2, len - 2);
  name[len + 1] = '\0';
  return fstatat(dir, name, st, 0);
}

/* After a blob's row was judged: where the row is damaged (the caller's
 * `err` says how, and is left so), a file of that content, stored by a
 * process with a lower AEROMANCY_INLINE_MAX, still serves, and *state
 * becomes TL_BLOB_INTACT. */
static void file_still_serves(tl_store *store, const char *hex, uint64_t size,
                              bool full, tl_blob_state *state) {
  tl_blob_state file = TL_BLOB_MISSING;
  if (*state != TL_BLOB_INTACT &&
      tl_blob_file_check(store, hex, size, full, &file, NULL) == AERO_OK &&
      file == TL_BLOB_INTACT)
    *state = TL_BLOB_INTACT;
}

aero_status tl_blob_check(tl_store *store, const char *hex, uint64_t size,
                          bool full, tl_blob_state *state, aero_error *err) {
  bool found = false;
  aero_status status =
      tl_inline_load(store, hex, size, NULL, &found, state, NULL, err);
  if (status != AERO_OK)
    return status;
  if (!found)
    return tl_blob_file_check(store, hex, size, full, state, err);
  file_still_serves(store, hex, size, full, state);
  return AERO_OK;
}

aero_status tl_blob_check_read(tl_store *store, const char *hex, uint64_t size,
                               bool found, const void *row, size_t row_size,
                               tl_blob_state *state, aero_error *err) {
  if (!found || size > TL_INLINE_CAP)
    return tl_blob_file_check(store, hex, size, false, state, err);
  tl_inline_judge(store, hex, size, row, row_size, state, err);
  file_still_serves(store, hex, size, false, state);
  return AERO_OK;
}

aero_status tl_blob_file_check(tl_store *store, const char *hex, uint64_t size,
                               bool full, tl_blob_state *state,
                               aero_error *err) {
  struct stat quick;
  int looked = full ? -1 : stat_blob(store, hex, &quick);
  int why = looked != 0 && !full ? errno : 0;
  if (looked == 0 && S_ISREG(quick.st_mode) &&
      (uint64_t)quick.st_size == size && tl_blob_sealed(&quick)) {
    /* The common answer in one system call (a reuse lookup asks this of
     * every output file); anything else is looked at closely below. */
    *state = TL_BLOB_INTACT;
    return AERO_OK;
  }
  char path[PATH_MAX];
  tl_blob_path(store, hex, path, sizeof path);
  /* No file at all is the other common answer since small blobs are rows
   * (inline.c): a declaration looks for a file first. */
  int fd = why == ENOENT ? -1 : open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 && why == ENOENT)
    errno = ENOENT;
  if (fd < 0) {
    if (errno != ENOENT)
      return aero_fail(err, AERO_E_IO, "store %s: cannot read blob %s: %s",
                       store->root, hex, strerror(errno));
    *state = TL_BLOB_MISSING;
    (void)aero_fail(err, AERO_E_NOT_FOUND, "store %s: blob %s is missing",
                    store->root, hex);
    return AERO_OK;
  }
  aero_status status = AERO_OK;
  struct stat st;
  char got[65];
  if (fstat(fd, &st) != 0) {
    status = aero_fail(err, AERO_E_IO, "store %s: cannot read blob %s: %s",
                       store->root, hex, strerror(errno));
  } else if ((uint64_t)st.st_size != size) {
    *state = TL_BLOB_DAMAGED;
    (void)aero_fail(err, AERO_E_STORE,
                    "store %s: blob %s is damaged: %llu bytes, %llu recorded "
                    "(changed after it was stored)",
                    store->root, hex, (unsigned long long)st.st_size,
                    (unsigned long long)size);
  } else if (!full && tl_blob_sealed(&st)) {
    *state = TL_BLOB_INTACT;
  } else if ((status = tl_sha256_fd(fd, path, size, NULL, got, err)) !=
             AERO_OK) {
    /* err says why it could not be read */
  } else if (strcmp(got, hex) != 0) {
    *state = TL_BLOB_DAMAGED;
    (void)aero_fail(err, AERO_E_STORE,
                    "store %s: blob %s is damaged: its content now hashes to "
                    "%.16s... (changed after it was stored)",
                    store->root, hex, got);
  } else {
    *state = TL_BLOB_INTACT;
    /* Intact after all (copied without its times, or touched): seal it
     * again so that the next use costs a stat, not a hash. */
    if (!tl_blob_sealed(&st))
      tl_blob_seal(fd);
  }
  close(fd);
  return status;
}

static int copy_by_read(int src_fd, int dst_fd, uint64_t from, uint64_t size,
                        bool *failed_on_write) {
  char *buf = malloc(FALLBACK_BUFFER);
  if (buf == NULL)
    return ENOMEM;
  int rc = 0;
  uint64_t done = from;
  while (done < size) {
    ssize_t n = pread(src_fd, buf, FALLBACK_BUFFER, (off_t)done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      rc = n < 0 ? errno : EIO; /* shorter than it was when hashed */
      *failed_on_write = false;
      break;
    }
    for (ssize_t off = 0; off < n;) {
      ssize_t w = pwrite(dst_fd, buf + off, (size_t)(n - off),
                         (off_t)(done + (uint64_t)off));
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0) {
        rc = w < 0 ? errno : EIO;
        *failed_on_write = true;
        goto done;
      }
      off += w;
    }
    done += (uint64_t)n;
  }
done:
  free(buf);
  return rc;
}

int tl_copy_fd(int src_fd, int dst_fd, uint64_t size, const char *label,
               bool *failed_on_write) {
  bool report = label != NULL && size >= TL_PROGRESS_MIN;
  *failed_on_write = false;
  if (report)
    tl_progress(label, 0, size);
  loff_t in = 0, out = 0;
  int rc = 0;
  while ((uint64_t)in < size) {
    size_t want = size - (uint64_t)in < COPY_CHUNK
                      ? (size_t)(size - (uint64_t)in)
                      : COPY_CHUNK;
    ssize_t n = copy_file_range(src_fd, &in, dst_fd, &out, want, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == ENOSYS || errno == EXDEV || errno == EINVAL ||
                  errno == EOPNOTSUPP)) {
      /* Not supported between these files: copy the rest by hand. */
      rc = copy_by_read(src_fd, dst_fd, (uint64_t)in, size, failed_on_write);
      break;
    }
    if (n < 0) {
      rc = errno;
      /* Either side; a full disk is reported as the store's problem. */
      *failed_on_write = rc == ENOSPC || rc == EDQUOT || rc == EFBIG;
      break;
    }
    if (n == 0) {
      rc = EIO; /* the source shrank since it was hashed */
      break;
    }
    if (report && (uint64_t)in < size)
      tl_progress(label, (uint64_t)in, size);
  }
  if (report)
    tl_progress(label, size, size);
  return rc;
}

/* Where the temp file of blob `hex` is made: the scratch folder of run
 * `run_id` (created if needed), or the blob's own folder without a run. */
static aero_status temp_name(tl_store *store, const char *hex, int64_t run_id,
                             char *tmp, size_t size, aero_error *err) {
  if (run_id > 0) {
    snprintf(tmp, size, "%s/tmp/run-%lld", store->root, (long long)run_id);
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
      return aero_fail(err, tl_errno_status(errno, AERO_E_STORE),
                       "store %s: cannot create %s: %s", store->root, tmp,
                       strerror(errno));
    snprintf(tmp + strlen(tmp), size - strlen(tmp), "/.blob-%.16s-XXXXXX", hex);
  } else {
    snprintf(tmp, size, "%s/blobs/%.2s/.tmp-%.16s-XXXXXX", store->root, hex,
             hex);
  }
  return AERO_OK;
}

aero_status tl_blob_ensure(tl_store *store, const char *hex, int64_t run_id,
                           int src_fd, const char *src_path, uint64_t size,
                           const char *label, bool *copied, aero_error *err) {
  char path[PATH_MAX];
  tl_blob_path(store, hex, path, sizeof path);
  /* A blob is named by its hash: one that checks out is the right one. A
   * damaged one (or one that cannot be read) is replaced by this copy. */
  tl_blob_state state = TL_BLOB_MISSING;
  if (tl_blob_check(store, hex, size, false, &state, NULL) == AERO_OK &&
      state == TL_BLOB_INTACT) {
    *copied = false;
    return AERO_OK;
  }
  /* Cannot truncate: tl_open limits the root's length. */
  char dir[PATH_MAX / 2];
  snprintf(dir, sizeof dir, "%s/blobs/%.2s", store->root, hex);
  if (mkdir(dir, 0755) != 0 && errno != EEXIST)
    return aero_fail(err, tl_errno_status(errno, AERO_E_STORE),
                     "store %s: cannot create %s: %s", store->root, dir,
                     strerror(errno));
  char tmp[PATH_MAX];
  aero_status named = temp_name(store, hex, run_id, tmp, sizeof tmp, err);
  if (named != AERO_OK)
    return named;
  int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0)
    return aero_fail(err, tl_errno_status(errno, AERO_E_STORE),
                     "store %s: cannot create a temp file in %s: %s",
                     store->root, dir, strerror(errno));
  aero_status status = AERO_OK;
  bool on_write = false;
  int rc = tl_copy_fd(src_fd, fd, size, label, &on_write);
  if (rc != 0) {
    if (on_write || rc == ENOSPC || rc == EDQUOT)
      status = aero_fail(err, tl_errno_status(rc, AERO_E_STORE),
                         "store %s: cannot store %s: %s", store->root, src_path,
                         strerror(rc));
    else
      status =
          aero_fail(err, AERO_E_IO, "cannot read %s: %s", src_path,
                    rc == EIO ? "it changed while being stored" : strerror(rc));
    goto fail;
  }
  /* Read-only and sealed before it becomes visible; durable before it is
   * renamed, so that after a crash a blob's name never points at missing
   * bytes. A seal that cannot be set costs a hash at each use, no more. */
  tl_blob_seal(fd);
  if (fchmod(fd, 0444) != 0 || fsync(fd) != 0) {
    status = aero_fail(err, tl_errno_status(errno, AERO_E_STORE),
                       "store %s: cannot store %s: %s", store->root, src_path,
                       strerror(errno));
    goto fail;
  }
  if (close(fd) != 0) {
    fd = -1;
    status = aero_fail(err, tl_errno_status(errno, AERO_E_STORE),
                       "store %s: cannot store %s: %s", store->root, src_path,
                       strerror(errno));
    goto fail;
  }
  fd = -1;
  if (rename(tmp, path) != 0) {
    status = aero_fail(err, tl_errno_status(errno, AERO_E_STORE),
                       "store %s: cannot install blob %s: %s", store->root,
                       path, strerror(errno));
    goto fail;
  }
  tl_fsync_dir(dir);
  *copied = true;
  return AERO_OK;
fail:
  if (fd >= 0)
    close(fd);
  unlink(tmp);
  return status;
}
