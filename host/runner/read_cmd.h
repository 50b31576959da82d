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
        "aeromancy.ini, else $XDG_DATA_HOME/aeromancy, else "                  \
        "~/.local/share/aeromancy)",                                           \
        AEH_READ_O_STORE                                                       \
  }

/* What every read command's options begin with (the first member of its
 * own options struct, so that `apply` and `check` are given the whole). */
typedef struct aeh_read_opts {
  aeh_option_fn apply; /* the command's own options (--store is done here);
                          NULL when it has none */
  /* NULL, or called once parsed (`args` NULL for a command without
   * operands), before the store is opened: returns the exit code of a bad
   * combination (aeh_command_usage_error), else -1. */
  int (*check)(const aeh_command *cmd, struct aeh_read_opts *opts,
               const aeh_args *args);
  const char *store; /* --store PATH; NULL: the store rule */
  /* Read the store as found: runs left running by hosts that are gone
   * stay so (fsck reports them; gc records them itself). Otherwise they
   * are recorded killed first (aeh_record_settle_dead). */
  bool as_found;
} aeh_read_opts;

/* A read command's prologue: parses its command line into `opts` and
 * `args` (NULL for a command without operands), runs opts->check, then
 * opens the store (--store, else the store rule) for reading into `rec`;
 * a store that does not exist is reported and never created. Returns -1
 * when `rec` is open (the caller closes it), else the exit code after one
 * line on stderr (0 after --help). */
int aeh_read_start(const aeh_command *cmd, int argc, char **argv,
                   aeh_read_opts *opts, aeh_args *args, aeh_record *rec);

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
