/* `aeromancy ui`: the store, Chart.js, serving until a signal (ui.h). */
#include "ui.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "console.h"
#include "record.h"
#include "ui_assets.h"
#include "ui_cache.h"
#include "ui_prefetch.h"
#include "ui_server.h"

enum { EXIT_OK = 0, EXIT_BEFORE = 3 };

/* Waits for SIGINT or SIGTERM, which are blocked in every thread (the
 * server's thread is started after the mask is set). */
static void wait_for_stop(const sigset_t *stop) {
  int sig;
  while (sigwait(stop, &sig) != 0)
    ;
}

int aeh_ui_serve(const aeh_ui_options *o) {
  aero_error err = AEH_ERROR_INIT;
  aeh_record rec = {0};
  aeh_record ahead = {0}; /* the prefetch thread's own handle */
  aeh_ui_server *server = NULL;
  int code = EXIT_OK;
  if (aeh_record_open(NULL, o->store, &rec, &err) != AERO_OK ||
      aeh_ui_assets_load(NULL, &err) != AERO_OK) {
    fprintf(stderr, "aeromancy ui: %s\n", err.message);
    code = EXIT_BEFORE;
    goto done;
  }

  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);

  /* Without it (the store cannot be opened twice, no thread), every
   * answer is computed when asked for, as before. */
  if (aeh_record_open(NULL, o->store, &ahead, &err) == AERO_OK &&
      aeh_ui_prefetch_start(&ahead) != 0) {
    aeh_record_close(&ahead);
    ahead = (aeh_record){0};
  }
  err = (aero_error)AEH_ERROR_INIT;

  aeh_ui_settings settings = {o->host, o->port, &rec};
  if (aeh_ui_server_start(&settings, &server, &err) != AERO_OK) {
    fprintf(stderr, "aeromancy ui: %s\n", err.message);
    code = EXIT_BEFORE;
    goto done;
  }
  const char *host = o->host ? o->host : "127.0.0.1";
  if (strcmp(host, "127.0.0.1") != 0 && strcmp(host, "::1") != 0)
    fprintf(stderr,
            "aeromancy ui: warning: listening on %s: other machines can read "
            "this store (there is no login)\n",
            host);
  int v6 = strchr(host, ':') != NULL;
  char where[4096]; /* "~/..." as the run summary says it */
  fprintf(stderr,
          "aeromancy ui: serving %s on http://%s%s%s:%u/ (Ctrl-C to stop)\n",
          aeh_console_path(aeh_record_location(&rec), where, sizeof where),
          v6 ? "[" : "", host, v6 ? "]" : "", aeh_ui_server_port(server));
  wait_for_stop(&stop);
  aeh_ui_server_stop(server);
done:
  aeh_ui_prefetch_stop();
  if (ahead.store != NULL)
    aeh_record_close(&ahead);
  aeh_ui_cache_clear();
  aeh_ui_assets_unload();
  if (rec.store != NULL)
    aeh_record_close(&rec);
  return code;
}
