/* tracker-postgres' private declarations, shared by its translation units.
 *
 * Runs, metrics, versions and lineage live in a PostgreSQL database (libpq;
 * docs/store.md has the schema, the same tables and columns as
 * tracker-local's); file contents live in an S3 bucket under
 * <prefix>/blobs/aa/bbbb... named by their SHA-256, and in a bounded local
 * cache of verified blobs and materialized versions.
 *
 * Credentials (a password in the connection string, the S3 secret key) are
 * read where they are used and never copied into a message, a log line or
 * the record: messages name the server by host, port and database only.
 */
#ifndef TP_TP_H
#define TP_TP_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <libpq-fe.h>

#include <aeromancy/aeromancy.h>

#include "plugin_common.h"
#include "s3_xml.h"

/* The schema this build creates and understands (table aero_schema). */
#define TP_SCHEMA_VERSION 5

/* The advisory lock key that keeps gc's deletion of unreferenced objects
 * and a host's first lease apart: gc holds it exclusively from its look at
 * the leases to its last delete, a host shared while it takes its lease
 * (collect.c, lease.c). 7303 is the schema's. */
#define TP_GC_LOCK 7304

typedef struct tp_s3 tp_s3;

/* One open handle on a store, owned by the process that opened it. Every
 * vtable call takes `lock`: libpq and libcurl handles serve one thread at
 * a time, and the host may call from several. */
typedef struct tp_store {
  char *conninfo;   /* as given: may hold a password, never printed */
  char server[256]; /* "postgres host:port/db", for messages */
  bool existing;    /* opened for reading (AERO_OPEN_EXISTING): a database
                       without the schema is no store, and none is made */
  PGconn *db;
  pid_t pid;
  pthread_mutex_t lock;
  tp_s3 *s3;
  char *cache;        /* the local cache folder */
  uint64_t cache_max; /* bytes */
  char view_ns[17];   /* this database's views under cache/views/ */
  /* The lease of this handle's runs: "" until its first run_begin. */
  char lease[33];
  int lease_seconds;
  pthread_t heartbeat;
  bool heartbeat_running;
  bool heartbeat_stop;
  pthread_cond_t heartbeat_cond;
  int64_t run_seq;      /* numbers this handle's run_begin calls */
  bool last_retryable;  /* the last failure may pass on a new try */
  double retry_seconds; /* $AEROMANCY_PG_RETRY_SECONDS, read at open */
  char notice[256];     /* what the server said outside a result during the
                           current statement (first line), for its error */
} tp_store;

/* ---- db.c: connection, retries, schema ---- */

aero_status tp_db_open(tp_store *store, aero_error *err);
/* "postgres host:port/db" of `conninfo` whole, never its password (malloc'd;
 * NULL when out of memory). store->server is this, cut for messages. */
char *tp_server_text(const char *conninfo);
/* PQconnectdb with the server's notices kept off stderr: in
 * keeper->notice (borrowed for the connection's life), or dropped when
 * `keeper` is NULL. Caller owns the result (PQfinish), as with
 * PQconnectdb. */
PGconn *tp_connect(const char *conninfo, tp_store *keeper);
void tp_db_close(tp_store *store);

/* A statement's parameters as text (NULL: SQL NULL). */
/* The most parameters a statement takes here; a parameter past it is
 * dropped (the statement then fails on the missing $N). The run insert
 * (runs.c) uses all 32. */
#define TP_MAX_PARAMS 36
typedef struct tp_params {
  const char *values[TP_MAX_PARAMS];
  int count;
  char buf[TP_MAX_PARAMS][32]; /* storage for numbers */
} tp_params;
void tp_param_text(tp_params *p, const char *text);
void tp_param_int(tp_params *p, int64_t value);

/* Runs `sql` with `p` (may be NULL). On success writes the result to *out
 * (PQclear it) when `out` is not NULL. Fails naming `what` and the
 * server, and notes in store->last_retryable whether a retry may pass. */
aero_status tp_exec(tp_store *store, const char *sql, const tp_params *p,
                    PGresult **out, const char *what, aero_error *err);

/* Runs `sql` once with each of `sets` (count `n`), each answering one row
 * whose first column is written to ids[i]: pipelined, so that n
 * statements wait for one round trip per 128, not one each. Fails as
 * tp_exec does, on the first that fails (in a transaction, which then
 * rolls back). */
aero_status tp_exec_ids(tp_store *store, const char *sql,
                        tp_params *const *sets, size_t n, int64_t *ids,
                        const char *what, aero_error *err);

/* A transaction body: runs statements with tp_exec. */
typedef aero_status (*tp_txn_fn)(tp_store *store, void *ctx, aero_error *err);
/* BEGIN, body, COMMIT, retried with backoff when the connection was lost
 * or the transaction lost a serialization race (up to
 * $AEROMANCY_PG_RETRY_SECONDS, default 30). A body must be safe to run
 * again after a rollback. */
