/* Small file-system helpers shared by the backend plugins. */
#include "plugin_common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Returns 0 when `name` is gone, else the first errno that kept a part of
 * it (removal goes on past it: best effort). */
static int remove_at(int dirfd, const char *name, int depth) {
  if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
    return 0;
  int first = errno; /* EISDIR for a folder, tried next */
  if (depth > 64)
    return first;
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOTDIR || errno == ELOOP ? first : errno;
  DIR *dir = fdopendir(fd);
  if (dir == NULL) {
    int e = errno;
    close(fd);
    return e;
  }
  int rc = 0;
  struct dirent *entry;
  while ((entry = readdir(dir)) != NULL) {
    if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
      continue;
    int e = remove_at(fd, entry->d_name, depth + 1);
    if (rc == 0)
      rc = e;
  }
  closedir(dir);
  if (unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT && rc == 0)
    rc = errno;
  return rc;
}

int pc_remove_tree(const char *path) {
  return remove_at(AT_FDCWD, path, 0);
}

void pc_fsync_dir(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return;
  fsync(fd);
  close(fd);
}

char *pc_strdup_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *out = NULL;
  if (vasprintf(&out, fmt, ap) < 0)
    out = NULL;
  va_end(ap);
  return out;
}

void pc_progress(const char *label, uint64_t done, uint64_t total) {
  if (aero_api != NULL && AERO_API_HAS(aero_api, progress) &&
      aero_api->progress != NULL)
    aero_api->progress(label, done, total);
}

aero_status pc_errno_status(int errnum, aero_status otherwise) {
  return errnum == ENOSPC || errnum == EDQUOT ? AERO_E_NOSPACE : otherwise;
}

int pc_write_all(int fd, const void *buf, size_t size) {
  const char *p = buf;
  while (size > 0) {
    ssize_t n = write(fd, p, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return n < 0 ? errno : EIO;
    p += n;
    size -= (size_t)n;
  }
  return 0;
}
