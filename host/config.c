#include "config.h"
#include "aeu.h"
#include "names.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Every section of aeromancy.ini (documented in host/runner/ini_doc.c,
 * whose table a runner test compares with this list). */
const char *const aeh_config_sections[] = {"project", "build", "container",
                                           "env",     "store", "git",
                                           "flags",   "slurm", NULL};

static size_t section_count(void) {
  size_t n = 0;
  while (aeh_config_sections[n] != NULL)
    n++;
  return n;
}

bool aeh_config_section_known(const char *section) {
  for (size_t i = 0; aeh_config_sections[i] != NULL; i++)
    if (strcmp(aeh_config_sections[i], section) == 0)
      return true;
  return false;
}

const char *aeh_config_default_path(const char *project_dir, char *buf,
                                    size_t size, aero_error *err) {
  const char *env = getenv("AEROMANCY_CONFIG");
  int n;
  if (env != NULL && env[0] != '\0')
    n = snprintf(buf, size, "%s", env);
  else if (project_dir != NULL && project_dir[0] != '\0')
    n = snprintf(buf, size, "%s/aeromancy.ini", project_dir);
  else
    n = snprintf(buf, size, "aeromancy.ini");
  if (n >= 0 && (size_t)n < size)
    return buf;
  /* Where the path came from: the variable, or the project's folder. */
  aeh_error_set(err, AERO_E_CONFIG,
                "%.60s...: the configuration file's path (%s) is longer than "
                "%zu bytes",
                buf,
                env != NULL && env[0] != '\0'
                    ? "AEROMANCY_CONFIG"
                    : "aeromancy.ini in the project folder",
                size - 1);
  return NULL;
}

/* Debian's inih is built without INI_HANDLER_LINENO, so the line number
 * comes from our own reader: inih reads one line, then reports what is on
 * it, so the count of lines read is the line of the entry being reported.
 * That only holds while every line fits inih's buffer, so a longer line is
 * an error (inih would silently split it into two lines). */
typedef struct load_state {
  aeh_config *cfg;
  FILE *file;
  int line;
  size_t cap;
  int failed_alloc;
  int read_errno;     /* set when reading failed (e.g. a directory) */
  char raw[1024];     /* the line inih is handling, as read */
  char last_key[256]; /* the key of inih's previous handler call */
  int error_line;     /* a rejection of ours, reported over inih's */
  char error[256];
} load_state;

