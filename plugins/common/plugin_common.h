/* Helpers shared by the backend plugins (tracker-local, tracker-postgres):
 * file-system chores, SHA-256 of files, and the expansion of a declared
 * output into its files. Linked statically into each plugin and hidden
 * there (the plugins export their entry symbol only).
 */
#ifndef PC_PLUGIN_COMMON_H
#define PC_PLUGIN_COMMON_H

#include "aeu.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <aeromancy/aeromancy.h>
#include <aeromancy/backend.h>

/* Files at least this large report progress while hashed and copied. */
#define PC_PROGRESS_MIN ((uint64_t)100 << 20)

/* ---- fsutil.c ---- */

/* mkdir -p with mode 0755 (aeu.h has the one copy). Returns 0 or an errno
 * value. */
#define pc_mkdirs(path) aeu_mkdirs((path), 0755)
/* Creates the parent folders of `path`. Returns 0 or an errno value. */
#define pc_mkdirs_parent(path) aeu_mkdirs_parent((path), 0755)
/* rm -rf; best effort: goes on past what it cannot remove. Returns 0 when
 * `path` is gone, else the first errno that kept a part of it. */
int pc_remove_tree(const char *path);
/* fsync of a folder, so that a rename in it survives a crash. */
void pc_fsync_dir(const char *path);
/* Writes all `size` bytes of `buf` to `fd`, past short writes and EINTR.
 * Returns 0 or an errno value. */
int pc_write_all(int fd, const void *buf, size_t size);
/* malloc'd printf; NULL when out of memory. */
char *pc_strdup_printf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* Reports progress if the host table has the member. */
void pc_progress(const char *label, uint64_t done, uint64_t total);
/* AERO_E_NOSPACE for ENOSPC/EDQUOT, else `otherwise`. */
aero_status pc_errno_status(int errnum, aero_status otherwise);

/* ---- sha256.c: streaming SHA-256 with OpenSSL's SHA256_* ---- */

/* Hashes `size` bytes of `fd` from offset 0 in one pass and writes the
 * lowercase hex digest (65 bytes with the terminator) to `hex`. `path`
 * names the file in errors; `label` (may be NULL) is shown in progress
 * lines for files of PC_PROGRESS_MIN or more. */
aero_status pc_sha256_fd(int fd, const char *path, uint64_t size,
                         const char *label, char hex[65], aero_error *err);
/* Writes the lowercase hex form of a 32-byte digest. */
void pc_sha256_hex(const unsigned char digest[32], char hex[65]);
/* The lowercase hex SHA-256 of `size` bytes at `data` (borrowed) into
 * `hex`, by aeu_sha256_buf (SHA256_Init/Update/Final). Never OpenSSL 3's
 * one-shot SHA256(): it goes through EVP at every call, and one reference
 * to it links libcrypto.a's whole EVP and provider code into a plugin
 * (5.9 MB instead of 1.6 for tracker-local, relocated by the dynamic
 * loader in every process that opens a store; test_plugin_code.sh). */
void pc_sha256_buf(const void *data, size_t size, char hex[65]);

/* ---- outfiles.c: the files of a declared output ---- */

typedef struct pc_file {
  char *source; /* the path read */
  char *name;   /* its name inside the artifact */
  uint64_t size;
  char hash[65]; /* filled by the backend once hashed */
} pc_file;

typedef struct pc_file_list {
  pc_file *items;
  size_t count;
  size_t cap;
} pc_file_list;

void pc_file_list_free(pc_file_list *list);
/* Checks an output's description (files, type, metadata). `output` names
 * it in messages. */
aero_status pc_check_desc(const char *output, const aero_output_desc *desc,
                          aero_error *err);
/* The number in environment variable `name`, or `fallback` when it is
 * unset or empty; anything else than a number from lo to hi is refused
 * (AERO_E_CONFIG, one line naming `backend` and the variable) rather than
 * replaced by the default without a word. */
aero_status pc_env_number(const char *backend, const char *name,
                          double fallback, double lo, double hi, double *out,
                          aero_error *err);
/* Whether the host opens the store to read an existing record only
 * (AERO_OPEN_EXISTING, from a host whose params carry flags): then a
 * backend never creates a store. */
bool pc_open_existing(const aero_backend_open_params *params);

/* What is wrong with `name` as a file's name inside an artifact (empty,
 * 1,024 bytes or longer, absolute, an empty, '.' or '..' part, a trailing
 * '/'), or NULL when it is sound. A view writes files under these names:
 * read back from a store, one that is not sound would lead outside. */
const char *pc_name_problem(const char *name);
/* Fails (AERO_E_STORE, naming `where` and the version) unless a file row
 * read back from a store, `name` and its blob `hex`, is sound: the name as
 * pc_name_problem says, the blob 64 lowercase hex digits. A view is
 * written under these names from these blobs: a damaged (or forged) row
 * would have it write outside the view, or read a blob path cut short.
 * NULLs are damage too. */
aero_status pc_check_file_row(const char *where, int64_t version_id,
                              const char *name, const char *hex,
                              aero_error *err);
/* Expands the declared paths into the sorted list of files with their
 * names, rejecting bad and clashing names. */
aero_status pc_collect(const char *output, const aero_output_desc *desc,
                       pc_file_list *list, aero_error *err);
/* Stores the content of `file` (open as `fd`, its hash and size filled)
 * where the backend keeps blobs, unless it is there already. */
typedef aero_status (*pc_put_blob_fn)(void *ctx, const pc_file *file, int fd,
                                      aero_error *err);
/* Hashes one file in one pass (filling its size and hash), hands it to
 * `put`, and checks that it did not change meanwhile (size and
 * modification time before and after). */
