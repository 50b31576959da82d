/* The host side of tracking: opening a store through its backend plugin,
 * and one tracked run per action.
 *
 * Owner: tracking (store.c, tracker.c, artifact_ref.c). Used by the
 * executor (run begin/end, in the host process) and by the host API table
 * (the aero_tracker calls, in the action's process).
 */
#ifndef AEH_TRACKER_H
#define AEH_TRACKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <aeromancy/backend.h>
#include <aeromancy/host_api.h>

#include "artifact_ref.h"
#include "error.h"
#include "graph.h"

typedef struct aeh_store aeh_store;

/* Opens a store with the backend plugin `backend` (NULL: [store] backend in
 * aeromancy.ini, else "local"; loaded as tracker-<name>.so from
 * $AEROMANCY_PLUGIN_PATH, else relative to the running executable: its
 * install tree, or its build tree when it runs from one).
 * `location` NULL means: $AEROMANCY_STORE, else [store] path in
 * aeromancy.ini, else $XDG_DATA_HOME/aeromancy, else
 * ~/.local/share/aeromancy. The caller owns *out. */
aero_status aeh_store_open(const char *backend, const char *location,
                           aeh_store **out, aero_error *err);

/* aeh_store_open for readers: the same backend and location rule, but a
 * store that does not exist yet is AERO_E_NOT_FOUND, and nothing is
 * created (a read command never creates a store). */
aero_status aeh_store_open_existing(const char *backend, const char *location,
                                    aeh_store **out, aero_error *err);

/* aeh_store_open (or, `existing`, aeh_store_open_existing) for a `backend`
 * given by `given_by` (an option's name, or what implied it), which a bad
 * backend's message names: `aeromancy store copy`'s --from-backend and
 * --to-backend. */
aero_status aeh_store_open_as(const char *backend, const char *given_by,
                              const char *location, bool existing,
                              aeh_store **out, aero_error *err);

/* The refusal of a store location given empty (`--store "$UNSET"`): not
 * "the default", which would read or write another store than the one
 * meant. One text for aeh_store_choose_location and for `aeromancy ui`,
 * which refuses "" itself (aeromancy-ui reads it as no --store). */
#define AEH_STORE_EMPTY_LOCATION                                               \
  "the store location given is empty: name a folder or a URL"

/* The one rule for where the store is, for aerohost and the runner alike:
 * `explicit` (--store), else $AEROMANCY_STORE, else [store] path in
 * aeromancy.ini ($AEROMANCY_CONFIG, else the one in `project_dir`, NULL:
 * the current folder; "~/" is $HOME, a relative path is from the file's
 * folder), else $XDG_DATA_HOME/aeromancy, else ~/.local/share/aeromancy.
 * An empty `explicit` is AERO_E_INVALID, AEH_STORE_EMPTY_LOCATION (an
 * empty AEROMANCY_STORE or [store] path counts as unset). Written to *out
 * (owned by the caller) as an absolute path. */
aero_status aeh_store_choose_location(const char *explicit,
                                      const char *project_dir, char **out,
                                      aero_error *err);

/* Whether `location` is a URL (postgresql://...) or a connection string of
 * key=value words: a backend's to read, never a folder. */
bool aeh_store_location_is_url(const char *location);

/* `location` fit to print: a URL's password and any password=VALUE word
 * or query parameter left out. Owned by the caller; NULL when out of
 * memory. */
char *aeh_store_location_shown(const char *location);

/* For --executor slurm, whose jobs record their runs on the cluster's
 * nodes: AERO_OK when `location` is a team store they reach (a URL),
 * else AERO_E_CONFIG saying that a folder on this machine is not one. */
aero_status aeh_store_location_check_shared(const char *location,
                                            aero_error *err);

/* aeh_store_open in two steps: prepare finds the backend's plugin and the
 * location (nothing loaded, nothing opened: a process forked now, like
 * the executor's fork server, carries no store state); connect loads the
 * backend and opens the store, in the process that records. Connecting a
 * connected store does nothing. */
