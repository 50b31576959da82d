#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <aeromancy/abi.h>

#include "cli_options.h"
#include "console.h"
#include "doc.h"
#include "exec/executor.h"
#include "names.h"
#include "options.h"

#define ALL_COMMANDS                                                           \
  (AEH_CMD_RUN | AEH_CMD_LIST | AEH_CMD_GRAPH | AEH_CMD_DESCRIBE)

/* Most jobs we start at once; more would only thrash two cores. */
#define MAX_JOBS 4096

#define OPTION_ID(id, ...) id,
typedef enum opt_id {
  AEH_CLI_OPTIONS_PASSED_ON(OPTION_ID) AEH_CLI_OPTIONS_OWN(OPTION_ID)
} opt_id;
#undef OPTION_ID

typedef enum opt_group { G_TASK, G_RUNTIME, G_GENERAL } opt_group;

typedef struct std_option {
  opt_id id;
  const char *name;
  char short_name;
  const char *metavar; /* NULL: takes no value */
  unsigned commands;   /* aeh_cli_command bits */
  opt_group group;
  const char *help;
} std_option;

/* Help lists them in this order, by group. */
#define OPTION_ENTRY(id, name, letter, metavar, commands, group, help)         \
  {id, name, letter, metavar, commands, group, help},
static const std_option std_options[] = {AEH_CLI_OPTIONS_PASSED_ON(OPTION_ENTRY)
                                             AEH_CLI_OPTIONS_OWN(OPTION_ENTRY)};
#undef OPTION_ENTRY
#define STD_OPTION_COUNT (sizeof std_options / sizeof std_options[0])

static const struct {
  aeh_cli_command command;
  const char *name;
  const char *usage;
  const char *summary;
} commands[] = {
    {AEH_CMD_RUN, "run", "aerohost run PLUGIN [options] [-- project flags]",
     "Loads PLUGIN, builds its action graph from the project flags, and runs "
     "every action in its own process, tracked in the store."},
    {AEH_CMD_LIST, "list",
     "aerohost list PLUGIN [--json] [options] [-- project flags]",
     "Prints one line per action, \"[job_type] output\", in run order (or "
     "JSON). Runs nothing and needs no store."},
    {AEH_CMD_GRAPH, "graph",
     "aerohost graph PLUGIN [--format dot|text] [options] [-- project "
     "flags]",
     "Prints the action graph: Graphviz DOT on stdout (default), or a tree "
     "for a terminal. Runs nothing and needs no store."},
    {AEH_CMD_DESCRIBE, "describe", "aerohost describe PLUGIN [--json]",
     "Prints the plugin's name, version, ABI, path, SHA-256 and builders, "
     "with every option: type, default, short letter, choices and help."},
};
#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

static const char *command_usage(aeh_cli_command command) {
  for (size_t i = 0; i < COMMAND_COUNT; i++) {
    if (commands[i].command == command)
      return commands[i].usage;
  }
  return "aerohost COMMAND PLUGIN ...";
}

static const char *command_name(aeh_cli_command command) {
  for (size_t i = 0; i < COMMAND_COUNT; i++) {
    if (commands[i].command == command)
      return commands[i].name;
  }
  return "?";
}

static void print_std_group(const aeh_doc *d, aeh_cli_command command,
                            opt_group group, bool several_builders) {
  for (size_t i = 0; i < STD_OPTION_COUNT; i++) {
    const std_option *o = &std_options[i];
    if (o->group != group || !(o->commands & command))
      continue;
    if (o->id == O_BUILDER && !several_builders)
      continue;
    char left[96];
    /* Long names stay aligned whether or not a short letter exists. */
    if (o->short_name != '\0')
      snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name,
               o->metavar ? " " : "", o->metavar ? o->metavar : "");
    else
      snprintf(left, sizeof left, "    --%s%s%s", o->name,
               o->metavar ? " " : "", o->metavar ? o->metavar : "");
    aeh_doc_entry(d, left, o->help, 0);
  }
}

