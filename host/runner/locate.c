#include "locate.h"

#include "aeu.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Set by host/runner/CMakeLists.txt. */
#ifndef AERO_RUNNER_BUILD_BIN_DIR
#error "AERO_RUNNER_BUILD_BIN_DIR must be defined"
#endif

static int is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int is_executable(const char *path) {
  return is_file(path) && access(path, X_OK) == 0;
}

/* The folder of `path`, as a new string. */
static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (slash == NULL)
    return strdup(".");
  return strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

/* Strips `rel` ("bin", "lib/x86_64-linux-gnu") off the end of `dir` to find
 * the install prefix; falls back to the parent folder. */
static char *prefix_of(const char *dir, const char *rel) {
  size_t dl = strlen(dir), rl = strlen(rel);
  if (rel[0] != '/' && dl > rl && strcmp(dir + dl - rl, rel) == 0 &&
      dir[dl - rl - 1] == '/')
    return strndup(dir, dl - rl - 1 ? dl - rl - 1 : 1);
  return dir_of(dir);
}

aero_status aeh_layout_find(aeh_layout *out, aero_error *err) {
  aero_status st = AERO_OK;
  aeh_layout l = {0};
  char exe[PATH_MAX], build_bin[PATH_MAX];
  char *prefix = NULL;

  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n < 0) {
    st = aeh_error_set(err, AERO_E_IO, "cannot find the aeromancy binary: %s",
                       strerror(errno));
    goto done;
  }
  exe[n] = '\0';
  l.exe_dir = dir_of(exe);
  l.in_build_tree = l.exe_dir != NULL &&
                    realpath(AERO_RUNNER_BUILD_BIN_DIR, build_bin) != NULL &&
                    strcmp(build_bin, l.exe_dir) == 0;
  if (l.in_build_tree) {
    l.context_dir = strdup(AERO_RUNNER_SOURCE_DIR);
    l.cmake_dir = strdup(AERO_RUNNER_BUILD_PACKAGE_DIR);
  } else if (l.exe_dir != NULL) {
    prefix = prefix_of(l.exe_dir, AERO_RUNNER_REL_BINDIR);
    if (prefix != NULL && asprintf(&l.context_dir, "%s/%s/aeromancy", prefix,
                                   AERO_RUNNER_REL_DATADIR) < 0)
      l.context_dir = NULL;
    if (prefix != NULL && asprintf(&l.cmake_dir, "%s/%s/cmake/Aeromancy",
                                   prefix, AERO_RUNNER_REL_LIBDIR) < 0)
      l.cmake_dir = NULL;
  }
  const char *data = getenv("AEROMANCY_DATA_DIR");
  if (data != NULL && data[0] != '\0') {
    free(l.context_dir);
    l.context_dir = strdup(data);
  }
  if (l.context_dir == NULL || l.cmake_dir == NULL) {
    st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
    goto done;
  }

  char dockerfile[PATH_MAX];
  snprintf(dockerfile, sizeof dockerfile, "%s/Dockerfile", l.context_dir);
  if (!is_file(dockerfile)) {
    st = aeh_error_set(err, AERO_E_NOT_FOUND,
                       "%s: not found: aeromancy's image recipe is missing "
                       "(reinstall aeromancy, or set AEROMANCY_DATA_DIR)",
                       dockerfile);
    goto done;
  }
  *out = l;
  l = (aeh_layout){0};
done:
  free(prefix);
  aeh_layout_free(&l);
  return st;
}

void aeh_layout_free(aeh_layout *layout) {
  free(layout->exe_dir);
  free(layout->context_dir);
  free(layout->cmake_dir);
  *layout = (aeh_layout){0};
}

aero_status aeh_which(const char *name, char **out, aero_error *err) {
  char path[PATH_MAX];
  const char *env_path = getenv("PATH");
  if (env_path == NULL)
    env_path = "/usr/local/bin:/usr/bin:/bin";
  for (const char *p = env_path; *p;) {
    size_t len = strcspn(p, ":");
    if (len > 0 &&
        snprintf(path, sizeof path, "%.*s/%s", (int)len, p, name) <
            (int)sizeof path &&
        is_executable(path)) {
      *out = strdup(path);
      return *out ? AERO_OK : aeh_error_set(err, AERO_E_NOMEM, "out of memory");
    }
    p += len + (p[len] == ':');
  }
  return aeh_error_set(err, AERO_E_NOT_FOUND, "%s not found in PATH", name);
}

aero_status aeh_layout_aerohost(const aeh_layout *layout, char **out,
                                aero_error *err) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/aerohost", layout->exe_dir);
  if (is_executable(path)) {
    *out = strdup(path);
    return *out ? AERO_OK : aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  }
  if (aeh_which("aerohost", out, err) == AERO_OK)
    return AERO_OK;
  return aeh_error_set(err, AERO_E_NOT_FOUND,
                       "aerohost not found next to aeromancy (%s) nor in "
                       "PATH",
                       layout->exe_dir);
}

aero_status aeh_mkdirs(const char *path, unsigned mode, aero_error *err) {
  int rc = aeu_mkdirs(path, mode);
  if (rc != 0)
    return aeh_error_set(err, AERO_E_IO, "cannot create %s: %s", path,
                         strerror(rc));
  return AERO_OK;
}

aero_status aeh_layout_cache_dir(char **out, aero_error *err) {
  char *dir = NULL;
  const char *xdg = getenv("XDG_CACHE_HOME");
  const char *home = getenv("HOME");
  int rc;
  if (xdg != NULL && xdg[0] == '/')
    rc = asprintf(&dir, "%s/aeromancy", xdg);
  else if (home != NULL && home[0] != '\0')
    rc = asprintf(&dir, "%s/.cache/aeromancy", home);
  else
    return aeh_error_set(err, AERO_E_CONFIG,
                         "neither XDG_CACHE_HOME nor HOME is set: no place "
                         "for the plugin's build folder");
  if (rc < 0)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  aero_status st = aeh_mkdirs(dir, 0700, err);
  if (st != AERO_OK) {
    free(dir);
    return st;
  }
  *out = dir;
  return AERO_OK;
}

static int remove_entry(const char *path, const struct stat *sb, int type,
                        struct FTW *ftw) {
  (void)sb;
  (void)ftw;
  int rc = type == FTW_DP ? rmdir(path) : unlink(path);
  return rc != 0 && errno != ENOENT ? -1 : 0;
}

aero_status aeh_remove_tree(const char *path, aero_error *err) {
  struct stat st;
  if (lstat(path, &st) != 0)
    return AERO_OK;
  if (nftw(path, remove_entry, 32, FTW_DEPTH | FTW_PHYS) != 0)
    return aeh_error_set(err, AERO_E_IO, "cannot remove %s: %s", path,
                         strerror(errno));
  return AERO_OK;
}
