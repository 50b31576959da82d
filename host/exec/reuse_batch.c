/* Looking up a streak of ready actions at once, for a backend that can
 * (reuse_find_batch, ABI 1.6): a store across a network then answers a
 * whole streak in one round trip instead of one per action. Each answer,
 * with the preview it was computed from, waits in ex->looked until
 * aeh_reuse_try takes it. */
#include "reuse.h"

#include <stdlib.h>

#include "aeu.h"
#include "console.h"

/* An answer older than this is asked again, one action at a time: it
 * stood for the store as it was, and an action kept waiting for a slot
 * may be placed much later (its blobs deleted meanwhile). */
#define AEH_LOOKED_FRESH_S 2.0

bool aeh_reuse_batches(const aeh_exec *ex) {
  return ex->reuses && aeh_store_reuses_batch(ex->store);
}

bool aeh_reuse_looked(const aeh_exec *ex, size_t p) {
  return ex->looked != NULL && ex->looked[p].preview != NULL;
}

bool aeh_reuse_found(const aeh_exec *ex, size_t p) {
  return aeh_reuse_looked(ex, p) && ex->looked[p].run_id > 0;
}

static void forget(aeh_looked *l) {
  aeh_run_free(l->preview);
  *l = (aeh_looked){.preview = NULL};
}

void aeh_reuse_look_ahead(aeh_exec *ex, const size_t *positions, size_t count) {
  /* Many at once from a backend that batches; one from any other. */
  if (count == 0 || !ex->reuses || (count > 1 && !aeh_reuse_batches(ex)))
    return;
  if (ex->looked == NULL &&
      (ex->looked = calloc(ex->n, sizeof *ex->looked)) == NULL)
    return; /* each is then asked alone */
  aeh_reuse_key *keys = malloc(count * sizeof *keys);
  aeh_reuse_ask *asks = malloc(count * sizeof *asks);
  size_t *asked = malloc(count * sizeof *asked);
  aero_reuse_match *matches = malloc(count * sizeof *matches);
  size_t n = 0;
  for (size_t i = 0; keys != NULL && asks != NULL && asked != NULL &&
                     matches != NULL && i < count;
       i++) {
    size_t p = positions[i];
    if (aeh_reuse_looked(ex, p))
      continue;
    const aeh_action *a = ex->nodes[p].action;
    aero_error err = AEH_ERROR_INIT;
    aeh_run *preview = NULL;
    /* An input that cannot be resolved: aeh_reuse_try finds it again and
     * the action runs, recording why it failed. */
    if (aeh_run_preview(ex->store, ex->session, ex->graph, a, &preview, &err) !=
        AERO_OK)
      continue;
    aeh_reuse_key_of(ex->session, a, preview, &keys[n]);
    asks[n] =
        (aeh_reuse_ask){.action = a, .key = keys[n].key, .job = keys[n].job};
    ex->looked[p].preview = preview;
    asked[n++] = p;
  }
  aero_error err = AEH_ERROR_INIT;
  bool answered = n > 0 && aeh_reuse_find_batch(ex->store, ex->session, asks, n,
                                                matches, &err) == AERO_OK;
  /* A failed batch is said once and its actions run, as a failed lookup
   * makes one action run: asking again one at a time would wait out the
   * store's retries once per action (30 s each by default). */
  if (n > 0 && !answered)
    aeh_console_warn("looking for runs to reuse failed for %zu action%s, "
                     "running %s: %s",
                     n, n == 1 ? "" : "s", n == 1 ? "it" : "them", err.message);
  double now = aeh_exec_now();
  for (size_t i = 0; i < n; i++) {
    aeh_looked *l = &ex->looked[asked[i]];
    l->run_id = answered ? matches[i].run_id : 0;
    l->ended_ns = answered ? matches[i].ended_ns : 0;
    l->at = now;
  }
  free(matches);
  free(asked);
  free(asks);
  free(keys);
}

bool aeh_reuse_take(aeh_exec *ex, size_t p, aeh_run **preview,
                    aero_reuse_match *match) {
  if (!aeh_reuse_looked(ex, p))
    return false;
  aeh_looked *l = &ex->looked[p];
  /* Only a match goes stale: an answer to run the action stays one (at
   * worst a run made meanwhile is not reused). */
  if (l->run_id > 0 && aeh_exec_now() - l->at > AEH_LOOKED_FRESH_S) {
    forget(l);
    return false;
  }
  *preview = l->preview;
  match->run_id = l->run_id;
  match->ended_ns = l->ended_ns;
  *l = (aeh_looked){.preview = NULL};
  return true;
}

void aeh_reuse_batch_free(aeh_exec *ex) {
  if (ex->looked == NULL)
    return;
  for (size_t p = 0; p < ex->n; p++)
    if (ex->looked[p].preview != NULL)
      forget(&ex->looked[p]);
  free(ex->looked);
  ex->looked = NULL;
}
