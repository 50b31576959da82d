#include "command.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "doc.h"
#include "go.h"
#include "ini_doc.h"
#include "read_cmd.h"

/* Every `aeromancy` subcommand, in the order help lists them. A command
 * missing here does not exist: the dispatcher, the help and the man page
 * all read this list. */
const aeh_command *const aeh_commands[] = {
    &aeh_cmd_go,      &aeh_cmd_image, &aeh_cmd_runs,      &aeh_cmd_show,
    &aeh_cmd_metrics, &aeh_cmd_diff,  &aeh_cmd_artifacts, &aeh_cmd_lineage,
    &aeh_cmd_export,  &aeh_cmd_path,  &aeh_cmd_fsck,      &aeh_cmd_gc,
    &aeh_cmd_rerun,   &aeh_cmd_store, &aeh_cmd_new,       &aeh_cmd_ui,
    &aeh_cmd_help,
};
const size_t aeh_command_count = sizeof aeh_commands / sizeof *aeh_commands;

static const aeh_option help_option = {"help", 'h', NULL, "show this help", 0};

const aeh_command *aeh_command_find(const char *name) {
  for (size_t i = 0; i < aeh_command_count; i++)
    if (strcmp(aeh_commands[i]->name, name) == 0)
      return aeh_commands[i];
  return NULL;
}

static bool write_failure_told;

int aeh_command_write_failed(const aeh_command *cmd, int error) {
  if (!write_failure_told)
    fprintf(stderr, "aeromancy %s: cannot write to standard output%s%s\n",
            cmd->name, error != 0 ? ": " : "",
            error != 0 ? strerror(error) : "");
  write_failure_told = true;
  return AEH_EXIT_INFRA;
}

int aeh_command_finish(const aeh_command *cmd, int rc) {
  int error = fflush(stdout) != 0 ? errno : 0;
  if (error == 0 && !ferror(stdout))
    return rc;
  aeh_command_write_failed(cmd, error);
  return rc == AEH_EXIT_OK ? AEH_EXIT_INFRA : rc;
}

int aeh_command_usage_error(const aeh_command *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("aeromancy: ", stderr);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  if (cmd != NULL)
    fprintf(stderr, " (see aeromancy %s --help)\n", cmd->name);
  else
    fputs(" (see aeromancy --help)\n", stderr);
  return AEH_EXIT_USAGE;
}

static const aeh_option *find_long(const aeh_command *cmd, const char *name,
                                   size_t len) {
  for (const aeh_option *o = cmd->options; o && o->name; o++)
    if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
      return o;
  if (len == 4 && strncmp(name, "help", 4) == 0)
    return &help_option;
  return NULL;
}

static const aeh_option *find_short(const aeh_command *cmd, char c) {
  for (const aeh_option *o = cmd->options; o && o->name; o++)
    if (o->short_name == c)
      return o;
  return c == 'h' ? &help_option : NULL;
}

/* The name of operand `n` (from 0) in the first line of cmd's usage
 * ("aeromancy diff RUN RUN [--all]...": 1 -> "RUN"): the words outside
 * brackets after "aeromancy NAME", into `out` (quoted when it is a literal
 * word); "argument" when there is no such word. */
static void operand_name(const aeh_command *cmd, size_t n, char *out,
                         size_t size) {
  snprintf(out, size, "argument");
  const char *p = cmd->usage + strcspn(cmd->usage, " "); /* "aeromancy" */
  p += strspn(p, " ");
  p += strcspn(p, " \n"); /* the command's name */
  int depth = 0;
  size_t seen = 0;
  while (*p != '\0' && *p != '\n') {
    p += strspn(p, " ");
    size_t len = strcspn(p, " \n");
    if (len == 0)
      break;
    bool operand = depth == 0 && p[0] != '[' && p[0] != '-';
    for (size_t i = 0; i < len; i++)
      depth += p[i] == '[' ? 1 : p[i] == ']' ? -1 : 0;
    if (operand && seen++ == n) {
      /* A literal word ("copy" of `store copy`) is quoted; a name is not. */
      bool literal = false;
      for (size_t i = 0; i < len; i++)
        literal |= p[i] >= 'a' && p[i] <= 'z';
      snprintf(out, size, literal ? "'%.*s'" : "%.*s", (int)len, p);
      return;
    }
    p += len;
  }
}

