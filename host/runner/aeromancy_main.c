/* aeromancy: the runner. Parses the command line and calls into go.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <aeromancy/abi.h>

#include "go.h"
#include "shell_words.h"

static const char usage[] =
    "usage: aeromancy go [options] [-- project flags]\n"
    "       aeromancy image [--rebuild] [--prune] [--extra-debian-package "
    "PKG]...\n"
    "       aeromancy --help | --version\n"
    "\n"
    "go: builds the project's plugin in the aeromancy host image and runs it\n"
    "with aerohost in a container (production: a clean git tree on a\n"
    "feature branch, every run tracked with its commit and image).\n"
    "image: builds the host image for the current recipe when it is missing\n"
    "(or again with --rebuild) and prints its id; --prune removes the host\n"
    "images of older recipes.\n"
    "\n"
    "Runner options:\n"
    "  --dev                      no git checks, no container: build the\n"
    "                             plugin here and run aerohost --dev\n"
    "  --debug                    show the commands; aerohost --debug\n"
    "  --debug-shell              a shell in the container, with the plugin\n"
    "                             and the store mounted (implies --debug)\n"
    "  --extra-docker-run-args ARGS\n"
    "                             more `docker run` arguments, shell-quoted\n"
    "                             (e.g. \"-v /data:/data:ro\")\n"
    "  --extra-debian-package PKG install PKG in the image (repeatable)\n"
    "  --extra-env-var VAR        pass VAR's value into the container, by\n"
    "                             name only (repeatable)\n"
    "  --artifact-override NAME:VERSION\n"
    "                             pin an input artifact (repeatable)\n"
    "  --plugin PATH              run this already built plugin\n"
    "  --project DIR              the project (default: the git work tree\n"
    "                             of the current folder)\n"
    "  --rebuild                  (image) build every layer again\n"
    "  --prune                    (image) remove the host images of older\n"
    "                             recipes (one a container uses is kept)\n"
    "\n"
    "Passed on to aerohost run: --only SUBSTRS, --tags A,B, -j/--jobs N,\n"
    "-k/--keep-going, --timeout SECONDS, --dry-run, --backend NAME.\n"
    "Everything after -- goes to the project's own flags.\n"
    "\n"
    "aeromancy.ini at the project root: [project] name; [build] target;\n"
    "[container] engine, image, base_image, run_args, debian_packages;\n"
    "[env] passthrough; [store] path; [git] allow_main. See docs/runner.md.\n"
    "\n"
    "Exit codes: 0 all ok; 1 an action failed; 2 infrastructure error while\n"
    "running (store, container engine); 3 nothing ran (bad option or\n"
    "aeromancy.ini, dirty tree, branch main, engine unreachable, plugin\n"
    "build failed); 128+N aerohost killed by signal N.\n";

typedef enum opt_kind { FLAG, VALUE } opt_kind;

typedef struct opt {
  const char *name; /* long name without "--" */
  char short_name;  /* or 0 */
  opt_kind kind;
  int commands; /* CMD_GO | CMD_IMAGE */
  int forward;  /* passed on to aerohost run as given */
} opt;

enum { CMD_GO = 1, CMD_IMAGE = 2 };

static const opt options[] = {
    {"dev", 0, FLAG, CMD_GO, 0},
    {"debug", 0, FLAG, CMD_GO | CMD_IMAGE, 0},
    {"debug-shell", 0, FLAG, CMD_GO, 0},
    {"extra-docker-run-args", 0, VALUE, CMD_GO, 0},
    {"extra-debian-package", 0, VALUE, CMD_GO | CMD_IMAGE, 0},
    {"extra-env-var", 0, VALUE, CMD_GO, 0},
    {"artifact-override", 0, VALUE, CMD_GO, 0},
    {"plugin", 0, VALUE, CMD_GO, 0},
    {"project", 0, VALUE, CMD_GO | CMD_IMAGE, 0},
    {"rebuild", 0, FLAG, CMD_IMAGE, 0},
    {"prune", 0, FLAG, CMD_IMAGE, 0},
    {"only", 0, VALUE, CMD_GO, 1},
    {"tags", 0, VALUE, CMD_GO, 1},
    {"jobs", 'j', VALUE, CMD_GO, 1},
    {"keep-going", 'k', FLAG, CMD_GO, 1},
    {"timeout", 0, VALUE, CMD_GO, 1},
    {"dry-run", 0, FLAG, CMD_GO, 1},
    {"backend", 0, VALUE, CMD_GO, 1},
    {"help", 'h', FLAG, CMD_GO | CMD_IMAGE, 0},
};

/* Prints a one-line usage error; returns the exit code for it. */
static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("aeromancy: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputs(" (see aeromancy --help)\n", stderr);
  va_end(ap);
  return AEH_EXIT_BEFORE_RUN;
}

static const opt *find_long(const char *name, size_t len) {
  for (size_t i = 0; i < sizeof options / sizeof *options; i++)
    if (strlen(options[i].name) == len &&
        strncmp(options[i].name, name, len) == 0)
      return &options[i];
  return NULL;
}

static const opt *find_short(char c) {
  for (size_t i = 0; i < sizeof options / sizeof *options; i++)
    if (options[i].short_name == c)
      return &options[i];
  return NULL;
}

