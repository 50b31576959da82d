/* The action graph: what build_actions fills, validated and ordered.
 *
 * Owner: engine (graph.c, graph_render.c). cli_run.c builds it (the
 * builder's build_actions, then validate and --only); the executor
 * (exec/) runs it.
 */
#ifndef AEH_GRAPH_H
#define AEH_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <aeromancy/action.h>

#include "error.h"

/* One action, as the host keeps it: every string copied. */
typedef struct aeh_action {
  size_t index; /* insertion order */
  char *job_type;
  char *job_group; /* NULL for none */
  char **outputs;
  size_t output_count;
  char **parent_names; /* as given */
  size_t parent_count;
  size_t *parents; /* indexes of parent actions, after validation */
  aero_kv *config; /* keys and string values copied */
  size_t config_count;
  aero_action_run_fn run;
  void *data;
  aero_action_destroy_fn destroy;
  bool selected;      /* set by aeh_graph_select; true by default */
  bool forced;        /* never reused: set by aeh_graph_force */
  char *code_version; /* for the reuse key; NULL for none (ABI 1.3) */
  bool is_volatile;   /* never reused (ABI 1.3) */
  /* What it needs where it runs (ABI 1.4; 0/NULL: the default). */
  uint32_t cpus, gpus, time_limit_s;
  uint64_t memory_mb;
  char *partition;
} aeh_action;

/* Creates an empty graph for `project` (copied). NULL when out of memory. */
aero_graph *aeh_graph_new(const char *project);

/* The host API's graph_add: copies `desc`, takes `desc->data`. */
aero_status aeh_graph_add(aero_graph *graph, const aero_action_desc *desc,
                          aero_error *err);

/* Checks the whole graph before anything runs: no action without outputs,
 * no duplicate output names, every parent known and of this project, no
 * cycle (the message prints it: "a -> b -> a"). Computes the deterministic
 * order: topological, ties broken by insertion order. AERO_E_GRAPH on
 * failure. */
aero_status aeh_graph_validate(aero_graph *graph, aero_error *err);

/* Marks selected the actions whose "job_type output" text contains any of
 * the comma-separated substrings of `only` (NULL selects all).
 * AERO_E_INVALID when a substring matches nothing or `only` holds none
 * (blank, or commas only). */
aero_status aeh_graph_select(aero_graph *graph, const char *only,
                             aero_error *err);

/* Marks forced (executed, never reused) the actions matched by the
 * comma-separated substrings of `force_only`, by the rule and with the
 * errors of aeh_graph_select (a substring matching nothing is an error). */
aero_status aeh_graph_force(aero_graph *graph, const char *force_only,
                            aero_error *err);

/* "[job_type] first_output" into buf: the label of banners and messages. */
void aeh_graph_label(const aeh_action *action, char *buf, size_t size);

const char *aeh_graph_project(const aero_graph *graph);
size_t aeh_graph_count(const aero_graph *graph);
/* The i-th action in run order (valid after aeh_graph_validate). */
aeh_action *aeh_graph_at(const aero_graph *graph, size_t i);

/* `aerohost list`: "[job_type] output" per action in run order, or JSON
 * (text that is not UTF-8 escaped, see json_out.h). Returns 0, or -1 when
 * the JSON could not be built or written. */
int aeh_graph_write_list(const aero_graph *graph, FILE *out, bool json);
/* `aerohost graph`: Graphviz DOT, or a terminal tree when `text`. */
void aeh_graph_write_dot(const aero_graph *graph, FILE *out);
void aeh_graph_write_text(const aero_graph *graph, FILE *out);

/* Calls every action's destroy, then frees the graph. */
void aeh_graph_free(aero_graph *graph);

/* The action with insertion index `index` (the index space of
 * aeh_action.index and of aeh_action.parents: after validation,
 * parents[k] is the action that outputs parent_names[k]). NULL when out of
 * range. Appended by engine. */
aeh_action *aeh_graph_action(const aero_graph *graph, size_t index);

#endif /* AEH_GRAPH_H */
