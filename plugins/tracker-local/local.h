/* tracker-local's private declarations, shared by its translation units.
 *
 * Layout of a store folder (docs/store.md has the full schema):
 *   aeromancy.db          SQLite (WAL): runs, metrics, artifacts, versions
 *   blobs/aa/bbbb...      file contents by SHA-256, mode 0444 (the small
 *                         ones are rows of inline_blobs instead: inline.c)
 *   views/<version id>/   read-only materialized versions (hard links)
 *   tmp/                  half-built views and per-run scratch folders
 *
 * Everything here is hidden (the plugin is built with -fvisibility=hidden):
 * the only exported symbol is aero_plugin_entry.
 */
#ifndef TL_LOCAL_H
#define TL_LOCAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include <sqlite3.h>

#include <aeromancy/aeromancy.h>

#include "block.h"
#include "plugin_common.h"

/* The schema this build creates and understands (PRAGMA user_version). */
#define TL_SCHEMA_VERSION 10

/* The longest store folder path accepted, leaving room under PATH_MAX for
 * the names the store makes inside it. */
#define TL_ROOT_MAX 1024

/* Files at least this large report progress while hashed and copied. */
#define TL_PROGRESS_MIN PC_PROGRESS_MIN

/* Prepared statements kept per connection: parsing SQL is a good part of
 * what recording a run costs. */
#define TL_STMT_CACHE 64

/* One open handle on a store, owned by the process that opened it. */
typedef struct tl_store {
  char *root;    /* absolute store folder */
  char *db_path; /* root/aeromancy.db */
  sqlite3 *db;   /* this handle's own connection */
  pid_t pid;     /* the process that opened it */
  int owner_fd;  /* flock'd owners/<token> once this handle started a run */
  char owner_token[17]; /* hex; "" until then */
  size_t unended; /* runs this handle began and has not recorded ended: while
                     any is left, its owner file outlives the handle */
  struct {
    const char *sql; /* a string with static storage: the key */
    sqlite3_stmt *st;
  } stmts[TL_STMT_CACHE];
  size_t stmt_count;
  bool wal_backfilled; /* this connection's last commit left every WAL frame
                          copied into the database (db.c) */
  int wal_frames;      /* frames in the WAL after this connection's last
                          commit (db.c) */
  struct timespec busy_since; /* when the current wait for a lock began */
  int busy_gave_up_ms; /* how long the last wait that gave up took; -1: no
                          wait gave up since tl_db_fail last read it */
  bool busy_deadline_on;          /* every wait for a lock gives up at */
  struct timespec busy_deadline;  /* this time (a reader's settle_dead,
                                     owners.c: one bound for all its waits) */
  bool lingering; /* a read transaction kept open (tl_read_linger) */
  int blobs_fd;   /* root/blobs opened O_PATH for quick stats (blobs.c); -1:
                     not (yet) */
  struct {
    int64_t id;     /* the invocations row of the last run written; 0: none */
    bool committed; /* that row is committed (else it goes with a rollback) */
    bool seen;      /* that row is known to exist in the current write
                       transaction (gc may delete it between two) */
    char *facts[PC_ENV_COLUMN_COUNT]; /* its facts (copies; NULL: absent) */
  } invocation;                       /* invocations.c */
  int schema_fd;       /* schema.lock, flock'd while open (schema_lock.c); -1 */
  size_t inline_max;   /* the largest blob stored in the database (inline.c) */
  bool schema_checked; /* the schema was this version once opened */
  bool existing;       /* opened for reading (AERO_OPEN_EXISTING): a
                          database without a schema is no store, and none
                          is created in it */
  int64_t *begun; /* runs this handle began and has not ended (declared.c) */
  size_t begun_count, begun_cap;
  struct tl_declared **declared; /* small outputs waiting for their run's
                                    end, in declaration order (declared.c) */
  size_t declared_count, declared_cap;
} tl_store;

typedef struct tl_declared tl_declared;

/* ---- owners.c: runs whose aerohost died ---- */

/* Before this handle's first run: takes an owner lock (owners/<token>) and
 * records as killed the running runs of every owner that died. */
aero_status tl_owner_claim(tl_store *store, aero_error *err);
/* Drops this handle's owner lock. The owner file itself is removed only
 * when every run the handle began was recorded ended: otherwise it stays,
 * unlocked, so that the next host records those runs killed. */
void tl_owner_release(tl_store *store);
/* The vtable's settle_dead (ABI 1.7): takes over the owner files nobody
 * holds, as a host's first run does, for a reader. */
