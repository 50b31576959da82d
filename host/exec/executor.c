/* aeh_execute: one tracked run per selected action, each in a forked child
 * by default, driven by one poll() loop.
 *
 * The host process records every run (aeh_run_begin before the action
 * starts, aeh_run_end once it is done) and serves the action's tracker
 * calls over its relay (relay.h); the action reports "returned, with this
 * status and message" on the same stream. The parts (exec.h lists them):
 * the scheduler picks what goes next and hands it to a placement, the
 * loop waits for events and finishes what ended. */
#include "executor.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "console.h"
#include "dry_run.h"
#include "exec.h"
#include "interrupt.h"
#include "loop.h"
#include "made.h"
#include "oom.h"
#include "placement.h"
#include "scheduler.h"
#include "signals.h"
#include "slurm_job.h"

/* "runs 41-43 in ~/.local/share/aeromancy": where the record of this
 * execution is, so that `aeromancy show 41` is one copy away. Ids of
 * another host's runs may fall between ours. */
static void record_where(const aeh_exec *ex, char *buf, size_t size) {
  buf[0] = '\0';
  if (ex->runs_begun == 0 || ex->store == NULL)
    return;
  char shown[4096];
  /* In a container, the runner names the store as the user finds it
   * (container_store.c): its location here is only the mount point. */
  const char *outside = getenv("AEROMANCY_STORE_SHOWN");
  if (outside != NULL && outside[0] != '\0')
    snprintf(shown, sizeof shown, "%s", outside);
  else
    aeh_console_path(aeh_store_location(ex->store), shown, sizeof shown);
  long long first = ex->first_run, last = ex->last_run;
  if (ex->runs_begun == 1)
    snprintf(buf, size, "run %lld in %s", first, shown);
  else if ((size_t)(last - first) + 1 == ex->runs_begun)
    snprintf(buf, size, "runs %lld-%lld in %s", first, last, shown);
  else
    snprintf(buf, size, "%zu runs between %lld and %lld in %s", ex->runs_begun,
             first, last, shown);
}

static int summarise(aeh_exec *ex, double elapsed) {
  char where[4200];
  record_where(ex, where, sizeof where);
  if (ex->interrupted) {
    char name[32];
    aeh_signal_name(ex->interrupted, name, sizeof name);
    aeh_console_error("interrupted by %s", name);
    aeh_console_summary(ex->ok, ex->reused, ex->failed, ex->skipped, elapsed,
                        where);
    return AEH_EXIT_SIGNAL + ex->interrupted;
  }
  if (ex->infra) {
    aeh_console_summary(ex->ok, ex->reused, ex->failed, ex->skipped, elapsed,
                        where);
    return AEH_EXIT_INFRA;
  }
  if (ex->opts->detach && !ex->infra) {
    char reused[64] = "";
    if (ex->reused > 0)
      snprintf(reused, sizeof reused, ", %zu reused", ex->reused);
    aeh_console_info("%zu action%s submitted to Slurm%s (job ids on stdout); "
                     "aeromancy runs shows them as they run",
                     ex->submitted, ex->submitted == 1 ? "" : "s", reused);
    return AEH_EXIT_OK;
  }
  if (ex->bailed) {
    aeh_console_info("Bailed out: %s", ex->bail_reason);
    return ex->failed > 0 ? AEH_EXIT_FAILED : AEH_EXIT_OK;
  }
  aeh_console_summary(ex->ok, ex->reused, ex->failed, ex->skipped, elapsed,
                      where);
  return ex->failed > 0 ? AEH_EXIT_FAILED : AEH_EXIT_OK;
}

int aeh_execute(aero_graph *graph, aeh_store *store, const aeh_session *session,
                const aeh_exec_options *opts) {
  if (opts->dry_run)
    return aeh_dry_run(graph, store, session, opts);
  /* The caller's session, with this execution's parent versions for the
   * inputs of dependents (made.h). */
  aeh_made *made = aeh_made_new(store, graph);
  aeh_session here = aeh_made_session(session, made);
  aeh_exec ex = {.graph = graph,
                 .store = store,
                 .session = &here,
                 .opts = opts,
                 .place = opts->slurm     ? &aeh_place_slurm
                          : opts->isolate ? &aeh_place_process
                                          : &aeh_place_inline,
                 .n = aeh_graph_count(graph),
                 .sig_r = -1,
                 .sig_w = -1,
                 .first_failure = AEH_EXEC_NONE,
                 .made = made};
  int code = AEH_EXIT_INFRA;
  aeh_saved_handlers saved;
  bool installed = false;
  if (made == NULL || !aeh_sched_init(&ex)) {
    aeh_console_error("out of memory preparing %zu actions", ex.n);
    goto done;
  }
  aero_error inputs_err = AEH_ERROR_INIT;
  /* In a Slurm job: its reused parents' runs. */
  if (aeh_slurm_inputs_apply(&ex, &inputs_err) != AERO_OK) {
    aeh_console_error("%s", inputs_err.message);
    goto done;
  }
  ex.capture = opts->isolate && !opts->slurm && ex.slot_count > 1;
  ex.oom_kills = aeh_oom_kills();
  int sp[2];
  if (pipe2(sp, O_CLOEXEC | O_NONBLOCK) != 0) {
    aeh_console_error("cannot create the signal pipe: %s", strerror(errno));
    goto done;
  }
  ex.sig_r = sp[0];
  ex.sig_w = sp[1];
  ex.interrupts_handled = aeh_signals_received();
  aeh_signals_install(ex.sig_w, opts->isolate, &saved);
  installed = true;
  if (ex.place->open != NULL)
    ex.place->open(&ex);
  aero_error connect_err = AEH_ERROR_INIT;
  if (aeh_store_connect(store, &connect_err) != AERO_OK) {
    aeh_console_error("%s", connect_err.message);
    code = AEH_EXIT_USAGE;
    goto done;
  }
  ex.reuses = aeh_store_reuses(store);
  if (!opts->isolate && opts->timeout_s > 0)
    aeh_console_warn("--timeout is not enforced with --no-isolation");
  if (!opts->isolate && opts->jobs > 1)
    aeh_console_warn("--jobs is ignored with --no-isolation: actions run "
                     "one at a time in this process");

  double t0 = aeh_exec_now();
  for (;;) {
    aeh_sched_run_ready(&ex);
    if (ex.running == 0)
      break; /* the scheduler resolves everything it cannot start */
    aeh_loop_wait(&ex);
  }
  aeh_interrupt_check(&ex); /* during the last record: still asked to stop */
  double elapsed = aeh_exec_now() - t0;
  if (ex.place->close != NULL)
    ex.place->close(&ex);
  code = summarise(&ex, elapsed);

done:
  if (ex.place->close != NULL)
    ex.place->close(&ex);
  aeh_run_drop_kept_workdir();
  if (installed)
    aeh_signals_restore(opts->isolate, &saved);
  if (ex.sig_w >= 0)
    close(ex.sig_w);
  if (ex.sig_r >= 0)
    close(ex.sig_r);
  aeh_sched_free(&ex);
  aeh_made_free(made);
  return code;
}
