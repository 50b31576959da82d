/* The parts of the /api/ routes (ui_api.c) that read more than one
 * record-layer document: a chart's series and a file download. */
#ifndef AEH_UI_API_H
#define AEH_UI_API_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "record.h"
#include "ui_guard.h"
#include "ui_http.h"

/* Points a chart gets by default, and at most. */
#define AEH_UI_SERIES_POINTS 2000
#define AEH_UI_SERIES_MAX_POINTS 20000

/* {"run_id", "key", "count", "downsampled", "points": [[step, value]...]}:
 * metric `key` of run `run_id`, streamed from the backend through the
 * min/max downsampler (ui_downsample.h) to at most `max_points` points.
 * An unknown run or key is AERO_E_NOT_FOUND naming it. Writes *out (owned
 * by the caller) on success only. */
aero_status aeh_ui_series_json(const aeh_record *rec, int64_t run_id,
                               const char *key, size_t max_points, json_t **out,
                               aero_error *err);

/* The points of run `run_id` (of metric `key` only, unless NULL) as the
 * JSON array of `aeromancy metrics --json` (docs/json-schema.md), in one
 * malloc'd buffer: *out (the caller frees it) and *len, written on success
 * only. An unknown run is AERO_E_NOT_FOUND. */
aero_status aeh_ui_points_text(const aeh_record *rec, int64_t run_id,
                               const char *key, char **out, size_t *len,
                               aero_error *err);

/* The cache key (ui_cache.h) of run `id`'s answer `what` ("run", or
 * aeh_ui_series_what's), when the run has ended (its record no longer
 * changes); else "" (nothing kept). */
void aeh_ui_kept_key(const aeh_record *rec, int64_t id, const char *what,
                     char *key, size_t size);
/* The `what` of a chart's series of `points` points of metric `key`. */
void aeh_ui_series_what(char *what, size_t size, long points, const char *key);
/* Room for the `what` of a key the API takes (aeh_ui_is_text), and for
 * the cache key of that `what`. */
#define AEH_UI_SERIES_WHAT_SIZE (sizeof "series/20000/" + AEH_UI_TEXT_MAX)
#define AEH_UI_KEPT_KEY_SIZE                                                   \
  (sizeof "999999999999999999/" + AEH_UI_SERIES_WHAT_SIZE)
/* The text an answer is kept (and served) as: `doc` (taken) as compact
 * JSON, malloc'd, its length in *len; NULL when out of memory. */
char *aeh_ui_kept_text(json_t *doc, size_t *len);

/* Replies with the file of version `version_id` whose SHA-256 is `digest`
 * (64 lowercase hex digits, checked by the caller). The file's path comes
 * from the backend (its file list and its materialized view), never from
 * the request. */
enum MHD_Result aeh_ui_file(const aeh_ui_request *rq, const aeh_record *rec,
                            int64_t version_id, const char *digest);

#endif /* AEH_UI_API_H */