aero_status tl_settle_dead(void *handle, aero_error *err);

/* ---- invocations.c: an invocation's facts, once (schema 7) ---- */

/* Schema 6 to 7: `runs` becomes run_records without the 13 fact columns,
 * their values move to `invocations` (one row per streak of consecutive
 * runs with the same facts), and the view `runs` joins them back. Inside
 * the schema's transaction. */
aero_status tl_invocations_migrate(tl_store *store, aero_error *err);
/* The invocations row for the facts of `rec` (its environment keys with a
 * column): the handle's last one when the facts are the same, else a new
 * row. Inside the caller's write transaction. */
aero_status tl_invocation_of(tl_store *store, const aero_run_record *rec,
                             int64_t *id, aero_error *err);

/* ---- invocation_memo.c: the invocation a handle remembers ---- */

/* After a commit (`committed`) or a rollback: a row the handle wrote in a
 * transaction that was rolled back is forgotten. */
void tl_invocation_after(tl_store *store, bool committed);
/* Forgets the handle's invocation and frees its copies (close). */
void tl_invocation_forget(tl_store *store);

/* ---- schema_lock.c: the schema version in use, and its upgrade ---- */

/* Before upgrading from `version`: takes schema.lock exclusively, without
 * waiting; fails with one line naming both versions when another process
 * holds it (it uses the store at `version`). */
aero_status tl_schema_claim(tl_store *store, int version, aero_error *err);
/* Once the schema is this version: holds schema.lock shared until
 * tl_schema_release, waiting for an upgrade another process runs. */
void tl_schema_share(tl_store *store);
void tl_schema_release(tl_store *store);
/* Whether another process holds upgrade.lock: it upgrades the schema, and
 * a connection waiting for the write lock waits for it longer. */
bool tl_upgrade_running(const tl_store *store);
/* Takes upgrade.lock for the upgrade about to run; its descriptor, or -1
 * when another process holds it. */
int tl_upgrade_lock(const tl_store *store);

/* ---- schema.c: the schema, created or upgraded ---- */

/* Opens the database of `store` (root and db_path set; tl_db_open) and
 * creates its schema, or brings an older one to this version
 * (tl_schema_ensure); closed again on failure. */
aero_status tl_store_connect(tl_store *store, aero_error *err);
/* Creates the schema of a new database, or brings an older one to this
 * version; a reader's empty database is tl_no_record. */
aero_status tl_schema_ensure(tl_store *store, aero_error *err);
/* A reader's error for a store whose aeromancy.db has no schema (empty):
 * AERO_E_NOT_FOUND naming the folder `root`. */
aero_status tl_no_record(const char *root, aero_error *err);

/* ---- db.c: connection, transactions, statement helpers ---- */

/* Opens the connection to the database of `store` (root and db_path set),
 * creating the file if needed, in WAL mode with the settings above; the
 * schema is tl_schema_ensure's. Writes store->db; tl_db_close undoes it. */
aero_status tl_db_open(tl_store *store, aero_error *err);
void tl_db_close(tl_store *store);

/* Fills `err` from the connection's last error, with `what` saying what was
 * being done; maps SQLITE_FULL to AERO_E_NOSPACE, a corrupt file to the
 * one-line "not a database" message, and the rest to AERO_E_STORE. */
aero_status tl_db_fail(tl_store *store, int rc, const char *what,
                       aero_error *err);

/* The prepared statement for `sql`, which must have static storage (it is
 * the cache key): prepared once per connection, then reused. Hand it back
 * with tl_finish. Fills `err` on failure. */
aero_status tl_prepare(tl_store *store, const char *sql, sqlite3_stmt **out,
                       aero_error *err);
/* Resets a statement from tl_prepare for its next use (NULL is fine). */
void tl_finish(tl_store *store, sqlite3_stmt *st);

/* BEGIN IMMEDIATE (takes the write lock now, waiting up to busy_timeout),
 * COMMIT, and ROLLBACK (which never fails from the caller's view). */
aero_status tl_begin(tl_store *store, aero_error *err);
aero_status tl_commit(tl_store *store, aero_error *err);
void tl_rollback(tl_store *store);
/* A read transaction, so that a query sees one snapshot while hosts
 * write; tl_read_end ends it (never fails from the caller's view). */