aero_status aeh_store_prepare(const char *backend, const char *location,
                              aeh_store **out, aero_error *err);
aero_status aeh_store_connect(aeh_store *store, aero_error *err);
/* aeh_store_connect for a prepared store that must exist already (a dry
 * run reads it, never creates it): AERO_E_NOT_FOUND when there is none. */
aero_status aeh_store_connect_existing(aeh_store *store, aero_error *err);
void aeh_store_close(aeh_store *store);
/* The location for messages: a URL or connection string without its
 * password. */
const char *aeh_store_location(const aeh_store *store);

/* In a forked child: abandons (never closes) the parent's backend handle,
 * so that a tracker call would open the child's own, and ties the child's
 * life to its parent's. */
void aeh_store_after_fork(aeh_store *store);

/* In a process forked from the store's owner: ties its life to its
 * parent's (PR_SET_PDEATHSIG), without touching the inherited handle. */
void aeh_store_tie_to_owner(aeh_store *store);

/* What every run of one aerohost invocation shares. Borrowed by the runs. */
typedef struct aeh_session {
  const char *entity;  /* "" for the default */
  const char *project; /* the builder's project name */
  bool dev;
  const char *const *tags;
  size_t tag_count;
  const char *const *overrides; /* --artifact-override NAME:VERSION */
  size_t override_count;
  const aero_kv *environment; /* runtime facts, see aero_run_record */
  size_t environment_count;
  /* The version of `ref`, an output of one of `action`'s parents, that
   * this execution's run of that parent made or reused (host/exec/made.h):
   * an input without an explicit version resolves to it rather than to
   * the latest. NULL, or false: the latest. */
  bool (*made)(void *ctx, const aeh_action *action, const aeh_artifact_ref *ref,
               int64_t *version);
  void *made_ctx;
} aeh_session;

/* Checks every --artifact-override before anything runs: a valid reference
 * with an explicit version. AERO_E_INVALID naming the bad one. */
aero_status aeh_session_check_overrides(const aeh_session *session,
                                        aero_error *err);

typedef struct aeh_run aeh_run;

/* The reuse key of `run`, its inputs resolved and not yet begun: false
 * for none; else *key, *job and *parts as aero_backend_vtable.reuse_key
 * takes them, owned by `ctx` and valid until aeh_run_begin returns. */
typedef bool (*aeh_run_key_fn)(void *ctx, const aeh_run *run, const char **key,
                               const char **job, const char **parts);

/* In the host process, before the action starts: resolves every parent
 * output (or its override) to an immutable version, which declare_input
 * will hand out, and records a RUNNING run that read them, with the reuse
 * key `key_of` gives (may be NULL), in one backend call (ABI 1.5; an
 * older backend gets the inputs by record_input, and the key from
 * aeh_run_note_key). An input that does not exist fails with
 * AERO_E_NOT_FOUND naming it (the run is then recorded FAILED, holding
 * the inputs resolved before it, and *failed_id, when not NULL, gets its
 * id: 0 when no run was recorded). The caller owns *out. */
aero_status aeh_run_begin(aeh_store *store, const aeh_session *session,
                          const aero_graph *graph, const aeh_action *action,
                          aeh_run_key_fn key_of, void *key_ctx, aeh_run **out,
                          int64_t *failed_id, aero_error *err);

int64_t aeh_run_id(const aeh_run *run);

/* How many metrics and log lines of `run` its backend refused in this
 * process (an action run on the host's stack, --no-isolation), and why
 * the first was (*why: borrowed from the run, "" for none). */
size_t aeh_run_unrecorded(const aeh_run *run, const char **why);

/* Whether the store failed to keep an output `run` declared in this
 * process (an action run on the host's stack): the store's failure. */
bool aeh_run_output_refused(const aeh_run *run);

/* In the action's process, forked from the host: ties the process to its
 * parent and sends every tracker call of `run` over `fd` to the host,
 * which makes it (relay.h). The run holds that transport; the store and
 * every other run are untouched. */
void aeh_run_relay_to(aeh_run *run, int fd);