static void write_project_options(const aeh_doc *d,
                                  const aero_builder_vtable *builder) {
  if (builder->option_count == 0) {
    aeh_doc_para(d, 2, "(this project has no options)");
    return;
  }
  for (size_t i = 0; i < builder->option_count; i++) {
    const aero_option *o = &builder->options[i];
    char name[80], value[64], left[160], text[1400], def[128];
    size_t n = 0;
    for (; o->name[n] != '\0' && n + 1 < sizeof name; n++)
      name[n] = o->name[n] == '_' ? '-' : o->name[n];
    name[n] = '\0';
    if (o->type == AERO_OPT_BOOL)
      snprintf(value, sizeof value, "%s", "");
    else
      snprintf(value, sizeof value, " %s", aeh_option_type_name(o->type));
    if (o->short_name != '\0')
      snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name,
               o->type == AERO_OPT_BOOL ? "[no-]" : "", name, value);
    else
      snprintf(left, sizeof left, "    --%s%s%s",
               o->type == AERO_OPT_BOOL ? "[no-]" : "", name, value);
    aeh_options_format(o->type, o->def, def, sizeof def);
    bool none = (o->type == AERO_OPT_STRING || o->type == AERO_OPT_CHOICE) &&
                o->def.s == NULL;
    size_t used = (size_t)snprintf(
        text, sizeof text, "%s%s(%s%s)", o->help ? o->help : "",
        o->help && o->help[0] ? " " : "",
        none ? "no default" : "default: ", none ? "" : def);
    if (o->type == AERO_OPT_CHOICE && used < sizeof text) {
      used += (size_t)snprintf(text + used, sizeof text - used, " (one of:");
      for (size_t c = 0; o->choices[c] != NULL && used < sizeof text; c++)
        used += (size_t)snprintf(text + used, sizeof text - used, "%s %s",
                                 c ? "," : "", o->choices[c]);
      if (used < sizeof text)
        snprintf(text + used, sizeof text - used, ")");
    }
    aeh_doc_entry(d, left, text, 0);
  }
}

void aeh_cli_print_project_options(FILE *out,
                                   const aero_builder_vtable *builder) {
  aeh_doc d = {out, AEH_DOC_TEXT};
  write_project_options(&d, builder);
}

static void write_exit_codes(const aeh_doc *d, int section) {
  aeh_doc_heading(d, section ? "Exit status" : "Exit codes", section);
  aeh_doc_entry(d, "0", "every selected action succeeded", 10);
  aeh_doc_entry(d, "1", "an action failed, crashed or timed out", 10);
  aeh_doc_entry(d, "2",
                "infrastructure error while running (store, host), also a "
                "store that cannot keep an output an action declares",
                10);
  aeh_doc_entry(d, "3",
                "error before anything ran: bad flag, bad plugin, bad graph, "
                "bad config, or a store that cannot be opened",
                10);
  aeh_doc_entry(d, "128+N", "killed by signal N", 10);
}

/* One command's help; the man page writes the same, minus the exit codes
 * (their own section there). */
