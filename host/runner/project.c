#include "project.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aeu.h"
#include "ini_doc.h"
#include "shell_words.h"
#include "tracker.h"

bool aeh_project_valid_env_name(const char *name) {
  if (!(isalpha((unsigned char)name[0]) || name[0] == '_'))
    return false;
  for (const char *p = name; *p; p++)
    if (!(isalnum((unsigned char)*p) || *p == '_'))
      return false;
  return true;
}

bool aeh_project_valid_package(const char *name) {
  size_t len = strcspn(name, "=:");
  if (len < 2 ||
      !(islower((unsigned char)name[0]) || isdigit((unsigned char)name[0])))
    return false;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)name[i];
    if (!(islower(c) || isdigit(c) || c == '+' || c == '.' || c == '-'))
      return false;
  }
  for (const char *p = name + len; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (!(isalnum(c) || strchr("=:+.~-", c)))
      return false;
  }
  return true;
}

/* The runner's own sections are strict: a key ini_doc.c does not document
 * is a typo worth an error. [project] and [store] are shared with aerohost
 * and the store, so only their known keys are read there. */
static aero_status check_keys(const aeh_config *cfg, aero_error *err) {
  for (size_t i = 0; i < cfg->count; i++) {
    const aeh_config_entry *e = &cfg->entries[i];
    if (aeh_ini_section_strict(e->section) &&
        !aeh_ini_key_known(e->section, e->key))
      return aeh_error_set(err, AERO_E_CONFIG,
                           "%s:%d: unknown key '%s' in [%s]", cfg->path,
                           e->line, e->key, e->section);
  }
  return AERO_OK;
}

/* Splits a list value on commas and blanks into `out`, each item checked by
 * `valid`; a bad item names the file, line and item. */
static aero_status split_list(const aeh_config *cfg, const char *section,
                              const char *key, bool (*valid)(const char *),
                              const char *what, aeh_strv *out,
                              aero_error *err) {
  const aeh_config_entry *e = aeh_config_find(cfg, section, key);
  if (e == NULL)
    return AERO_OK;
  const char *p = e->value;
  while (*p) {
    p += strspn(p, ", \t");
    size_t len = strcspn(p, ", \t");
    if (len == 0)
      break;
    char *item = strndup(p, len);
    if (item == NULL)
      return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
    aero_status st = AERO_OK;
    if (!valid(item))
      st = aeh_error_set(err, AERO_E_CONFIG, "%s:%d: [%s] %s: '%s' is not %s",
                         cfg->path, e->line, section, key, item, what);
    else if (aeh_strv_push(out, item) != AERO_OK)
      st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
    free(item);
    if (st != AERO_OK)
      return st;
    p += len;
  }
  return AERO_OK;
}

static const char *env_or(const char *name, const char *fallback) {
  const char *v = getenv(name);
  return v != NULL && v[0] != '\0' ? v : fallback;
}

