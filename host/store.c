/* Opening a store: finding and loading its backend plugin, choosing the
 * location, and keeping one backend handle per process. */
#include "store.h"
#include "names.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "loader.h"

struct aeh_store {
  char *name;                    /* the backend's, e.g. "local" */
  char *backend_path;            /* its plugin file */
  aeh_plugin *plugin;            /* NULL until aeh_store_connect */
  const aero_backend_vtable *vt; /* owned by `plugin` */
  char *location;                /* absolute, as handed to the backend */
  char *shown;                   /* `location` without a password */
  void *handle;                  /* this process's handle, or NULL */
  pid_t owner;                   /* the process `handle` belongs to */
  uint32_t open_flags;           /* AERO_OPEN_* for the backend's open */
  bool as_abi_1_4;               /* tests: begin runs as for a 1.4 backend */
};

/* The multiarch library folder Debian installs into, relative to the
 * prefix, for the look-up next to an installed aerohost. */
#if defined(__x86_64__)
#define AEH_MULTIARCH "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define AEH_MULTIARCH "aarch64-linux-gnu"
#elif defined(__i386__)
#define AEH_MULTIARCH "i386-linux-gnu"
#elif defined(__arm__)
#define AEH_MULTIARCH "arm-linux-gnueabihf"
#elif defined(__riscv) && __riscv_xlen == 64
#define AEH_MULTIARCH "riscv64-linux-gnu"
#else
#define AEH_MULTIARCH ""
#endif

static char *dup_printf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static char *dup_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *out = NULL;
  if (vasprintf(&out, fmt, ap) < 0)
    out = NULL;
  va_end(ap);
  return out;
}

static bool try_dir(const char *dir, const char *file, char *out, size_t size) {
  if (dir == NULL || dir[0] == '\0')
    return false;
  if (snprintf(out, size, "%s/%s", dir, file) >= (int)size)
    return false;
  struct stat st;
  return stat(out, &st) == 0 && S_ISREG(st.st_mode);
}

/* Finds tracker-<name>.so: in $AEROMANCY_PLUGIN_PATH (a colon list), then
 * only relative to the running executable, never at a path compiled in (an
 * installed aerohost must not load the backends of the build tree it was
 * built in): an installed one's PREFIX/LIBDIR/aeromancy/plugins
 * (AERO_PLUGIN_REL_DIR from its bindir, then lib/ and the multiarch
 * libdir, so that a moved or repackaged install finds its own), or, run
 * from its build tree (which holds CMakeCache.txt), that tree's plugins. */
static aero_status find_backend(const char *name, const char *origin, char *out,
                                size_t size, aero_error *err) {
  char file[128];
  snprintf(file, sizeof file, "tracker-%s.so", name);
  const char *path = getenv("AEROMANCY_PLUGIN_PATH");
  if (path != NULL) {
    char *copy = strdup(path);
    if (copy == NULL)
      return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
    bool found = false;
    char *save = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir != NULL && !found;
         dir = strtok_r(NULL, ":", &save))
      found = try_dir(dir, file, out, size);
    free(copy);
    if (found)
      return AERO_OK;
  }
  char exe[PATH_MAX] = "";
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  char *slash = n > 0 ? (exe[n] = '\0', strrchr(exe, '/')) : NULL;
  if (slash != NULL) {
    *slash = '\0';
    char dir[PATH_MAX + 64];
    snprintf(dir, sizeof dir, "%s/" AERO_BUILD_TREE_REL_DIR "/CMakeCache.txt",
             exe);
    struct stat st;
    bool build_tree = stat(dir, &st) == 0;
    const char *const installed[] = {
        AERO_PLUGIN_REL_DIR, "../lib/aeromancy/plugins",
        "../lib/" AEH_MULTIARCH "/aeromancy/plugins"};
    for (size_t i = 0; !build_tree && i < 3; i++)
      if (snprintf(dir, sizeof dir, "%s/%s", exe, installed[i]) <
              (int)sizeof dir &&
          try_dir(dir, file, out, size))
        return AERO_OK;
    if (build_tree &&
        snprintf(dir, sizeof dir, "%s/" AERO_PLUGIN_BUILD_REL_DIR, exe) <
            (int)sizeof dir &&
        try_dir(dir, file, out, size))
      return AERO_OK;
  }
  return aeh_error_set(err, AERO_E_NOT_FOUND,
                       "%s: tracker backend '%s' not found: no %s in "
                       "$AEROMANCY_PLUGIN_PATH nor beside %s (in "
                       "%s/" AERO_PLUGIN_REL_DIR "; set "
                       "AEROMANCY_PLUGIN_PATH to the folder that holds it)",
                       origin, name, file, slash ? exe : "aerohost",
                       slash ? exe : "BINDIR");
}

