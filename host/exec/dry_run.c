#include "dry_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "made.h"
#include "reuse.h"
#include "reuse_key.h"

enum { PLAN_SKIP, PLAN_RUN, PLAN_REUSE, PLAN_LOOK };

/* Actions looked up in one call of a backend that batches (ABI 1.6). */
#define AEH_DRY_WAVE_MAX 1024

/* Decides what the action `a` would do and why, given what its parents
 * would do (`plan`, by insertion index), as far as it can without the
 * store's answer: PLAN_LOOK, with its key in *key, when a past run may
 * stand for it. */
static int plan_one(const aero_graph *graph, aeh_store *store,
                    const aeh_session *session, const aeh_exec_options *opts,
                    const aeh_action *a, const int *plan, aeh_reuse_key *key,
                    char *why, size_t size) {
  why[0] = '\0';
  if (!a->selected) {
    snprintf(why, size,
             "not selected by --only (its outputs resolve to the "
             "latest version)");
    return PLAN_SKIP;
  }
  if (store == NULL || !aeh_store_reuses(store))
    return PLAN_RUN;
  const char *refused = aeh_reuse_refused(opts, a);
  if (refused != NULL) {
    snprintf(why, size, "%s", refused);
    return PLAN_RUN;
  }
  for (size_t k = 0; k < a->parent_count; k++) {
    const aeh_action *parent = aeh_graph_action(graph, a->parents[k]);
    if (parent != NULL && plan[a->parents[k]] == PLAN_RUN) {
      snprintf(why, size, "inputs may change: [%s] %s runs", parent->job_type,
               parent->outputs[0]);
      return PLAN_RUN;
    }
  }
  aeh_run *preview = NULL;
  aero_error err = AEH_ERROR_INIT;
  if (aeh_run_preview(store, session, graph, a, &preview, &err) != AERO_OK) {
    snprintf(why, size, "%s", err.message);
    return PLAN_RUN;
  }
  aeh_reuse_key_of(session, a, preview, key);
  aeh_run_free(preview);
  return PLAN_LOOK;
}

/* The plan of an action looked up with `key`, from the store's answer. */
static int plan_found(aeh_made *made, const aeh_action *a,
                      const aeh_reuse_key *key, const aero_reuse_match *match,
                      char *why, size_t size) {
  if (match->run_id > 0) {
    aeh_made_by(made, a, match->run_id); /* its dependents read its outputs */
    char age[64] = "";
    aeh_reuse_age(match->ended_ns, age, sizeof age);
    snprintf(why, size, "run %lld, %s", (long long)match->run_id, age);
    return PLAN_REUSE;
  }
  char changed[128];
  aeh_reuse_key_diff(match->parts, key->parts, changed, sizeof changed);
  if (match->parts[0] == '\0')
    snprintf(why, size, "no past successful run");
  else if (changed[0] == '\0' && strstr(match->parts, AEH_PARTS_READ_OUTSIDE))
    snprintf(why, size, "its last run read an artifact no parent of it makes");
  else if (changed[0] == '\0')
    snprintf(why, size, "its past outputs are gone or damaged");
  else
    snprintf(why, size, "%s changed", changed);
  return PLAN_RUN;
}

/* Actions waiting for the store's answer: none depends on another. */
typedef struct wave {
  size_t count;
  size_t at[AEH_DRY_WAVE_MAX]; /* positions */
  aeh_reuse_key keys[AEH_DRY_WAVE_MAX];
  aeh_reuse_ask asks[AEH_DRY_WAVE_MAX];
  aero_reuse_match matches[AEH_DRY_WAVE_MAX];
  bool *in; /* by insertion index: waiting in this wave */
} wave;

/* Asks the store about every action of the wave at once (one call of a
 * backend that batches) and settles their plans. A failed lookup fails the
 * wave: asked again one at a time, each would wait out the store's
 * retries (seconds each), as a run does not either (reuse_batch.c). */
static void flush_wave(const aero_graph *graph, aeh_store *store,
                       const aeh_session *session, aeh_made *made, wave *w,
                       int *plan, char (*why)[1200]) {
  if (w->count == 0)
    return;
  for (size_t j = 0; j < w->count; j++)
    w->asks[j] = (aeh_reuse_ask){.action = aeh_graph_at(graph, w->at[j]),
                                 .key = w->keys[j].key,
                                 .job = w->keys[j].job};
  aero_error err = AEH_ERROR_INIT;
  bool answered = aeh_reuse_find_batch(store, session, w->asks, w->count,
                                       w->matches, &err) == AERO_OK;
  for (size_t j = 0; j < w->count; j++) {
    const aeh_action *a = aeh_graph_at(graph, w->at[j]);
    if (!answered && w->count == 1) {
      snprintf(why[w->at[j]], sizeof why[w->at[j]],
               "looking for a run to reuse failed: %s", err.message);
      plan[a->index] = PLAN_RUN;
    } else if (!answered) {
      snprintf(why[w->at[j]], sizeof why[w->at[j]],
               "looking for runs to reuse failed (%zu actions asked at "
               "once): %s",
               w->count, err.message);
      plan[a->index] = PLAN_RUN;
    } else {
      plan[a->index] = plan_found(made, a, &w->keys[j], &w->matches[j],
                                  why[w->at[j]], sizeof why[w->at[j]]);
    }
    w->in[a->index] = false;
  }
  w->count = 0;
}