static void write_command_help(const aeh_doc *d, aeh_cli_command command,
                               const aeh_plugin *plugin,
                               const aero_builder_vtable *builder) {
  size_t c = 0;
  while (c + 1 < COMMAND_COUNT && commands[c].command != command)
    c++;
  char title[32];
  snprintf(title, sizeof title, "aerohost %s", commands[c].name);
  aeh_doc_usage(d, title, commands[c].usage);
  aeh_doc_para(d, 0, commands[c].summary);
  if (command == AEH_CMD_DESCRIBE) {
    aeh_doc_heading(d, "Options", 0);
    print_std_group(d, command, G_TASK, false);
    print_std_group(d, command, G_GENERAL, false);
    return;
  }
  bool several = plugin == NULL || aeh_plugin_builder_count(plugin) > 1;
  if (plugin != NULL && builder != NULL) {
    fprintf(d->out, "\nProject options of %s (plugin %s %s), after --:\n",
            builder->project, aeh_plugin_name(plugin),
            aeh_plugin_version(plugin));
    if (builder->description != NULL && builder->description[0] != '\0')
      aeh_doc_para(d, 2, builder->description);
    write_project_options(d, builder);
    fprintf(d->out,
            "  Defaults can be set in aeromancy.ini, section [%s] "
            "(key = option name).\n",
            AEH_FLAGS_SECTION);
  } else {
    char text[160];
    snprintf(text, sizeof text,
             "Project options: given after --; `aerohost %s PLUGIN --help` "
             "lists them.",
             commands[c].name);
    if (d->format == AEH_DOC_TEXT)
      fputc('\n', d->out);
    aeh_doc_para(d, 0, text);
  }
  if (command == AEH_CMD_RUN) {
    aeh_doc_heading(d, "Task runner options", 0);
    print_std_group(d, command, G_TASK, several);
    aeh_doc_heading(d, "Runtime options", 0);
    print_std_group(d, command, G_RUNTIME, several);
    print_std_group(d, command, G_GENERAL, several);
  } else {
    aeh_doc_heading(d, "Options", 0);
    print_std_group(d, command, G_TASK, several);
    print_std_group(d, command, G_GENERAL, several);
  }
}

void aeh_cli_print_help(FILE *out, aeh_cli_command command,
                        const aeh_plugin *plugin,
                        const aero_builder_vtable *builder) {
  aeh_doc d = {out, AEH_DOC_TEXT};
  write_command_help(&d, command, plugin, builder);
  write_exit_codes(&d, 0);
}

static const char main_intro[] =
    "aerohost loads an aeromancy plugin (a project's actions, compiled "
    "against the SDK), builds its action graph from the project's typed "
    "flags, and runs every action in its own process, tracked in a store.";

static void print_main_help(FILE *out) {
  aeh_doc d = {out, AEH_DOC_TEXT};
  aeh_doc_usage(&d, "aerohost",
                "aerohost COMMAND PLUGIN [options] [-- project flags]");
  aeh_doc_para(&d, 0, main_intro);
  aeh_doc_heading(&d, "Commands", 0);
  for (size_t i = 0; i < COMMAND_COUNT; i++)
    aeh_doc_entry(&d, commands[i].usage, commands[i].summary, 0);
  aeh_doc_heading(&d, "Options", 0);
  aeh_doc_entry(&d, "-h, --help",
                "show this help; `aerohost COMMAND --help` for a command's "
                "options",
                0);
  aeh_doc_entry(&d, "--version",
                "print the host version, the plugin ABI and the SDK version",
                0);
  write_exit_codes(&d, 0);
}