static const char *home_dir(void) {
  const char *home = getenv("HOME");
  if (home != NULL && home[0] != '\0')
    return home;
  struct passwd *pw = getpwuid(getuid());
  return pw != NULL ? pw->pw_dir : NULL;
}

/* aeromancy.ini ($AEROMANCY_CONFIG, else the one in `project_dir`, NULL:
 * the current folder); a missing file is an empty one. */
static aero_status load_config(const char *project_dir, aeh_config *cfg,
                               aero_error *err) {
  char path[PATH_MAX];
  if (aeh_config_default_path(project_dir, path, sizeof path, err) == NULL)
    return AERO_E_CONFIG;
  return aeh_config_load(path, 0, cfg, err);
}

/* "~/x" becomes "$HOME/x"; a relative path in aeromancy.ini is relative to
 * the file's folder, not to wherever aerohost was started. */
static aero_status config_location(const char *project_dir, char **out,
                                   aero_error *err) {
  aeh_config cfg;
  aero_status status = load_config(project_dir, &cfg, err);
  if (status != AERO_OK)
    return status;
  const char *value = aeh_config_get(&cfg, "store", "path");
  /* [store] url: a location that is not a folder, taken as written. */
  const char *url = aeh_config_get(&cfg, "store", "url");
  if ((value == NULL || value[0] == '\0') && url != NULL && url[0] != '\0') {
    *out = strdup(url);
    aeh_config_free(&cfg);
    return *out != NULL ? AERO_OK
                        : aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  }
  char *location = NULL;
  if (value != NULL && value[0] != '\0') {
    const char *home = home_dir();
    if (strncmp(value, "~/", 2) == 0 && home != NULL) {
      location = dup_printf("%s/%s", home, value + 2);
    } else if (value[0] != '/' && cfg.path != NULL &&
               strchr(cfg.path, '/') != NULL) {
      const char *slash = strrchr(cfg.path, '/');
      location =
          dup_printf("%.*s/%s", (int)(slash - cfg.path), cfg.path, value);
    } else {
      location = strdup(value);
    }
    if (location == NULL)
      status = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  }
  aeh_config_free(&cfg);
  if (status == AERO_OK)
    *out = location;
  return status;
}

static char *absolute_location(const char *location);

