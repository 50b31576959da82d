#include "loader.h"

#include "aeu.h"
#include "names.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_table.h"
#include "elf_check.h"
#include "load_guard.h"
#include "options.h"

/* Where a member ends: a struct whose struct_size reaches this has it. */
#define END_OF(type, member)                                                   \
  (offsetof(type, member) + sizeof(((type *)0)->member))

/* The sizes every ABI 1.x plugin fills: the structs as ABI 1.0 defined
 * them. Later minors only append, so these never change. */
#define INFO_SIZE_1_0 END_OF(aero_plugin_info, init)
#define BUILDER_SIZE_1_0 END_OF(aero_builder_vtable, destroy)
#define BACKEND_SIZE_1_0 END_OF(aero_backend_vtable, log_text)

/* Longest plugin, project or backend name we accept: the names rule's, as
 * a project name becomes a part of artifact references. */
#define NAME_MAX_LEN AEH_NAME_MAX
/* A name quoted in a message is cut here. */

/* A builder as the host keeps it: a host-sized copy whose strings and
 * option table are the host's own. */
typedef struct builder_copy {
  aero_builder_vtable vt;
} builder_copy;

struct aero_registrar {
  aeh_plugin *plugin;
  bool open;              /* true only while the plugin's init runs */
  aero_error first_error; /* the first rejected registration, if any */
};

struct aeh_plugin {
  char *path;    /* as given */
  char *name;    /* copied from the info block */
  char *version; /* copied from the info block */
  unsigned abi_major, abi_minor;
  aero_plugin_kind kind;
  void *handle; /* never dlclosed: see aeh_plugin_unload */
  builder_copy *builders;
  size_t builder_count;
  aero_backend_vtable *backend; /* host-sized copy; name owned */
  bool sha_tried;
  bool sha_ok;
  char sha256[65];
  struct aero_registrar reg; /* lives as long as the plugin */
};

static const char *kind_name(uint32_t kind) {
  switch (kind) {
  case AERO_PLUGIN_PROJECT:
    return "project";
  case AERO_PLUGIN_BACKEND:
    return "backend";
  default:
    return "unknown";
  }
}

/* What the file is before dlopen sees it: dlopen's own messages for a
 * directory or a text file are cryptic ("invalid ELF header"). */
static aero_status check_file(const char *path, aero_error *err) {
  struct stat st;
  if (stat(path, &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR)
      return aeh_error_set(err, AERO_E_NOT_FOUND, "%s: no such file", path);
    return aeh_error_set(err, AERO_E_IO, "%s: cannot read: %s", path,
                         strerror(errno));
  }
  if (S_ISDIR(st.st_mode))
    return aeh_error_set(err, AERO_E_INVALID,
                         "%s: is a directory, not a shared library", path);
  if (!S_ISREG(st.st_mode))
    return aeh_error_set(err, AERO_E_INVALID,
                         "%s: not a regular file, not a shared library", path);
  if (st.st_size == 0)
    return aeh_error_set(err, AERO_E_INVALID,
                         "%s: empty file, not a shared library", path);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return aeh_error_set(err, AERO_E_IO, "%s: cannot read: %s", path,
                         strerror(errno));
  unsigned char magic[4] = {0};
  ssize_t got = read(fd, magic, sizeof magic);
  int read_errno = errno;
  close(fd);
  if (got < 0)
    return aeh_error_set(err, AERO_E_IO, "%s: cannot read: %s", path,
                         strerror(read_errno));
  if (got < 4 || memcmp(magic,
                        "\x7f"
                        "ELF",
                        4) != 0)
    return aeh_error_set(err, AERO_E_INVALID,
                         "%s: not a shared library (no ELF header; is it a "
                         "text file?)",
                         path);
  return AERO_OK;
}

/* dlerror's text on one line, without the path it often starts with (we
 * print the path ourselves). */
static void dl_message(const char *path, const char *dl_path, char *buf,
                       size_t size) {
  const char *msg = dlerror();
  if (msg == NULL)
    msg = "unknown dynamic loader error";
  size_t plen = strlen(dl_path);
  if (strncmp(msg, dl_path, plen) == 0 && strncmp(msg + plen, ": ", 2) == 0)
    msg += plen + 2;
  else if (strncmp(msg, path, strlen(path)) == 0 &&
           strncmp(msg + strlen(path), ": ", 2) == 0)
    msg += strlen(path) + 2;
  snprintf(buf, size, "%s", msg);
  for (char *p = buf; *p != '\0'; p++) {
    if (*p == '\n' || *p == '\r')
      *p = ' ';
  }
}

