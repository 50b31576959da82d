/* What the commands that read the record (cmd_runs.c, cmd_artifacts.c,
 * cmd_store.c, ...) share: the --store option, opening the store for
 * reading, and their error exits. Their tables, help and parsing are
 * command.h's, like every other command's. */
#ifndef AEH_READ_CMD_H
#define AEH_READ_CMD_H

#include <stdio.h>

#include "command.h"
#include "record.h"
#include "record_json.h"

/* Option ids at or above this are the common ones below; a command's own
 * ids stay under it. */
#define AEH_READ_O_STORE 100

/* The --store option, in every read command's table. */
#define AEH_READ_STORE_OPTION                                                  \
  {                                                                            \
    "store", 0, "PATH",                                                        \
        "the store to read (default: $AEROMANCY_STORE, else [store] path of "  \
        "aeromancy.ini, else ~/.local/share/aeromancy)",                       \
        AEH_READ_O_STORE                                                       \
  }

/* Opens the store (`store`, else the store rule) for reading; a store
 * that does not exist is reported and never created. On failure prints
 * one line and returns the exit code; else -1. */
int aeh_read_open(const aeh_command *cmd, const char *store, aeh_record *rec);

/* Prints "aeromancy NAME: message" for a failed call and returns the exit
 * code for `status`: 3 for what the user typed (not found, invalid), 2
 * for the store. */
int aeh_read_fail(const aeh_command *cmd, aero_status status,
                  const aero_error *err);

/* The end of most read commands: a failed `status` reported, else `doc`
 * written as JSON (`json`) or drawn as text by `print_text`. Frees `doc`
 * (may be NULL) and closes `rec`. Returns the exit code. */
int aeh_read_finish(const aeh_command *cmd, aero_status status,
                    const aero_error *err, json_t *doc, bool json,
                    void (*print_text)(const json_t *doc), aeh_record *rec);

/* Writes a JSON document to stdout; returns the exit code. */
int aeh_read_write_json(const aeh_command *cmd, const json_t *doc);

/* The commands of the families. */
extern const aeh_command aeh_cmd_runs;
extern const aeh_command aeh_cmd_show;
extern const aeh_command aeh_cmd_metrics;
extern const aeh_command aeh_cmd_diff;
extern const aeh_command aeh_cmd_artifacts;
extern const aeh_command aeh_cmd_lineage;
extern const aeh_command aeh_cmd_export;
extern const aeh_command aeh_cmd_path;
extern const aeh_command aeh_cmd_fsck;
extern const aeh_command aeh_cmd_gc;
extern const aeh_command aeh_cmd_rerun;
extern const aeh_command aeh_cmd_store;

#endif /* AEH_READ_CMD_H */
