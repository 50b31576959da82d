/* Looking up a streak of ready actions at once, for a backend that can
 * (reuse_find_batch, ABI 1.6): a store across a network then answers a
 * whole streak in one round trip instead of one per action. Each answer,
 * with the preview it was computed from, waits in a slot of ex->looked
 * that its node names until aeh_reuse_try takes it. */
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
  return ex->nodes[p].looked != 0;
}

/* The answer waiting for position `p` (aeh_reuse_looked). */
static aeh_looked *looked_of(const aeh_exec *ex, size_t p) {
  return &ex->looked[ex->nodes[p].looked - 1];
}

bool aeh_reuse_found(const aeh_exec *ex, size_t p) {
  return aeh_reuse_looked(ex, p) && looked_of(ex, p)->run_id > 0;
}

/* A free slot for an answer to position `p`, named in its node; NULL when
 * out of memory. Answers live in slots rather than in an array of one per
 * action: that array, read before it was written, cost two page faults
 * for each of its pages (1,500 in an unchanged re-run of 100,000 actions)
 * where the slots, as many as answers wait at once, are a few pages. */
static aeh_looked *take_slot(aeh_exec *ex, size_t p) {
  if (ex->looked_free_count == 0) {
    size_t cap = ex->looked_cap == 0 ? 256 : 2 * ex->looked_cap;
    if (cap > UINT32_MAX - 1)
      return NULL;
    aeh_looked *grown = realloc(ex->looked, cap * sizeof *grown);
    if (grown == NULL)
      return NULL;
    ex->looked = grown;
    uint32_t *free_slots =
        realloc(ex->looked_free, cap * sizeof *free_slots);
    if (free_slots == NULL)
      return NULL; /* ex->looked grown, its new slots unused */
    ex->looked_free = free_slots;
    /* Pushed in reverse, so that slots are taken in order. */
    for (size_t i = cap; i > ex->looked_cap; i--) {
      ex->looked[i - 1] = (aeh_looked){.preview = NULL};
      ex->looked_free[ex->looked_free_count++] = (uint32_t)(i - 1);
    }
    ex->looked_cap = cap;
  }
  uint32_t slot = ex->looked_free[--ex->looked_free_count];
  ex->nodes[p].looked = slot + 1;
  return &ex->looked[slot];
}

/* Ends position `p`'s wait: its slot freed, its preview too unless
 * `keep`. */
static void forget(aeh_exec *ex, size_t p, bool keep) {
  aeh_looked *l = looked_of(ex, p);
  if (!keep)
    aeh_run_free(l->preview);
  *l = (aeh_looked){.preview = NULL};
  ex->looked_free[ex->looked_free_count++] = ex->nodes[p].looked - 1;
  ex->nodes[p].looked = 0;
}

/* What one batch lookup works in: allocated for the first batch and kept
 * for the next ones. Allocated and freed per batch, these 700 KB for 1,024
 * actions were new pages at every batch (malloc hands blocks this large
 * back to the kernel when freed): 2,600 page faults in an unchanged
 * re-run of 100,000 actions, a fault costing 20-40 us on a VM. */
typedef struct aeh_look_space {
  size_t cap;
  aeh_reuse_key *keys;
  aeh_reuse_ask *asks;
  size_t *asked;
  aero_reuse_match *matches;
} aeh_look_space;

static void space_free(aeh_look_space *s) {
  if (s == NULL)
    return;
  free(s->keys);
  free(s->asks);
  free(s->asked);
  free(s->matches);
  free(s);
}

/* ex's space for `count` actions; NULL when out of memory. */
static aeh_look_space *space_for(aeh_exec *ex, size_t count) {
  aeh_look_space *s = ex->look_space;
  if (s != NULL && s->cap >= count)
    return s;
  space_free(s);
  ex->look_space = s = calloc(1, sizeof *s);
  if (s == NULL)
    return NULL;
  s->keys = malloc(count * sizeof *s->keys);
  s->asks = malloc(count * sizeof *s->asks);
  s->asked = malloc(count * sizeof *s->asked);
  s->matches = malloc(count * sizeof *s->matches);
  if (s->keys == NULL || s->asks == NULL || s->asked == NULL ||
      s->matches == NULL) {
    space_free(s);
    ex->look_space = NULL;
    return NULL;
  }
  s->cap = count;
  return s;
}

void aeh_reuse_look_ahead(aeh_exec *ex, const size_t *positions, size_t count) {
  /* Many at once from a backend that batches; one from any other. */
  if (count == 0 || !ex->reuses || (count > 1 && !aeh_reuse_batches(ex)))
    return;
  aeh_look_space *space = space_for(ex, count);
  if (space == NULL)
    return; /* out of memory: each is asked alone, at its turn */
  aeh_reuse_key *keys = space->keys;
  aeh_reuse_ask *asks = space->asks;
  size_t *asked = space->asked;
  aero_reuse_match *matches = space->matches;
  size_t n = 0;
  for (size_t i = 0; i < count; i++) {
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
    aeh_looked *l = take_slot(ex, p);
    if (l == NULL) { /* out of memory: asked alone, later */
      aeh_run_free(preview);
      continue;
    }
    aeh_reuse_key_of(ex->session, a, preview, &keys[n]);
    asks[n] =
        (aeh_reuse_ask){.action = a, .key = keys[n].key, .job = keys[n].job};
    l->preview = preview;
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
    aeh_looked *l = looked_of(ex, asked[i]);
    l->run_id = answered ? matches[i].run_id : 0;
    l->ended_ns = answered ? matches[i].ended_ns : 0;
    l->at = now;
  }
}

bool aeh_reuse_take(aeh_exec *ex, size_t p, aeh_run **preview,
                    aero_reuse_match *match) {
  if (!aeh_reuse_looked(ex, p))
    return false;
  aeh_looked *l = looked_of(ex, p);
  /* Only a match goes stale: an answer to run the action stays one (at
   * worst a run made meanwhile is not reused). */
  if (l->run_id > 0 && aeh_exec_now() - l->at > AEH_LOOKED_FRESH_S) {
    forget(ex, p, false);
    return false;
  }
  *preview = l->preview;
  match->run_id = l->run_id;
  match->ended_ns = l->ended_ns;
  forget(ex, p, true); /* the preview is the caller's now */
  return true;
}

void aeh_reuse_batch_free(aeh_exec *ex) {
  space_free(ex->look_space);
  ex->look_space = NULL;
  for (size_t i = 0; i < ex->looked_cap; i++)
    aeh_run_free(ex->looked[i].preview); /* NULL in a free slot */
  for (size_t p = 0; ex->looked_cap > 0 && p < ex->n; p++)
    ex->nodes[p].looked = 0;
  free(ex->looked);
  free(ex->looked_free);
  ex->looked = NULL;
  ex->looked_free = NULL;
  ex->looked_cap = ex->looked_free_count = 0;
}