aero_status tp_txn(tp_store *store, tp_txn_fn fn, void *ctx, const char *what,
                   aero_error *err);

/* The same retries for a body of one statement, without BEGIN/COMMIT
 * (a single statement is atomic by itself). */
aero_status tp_once(tp_store *store, tp_txn_fn fn, void *ctx, const char *what,
                    aero_error *err);

/* Appends `text` to a PostgreSQL array literal being built in *buf (a
 * malloc'd string, grown); NULL adds a NULL element. Returns false when
 * out of memory. */
bool tp_array_add(char **buf, size_t *len, size_t *cap, const char *text);
/* Closes the literal ("{...}"). */
bool tp_array_end(char **buf, size_t *len, size_t *cap);

/* PostgreSQL text is UTF-8 only: a copy of `text` with every byte that is
 * not part of valid UTF-8 written as \xNN (malloc'd), or NULL when `text`
 * is valid as it is. */
char *tp_utf8_escaped(const char *text);

/* Wall clock in nanoseconds since the Unix epoch. */
int64_t tp_now_ns(void);

/* ---- lease.c: runs of a dead host ---- */

/* Before this handle's first run: takes a lease, renewed by a heartbeat
 * thread, and records as killed the running runs whose lease expired. */
aero_status tp_lease_claim(tp_store *store, aero_error *err);
/* One statement (a tp_txn_fn, inside a transaction or not; `unused` is
 * its context): drops the expired leases, records their running runs
 * killed and drops those runs' pending versions. */
aero_status tp_lease_reap(tp_store *store, void *unused, aero_error *err);
/* The vtable's settle_dead (ABI 1.7): tp_lease_reap for a reader, which
 * gives up after 0.2 s for a row another transaction holds. */
aero_status tp_settle_dead(void *handle, aero_error *err);
/* Stops the heartbeat and drops the lease. */
void tp_lease_release(tp_store *store);

/* ---- runs.c ---- */

/* A growing PostgreSQL array literal. */
typedef struct pg_array {
  char *buf;
  size_t len, cap;
  bool failed;
} pg_array;

/* A run record made into the parameters of the statement that records it
 * with its config, tags and environment (tp_run_insert_exec). */
typedef struct tp_run_insert {
  tp_params params;
  char *outputs;
  char (*numbers)[32];
  char env_numbers[PC_ENV_COLUMN_COUNT][32];
  pg_array arrays[7]; /* config keys, types, values; tags; environment
                         keys, values; input version ids (ABI 1.5) */
  int64_t id;         /* the run's id, once recorded */
} tp_run_insert;
/* `lease` and `client_key` (may be NULL) are borrowed until the insert is
 * freed. Frees what it made on failure. */
aero_status tp_run_prepare(tp_run_insert *ins, const aero_run_record *rec,
                           const char *lease, const char *client_key,
                           aero_error *err);
/* Makes the prepared insert record a run with status `reused` pointing at
 * `reused_run` (ended when it started) instead of a RUNNING one. */
void tp_run_as_reused(tp_run_insert *ins, int64_t reused_run);
/* Records the run as RUNNING (one statement); writes ins->id. */
aero_status tp_run_insert_exec(tp_store *store, tp_run_insert *ins,
                               aero_error *err);
/* tp_run_insert_exec for each of `ins` (count `n`), pipelined
 * (tp_exec_ids). */
aero_status tp_run_insert_many(tp_store *store, tp_run_insert *const *ins,
                               size_t n, aero_error *err);
void tp_run_prepared_free(tp_run_insert *ins);

aero_status tp_run_begin(void *handle, const aero_run_record *record,
                         int64_t *run_id, aero_error *err);
aero_status tp_run_end(void *handle, int64_t run_id,
                       const aero_run_outcome *outcome, aero_error *err);
aero_status tp_log_metrics(void *handle, int64_t run_id,
                           const aero_metric *metrics, size_t count,
                           int64_t step, aero_error *err);
aero_status tp_log_metric_rows(void *handle, int64_t run_id,
                               const aero_metric_row *rows, size_t count,
                               aero_error *err);
aero_status tp_log_text(void *handle, int64_t run_id, aero_log_level level,
                        const char *message, aero_error *err);
/* The text form of a value as recorded (bool "1"/"0", as tracker-local
 * stores it; numbers in decimal, doubles in their shortest exact form) and its
 * type name in *type (NULL for an unknown tag). `buf` holds numbers. */
const char *tp_value_text(const aero_value *v, char *buf, size_t size,
                          const char **type);
/* The mode of a running run, inside a transaction (locks the row). */
aero_status tp_run_mode(tp_store *store, int64_t run_id, bool *dev,
                        aero_error *err);