void aeh_cli_write_manual(FILE *out) {
  aeh_doc d = {out, AEH_DOC_MAN};
  aeh_doc_man_begin(&d, "aerohost", 1,
                    "load an aeromancy plugin and run its actions, tracked");
  aeh_doc_heading(&d, "Synopsis", 1);
  for (size_t i = 0; i < COMMAND_COUNT; i++)
    aeh_doc_synopsis(&d, commands[i].usage);
  aeh_doc_synopsis(&d, "aerohost --version");
  aeh_doc_heading(&d, "Description", 1);
  aeh_doc_para(&d, 0, main_intro);
  aeh_doc_para(&d, 0,
               "Project flags, after --, are the plugin's own typed options: "
               "--name value, --name=value, a short letter, and "
               "--flag/--no-flag for booleans. Defaults come from the "
               "plugin, then the [flags] section of aeromancy.ini, then the "
               "command line; aeromancy.ini(5) describes the file.");
  aeh_doc_heading(&d, "Commands", 1);
  for (size_t i = 0; i < COMMAND_COUNT; i++)
    write_command_help(&d, commands[i].command, NULL, NULL);
  write_exit_codes(&d, 1);
  aeh_doc_heading(&d, "Environment", 1);
  aeh_doc_entry(&d, "AEROMANCY_STORE",
                "the store to record in, unless --store is given", 0);
  aeh_doc_entry(&d, "XDG_DATA_HOME",
                "the store is $XDG_DATA_HOME/aeromancy when neither "
                "--store, AEROMANCY_STORE nor [store] path names one "
                "(default: ~/.local/share)",
                0);
  aeh_doc_entry(&d, "AEROMANCY_BACKEND",
                "the tracker backend, unless --backend is given (over "
                "[store] backend)",
                0);
  aeh_doc_entry(&d, "AEROMANCY_BLOBS",
                "the postgres backend's bucket, over [store] blobs", 0);
  aeh_doc_entry(&d, "AEROMANCY_INLINE_MAX",
                "the local backend's largest blob kept in the database, in "
                "bytes, 0 to 65536 (default: 4096; 0: every blob a file)",
                0);
  aeh_doc_entry(&d, "AEROMANCY_CONFIG",
                "another file to read instead of aeromancy.ini (it must "
                "exist)",
                0);
  aeh_doc_entry(&d, "AEROMANCY_PLUGIN_PATH",
                "colon-separated folders searched first for backend plugins",
                0);
  aeh_doc_entry(&d, "AEROMANCY_PLUGIN_LOAD_TIMEOUT",
                "seconds (0-86400, 0 for no limit) a plugin may take to "
                "load before aerohost gives up on it, exit 3 (default: 30); "
                "another value is refused, exit 3",
                0);
  aeh_doc_entry(&d, "NO_COLOR", "no colour on the terminal", 0);
  aeh_doc_heading(&d, "See also", 1);
  aeh_doc_para(&d, 0, "aeromancy(1), aeromancy.ini(5)");
}

void aeh_cli_write_completion(FILE *out) {
  fputs("_aerohost_commands='", out);
  for (size_t i = 0; i < COMMAND_COUNT; i++)
    fprintf(out, "%s%s", i ? " " : "", commands[i].name);
  fputs("'\n", out);
  for (size_t c = 0; c < COMMAND_COUNT; c++) {
    for (int with_value = 0; with_value < 2; with_value++) {
      fprintf(out, "_aerohost_%s_%s='", with_value ? "valopts" : "opts",
              commands[c].name);
      const char *sep = "";
      for (size_t i = 0; i < STD_OPTION_COUNT; i++) {
        const std_option *o = &std_options[i];
        if (!(o->commands & commands[c].command) ||
            (with_value && o->metavar == NULL))
          continue;
        fprintf(out, "%s--%s", sep, o->name);
        sep = " ";
        if (o->short_name != '\0')
          fprintf(out, " -%c", o->short_name);
      }
      fputs("'\n", out);
    }
  }
}

static const std_option *find_long(const char *name, size_t len) {
  for (size_t i = 0; i < STD_OPTION_COUNT; i++) {
    if (strlen(std_options[i].name) == len &&
        strncmp(std_options[i].name, name, len) == 0)
      return &std_options[i];
  }
  return NULL;
}

static const std_option *find_short(char letter) {
  for (size_t i = 0; i < STD_OPTION_COUNT; i++) {
    if (std_options[i].short_name == letter)
      return &std_options[i];
  }
  return NULL;
}

