/* A chart's series (ui_series.c): a metric of a run, downsampled, for the
 * series route (ui_api.c) and the prefetch thread (ui_prefetch.c), and
 * every point of a run for the metrics route. */
#ifndef AEH_UI_SERIES_H
#define AEH_UI_SERIES_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "record.h"
#include "ui_guard.h"

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
 * only. An unknown run, or a `key` the run did not log, is AERO_E_NOT_FOUND
 * (as `aeromancy metrics RUN KEY` refuses it). */
aero_status aeh_ui_points_text(const aeh_record *rec, int64_t run_id,
                               const char *key, char **out, size_t *len,
                               aero_error *err);

/* The `what` of a chart's series of `points` points of metric `key`: the
 * name its answer is kept under (ui_kept.h). */
void aeh_ui_series_what(char *what, size_t size, long points, const char *key);
/* Room for the `what` of a key the API takes (aeh_ui_is_text). */
#define AEH_UI_SERIES_WHAT_SIZE (sizeof "series/20000/" + AEH_UI_TEXT_MAX)

#endif /* AEH_UI_SERIES_H */
