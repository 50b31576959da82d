/* tracker-local: put_output, storing the files of a declared output and
 * recording a pending version that run_end publishes.
 *
 * Files are hashed in one streaming pass and copied only when the store
 * lacks their blob, so re-declaring unchanged content copies nothing. A
 * small file (at most inline_max bytes) becomes a row of the database,
 * written in the version's own transaction (inline.c). The
 * version's digest is the SHA-256 of its sorted manifest: for each file,
 * its name in the artifact, a NUL, its blob's hex digest, a newline. Every
 * blob file is in place before the version row is written, and the rows
 * (with the small blobs) are one transaction: a failure at any point
 * records nothing.
 */
#include "local.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct put_ctx {
  tl_store *store;
  int64_t run_id;
  void **contents; /* per file: its bytes to store in the database, or NULL */
  size_t current;  /* the file being stored */
} put_ctx;

/* Reads the `size` bytes of a small file hashed as `hash` into a malloc'd
 * buffer, checking that they are still what was hashed: the row is
 * written later, from these bytes. */
static aero_status read_small(int fd, const pc_file *file, void **out,
                              aero_error *err) {
  char *buf = malloc(file->size + 1);
  if (buf == NULL)
    return aero_fail(err, AERO_E_NOMEM, "tracker-local: out of memory");
  size_t done = 0;
  while (done < file->size) {
    ssize_t n = pread(fd, buf + done, file->size - done, (off_t)done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    done += (size_t)n;
  }
  char hex[65] = "";
  if (done == file->size)
    tl_sha256_buf(buf, done, hex);
  if (strcmp(hex, file->hash) != 0) {
    free(buf);
    return aero_fail(err, AERO_E_IO,
                     "%s changed while it was being stored: declare it "
                     "once it is complete",
                     file->source);
  }
  *out = buf;
  return AERO_OK;
}

/* Stores the blob of a hashed file if the store lacks it: a small one is
 * read for put_inline, unless it is already a file (a store from before
 * schema 8). */
static aero_status put_blob(void *ctx_, const pc_file *file, int fd,
                            aero_error *err) {
  put_ctx *ctx = ctx_;
  if (file->size <= ctx->store->inline_max) {
    tl_blob_state state = TL_BLOB_MISSING;
    if (tl_blob_file_check(ctx->store, file->hash, file->size, false, &state,
                           NULL) == AERO_OK &&
        state == TL_BLOB_INTACT)
      return AERO_OK;
    return read_small(fd, file, &ctx->contents[ctx->current], err);
  }
  char *label = tl_strdup_printf("storing %s", file->name);
  bool copied = false;
  aero_status status =
      tl_blob_ensure(ctx->store, file->hash, ctx->run_id, fd, file->source,
                     file->size, label, &copied, err);
  free(label);
  return status;
}

/* The small blobs read by put_blob, as rows: inside the transaction that
 * records their version, so that they are as durable as it is and cost no
 * sync of their own. */
static aero_status put_inline(tl_store *store, const pc_file_list *list,
                              void *const *contents, aero_error *err) {
  aero_status status = AERO_OK;
  for (size_t i = 0; status == AERO_OK && i < list->count; i++)
    if (contents[i] != NULL)
      status = tl_inline_put(store, list->items[i].hash, contents[i],
                             (size_t)list->items[i].size, err);
  return status;
}

/* Records the pending version, or a link when the content is the latest
 * version's (links.c): replaces an earlier declaration of the same
 * artifact by this run, so the last declaration is the one published. */
static aero_status record_version(tl_store *store, int64_t run_id,
                                  const aero_artifact_ref *ref,
                                  const aero_output_desc *desc,
                                  const pc_file_list *list, const char *digest,
                                  aero_error *err) {
  bool dev = false;
  int64_t art = 0, version_id = 0;
  aero_status status = tl_run_mode(store, run_id, &dev, err);
  if (status == AERO_OK)
    status = tl_artifact_id(store, ref, &art, err);
  if (status == AERO_OK)
    status = tl_exec2(store,
                      "DELETE FROM versions WHERE run_id = ? AND "
                      "artifact_id = ? AND published = 0",
                      run_id, art, "replacing an earlier declaration", err);
  bool linked = false;
  if (status == AERO_OK)
    status =
        tl_link_record(store, run_id, art, dev, desc, digest, &linked, err);
  if (status != AERO_OK || linked)
    return status;
  return tl_version_insert(store, art, run_id, dev, desc, list, digest, -1,
                           &version_id, err);
}

aero_status tl_put_output(void *handle, int64_t run_id,
                          const aero_artifact_ref *ref,
                          const aero_output_desc *desc_in, aero_error *err) {
  tl_store *store = handle;
  aero_output_desc desc;
  char output[512];
  aero_status status = pc_output_begin("tracker-local", ref, desc_in, &desc,
                                       output, sizeof output, err);
  if (status != AERO_OK)
    return status;
  pc_file_list list = {0};
  status = pc_collect(output, &desc, &list, err);
  put_ctx ctx = {store, run_id, NULL, 0};
  if (status == AERO_OK && list.count > 0 &&
      (ctx.contents = calloc(list.count, sizeof *ctx.contents)) == NULL)
    status = aero_fail(err, AERO_E_NOMEM, "tracker-local: out of memory");
  for (size_t i = 0; status == AERO_OK && i < list.count; i++) {
    ctx.current = i;
    status = pc_store_file(&list.items[i], put_blob, &ctx, err);
  }
  char digest[65];
  if (status == AERO_OK)
    status = pc_manifest_digest(&list, digest, err);
  /* A small declaration of a run this handle began waits for the commit
   * of the run's end (declared.c); the list and bytes then change hands. */
  bool kept = false;
  if (status == AERO_OK)
    status = tl_declared_keep(store, run_id, ref, &desc, &list, ctx.contents,
                              digest, &kept, err);
  if (kept)
    ctx.contents = NULL;
  if (status == AERO_OK && !kept)
    status = tl_begin(store, err);
  if (status == AERO_OK && !kept) {
    status = put_inline(store, &list, ctx.contents, err);
    if (status == AERO_OK)
      status = record_version(store, run_id, ref, &desc, &list, digest, err);
    if (status == AERO_OK)
      status = tl_commit(store, err);
    if (status != AERO_OK)
      tl_rollback(store);
    else /* replaces a kept declaration of the artifact, if any */
      tl_declared_drop(store, run_id, ref);
  }
  for (size_t i = 0; ctx.contents != NULL && i < list.count; i++)
    free(ctx.contents[i]);
  free(ctx.contents);
  pc_file_list_free(&list);
  return status;
}