aero_status tl_read_begin(tl_store *store, aero_error *err);
void tl_read_end(tl_store *store);
/* Ends the read transaction of tl_read_begin, or with `keep` keeps it open
 * (tl_read_begin and tl_read_end then do nothing): the lookups of a streak
 * of reused actions share one snapshot instead of taking and dropping the
 * WAL read lock each (7% of an unchanged re-run). A kept one ends before
 * anything else: the next write (tl_begin, tl_exec, a statement from
 * tl_prepare that writes), a rollback, tl_read_linger(false), the close. */
void tl_read_linger(tl_store *store, bool keep);

/* Runs `sql` (static storage, as for tl_prepare; one parameter, `id`) and
 * hands each row to `row`, stopping at the first status that is not
 * AERO_OK and returning it; a failed step is `what` in the error. */
aero_status tl_each_row(tl_store *store, const char *sql, int64_t id,
                        aero_status (*row)(void *ctx, sqlite3_stmt *st,
                                           aero_error *err),
                        void *ctx, const char *what, aero_error *err);

/* Runs `sql` (static storage) with the int64 parameter `id`, or the two
 * `a` and `b`, returning no rows; a failed step is `what` in the error. */
aero_status tl_exec1(tl_store *store, const char *sql, int64_t id,
                     const char *what, aero_error *err);
aero_status tl_exec2(tl_store *store, const char *sql, int64_t a, int64_t b,
                     const char *what, aero_error *err);

/* Runs a statement that returns no rows and takes no parameters. */
aero_status tl_exec(tl_store *store, const char *sql, aero_error *err);

/* Binds an environment fact's value: a string as text, a number in its
 * SQLite form (facts are strings, but a host may pass numbers too). */
int tl_bind_env_value(sqlite3_stmt *st, int index, const aero_value *v);

/* Binds text, or NULL when `text` is NULL. */
int tl_bind_text(sqlite3_stmt *st, int index, const char *text);

/* Binds an aero_value as its natural SQLite type and returns the type's
 * name ("bool", "int", "double", "string") through *type_name, or NULL for
 * an unknown type tag. */
int tl_bind_value(sqlite3_stmt *st, int index, const aero_value *value,
                  const char **type_name);

/* Binds `kv` as the columns key, type, value from `first` (run_config,
 * version_metadata); false for an unknown value type, whose type column is
 * then bound NULL. */
bool tl_bind_kv(sqlite3_stmt *st, int first, const aero_kv *kv);
/* Resets `st` (whose parameters are version_id, key, type, value, as
 * version_metadata's columns) and binds one entry of version `version_id`;
 * false as tl_bind_kv. */
bool tl_bind_metadata(sqlite3_stmt *st, int64_t version_id, const aero_kv *kv);

/* tl_bind_kv's inverse: the columns key, type, value from `first` of
 * the current row (run_config, version_metadata) as an aero_kv whose
 * strings are the statement's, valid until it steps again. */
void tl_kv_from(sqlite3_stmt *st, int first, aero_kv *out);

/* Wall clock in nanoseconds since the Unix epoch. */
int64_t tl_now_ns(void);

/* ---- runs.c: the vtable's run members ---- */
aero_status tl_run_begin(void *handle, const aero_run_record *record,
                         int64_t *run_id, aero_error *err);
aero_status tl_run_end(void *handle, int64_t run_id,
                       const aero_run_outcome *outcome, aero_error *err);
/* Copies a caller's run record into `rec` (members the caller predates read
 * as zero) and checks it. */
aero_status tl_run_record_read(const aero_run_record *record,
                               aero_run_record *rec, aero_error *err);
/* Inserts the config, tags and environment facts without a column of run
 * `run_id`'s record `rec` (checked), inside the caller's transaction. */
aero_status tl_run_pairs(tl_store *store, int64_t run_id,
                         const aero_run_record *rec, aero_error *err);
/* Whether `rec` has an environment key kept in run_env (not a column of
 * invocations): one that tl_run_pairs writes. */
bool tl_run_has_env_rows(const aero_run_record *rec);
aero_status tl_log_metrics(void *handle, int64_t run_id,
                           const aero_metric *metrics, size_t count,
                           int64_t step, aero_error *err);
aero_status tl_log_metric_rows(void *handle, int64_t run_id,
                               const aero_metric_row *rows, size_t count,
                               aero_error *err);
aero_status tl_log_text(void *handle, int64_t run_id, aero_log_level level,
                        const char *message, aero_error *err);

/* The aero_run_state of a status column word (pc_state_name's inverse),
 * and the aero_log_level of a level word; 0 for an unknown word. */
