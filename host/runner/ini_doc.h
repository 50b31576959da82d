/* aeromancy.ini, documented once: the table of its sections and keys is
 * what `aeromancy help aeromancy.ini` prints, what aeromancy.ini(5) says,
 * and what the runner accepts in its own sections (a key missing from the
 * table is an error there), so the file's documentation cannot fall behind
 * the parser.
 *
 * Owner: packaging (ini_doc.c).
 */
#ifndef AEH_RUNNER_INI_DOC_H
#define AEH_RUNNER_INI_DOC_H

#include <stdbool.h>
#include <stdio.h>

#include "doc.h"

/* Whether `section` is one the runner owns entirely, where an unknown key
 * is a typo worth an error. */
bool aeh_ini_section_strict(const char *section);

/* The name of the i-th documented section, or NULL past the last (a test
 * holds this table and config.c's aeh_config_sections to the same list). */
const char *aeh_ini_section_name(size_t i);

/* Whether `key` is documented in `section`. */
bool aeh_ini_key_known(const char *section, const char *key);

/* `aeromancy help aeromancy.ini`. */
void aeh_ini_print_help(FILE *out);
/* The aeromancy.ini(5) man page (roff). */
void aeh_ini_write_manual(FILE *out);
/* The environment variables that override the file, as doc entries (for
 * aeromancy(1) too). */
void aeh_ini_write_environment(const aeh_doc *d);

#endif /* AEH_RUNNER_INI_DOC_H */