int aeh_command_parse(const aeh_command *cmd, int argc, char **argv,
                      aeh_option_fn apply, void *ctx, aeh_args *out) {
  aeh_args a = {.rest_argc = 0};
  bool help = false;
  /* Options given so far: one that takes a value and is not said to be
   * repeatable, given twice, is refused (the last one used to win
   * silently: `runs --tag a --tag b` listed the runs tagged b). */
  uint64_t given = 0;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    const aeh_option *o = NULL;
    const char *value = NULL;
    if (strcmp(arg, "--") == 0) {
      if (!cmd->takes_rest)
        return aeh_command_usage_error(cmd,
                                       "aeromancy %s takes no project "
                                       "flags",
                                       cmd->name);
      a.rest_argc = argc - i - 1;
      a.rest_argv = argv + i + 1;
      break;
    }
    if (strncmp(arg, "--", 2) == 0) {
      size_t len = strcspn(arg + 2, "=");
      o = find_long(cmd, arg + 2, len);
      if (o == NULL)
        return aeh_command_usage_error(
            cmd, "unknown option %.*s for aeromancy %s%s", (int)len + 2, arg,
            cmd->name, cmd->takes_rest ? " (project flags go after --)" : "");
      if (arg[2 + len] == '=') {
        if (o->metavar == NULL)
          return aeh_command_usage_error(cmd, "--%s takes no value", o->name);
        value = arg + 3 + len;
      }
    } else if (arg[0] == '-' && arg[1] != '\0') {
      o = find_short(cmd, arg[1]);
      if (o == NULL)
        return aeh_command_usage_error(
            cmd, "unknown option -%c for aeromancy %s%s", arg[1], cmd->name,
            cmd->takes_rest ? " (project flags go after --)" : "");
      if (arg[2] != '\0') { /* -j4 */
        if (o->metavar == NULL)
          return aeh_command_usage_error(cmd, "-%c takes no value", arg[1]);
        value = arg + 2;
      }
    } else {
      if (a.positional_count < cmd->max_positional) {
        a.positional[a.positional_count++] = arg;
        continue;
      }
      if (cmd->takes_rest)
        return aeh_command_usage_error(
            cmd,
            "unexpected argument '%s' (project flags go after --: "
            "aeromancy %s -- --flag value)",
            arg, cmd->name);
      if (cmd->max_positional == 0)
        return aeh_command_usage_error(
            cmd, "unexpected argument '%s' (aeromancy %s takes no operand)",
            arg, cmd->name);
      return aeh_command_usage_error(
          cmd, "unexpected argument '%s' (aeromancy %s takes at most %zu)",
          arg, cmd->name, cmd->max_positional);
    }
    if (o->metavar != NULL && value == NULL) {
      if (i + 1 >= argc || strcmp(argv[i + 1], "--") == 0)
        return aeh_command_usage_error(cmd, "--%s needs a value (%s)", o->name,
                                       o->metavar);
      value = argv[++i];
    }
    if (o == &help_option) {
      help = true;
      continue;
    }
    size_t at = (size_t)(o - cmd->options);
    if (o->metavar != NULL && at < 64 &&
        strstr(o->help != NULL ? o->help : "", "(repeatable)") == NULL) {
      if (given & ((uint64_t)1 << at))
        return aeh_command_usage_error(
            cmd, "--%s given twice (it takes one value; the second was '%s')",
            o->name, value);
      given |= (uint64_t)1 << at;
    }
    int rc = apply ? apply(ctx, o, value) : 0;
    if (rc != 0)
      return rc;
  }
  if (help) {
    aeh_command_print_help(cmd, stdout);
    return AEH_EXIT_OK;
  }
  if (a.positional_count < cmd->min_positional) {
    char missing[64];
    operand_name(cmd, a.positional_count, missing, sizeof missing);
    return aeh_command_usage_error(cmd, "missing %s", missing);
  }
  if (out != NULL)
    *out = a;
  return -1;
}

