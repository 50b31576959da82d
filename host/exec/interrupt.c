#include "interrupt.h"

#include "console.h"
#include "placement.h"
#include "signals.h"

/* After a forwarded Ctrl-C / SIGTERM, the action's process group gets this
 * long to exit before SIGKILL. */
#define INTERRUPT_GRACE_S 5.0

static void interrupt(aeh_exec *ex, int sig, double now) {
  char name[32];
  aeh_signal_name(sig, name, sizeof name);
  if (ex->interrupted) {
    /* A second Ctrl-C: no more patience. */
    for (size_t i = 0; i < ex->slot_count; i++)
      if (ex->slots[i].busy)
        ex->place->signal(ex, &ex->slots[i], SIGKILL);
    return;
  }
  ex->interrupted = sig;
  if (ex->running > 0)
    aeh_console_warn("%s: stopping %zu running action%s", name, ex->running,
                     ex->running == 1 ? "" : "s");
  for (size_t i = 0; i < ex->slot_count; i++) {
    aeh_slot *s = &ex->slots[i];
    if (!s->busy)
      continue;
    /* A hangup is about the host's terminal, not the actions': they get
     * what a SIGTERM would send them. */
    ex->place->signal(ex, s, sig == SIGHUP ? SIGTERM : sig);
    s->forwarded = sig;
    if (s->kill_at == 0 || s->kill_at > now + INTERRUPT_GRACE_S)
      s->kill_at = now + INTERRUPT_GRACE_S;
  }
}

void aeh_interrupt_check(aeh_exec *ex) {
  while (ex->interrupts_handled != aeh_signals_received()) {
    ex->interrupts_handled++;
    interrupt(ex, aeh_signals_last(), aeh_exec_now());
  }
}
