/* tracker-local: the plugin entry, its backend vtable, open and close. */
#include "local.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void store_free(tl_store *store) {
  tl_declared_forget(store);
  if (store->blobs_fd >= 0)
    close(store->blobs_fd);
  free(store->db_path);
  free(store->root);
  free(store);
}

/* Creates the folder and its subfolders, then checks that it can be written
 * to: a read-only store is reported once, naming the folder, rather than as
 * a SQLite error later. */
static aero_status prepare_folder(const char *location, char **root_out,
                                  aero_error *err) {
  int rc = tl_mkdirs(location);
  if (rc != 0)
    return aero_fail(
        err, rc == EACCES || rc == EROFS ? AERO_E_STORE : AERO_E_IO,
        "cannot create store folder %s: %s", location, strerror(rc));
  char *root = realpath(location, NULL);
  if (root == NULL)
    return aero_fail(err, AERO_E_IO, "store folder %s: %s", location,
                     strerror(errno));
  aero_status status = AERO_OK;
  /* Leaves room for blob, view and temp names under it. */
  if (strlen(root) > TL_ROOT_MAX) {
    status = aero_fail(err, AERO_E_INVALID,
                       "store folder %.60s... is longer than %d bytes", root,
                       TL_ROOT_MAX);
    goto fail;
  }
  if (access(root, W_OK | X_OK) != 0) {
    status = aero_fail(err, AERO_E_STORE, "store folder %s is not writable: %s",
                       root, strerror(errno));
    goto fail;
  }
  static const char *const subdirs[] = {"blobs", "views", "tmp"};
  for (size_t i = 0; i < sizeof subdirs / sizeof subdirs[0]; i++) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", root, subdirs[i]);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
      status = aero_fail(err, tl_errno_status(errno, AERO_E_STORE),
                         "cannot create %s: %s", path, strerror(errno));
      goto fail;
    }
  }
  *root_out = root;
  return AERO_OK;
fail:
  free(root);
  return status;
}

/* A store that must exist already (readers never create one): its folder
 * and database are there, and nothing is created or checked for writing. */
static aero_status existing_folder(const char *location, char **root_out,
                                   aero_error *err) {
  char *root = realpath(location, NULL);
  struct stat st;
  /* Only a store that is not there is "nothing recorded": one this user
   * may not read (a folder of another user's) is said to be so. */
  if (root == NULL && errno != ENOENT && errno != ENOTDIR)
    return aero_fail(err, AERO_E_STORE, "cannot read the store at %s: %s",
                     location, strerror(errno));
  if (root == NULL || strlen(root) > TL_ROOT_MAX) {
    free(root);
    return aero_fail(err, AERO_E_NOT_FOUND,
                     "no store at %s (nothing was recorded there yet)",
                     location);
  }
  char db[PATH_MAX];
  snprintf(db, sizeof db, "%s/aeromancy.db", root);
  int rc = stat(db, &st) == 0 ? 0 : errno;
  if (rc != 0 && rc != ENOENT && rc != ENOTDIR) {
    aero_status status =
        aero_fail(err, AERO_E_STORE, "cannot read the store at %s: %s", root,
                  strerror(rc));
    free(root);
    return status;
  }
  if (rc != 0 || !S_ISREG(st.st_mode)) {
    aero_status status = aero_fail(
        err, AERO_E_NOT_FOUND,
        "no store at %s: it has no aeromancy.db (nothing was recorded there "
        "yet)",
        root);
    free(root);
    return status;
  }
  /* Empty: told before SQLite opens it, which would write its header. */
  if (st.st_size == 0) {
    aero_status status = tl_no_record(root, err);
    free(root);
    return status;
  }
  *root_out = root;
  return AERO_OK;
}

static aero_status tl_open(const aero_backend_open_params *params, void **out,
                           aero_error *err) {
  if (params == NULL || params->location == NULL || params->location[0] == '\0')
    return aero_fail(err, AERO_E_INVALID,
                     "tracker-local: the store location (a folder) is empty");
  tl_store *store = calloc(1, sizeof *store);
  if (store == NULL)
    return aero_fail(err, AERO_E_NOMEM, "tracker-local: out of memory");
  store->owner_fd = -1;
  store->busy_gave_up_ms = -1;
  store->schema_fd = -1;
  store->blobs_fd = -1;
  aero_status status = tl_inline_limit(&store->inline_max, err);
  if (status != AERO_OK)
    goto fail;
  bool existing = pc_open_existing(params);
  store->existing = existing;
  status = existing ? existing_folder(params->location, &store->root, err)
                    : prepare_folder(params->location, &store->root, err);
  if (status != AERO_OK)
    goto fail;
  store->db_path = tl_strdup_printf("%s/aeromancy.db", store->root);
  if (store->db_path == NULL) {
    status = aero_fail(err, AERO_E_NOMEM, "tracker-local: out of memory");
    goto fail;
  }
  status = tl_store_connect(store, err);
  if (status != AERO_OK)
    goto fail;
  store->pid = getpid();
  *out = store;
  return AERO_OK;
fail:
  store_free(store);
  return status;
}

static void tl_close(void *handle) {
  tl_store *store = handle;
  if (store == NULL)
    return;
  /* A handle inherited over fork shares the parent's SQLite file locks and
   * WAL index: closing it here could disturb the parent, so it is only
   * forgotten. The host never does this; the check is a safety net. */
  if (store->pid == getpid()) {
    tl_owner_release(store);
    tl_db_close(store);
  }
  store_free(store);
}

static const aero_backend_vtable local_backend = {
    .struct_size = sizeof(aero_backend_vtable),
    .name = "local",
    .open = tl_open,
    .close = tl_close,
    .run_begin = tl_run_begin,
    .run_end = tl_run_end,
    .resolve = tl_resolve,
    .record_input = tl_record_input,
    .materialize = tl_materialize,
    .put_output = tl_put_output,
    .log_metrics = tl_log_metrics,
    .log_text = tl_log_text,
    .log_metric_rows = tl_log_metric_rows,
    .query_runs = tl_query_runs,
    .query_run = tl_query_run,
    .query_metrics = tl_query_metrics,
    .query_versions = tl_query_versions,
    .query_files = tl_query_files,
    .check = tl_check,
    .collect = tl_collect,
    .reuse_key = tl_reuse_key,
    .reuse_find = tl_reuse_find,
    .reuse_record = tl_reuse_record,
    .query_metadata = tl_query_metadata,
    .reuse_record_batch = tl_reuse_record_batch,
    .reuse_find_batch = tl_reuse_find_batch,
    .settle_dead = tl_settle_dead,
};

static aero_status local_init(aero_registrar *reg, aero_error *err) {
  /* aerohost uses each handle from one thread (it has no worker threads),
   * but a reader such as `aeromancy ui` may open handles in several
   * threads. Handles are opened SQLITE_OPEN_NOMUTEX (multi-thread mode),
   * which is safe only in a SQLite built with thread support: Debian's
   * is; check rather than assume. */
  if (sqlite3_threadsafe() == 0)
    return aero_fail(err, AERO_E_UNSUPPORTED,
                     "tracker-local: SQLite %s was built without thread "
                     "support",
                     sqlite3_libversion());
  return aero_register_backend(reg, &local_backend, err);
}

AERO_PLUGIN(AERO_PLUGIN_BACKEND, "tracker-local", AERO_SDK_VERSION, local_init)