static aero_status unknown_option(aeh_cli_command command, const char *typed,
                                  aero_error *err) {
  const char *names[STD_OPTION_COUNT];
  size_t n = 0;
  for (size_t i = 0; i < STD_OPTION_COUNT; i++) {
    if (std_options[i].commands & command)
      names[n++] = std_options[i].name;
  }
  char word[80];
  snprintf(word, sizeof word, "%.*s", (int)strcspn(typed, "="), typed);
  const char *near = aeh_suggest(word, names, n);
  if (near != NULL)
    return aeh_error_set(err, AERO_E_INVALID,
                         "unknown option --%s (did you mean --%s?)", word,
                         near);
  if (command == AEH_CMD_DESCRIBE)
    return aeh_error_set(err, AERO_E_INVALID,
                         "unknown option --%s for aerohost describe", word);
  return aeh_error_set(err, AERO_E_INVALID,
                       "unknown option --%s for aerohost %s (project flags "
                       "go after --: aerohost %s PLUGIN -- --%s ...)",
                       word, command_name(command), command_name(command),
                       word);
}

static aero_status parse_jobs(const char *text, unsigned *out,
                              aero_error *err) {
  char *end = NULL;
  errno = 0;
  long long n = strtoll(text, &end, 10);
  if (text[0] == '\0' || isspace((unsigned char)text[0]) || *end != '\0' ||
      errno == ERANGE || n < 1 || n > MAX_JOBS)
    return aeh_error_set(err, AERO_E_INVALID,
                         "--jobs: '%s' is not a whole number from 1 to %d",
                         text, MAX_JOBS);
  *out = (unsigned)n;
  return AERO_OK;
}

static aero_status parse_timeout(const char *text, double *out,
                                 aero_error *err) {
  char *end = NULL;
  double s = strtod(text, &end);
  if (text[0] == '\0' || isspace((unsigned char)text[0]) || *end != '\0' ||
      !isfinite(s) || s <= 0)
    return aeh_error_set(err, AERO_E_INVALID,
                         "--timeout: '%s' is not a number of seconds > 0",
                         text);
  *out = s;
  return AERO_OK;
}

static aero_status apply(aeh_cli_args *a, const std_option *o,
                         const char *value, aero_error *err) {
  switch (o->id) {
  case O_HELP:
    a->help = true;
    break;
  case O_ONLY:
    a->only = value;
    break;
  case O_LIST:
    a->list = true;
    break;
  case O_GRAPH:
    a->graph = true;
    break;
  case O_JSON:
    a->json = true;
    break;
  case O_FORMAT:
    if (strcmp(value, "dot") != 0 && strcmp(value, "text") != 0)
      return aeh_error_set(err, AERO_E_INVALID,
                           "--format: '%s' is not one of: dot, text", value);
    a->format = value;
    break;
  case O_TAGS:
    a->tags = value;
    break;
  case O_DRY_RUN:
    a->dry_run = true;
    break;
  case O_JOBS:
    return parse_jobs(value, &a->jobs, err);
  case O_KEEP_GOING:
    a->keep_going = true;
    break;
  case O_FORCE:
    a->force = true;
    break;
  case O_FORCE_ONLY:
    if (value[strspn(value, ", \t")] == '\0')
      return aeh_error_set(err, AERO_E_INVALID,
                           "--force-only: '%s' names no action (give "
                           "substrings of \"job_type output\", "
                           "comma-separated)",
                           value);
    a->force_only = value;
    break;
  case O_TIMEOUT:
    return parse_timeout(value, &a->timeout_s, err);
  case O_NO_ISOLATION:
    a->no_isolation = true;
    break;
  case O_BUILDER:
    a->builder = value;
    break;
  case O_DEV:
    a->dev = true;
    break;
  case O_DEBUG:
    a->debug = true;
    break;
  case O_OVERRIDE: {
    const char **grown =
        realloc(a->overrides, (a->override_count + 1) * sizeof *grown);
    if (grown == NULL)
      return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
    a->overrides = grown;
    a->overrides[a->override_count++] = value;
    break;
  }
  case O_STORE:
    a->store = value;
    break;
  case O_BACKEND:
    a->backend = value;
    break;
  case O_EXECUTOR:
    if (strcmp(value, "local") != 0 && strcmp(value, "slurm") != 0)
      return aeh_error_set(err, AERO_E_INVALID,
                           "--executor: '%s' is not one of: local, slurm",
                           value);
    a->slurm = strcmp(value, "slurm") == 0;
    break;
  case O_DETACH:
    a->detach = true;
    break;
  case O_SLURM_CPUS:
  case O_SLURM_MEM:
  case O_SLURM_TIME:
  case O_SLURM_GPUS:
  case O_SLURM_PARTITION:
    a->slurm_res[o->id - O_SLURM_CPUS] = value;
    break;
  }
  return AERO_OK;
}

