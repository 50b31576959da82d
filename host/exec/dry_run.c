#include "dry_run.h"

#include <stdio.h>
#include <stdlib.h>

#include "made.h"
#include "reuse.h"
#include "reuse_key.h"

enum { PLAN_SKIP, PLAN_RUN, PLAN_REUSE };

/* Decides what the action at `i` would do and why, given what its parents
 * would do (`plan`, by insertion index). */
static int plan_one(const aero_graph *graph, aeh_store *store,
                    const aeh_session *session, aeh_made *made,
                    const aeh_exec_options *opts, const aeh_action *a,
                    const int *plan, char *why, size_t size) {
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
  aeh_reuse_key key;
  aeh_reuse_key_of(session, a, preview, &key);
  aeh_run_free(preview);
  aero_reuse_match match;
  if (aeh_reuse_find(store, session, a, key.key, key.job, &match, &err) !=
      AERO_OK) {
    snprintf(why, size, "looking for a run to reuse failed: %s", err.message);
    return PLAN_RUN;
  }
  if (match.run_id > 0) {
    aeh_made_by(made, a, match.run_id); /* its dependents read its outputs */
    char age[64] = "";
    aeh_reuse_age(match.ended_ns, age, sizeof age);
    snprintf(why, size, "run %lld, %s", (long long)match.run_id, age);
    return PLAN_REUSE;
  }
  char changed[128];
  aeh_reuse_key_diff(match.parts, key.parts, changed, sizeof changed);
  if (match.parts[0] == '\0')
    snprintf(why, size, "no past successful run");
  else if (changed[0] == '\0')
    snprintf(why, size, "its past outputs are gone or damaged");
  else
    snprintf(why, size, "%s changed", changed);
  return PLAN_RUN;
}

int aeh_dry_run(const aero_graph *graph, aeh_store *store,
                const aeh_session *session, const aeh_exec_options *opts) {
  size_t n = aeh_graph_count(graph);
  /* Reads the store when there is one; a dry run never creates it. */
  aero_error err = AEH_ERROR_INIT;
  if (store != NULL && aeh_store_connect_existing(store, &err) != AERO_OK)
    store = NULL;
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
  size_t counts[3] = {0};
  for (size_t i = 0; i < n; i++) {
    const aeh_action *a = aeh_graph_at(graph, i);
    plan[a->index] = plan_one(graph, store, &here, made, opts, a, plan, why[i],
                              sizeof why[i]);
    counts[plan[a->index]]++;
  }
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