uint32_t tl_state_from_name(const char *name);
uint32_t tl_level_from_name(const char *name);


/* ---- run_settle.c: how a run ends ---- */

/* When run `run_id`, whose host vanished, was last seen alive: the latest
 * of its start, its last log line and its last metric point (ns). A run
 * recorded killed long after its host died (by the next reader, maybe a
 * week later) ends then, not when it was noticed. 0 when unreadable. */

/* Records how run `run_id` ended and settles its outputs, in one
 * transaction: tl_run_end's work, without counting it against this
 * handle's unended runs (a dead owner's run, owners.c). */
int64_t tl_run_last_sign(tl_store *store, int64_t run_id);
aero_status tl_run_settle(tl_store *store, int64_t run_id,
                          const aero_run_outcome *outcome, aero_error *err);
/* Reads the mode of run `run_id` and checks that it is still running.
 * Call inside a transaction. */
aero_status tl_run_mode(tl_store *store, int64_t run_id, bool *dev,
                        aero_error *err);

/* ---- metric_summary.c: each run's metric summaries, kept as recorded */

/* Schema 2 to 3: creates metric_summaries and fills it from the points
 * already recorded. Call inside the schema's transaction. */
aero_status tl_summary_migrate(tl_store *store, aero_error *err);
/* Points of one key of a batch, summarised: logged after every point of
 * that key already recorded, `last` the one that sorts last (highest step,
 * latest logged among equal steps, no step before any step). */
typedef struct tl_summary_part {
  const char *key; /* borrowed */
  int64_t count;
  double min, max, last;
  int64_t last_step; /* AERO_NO_STEP when the last point has none */
} tl_summary_part;
/* Merges `p` into the summary of its key of run `run_id`. Call inside the
 * transaction that records the points. */
aero_status tl_summary_add(tl_store *store, int64_t run_id,
                           const tl_summary_part *p, aero_error *err);
/* Hands the summary of each metric key of run `run_id` to `each`, sorted
 * by key; the summary is valid during the call. Stops at the first status
 * that is not AERO_OK and returns it. */
typedef aero_status (*tl_summary_fn)(void *ctx, const aero_metric_summary *m,
                                     aero_error *err);
aero_status tl_summary_each(tl_store *store, int64_t run_id, tl_summary_fn each,
                            void *ctx, aero_error *err);

/* ---- metric_blocks.c: points stored in blocks (schema 5) ---- */

/* Records a batch of checked points of run `run_id`: one block per key,
 * and their summaries. Call inside a transaction. */
aero_status tl_blocks_record(tl_store *store, int64_t run_id,
                             const aero_metric_row *rows, size_t count,
                             aero_error *err);
/* Schema 3 to 4 (metric_blocks.c, where the old metrics table ends):
 * replaces metrics_by_run with metrics_points, the index that also holds
 * each point's value and time; step 4 to 5 reads the points in its order.
 * Call inside the schema's transaction. */
aero_status tl_points_migrate(tl_store *store, aero_error *err);
/* Schema 4 to 5: creates metric_blocks, moves every point of the metrics
 * table into blocks and drops the table. Call inside the schema's
 * transaction. */
aero_status tl_blocks_migrate(tl_store *store, aero_error *err);

/* Points `out` at the arrays of the block in columns first (count),
 * first + 1 (steps), + 2 (vals), + 3 (times) of st's row (block.c's
 * tl_block_decode); false when their sizes do not match the count. Valid
 * until the statement moves. */
bool tl_block_view(sqlite3_stmt *st, int first, tl_block *out);

/* ---- versions.c: resolution, inputs ---- */
aero_status tl_resolve(void *handle, const aero_artifact_ref *ref, bool dev,
                       aero_artifact_version *out, aero_error *err);
aero_status tl_record_input(void *handle, int64_t run_id, int64_t version_id,
                            aero_error *err);

/* The latest published version of an artifact that a run of mode `dev`
 * sees: *found false when there is none. */
aero_status tl_version_latest(tl_store *store, int64_t artifact_id, bool dev,
                              aero_artifact_version *out, bool *found,
                              aero_error *err);
/* The number the next version of the artifact gets. Call under the write
 * lock. */
aero_status tl_version_next(tl_store *store, int64_t artifact_id, int64_t *next,
                            aero_error *err);

/* ---- settle.c: a run's outputs at its end ---- */

/* An output of a run being settled: a pending version, or the version an
 * output link names, with its artifact, content and the run's mode. */