/* The tracker the action's run callback receives; valid while `run` is. */
aero_tracker *aeh_run_tracker(aeh_run *run);

/* In the host process, after the action's process ended: records the
 * outcome; publishes the declared outputs only when it is AERO_RUN_OK. */
aero_status aeh_run_end(aeh_run *run, const aero_run_outcome *outcome,
                        aero_error *err);

/* Records the outcome of run `run_id`, begun by another process that
 * died before it could (a Slurm job killed outright), when the store
 * still has it RUNNING. *found is the state the store had (0: no such
 * run): a run that ended meanwhile is left as it is. */
aero_status aeh_run_end_orphan(aeh_store *store, int64_t run_id,
                               const aero_run_outcome *outcome, uint32_t *found,
                               aero_error *err);

/* Frees the run (removing its scratch folder: emptied, the folder itself
 * may be kept for the next run this process begins, renamed). */
void aeh_run_free(aeh_run *run);

/* Removes the scratch folder aeh_run_free kept, if any: when this
 * process begins no more runs. */
void aeh_run_drop_kept_workdir(void);

/* Handing a run to a process forked from this one before the run began
 * (the executor's fork server): the state is plain bytes, and the pointers
 * it keeps into the graph stay valid there, because both processes hold
 * the graph at the same addresses from before the fork. */
size_t aeh_run_state_size(const aeh_run *run);
void aeh_run_state_write(const aeh_run *run, void *buf);
/* Rebuilds the run from aeh_run_state_write's bytes, for `action`, in
 * `storage` when it fits there (no allocation: the fork server writes as
 * little as it can between forks), else on the heap. `storage` may be
 * NULL, and must outlive the run. The caller owns *out (aeh_run_release). */
aero_status aeh_run_adopt(aeh_store *store, const aeh_session *session,
                          const aeh_action *action, const void *state,
                          size_t size, void *storage, size_t storage_size,
                          aeh_run **out, aero_error *err);
/* Frees a run's memory only, leaving its scratch folder to the process that
 * runs the action. */
void aeh_run_release(aeh_run *run);

/* Records a run that never started (parent failed, or not selected);
 * *id (may be NULL) gets its id, 0 when none was recorded. */
aero_status aeh_run_record_skipped(aeh_store *store, const aeh_session *session,
                                   const aeh_action *action, const char *why,
                                   int64_t *id, aero_error *err);

/* The host API's tracker members. Each runs whole under one lock per
 * process (tracker_lock.h), so that any number of the action's threads may call
 * them at once: calls are serialized, never interleaved. */
aero_status aeh_tracker_declare_input(aero_tracker *tracker,
                                      const char *artifact, aero_input *input,
                                      aero_error *err);
aero_status aeh_tracker_declare_output(aero_tracker *tracker,
                                       const aero_output_desc *desc,
                                       aero_error *err);
aero_status aeh_tracker_log_metrics(aero_tracker *tracker,
                                    const aero_metric *metrics, size_t count,
                                    int64_t step, aero_error *err);
void aeh_tracker_log_text(aero_tracker *tracker, aero_log_level level,
                          const char *message);
aero_status aeh_tracker_bailout(aero_tracker *tracker, const char *reason);
const char *aeh_tracker_workdir(aero_tracker *tracker);
/* After the action's run returned AERO_OK: AERO_OK when it declared every
 * output it lists, else AERO_E_ACTION naming the first it did not declare
 * (a dependent would otherwise read an older version of it). */
aero_status aeh_tracker_check_outputs(const aero_tracker *tracker,
                                      aero_error *err);
/* True once the action called aero_bailout (read in the action's process). */
bool aeh_tracker_bailed(const aero_tracker *tracker);
/* The reason given to aero_bailout, or NULL; owned by the run. */
const char *aeh_tracker_bail_reason(const aero_tracker *tracker);

/* ---- Reuse (backends of ABI 1.3 with the reuse members; backend.h). */

/* True when the connected store's backend can record and find reuse keys;
 * false for a backend without them (it never reuses). */
bool aeh_store_reuses(const aeh_store *store);