static void write_option(const aeh_doc *d, const aeh_option *o) {
  char left[96];
  if (o->short_name != 0)
    snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name,
             o->metavar ? " " : "", o->metavar ? o->metavar : "");
  else
    snprintf(left, sizeof left, "    --%s%s%s", o->name, o->metavar ? " " : "",
             o->metavar ? o->metavar : "");
  aeh_doc_entry(d, left, o->help, 0);
}

static void write_command(const aeh_doc *d, const aeh_command *cmd) {
  char title[64];
  snprintf(title, sizeof title, "aeromancy %s", cmd->name);
  aeh_doc_usage(d, title, cmd->usage);
  aeh_doc_para(d, 0, cmd->summary);
  if (cmd->description != NULL) {
    if (d->format == AEH_DOC_TEXT)
      fputc('\n', d->out);
    aeh_doc_para(d, 0, cmd->description);
  }
  aeh_doc_heading(d, "Options", 0);
  for (const aeh_option *o = cmd->options; o && o->name; o++)
    write_option(d, o);
  write_option(d, &help_option);
}

/* Each row says which commands return it (1u << aeh_exits). */
#define EXITS(k) (1u << (k))
static const struct {
  const char *code, *meaning;
  unsigned exits;
} exit_codes[] = {
    {"0", "all ok",
     EXITS(AEH_EXITS_RUN) | EXITS(AEH_EXITS_OTHER) | EXITS(AEH_EXITS_READ)},
    {"1", "an action failed", EXITS(AEH_EXITS_RUN)},
    {"2", "infrastructure error while running (store, container engine)",
     EXITS(AEH_EXITS_RUN) | EXITS(AEH_EXITS_OTHER)},
    {"2",
     "reading the record: the store could not be read, or the answer "
     "not written",
     EXITS(AEH_EXITS_READ)},
    {"3",
     "nothing ran: bad option or aeromancy.ini, dirty tree, branch "
     "main, engine unreachable, plugin build failed",
     EXITS(AEH_EXITS_RUN) | EXITS(AEH_EXITS_OTHER)},
    {"3",
     "reading the record: bad option, no such store, run, artifact or "
     "version, or export's folder already there",
     EXITS(AEH_EXITS_READ)},
    {"128+N", "aerohost killed by signal N", EXITS(AEH_EXITS_RUN)},
};

/* The exit codes of commands of kinds `kinds` (EXITS bits). */
static void write_exit_codes(const aeh_doc *d, int section, unsigned kinds) {
  aeh_doc_heading(d, section ? "Exit status" : "Exit codes", section);
  for (size_t i = 0; i < sizeof exit_codes / sizeof *exit_codes; i++)
    if (exit_codes[i].exits & kinds)
      aeh_doc_entry(d, exit_codes[i].code, exit_codes[i].meaning, 10);
}

/* Every command's codes: the runner's whole table. */
#define ALL_EXITS (EXITS(AEH_EXITS_RUN) | EXITS(AEH_EXITS_READ))

void aeh_command_print_help(const aeh_command *cmd, FILE *out) {
  aeh_doc d = {out, AEH_DOC_TEXT};
  write_command(&d, cmd);
  if (cmd->exits != AEH_EXITS_OWN)
    write_exit_codes(&d, 0, EXITS(cmd->exits));
}

static const char intro[] =
    "aeromancy runs an aeromancy project: it builds the project's plugin "
    "and runs it with aerohost, in a container built once from the host "
    "image's recipe (production) or directly on this machine (--dev), and "
    "reads back what the runs recorded.";

void aeh_commands_print_help(FILE *out) {
  aeh_doc d = {out, AEH_DOC_TEXT};
  fputs("usage: aeromancy COMMAND [options]\n", out);
  fputs("       aeromancy --help | --version\n\n", out);
  aeh_doc_para(&d, 0, intro);
  aeh_doc_heading(&d, "Commands", 0);
  for (size_t i = 0; i < aeh_command_count; i++)
    aeh_doc_entry(&d, aeh_commands[i]->name, aeh_commands[i]->summary, 14);
  fputc('\n', out);
  aeh_doc_para(&d, 0,
               "`aeromancy COMMAND --help` shows a command's options; "
               "`aeromancy help aeromancy.ini` the project file's keys.");
  write_exit_codes(&d, 0, ALL_EXITS);
}