static aero_status choose_location(const char *explicit,
                                   const char *project_dir, char **out,
                                   aero_error *err) {
  /* Given, but empty (`--store "$UNSET"`, an empty FROM or TO): not "the
   * default", which would read or write another store than the one meant. */
  if (explicit != NULL && explicit[0] == '\0')
    return aeh_error_set(err, AERO_E_INVALID, "%s", AEH_STORE_EMPTY_LOCATION);
  if (explicit != NULL)
    return (*out = strdup(explicit)) != NULL
               ? AERO_OK
               : aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  const char *env = getenv("AEROMANCY_STORE");
  if (env != NULL && env[0] != '\0')
    return (*out = strdup(env)) != NULL
               ? AERO_OK
               : aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  char *from_config = NULL;
  aero_status status = config_location(project_dir, &from_config, err);
  if (status != AERO_OK)
    return status;
  if (from_config != NULL) {
    *out = from_config;
    return AERO_OK;
  }
  const char *xdg = getenv("XDG_DATA_HOME");
  char *location = NULL;
  if (xdg != NULL && xdg[0] == '/') {
    location = dup_printf("%s/aeromancy", xdg);
  } else {
    const char *home = home_dir();
    if (home == NULL)
      return aeh_error_set(err, AERO_E_CONFIG,
                           "no store location: set AEROMANCY_STORE, [store] "
                           "path in aeromancy.ini, or HOME");
    location = dup_printf("%s/.local/share/aeromancy", home);
  }
  if (location == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  *out = location;
  return AERO_OK;
}

/* The loader has checked the vtable (registered, every required member
 * present: aeh_registrar_add_backend); what is left is whether it is the
 * backend that was asked for. */
static aero_status check_name(const char *path, const aero_backend_vtable *vt,
                              const char *name, aero_error *err) {
  if (strcmp(vt->name, name) != 0)
    return aeh_error_set(err, AERO_E_INVALID,
                         "%s: registers backend '%s', expected '%s'", path,
                         vt->name, name);
  return AERO_OK;
}

aero_status aeh_store_choose_location(const char *explicit,
                                      const char *project_dir, char **out,
                                      aero_error *err) {
  char *chosen = NULL;
  aero_status status = choose_location(explicit, project_dir, &chosen, err);
  if (status != AERO_OK)
    return status;
  *out = absolute_location(chosen);
  free(chosen);
  return *out != NULL ? AERO_OK
                      : aeh_error_set(err, AERO_E_NOMEM, "out of memory");
}

/* `location` named absolutely, so that scratch folders handed to actions
 * do not depend on their current folder: resolved when it exists, else
 * joined to the current folder (the backend creates it). */
/* A URL (postgresql://...) or a connection string of key=value words
 * (host=... dbname=...): the backend's to read, never a path. */
bool aeh_store_location_is_url(const char *location) {
  size_t word = strspn(location, "abcdefghijklmnopqrstuvwxyz_");
  return strstr(location, "://") != NULL || (word > 0 && location[word] == '=');
}

aero_status aeh_store_location_check_shared(const char *location,
                                            aero_error *err) {
  if (aeh_store_location_is_url(location))
    return AERO_OK;
  return aeh_error_set(err, AERO_E_CONFIG,
                       "--executor slurm needs the team store (--backend "
                       "postgres --store postgresql://..., or [store] in "
                       "aeromancy.ini): the store %s is a folder on this "
                       "machine, which the jobs' nodes do not share",
                       location);
}

/* `location` fit to print: the password of a URL (scheme://user:PASSWORD@)
 * and any password=VALUE word or query parameter left out, so that the
 * summary line and messages never show a credential. */
char *aeh_store_location_shown(const char *location) {
  char *out = strdup(location);
  if (out == NULL || !aeh_store_location_is_url(location))
    return out;
  char *scheme = strstr(out, "://");
  if (scheme != NULL) {
    char *auth = scheme + 3;
    char *at = strchr(auth, '@');
    char *slash = strchr(auth, '/');
    char *colon = strchr(auth, ':');
    if (at != NULL && (slash == NULL || at < slash) && colon != NULL &&
        colon < at)
      memmove(colon, at, strlen(at) + 1);
  }
  for (char *p = out; (p = strstr(p, "password=")) != NULL;) {
    bool word = p == out || p[-1] == ' ' || p[-1] == '?' || p[-1] == '&';
    if (!word) {
      p++;
      continue;
    }
    char *end = p + 9;
    if (*end == '\'') {
      for (end++; *end != '\0' && *end != '\''; end += *end == '\\' ? 2 : 1)
        if (end[0] == '\\' && end[1] == '\0')
          break;
      if (*end == '\'')
        end++;
    } else {
      end += strcspn(end, " &");
    }
    end += strspn(end, " &");
    memmove(p, end, strlen(end) + 1);
  }
  return out;
}

static char *absolute_location(const char *location) {
  if (aeh_store_location_is_url(location))
    return strdup(location);
  char *resolved = realpath(location, NULL);
  if (resolved != NULL || location[0] == '/')
    return resolved != NULL ? resolved : strdup(location);
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof cwd) == NULL)
    return strdup(location);
  return dup_printf("%s/%s", cwd, location);
}

/* [store] blobs of aeromancy.ini reaches the backend (and the actions'
 * processes) as $AEROMANCY_BLOBS, which overrides it. */
static aero_status config_blobs(aero_error *err) {
  const char *set = getenv("AEROMANCY_BLOBS");
  if (set != NULL && set[0] != '\0')
    return AERO_OK;
  char path[PATH_MAX];
  if (aeh_config_default_path(NULL, path, sizeof path, err) == NULL)
    return AERO_E_CONFIG;
  aeh_config cfg;
  aero_status status = aeh_config_load(path, 0, &cfg, err);
  if (status != AERO_OK)
    return status;
  const char *blobs = aeh_config_get(&cfg, "store", "blobs");
  if (blobs != NULL && blobs[0] != '\0' &&
      setenv("AEROMANCY_BLOBS", blobs, 1) != 0)
    status = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  aeh_config_free(&cfg);
  return status;
}

/* The backend named by `[store] backend` in aeromancy.ini, into *out
 * (owned by the caller; NULL when the file names none), and where it was
 * named, "FILE:LINE: [store] backend", into `origin`. */