typedef struct tl_settling {
  int64_t version_id;
  int64_t artifact_id;
  char digest[65];
  bool dev;
} tl_settling;

/* Publishes (or, when `publish` is false, discards) the pending versions
 * and output links of run `run_id`. Call inside the run_end transaction. */
aero_status tl_versions_settle(tl_store *store, int64_t run_id, bool publish,
                               aero_error *err);

/* ---- links.c: a declared output whose content is the latest version
 * (schema version 5) ---- */

/* Schema 5 to 6: creates output_links. Inside the schema's transaction. */
aero_status tl_links_migrate(tl_store *store, aero_error *err);
/* Inside put_output's transaction, after an earlier pending version of the
 * same artifact by this run was dropped: when the latest version the run's
 * mode sees has `digest` and the type and metadata of `desc`, records a
 * link to it (replacing an earlier one) and sets *linked; otherwise drops
 * an earlier link, leaving *linked false for a pending version to be
 * recorded. */
aero_status tl_link_record(tl_store *store, int64_t run_id, int64_t artifact_id,
                           bool dev, const aero_output_desc *desc,
                           const char *digest, bool *linked, aero_error *err);
/* Publishes the content of linked version `l` as a new version made by
 * run `run_id` (its files, type and metadata, which the link's declaration
 * had: tl_link_record compared them); *new_id is its id. */
aero_status tl_link_copy(tl_store *store, int64_t run_id, const tl_settling *l,
                         int64_t *new_id, aero_error *err);

/* ---- output.c ---- */
aero_status tl_put_output(void *handle, int64_t run_id,
                          const aero_artifact_ref *ref,
                          const aero_output_desc *desc, aero_error *err);

/* ---- versions.c: inserting artifacts and versions ---- */

/* The artifact's id, its row inserted when it has none. Inside a write
 * transaction. */
aero_status tl_artifact_id(tl_store *store, const aero_artifact_ref *ref,
                           int64_t *id, aero_error *err);
/* Inserts a version of the artifact made by run `run_id`, with its files
 * and the metadata of `desc`: pending when `number` is -1, else published
 * as that number. *version_id is its id. Inside a write transaction. */
aero_status tl_version_insert(tl_store *store, int64_t artifact_id,
                              int64_t run_id, bool dev,
                              const aero_output_desc *desc,
                              const pc_file_list *list, const char *digest,
                              int64_t number, int64_t *version_id,
                              aero_error *err);

/* ---- declared.c: small outputs recorded with their run's end ---- */

/* Whether run `run_id` was begun by this handle and has not ended. */
bool tl_declared_mine(const tl_store *store, int64_t run_id);
/* After run_begin's commit: the run is this handle's. */
aero_status tl_declared_begun(tl_store *store, int64_t run_id, aero_error *err);
/* After run_end's commit: the run is no longer this handle's, and its kept
 * declarations are forgotten. */
void tl_declared_ended(tl_store *store, int64_t run_id);
/* Keeps a stored declaration (its blob files in place, its small blobs'
 * bytes in `contents`) for tl_declared_publish, when run `run_id` is this
 * handle's, the declaration small, and no other handle declared outputs
 * of the run: then *kept is set and `list` (emptied) and `contents` change
 * hands. Otherwise the caller records it at once. */
aero_status tl_declared_keep(tl_store *store, int64_t run_id,
                             const aero_artifact_ref *ref,
                             const aero_output_desc *desc, pc_file_list *list,
                             void **contents, const char *digest, bool *kept,
                             aero_error *err);
/* Forgets the kept declarations of run `run_id`, only those of artifact
 * `ref` unless it is NULL. */
void tl_declared_drop(tl_store *store, int64_t run_id,
                      const aero_artifact_ref *ref);
/* Records the kept declarations of run `run_id` (mode `dev`) as its
 * outputs, published, except one of an artifact that another handle
 * declared for the run since. Inside the run_end transaction, before
 * tl_versions_settle. */
aero_status tl_declared_publish(tl_store *store, int64_t run_id, bool dev,
                                aero_error *err);
/* Frees every kept declaration and the handle's run list (close). */
void tl_declared_forget(tl_store *store);

/* ---- views.c ---- */
aero_status tl_materialize(void *handle, int64_t version_id,
                           aero_backend_file_fn each, void *ctx,
                           char *directory, size_t directory_size,
                           aero_error *err);

/* ---- query_runs.c, query_run.c, query_metrics.c, query_versions.c: the
 * vtable's query members (ABI 1.2) ---- */
