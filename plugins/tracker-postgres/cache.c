/* tracker-postgres: the local cache, and materialize.
 *
 * Layout of the cache folder ($AEROMANCY_CACHE, else
 * $XDG_CACHE_HOME/aeromancy, else ~/.cache/aeromancy):
 *   blobs/aa/bbbb...        blobs downloaded from the bucket, mode 0444
 *   views/<ns>/<version>/   materialized versions: hard links to blobs
 *   tmp/                    views being built
 * <ns> names the database and bucket (version ids are per database).
 *
 * A view that exists is complete (built in tmp/, then renamed into
 * place), so reading a version whose view exists makes no request at all;
 * its files are checked for their seal (see sealed()), and a view with a
 * file written to since is built again. Building a view checks every
 * blob's SHA-256, whether it was just downloaded or already cached (a
 * damaged cached blob is downloaded again). The cache is bounded
 * ($AEROMANCY_CACHE_MAX_MB, default 10240): past the bound, blobs no view uses
 * go first, oldest first, then the oldest views.
 */
#include "tp.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

aero_status tp_cache_init(tp_store *store, aero_error *err) {
  const char *dir = getenv("AEROMANCY_CACHE");
  const char *xdg = getenv("XDG_CACHE_HOME");
  const char *home = getenv("HOME");
  const char *from;
  if (dir != NULL && dir[0] != '\0') {
    store->cache = strdup(dir);
    from = "$AEROMANCY_CACHE";
  } else if (xdg != NULL && xdg[0] == '/') {
    store->cache = pc_strdup_printf("%s/aeromancy", xdg);
    from = "$XDG_CACHE_HOME/aeromancy";
  } else if (home != NULL && home[0] != '\0') {
    store->cache = pc_strdup_printf("%s/.cache/aeromancy", home);
    from = "$HOME/.cache/aeromancy";
  } else {
    return aero_fail(err, AERO_E_CONFIG,
                     "tracker-postgres: no cache folder: set AEROMANCY_CACHE "
                     "or HOME");
  }
  if (store->cache == NULL)
    return aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  /* Leaves room under PATH_MAX for the names made inside it: cut to fit a
   * PATH_MAX buffer, views/NS/42 would be views/NS/4, another version's
   * view. */
  if (strlen(store->cache) > TP_CACHE_MAX)
    return aero_fail(err, AERO_E_CONFIG,
                     "tracker-postgres: cache folder %.60s... (%s) is longer "
                     "than %d bytes",
                     store->cache, from, TP_CACHE_MAX);
  double mb = 10240;
  /* At most 2^40 MiB (an exbibyte): the bytes still fit in 64 bits. */
  aero_status status =
      pc_env_number("tracker-postgres", "AEROMANCY_CACHE_MAX_MB", 10240, 0,
                    1099511627776.0, &mb, err);
  if (status != AERO_OK)
    return status;
  store->cache_max = (uint64_t)(mb * 1048576.0);
  static const char *const subdirs[] = {"blobs", "views", "tmp"};
  for (size_t i = 0; i < 3; i++) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", store->cache, subdirs[i]);
    int rc = pc_mkdirs(path);
    if (rc != 0)
      return aero_fail(err, pc_errno_status(rc, AERO_E_IO),
                       "tracker-postgres: cannot create cache folder %s: %s",
                       path, strerror(rc));
  }
  return AERO_OK;
}

typedef struct cached {
  char path[PATH_MAX];
  uint64_t size;
  time_t mtime;
  nlink_t links;
} cached;

static int by_age(const void *a, const void *b) {
  time_t x = ((const cached *)a)->mtime, y = ((const cached *)b)->mtime;
  return x < y ? -1 : x > y;
}

/* Lists the blobs under blobs/xx/ (when `views` is false), or the view
 * folders under views/<ns>/, oldest first. */