/* Parses the standard options of `command` from argv[first..], the plugin
 * path, and what follows "--". */
static aero_status parse_args(int argc, char **argv, int first, aeh_cli_args *a,
                              aero_error *err) {
  aeh_cli_command command = a->command;
  for (int i = first; i < argc; i++) {
    const char *arg = argv[i];
    const std_option *o = NULL;
    const char *value = NULL;
    char label[96];
    if (strcmp(arg, "--") == 0) {
      a->project_argc = argc - i - 1;
      a->project_argv = argv + i + 1;
      break;
    }
    if (arg[0] == '-' && arg[1] == '-') {
      const char *name = arg + 2;
      size_t len = strcspn(name, "=");
      o = find_long(name, len);
      if (o == NULL || !(o->commands & command)) {
        if (o == NULL)
          return unknown_option(command, name, err);
        return aeh_error_set(err, AERO_E_INVALID,
                             "--%s is not an option of aerohost %s", o->name,
                             command_name(command));
      }
      snprintf(label, sizeof label, "--%s", o->name);
      if (name[len] == '=') {
        if (o->metavar == NULL)
          return aeh_error_set(err, AERO_E_INVALID, "%s takes no value", label);
        value = name + len + 1;
      }
    } else if (arg[0] == '-' && arg[1] != '\0') {
      o = find_short(arg[1]);
      if (o == NULL || !(o->commands & command))
        return aeh_error_set(err, AERO_E_INVALID,
                             "unknown option -%c for aerohost %s (project "
                             "flags go after --)",
                             isprint((unsigned char)arg[1]) ? arg[1] : '?',
                             command_name(command));
      snprintf(label, sizeof label, "-%c", o->short_name);
      if (arg[2] != '\0') {
        if (o->metavar == NULL)
          return aeh_error_set(err, AERO_E_INVALID, "%s takes no value", label);
        value = arg + 2 + (arg[2] == '=');
      }
    } else {
      if (a->plugin == NULL) {
        a->plugin = arg;
        continue;
      }
      return aeh_error_set(err, AERO_E_INVALID,
                           "unexpected argument '%s' (one PLUGIN; project "
                           "flags go after --)",
                           arg);
    }
    if (o->metavar != NULL && value == NULL) {
      if (i + 1 >= argc || strcmp(argv[i + 1], "--") == 0)
        return aeh_error_set(err, AERO_E_INVALID, "%s needs a value (%s)",
                             label, o->metavar);
      value = argv[++i];
    }
    aero_status rc = apply(a, o, value, err);
    if (rc != AERO_OK)
      return rc;
  }
  if (command == AEH_CMD_DESCRIBE && a->project_argc > 0)
    return aeh_error_set(err, AERO_E_INVALID,
                         "aerohost describe takes no project flags (it "
                         "shows the defaults)");
  if (a->list && a->graph)
    return aeh_error_set(err, AERO_E_INVALID,
                         "--list and --graph cannot be combined");
  if (command == AEH_CMD_RUN && a->json && !a->list)
    return aeh_error_set(err, AERO_E_INVALID,
                         "--json applies to --list (aerohost run PLUGIN "
                         "--list --json)");
  if (command == AEH_CMD_RUN && a->format != NULL && !a->graph)
    return aeh_error_set(err, AERO_E_INVALID,
                         "--format applies to --graph (aerohost run PLUGIN "
                         "--graph --format text)");
  return AERO_OK;
}