aero_status tl_query_runs(void *handle, const aero_run_filter *filter,
                          aero_status (*each)(void *, const aero_run_info *,
                                              aero_error *),
                          void *ctx, aero_error *err);
aero_status tl_query_run(void *handle, int64_t run_id,
                         const aero_run_sink *sink, void *ctx, aero_error *err);
aero_status tl_query_metrics(void *handle, const aero_metric_query *query,
                             aero_metric_rows_fn each, void *ctx,
                             aero_error *err);
aero_status tl_query_versions(void *handle, const aero_version_filter *filter,
                              aero_status (*each)(void *,
                                                  const aero_version_info *,
                                                  aero_error *),
                              void *ctx, aero_error *err);
aero_status tl_query_files(void *handle, int64_t version_id,
                           aero_status (*each)(void *, const aero_file_info *,
                                               aero_error *),
                           void *ctx, aero_error *err);
aero_status tl_query_metadata(void *handle, int64_t version_id,
                              aero_status (*each)(void *, const aero_kv *,
                                                  aero_error *),
                              void *ctx, aero_error *err);

/* ---- blob_walk.c ---- */

/* Called for every file of the blob folders: `hex` is its digest when it
 * is named like a blob, else NULL (a temp file); `path` its path, `name`
 * its file name. All borrowed for the call. A status other than AERO_OK
 * stops the walk and is returned. */
typedef aero_status (*tl_blob_walk_fn)(void *ctx, const char *hex,
                                       const char *path, const char *name);
aero_status tl_blob_walk(tl_store *store, tl_blob_walk_fn fn, void *ctx);

/* ---- check.c, collect.c: the maintenance members (aeromancy fsck, gc) */
aero_status tl_check(void *handle, const aero_check_params *params,
                     aero_status (*each)(void *, const aero_problem *,
                                         aero_error *),
                     void *ctx, aero_check_report *report, aero_error *err);
/* fsck's check of every metric block and summary (check_metrics.c): each
 * problem counted in `counts` and handed to the sink. */
aero_status tl_check_metrics(tl_store *store, const pc_problem_sink *sink,
                             aero_check_report *counts);
aero_status tl_collect(void *handle, const aero_collect_params *params,
                       aero_status (*each)(void *, const aero_garbage *,
                                           aero_error *),
                       void *ctx, aero_error *err);

/* Fills a run row from the columns of TL_RUN_COLUMNS (from TL_RUN_TABLES)
 * at `first`; the strings are the statement's, valid until it steps
 * again. */
#define TL_RUN_COLUMNS                                                         \
  "r.id, r.status, r.entity, r.project, r.job_type, r.job_group, r.outputs, "  \
  "r.mode, r.exit_code, r.signal, r.message, r.started_at, r.ended_at, "       \
  "i.git_commit, i.git_branch, r.reused_run"
#define TL_RUN_TABLES                                                          \
  "run_records r LEFT JOIN invocations i ON i.id = r.invocation_id"
void tl_run_info_from(sqlite3_stmt *st, int first, aero_run_info *out);

/* Fills a version row from the columns of TL_VERSION_COLUMNS (a join of
 * versions v and artifacts a). */
#define TL_VERSION_COLUMNS                                                     \
  "v.id, a.entity, a.project, a.name, v.version, v.mode, v.digest, v.type, "   \
  "v.run_id, v.created_at, "                                                   \
  "(SELECT count(*) FROM version_files f WHERE f.version_id = v.id), "         \
  "(SELECT coalesce(sum(size), 0) FROM version_files f "                       \
  "WHERE f.version_id = v.id)"
void tl_version_info_from(sqlite3_stmt *st, int first, aero_version_info *out);

/* ---- schema_edit.c: a table's text edited in sqlite_schema ---- */

/* Runs `update` (statements on sqlite_schema) with writable_schema on, then
 * bumps the schema cookie so that every connection reads the schema again.
 * Only for a change no stored row can break. Inside the caller's
 * transaction. */
aero_status tl_schema_edit(tl_store *store, const char *update,
                           aero_error *err);

/* ---- checks.c: schema 9 -> 10 ---- */

/* The CHECK constraints that list allowed values (`x IN (...)`) rewritten
 * as comparisons allowing the same. Inside the caller's transaction. */
aero_status tl_checks_migrate(tl_store *store, aero_error *err);

/* ---- reuse.c: the vtable's reuse members (schema version 2) ---- */