void aeh_commands_write_manual(FILE *out) {
  aeh_doc d = {out, AEH_DOC_MAN};
  aeh_doc_man_begin(&d, "aeromancy", 1,
                    "build and run an aeromancy project, and read its runs");
  aeh_doc_heading(&d, "Synopsis", 1);
  for (size_t i = 0; i < aeh_command_count; i++)
    aeh_doc_synopsis(&d, aeh_commands[i]->usage);
  aeh_doc_synopsis(&d, "aeromancy --version");
  aeh_doc_heading(&d, "Description", 1);
  aeh_doc_para(&d, 0, intro);
  aeh_doc_heading(&d, "Commands", 1);
  for (size_t i = 0; i < aeh_command_count; i++)
    write_command(&d, aeh_commands[i]);
  aeh_doc_heading(&d, "Files", 1);
  aeh_doc_entry(&d, "aeromancy.ini",
                "the project's settings, at its root; see aeromancy.ini(5)", 0);
  aeh_doc_heading(&d, "Environment", 1);
  aeh_ini_write_environment(&d);
  write_exit_codes(&d, 1, ALL_EXITS);
  aeh_doc_heading(&d, "See also", 1);
  aeh_doc_para(&d, 0, "aerohost(1), aeromancy.ini(5)");
}

/* `aeromancy help [COMMAND | aeromancy.ini]`. */
static int help_run(const aeh_command *self, int argc, char **argv) {
  aeh_args a;
  int rc = aeh_command_parse(self, argc, argv, NULL, NULL, &a);
  if (rc >= 0)
    return rc;
  if (a.positional_count == 0) {
    aeh_commands_print_help(stdout);
    return AEH_EXIT_OK;
  }
  const char *topic = a.positional[0];
  if (strcmp(topic, "aeromancy.ini") == 0 || strcmp(topic, "ini") == 0) {
    aeh_ini_print_help(stdout);
    return AEH_EXIT_OK;
  }
  const aeh_command *cmd = aeh_command_find(topic);
  if (cmd == NULL)
    return aeh_command_usage_error(self, "no help on '%s'", topic);
  aeh_command_print_help(cmd, stdout);
  return AEH_EXIT_OK;
}

const aeh_command aeh_cmd_help = {
    .name = "help",
    .usage = "aeromancy help [COMMAND | aeromancy.ini]",
    .summary = "show the help of a command, or the keys of aeromancy.ini",
    .options = NULL,
    .max_positional = 1,
    .run = help_run,
};

void aeh_commands_write_completion(FILE *out) {
  fputs("_aeromancy_commands='", out);
  for (size_t i = 0; i < aeh_command_count; i++)
    fprintf(out, "%s%s", i ? " " : "", aeh_commands[i]->name);
  fputs("'\n", out);
  for (size_t c = 0; c < aeh_command_count; c++) {
    const aeh_command *cmd = aeh_commands[c];
    for (int with_value = 0; with_value < 2; with_value++) {
      /* Shell variable names: '-' is not allowed in them. */
      fprintf(out, "_aeromancy_%s_", with_value ? "valopts" : "opts");
      for (const char *p = cmd->name; *p; p++)
        fputc(*p == '-' ? '_' : *p, out);
      fputs("='", out);
      const char *sep = "";
      for (const aeh_option *o = cmd->options; o && o->name; o++) {
        if (with_value && o->metavar == NULL)
          continue;
        fprintf(out, "%s--%s", sep, o->name);
        sep = " ";
        if (o->short_name != 0)
          fprintf(out, " -%c", o->short_name);
      }
      if (!with_value)
        fprintf(out, "%s--help -h", sep);
      fputs("'\n", out);
    }
  }
}