aero_status pc_store_file(pc_file *file, pc_put_blob_fn put, void *ctx,
                          aero_error *err);
/* The version digest of a list whose hashes are filled. */
aero_status pc_manifest_digest(const pc_file_list *list, char hex[65],
                               aero_error *err);

/* ---- records.c: run records and references ---- */

/* Environment facts that have a column of their own in `runs`, in column
 * order; any other key goes to run_env, so that a newer host's facts are
 * never dropped. */
#define PC_ENV_COLUMN_COUNT 13
extern const char *const pc_env_columns[PC_ENV_COLUMN_COUNT];
/* The index of `key` in pc_env_columns, or -1. */
int pc_env_column(const char *key);
/* "running", "ok"...; NULL for an unknown state. */
const char *pc_state_name(uint32_t state);
/* "error", "warn", "info", "debug"; NULL for an unknown level. */
const char *pc_level_name(aero_log_level level);
/* Output names, one line each (malloc'd; NULL when out of memory). */
char *pc_join_outputs(const aero_run_record *rec);
/* Checks a run record's required members and arrays. */
aero_status pc_check_record(const aero_run_record *rec, aero_error *err);
/* Checks a reuse key, its job and parts as reuse_key takes them (and a
 * run record that carries them): key and job 64 characters, the parts at
 * most 255 bytes. `backend` names the backend in the message. */
aero_status pc_check_reuse_key(const char *backend, const char *key,
                               const char *job, const char *parts,
                               aero_error *err);

/* The vtable's reuse_record, for a backend whose reuse_record_batch does
 * the work: one item through `batch`. */
aero_status pc_reuse_record_one(void *handle,
                                aero_status (*batch)(void *, aero_reuse_item *,
                                                     size_t, aero_error *),
                                const aero_run_record *record,
                                int64_t reused_run_id, const int64_t *input_ids,
                                size_t input_count, int64_t *run_id,
                                aero_error *err);
/* Copies a caller's run outcome into `out` (members the caller predates
 * read as zero) and checks it: an end state, named in *state
 * (pc_state_name). Else AERO_E_INVALID naming `backend` and run `run_id`. */
aero_status pc_run_outcome_read(const char *backend, int64_t run_id,
                                const aero_run_outcome *outcome,
                                aero_run_outcome *out, const char **state,
                                aero_error *err);
/* The vtable's reuse_find, for a backend whose reuse_find_batch does the
 * work: one query through `batch`, answered in a match of this build's
 * size (the caller's may predate struct_size being checked), then copied.
 * `backend` names it in the error for a bad query. */
aero_status pc_reuse_find_one(void *handle, const char *backend,
                              aero_status (*batch)(void *,
                                                   const aero_reuse_query *,
                                                   size_t, aero_reuse_match *,
                                                   aero_error *),
                              const aero_reuse_query *query,
                              aero_reuse_match *match, aero_error *err);
/* Checks that a reference has a project and a name. */
aero_status pc_check_ref(const aero_artifact_ref *ref, aero_error *err);
/* "entity/project/name" or "project/name", for messages. */
void pc_format_ref(const aero_artifact_ref *ref, char *buf, size_t size);

/* Checks a batch of metrics (keys, finite values, steps); `backend` names
 * the plugin in messages. */
aero_status pc_check_metric_rows(const char *backend,
                                 const aero_metric_row *rows, size_t count,
                                 aero_error *err);
/* A backend's log_metric_rows. */
typedef aero_status (*pc_metric_rows_fn)(void *handle, int64_t run_id,
                                         const aero_metric_row *rows,
                                         size_t count, aero_error *err);
/* log_metrics in terms of log_metric_rows: every metric one row with
 * `step`, logged at `now_ns`. */
aero_status pc_log_metrics_as_rows(const char *backend, void *handle,
                                   int64_t run_id, const aero_metric *metrics,
                                   size_t count, int64_t step, int64_t now_ns,
                                   pc_metric_rows_fn log_rows, aero_error *err);
/* The start of every put_output: checks the reference, copies the
 * caller's description into *desc (members it predates zero), writes
 * "project/name" to `output` and checks the description. */
aero_status pc_output_begin(const char *backend, const aero_artifact_ref *ref,
                            const aero_output_desc *desc_in,
                            aero_output_desc *desc, char *output,
                            size_t output_size, aero_error *err);

/* Why a reference resolves to nothing, in the one wording every backend
 * uses (AERO_E_NOT_FOUND): no visible version at all (`any_dev`: the
 * latest dev version, or -1); version `wanted` missing (`latest`: the
 * latest visible one, or -1); version `wanted` a dev version asked for by
 * a production run. */
aero_status pc_resolve_none(const char *name, int64_t any_dev, aero_error *err);
aero_status pc_resolve_missing(const char *name, int64_t wanted, int64_t latest,
                               aero_error *err);
aero_status pc_resolve_dev_only(const char *name, int64_t wanted,
                                int64_t latest, aero_error *err);

/* Where a check sends its problems: `each` (may be NULL: count only) is
 * called with `ctx` and `err`, all borrowed from the caller. */
typedef struct pc_problem_sink {
  aero_status (*each)(void *, const aero_problem *, aero_error *);
  void *ctx;
  aero_error *err;
} pc_problem_sink;

/* Counts one problem in `counts` and hands it to the sink's callback. */
aero_status pc_report_problem(const pc_problem_sink *sink,
                              aero_check_report *counts, uint32_t kind,
                              const char *subject, const char *detail,
                              int64_t run_id, int64_t version_id,
                              bool repaired);

#endif /* PC_PLUGIN_COMMON_H */
