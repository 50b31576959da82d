/* `aeromancy go` and `aeromancy image`: the runner's commands, from parsed
 * options to aerohost's exit code.
 *
 * Production (`go`): read aeromancy.ini, refuse a dirty tree or main/master,
 * make sure the host image for the current recipe exists (build it only
 * when it does not), then one container that builds the plugin against the
 * image's SDK (project read-only, build folder writable, files owned by the
 * caller) and runs `aerohost run /plugin/NAME.so` with the plugin mounted
 * read-only, the store mounted (a team store reaches it as
 * container_store.h says), and an env file of variable names only.
 * Dev (`go --dev`): build the plugin on this machine and exec aerohost.
 */
#ifndef AEH_RUNNER_GO_H
#define AEH_RUNNER_GO_H

#include <stdbool.h>

#include "error.h"
#include "exit_codes.h"
#include "strv.h"

typedef struct aeh_go_options {
  bool dev;                /* no git checks, no container */
  bool debug;              /* verbose: commands shown, --debug to aerohost */
  bool debug_shell;        /* a shell in the container instead of the run */
  bool rebuild;            /* `image --rebuild`: every layer again */
  bool prune;              /* `image --prune`: remove older recipes' images */
  const char *project_dir; /* NULL: git top of the cwd, else the cwd */
  const char *plugin;      /* an already built plugin, or NULL */
  const char *store;       /* --store, or NULL */
  aeh_strv run_args;       /* --extra-docker-run-args, split */
  aeh_strv packages;       /* --extra-debian-package */
  aeh_strv env_names;      /* --extra-env-var */
  aeh_strv overrides;      /* --artifact-override NAME:VERSION */
  aeh_strv host_args;      /* aerohost run options passed on (--only ...) */
  int project_argc;        /* everything after "--" */
  char **project_argv;
} aeh_go_options;

/* Runs `aeromancy go`. Returns the exit code to leave with: aerohost's on a
 * completed run (0 ok, 1 an action failed, 2 infrastructure, 3 nothing ran,
 * 128+N killed by signal N), 3 when the runner refused or failed before
 * anything ran, 2 when the container engine failed the run. Messages are
 * printed on stderr, one line each, prefixed "aeromancy: ". In dev mode it
 * does not return on success: it execs aerohost. */
int aeh_go(const aeh_go_options *o);

/* Runs `aeromancy image`: builds the host image when missing (or with
 * `rebuild`), prints its id on stdout. Returns the exit code. */
int aeh_go_image(const aeh_go_options *o);

#endif /* AEH_RUNNER_GO_H */