/* Schema 1 -> 2: runs may be `reused` (runs.reused_run points at the run
 * reused), and run_keys holds each run's reuse key. Inside the caller's
 * transaction. */
aero_status tl_reuse_migrate(tl_store *store, aero_error *err);
aero_status tl_reuse_key(void *handle, int64_t run_id, const char *key,
                         const char *job, const char *parts, aero_error *err);

/* ---- reuse_find.c: finding the run to reuse ---- */
aero_status tl_reuse_find(void *handle, const aero_reuse_query *query,
                          aero_reuse_match *match, aero_error *err);
aero_status tl_reuse_find_batch(void *handle, const aero_reuse_query *queries,
                                size_t count, aero_reuse_match *matches,
                                aero_error *err);

/* Every run's output versions, as the table run_outputs held them until
 * schema 8: the pairs each run recorded itself (run_own_outputs), and
 * for a reused run those of the run it reuses (a reused run reuses an
 * `ok` run, never another reused one). A query by run_id reads two
 * primary keys; one by version_id reads the runs reusing a run by a scan
 * of run_records (no index on reused_run: it would be the churn the
 * view avoids), which gc does not ask (collect.c). */
#define TL_RUN_OUTPUTS_VIEW                                                    \
  "CREATE VIEW run_outputs (run_id, version_id) AS"                            \
  " SELECT run_id, version_id FROM run_own_outputs UNION ALL"                  \
  " SELECT r.id, o.version_id FROM run_records r JOIN run_own_outputs o"       \
  " ON o.run_id = r.reused_run;"
/* Schema 8 to 9: a reused run's outputs are those of the run it reuses,
 * no longer copied rows: the table run_outputs becomes run_own_outputs
 * (the outputs each run recorded itself), the copies of reused runs are
 * deleted from it, and the view run_outputs gives every run's outputs as
 * the table did. Inside the schema's transaction. */
aero_status tl_reuse_outputs_migrate(tl_store *store, aero_error *err);
aero_status tl_reuse_record(void *handle, const aero_run_record *record,
                            int64_t reused_run_id, const int64_t *input_ids,
                            size_t input_count, int64_t *run_id,
                            aero_error *err);
aero_status tl_reuse_record_batch(void *handle, aero_reuse_item *items,
                                  size_t count, aero_error *err);

/* ---- blobs.c: the content-addressed store ---- */

/* Writes root/blobs/aa/bbbb... for hex digest `hex` into `buf`. */
void tl_blob_path(const tl_store *store, const char *hex, char *buf,
                  size_t size);

/* A blob's modification time once installed (blobs.c): a blob written in
 * place afterwards has another. */
#define TL_BLOB_SEAL 0

/* What tl_blob_check found. */
typedef enum tl_blob_state {
  TL_BLOB_INTACT,  /* right size; sealed, or its content hashes to its name */
  TL_BLOB_MISSING, /* no such file */
  TL_BLOB_DAMAGED, /* wrong size, or content that no longer hashes to its name
                    */
} tl_blob_state;

/* Checks blob `hex`, recorded as `size` bytes, wherever it is: a row of
 * the database is hashed (inline.c); a file is checked by size and seal
 * only (one stat), unless the seal is broken or `full` (fsck) asks for its
 * content to be hashed. An intact file with a broken seal is sealed again.
 * Returns AERO_OK once it could tell, with *state set and, unless INTACT,
 * `err` describing the blob in one line; else the read error. Uses the
 * store's connection: one thread at a time. */
aero_status tl_blob_check(tl_store *store, const char *hex, uint64_t size,
                          bool full, tl_blob_state *state, aero_error *err);
/* tl_blob_check (not `full`) of blob `hex` whose row of inline_blobs the
 * caller read already: `found` with its `row_size` bytes at `row`, or not
 * found (a query joined to inline_blobs saves a statement per blob). */
aero_status tl_blob_check_read(tl_store *store, const char *hex, uint64_t size,
                               bool found, const void *row, size_t row_size,
                               tl_blob_state *state, aero_error *err);
/* tl_blob_check of the file blobs/aa/bbbb... alone (MISSING when there is
 * only a row): touches no database, so threads may call it at once. */
aero_status tl_blob_file_check(tl_store *store, const char *hex, uint64_t size,
                               bool full, tl_blob_state *state,
                               aero_error *err);

/* True when the file `st` describes carries the seal (TL_BLOB_SEAL). */
bool tl_blob_sealed(const struct stat *st);
/* Seals the file open as `fd`. Returns 0 or an errno value. */
int tl_blob_seal(int fd);

