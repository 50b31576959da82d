/* The runner's commands: one table entry per `aeromancy` subcommand, with
 * its usage, its description and its options. The same entry parses the
 * command line, prints `aeromancy COMMAND --help` and writes the command's
 * section of aeromancy(1), so help and man page cannot drift, and a command
 * cannot exist without both.
 *
 * Adding a command: define an aeh_command next to its code (see cmd_go.c),
 * declare it below and list it in aeh_commands (command.c). Its run
 * function calls aeh_command_parse with a callback for its options.
 *
 * Owner: packaging (command.c).
 */
#ifndef AEH_RUNNER_COMMAND_H
#define AEH_RUNNER_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* One option of a command. Static data. */
typedef struct aeh_option {
  const char *name;    /* long name, without "--" */
  char short_name;     /* '-x' letter, or 0 */
  const char *metavar; /* the value's name in help ("PATH"); NULL: a flag */
  const char *help;    /* one sentence or two, for --help and the man page */
  int id;              /* the command's own tag for its callback */
} aeh_option;

/* Most positional words a command takes (RUN RUN for diff...). */
#define AEH_MAX_POSITIONAL 8

/* What aeh_command_parse leaves besides the options. Strings borrowed from
 * argv. */
typedef struct aeh_args {
  const char *positional[AEH_MAX_POSITIONAL];
  size_t positional_count;
  int rest_argc;    /* words after "--" */
  char **rest_argv; /* NULL when there was no "--" */
} aeh_args;

typedef struct aeh_command aeh_command;

/* Which exit codes a command returns, for its --help (the runner's table
 * in aeromancy(1) has them all). */
typedef enum {
  AEH_EXITS_OTHER = 0, /* runs no action: 0, 2 and 3 of the runner's table */
  AEH_EXITS_RUN,       /* runs the project's actions (go): the whole table */
  AEH_EXITS_READ,      /* reads the record: 0, and its own 2 and 3 */
  AEH_EXITS_OWN,       /* its description says them: the table would
                          contradict it, and is left out */
} aeh_exits;

struct aeh_command {
  const char *name;          /* the word after `aeromancy` */
  const char *usage;         /* synopsis lines, '\n'-separated, each whole
                                ("aeromancy go [options] [-- project flags]") */
  const char *summary;       /* one line, for the command list and NAME */
  const char *description;   /* paragraphs, "\n\n"-separated */
  const aeh_option *options; /* terminated by an entry with name NULL;
                                -h/--help is implicit */
  size_t min_positional;     /* words it needs (NAME for new) */
  size_t max_positional;     /* words it takes, <= AEH_MAX_POSITIONAL */
  bool takes_rest;           /* whether "-- words..." is allowed */
  aeh_exits exits;           /* the exit codes its --help lists */
  /* Runs the command; argv[0] is its name. Returns the exit code. */
  int (*run)(const aeh_command *self, int argc, char **argv);
};

/* The commands, in the order help lists them. */
extern const aeh_command *const aeh_commands[];
extern const size_t aeh_command_count;

/* The command named `name`, or NULL. */
const aeh_command *aeh_command_find(const char *name);

/* Called for each option as it is read; `value` is NULL for a flag.
 * Returns 0, or an exit code to stop with (after printing why). */
typedef int (*aeh_option_fn)(void *ctx, const aeh_option *option,
                             const char *value);

/* Parses argv[1..argc) against cmd's options (--name, --name=value,
 * --name value, -x, -xVALUE), calling `apply` in order. Returns -1 when the
 * command should go on, 0 after printing its help (-h/--help), or the exit
 * code of a usage error (3, after one line on stderr naming the culprit). */
int aeh_command_parse(const aeh_command *cmd, int argc, char **argv,
                      aeh_option_fn apply, void *ctx, aeh_args *out);

/* "aeromancy: MESSAGE (see aeromancy CMD --help)" on stderr; returns 3.
 * `cmd` may be NULL (then aeromancy --help). */
int aeh_command_usage_error(const aeh_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "aeromancy CMD: cannot write to standard output[: strerror(error)]" on
 * stderr, once per process (`error` 0: no cause known); returns 2. */
int aeh_command_write_failed(const aeh_command *cmd, int error);

/* What command `cmd`, which returned `rc`, exits with: standard output
 * flushed, and 2 (said once) when any of it could not be written, so
 * that an answer lost to a full disk or a closed pipe is never a success.
 * Called by main for every command. */
int aeh_command_finish(const aeh_command *cmd, int rc);

/* `aeromancy CMD --help`. */
void aeh_command_print_help(const aeh_command *cmd, FILE *out);
/* `aeromancy --help`: every command's usage and summary. */
void aeh_commands_print_help(FILE *out);
/* The aeromancy(1) man page (roff). */
void aeh_commands_write_manual(FILE *out);

/* The word lists of aeromancy's bash completion (shell assignments:
 * _aeromancy_commands, _aeromancy_opts_CMD, _aeromancy_valopts_CMD). */
void aeh_commands_write_completion(FILE *out);

/* The commands. */
extern const aeh_command aeh_cmd_go;
extern const aeh_command aeh_cmd_image;
extern const aeh_command aeh_cmd_new;
extern const aeh_command aeh_cmd_help;
extern const aeh_command aeh_cmd_ui;

#endif /* AEH_RUNNER_COMMAND_H */
