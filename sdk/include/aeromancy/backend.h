/* Tracker backends: where runs, metrics and artifacts are recorded.
 *
 * A backend is a plugin of kind AERO_PLUGIN_BACKEND that registers this
 * vtable from its init (aero_register_backend). aerohost loads it by name
 * (`tracker-local` is the embedded default) through the same loader and ABI
 * checks as project plugins, so a third party adds a backend without
 * rebuilding aerohost.
 *
 * Process model: the host opens the store once, in its own process, and
 * makes nearly every call on that handle: the tracker calls of an action
 * running in a forked child are relayed to the host. The exception is
 * put_output of a large output, which the action's process makes on a
 * handle of its own (opened there, never inherited), so that hashing runs
 * in parallel. Several aerohost processes may work on one store at once
 * too, so a backend must allow several handles, in several processes, and
 * never hand out the same version twice.
 *
 * Every callback returns AERO_OK or fills `err` and returns a negative
 * status. Strings handed to a callback are borrowed for the call.
 */
#ifndef AEROMANCY_BACKEND_H
#define AEROMANCY_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "artifact.h"
#include "error.h"
#include "metric.h"
#include "query.h"
#include "value.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How a run ended. Never renumbered. */
typedef enum aero_run_state {
  AERO_RUN_RUNNING = 1,   /* started, not yet finished */
  AERO_RUN_OK = 2,        /* run returned AERO_OK: outputs are published */
  AERO_RUN_FAILED = 3,    /* run returned an error, or exited non-zero */
  AERO_RUN_CRASHED = 4,   /* the action's process died of a signal */
  AERO_RUN_TIMED_OUT = 5, /* killed after --timeout */
  AERO_RUN_KILLED = 6,    /* interrupted by Ctrl-C / SIGTERM */
  AERO_RUN_SKIPPED = 7,   /* not run: not selected, or a parent failed */
  AERO_RUN_BAILED = 8,    /* stopped on purpose by aero_bailout */
  AERO_RUN_REUSED = 9,    /* since ABI 1.3: not run, a past OK run with the
                             same reuse key stands for it (its outputs) */
} aero_run_state;

/* aero_backend_open_params.flags. Since ABI 1.2. */
#define AERO_OPEN_EXISTING                                                     \
  1u /* fail with AERO_E_NOT_FOUND, creating                                   \
        nothing, when no store is there: readers                               \
        never create a store */

/* Where and how to open a store. */
typedef struct aero_backend_open_params {
  uint32_t struct_size; /* sizeof(aero_backend_open_params) */
  const char *location; /* backend-specific; a folder for tracker-local */
  uint32_t flags;       /* since ABI 1.2: AERO_OPEN_* bits */
} aero_backend_open_params;

/* What the host records when a run starts. `environment` holds the
 * reproducibility facts as key/value pairs: git_commit, git_branch,
 * git_message, git_remote, image_id, packages (the package list text),
 * plugin_path, plugin_sha256, host_version, abi_version, hostname,
 * passthrough_env (names only, never values), command_line. */
typedef struct aero_run_record {
  uint32_t struct_size; /* sizeof(aero_run_record) */
  const char *entity;   /* store namespace; "" for the default */
  const char *project;
  const char *job_type;
  const char *job_group;      /* may be NULL */
  const char *const *outputs; /* the action's output names */
  size_t output_count;
  const aero_kv *config;
  size_t config_count;
  const char *const *tags;
  size_t tag_count;
  const aero_kv *environment;
  size_t environment_count;
  bool dev;           /* dev runs are kept apart from production */
  int64_t started_ns; /* wall clock, ns since the Unix epoch */
  /* Since ABI 1.5, read by run_begin only (a backend reads them only when
   * struct_size covers them; a host gives them to a 1.5 backend only, and
   * calls record_input and reuse_key for an older one): what those calls
   * record, in run_begin's one transaction. An unchanged re-run begins
   * many runs in a row; one commit each instead of up to three. */
  const int64_t *input_ids; /* versions the run reads, as record_input */
  size_t input_count;
  const char *reuse_key;   /* NULL: none; else as reuse_key's `key`, */
  const char *reuse_job;   /* `job` */
  const char *reuse_parts; /* and `parts` */
} aero_run_record;