/* ---- versions.c ---- */
aero_status tp_resolve(void *handle, const aero_artifact_ref *ref, bool dev,
                       aero_artifact_version *out, aero_error *err);
aero_status tp_record_input(void *handle, int64_t run_id, int64_t version_id,
                            aero_error *err);
/* Publishes or discards a run's pending versions (inside run_end's
 * transaction). */
aero_status tp_versions_settle(tp_store *store, int64_t run_id, bool publish,
                               aero_error *err);

/* ---- output.c ---- */
aero_status tp_put_output(void *handle, int64_t run_id,
                          const aero_artifact_ref *ref,
                          const aero_output_desc *desc, aero_error *err);

/* ---- cache.c ---- */
aero_status tp_materialize(void *handle, int64_t version_id,
                           aero_backend_file_fn each, void *ctx,
                           char *directory, size_t directory_size,
                           aero_error *err);
/* The longest cache folder path accepted, leaving room under PATH_MAX
 * for the blobs', views' and temporary names inside it. */
#define TP_CACHE_MAX 1024

/* Chooses the cache folder and its bound ($AEROMANCY_CACHE,
 * $AEROMANCY_CACHE_MAX_MB). */
aero_status tp_cache_init(tp_store *store, aero_error *err);

/* ---- query.c: the query members (ABI 1.2) ---- */
aero_status tp_query_runs(void *handle, const aero_run_filter *filter,
                          aero_status (*each)(void *, const aero_run_info *,
                                              aero_error *),
                          void *ctx, aero_error *err);
aero_status tp_query_run(void *handle, int64_t run_id,
                         const aero_run_sink *sink, void *ctx, aero_error *err);
aero_status tp_query_metrics(void *handle, const aero_metric_query *query,
                             aero_metric_rows_fn each, void *ctx,
                             aero_error *err);
aero_status tp_query_versions(void *handle, const aero_version_filter *filter,
                              aero_status (*each)(void *,
                                                  const aero_version_info *,
                                                  aero_error *),
                              void *ctx, aero_error *err);
aero_status tp_query_files(void *handle, int64_t version_id,
                           aero_status (*each)(void *, const aero_file_info *,
                                               aero_error *),
                           void *ctx, aero_error *err);
aero_status tp_query_metadata(void *handle, int64_t version_id,
                              aero_status (*each)(void *, const aero_kv *,
                                                  aero_error *),
                              void *ctx, aero_error *err);

/* ---- reuse.c: the reuse members (ABI 1.3) ---- */
aero_status tp_reuse_key(void *handle, int64_t run_id, const char *key,
                         const char *job, const char *parts, aero_error *err);
aero_status tp_reuse_find(void *handle, const aero_reuse_query *query,
                          aero_reuse_match *match, aero_error *err);
aero_status tp_reuse_record(void *handle, const aero_run_record *record,
                            int64_t reused_run_id, const int64_t *input_ids,
                            size_t input_count, int64_t *run_id,
                            aero_error *err);
/* ABI 1.4: many reused runs in one transaction. */
aero_status tp_reuse_record_batch(void *handle, aero_reuse_item *items,
                                  size_t count, aero_error *err);
/* A reuse candidate `r` (a row of runs) as both lookups read it: the
 * outputs it declared, the published versions it holds (fewer: not
 * whole) and its blobs, "sha size,sha size". */
#define TP_CANDIDATE_COLUMNS                                                   \
  "r.id, r.ended_at, cardinality(string_to_array(r.outputs, E'\\n')) - "       \
  "(CASE WHEN r.outputs = '' THEN 1 ELSE 0 END), (SELECT count(*) FROM "       \
  "run_own_outputs o JOIN versions v ON v.id = o.version_id WHERE "            \
  "o.run_id = r.id AND v.published = 1), (SELECT string_agg(f.sha256 || ' ' "  \
  "|| f.size, ',') FROM run_own_outputs o JOIN version_files f ON "            \
  "f.version_id = o.version_id WHERE o.run_id = r.id)"

/* ---- reuse_batch.c: ABI 1.6, many lookups in three round trips ---- */
aero_status tp_reuse_find_batch(void *handle, const aero_reuse_query *queries,
                                size_t count, aero_reuse_match *matches,
                                aero_error *err);

/* ---- s3.c: the blob bucket ---- */

/* Reads the bucket from $AEROMANCY_BLOBS (s3://bucket[/prefix]) and the
 * credentials, region and endpoint from the AWS_* variables. */
aero_status tp_s3_open(tp_s3 **out, aero_error *err);
void tp_s3_close(tp_s3 *s3);
/* "s3://bucket/prefix at endpoint", for messages. */
const char *tp_s3_name(const tp_s3 *s3);
/* tp_s3_name's text whole, however long the endpoint and bucket (malloc'd;
 * NULL when out of memory): tp_s3_name's is cut for messages. */
