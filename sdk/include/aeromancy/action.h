/* Actions: the nodes of a project's pipeline.
 *
 * A builder's build_actions adds actions to a host-owned graph with
 * aero_graph_add (plugin.h). Parents are named by one of their output
 * artifact names, so an action may name a parent that is added later; the
 * host validates the whole graph (unknown parents, duplicate outputs,
 * cycles) before anything runs.
 */
#ifndef AEROMANCY_ACTION_H
#define AEROMANCY_ACTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "value.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The graph being built. Opaque, owned by the host, valid only during
 * build_actions. Since ABI 1.0. */
typedef struct aero_graph aero_graph;

/* What an action sees while it runs. Opaque, owned by the host, valid only
 * during the action's run callback. Since ABI 1.0. */
typedef struct aero_tracker aero_tracker;

/* The body of an action. `data` is the action's own pointer from its
 * description. Returns AERO_OK on success; on failure, fills `err` (through
 * aero_error_setf) and returns a negative status. Runs in a child process
 * unless the host runs with --no-isolation. */
typedef aero_status (*aero_action_run_fn)(void *data, aero_tracker *tracker,
                                          aero_error *err);

/* Frees an action's data. Called exactly once by the host, in the host
 * process, whether or not the action ran. May be NULL. */
typedef void (*aero_action_destroy_fn)(void *data);

/* One action, as handed to aero_graph_add.
 *
 * Reuse: before running an action, the host computes its key from the
 * plugin's SHA-256 (or `code_version`), the builder and job type, the
 * config, the exact versions its inputs resolve to, its output names and
 * dev versus production. A past successful run with the same key whose
 * outputs are still complete in the store is reused instead of running
 * the action again. So every flag an action reads belongs in its
 * `config`: a flag read without being declared there does not rerun it.
 * An action that reads the latest version of an artifact none of its
 * parents makes (another project's) is never reused: that version is
 * known only once it runs. A version its code names ("data:v3") is.
 *
 * Ownership: every string and array is borrowed for the call and copied by
 * the host. `data` is transferred to the host, which calls `destroy(data)`
 * when the graph is freed, even when aero_graph_add fails. */
typedef struct aero_action_desc {
  uint32_t struct_size;          /* sizeof(aero_action_desc): AERO_ACTION() sets it */
  const char *job_type;          /* e.g. "train"; [A-Za-z0-9_.-]{1,127} */
  const char *job_group;         /* groups related runs; NULL for none */
  const char *const *outputs;    /* artifact names this action declares; the first names it */
  size_t output_count;           /* at least 1 */
  const char *const *parents;    /* output names of the actions this one reads */
  size_t parent_count;
  const aero_kv *config;         /* recorded with every run of this action */
  size_t config_count;
  aero_action_run_fn run;        /* required */
  void *data;                    /* transferred: handed back to run and destroy */
  aero_action_destroy_fn destroy; /* may be NULL */
  /* Since ABI 1.3 (a description of 1.0-1.2 ends before these; the host
   * reads them as NULL and false): */
  const char *code_version;      /* the version of this action's code, for
                                    reuse: when set, it stands for the
                                    plugin's SHA-256 in the reuse key, so
                                    that rebuilding the plugin for another
                                    action's change does not rerun this one;
                                    NULL for none. Copied. */
  bool is_volatile;              /* never reuse a past run of this action
                                    (it reads the outside world); the
                                    issue's `.volatile`, a C keyword */
  /* Since ABI 1.4 (a description of 1.0-1.3 ends before these; the host
   * reads them as 0 and NULL): what the action needs where it runs. The
   * Slurm executor asks sbatch for them; a local run ignores them.
   * aeromancy.ini [slurm] and the --slurm-* flags override them. 0 or
   * NULL: the cluster's default. */
  uint32_t cpus;                 /* CPUs for its one task (--cpus-per-task) */
  uint32_t gpus;                 /* GPUs (--gpus) */
  uint32_t time_limit_s;         /* wall-clock limit in seconds; Slurm
                                    counts whole minutes, so it is rounded
                                    up (--time) */
  uint64_t memory_mb;            /* memory in MiB (--mem) */
  const char *partition;         /* partition (--partition); NULL for the
                                    default. Copied. */
} aero_action_desc;

/* Counts the elements of a true array (not a pointer). */
#define AERO_COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* Starts an aero_action_desc initializer with its size filled in:
 *   aero_action_desc d = AERO_ACTION(.job_type = "train", ...);
 * C++ has no compound literals (and C++17 no designated initializers):
 * start from aero_action_init() and set the members:
 *   aero_action_desc d = aero_action_init();
 *   d.job_type = "train"; ... aero_graph_add(graph, &d, err); */
#ifndef __cplusplus
#define AERO_ACTION(...)                                                      \
  ((aero_action_desc){.struct_size = sizeof(aero_action_desc), __VA_ARGS__})
#else
static inline aero_action_desc aero_action_init(void) {
  aero_action_desc d = {};
  d.struct_size = sizeof(aero_action_desc);
  return d;
}
#endif


#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* AEROMANCY_ACTION_H */
