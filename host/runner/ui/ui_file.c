/* A file download, by digest (ui_api.h). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ui_api.h"

typedef struct find_ctx {
  const char *digest;
  char path[4096];   /* relative to the version's folder; "" until found */
  char full[4096];   /* the materialized file */
  char folder[4096]; /* the version's materialized folder */
} find_ctx;

static aero_status on_file(void *ctx, const aero_file_info *file,
                           aero_error *err) {
  (void)err;
  find_ctx *f = ctx;
  if (f->path[0] == '\0' && strcmp(file->sha256, f->digest) == 0)
    snprintf(f->path, sizeof f->path, "%s", file->path);
  return AERO_OK;
}

/* The materialized path of the file found, among the backend's. */
static void on_path(void *ctx, const char *path) {
  find_ctx *f = ctx;
  size_t n = strlen(path), m = strlen(f->path);
  if (f->full[0] == '\0' && n > m && path[n - m - 1] == '/' &&
      strcmp(path + n - m, f->path) == 0)
    snprintf(f->full, sizeof f->full, "%s", path);
}

enum MHD_Result aeh_ui_file(const aeh_ui_request *rq, const aeh_record *rec,
                            int64_t version_id, const char *digest) {
  aero_error err = AEH_ERROR_INIT;
  aero_status st = AEH_RECORD_NEED(rec, query_files, &err);
  if (st != AERO_OK)
    return aeh_ui_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s",
                              err.message);
  find_ctx f = {.digest = digest};
  st = rec->vt->query_files(rec->handle, version_id, on_file, &f, &err);
  if (st == AERO_OK && f.path[0] == '\0')
    return aeh_ui_reply_error(rq, MHD_HTTP_NOT_FOUND,
                              "version %lld has no file with SHA-256 %s",
                              (long long)version_id, digest);
  if (st == AERO_OK)
    st = rec->vt->materialize(rec->handle, version_id, on_path, &f, f.folder,
                              sizeof f.folder, &err);
  if (st == AERO_OK && f.full[0] == '\0')
    st = aeh_error_set(&err, AERO_E_NOT_FOUND,
                       "the store holds no file %s of version %lld", f.path,
                       (long long)version_id);
  if (st != AERO_OK)
    return aeh_ui_reply_error(rq,
                              st == AERO_E_NOT_FOUND
                                  ? MHD_HTTP_NOT_FOUND
                                  : MHD_HTTP_INTERNAL_SERVER_ERROR,
                              "%s", err.message);
  int fd = open(f.full, O_RDONLY | O_CLOEXEC);
  struct stat sb;
  if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    if (fd >= 0)
      close(fd);
    return aeh_ui_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR,
                              "cannot read the file of %s", digest);
  }
  const char *base = strrchr(f.path, '/');
  return aeh_ui_reply_fd(rq, fd, (uint64_t)sb.st_size,
                         base != NULL ? base + 1 : f.path);
}
