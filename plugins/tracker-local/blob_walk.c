/* tracker-local: walking the blob folders (blobs/aa/...), for fsck's
 * orphan count and gc's temp files and unreferenced blobs. */
#include "local.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

aero_status tl_blob_walk(tl_store *store, tl_blob_walk_fn fn, void *ctx) {
  char root[TL_ROOT_MAX + 16];
  snprintf(root, sizeof root, "%s/blobs", store->root);
  DIR *top = opendir(root);
  if (top == NULL)
    return AERO_OK;
  aero_status status = AERO_OK;
  struct dirent *d;
  while (status == AERO_OK && (d = readdir(top)) != NULL) {
    if (strlen(d->d_name) != 2)
      continue;
    char sub[TL_ROOT_MAX + 32];
    snprintf(sub, sizeof sub, "%s/%.2s", root, d->d_name);
    DIR *in = opendir(sub);
    struct dirent *e;
    while (status == AERO_OK && in != NULL && (e = readdir(in)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
        continue;
      char path[TL_ROOT_MAX + 300];
      snprintf(path, sizeof path, "%s/%s", sub, e->d_name);
      /* A blob's name is its digest: the folder's two digits, then 62. */
      char hex[65] = "";
      if (e->d_name[0] != '.' && strlen(e->d_name) == 62)
        snprintf(hex, sizeof hex, "%.2s%.62s", d->d_name, e->d_name);
      status = fn(ctx, hex[0] != '\0' ? hex : NULL, path, e->d_name);
    }
    if (in != NULL)
      closedir(in);
  }
  closedir(top);
  return status;
}