/* Resolves the inputs of `action` as aeh_run_begin would, recording
 * nothing: a run that never begins, for the reuse key and a reused run's
 * record. Fails like aeh_run_begin when an input does not exist. The
 * caller owns *out (aeh_run_free). */
aero_status aeh_run_preview(aeh_store *store, const aeh_session *session,
                            const aero_graph *graph, const aeh_action *action,
                            aeh_run **out, aero_error *err);
/* The inputs fixed for `run` (begun or preview): false for one that was
 * not found (an optional input that does not exist), else its label and
 * version, borrowed from the run. */
size_t aeh_run_input_count(const aeh_run *run);
bool aeh_run_input(const aeh_run *run, size_t i, const char **label,
                   const aero_artifact_version **version);
/* Records the reuse key of a begun run (nothing without reuse members, or
 * when aeh_run_begin recorded it with the run: aeh_run_keyed). `key`,
 * `job` and `parts` borrowed (backend.h, reuse_key). */
aero_status aeh_run_note_key(aeh_run *run, const char *key, const char *job,
                             const char *parts, aero_error *err);
bool aeh_run_keyed(const aeh_run *run);
/* The action read an input its reuse key does not hold: an artifact none
 * of its parents makes (another project's, or one an earlier pipeline
 * made) at its latest version, or one an --artifact-override pinned. The
 * key only holds what is known before the action runs, so such a run may
 * never be reused: its key is replaced (once) by one no lookup computes,
 * whose parts end with AEH_PARTS_READ_OUTSIDE (--dry-run says why). A
 * version the action's code names (`name:v3`) is covered by the code and
 * config parts, and needs none of this. Nothing for a run without a key. */
aero_status aeh_run_read_outside_key(aeh_run *run, aero_error *err);
#define AEH_PARTS_READ_OUTSIDE " read=outside"
/* Finds a past run of `action` with `key` (match->run_id 0 for none), and
 * the parts of the newest run of `job`. */
aero_status aeh_reuse_find(aeh_store *store, const aeh_session *session,
                           const aeh_action *action, const char *key,
                           const char *job, aero_reuse_match *match,
                           aero_error *err);
/* Whether the store answers many reuse lookups in one call (ABI 1.6). */
bool aeh_store_reuses_batch(const aeh_store *store);
/* One action's lookup for aeh_reuse_find_batch; all borrowed. */
typedef struct aeh_reuse_ask {
  const aeh_action *action;
  const char *key;
  const char *job;
} aeh_reuse_ask;
/* aeh_reuse_find for each of `asks` (count `count`) into matches[i]: in
 * one call of a backend that batches (aeh_store_reuses_batch), else one
 * reuse_find each. A failure says nothing about any of them. */
aero_status aeh_reuse_find_batch(aeh_store *store, const aeh_session *session,
                                 const aeh_reuse_ask *asks, size_t count,
                                 aero_reuse_match *matches, aero_error *err);
/* A reused run decided and not yet recorded: the executor gathers a streak
 * of them and records them at once (aeh_reused_record), in one transaction
 * where the backend can. */
typedef struct aeh_reused {
  aero_run_record record; /* the session's facts, started when decided;
                             borrows the session and action */
  int64_t reused_run_id;
  int64_t *input_ids; /* owned; the preview's inputs that were found */
  size_t input_count;
  int64_t run_id; /* written by aeh_reused_record */
} aeh_reused;

/* A run of the preview's action with status REUSED, pointing at
 * `reused_run_id`, with the preview's inputs, into *out (release it with
 * aeh_reused_release). */
aero_status aeh_reused_prepare(const aeh_run *preview, int64_t reused_run_id,
                               aeh_reused *out, aero_error *err);
/* Records `count` reused runs, writing each run_id: all or none in one
 * transaction with a backend of ABI 1.4 (reuse_record_batch); else one
 * call each, and a failure leaves those before it recorded. */
aero_status aeh_reused_record(aeh_store *store, aeh_reused *runs, size_t count,
                              aero_error *err);
void aeh_reused_release(aeh_reused *reused);

#endif /* AEH_TRACKER_H */