static size_t list_entries(const char *root, bool views, cached **out) {
  size_t n = 0, cap = 0;
  cached *list = NULL;
  DIR *top = opendir(root);
  struct dirent *d1;
  while (top != NULL && (d1 = readdir(top)) != NULL) {
    if (d1->d_name[0] == '.')
      continue;
    char sub[PATH_MAX];
    if (snprintf(sub, sizeof sub, "%s/%s", root, d1->d_name) >= (int)sizeof sub)
      continue; /* no cache folder is this long (tp_cache_init) */
    DIR *dir = opendir(sub);
    struct dirent *d2;
    while (dir != NULL && (d2 = readdir(dir)) != NULL) {
      if (d2->d_name[0] == '.')
        continue;
      cached *grown = aeu_grow(list, &cap, n + 1, sizeof *grown, 64);
      if (grown == NULL)
        break;
      list = grown;
      cached *c = &list[n];
      struct stat st;
      if (snprintf(c->path, sizeof c->path, "%s/%s", sub, d2->d_name) >=
              (int)sizeof c->path ||
          lstat(c->path, &st) != 0 || (views != S_ISDIR(st.st_mode)))
        continue;
      c->size = (uint64_t)st.st_size;
      c->mtime = views ? st.st_mtime : st.st_ctime; /* a blob's: its seal */
      c->links = st.st_nlink;
      n++;
    }
    if (dir != NULL)
      closedir(dir);
  }
  if (top != NULL)
    closedir(top);
  aeu_sort(list, n, sizeof *list, by_age);
  *out = list;
  return n;
}

/* Keeps the cache under its bound; never removes view `keep`. */
static void evict(tp_store *store, const char *keep) {
  char blobs[PATH_MAX], views[PATH_MAX];
  snprintf(blobs, sizeof blobs, "%s/blobs", store->cache);
  snprintf(views, sizeof views, "%s/views", store->cache);
  for (int round = 0; round < 1000; round++) {
    cached *list = NULL;
    size_t n = list_entries(blobs, false, &list);
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
      total += list[i].size;
    for (size_t i = 0; i < n && total > store->cache_max; i++) {
      if (list[i].links > 1)
        continue; /* a view holds it: removing frees nothing */
      if (unlink(list[i].path) == 0)
        total -= list[i].size;
    }
    free(list);
    if (total <= store->cache_max)
      return;
    n = list_entries(views, true, &list);
    size_t victim = n;
    for (size_t i = 0; i < n && victim == n; i++)
      if (strcmp(list[i].path, keep) != 0)
        victim = i;
    if (victim < n)
      pc_remove_tree(list[victim].path);
    free(list);
    if (victim == n)
      return; /* only the view in use is left */
  }
}

/* A cached blob is sealed when it is installed, as tracker-local's are
 * (blobs.c): its modification time is set to the epoch. Views are hard
 * links to blobs, so an action that writes to its input (root ignores the
 * 0444 mode) changes the cached blob and its time: every use of a view
 * checks that its files still carry the seal (one stat each, no request),
 * and a view that fails is built again, which hashes its blobs and
 * downloads a damaged one again. A blob's age, for eviction, is then its
 * status change time. */
static bool sealed(const struct stat *st) {
  return st->st_mtim.tv_sec == 0 && st->st_mtim.tv_nsec == 0;
}

static void seal(int fd) {
  const struct timespec times[2] = {{.tv_sec = 0, .tv_nsec = UTIME_OMIT},
                                    {.tv_sec = 0, .tv_nsec = 0}};
  (void)futimens(fd, times); /* unsealed: the view is checked again */
}

static void blob_path(const tp_store *store, const char *hex, char *buf,
                      size_t size) {
  snprintf(buf, size, "%s/blobs/%.2s/%s", store->cache, hex, hex + 2);
}

