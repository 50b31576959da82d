#include "config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *aeh_config_default_path(const char *project_dir, char *buf,
                                    size_t size) {
  const char *env = getenv("AEROMANCY_CONFIG");
  if (env != NULL && env[0] != '\0')
    snprintf(buf, size, "%s", env);
  else if (project_dir != NULL && project_dir[0] != '\0')
    snprintf(buf, size, "%s/aeromancy.ini", project_dir);
  else
    snprintf(buf, size, "aeromancy.ini");
  return buf;
}

/* Debian's inih is built without INI_HANDLER_LINENO, so the line number
 * comes from our own reader: inih reads one line, then reports what is on
 * it, so the count of lines read is the line of the entry being reported. */
typedef struct load_state {
  aeh_config *cfg;
  FILE *file;
  int line;
  size_t cap;
  int failed_alloc;
} load_state;

static char *read_line(char *buf, int size, void *stream) {
  load_state *st = stream;
  char *got = fgets(buf, size, st->file);
  if (got != NULL)
    st->line++;
  return got;
}

static int on_entry(void *user, const char *section, const char *key,
                    const char *value) {
  load_state *st = user;
  int line = st->line;
  aeh_config *cfg = st->cfg;
  if (cfg->count == st->cap) {
    size_t cap = st->cap ? st->cap * 2 : 16;
    aeh_config_entry *grown = realloc(cfg->entries, cap * sizeof *grown);
    if (grown == NULL) {
      st->failed_alloc = 1;
      return 0;
    }
    cfg->entries = grown;
    st->cap = cap;
  }
  aeh_config_entry *e = &cfg->entries[cfg->count];
  e->section = strdup(section);
  e->key = strdup(key);
  e->value = strdup(value);
  e->line = line;
  if (!e->section || !e->key || !e->value) {
    free(e->section);
    free(e->key);
    free(e->value);
    st->failed_alloc = 1;
    return 0;
  }
  cfg->count++;
  return 1;
}

aero_status aeh_config_load(const char *path, int required, aeh_config *out,
                            aero_error *err) {
  aeh_config cfg = {0};
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    if (errno == ENOENT && !required) {
      *out = cfg;
      return AERO_OK;
    }
    return aeh_error_set(err, errno == ENOENT ? AERO_E_NOT_FOUND : AERO_E_IO,
                         "%s: cannot read configuration: %s", path,
                         strerror(errno));
  }
  load_state st = {.cfg = &cfg, .file = f};
  int rc = ini_parse_stream(read_line, &st, on_entry, &st);
  fclose(f);
  if (st.failed_alloc) {
    aeh_config_free(&cfg);
    return aeh_error_set(err, AERO_E_NOMEM, "%s: out of memory", path);
  }
  if (rc != 0) {
    aeh_config_free(&cfg);
    if (rc < 0)
      return aeh_error_set(err, AERO_E_IO, "%s: cannot read configuration",
                           path);
    return aeh_error_set(err, AERO_E_CONFIG,
                         "%s:%d: malformed line (expected [section], "
                         "key = value, or a ; comment)",
                         path, rc);
  }
  cfg.path = strdup(path);
  if (cfg.path == NULL) {
    aeh_config_free(&cfg);
    return aeh_error_set(err, AERO_E_NOMEM, "%s: out of memory", path);
  }
  *out = cfg;
  return AERO_OK;
}

const aeh_config_entry *aeh_config_find(const aeh_config *cfg,
                                        const char *section, const char *key) {
  for (size_t i = cfg->count; i-- > 0;) {
    const aeh_config_entry *e = &cfg->entries[i];
    if (strcmp(e->section, section) == 0 && strcmp(e->key, key) == 0)
      return e;
  }
  return NULL;
}

const char *aeh_config_get(const aeh_config *cfg, const char *section,
                           const char *key) {
  const aeh_config_entry *e = aeh_config_find(cfg, section, key);
  return e ? e->value : NULL;
}

int aeh_config_parse_bool(const char *text, int *out) {
  static const char *const yes[] = {"1", "true", "yes", "on"};
  static const char *const no[] = {"0", "false", "no", "off"};
  for (size_t i = 0; i < 4; i++) {
    if (strcasecmp(text, yes[i]) == 0) {
      *out = 1;
      return 0;
    }
    if (strcasecmp(text, no[i]) == 0) {
      *out = 0;
      return 0;
    }
  }
  return -1;
}

void aeh_config_free(aeh_config *cfg) {
  for (size_t i = 0; i < cfg->count; i++) {
    free(cfg->entries[i].section);
    free(cfg->entries[i].key);
    free(cfg->entries[i].value);
  }
  free(cfg->entries);
  free(cfg->path);
  *cfg = (aeh_config){0};
}