static void reject_line(load_state *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void reject_line(load_state *st, const char *fmt, ...) {
  if (st->error_line != 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(st->error, sizeof st->error, fmt, ap);
  va_end(ap);
  st->error_line = st->line;
}

/* An unknown section, named with the nearest known one. */
static void reject_section(load_state *st, const char *section) {
  const char *near = NULL;
  for (size_t i = 0; near == NULL && aeh_config_sections[i] != NULL; i++)
    if (strcasecmp(aeh_config_sections[i], section) == 0)
      near = aeh_config_sections[i];
  if (near == NULL)
    near = aeh_suggest(section, aeh_config_sections, section_count());
  char q[AEH_QUOTE_MAX + 8];
  reject_line(st, "unknown section [%s] (%s%s%s)",
              aeh_quote(section, q, sizeof q),
              near ? "did you mean ["
                   : "sections: project, build, "
                     "container, env, store, git, flags, slurm",
              near ? near : "", near ? "]?" : "");
}

/* A section header is checked on its own line, as inih reads it (the
 * text between '[' and the first ']'), so that an unknown one is named
 * there, and also when no key follows it. */
static void check_header(load_state *st, const char *line) {
  if (st->line == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0)
    line += 3; /* inih skips a UTF-8 byte order mark */
  while (isspace((unsigned char)*line))
    line++;
  const char *end = line[0] == '[' ? strchr(line + 1, ']') : NULL;
  if (end == NULL)
    return; /* not a header, or one inih reports as malformed */
  char section[256];
  snprintf(section, sizeof section, "%.*s", (int)(end - line - 1), line + 1);
  if (!aeh_config_section_known(section))
    reject_section(st, section);
}

static char *read_line(char *buf, int size, void *stream) {
  load_state *st = stream;
  if (st->error_line != 0)
    return NULL; /* stop at our first rejection */
  /* fgets, but counting: a NUL byte would end the line for strlen and
   * inih, dropping the rest of it without a word. */
  size_t len = 0;
  bool nul = false;
  int ch;
  while (len + 1 < (size_t)size && (ch = getc(st->file)) != EOF) {
    nul = nul || ch == '\0';
    buf[len++] = (char)ch;
    if (ch == '\n')
      break;
  }
  buf[len] = '\0';
  if (len == 0) {
    if (ferror(st->file))
      st->read_errno = errno ? errno : EIO;
    return NULL;
  }
  char *got = buf;
  st->line++;
  if (nul) {
    reject_line(st, "a NUL byte in the line (is it a text file?)");
    return NULL;
  }
  if (len > 0 && buf[len - 1] != '\n') {
    /* The buffer is full: fine only if the line ends right here. */
    int c = getc(st->file);
    if (c == '\r') {
      int next = getc(st->file);
      if (next != '\n' && next != EOF)
        ungetc(next, st->file);
    } else if (c != '\n' && c != EOF) {
      reject_line(st, "line too long (at most %d characters)", size - 1);
      return NULL;
    }
  }
  snprintf(st->raw, sizeof st->raw, "%s", buf);
  check_header(st, buf);
  return got;
}

/* A typo in a section or a key given twice would otherwise be silently
 * ignored or overridden: both are errors naming the line. */
static int check_entry(load_state *st, const char *section, const char *key) {
  if (section[0] == '\0') {
    char q[AEH_QUOTE_MAX + 8];
    reject_line(st, "'%s' is outside any [section]",
                aeh_quote(key, q, sizeof q));
    return 0;
  }
  if (!aeh_config_section_known(section)) {
    reject_section(st, section); /* check_header named it already */
    return 0;
  }
  const aeh_config_entry *first = aeh_config_find(st->cfg, section, key);
  if (first != NULL) {
    char q[AEH_QUOTE_MAX + 8];
    reject_line(st, "duplicate key '%s' in [%s] (first set on line %d)",
                aeh_quote(key, q, sizeof q), section, first->line);
    return 0;
  }
  return 1;
}

static int add_entry(load_state *st, const char *section, const char *key,
                     const char *value) {
  aeh_config *cfg = st->cfg;
  if (!check_entry(st, section, key))
    return 0;
  aeh_config_entry *grown =
      aeu_grow(cfg->entries, &st->cap, cfg->count + 1, sizeof *grown, 16);
  if (grown == NULL) {
    st->failed_alloc = 1;
    return 0;
  }
  cfg->entries = grown;
  aeh_config_entry *e = &cfg->entries[cfg->count];
  e->section = strdup(section);
  e->key = strdup(key);
  e->value = strdup(value);
  e->line = st->line;
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

/* The raw line as inih may hand over a continuation: leading and trailing
 * space removed, and with `strip_comment` an inline "; comment" too (inih
 * versions differ on that). */
static void continuation_text(const char *raw, int strip_comment, char *out,
                              size_t size) {
  while (*raw == ' ' || *raw == '\t')
    raw++;
  size_t n = 0;
  int was_space = 0;
  for (; raw[n] != '\0' && n + 1 < size; n++) {
    if (strip_comment && was_space && raw[n] == ';')
      break;
    was_space = isspace((unsigned char)raw[n]);
    out[n] = raw[n];
  }
  while (n > 0 && isspace((unsigned char)out[n - 1]))
    n--;
  out[n] = '\0';
}

/* inih reads an indented line after a key as a continuation of that key's
 * value (as Python's configparser does). Indenting keys is common style,
 * and a continuation would silently replace the value with the line's
 * text, so an indented "key = value" is read as the key it looks like, and
 * any other continuation is an error. */
static int on_continuation(load_state *st, const char *section, const char *key,
                           const char *text) {
  size_t name_len = strcspn(text, "=:");
  const char *rest = text + name_len;
  size_t key_len = name_len;
  while (key_len > 0 && isspace((unsigned char)text[key_len - 1]))
    key_len--;
  int looks_like_key = *rest != '\0' && key_len > 0 && key_len < 256;
  for (size_t i = 0; looks_like_key && i < key_len; i++) {
    char c = text[i];
    looks_like_key =
        isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
  }
  if (!looks_like_key) {
    char q[AEH_QUOTE_MAX + 8];
    reject_line(st,
                "indented line continues the value of '%s' (multi-line "
                "values are not supported: write the value on one line)",
                aeh_quote(key, q, sizeof q));
    return 0;
  }
  char name[256];
  snprintf(name, sizeof name, "%.*s", (int)key_len, text);
  rest++;
  while (isspace((unsigned char)*rest))
    rest++;
  return add_entry(st, section, name, rest);
}

static int on_entry(void *user, const char *section, const char *key,
                    const char *value) {
  load_state *st = user;
  if ((st->raw[0] == ' ' || st->raw[0] == '\t') &&
      strcmp(key, st->last_key) == 0) {
    char text[sizeof st->raw], bare[sizeof st->raw];
    continuation_text(st->raw, 0, text, sizeof text);
    continuation_text(st->raw, 1, bare, sizeof bare);
    if (strcmp(text, value) == 0 || strcmp(bare, value) == 0)
      return on_continuation(st, section, key, bare);
  }
  snprintf(st->last_key, sizeof st->last_key, "%s", key);
  return add_entry(st, section, key, value);
}

aero_status aeh_config_load(const char *path, int required, aeh_config *out,
                            aero_error *err) {
  aeh_config cfg = {0};
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    /* A file the user named in AEROMANCY_CONFIG is never optional: a typo
     * there would silently drop every setting. */
    const char *named = getenv("AEROMANCY_CONFIG");
    if (errno == ENOENT && named != NULL && strcmp(named, path) == 0)
      return aeh_error_set(err, AERO_E_CONFIG,
                           "%s: no such file (named by AEROMANCY_CONFIG)",
                           path);
    if (errno == ENOENT && !required) {
      *out = cfg;
      return AERO_OK;
    }
    return aeh_error_set(err, errno == ENOENT ? AERO_E_NOT_FOUND : AERO_E_IO,
                         "%s: cannot read configuration: %s", path,
                         strerror(errno));
  }
  load_state *st = calloc(1, sizeof *st);
  if (st == NULL) {
    fclose(f);
    return aeh_error_set(err, AERO_E_NOMEM, "%s: out of memory", path);
  }
  st->cfg = &cfg;
  st->file = f;
  int rc = ini_parse_stream(read_line, st, on_entry, st);
  fclose(f);
  aero_status status = AERO_OK;
  if (st->failed_alloc)
    status = aeh_error_set(err, AERO_E_NOMEM, "%s: out of memory", path);
  else if (st->read_errno != 0)
    status = aeh_error_set(err, AERO_E_IO, "%s: cannot read configuration: %s",
                           path, strerror(st->read_errno));
  else if (st->error_line != 0 && (rc <= 0 || st->error_line <= rc))
    status = aeh_error_set(err, AERO_E_CONFIG, "%s:%d: %s", path,
                           st->error_line, st->error);
  else if (rc < 0)
    status =
        aeh_error_set(err, AERO_E_IO, "%s: cannot read configuration", path);
  else if (rc > 0)
    status = aeh_error_set(err, AERO_E_CONFIG,
                           "%s:%d: malformed line (expected [section], "
                           "key = value, or a ; comment)",
                           path, rc);
  free(st);
  if (status == AERO_OK && (cfg.path = strdup(path)) == NULL)
    status = aeh_error_set(err, AERO_E_NOMEM, "%s: out of memory", path);
  if (status != AERO_OK) {
    aeh_config_free(&cfg);
    return status;
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