/* Makes sure blob `hex` is in the cache, whole and with its digest. */
static aero_status ensure_blob(tp_store *store, const char *hex, uint64_t size,
                               aero_error *err) {
  char path[PATH_MAX];
  blob_path(store, hex, path, sizeof path);
  struct stat st;
  if (stat(path, &st) == 0 && (uint64_t)st.st_size == size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    char got[65] = "";
    aero_status status =
        fd >= 0 ? pc_sha256_fd(fd, path, size, NULL, got, NULL) : AERO_E_IO;
    bool intact = status == AERO_OK && strcmp(got, hex) == 0;
    if (intact && !sealed(&st))
      seal(fd); /* cached before blobs were sealed */
    if (fd >= 0)
      close(fd);
    if (intact)
      return AERO_OK;
    unlink(path); /* damaged: fetched again below */
  }
  int rc = pc_mkdirs_parent(path);
  if (rc != 0)
    return aero_fail(err, pc_errno_status(rc, AERO_E_IO),
                     "tracker-postgres: cannot create %s: %s", path,
                     strerror(rc));
  char tmp[PATH_MAX];
  snprintf(tmp, sizeof tmp, "%s/blobs/%.2s/.tmp-%.16s-XXXXXX", store->cache,
           hex, hex);
  int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0)
    return aero_fail(err, pc_errno_status(errno, AERO_E_IO),
                     "tracker-postgres: cannot create a file in the cache "
                     "%s: %s",
                     store->cache, strerror(errno));
  aero_status status = tp_s3_get_blob(store->s3, hex, fd, err);
  if (status == AERO_OK && (fchmod(fd, 0444) != 0 || fsync(fd) != 0))
    status = aero_fail(err, pc_errno_status(errno, AERO_E_IO),
                       "tracker-postgres: cannot write %s: %s", tmp,
                       strerror(errno));
  if (status == AERO_OK)
    seal(fd);
  close(fd);
  if (status == AERO_OK && rename(tmp, path) != 0)
    status = aero_fail(err, pc_errno_status(errno, AERO_E_IO),
                       "tracker-postgres: cannot install %s: %s", path,
                       strerror(errno));
  if (status != AERO_OK)
    unlink(tmp);
  return status;
}

typedef struct files_ctx {
  tp_params params;
  PGresult *res;
} files_ctx;

static aero_status files_body(tp_store *store, void *ctx_, aero_error *err) {
  files_ctx *ctx = ctx_;
  return tp_exec(store,
                 "SELECT f.path, f.sha256, f.size FROM version_files f JOIN "
                 "versions v ON v.id = f.version_id WHERE f.version_id = $1 "
                 "AND v.published = 1 ORDER BY f.path COLLATE \"C\"",
                 &ctx->params, &ctx->res, "listing a version's files", err);
}

/* Builds view `view` of version `version_id` in a temp folder and renames
 * it into place (a concurrent builder's identical view may win). */
static aero_status build_view(tp_store *store, int64_t version_id,
                              const char *view, aero_error *err) {
  files_ctx ctx = {0};
  tp_param_int(&ctx.params, version_id);
  aero_status status =
      tp_once(store, files_body, &ctx, "listing a version's files", err);
  if (status != AERO_OK)
    return status;
  int n = PQntuples(ctx.res);
  if (n == 0) {
    PQclear(ctx.res);
    return aero_fail(err, AERO_E_NOT_FOUND,
                     "%s: there is no published version %lld", store->server,
                     (long long)version_id);
  }
  char tmp[PATH_MAX];
  snprintf(tmp, sizeof tmp, "%s/tmp/view-%lld-XXXXXX", store->cache,
           (long long)version_id);
  if (mkdtemp(tmp) == NULL) {
    PQclear(ctx.res);
    return aero_fail(err, pc_errno_status(errno, AERO_E_IO),
                     "tracker-postgres: cannot create a folder in %s: %s",
                     store->cache, strerror(errno));
  }
  for (int i = 0; status == AERO_OK && i < n; i++) {
    const char *name = PQgetvalue(ctx.res, i, 0);
    const char *hex = PQgetvalue(ctx.res, i, 1);
    uint64_t size = strtoull(PQgetvalue(ctx.res, i, 2), NULL, 10);
    status = pc_check_file_row(store->server, version_id, name, hex, err);
    if (status != AERO_OK)
      break;
    status = ensure_blob(store, hex, size, err);
    if (status != AERO_OK)
      break;
    char blob[PATH_MAX], dest[PATH_MAX];
    blob_path(store, hex, blob, sizeof blob);
    int rc = snprintf(dest, sizeof dest, "%s/%s", tmp, name) >= (int)sizeof dest
                 ? ENAMETOOLONG
                 : pc_mkdirs_parent(dest);
    if (rc == 0 && link(blob, dest) != 0)
      rc = errno;
    if (rc != 0)
      status = aero_fail(err, pc_errno_status(rc, AERO_E_IO),
                         "tracker-postgres: cannot place %s in the cache: %s",
                         name, strerror(rc));
  }
  PQclear(ctx.res);
  if (status == AERO_OK) {
    int rc = pc_mkdirs_parent(view);
    if (rc == 0 && rename(tmp, view) != 0 && errno != EEXIST &&
        errno != ENOTEMPTY)
      status = aero_fail(err, pc_errno_status(errno, AERO_E_IO),
                         "tracker-postgres: cannot install view %s: %s", view,
                         strerror(errno));
  }
  pc_remove_tree(tmp); /* nothing left after a successful rename */
  return status;
}

