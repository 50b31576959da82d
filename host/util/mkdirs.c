#include "aeu.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int aeu_mkdirs(const char *path, unsigned mode) {
  char buf[PATH_MAX];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
    return ENAMETOOLONG;
  size_t len = strlen(buf);
  while (len > 1 && buf[len - 1] == '/')
    buf[--len] = '\0';
  /* The whole path first: its parents usually exist (an action's scratch
   * folder, made once per action), and one call then does it. */
  struct stat st;
  if (mkdir(buf, (mode_t)mode) == 0)
    return 0;
  if (errno == EEXIST)
    return stat(buf, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
  if (errno != ENOENT)
    return errno;
  /* Each prefix in turn; EEXIST is fine until the last, which must be a
   * folder. */
  for (char *p = buf + 1;; p++) {
    if (*p != '/' && *p != '\0')
      continue;
    char saved = *p;
    *p = '\0';
    if (mkdir(buf, (mode_t)mode) != 0 && errno != EEXIST)
      return errno;
    *p = saved;
    if (saved == '\0')
      break;
  }
  if (stat(buf, &st) != 0)
    return errno;
  return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

int aeu_mkdirs_parent(const char *path, unsigned mode) {
  char buf[PATH_MAX];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
    return ENAMETOOLONG;
  char *slash = strrchr(buf, '/');
  if (slash == NULL || slash == buf)
    return 0;
  *slash = '\0';
  return aeu_mkdirs(buf, mode);
}
