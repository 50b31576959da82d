/* Reading the record back: the rows a backend's query members hand to the
 * host (see the query members of aero_backend_vtable in backend.h). Since
 * ABI 1.2.
 *
 * The host never sees how a backend stores runs: it describes what it wants
 * with a filter struct and the backend streams rows to callbacks, so the
 * same `aeromancy runs/show/metrics/...` and the same web page work on
 * SQLite, PostgreSQL or anything else.
 *
 * Ownership, everywhere in this header:
 * - Filters and queries are borrowed by the backend for the call.
 * - Every row, and every string and array it points to, is owned by the
 *   backend and valid only during the callback that receives it: a host
 *   that keeps something copies it.
 * - Rows carry `struct_size`, set by the backend to the size it was built
 *   with: a member whose offset is at or beyond it is absent (AERO_ROW_HAS).
 *   Filters carry `struct_size` set by the host, read the same way.
 * - A callback returns AERO_OK to go on. Any other status stops the query,
 *   which then returns that same status; the callback fills `err` (the
 *   host's own error object, passed through). A callback must not call into
 *   the store handle that is calling it.
 */
#ifndef AEROMANCY_QUERY_H
#define AEROMANCY_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "metric.h"
#include "value.h"

#ifdef __cplusplus
extern "C" {
#endif

/* True when row or filter `p` (a pointer to a struct with struct_size)
 * carries `member`. */
#define AERO_ROW_HAS(p, type, member)                                          \
  ((p)->struct_size >= offsetof(type, member) + sizeof((p)->member))

/* Which runs a filter selects by mode. Never renumbered. */
typedef enum aero_mode_filter {
  AERO_MODE_ANY = 0,
  AERO_MODE_DEV = 1,  /* runs made with --dev */
  AERO_MODE_PROD = 2, /* production runs */
} aero_mode_filter;

/* Which runs query_runs returns. Zero/NULL members select everything, so a
 * zeroed filter with its struct_size lists every run. Runs come newest
 * first (descending id) unless `oldest_first`. Pagination is by keyset:
 * the next page of a newest-first listing is `before_id` = the last id
 * seen, so page N costs what page 1 costs however many runs there are. */
typedef struct aero_run_filter {
  uint32_t struct_size;     /* sizeof(aero_run_filter) */
  uint32_t state;           /* an aero_run_state; 0: any */
  const char *project;      /* exact project name; NULL: any */
  const char *job_type;     /* exact job type; NULL: any */
  const char *tag;          /* runs carrying this tag; NULL: any */
  const char *branch;       /* recorded git branch; NULL: any */
  uint32_t mode;            /* an aero_mode_filter */
  uint32_t limit;           /* at most this many runs; 0: no limit */
  int64_t since_ns;         /* started at or after (ns, Unix); 0: any */
  int64_t before_id;        /* only ids below this; 0: no bound */
  int64_t after_id;         /* only ids above this; 0: no bound */
  int64_t input_version_id; /* only runs that read this version; 0: any */
  bool oldest_first;        /* ascending ids instead */
} aero_run_filter;

/* One run, as listed by query_runs and first in query_run. */
typedef struct aero_run_info {
  uint32_t struct_size; /* set by the backend */
  uint32_t state;       /* an aero_run_state */
  int64_t id;           /* the run id users see and type */
  const char *entity;   /* "" for the default */
  const char *project;
  const char *job_type;
  const char *job_group;  /* may be NULL */
  const char *outputs;    /* the action's output names, one per line */
  bool dev;               /* a --dev run */
  int32_t exit_code;      /* process exit code, or -1 */
  int32_t signal;         /* terminating signal, or 0 */
  const char *message;    /* why it failed or was skipped; may be NULL */
  int64_t started_ns;     /* ns since the Unix epoch */
  int64_t ended_ns;       /* 0 while running */
  const char *git_commit; /* may be NULL (dev runs outside git) */
  const char *git_branch; /* may be NULL */
  int64_t reused_run;     /* since ABI 1.4 (AERO_ROW_HAS): for a run with
                             state AERO_RUN_REUSED, the run it stands for
                             (whose outputs it holds); else 0 */
} aero_run_info;

/* A published artifact version, with its artifact's names. */
typedef struct aero_version_info {
  uint32_t struct_size; /* set by the backend */
  bool dev;             /* produced by a dev run */
  int64_t id;           /* the backend's key (for query_files, lineage) */
  const char *entity;   /* "" for the default */
  const char *project;
  const char *name;
  int64_t version;    /* N of "vN" */
  const char *digest; /* SHA-256 of the manifest, lowercase hex */
  const char *type;   /* artifact type; "" if none */
  int64_t run_id;     /* the run that produced it */
  int64_t created_ns; /* ns since the Unix epoch */
  int64_t file_count;
  int64_t total_size; /* bytes, all files */
} aero_version_info;

/* One file of a version. */
typedef struct aero_file_info {
  uint32_t struct_size; /* set by the backend */
  const char *path;     /* relative to the version's folder */
  const char *sha256;   /* lowercase hex */
  int64_t size;         /* bytes */
} aero_file_info;

/* One text log line of a run. */
typedef struct aero_log_line {
  uint32_t struct_size; /* set by the backend */
  uint32_t level;       /* an aero_log_level */
  const char *message;
  int64_t logged_ns; /* ns since the Unix epoch */
} aero_log_line;

/* The summary of one metric key of a run. "Last" is the point with the
 * highest step (the latest logged among equal steps; points without a step
 * count as logged order). */
typedef struct aero_metric_summary {
  uint32_t struct_size; /* set by the backend */
  const char *key;
  int64_t count;
  double last;
  double min;
  double max;
  int64_t last_step; /* AERO_NO_STEP when the last point has none */
} aero_metric_summary;

/* Which artifact versions query_versions returns, sorted by entity,
 * project, name, version. */
typedef struct aero_version_filter {
  uint32_t struct_size; /* sizeof(aero_version_filter) */
  uint32_t mode;        /* an aero_mode_filter */
  const char *entity;   /* NULL: any */
  const char *project;  /* NULL: any */
  const char *name;     /* exact artifact name; NULL: any */
  int64_t version;      /* N of "vN"; -1: every version */
  int64_t run_id;       /* only versions this run produced; 0: any */
  int64_t version_id;   /* only this version (backend key); 0: any */
} aero_version_filter;

/* Which metric points query_metrics streams, in the order key (its bytes,
 * as strcmp compares them), step (none first), logged order. */
typedef struct aero_metric_query {
  uint32_t struct_size; /* sizeof(aero_metric_query) */
  int64_t run_id;
  /* Only these keys, a set: in key order whatever the order given ("b",
   * "a" streams a's points first), and a key given twice streams once;
   * NULL or key_count 0: all. */
  const char *const *keys;
  size_t key_count;
} aero_metric_query;

/* Receives a batch of metric points: the array and its strings are the
 * backend's, valid during the call. Batches let a backend hand over
 * thousands of points per call. */
typedef aero_status (*aero_metric_rows_fn)(void *ctx,
                                           const aero_metric_row *rows,
                                           size_t count, aero_error *err);

/* Receives the parts of one run (query_run). Each member may be NULL: the
 * backend then skips that part (and need not read it). Called in member
 * order: run once, then environment, config, tags, inputs, outputs, logs,
 * metric summaries. `environment` gets every reproducibility fact
 * (git_commit, git_branch, git_message, git_remote, image_id, packages,
 * plugin_path, plugin_sha256, host_version, abi_version, hostname,
 * command_line, passthrough_env, and any other the host recorded) whose
 * value is not NULL. Inputs and outputs are published versions only. */
typedef struct aero_run_sink {
  uint32_t struct_size; /* sizeof(aero_run_sink), set by the host */
  aero_status (*run)(void *ctx, const aero_run_info *run, aero_error *err);
  aero_status (*environment)(void *ctx, const char *key, const char *value,
                             aero_error *err);
  aero_status (*config)(void *ctx, const aero_kv *kv, aero_error *err);
  aero_status (*tag)(void *ctx, const char *tag, aero_error *err);
  aero_status (*input)(void *ctx, const aero_version_info *version,
                       aero_error *err);
  aero_status (*output)(void *ctx, const aero_version_info *version,
                        aero_error *err);
  aero_status (*log_line)(void *ctx, const aero_log_line *line,
                          aero_error *err);
  aero_status (*metric_summary)(void *ctx, const aero_metric_summary *m,
                                aero_error *err);
} aero_run_sink;

/* ---- Store maintenance: aeromancy fsck and gc ---- */

/* What a check found. Never renumbered. */
typedef enum aero_problem_kind {
  AERO_PROBLEM_BLOB_DAMAGED = 1,  /* content no longer has its digest */
  AERO_PROBLEM_BLOB_MISSING = 2,  /* a version's file has no content */
  AERO_PROBLEM_SIZE = 3,          /* content of another size than recorded */
  AERO_PROBLEM_RUN_ABANDONED = 4, /* left running by a host that is gone */
  AERO_PROBLEM_OTHER = 5,
} aero_problem_kind;

/* One problem found by check. */
typedef struct aero_problem {
  uint32_t struct_size; /* set by the backend */
  uint32_t kind;        /* an aero_problem_kind */
  const char *subject;  /* the blob digest, or "" */
  const char *detail;   /* one line for people */
  int64_t run_id;       /* the run concerned, or 0 */
  int64_t version_id;   /* a version that holds the blob, or 0 */
  bool repaired;        /* --repair dealt with it */
} aero_problem;

/* How check works. */
typedef struct aero_check_params {
  uint32_t struct_size; /* sizeof(aero_check_params) */
  bool repair;          /* move damaged content aside, so that the next
                           declaration of it stores it again */
} aero_check_params;

/* What check counted; filled by the backend. */
typedef struct aero_check_report {
  uint32_t struct_size;  /* set by the host; the backend fills what fits */
  int64_t blobs_checked; /* contents re-hashed */
  int64_t bytes_hashed;
  int64_t files_checked; /* version files looked up */
  int64_t orphans;       /* contents no version refers to */
  int64_t problems;
} aero_check_report;

/* What gc removes. Never renumbered. */
typedef enum aero_garbage_kind {
  AERO_GARBAGE_BLOB = 1,    /* content no version or pending output uses */
  AERO_GARBAGE_SCRATCH = 2, /* scratch or half-built folder of a dead host */
  AERO_GARBAGE_TEMP = 3,    /* temporary content of a killed host */
  AERO_GARBAGE_DEV_RUN = 4, /* a finished dev run older than keep_dev_ns */
} aero_garbage_kind;

/* One thing gc removed (or, with dry_run, would remove). */
typedef struct aero_garbage {
  uint32_t struct_size; /* set by the backend */
  uint32_t kind;        /* an aero_garbage_kind */
  const char *subject;  /* digest, folder or run id, for people */
  int64_t bytes;        /* space freed */
} aero_garbage;

/* How collect works. */
typedef struct aero_collect_params {
  uint32_t struct_size; /* sizeof(aero_collect_params) */
  bool dry_run;         /* report only */
  int64_t keep_dev_ns;  /* remove finished dev runs (and the versions only
                           they made, unless a run read them) that ended
                           longer ago than this; -1: keep every dev run */
} aero_collect_params;


#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* AEROMANCY_QUERY_H */