/* The files of a complete view `view` into *list, sorted as in the
 * record (names relative to the view). */
static aero_status view_files(const char *view, pc_file_list *list,
                              aero_error *err) {
  const char *files[] = {view};
  aero_output_desc desc = {.struct_size = sizeof desc,
                           .files = files,
                           .file_count = 1,
                           .strip_prefix = view};
  return pc_collect("materialize", &desc, list, err);
}

/* True when every file of a view, listed in `list`, still carries its
 * blob's seal (lstat: a file replaced by a symbolic link is no blob). */
static bool view_sealed(const pc_file_list *list) {
  for (size_t i = 0; i < list->count; i++) {
    struct stat st;
    if (lstat(list->items[i].source, &st) != 0 || !sealed(&st))
      return false;
  }
  return true;
}

/* Moves view `view` aside and removes it: a concurrent builder's rename
 * of a fresh one cannot collide with it. */
static aero_status drop_view(tp_store *store, const char *view,
                             aero_error *err) {
  char aside[PATH_MAX];
  snprintf(aside, sizeof aside, "%s/tmp/view-stale-XXXXXX", store->cache);
  if (mkdtemp(aside) == NULL)
    return aero_fail(err, pc_errno_status(errno, AERO_E_IO),
                     "tracker-postgres: cannot create a folder in %s: %s",
                     store->cache, strerror(errno));
  char inside[PATH_MAX + 8];
  snprintf(inside, sizeof inside, "%s/v", aside);
  aero_status status = AERO_OK;
  if (rename(view, inside) != 0 && errno != ENOENT)
    status = aero_fail(err, pc_errno_status(errno, AERO_E_IO),
                       "tracker-postgres: cannot replace the damaged view "
                       "%s: %s",
                       view, strerror(errno));
  pc_remove_tree(aside);
  return status;
}

aero_status tp_materialize(void *handle, int64_t version_id,
                           aero_backend_file_fn each, void *ctx,
                           char *directory, size_t directory_size,
                           aero_error *err) {
  tp_store *store = handle;
  char view[PATH_MAX];
  snprintf(view, sizeof view, "%s/views/%s/%lld", store->cache, store->view_ns,
           (long long)version_id);
  pthread_mutex_lock(&store->lock);
  aero_status status = AERO_OK;
  /* One listing of a cached view serves both its seal check and the
   * caller; the view is listed again only when it was built again. A view
   * that cannot be listed is as untrusted as one whose seal is broken. */
  pc_file_list list = {0};
  struct stat st;
  bool exists = stat(view, &st) == 0 && S_ISDIR(st.st_mode);
  if (exists &&
      (view_files(view, &list, NULL) != AERO_OK || !view_sealed(&list))) {
    pc_file_list_free(&list);
    list = (pc_file_list){0};
    status = drop_view(store, view, err);
    exists = false;
  }
  if (status == AERO_OK && !exists) {
    status = build_view(store, version_id, view, err);
    if (status == AERO_OK) {
      evict(store, view);
      status = view_files(view, &list, err);
    }
  }
  pthread_mutex_unlock(&store->lock);
  if (status == AERO_OK && strlen(view) >= directory_size)
    status = aero_fail(err, AERO_E_INVALID,
                       "tracker-postgres: cache path %s is too long", view);
  if (status == AERO_OK)
    memcpy(directory, view, strlen(view) + 1);
  /* A caller that wants the folder only passes no callback. */
  for (size_t i = 0; status == AERO_OK && each != NULL && i < list.count; i++)
    each(ctx, list.items[i].source);
  pc_file_list_free(&list);
  return status;
}