char *tp_s3_text(const tp_s3 *s3);
/* Whether blob `hex` is in the bucket with `size` bytes. */
aero_status tp_s3_has_blob(tp_s3 *s3, const char *hex, uint64_t size,
                           bool *present, aero_error *err);
/* tp_s3_has_blob for each of `count` blobs (hexes[i], sizes[i]) into
 * present[i], their HEADs overlapping: a streak of reuse lookups waits for
 * one round trip, not one per blob. */
aero_status tp_s3_has_blobs(tp_s3 *s3, const char *const *hexes,
                            const uint64_t *sizes, size_t count, bool *present,
                            aero_error *err);
/* Uploads `size` bytes of `fd` as blob `hex` (in parts when large,
 * streamed), then checks the bucket holds it. `label` names it in the
 * progress line. */
aero_status tp_s3_put_blob(tp_s3 *s3, const char *hex, int fd, uint64_t size,
                           const char *label, aero_error *err);
/* Downloads blob `hex` into `fd` (truncated first) and checks its
 * SHA-256. AERO_E_NOT_FOUND when the bucket lacks it. */
aero_status tp_s3_get_blob(tp_s3 *s3, const char *hex, int fd, aero_error *err);

/* Re-hashes blob `hex` as the bucket holds it, streamed (nothing kept):
 * *found false when there is no such object, else its SHA-256 and size. */
aero_status tp_s3_hash_blob(tp_s3 *s3, const char *hex, bool *found,
                            char digest_hex[65], uint64_t *bytes,
                            aero_error *err);
/* Deletes blob `hex` (no error when already gone). */
aero_status tp_s3_delete_blob(tp_s3 *s3, const char *hex, aero_error *err);
/* Calls `each` (s3_xml.h) for every blob object in the bucket, in key
 * order. */
aero_status tp_s3_list_blobs(tp_s3 *s3, tp_s3_blob_fn each, void *ctx,
                             aero_error *err);

/* ---- blob_refs.c: the blobs the versions refer to (fsck and gc) ---- */

typedef struct tp_blob_ref {
  char hex[65];       /* first: tp_cmp_hex compares it */
  int64_t size;       /* recorded size */
  int64_t version_id; /* one version holding it */
  int64_t files;      /* version files holding it */
  bool seen;          /* check.c: found whole in the bucket */
} tp_blob_ref;

typedef struct tp_blob_refs {
  tp_blob_ref *v;
  size_t n;
} tp_blob_refs;

/* Reads every blob version_files refers to (published or pending) into
 * *refs, replacing what it held, sorted in byte order whatever the
 * database's collation. One statement, for a tp_once or tp_txn body. */
aero_status tp_blob_refs_load(tp_store *store, tp_blob_refs *refs,
                              aero_error *err);
/* The entry for `hex`, or NULL. */
tp_blob_ref *tp_blob_refs_find(const tp_blob_refs *refs, const char *hex);
void tp_blob_refs_free(tp_blob_refs *refs);
/* qsort/bsearch order of structs that start with a NUL-terminated hex. */
int tp_cmp_hex(const void *a, const void *b);

/* ---- check.c ---- */
aero_status tp_check(void *handle, const aero_check_params *params,
                     aero_status (*each)(void *, const aero_problem *,
                                         aero_error *),
                     void *ctx, aero_check_report *report, aero_error *err);

/* ---- collect.c ---- */
aero_status tp_collect(void *handle, const aero_collect_params *params,
                       aero_status (*each)(void *, const aero_garbage *,
                                           aero_error *),
                       void *ctx, aero_error *err);

/* ---- sigv4.c: AWS Signature Version 4 ---- */

typedef struct tp_sigv4 {
  const char *method;        /* "GET", "PUT"... */
  const char *path;          /* canonical URI: already URI-encoded */
  const char *query;         /* canonical query string ("" for none) */
  const char *const *names;  /* header names, lowercase, sorted */
  const char *const *values; /* their values, trimmed */
  size_t header_count;
  const char *payload_hash; /* hex SHA-256, or "UNSIGNED-PAYLOAD" */
  const char *amz_date;     /* "YYYYMMDDTHHMMSSZ" */
  const char *region;
  const char *service;
  const char *access_key;
  const char *secret_key;
} tp_sigv4;

/* The Authorization header value for `req`, however long its parts
 * (malloc'd; NULL when out of memory). */
char *tp_sigv4_authorization(const tp_sigv4 *req);
/* URI-encodes `in` as SigV4 wants (unreserved characters kept; '/' kept
 * when `keep_slash`). Returns a malloc'd string or NULL. */
char *tp_uri_encode(const char *in, bool keep_slash);

#endif /* TP_TP_H */
