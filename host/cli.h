/* The aerohost command line: run, list, graph, describe.
 *
 * Owner: front-end (cli.c: arguments and help; cli_run.c: the
 * load-build-run flow; cli_describe.c: describe). aerohost_main.c parses
 * with aeh_cli_parse, hands the command to cli_run.c or cli_describe.c, and
 * exits with what they return (executor.h's exit codes). Arrows run one
 * way: main -> cli_run.c, cli_describe.c -> cli.c.
 */
#ifndef AEH_CLI_H
#define AEH_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <aeromancy/builder.h>

#include "loader.h"

/* The subcommands, as bits so that an option can belong to several. */
typedef enum aeh_cli_command {
  AEH_CMD_RUN = 1,
  AEH_CMD_LIST = 2,
  AEH_CMD_GRAPH = 4,
  AEH_CMD_DESCRIBE = 8,
} aeh_cli_command;

/* What the standard options said. Strings are borrowed from argv. */
typedef struct aeh_cli_args {
  aeh_cli_command command;
  const char *plugin;
  bool help;
  /* task runner */
  const char *only;
  bool list;
  bool graph;
  bool json;
  const char *format; /* "dot" or "text"; NULL for dot */
  const char *tags;
  bool dry_run;
  unsigned jobs;
  bool keep_going;
  bool force;             /* --force */
  const char *force_only; /* --force-only SUBSTRS; NULL for none */
  double timeout_s;
  bool no_isolation;
  const char *builder;
  /* runtime */
  bool dev;
  bool debug;
  const char **overrides; /* owned array of borrowed strings */
  size_t override_count;
  const char *store;
  const char *backend; /* tracker backend name, or NULL */
  bool slurm;          /* --executor slurm */
  bool detach;         /* --detach */
  /* --slurm-cpus, --slurm-mem, --slurm-time, --slurm-gpus,
   * --slurm-partition, as given (parsed by cli_run.c); NULL when absent */
  const char *slurm_res[5];
  /* everything after "--" */
  int project_argc;
  char **project_argv;
} aeh_cli_args;

/* Reads aerohost's whole command line into *args. True when a command is
 * to run on a plugin (aerohost_main.c then calls aeh_cli_run or
 * aeh_cli_describe); false when the line was answered here (--version,
 * help) or refused (one line on stderr): *code is then the exit code. The
 * caller frees *args with aeh_cli_args_free either way. */
bool aeh_cli_parse(int argc, char **argv, aeh_cli_args *args, int *code);

void aeh_cli_args_free(aeh_cli_args *args);

/* The load, build, list/graph/run flow of `run`, `list` and `graph`.
 * `argc`/`argv` are the whole command line, for the run record. */
int aeh_cli_run(const aeh_cli_args *args, int argc, char **argv);

/* `aerohost describe PLUGIN`. */
int aeh_cli_describe(const aeh_cli_args *args);

/* The builder --builder names (the first when NULL), or NULL with a message
 * naming the builders the plugin has. */
const aero_builder_vtable *aeh_cli_pick_builder(const aeh_plugin *plugin,
                                                const char *name,
                                                aero_error *err);

/* Help for `command`; with a loaded plugin and its chosen builder, the
 * project's options come first. */
void aeh_cli_print_help(FILE *out, aeh_cli_command command,
                        const aeh_plugin *plugin,
                        const aero_builder_vtable *builder);

/* Prints the options of `builder` as help lines (shared by help and
 * describe). */
void aeh_cli_print_project_options(FILE *out,
                                   const aero_builder_vtable *builder);

/* Writes the aerohost(1) man page (roff) to `out`: the same text as the
 * help of every command, from the same tables. */
void aeh_cli_write_manual(FILE *out);

/* Writes the word lists of aerohost's bash completion (shell assignments:
 * _aerohost_commands, _aerohost_opts_CMD, _aerohost_valopts_CMD) from the
 * option table the parser uses. */
void aeh_cli_write_completion(FILE *out);

#endif /* AEH_CLI_H */