const aero_builder_vtable *aeh_cli_pick_builder(const aeh_plugin *plugin,
                                                const char *name,
                                                aero_error *err) {
  size_t n = aeh_plugin_builder_count(plugin);
  if (name == NULL)
    return aeh_plugin_builder(plugin, 0);
  for (size_t i = 0; i < n; i++) {
    const aero_builder_vtable *b = aeh_plugin_builder(plugin, i);
    if (strcmp(b->project, name) == 0)
      return b;
  }
  char names[512] = "";
  size_t used = 0;
  for (size_t i = 0; i < n && used < sizeof names; i++)
    used +=
        (size_t)snprintf(names + used, sizeof names - used, "%s%s",
                         i ? ", " : "", aeh_plugin_builder(plugin, i)->project);
  aeh_error_set(err, AERO_E_INVALID,
                "%s: --builder: no builder named '%s' (this plugin has: %s)",
                aeh_plugin_path(plugin), name, names);
  return NULL;
}

bool aeh_cli_parse(int argc, char **argv, aeh_cli_args *args, int *code) {
  aero_error err = AEH_ERROR_INIT;
  *args = (aeh_cli_args){.jobs = 1};
  *code = AEH_EXIT_USAGE;
  if (argc < 2) {
    aeh_console_error("no command given (usage: aerohost run|list|graph|"
                      "describe PLUGIN ...; see aerohost --help)");
    return false;
  }
  const char *word = argv[1];
  if (strcmp(word, "--version") == 0) {
    printf("aerohost %s (plugin ABI %d.%d, SDK %s)\n", AERO_HOST_VERSION,
           AERO_ABI_MAJOR, AERO_ABI_MINOR, AERO_SDK_VERSION);
    *code = AEH_EXIT_OK;
    return false;
  }
  if (strcmp(word, "-h") == 0 || strcmp(word, "--help") == 0 ||
      (strcmp(word, "help") == 0 && argc == 2)) {
    print_main_help(stdout);
    *code = AEH_EXIT_OK;
    return false;
  }
  bool help_word = strcmp(word, "help") == 0;
  if (help_word)
    word = argv[2];
  const char *names[COMMAND_COUNT];
  for (size_t i = 0; i < COMMAND_COUNT; i++) {
    names[i] = commands[i].name;
    if (strcmp(word, commands[i].name) == 0)
      args->command = commands[i].command;
  }
  if (args->command == 0) {
    const char *near = aeh_suggest(word, names, COMMAND_COUNT);
    if (word[0] == '-')
      aeh_console_error("unknown option %s before the command (usage: "
                        "aerohost run|list|graph|describe PLUGIN ...)",
                        word);
    else if (near != NULL)
      aeh_console_error("unknown command '%s' (did you mean %s?)", word, near);
    else
      aeh_console_error("unknown command '%s' (commands: run, list, graph, "
                        "describe)",
                        word);
    return false;
  }
  if (help_word) {
    aeh_cli_print_help(stdout, args->command, NULL, NULL);
    *code = AEH_EXIT_OK;
    return false;
  }
  if (parse_args(argc, argv, 2, args, &err) != AERO_OK) {
    aeh_console_error("%s", err.message);
    return false;
  }
  if (args->plugin == NULL) {
    if (args->help) {
      aeh_cli_print_help(stdout, args->command, NULL, NULL);
      *code = AEH_EXIT_OK;
      return false;
    }
    aeh_console_error("aerohost %s: no PLUGIN given (usage: %s)",
                      command_name(args->command),
                      command_usage(args->command));
    return false;
  }
  return true;
}

void aeh_cli_args_free(aeh_cli_args *args) {
  free(args->overrides);
  args->overrides = NULL;
  args->override_count = 0;
}
