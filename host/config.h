/* aeromancy.ini: the project's configuration file, parsed with inih.
 *
 * Shared by aerohost (store location, [flags] defaults) and the runner
 * (build, container and environment settings). The file is kept as a flat
 * list of section/key/value entries with their line numbers, so that every
 * consumer can report "aeromancy.ini:12: ..." for a bad value.
 */
#ifndef AEH_CONFIG_H
#define AEH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include <aeromancy/status.h>

#include "error.h"

typedef struct aeh_config_entry {
  char *section; /* "" before the first [section] */
  char *key;
  char *value;
  int line; /* 1-based line in the file */
} aeh_config_entry;

typedef struct aeh_config {
  char *path;                /* the file read; NULL when there was none */
  aeh_config_entry *entries; /* in file order */
  size_t count;
} aeh_config;

/* The sections aeromancy.ini may hold, NULL-terminated. An entry in any
 * other section (or before the first) is an error when the file is read. */
extern const char *const aeh_config_sections[];

/* Whether `section` is one of aeh_config_sections. */
bool aeh_config_section_known(const char *section);

/* The file aerohost and the runner read: $AEROMANCY_CONFIG if set, else
 * aeromancy.ini in `project_dir` (NULL: the current folder). Writes into
 * `buf` and returns it; NULL with AERO_E_CONFIG in `err` when the path does
 * not fit in `size` bytes (cut, it would name another file, and a missing
 * one reads as empty: every setting silently dropped). */
const char *aeh_config_default_path(const char *project_dir, char *buf,
                                    size_t size, aero_error *err);

/* Reads `path` into `*out`. A missing file is not an error when `required`
 * is false, unless $AEROMANCY_CONFIG names it (AERO_E_CONFIG): *out is then
 * an empty config. A malformed file, an unknown section, an entry outside
 * any section and a key given twice in a section fail with AERO_E_CONFIG
 * and "PATH:LINE: why". On success the caller owns *out and frees it with
 * aeh_config_free. */
aero_status aeh_config_load(const char *path, int required, aeh_config *out,
                            aero_error *err);

/* The value of section/key, or NULL. Borrowed from `cfg`. */
const char *aeh_config_get(const aeh_config *cfg, const char *section,
                           const char *key);

/* The entry behind aeh_config_get, for its line number; or NULL. */
const aeh_config_entry *aeh_config_find(const aeh_config *cfg,
                                        const char *section, const char *key);

/* Parses a boolean value: 1/0, true/false, yes/no, on/off (any case).
 * Returns 0 on success, -1 when `text` is none of those. */
int aeh_config_parse_bool(const char *text, int *out);

void aeh_config_free(aeh_config *cfg);

#endif /* AEH_CONFIG_H */