/* Applies one option; returns 0, or an exit code. */
static int apply(aeh_go_options *o, const opt *op, const char *value,
                 int *help) {
  aero_error err = AEH_ERROR_INIT;
  aero_status st = AERO_OK;
  const char *n = op->name;
  if (op->forward) {
    st = aeh_strv_pushf(&o->host_args, "--%s", n);
    if (st == AERO_OK && value != NULL)
      st = aeh_strv_push(&o->host_args, value);
  } else if (strcmp(n, "help") == 0) {
    *help = 1;
  } else if (strcmp(n, "dev") == 0) {
    o->dev = true;
  } else if (strcmp(n, "debug") == 0) {
    o->debug = true;
  } else if (strcmp(n, "debug-shell") == 0) {
    o->debug_shell = o->debug = true;
  } else if (strcmp(n, "rebuild") == 0) {
    o->rebuild = true;
  } else if (strcmp(n, "prune") == 0) {
    o->prune = true;
  } else if (strcmp(n, "extra-docker-run-args") == 0) {
    st = aeh_shell_words_split(value, &o->run_args, &err);
    if (st != AERO_OK)
      return bad("--extra-docker-run-args: %s", err.message);
  } else if (strcmp(n, "extra-debian-package") == 0) {
    st = aeh_strv_push(&o->packages, value);
  } else if (strcmp(n, "extra-env-var") == 0) {
    st = aeh_strv_push(&o->env_names, value);
  } else if (strcmp(n, "artifact-override") == 0) {
    st = aeh_strv_push(&o->overrides, value);
  } else if (strcmp(n, "plugin") == 0) {
    o->plugin = value;
  } else if (strcmp(n, "project") == 0) {
    o->project_dir = value;
  }
  if (st != AERO_OK) {
    fputs("aeromancy: out of memory\n", stderr);
    return AEH_EXIT_INFRA;
  }
  return 0;
}

static int parse(int argc, char **argv, int command, aeh_go_options *o,
                 int *help) {
  const char *cmd_name = command == CMD_GO ? "go" : "image";
  for (int i = 2; i < argc; i++) {
    const char *arg = argv[i];
    const opt *op = NULL;
    const char *value = NULL;
    char label[64];
    if (strcmp(arg, "--") == 0) {
      if (command != CMD_GO)
        return bad("aeromancy %s takes no project flags", cmd_name);
      o->project_argc = argc - i - 1;
      o->project_argv = argv + i + 1;
      break;
    }
    if (strncmp(arg, "--", 2) == 0) {
      size_t len = strcspn(arg + 2, "=");
      op = find_long(arg + 2, len);
      if (op == NULL)
        return bad("unknown option %s for aeromancy %s (project flags go "
                   "after --)",
                   arg, cmd_name);
      if (arg[2 + len] == '=') {
        if (op->kind == FLAG)
          return bad("--%s takes no value", op->name);
        value = arg + 3 + len;
      }
    } else if (arg[0] == '-' && arg[1] != '\0') {
      op = find_short(arg[1]);
      if (op == NULL)
        return bad("unknown option %s for aeromancy %s (project flags go "
                   "after --)",
                   arg, cmd_name);
      if (arg[2] != '\0') { /* -j4 */
        if (op->kind == FLAG)
          return bad("-%s takes no value", op->name);
        value = arg + 2;
      }
    } else {
      return bad("unexpected argument '%s' (project flags go after --: "
                 "aeromancy %s -- --flag value)",
                 arg, cmd_name);
    }
    if (!(op->commands & command))
      return bad("--%s is not an option of aeromancy %s", op->name, cmd_name);
    snprintf(label, sizeof label, "--%s", op->name);
    if (op->kind == VALUE && value == NULL) {
      if (i + 1 >= argc || strcmp(argv[i + 1], "--") == 0)
        return bad("%s needs a value", label);
      value = argv[++i];
    }
    int rc = apply(o, op, value, help);
    if (rc != 0)
      return rc;
  }
  return 0;
}

int main(int argc, char **argv) {
  int code = AEH_EXIT_BEFORE_RUN;
  int help = 0;
  aeh_go_options o = {0};
  if (argc < 2)
    return bad("no command given (aeromancy go|image [options])");
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    fputs(usage, stdout);
    return AEH_EXIT_OK;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("aeromancy %s (plugin ABI %d.%d)\n", AERO_HOST_VERSION,
           AERO_ABI_MAJOR, AERO_ABI_MINOR);
    return AEH_EXIT_OK;
  }
  int command = strcmp(argv[1], "go") == 0      ? CMD_GO
                : strcmp(argv[1], "image") == 0 ? CMD_IMAGE
                                                : 0;
  if (command == 0)
    return bad("unknown command '%s' (commands: go, image)", argv[1]);
  code = parse(argc, argv, command, &o, &help);
  if (code != 0)
    goto done;
  if (help) {
    fputs(usage, stdout);
    code = AEH_EXIT_OK;
    goto done;
  }
  code = command == CMD_GO ? aeh_go(&o) : aeh_go_image(&o);
done:
  aeh_strv_free(&o.run_args);
  aeh_strv_free(&o.packages);
  aeh_strv_free(&o.env_names);
  aeh_strv_free(&o.overrides);
  aeh_strv_free(&o.host_args);
  return code;
}