static aero_status check_info(const aeh_plugin *p, const aero_plugin_info *info,
                              aero_plugin_kind kind, aero_error *err) {
  const char *path = p->path;
  char q[AEH_QUOTE_MAX + 8];
  if (info == NULL)
    return aeh_error_set(err, AERO_E_ABI,
                         "%s: " AERO_ENTRY_SYMBOL " returned no info block "
                         "(NULL; declare the plugin with AERO_PLUGIN)",
                         path);
  if (info->magic != AERO_PLUGIN_MAGIC)
    return aeh_error_set(err, AERO_E_ABI,
                         "%s: bad magic 0x%08" PRIX32 " in the plugin info "
                         "block (expected 0x%08X, \"AERO\"; declare the "
                         "plugin with AERO_PLUGIN)",
                         path, info->magic, AERO_PLUGIN_MAGIC);
  if (info->abi_major != AERO_ABI_MAJOR)
    return aeh_error_set(err, AERO_E_ABI,
                         "%s: plugin built for ABI %u.%u, but this host "
                         "speaks ABI %d.%d: rebuild the plugin against SDK "
                         "%d.x",
                         path, (unsigned)info->abi_major,
                         (unsigned)info->abi_minor, AERO_ABI_MAJOR,
                         AERO_ABI_MINOR, AERO_ABI_MAJOR);
  if (info->abi_minor > AERO_ABI_MINOR)
    return aeh_error_set(err, AERO_E_ABI,
                         "%s: plugin built for ABI %u.%u, newer than this "
                         "host's ABI %d.%d: upgrade aerohost, or rebuild the "
                         "plugin against SDK %d.%d",
                         path, (unsigned)info->abi_major,
                         (unsigned)info->abi_minor, AERO_ABI_MAJOR,
                         AERO_ABI_MINOR, AERO_ABI_MAJOR, AERO_ABI_MINOR);
  if (info->struct_size == 0 || info->struct_size < INFO_SIZE_1_0)
    return aeh_error_set(err, AERO_E_ABI,
                         "%s: plugin info block has struct_size %" PRIu32
                         " (expected at least %zu, its size in ABI 1.0; "
                         "declare the plugin with AERO_PLUGIN)",
                         path, info->struct_size, (size_t)INFO_SIZE_1_0);
  if (info->kind != (uint32_t)kind)
    return aeh_error_set(err, AERO_E_INVALID,
                         "%s: plugin is of kind %" PRIu32 " (%s), expected "
                         "a %s plugin (kind %d)",
                         path, info->kind, kind_name(info->kind),
                         kind_name(kind), (int)kind);
  if (info->name == NULL)
    return aeh_error_set(err, AERO_E_INVALID, "%s: plugin has no name", path);
  if (!aeh_name_valid(info->name, NAME_MAX_LEN))
    return aeh_error_set(err, AERO_E_INVALID,
                         "%s: plugin name '%s' is invalid (expected "
                         "[A-Za-z0-9_.-]+, at most %d characters)",
                         path, aeh_quote(info->name, q, sizeof q), NAME_MAX_LEN);
  if (info->init == NULL)
    return aeh_error_set(err, AERO_E_INVALID,
                         "%s: plugin '%s' has no init function", path,
                         info->name);
  return AERO_OK;
}

/* Rejects a registration: fills the plugin's `err` (so its init can pass
 * the message on) and remembers the first rejection for the loader. */
