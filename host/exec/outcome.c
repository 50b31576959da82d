#include "outcome.h"

#include <stdio.h>
#include <sys/wait.h>

#include "signals.h"

void aeh_outcome_of_process(const aeh_slot *s, const aeh_relay_conn *rec,
                            bool returned, int wstatus, double timeout_s,
                            aero_run_outcome *o, char *msg, size_t size) {
  char sig[32];
  o->exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
  o->signal = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0;
  o->message = msg;
  msg[0] = '\0';
  if (returned && rec->code == AERO_OK && WIFEXITED(wstatus) &&
      WEXITSTATUS(wstatus) == 0) {
    o->state = AERO_RUN_OK;
    o->message = NULL;
  } else if (s->timed_out) {
    o->state = AERO_RUN_TIMED_OUT;
    snprintf(msg, size, "timed out after %g s", timeout_s);
  } else if (s->forwarded != 0) {
    o->state = AERO_RUN_KILLED;
    aeh_signal_name(s->forwarded, sig, sizeof sig);
    snprintf(msg, size, "interrupted by %s", sig);
  } else if (rec->broken[0] != '\0') {
    /* What it reported after scribbling on the channel cannot be trusted,
     * and its exit status says nothing of why. */
    o->state = AERO_RUN_FAILED;
    snprintf(msg, size, "tracker protocol error: the action %s", rec->broken);
  } else if (returned && rec->code == AERO_E_BAILOUT) {
    o->state = AERO_RUN_BAILED;
    snprintf(msg, size, "%s",
             rec->message[0] ? rec->message : AEH_EXEC_BAILED_NO_REASON);
  } else if (returned && rec->code != AERO_OK) {
    o->state = AERO_RUN_FAILED;
    snprintf(msg, size, "%s",
             rec->message[0] ? rec->message
                             : aero_status_str((aero_status)rec->code));
  } else if (WIFSIGNALED(wstatus)) {
    o->state = AERO_RUN_CRASHED;
    aeh_signal_name(WTERMSIG(wstatus), sig, sizeof sig);
    snprintf(msg, size, "crashed with %s", sig);
  } else {
    o->state = AERO_RUN_FAILED;
    snprintf(msg, size, "action called exit(%d)", o->exit_code);
  }
}

void aeh_outcome_of_return(aero_status status, const aero_error *err,
                           aero_run_outcome *o, char *msg, size_t size) {
  o->exit_code = status == AERO_OK ? 0 : 1;
  snprintf(msg, size, "%s",
           err->message[0] ? err->message : aero_status_str(status));
  o->message = msg;
  if (status == AERO_OK) {
    o->state = AERO_RUN_OK;
    o->message = NULL;
  } else if (status == AERO_E_BAILOUT) {
    o->state = AERO_RUN_BAILED;
    if (err->message[0] == '\0')
      snprintf(msg, size, AEH_EXEC_BAILED_NO_REASON);
  } else {
    o->state = AERO_RUN_FAILED;
  }
}

void aeh_outcome_unrecorded(aero_run_outcome *o, size_t count, const char *why,
                            char *msg, size_t size) {
  o->state = AERO_RUN_FAILED;
  snprintf(msg, size,
           "the store refused %zu of the metrics and log lines it logged: %s",
           count, why);
  o->message = msg;
}
