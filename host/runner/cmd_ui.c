/* `aeromancy ui`: its options and help (command.h); the server is the
 * program aeromancy-ui (host/runner/ui), which this execs, so that only
 * `ui` maps libmicrohttpd and GnuTLS (ui_main.c). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "command.h"
#include "exit_codes.h"
#include "tracker.h"
#include "ui.h"

enum { O_STORE = 1, O_PORT, O_HOST };

static const aeh_option ui_options[] = {
    {"store", 0, "PATH",
     "the store (default: $AEROMANCY_STORE, else [store] path in "
     "aeromancy.ini, else $XDG_DATA_HOME/aeromancy, else "
     "~/.local/share/aeromancy)",
     O_STORE},
    {"port", 0, "N", "the port (default 8765; 0: any free port)", O_PORT},
    {"host", 0, "ADDR",
     "the numeric address to listen on (default 127.0.0.1: this machine "
     "only; anything else is reachable from other machines, with a "
     "warning)",
     O_HOST},
    {NULL, 0, NULL, NULL, 0},
};

static int apply(void *ctx, const aeh_option *op, const char *value) {
  aeh_ui_options *o = ctx;
  switch (op->id) {
  case O_STORE:
    /* aeromancy-ui reads "" as no --store (the store rule): refused here,
     * in the words every other command refuses an empty store location. */
    if (value[0] == '\0')
      return aeh_command_usage_error(&aeh_cmd_ui, "%s",
                                     AEH_STORE_EMPTY_LOCATION);
    o->store = value;
    break;
  case O_HOST:
    o->host = value;
    break;
  case O_PORT: {
    unsigned long port = 0;
    size_t n = strlen(value);
    if (n == 0 || n > 5 || strspn(value, "0123456789") != n ||
        (port = strtoul(value, NULL, 10)) > 65535)
      return aeh_command_usage_error(&aeh_cmd_ui,
                                     "--port %s: not a port number (0 to "
                                     "65535)",
                                     value);
    o->port = (unsigned)port;
    break;
  }
  }
  return 0;
}

/* Replaces this process with aeromancy-ui (same pid, signals and exit
 * code), found at AERO_UI_REL_PATH from the runner's own folder. Returns 3
 * only when that fails. */
static int exec_ui(const aeh_ui_options *o) {
  char exe[PATH_MAX], path[PATH_MAX + 64], port[16];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) {
    fprintf(stderr, "aeromancy ui: cannot read /proc/self/exe: %s\n",
            strerror(errno));
    return AEH_EXIT_USAGE;
  }
  exe[n] = '\0';
  *strrchr(exe, '/') = '\0';
  snprintf(path, sizeof path, "%s/%s", exe, AERO_UI_REL_PATH);
  snprintf(port, sizeof port, "%u", o->port);
  char *argv[] = {"aeromancy-ui", (char *)(o->store ? o->store : ""),
                  (char *)(o->host ? o->host : ""), port, NULL};
  execv(path, argv);
  fprintf(stderr,
          "aeromancy ui: cannot run %s: %s (the web app is a program of its "
          "own: reinstall aeromancy)\n",
          path, strerror(errno));
  return AEH_EXIT_USAGE;
}

static int run(const aeh_command *self, int argc, char **argv) {
  aeh_ui_options o = {NULL, NULL, AEH_UI_DEFAULT_PORT};
  aeh_args a;
  int code = aeh_command_parse(self, argc, argv, apply, &o, &a);
  return code < 0 ? exec_ui(&o) : code;
}

const aeh_command aeh_cmd_ui = {
    .name = "ui",
    .usage = "aeromancy ui [--store PATH] [--port N] [--host ADDR]",
    .summary = "browse the store in a local web app",
    .description =
        "Serves a read-only web app over the store: the runs (filtered, "
        "searched, paginated), a run's config, environment, inputs, "
        "outputs, logs and one chart per metric, artifacts with their "
        "versions, files and lineage, and runs compared side by side; the "
        "same data as JSON under /api/. Nothing is fetched from the "
        "internet: Chart.js comes from Debian's libjs-chart.js.\n\n"
        "It listens on 127.0.0.1 only unless --host says otherwise, answers "
        "GET and HEAD only, and only to requests that name it in their Host "
        "header. Stops on Ctrl-C or SIGTERM.\n\n"
        "Exit codes: 0 stopped; 3 it could not start serving: no store "
        "there or the store unreadable, Chart.js missing, a bad address or "
        "a port in use.",
    .options = ui_options,
    .exits = AEH_EXITS_OWN,
    .run = run,
};