static aero_status reject(aero_registrar *reg, aero_error *err,
                          aero_status code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static aero_status reject(aero_registrar *reg, aero_error *err,
                          aero_status code, const char *fmt, ...) {
  char message[AERO_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  aeh_error_set_message(err, code, message);
  if (reg != NULL && reg->first_error.code == AERO_OK)
    aeh_error_set_message(&reg->first_error, code, message);
  return code;
}

static void free_builder(builder_copy *b) {
  free((char *)b->vt.project);
  free((char *)b->vt.description);
  aeh_options_free_table((aero_option *)b->vt.options, b->vt.option_count);
}

aero_status aeh_registrar_add_builder(aero_registrar *reg,
                                      const aero_builder_vtable *vtable,
                                      aero_error *err) {
  char q[AEH_QUOTE_MAX + 8];
  if (reg == NULL)
    return aeh_error_set(err, AERO_E_INVALID, "register_builder: no registrar");
  if (!reg->open)
    return reject(NULL, err, AERO_E_STATE,
                  "register_builder called after init returned (register "
                  "builders from the plugin's init only)");
  aeh_plugin *p = reg->plugin;
  if (p->kind != AERO_PLUGIN_PROJECT)
    return reject(reg, err, AERO_E_INVALID,
                  "a %s plugin cannot register builders", kind_name(p->kind));
  if (vtable == NULL)
    return reject(reg, err, AERO_E_INVALID, "register_builder: vtable is NULL");
  if (vtable->struct_size == 0 || vtable->struct_size < BUILDER_SIZE_1_0)
    return reject(reg, err, AERO_E_ABI,
                  "builder vtable has struct_size %" PRIu32 " (expected at "
                  "least %zu, its size in ABI 1.0; declare it with "
                  "AERO_BUILDER)",
                  vtable->struct_size, (size_t)BUILDER_SIZE_1_0);
  /* Members added by later minors read as NULL for older plugins; members
   * of newer plugins that this host does not know are ignored. */
  aero_builder_vtable vt;
  memset(&vt, 0, sizeof vt);
  memcpy(&vt, vtable,
         vtable->struct_size < sizeof vt ? vtable->struct_size : sizeof vt);
  vt.struct_size = sizeof vt;
  if (vt.project == NULL)
    return reject(reg, err, AERO_E_INVALID, "builder has no project name");
  if (!aeh_name_valid(vt.project, NAME_MAX_LEN))
    return reject(reg, err, AERO_E_INVALID,
                  "builder project name '%s' is invalid (expected "
                  "[A-Za-z0-9_.-]+, at most %d characters)",
                  aeh_quote(vt.project, q, sizeof q), NAME_MAX_LEN);
  if (vt.constructor == NULL)
    return reject(reg, err, AERO_E_INVALID, "builder '%s' has no constructor",
                  vt.project);
  if (vt.build_actions == NULL)
    return reject(reg, err, AERO_E_INVALID, "builder '%s' has no build_actions",
                  vt.project);
  for (size_t i = 0; i < p->builder_count; i++) {
    if (strcmp(p->builders[i].vt.project, vt.project) == 0)
      return reject(reg, err, AERO_E_INVALID,
                    "two builders are named '%s' (--builder picks one by "
                    "name)",
                    vt.project);
  }
  aero_error opt_err = AEH_ERROR_INIT;
  if (aeh_options_check_table(vt.options, vt.option_count, &opt_err) != AERO_OK)
    return reject(reg, err, opt_err.code, "builder '%s': %s", vt.project,
                  opt_err.message);

  builder_copy copy = {.vt = vt};
  aero_option *options = NULL;
  copy.vt.project = strdup(vt.project);
  copy.vt.description = vt.description ? strdup(vt.description) : NULL;
  copy.vt.options = NULL;
  bool failed = copy.vt.project == NULL ||
                (vt.description != NULL && copy.vt.description == NULL);
  if (!failed && aeh_options_copy_table(vt.options, vt.option_count, &options,
                                        &opt_err) != AERO_OK)
    failed = true;
  copy.vt.options = options;
  builder_copy *grown = NULL;
  if (!failed) {
    grown = realloc(p->builders, (p->builder_count + 1) * sizeof *grown);
    failed = grown == NULL;
  }
  if (failed) {
    free_builder(&copy);
    return reject(reg, err, AERO_E_NOMEM, "out of memory");
  }
  p->builders = grown;
  p->builders[p->builder_count++] = copy;
  return AERO_OK;
}

aero_status aeh_registrar_add_backend(aero_registrar *reg,
                                      const aero_backend_vtable *vtable,
                                      aero_error *err) {
  char q[AEH_QUOTE_MAX + 8];
  if (reg == NULL)
    return aeh_error_set(err, AERO_E_INVALID, "register_backend: no registrar");
  if (!reg->open)
    return reject(NULL, err, AERO_E_STATE,
                  "register_backend called after init returned (register "
                  "backends from the plugin's init only)");
  aeh_plugin *p = reg->plugin;
  if (p->kind != AERO_PLUGIN_BACKEND)
    return reject(reg, err, AERO_E_INVALID,
                  "a %s plugin cannot register a tracker backend",
                  kind_name(p->kind));
  if (p->backend != NULL)
    return reject(reg, err, AERO_E_INVALID,
                  "a backend plugin registers one backend, not two");
  if (vtable == NULL)
    return reject(reg, err, AERO_E_INVALID, "register_backend: vtable is NULL");
  if (vtable->struct_size == 0 || vtable->struct_size < BACKEND_SIZE_1_0)
    return reject(reg, err, AERO_E_ABI,
                  "backend vtable has struct_size %" PRIu32 " (expected at "
                  "least %zu, its size in ABI 1.0)",
                  vtable->struct_size, (size_t)BACKEND_SIZE_1_0);
  aero_backend_vtable vt;
  memset(&vt, 0, sizeof vt);
  memcpy(&vt, vtable,
         vtable->struct_size < sizeof vt ? vtable->struct_size : sizeof vt);
  vt.struct_size = sizeof vt;
  if (vt.name == NULL)
    return reject(reg, err, AERO_E_INVALID, "backend has no name");
  if (!aeh_name_valid(vt.name, NAME_MAX_LEN))
    return reject(reg, err, AERO_E_INVALID,
                  "backend name '%s' is invalid (expected [A-Za-z0-9_.-]+)",
                  aeh_quote(vt.name, q, sizeof q));
  /* Every member but log_text is required. */
  const struct {
    const char *name;
    bool present;
  } required[] = {
      {"open", vt.open != NULL},
      {"close", vt.close != NULL},
      {"run_begin", vt.run_begin != NULL},
      {"run_end", vt.run_end != NULL},
      {"resolve", vt.resolve != NULL},
      {"record_input", vt.record_input != NULL},
      {"materialize", vt.materialize != NULL},
      {"put_output", vt.put_output != NULL},
      {"log_metrics", vt.log_metrics != NULL},
  };
  for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
    if (!required[i].present)
      return reject(reg, err, AERO_E_INVALID, "backend '%s' has no %s", vt.name,
                    required[i].name);
  }
  aero_backend_vtable *copy = malloc(sizeof *copy);
  char *name = strdup(vt.name);
  if (copy == NULL || name == NULL) {
    free(name);
    free(copy);
    return reject(reg, err, AERO_E_NOMEM, "out of memory");
  }
  *copy = vt;
  copy->name = name;
  p->backend = copy;
  return AERO_OK;
}

static void free_plugin(aeh_plugin *p) {
  for (size_t i = 0; i < p->builder_count; i++)
    free_builder(&p->builders[i]);
  free(p->builders);
  if (p->backend != NULL)
    free((char *)p->backend->name);
  free(p->backend);
  free(p->version);
  free(p->name);
  free(p->path);
  free(p);
}

/* Runs the plugin's init with the registrar open, then checks that it
 * registered what its kind requires. */
static aero_status run_init(aeh_plugin *p, const aero_plugin_info *info,
                            aero_error *err) {
  aero_error init_err = AEH_ERROR_INIT;
  p->reg.plugin = p;
  p->reg.open = true;
  aero_status rc = info->init(aeh_host_api(), &p->reg, &init_err);
  p->reg.open = false;
  /* A rejected registration is the real cause even when init went on and
   * returned AERO_OK, or returned the message it was given. */
  if (p->reg.first_error.code != AERO_OK)
    return aeh_error_set(err, p->reg.first_error.code, "%s: %s", p->path,
                         p->reg.first_error.message);
  if (rc != AERO_OK) {
    if ((int)rc > 0)
      rc = AERO_E_INVALID;
    if (init_err.message[0] != '\0')
      return aeh_error_set(err, rc, "%s: init failed: %s", p->path,
                           init_err.message);
    return aeh_error_set(err, rc, "%s: init failed: %s (no message)", p->path,
                         aero_status_str(rc));
  }
  if (p->kind == AERO_PLUGIN_PROJECT && p->builder_count == 0)
    return aeh_error_set(err, AERO_E_INVALID,
                         "%s: project plugin '%s' registered no builder "
                         "(call aero_register_builder from its init)",
                         p->path, p->name);
  if (p->kind == AERO_PLUGIN_BACKEND && p->backend == NULL)
    return aeh_error_set(err, AERO_E_INVALID,
                         "%s: backend plugin '%s' registered no backend "
                         "(call aero_register_backend from its init)",
                         p->path, p->name);
  return AERO_OK;
}

aero_status aeh_plugin_load(const char *path, aero_plugin_kind kind,
                            aeh_plugin **out, aero_error *err) {
  aero_status rc = AERO_OK;
  aeh_plugin *p = NULL;
  char *dl_path = NULL;
  unsigned timeout_s = 0;
  if (path == NULL || path[0] == '\0')
    return aeh_error_set(err, AERO_E_INVALID, "no plugin path given");
  rc = aeh_load_guard_check(&timeout_s, err);
  if (rc == AERO_OK)
    rc = check_file(path, err);
  if (rc == AERO_OK)
    rc = aeh_elf_check(path, err);
  if (rc != AERO_OK)
    return rc;

  p = calloc(1, sizeof *p);
  if (p == NULL || (p->path = strdup(path)) == NULL) {
    rc = aeh_error_set(err, AERO_E_NOMEM, "%s: out of memory", path);
    goto fail;
  }
  p->kind = kind;
  /* Without a slash dlopen would search the library path instead of
   * opening the file we just checked. */
  size_t len = strlen(path);
  dl_path = malloc(len + 3);
  if (dl_path == NULL) {
    rc = aeh_error_set(err, AERO_E_NOMEM, "%s: out of memory", path);
    goto fail;
  }
  snprintf(dl_path, len + 3, "%s%s", strchr(path, '/') ? "" : "./", path);

  /* From here to init's return, plugin code runs in this process: */
  aeh_load_guard_begin(path, timeout_s);
  dlerror();
  p->handle = dlopen(dl_path, RTLD_NOW | RTLD_LOCAL);
  if (p->handle == NULL) {
    char msg[AERO_ERROR_MESSAGE_MAX];
    dl_message(path, dl_path, msg, sizeof msg);
    rc = aeh_error_set(err, AERO_E_INVALID, "%s: cannot load: %s", path, msg);
    goto fail;
  }
  dlerror();
  void *sym = dlsym(p->handle, AERO_ENTRY_SYMBOL);
  if (dlerror() != NULL || sym == NULL) {
    rc = aeh_error_set(err, AERO_E_INVALID,
                       "%s: not an aeromancy plugin (no " AERO_ENTRY_SYMBOL
                       " symbol; declare it with AERO_PLUGIN)",
                       path);
    goto fail;
  }
  aero_plugin_entry_fn entry;
  /* POSIX guarantees a function address survives the trip through void *. */
  memcpy(&entry, &sym, sizeof entry);
  const aero_plugin_info *info = entry();
  rc = check_info(p, info, kind, err);
  if (rc != AERO_OK)
    goto fail;
  p->name = strdup(info->name);
  p->version = strdup(info->version ? info->version : "");
  if (p->name == NULL || p->version == NULL) {
    rc = aeh_error_set(err, AERO_E_NOMEM, "%s: out of memory", path);
    goto fail;
  }
  p->abi_major = info->abi_major;
  p->abi_minor = info->abi_minor;
  rc = run_init(p, info, err);
  if (rc != AERO_OK)
    goto fail;
  aeh_load_guard_end();
  free(dl_path);
  *out = p;
  return AERO_OK;

fail:
  aeh_load_guard_end();
  /* The library stays mapped: dlclose would run its destructors, plugin
   * code we promised not to run after a failed check. */
  if (p != NULL)
    free_plugin(p);
  free(dl_path);
  return rc;
}

void aeh_plugin_unload(aeh_plugin *plugin) {
  /* No dlclose: destroy callbacks and code the plugin handed out (actions'
   * run and destroy, a backend's callbacks) must stay valid for the whole
   * process, and dlclose promises no unloading anyway. */
  if (plugin != NULL)
    free_plugin(plugin);
}

const char *aeh_plugin_path(const aeh_plugin *plugin) {
  return plugin->path;
}
const char *aeh_plugin_name(const aeh_plugin *plugin) {
  return plugin->name;
}
const char *aeh_plugin_version(const aeh_plugin *plugin) {
  return plugin->version;
}
unsigned aeh_plugin_abi_major(const aeh_plugin *plugin) {
  return plugin->abi_major;
}
unsigned aeh_plugin_abi_minor(const aeh_plugin *plugin) {
  return plugin->abi_minor;
}

/* SHA-256 of the file at `path` into `hex` (65 bytes). */
static bool hash_file(const char *path, char *hex) {
  uint64_t length = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  bool ok = fd >= 0 && aeu_sha256_fd(fd, NULL, NULL, &length, hex) == 0;
  if (fd >= 0)
    close(fd);
  return ok;
}

const char *aeh_plugin_sha256(aeh_plugin *plugin) {
  if (!plugin->sha_tried) {
    plugin->sha_tried = true;
    plugin->sha_ok = hash_file(plugin->path, plugin->sha256);
  }
  return plugin->sha_ok ? plugin->sha256 : NULL;
}

size_t aeh_plugin_builder_count(const aeh_plugin *plugin) {
  return plugin->builder_count;
}

const aero_builder_vtable *aeh_plugin_builder(const aeh_plugin *plugin,
                                              size_t index) {
  if (index >= plugin->builder_count)
    return NULL;
  return &plugin->builders[index].vt;
}

const aero_backend_vtable *aeh_plugin_backend(const aeh_plugin *plugin) {
  return plugin->backend;
}
