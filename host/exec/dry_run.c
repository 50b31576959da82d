#include "dry_run.h"

#include <stdio.h>

int aeh_dry_run(const aero_graph *graph, const aeh_exec_options *opts) {
  size_t n = aeh_graph_count(graph), selected = 0;
  for (size_t i = 0; i < n; i++)
    selected += aeh_graph_at(graph, i)->selected;
  printf("Plan for %s: %zu action%s, %zu to run, %zu skipped",
         aeh_graph_project(graph), n, n == 1 ? "" : "s", selected,
         n - selected);
  if (opts->jobs > 1)
    printf(", up to %u at once", opts->jobs);
  if (opts->timeout_s > 0)
    printf(", timeout %g s each", opts->timeout_s);
  printf("\n");
  for (size_t i = 0; i < n; i++) {
    const aeh_action *a = aeh_graph_at(graph, i);
    printf("  [%zu/%zu] %s [%s] %s", i + 1, n, a->selected ? "run " : "skip",
           a->job_type, a->outputs[0]);
    if (!a->selected)
      printf(": not selected by --only (its outputs resolve to the latest "
             "version)");
    else if (a->parent_count > 0) {
      printf(" <-");
      for (size_t k = 0; k < a->parent_count; k++)
        printf(" %s", a->parent_names[k]);
    }
    printf("\n");
  }
  fflush(stdout);
  return AEH_EXIT_OK;
}
