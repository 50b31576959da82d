/* The host API: every service the host offers a plugin, as one table of
 * function pointers handed to the plugin's init.
 *
 * The host exports no symbols, so plugins link with -Wl,-z,defs and can be
 * unit-tested against a table of fakes. The table is append-only: members
 * are never removed or reordered, new ones go at the end in a new ABI minor,
 * and `struct_size` tells which exist (AERO_API_HAS). Plugins normally call
 * the static-inline wrappers in plugin.h rather than the table.
 */
#ifndef AEROMANCY_HOST_API_H
#define AEROMANCY_HOST_API_H

#include <stddef.h>
#include <stdint.h>

#include "action.h"
#include "artifact.h"
#include "backend.h"
#include "builder.h"
#include "error.h"
#include "metric.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Registration context handed to a plugin's init. Opaque, owned by the host,
 * valid only during init. Since ABI 1.0. */
typedef struct aero_registrar aero_registrar;

/* The host API table. Owned by the host; valid until the plugin is
 * unloaded, which is never before every destroy callback has run. */
typedef struct aero_host_api {
  uint32_t struct_size;     /* sizeof the host's table */
  uint16_t abi_major;       /* the host's AERO_ABI_MAJOR */
  uint16_t abi_minor;       /* the host's AERO_ABI_MINOR */
  const char *host_version; /* e.g. "0.1.0"; static */

  /* Sets the status and message of `err`. `message` is copied (truncated
   * to AERO_ERROR_MESSAGE_MAX). `err` may be NULL. Since 1.0. */
  void (*error_set)(aero_error *err, aero_status code, const char *message);

  /* Registers a builder (init only). `vtable` is borrowed for the call and
   * copied; its strings and option table must be static. Since 1.0. */
  aero_status (*register_builder)(aero_registrar *reg,
                                  const aero_builder_vtable *vtable,
                                  aero_error *err);
  /* Registers a tracker backend (init only), with the same rules. */
  aero_status (*register_backend)(aero_registrar *reg,
                                  const aero_backend_vtable *vtable,
                                  aero_error *err);

  /* Adds an action (build_actions only). See aero_action_desc for ownership:
   * `desc->data` is the host's even on failure. Since 1.0. */
  aero_status (*graph_add)(aero_graph *graph, const aero_action_desc *desc,
                           aero_error *err);

  /* The tracker calls (declare_input, declare_output, log_metrics,
   * log_text, bailout, workdir) may be made from any number of the
   * action's threads at once while the action runs, in its own process or
   * with --no-isolation: the host serializes them (each call runs whole,
   * one at a time, in the order they take the host's lock), so every one
   * is recorded as if made alone; a call waits while another runs (one
   * storing a large output holds back a thread's metrics until it is
   * done). A thread with no `err` of its own passes NULL. */

  /* Resolves an input artifact to an immutable version, records it as an
   * input of the running action and fills `*input` (run only). Parents'
   * outputs resolve to the versions fixed when the action started;
   * --artifact-override pins any input. Since 1.0. */
  aero_status (*declare_input)(aero_tracker *tracker, const char *artifact,
                               aero_input *input, aero_error *err);
  /* Stores an output (run only); see aero_output_desc. Since 1.0. */
  aero_status (*declare_output)(aero_tracker *tracker,
                                const aero_output_desc *desc, aero_error *err);
  /* Records metrics at `step` (AERO_NO_STEP for none). Since 1.0. May be
   * called from a thread of the action's own (with `err` NULL when it has
   * none) while the action runs, like every tracker call (see above);
   * after the action returned it fails with AERO_E_STATE and records
   * nothing. */
  aero_status (*log_metrics)(aero_tracker *tracker, const aero_metric *metrics,
                             size_t count, int64_t step, aero_error *err);
  /* Prints and records one line of text (no trailing newline needed). A
   * level outside aero_log_level is refused: the line is printed with a
   * warning and not recorded, and the run is not affected. */
  void (*log_text)(aero_tracker *tracker, aero_log_level level,
                   const char *message);
  /* Marks the running action as stopped on purpose, for debugging: the
   * action returns what this returns (AERO_E_BAILOUT), its outputs are not
   * published, no later action starts, and aerohost exits 0 quietly. */
  aero_status (*bailout)(aero_tracker *tracker, const char *reason);
  /* A scratch folder for this run, removed after it ends; owned by the
   * host, valid during run. */
  const char *(*workdir)(aero_tracker *tracker);

  /* Reports progress of a long operation (hashing or copying a large file)
   * for the console; the host redraws a line only on a terminal. `label` is
   * borrowed for the call; `done` == `total` ends the line. Since 1.0. */
  void (*progress)(const char *label, uint64_t done, uint64_t total);
} aero_host_api;

/* True when `api` has member `member` (it was built against a new enough
 * ABI minor to fill it). */
#define AERO_API_HAS(api, member)                                             \
  ((api)->struct_size >=                                                      \
   offsetof(aero_host_api, member) + sizeof((api)->member))


#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* AEROMANCY_HOST_API_H */
