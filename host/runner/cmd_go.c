/* `aeromancy go` and `aeromancy image`: their options and help (command.h)
 * and the step from parsed options to go.c. */
#include <string.h>

#include "cli_options.h"
#include "command.h"
#include "go.h"
#include "shell_words.h"

enum {
  O_DEV = 1,
  O_DEBUG,
  O_DEBUG_SHELL,
  O_RUN_ARGS,
  O_PACKAGE,
  O_ENV_VAR,
  O_OVERRIDE,
  O_PLUGIN,
  O_PROJECT,
  O_REBUILD,
  O_PRUNE,
  O_STORE,
  O_FORWARD, /* passed on to aerohost run as given */
};

#define PROJECT_OPTION                                                         \
  {                                                                            \
    "project", 0, "DIR",                                                       \
        "the project (default: the git work tree of the current folder, "      \
        "else the current folder)",                                            \
        O_PROJECT                                                              \
  }
#define PACKAGE_OPTION                                                         \
  {                                                                            \
    "extra-debian-package", 0, "PKG", "install PKG in the image (repeatable)", \
        O_PACKAGE                                                              \
  }

static const aeh_option go_options[] = {
    {"dev", 0, NULL,
     "no git checks, no container: build the plugin here and run aerohost "
     "--dev",
     O_DEV},
    {"debug", 0, NULL, "show the commands; aerohost --debug", O_DEBUG},
    {"debug-shell", 0, NULL,
     "a shell in the container, with the plugin and the store mounted "
     "(implies --debug)",
     O_DEBUG_SHELL},
    {"extra-docker-run-args", 0, "ARGS",
     "more `docker run` arguments, shell-quoted (e.g. \"-v /data:/data:ro\")",
     O_RUN_ARGS},
    PACKAGE_OPTION,
    {"extra-env-var", 0, "VAR",
     "pass VAR's value into the container, by name only (repeatable)",
     O_ENV_VAR},
    {"artifact-override", 0, "NAME:VERSION",
     "pin an input artifact (repeatable)", O_OVERRIDE},
    {"plugin", 0, "PATH", "run this already built plugin", O_PLUGIN},
    PROJECT_OPTION,
    {"store", 0, "PATH",
     "the store (default: $AEROMANCY_STORE, else [store] path in "
     "aeromancy.ini, else $XDG_DATA_HOME/aeromancy, else "
     "~/.local/share/aeromancy); in production a folder is mounted into "
     "the container, a team store's URL (postgresql://...) is passed to it "
     "with its credentials by name",
     O_STORE},
/* Every other option of aerohost run, from aerohost's own table, is
 * passed on as given. */
#define PASSED_ON(id, name, letter, metavar, commands, group, help)            \
  {name, letter, metavar, help "; aerohost run --" name, O_FORWARD},
    AEH_CLI_OPTIONS_PASSED_ON(PASSED_ON)
#undef PASSED_ON
        {NULL, 0, NULL, NULL, 0},
};

static const aeh_option image_options[] = {
    {"rebuild", 0, NULL, "build every layer again", O_REBUILD},
    {"prune", 0, NULL,
     "remove the host images of older recipes (one a container uses is "
     "kept)",
     O_PRUNE},
    PACKAGE_OPTION,
    {"debug", 0, NULL, "show the commands", O_DEBUG},
    PROJECT_OPTION,
    {NULL, 0, NULL, NULL, 0},
};

static int oom(void) {
  fputs("aeromancy: out of memory\n", stderr);
  return AEH_EXIT_INFRA;
}

static int apply(void *ctx, const aeh_option *op, const char *value) {
  aeh_go_options *o = ctx;
  aero_error err = AEH_ERROR_INIT;
  aero_status st = AERO_OK;
  switch (op->id) {
  case O_FORWARD:
    st = aeh_strv_pushf(&o->host_args, "--%s", op->name);
    if (st == AERO_OK && value != NULL)
      st = aeh_strv_push(&o->host_args, value);
    break;
  case O_DEV:
    o->dev = true;
    break;
  case O_DEBUG:
    o->debug = true;
    break;
  case O_DEBUG_SHELL:
    o->debug_shell = o->debug = true;
    break;
  case O_REBUILD:
    o->rebuild = true;
    break;
  case O_PRUNE:
    o->prune = true;
    break;
  case O_RUN_ARGS:
    if (aeh_shell_words_split(value, &o->run_args, &err) != AERO_OK)
      return aeh_command_usage_error(&aeh_cmd_go, "--extra-docker-run-args: %s",
                                     err.message);
    break;
  case O_PACKAGE:
    st = aeh_strv_push(&o->packages, value);
    break;
  case O_ENV_VAR:
    st = aeh_strv_push(&o->env_names, value);
    break;
  case O_OVERRIDE:
    st = aeh_strv_push(&o->overrides, value);
    break;
  case O_PLUGIN:
    o->plugin = value;
    break;
  case O_PROJECT:
    o->project_dir = value;
    break;
  case O_STORE:
    o->store = value;
    break;
  }
  return st == AERO_OK ? 0 : oom();
}

static int go_or_image(const aeh_command *self, int argc, char **argv) {
  aeh_go_options o = {0};
  aeh_args a;
  int code = aeh_command_parse(self, argc, argv, apply, &o, &a);
  if (code < 0) {
    o.project_argc = a.rest_argc;
    o.project_argv = a.rest_argv;
    code = self == &aeh_cmd_go ? aeh_go(&o) : aeh_go_image(&o);
  }
  aeh_strv_free(&o.run_args);
  aeh_strv_free(&o.packages);
  aeh_strv_free(&o.env_names);
  aeh_strv_free(&o.overrides);
  aeh_strv_free(&o.host_args);
  return code;
}

const aeh_command aeh_cmd_go = {
    .name = "go",
    .usage = "aeromancy go [options] [-- project flags]",
    .summary = "build the project's plugin and run it, tracked",
    .description =
        "Builds the project's plugin in the aeromancy host image and runs it "
        "with aerohost in a container. Production runs need a clean git "
        "tree on a feature branch, and every run is tracked with its commit "
        "and image. The host image is built only when its recipe changes; "
        "the plugin is mounted read-only, so a new plugin never rebuilds "
        "it.\n\n"
        "With --dev: no git checks and no container; the plugin is built on "
        "this machine and run with aerohost --dev, its runs kept apart from "
        "production.\n\n"
        "Everything after -- goes to the project's own flags (aerohost run "
        "PLUGIN --help lists them).",
    .options = go_options,
    .takes_rest = true,
    .exits = AEH_EXITS_RUN,
    .run = go_or_image,
};

const aeh_command aeh_cmd_image = {
    .name = "image",
    .usage = "aeromancy image [--rebuild] [--prune] "
             "[--extra-debian-package PKG]...",
    .summary = "build the host image for the current recipe",
    .description =
        "Builds the host image for the current recipe when it is missing "
        "(or again with --rebuild) and prints its id. --prune removes the "
        "host images of older recipes.\n\n"
        "Exit codes: 0 the image is there (its id printed); 2 the id could "
        "not be written; 3 no image: a bad option or aeromancy.ini, the "
        "engine unreachable, or the build failed.",
    .options = image_options,
    .exits = AEH_EXITS_OWN,
    .run = go_or_image,
};