/* Makes sure blob `hex` exists and is intact (tl_blob_check), copying
 * `size` bytes of `src_fd` into a temp file (fsync'd, mode 0444, sealed,
 * renamed into place) when it does not: a damaged blob is replaced. The
 * temp file is made in the scratch folder of run `run_id`, or, when it is
 * 0, beside the blob. *copied says whether anything was written. */
aero_status tl_blob_ensure(tl_store *store, const char *hex, int64_t run_id,
                           int src_fd, const char *src_path, uint64_t size,
                           const char *label, bool *copied, aero_error *err);

/* Copies `size` bytes from `src_fd` (offset 0) to `dst_fd` with
 * copy_file_range, falling back to read/write; reports progress under
 * `label` for large files. Returns 0 or an errno value; *failed_on_write
 * says which side failed. */
int tl_copy_fd(int src_fd, int dst_fd, uint64_t size, const char *label,
               bool *failed_on_write);

/* ---- inline.c: small blobs as rows of the database (schema 8) ---- */

/* A new blob of at most this many bytes is stored in the database, in the
 * transaction that records its version, rather than as a synced file
 * (docs/store.md; AEROMANCY_INLINE_MAX overrides it, up to TL_INLINE_CAP).
 * Readers look a blob up in the database when it is no larger than
 * TL_INLINE_CAP, whatever the limit of the process that stored it. */
#define TL_INLINE_MAX 4096
#define TL_INLINE_CAP 65536

/* Schema 7 to 8: creates inline_blobs. Inside the schema's transaction. */
aero_status tl_inline_migrate(tl_store *store, aero_error *err);
/* The largest blob this process stores in the database: TL_INLINE_MAX, or
 * $AEROMANCY_INLINE_MAX (0 stores every blob as a file); fails naming the
 * variable when it is not a number from 0 to TL_INLINE_CAP. */
aero_status tl_inline_limit(size_t *limit, aero_error *err);
/* Looks blob `hex`, recorded as `size` bytes, up in the database: *found
 * false when it is not there (nothing else is written then). When found,
 * its content is hashed: *state INTACT, or DAMAGED with `err` describing
 * it in one line; *stored (may be NULL) is its length. With `content` not
 * NULL an intact blob's bytes are copied into a malloc'd buffer the caller
 * frees. Returns AERO_OK once it could tell, else the read error. */
aero_status tl_inline_load(tl_store *store, const char *hex, uint64_t size,
                           void **content, bool *found, tl_blob_state *state,
                           uint64_t *stored, aero_error *err);
/* tl_inline_load's check of a row already read (`got` bytes at
 * `content`): *state INTACT, or DAMAGED with `err` saying why. */
void tl_inline_judge(tl_store *store, const char *hex, uint64_t size,
                     const void *content, size_t got, tl_blob_state *state,
                     aero_error *err);
/* Stores `size` bytes (`content`, hashing to `hex`) as blob `hex`,
 * replacing a damaged row of that name; writes nothing when an intact one
 * is there. Inside the transaction that records the version using it. */
aero_status tl_inline_put(tl_store *store, const char *hex, const void *content,
                          size_t size, aero_error *err);
/* fsck --repair: writes blob `hex`'s row to damaged/<hex>-<time> (synced)
 * and deletes it, in a transaction of its own, unless under that
 * transaction's lock the row hashes to its name again (declared again
 * since fsck hashed it): then it stays. */
aero_status tl_inline_set_aside(tl_store *store, const char *hex,
                                aero_error *err);
/* Hands each row no version refers to (its digest and length, borrowed
 * for the call) to `each`; with `remove`, deletes them first (inside the
 * caller's transaction). Stops at the first status that is not AERO_OK. */
typedef aero_status (*tl_inline_fn)(void *ctx, const char *hex, int64_t bytes);
aero_status tl_inline_orphans(tl_store *store, bool remove, tl_inline_fn each,
                              void *ctx, aero_error *err);

/* The shared helpers under the names this plugin's code uses. */
#define tl_mkdirs pc_mkdirs
#define tl_mkdirs_parent pc_mkdirs_parent
#define tl_remove_tree pc_remove_tree
#define tl_fsync_dir pc_fsync_dir
#define tl_strdup_printf pc_strdup_printf
#define tl_progress pc_progress
#define tl_errno_status pc_errno_status
#define tl_sha256_fd pc_sha256_fd
#define tl_sha256_buf pc_sha256_buf

#endif /* TL_LOCAL_H */