/* How a run ended, recorded by the host after the action's process exits. */
typedef struct aero_run_outcome {
  uint32_t struct_size; /* sizeof(aero_run_outcome) */
  uint32_t state;       /* an aero_run_state other than RUNNING */
  int32_t exit_code;    /* process exit code, or -1 */
  int32_t signal;       /* terminating signal, or 0 */
  const char *message;  /* why it failed or was skipped; may be NULL */
  int64_t ended_ns;     /* wall clock, ns since the Unix epoch */
} aero_run_outcome;

/* A parsed artifact reference. `version` is N of "vN", or -1 for latest. */
typedef struct aero_artifact_ref {
  const char *entity; /* "" for the default */
  const char *project;
  const char *name;
  int64_t version;
} aero_artifact_ref;

/* An immutable artifact version, as a backend resolves it. */
typedef struct aero_artifact_version {
  uint32_t struct_size; /* set by the caller */
  int64_t id;           /* the backend's own key for this version */
  int64_t version;      /* N of "vN" */
  bool dev;             /* produced by a dev run */
  char digest[65];      /* SHA-256 of the manifest, lowercase hex */
  char type[64];        /* artifact type as declared; "" if none */
} aero_artifact_version;

/* What reuse_find looks for. Since ABI 1.3. Strings borrowed for the
 * call. */
typedef struct aero_reuse_query {
  uint32_t struct_size; /* sizeof(aero_reuse_query) */
  const char *entity;   /* "" for the default */
  const char *project;
  const char *job_type;
  const char *key; /* the reuse key: 64 lowercase hex digits */
  bool dev;        /* dev runs reuse only dev runs, production only prod */
  const char *job; /* 64 hex digits naming the action (project, job type,
                      output names, mode): reuse_key's `job` */
} aero_reuse_query;

/* What reuse_find found. Since ABI 1.3. Filled by the backend. */
typedef struct aero_reuse_match {
  uint32_t struct_size; /* set by the caller */
  int64_t run_id;       /* the run to reuse; 0 for none */
  int64_t ended_ns;     /* when that run ended */
  char parts[256];      /* when no run matches: the key parts recorded
                           with the newest OK run of the query's `job` (""
                           for none), which the host compares to say what
                           changed; a backend may leave it "" on a match
                           (since 1.4: the lookup of an unchanged re-run
                           saves a query) */
} aero_reuse_match;

/* One reused run for reuse_record_batch. Since ABI 1.4. `record` and
 * `input_ids` borrowed for the call; `run_id` written by the backend. */
typedef struct aero_reuse_item {
  uint32_t struct_size;          /* sizeof(aero_reuse_item) */
  const aero_run_record *record; /* as reuse_record's */
  int64_t reused_run_id;
  const int64_t *input_ids;
  size_t input_count;
  int64_t run_id; /* out: the new run's id; 0 in every item when the
                     call fails (none was recorded) */
} aero_reuse_item;

/* Called once per file of a materialized version. `path` is borrowed for
 * the call. */
typedef void (*aero_backend_file_fn)(void *ctx, const char *path);

/* A tracker backend. The host copies it into a zeroed struct of its own
 * size; members added later read as NULL for older backends. */
