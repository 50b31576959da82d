/* A finished run's answers as they are kept (ui_cache.h): the key and the
 * text, the same for the routes that keep them (ui_api.c) and for the
 * thread that computes them ahead (ui_prefetch.c). */
#ifndef AEH_UI_KEPT_H
#define AEH_UI_KEPT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "record.h"
#include "ui_series.h"

/* The cache key of run `id`'s answer `what` ("run", or
 * aeh_ui_series_what's), when the run has ended (its record no longer
 * changes); else "" (nothing kept). */
void aeh_ui_kept_key(const aeh_record *rec, int64_t id, const char *what,
                     char *key, size_t size);
/* Room for the cache key of any `what`. */
#define AEH_UI_KEPT_KEY_SIZE                                                   \
  (sizeof "999999999999999999/" + AEH_UI_SERIES_WHAT_SIZE)

/* The text an answer is kept (and served) as: `doc` (taken) as compact
 * JSON, malloc'd, its length in *len; NULL when out of memory. */
char *aeh_ui_kept_text(json_t *doc, size_t *len);

#endif /* AEH_UI_KEPT_H */