/* Plans every action in order; those that may be reused wait in a wave
 * until one depends on them (or it is full), then are looked up at
 * once. */
static bool plan_all(const aero_graph *graph, aeh_store *store,
                     const aeh_session *session, aeh_made *made,
                     const aeh_exec_options *opts, int *plan,
                     char (*why)[1200]) {
  size_t n = aeh_graph_count(graph);
  wave *w = calloc(1, sizeof *w);
  if (w == NULL || (w->in = calloc(n + 1, sizeof *w->in)) == NULL) {
    free(w);
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    const aeh_action *a = aeh_graph_at(graph, i);
    bool waits_on_wave = w->count == AEH_DRY_WAVE_MAX;
    for (size_t k = 0; k < a->parent_count && !waits_on_wave; k++)
      waits_on_wave = w->in[a->parents[k]];
    if (waits_on_wave)
      flush_wave(graph, store, session, made, w, plan, why);
    plan[a->index] = plan_one(graph, store, session, opts, a, plan,
                              &w->keys[w->count], why[i], sizeof why[i]);
    if (plan[a->index] == PLAN_LOOK) {
      w->at[w->count++] = i;
      w->in[a->index] = true;
    }
  }
  flush_wave(graph, store, session, made, w, plan, why);
  free(w->in);
  free(w);
  return true;
}

int aeh_dry_run(const aero_graph *graph, aeh_store *store,
                const aeh_session *session, const aeh_exec_options *opts) {
  size_t n = aeh_graph_count(graph);
  /* Reads the store when there is one; a dry run never creates it, and
   * without one every action would run. A store that is there but cannot
   * be read (a newer schema, a server refusing) is said, as a run says it:
   * planning as if nothing were recorded would say every action runs. */
  aero_error err = AEH_ERROR_INIT;
  aero_status connected =
      store != NULL ? aeh_store_connect_existing(store, &err) : AERO_OK;
  if (connected == AERO_E_NOT_FOUND)
    store = NULL;
  else if (connected != AERO_OK) {
    aeh_console_error("%s", err.message);
    return AEH_EXIT_USAGE;
  }
  int *plan = calloc(n + 1, sizeof *plan);
  char(*why)[1200] = calloc(n + 1, sizeof *why);
  /* A reused parent's dependents read its outputs' versions (made.h). */
  aeh_made *made = store != NULL ? aeh_made_new(store, graph) : NULL;
  aeh_session here = aeh_made_session(session, made);
  if (plan == NULL || why == NULL || (store != NULL && made == NULL)) {
    aeh_made_free(made);
    free(plan);
    free(why);
    fprintf(stderr, "aerohost: error: out of memory planning %zu actions\n", n);
    return AEH_EXIT_INFRA;
  }
  if (!plan_all(graph, store, &here, made, opts, plan, why)) {
    aeh_made_free(made);
    free(plan);
    free(why);
    fprintf(stderr, "aerohost: error: out of memory planning %zu actions\n", n);
    return AEH_EXIT_INFRA;
  }
  size_t counts[3] = {0};
  for (size_t i = 0; i < n; i++)
    counts[plan[aeh_graph_at(graph, i)->index]]++;
  printf("Plan for %s: %zu action%s, %zu to run, ", aeh_graph_project(graph), n,
         n == 1 ? "" : "s", counts[PLAN_RUN]);
  if (counts[PLAN_REUSE] > 0)
    printf("%zu to reuse, ", counts[PLAN_REUSE]);
  printf("%zu skipped", counts[PLAN_SKIP]);
  if (opts->jobs > 1)
    printf(", up to %u at once", opts->jobs);
  if (opts->timeout_s > 0)
    printf(", timeout %g s each", opts->timeout_s);
  printf("\n");
  static const char *const verbs[] = {"skip", "run ", "reuse"};
  for (size_t i = 0; i < n; i++) {
    const aeh_action *a = aeh_graph_at(graph, i);
    printf("  [%zu/%zu] %s [%s] %s", i + 1, n, verbs[plan[a->index]],
           a->job_type, a->outputs[0]);
    if (plan[a->index] != PLAN_SKIP && a->parent_count > 0) {
      printf(" <-");
      for (size_t k = 0; k < a->parent_count; k++)
        printf(" %s", a->parent_names[k]);
    }
    if (why[i][0] != '\0')
      printf(": %s", why[i]);
    printf("\n");
  }
  fflush(stdout);
  aeh_made_free(made);
  free(why);
  free(plan);
  return AEH_EXIT_OK;
}