typedef struct aero_backend_vtable {
  uint32_t struct_size; /* sizeof(aero_backend_vtable) */
  const char *name;     /* e.g. "local" */

  /* Opens (creating if needed) a store. Writes *store on success only. */
  aero_status (*open)(const aero_backend_open_params *params, void **store,
                      aero_error *err);
  /* Closes a handle opened by `open` in this process. */
  void (*close)(void *store);

  /* Records a new run as RUNNING and writes its id. */
  aero_status (*run_begin)(void *store, const aero_run_record *record,
                           int64_t *run_id, aero_error *err);
  /* Records how a run ended. When `outcome->state` is AERO_RUN_OK, the
   * outputs the run declared become published versions in the same
   * transaction; otherwise they are discarded. */
  aero_status (*run_end)(void *store, int64_t run_id,
                         const aero_run_outcome *outcome, aero_error *err);

  /* Resolves a reference to a published version. `dev` says which runs may
   * see it: production never resolves to a dev version. Returns
   * AERO_E_NOT_FOUND with a message naming the artifact when none exists. */
  aero_status (*resolve)(void *store, const aero_artifact_ref *ref, bool dev,
                         aero_artifact_version *out, aero_error *err);
  /* Records that run `run_id` read version `version_id`. */
  aero_status (*record_input)(void *store, int64_t run_id, int64_t version_id,
                              aero_error *err);
  /* Makes the files of a version available as read-only local files and
   * calls `each` for each path, sorted. Writes the folder holding them to
   * `directory` (at most `directory_size` bytes with the terminator). */
  aero_status (*materialize)(void *store, int64_t version_id,
                             aero_backend_file_fn each, void *ctx,
                             char *directory, size_t directory_size,
                             aero_error *err);

  /* Stores the files of an output of run `run_id` and records a pending
   * version, published by run_end. `ref->version` is -1. Once it returns
   * AERO_OK the files may change or go: their bytes are stored; the
   * pending version itself may be written with run_end's commit, since
   * nothing reads it before. */
  aero_status (*put_output)(void *store, int64_t run_id,
                            const aero_artifact_ref *ref,
                            const aero_output_desc *desc, aero_error *err);
  /* Records metrics of run `run_id`; step is AERO_NO_STEP or >= 0. */
  aero_status (*log_metrics)(void *store, int64_t run_id,
                             const aero_metric *metrics, size_t count,
                             int64_t step, aero_error *err);
  /* Records one text log line of run `run_id`. May be NULL. */
  aero_status (*log_text)(void *store, int64_t run_id, aero_log_level level,
                          const char *message, aero_error *err);
  /* Since ABI 1.1, optional: records a batch of metrics of run `run_id`,
   * all or none (one transaction). The host gathers the metrics an action
   * logs in quick succession into one call. NULL: the host calls
   * log_metrics per row. */
  aero_status (*log_metric_rows)(void *store, int64_t run_id,
                                 const aero_metric_row *rows, size_t count,
                                 aero_error *err);

  /* ---- Query members, since ABI 1.2 (query.h has the rows and the
   * ownership rules: filters borrowed, rows valid during their callback).
   * All optional for writers; `aeromancy runs/show/metrics/...` and the
   * web page need the first five and name a missing one in their error.
   * A query reads one consistent snapshot where the backend can. ---- */

  /* Streams the runs `filter` selects to `each`, newest first (see
   * aero_run_filter for order and keyset pagination). */
  aero_status (*query_runs)(void *store, const aero_run_filter *filter,
                            aero_status (*each)(void *ctx,
                                                const aero_run_info *run,
                                                aero_error *err),
                            void *ctx, aero_error *err);
  /* Streams everything recorded about run `run_id` to the non-NULL members
   * of `sink`, in their order. AERO_E_NOT_FOUND, calling nothing, when
   * there is no such run. */
  aero_status (*query_run)(void *store, int64_t run_id,
                           const aero_run_sink *sink, void *ctx,
                           aero_error *err);
  /* Streams the points of one run in batches (see aero_metric_query),
   * never loading them all: a run may hold millions. An unknown run gives
   * no points, not an error. */
  aero_status (*query_metrics)(void *store, const aero_metric_query *query,
                               aero_metric_rows_fn each, void *ctx,
                               aero_error *err);
  /* Streams the published versions `filter` selects. */
  aero_status (*query_versions)(
      void *store, const aero_version_filter *filter,
      aero_status (*each)(void *ctx, const aero_version_info *version,
                          aero_error *err),
      void *ctx, aero_error *err);
  /* Streams the files of version `version_id`, sorted by path. */
  aero_status (*query_files)(void *store, int64_t version_id,
                             aero_status (*each)(void *ctx,
                                                 const aero_file_info *file,
                                                 aero_error *err),
                             void *ctx, aero_error *err);
  /* Verifies the store: every content re-hashed, every version's files
   * present with their recorded size and digest, runs left running by
   * hosts that are gone. Streams each problem to `each` and fills
   * `report`. Safe while other hosts write to the store. */
  aero_status (*check)(void *store, const aero_check_params *params,
                       aero_status (*each)(void *ctx,
                                           const aero_problem *problem,
                                           aero_error *err),
                       void *ctx, aero_check_report *report, aero_error *err);
  /* Removes what nothing refers to (see aero_garbage_kind), streaming
   * each removal (or, with params->dry_run, each candidate) to `each`.
   * Never removes what a live host is writing or may still refer to:
   * returns AERO_E_STATE, with a message saying what it kept and why,
   * when it collected everything else but had to keep something for a
   * host at work. */
  aero_status (*collect)(void *store, const aero_collect_params *params,
                         aero_status (*each)(void *ctx,
                                             const aero_garbage *garbage,
                                             aero_error *err),
                         void *ctx, aero_error *err);

  /* ---- Reuse members, since ABI 1.3. Optional, all three or none: a
   * backend without them never reuses (every action runs). The host
   * computes the key; the backend only stores and matches it. ---- */

  /* Records the reuse key `key` of run `run_id`, still RUNNING, with `job`
   * (both 64 hex digits; `job` names the action, so that reuse_find can
   * report the parts of its newest run) and `parts` (at most 255 bytes,
   * handed back by reuse_find). A key counts only once its run ended OK.
   * A second call for the same run replaces its key: the host does so
   * while the run is RUNNING when its action read outside the key. */
  aero_status (*reuse_key)(void *store, int64_t run_id, const char *key,
                           const char *job, const char *parts, aero_error *err);
  /* Finds the newest run of the query's job that ended OK with the
   * query's key and whose every output version is still
   * complete (each file's content present with its recorded size at
   * least). No match is AERO_OK with match->run_id 0. */
  aero_status (*reuse_find)(void *store, const aero_reuse_query *query,
                            aero_reuse_match *match, aero_error *err);
  /* Records, in one transaction, a run of `record` with status REUSED that
   * points at `reused_run_id`, holds its output versions and read the
   * versions `input_ids` (count `input_count`); writes its id. A reused
   * run that is no longer OK fails with AERO_E_NOT_FOUND, recording
   * nothing. */
  aero_status (*reuse_record)(void *store, const aero_run_record *record,
                              int64_t reused_run_id, const int64_t *input_ids,
                              size_t input_count, int64_t *run_id,
                              aero_error *err);

  /* ---- Since ABI 1.4, optional: a NULL member means the backend keeps
   * no metadata, and readers show none. ---- */

  /* Streams the metadata the producing action attached to version
   * `version_id` (aero_output_desc.metadata), sorted by key; each entry
   * is the backend's, valid during its callback. A version without
   * metadata, or no such version, streams nothing. */
  aero_status (*query_metadata)(void *store, int64_t version_id,
                                aero_status (*each)(void *ctx,
                                                    const aero_kv *entry,
                                                    aero_error *err),
                                void *ctx, aero_error *err);

  /* Since ABI 1.4, optional: records what reuse_record records for each
   * of `items` (count `count`, each `struct_size` bytes apart) in one
   * transaction, all or none, writing each new run's id in its `run_id`.
   * An unchanged re-run reuses many actions in a row: one commit for
   * them all instead of one each. A reused run that is no longer OK fails
   * with AERO_E_NOT_FOUND naming it, recording nothing. NULL: the host
   * calls reuse_record per item. */
  aero_status (*reuse_record_batch)(void *store, aero_reuse_item *items,
                                    size_t count, aero_error *err);

  /* Since ABI 1.6, optional: answers for each of `queries` (count `count`,
   * each queries->struct_size bytes apart) what reuse_find would answer
   * for it alone, into the match at the same index (each
   * matches->struct_size bytes apart, set by the caller). A store across a
   * network answers a streak of ready actions in one round trip (one
   * query, the blobs' checks at once) instead of one per action. Fails as
   * a whole, answering none: the host then says so once and runs those
   * actions, as when reuse_find fails for one. NULL: the host calls
   * reuse_find per action. */
  aero_status (*reuse_find_batch)(void *store, const aero_reuse_query *queries,
                                  size_t count, aero_reuse_match *matches,
                                  aero_error *err);

  /* Since ABI 1.7, optional: records as `killed` the runs left `running`
   * by hosts that are gone (died without recording how their runs ended),
   * as the next host to start a run does. A live host's runs are never
   * touched. Readers call it before reading (`aeromancy runs`, `show`, the
   * web page), so that the record they show does not call a dead host's
   * run running; a reader that may not write the store ignores its
   * failure and reads the store as it is. It should give up soon rather
   * than wait long for a lock a writer holds (both backends give up once
   * a wait for a lock reaches 0.2 s, and settle no more runs then):
   * a reader is not to hang on it. NULL: such runs read `running`
   * until a host or `fsck --repair` records them. */
  aero_status (*settle_dead)(void *store, aero_error *err);
} aero_backend_vtable;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* AEROMANCY_BACKEND_H */
