/* The one JSON schema of the record (docs/json-schema.md), for
 * `aeromancy ... --json` and the web page's /api/. Every document is built
 * here, from the rows of the backend's query members, with jansson
 * (through json_out.h: invalid UTF-8 escaped, never lost).
 *
 * Every json_t returned is a new reference owned by the caller (json_decref
 * it); rows are borrowed. NULL means out of memory.
 */
#ifndef AEH_RECORD_JSON_H
#define AEH_RECORD_JSON_H

#include <jansson.h>

#include "json_out.h"
#include "record.h"

/* The words of the schema for states, modes and log levels. */
const char *aeh_state_word(uint32_t state); /* "ok", "failed", ... */
const char *aeh_level_word(uint32_t level); /* "error", "info", ... */

/* "2026-12-01T15:40:36.123Z" (UTC, milliseconds), or null for 0. */
json_t *aeh_json_time(int64_t ns);

/* A run as listed: id, project, job_type, output_names, mode, status,
 * times, duration_s, git_commit... (no metrics; see aeh_record_runs_json). */
json_t *aeh_json_run(const aero_run_info *run);
json_t *aeh_json_version(const aeh_version *v);
json_t *aeh_json_file(const aero_file_info *file);
json_t *aeh_json_metric_summary(const aero_metric_summary *m);
json_t *aeh_json_point(const aero_metric_row *row);

/* {"runs": [...], "next_before_id": N or null}: the runs `filter` selects,
 * each with "last_metrics" {key: last value}. `next_before_id` is set when
 * the page is full (filter->limit runs): pass it as before_id for the
 * next. Writes *out on success only. */
aero_status aeh_record_runs_json(const aeh_record *rec,
                                 const aero_run_filter *filter, json_t **out,
                                 aero_error *err);

/* aeh_record_runs_json keeping only the runs whose id, project, job type
 * or group, output names, status, message, git branch or commit contain
 * `text` (ignoring ASCII case; NULL or "": every run), a page of
 * filter->limit matches. The web page's search. */
aero_status aeh_record_runs_search_json(const aeh_record *rec,
                                        const aero_run_filter *filter,
                                        const char *text, json_t **out,
                                        aero_error *err);

/* Everything recorded about one run (`show`): the run object plus
 * environment, config, tags, inputs, outputs (each with its files and
 * metadata), logs
 * and metrics (summaries). Writes *out on success only. */
aero_status aeh_record_run_json(const aeh_record *rec, int64_t run_id,
                                json_t **out, aero_error *err);

/* The files of version `version_id` as a JSON array. */
aero_status aeh_record_files_json(const aeh_record *rec, int64_t version_id,
                                  json_t **out, aero_error *err);

/* The metadata of version `version_id` as a JSON object {key: value}
 * (typed as recorded); {} when it has none or the backend keeps none. */
aero_status aeh_record_metadata_json(const aeh_record *rec, int64_t version_id,
                                     json_t **out, aero_error *err);

/* The lineage of version `root` (record_lineage.c): up, the runs that
 * made it and their inputs, recursively; down (`down`), the runs that read
 * it and their outputs. {"root", "direction", "versions", "runs"}, each
 * run with "inputs" and "outputs" as lists of refs. */
aero_status aeh_record_lineage_json(const aeh_record *rec,
                                    const aeh_version *root, bool down,
                                    json_t **out, aero_error *err);

/* {"artifacts": [VERSION...]}: the versions `filter` selects, each with its
 * files and metadata when `with_files`. */
aero_status aeh_record_versions_json(const aeh_record *rec,
                                     const aero_version_filter *filter,
                                     bool with_files, json_t **out,
                                     aero_error *err);

/* Runs `a_id` and `b_id` side by side (record_diff.c): {"runs": [A, B],
 * "all": bool, "rows": [{"section", "key", "a", "b", "same"}]}, only the
 * rows that differ unless `all`. */
aero_status aeh_record_diff_json(const aeh_record *rec, int64_t a_id,
                                 int64_t b_id, bool all, json_t **out,
                                 aero_error *err);

#endif /* AEH_RECORD_JSON_H */