static aero_status config_backend(char **out, char *origin, size_t size,
                                  aero_error *err) {
  aeh_config cfg;
  aero_status status = load_config(NULL, &cfg, err);
  if (status != AERO_OK)
    return status;
  const aeh_config_entry *e = aeh_config_find(&cfg, "store", "backend");
  *out = NULL;
  if (e != NULL) {
    snprintf(origin, size, "%s:%d: [store] backend", cfg.path, e->line);
    if ((*out = strdup(e->value)) == NULL)
      status = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  }
  aeh_config_free(&cfg);
  return status;
}

/* aeh_store_prepare for a `backend` given by `given_by` (an option's
 * name, or what implied it), which a bad backend's message names. */
static aero_status prepare_as(const char *backend, const char *given_by,
                              const char *location, aeh_store **out,
                              aero_error *err) {
  char origin[PATH_MAX + 64];
  snprintf(origin, sizeof origin, "%s", given_by);
  char *configured = NULL;
  aero_status blobs = config_blobs(err);
  if (blobs != AERO_OK)
    return blobs;
  const char *env = getenv("AEROMANCY_BACKEND");
  if (backend == NULL && env != NULL && env[0] != '\0') {
    backend = env;
    snprintf(origin, sizeof origin, "$AEROMANCY_BACKEND");
  }
  if (backend == NULL) {
    aero_status status =
        config_backend(&configured, origin, sizeof origin, err);
    if (status != AERO_OK)
      return status;
    if (configured == NULL)
      snprintf(origin, sizeof origin, "the default backend");
  }
  const char *name = backend != NULL      ? backend
                     : configured != NULL ? configured
                                          : "local";
  if (!aeh_name_valid(name, 64)) {
    aero_status status = aeh_error_set(err, AERO_E_INVALID,
                                       "%s: invalid tracker backend name "
                                       "'%.60s': use A-Za-z0-9_.-",
                                       origin, name);
    free(configured);
    return status;
  }
  aeh_store *store = calloc(1, sizeof *store);
  if (store == NULL) {
    free(configured);
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  }
  char path[PATH_MAX];
  aero_status status = find_backend(name, origin, path, sizeof path, err);
  if (status == AERO_OK)
    status = aeh_store_choose_location(location, NULL, &store->location, err);
  if (status == AERO_OK) {
    store->name = strdup(name);
    store->backend_path = strdup(path);
    store->shown = store->location != NULL
                       ? aeh_store_location_shown(store->location)
                       : NULL;
    if (store->name == NULL || store->backend_path == NULL ||
        store->shown == NULL)
      status = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  }
  free(configured);
  if (status != AERO_OK) {
    aeh_store_close(store);
    return status;
  }
  *out = store;
  return AERO_OK;
}

aero_status aeh_store_prepare(const char *backend, const char *location,
                              aeh_store **out, aero_error *err) {
  return prepare_as(backend, "--backend", location, out, err);
}

/* Loads the backend plugin unless it is loaded. */
static aero_status load_backend(aeh_store *store, aero_error *err) {
  if (store->plugin != NULL)
    return AERO_OK;
  aero_status status = aeh_plugin_load(store->backend_path, AERO_PLUGIN_BACKEND,
                                       &store->plugin, err);
  if (status != AERO_OK)
    return status;
  store->vt = aeh_plugin_backend(store->plugin);
  status = check_name(store->backend_path, store->vt, store->name, err);
  if (status != AERO_OK) {
    aeh_plugin_unload(store->plugin);
    store->plugin = NULL;
    store->vt = NULL;
  }
  return status;
}

/* getpid(), asked of the kernel once per process: every access to the
 * store checks that its handle is this process's own, twice per reused
 * action (a system call each, 2% of an unchanged re-run). A forked child
 * forgets the parent's answer (pthread_atfork); without the handler it is
 * asked every time. */
static pid_t known_pid;
static bool pid_handler;

static void forget_pid(void) {
  known_pid = 0;
}

static pid_t self_pid(void) {
  if (known_pid != 0)
    return known_pid;
  if (!pid_handler)
    pid_handler = pthread_atfork(NULL, NULL, forget_pid) == 0;
  pid_t pid = getpid();
  if (pid_handler)
    known_pid = pid;
  return pid;
}

/* This process's own handle, opened now if the one it has belongs to the
 * process it was forked from (which it never touches). */