aero_status aeh_project_load(const char *dir, bool required, aeh_project *out,
                             aero_error *err) {
  aero_status st = AERO_OK;
  aeh_config cfg = {0};
  aeh_project p = {0};
  char pathbuf[4096];
  const char *path = aeh_config_default_path(dir, pathbuf, sizeof pathbuf, err);
  if (path == NULL)
    return AERO_E_CONFIG;

  st = aeh_config_load(path, required, &cfg, err);
  if (st != AERO_OK) {
    if (st == AERO_E_NOT_FOUND)
      st = aeh_error_set(err, AERO_E_CONFIG,
                         "%s: no such file: the runner needs an aeromancy.ini "
                         "at the project root (at least [project] name = ...)",
                         path);
    else if (st == AERO_E_IO && err != NULL)
      st = err->code = AERO_E_CONFIG;
    goto done;
  }
  if (cfg.path == NULL && required) {
    st = aeh_error_set(err, AERO_E_CONFIG, "%s: no aeromancy.ini", path);
    goto done;
  }
  st = check_keys(&cfg, err);
  if (st != AERO_OK)
    goto done;

  p.dir = strdup(dir);
  p.ini_path = strdup(cfg.path ? cfg.path : path);
  {
    const char *named = getenv("AEROMANCY_CONFIG");
    char own[4096], *a = NULL, *b = NULL;
    snprintf(own, sizeof own, "%s/aeromancy.ini", dir);
    bool has_flags = false;
    for (size_t i = 0; i < cfg.count; i++)
      has_flags |= strcmp(cfg.entries[i].section, "flags") == 0;
    if (has_flags && named != NULL && named[0] != '\0' && cfg.path != NULL) {
      a = realpath(cfg.path, NULL);
      b = realpath(own, NULL);
      p.flags_elsewhere = a == NULL || b == NULL || strcmp(a, b) != 0;
    }
    free(a);
    free(b);
  }
  const char *base = strrchr(dir, '/');
  base = base && base[1] ? base + 1 : dir;
  p.name = strdup(aeh_config_get(&cfg, "project", "name")
                      ? aeh_config_get(&cfg, "project", "name")
                      : base);
  const char *target = aeh_config_get(&cfg, "build", "target");
  p.target = aeu_strdup_or_null(target, NULL);
  p.engine = strdup(env_or("AEROMANCY_ENGINE",
                           aeh_config_get(&cfg, "container", "engine")
                               ? aeh_config_get(&cfg, "container", "engine")
                               : "docker"));
  const char *image = aeh_config_get(&cfg, "container", "image");
  p.image_repo = strdup(image ? image : "aeromancy-host");
  p.base_image = aeu_strdup_or_null(
      env_or("AEROMANCY_BASE_IMAGE",
             aeh_config_get(&cfg, "container", "base_image")),
      NULL);
  const char *backend =
      env_or("AEROMANCY_BACKEND", aeh_config_get(&cfg, "store", "backend"));
  const char *blobs =
      env_or("AEROMANCY_BLOBS", aeh_config_get(&cfg, "store", "blobs"));
  p.backend = aeu_strdup_or_null(backend, NULL);
  p.blobs = aeu_strdup_or_null(blobs, NULL);
  if (!p.dir || !p.ini_path || !p.name || (target && !p.target) || !p.engine ||
      !p.image_repo || (backend && !p.backend) || (blobs && !p.blobs)) {
    st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
    goto done;
  }

  /* aerohost's own rule, so that both write to the same store. */
  st = aeh_store_choose_location(NULL, dir, &p.store, err);
  if (st != AERO_OK)
    goto done;

  const aeh_config_entry *e = aeh_config_find(&cfg, "build", "system");
  if (e != NULL && strcmp(e->value, "cmake") != 0) {
    st = aeh_error_set(err, AERO_E_CONFIG,
                       "%s:%d: [build] system = %s is not supported (only "
                       "cmake, with aeromancy_add_plugin)",
                       cfg.path, e->line, e->value);
    goto done;
  }
  /* Both end up in file names (NAME.so, the build folder's name). */
  static const char *const named[][2] = {{"project", "name"},
                                         {"build", "target"}};
  for (size_t i = 0; i < 2; i++) {
    e = aeh_config_find(&cfg, named[i][0], named[i][1]);
    for (const char *c = e != NULL ? e->value : ""; *c; c++) {
      if (!(isalnum((unsigned char)*c) || strchr("_.+-", *c))) {
        st = aeh_error_set(err, AERO_E_CONFIG,
                           "%s:%d: [%s] %s = '%s' is not usable (letters, "
                           "digits, _ . + -)",
                           p.ini_path, e->line, named[i][0], named[i][1],
                           e->value);
        goto done;
      }
    }
  }
  e = aeh_config_find(&cfg, "build", "target");
  if (p.target != NULL && p.target[0] == '\0') {
    st = aeh_error_set(err, AERO_E_CONFIG, "%s:%d: [build] target is empty",
                       p.ini_path, e->line);
    goto done;
  }
  if (strcmp(p.engine, "docker") != 0 && strcmp(p.engine, "podman") != 0) {
    e = aeh_config_find(&cfg, "container", "engine");
    st = aeh_error_set(err, AERO_E_CONFIG,
                       "%s:%d: container engine '%s' is not supported (docker "
                       "or podman)",
                       e && !getenv("AEROMANCY_ENGINE") ? p.ini_path
                                                        : "AEROMANCY_ENGINE",
                       e ? e->line : 0, p.engine);
    goto done;
  }
  e = aeh_config_find(&cfg, "container", "run_args");
  if (e != NULL) {
    st = aeh_shell_words_split(e->value, &p.run_args, err);
    if (st != AERO_OK) {
      aeh_error_prefix(err, "%s:%d: [container] run_args", cfg.path, e->line);
      st = AERO_E_CONFIG;
      if (err != NULL)
        err->code = st;
      goto done;
    }
  }
  st = split_list(&cfg, "container", "debian_packages",
                  aeh_project_valid_package, "a Debian package name",
                  &p.debian_packages, err);
  if (st != AERO_OK)
    goto done;
  st = split_list(&cfg, "env", "passthrough", aeh_project_valid_env_name,
                  "an environment variable name", &p.passthrough, err);
  if (st != AERO_OK)
    goto done;
  e = aeh_config_find(&cfg, "git", "allow_main");
  if (e != NULL) {
    int allow = 0;
    if (aeh_config_parse_bool(e->value, &allow) != 0) {
      st = aeh_error_set(err, AERO_E_CONFIG,
                         "%s:%d: [git] allow_main = %s is not a boolean "
                         "(true/false)",
                         cfg.path, e->line, e->value);
      goto done;
    }
    p.allow_main = allow != 0;
  }
  *out = p;
  p = (aeh_project){0};
done:
  aeh_project_free(&p);
  aeh_config_free(&cfg);
  return st;
}

void aeh_project_free(aeh_project *project) {
  free(project->dir);
  free(project->ini_path);
  free(project->name);
  free(project->target);
  free(project->engine);
  free(project->image_repo);
  free(project->base_image);
  aeh_strv_free(&project->run_args);
  aeh_strv_free(&project->debian_packages);
  aeh_strv_free(&project->passthrough);
  free(project->store);
  free(project->backend);
  free(project->blobs);
  *project = (aeh_project){0};
}
