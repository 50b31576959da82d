/* Project options: checking a builder's option table, and parsing values for
 * it from aeromancy.ini's [flags] section and the command line.
 *
 * Owner: front-end (options.c). The loader checks and copies option tables
 * when a builder registers; the CLI parses values and hands them to the
 * constructor (ctor_call.h).
 */
#ifndef AEH_OPTIONS_H
#define AEH_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <aeromancy/builder.h>

#include "config.h"
#include "error.h"

/* The section of aeromancy.ini that holds project flag defaults. */
#define AEH_FLAGS_SECTION "flags"

/* "BOOL", "INT", "DOUBLE", "STRING", "CHOICE"; "?" for an unknown type.
 * Static string. */
const char *aeh_option_type_name(uint32_t type);

/* Checks an option table as a builder registers it: known types, names that
 * are C identifiers, no duplicate names or short letters, short letters
 * that are ASCII letters or digits (not 'h', which is --help), CHOICE with
 * at least one choice and a default among them, finite DOUBLE defaults. The
 * message names the option, without the plugin path (the loader adds it). */
aero_status aeh_options_check_table(const aero_option *options, size_t count,
                                    aero_error *err);

/* Deep-copies a checked table (every string and the choice lists). On
 * success the caller owns *out and frees it with aeh_options_free_table. */
aero_status aeh_options_copy_table(const aero_option *options, size_t count,
                                   aero_option **out, aero_error *err);
void aeh_options_free_table(aero_option *options, size_t count);

/* Where an option's current value came from. */
typedef enum aeh_option_source {
  AEH_FROM_DEFAULT = 0,
  AEH_FROM_CONFIG = 1,
  AEH_FROM_CLI = 2,
} aeh_option_source;

/* The values of one builder's options, in table order. */
typedef struct aeh_option_values {
  const aero_option *options; /* borrowed: the builder's table */
  size_t count;
  aero_scalar *values; /* by option type; STRING may be NULL */
  char **owned;        /* per option: the string `values` points at,
                          owned here, or NULL (a table default) */
  aeh_option_source *source;
} aeh_option_values;

/* Starts every option at its default (a CHOICE without one at its first
 * choice). `options` must outlive `*out`. The caller frees *out with
 * aeh_options_free. */
aero_status aeh_options_init(const aero_option *options, size_t count,
                             aeh_option_values *out, aero_error *err);

/* Applies the [flags] section of `cfg`: keys are option names, with '_' or
 * '-'. A bad value or an unknown key fails with AERO_E_CONFIG and
 * "PATH:LINE: ...". */
aero_status aeh_options_apply_config(aeh_option_values *values,
                                     const aeh_config *cfg, aero_error *err);

/* Parses project flags: --name value, --name=value, -x value, -xVALUE,
 * --flag / --no-flag / --flag=false for booleans; '_' in names reads as
 * '-'. Sets *help when -h or --help appears (parsing goes on). Fails with
 * AERO_E_INVALID and one line: an unknown flag (with the nearest name when
 * one is close), a missing value, or a value of the wrong type. */
aero_status aeh_options_parse(aeh_option_values *values, int argc,
                              char *const *argv, bool *help, aero_error *err);

void aeh_options_free(aeh_option_values *values);

/* Writes `value` of an option of type `type` as the command line would take
 * it ("0.01", "true", "mse"; "(none)" for a NULL string). */
void aeh_options_format(uint32_t type, aero_scalar value, char *buf,
                        size_t size);

#endif /* AEH_OPTIONS_H */