static aero_status own_handle(aeh_store *store, aero_error *err) {
  pid_t self = self_pid();
  if (store->handle != NULL && store->owner == self)
    return AERO_OK;
  store->handle = NULL;
  aero_backend_open_params params = {.struct_size = sizeof params,
                                     .location = store->location,
                                     .flags = store->open_flags};
  void *opened = NULL;
  aero_status status = store->vt->open(&params, &opened, err);
  if (status != AERO_OK)
    return status;
  store->handle = opened;
  store->owner = self;
  return AERO_OK;
}

aero_status aeh_store_connect(aeh_store *store, aero_error *err) {
  if (store->handle != NULL && store->owner == self_pid())
    return AERO_OK;
  aero_status status = load_backend(store, err);
  if (status == AERO_OK)
    status = own_handle(store, err);
  if (status != AERO_OK)
    return status;
  /* The folder exists now: its name without symbolic links. */
  char *resolved = realpath(store->location, NULL);
  char *shown = resolved != NULL ? strdup(resolved) : NULL;
  if (resolved != NULL && shown != NULL) {
    free(store->location);
    free(store->shown);
    store->location = resolved;
    store->shown = shown;
  } else {
    free(resolved);
  }
  return AERO_OK;
}

aero_status aeh_store_connect_existing(aeh_store *store, aero_error *err) {
  store->open_flags = AERO_OPEN_EXISTING;
  return aeh_store_connect(store, err);
}

aero_status aeh_store_open_as(const char *backend, const char *given_by,
                              const char *location, bool existing,
                              aeh_store **out, aero_error *err) {
  aeh_store *store = NULL;
  aero_status status = prepare_as(backend, given_by, location, &store, err);
  if (status == AERO_OK)
    status = existing ? aeh_store_connect_existing(store, err)
                      : aeh_store_connect(store, err);
  if (status != AERO_OK) {
    aeh_store_close(store);
    return status;
  }
  *out = store;
  return AERO_OK;
}

aero_status aeh_store_open(const char *backend, const char *location,
                           aeh_store **out, aero_error *err) {
  return aeh_store_open_as(backend, "--backend", location, false, out, err);
}

aero_status aeh_store_open_existing(const char *backend, const char *location,
                                    aeh_store **out, aero_error *err) {
  return aeh_store_open_as(backend, "--backend", location, true, out, err);
}

void aeh_store_close(aeh_store *store) {
  if (store == NULL)
    return;
  /* Only the process that opened a handle closes it; a child's inherited
   * copy is abandoned (see aeh_store_after_fork). */
  if (store->handle != NULL && store->owner == self_pid())
    store->vt->close(store->handle);
  free(store->location);
  free(store->shown);
  free(store->backend_path);
  free(store->name);
  if (store->plugin != NULL)
    aeh_plugin_unload(store->plugin);
  free(store);
}

const char *aeh_store_location(const aeh_store *store) {
  return store->shown;
}

/* Nothing a forked process does can be recorded without its parent: it
 * goes with the parent (also when the parent died before prctl took
 * effect). `parent` 0: no parent to follow. */
static void tie_to_parent(pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (parent != 0 && getppid() != parent)
    raise(SIGKILL);
}

void aeh_store_after_fork(aeh_store *store) {
  if (store == NULL)
    return;
  /* The parent's handle shares its connection and locks: using or closing
   * it here would disturb the parent. It is forgotten. */
  pid_t parent = store->owner;
  store->handle = NULL;
  /* This process's own children check against it in turn. */
  store->owner = self_pid();
  tie_to_parent(parent);
}

void aeh_store_tie_to_owner(aeh_store *store) {
  if (store != NULL)
    tie_to_parent(store->owner);
}

const aero_backend_vtable *aeh_store_backend(const aeh_store *store) {
  return store->vt;
}

bool aeh_store_begins_whole(const aeh_store *store) {
  return store->plugin != NULL && !store->as_abi_1_4 &&
         aeh_plugin_abi_minor(store->plugin) >= 5;
}

void aeh_store_begin_as_abi_1_4(aeh_store *store) {
  store->as_abi_1_4 = true;
}

aero_status aeh_store_handle(aeh_store *store, void **handle, aero_error *err) {
  aero_status status = own_handle(store, err);
  if (status == AERO_OK)
    *handle = store->handle;
  return status;
}

aero_status aeh_store_direct(aeh_store *store, const aero_backend_vtable **vt,
                             void **handle, aero_error *err) {
  aero_status status = load_backend(store, err);
  if (status == AERO_OK)
    status = own_handle(store, err);
  if (status == AERO_OK) {
    *vt = store->vt;
    *handle = store->handle;
  }
  return status;
}
