/* A metric's series for a chart, downsampled on the way (ui_series.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aeu.h"
#include "record_json.h"
#include "ui_downsample.h"
#include "ui_series.h"

static aero_status on_rows(void *ctx, const aero_metric_row *rows, size_t count,
                           aero_error *err) {
  aeh_ui_downsample *d = ctx;
  for (size_t i = 0; i < count; i++)
    if (aeh_ui_downsample_add(d, (aeh_ui_point){rows[i].step, rows[i].value}) !=
        0)
      return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  return AERO_OK;
}

static json_t *points_json(const aeh_ui_downsample *d) {
  json_t *points = json_array();
  for (size_t i = 0; points != NULL && i < d->count; i++) {
    const aeh_ui_point *p = &d->out[i];
    json_t *pair = json_pack(
        "[oo]", p->step == AERO_NO_STEP ? json_null() : json_integer(p->step),
        aeh_json_number(p->value));
    if (aeh_json_append(points, pair) != 0) {
      json_decref(points);
      return NULL;
    }
  }
  return points;
}

aero_status aeh_ui_series_json(const aeh_record *rec, int64_t run_id,
                               const char *key, size_t max_points, json_t **out,
                               aero_error *err) {
  aero_status st = AEH_RECORD_NEED(rec, query_run, err);
  if (st == AERO_OK)
    st = AEH_RECORD_NEED(rec, query_metrics, err);
  if (st != AERO_OK)
    return st;
  /* An unknown run is an error; its points are then read once, with no
   * count asked first (the downsampler needs none). */
  aero_run_sink exists = {.struct_size = sizeof exists};
  st = rec->vt->query_run(rec->handle, run_id, &exists, NULL, err);
  if (st != AERO_OK)
    return st;
  aeh_ui_downsample d;
  if (aeh_ui_downsample_init(&d, max_points) != 0)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  const char *keys[] = {key};
  aero_metric_query q = {
      .struct_size = sizeof q, .run_id = run_id, .keys = keys, .key_count = 1};
  st = rec->vt->query_metrics(rec->handle, &q, on_rows, &d, err);
  if (st == AERO_OK && aeh_ui_downsample_finish(&d) != 0)
    st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  if (st == AERO_OK && d.seen == 0)
    st = aeh_error_set(err, AERO_E_NOT_FOUND, "run %lld has no metric '%s'",
                       (long long)run_id, key);
  json_t *doc = NULL;
  if (st == AERO_OK) {
    doc = json_object();
    int bad = doc == NULL;
    bad = bad || aeh_json_set(doc, "run_id", json_integer(run_id));
    bad = bad || aeh_json_set(doc, "key", aeh_json_text(key));
    bad = bad || aeh_json_set(doc, "count", json_integer((json_int_t)d.seen));
    bad =
        bad || aeh_json_set(doc, "downsampled", json_boolean(d.count < d.seen));
    bad = bad || aeh_json_set(doc, "points", points_json(&d));
    if (bad) {
      json_decref(doc);
      st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
    }
  }
  aeh_ui_downsample_free(&d);
  if (st == AERO_OK)
    *out = doc;
  return st;
}

/* ---- every point, as `aeromancy metrics --json` writes them ---- */

typedef struct text_buf {
  char *data;
  size_t len, cap;
} text_buf;

static int put(text_buf *b, const char *s, size_t n) {
  char *grown = aeu_grow(b->data, &b->cap, b->len + n + 1, 1, 64 * 1024);
  if (grown == NULL)
    return -1;
  b->data = grown;
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

static aero_status on_point_rows(void *ctx, const aero_metric_row *rows,
                                 size_t count, aero_error *err) {
  text_buf *b = ctx;
  for (size_t i = 0; i < count; i++) {
    json_t *point = aeh_json_point(&rows[i]);
    char *text = point == NULL
                     ? NULL
                     : aeh_json_dumps(point, JSON_COMPACT | JSON_ESCAPE_SLASH |
                                                 JSON_PRESERVE_ORDER);
    json_decref(point);
    int bad = text == NULL || put(b, b->len > 1 ? "," : "", b->len > 1) ||
              put(b, text, strlen(text));
    free(text);
    if (bad)
      return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  }
  return AERO_OK;
}

aero_status aeh_ui_points_text(const aeh_record *rec, int64_t run_id,
                               const char *key, char **out, size_t *len,
                               aero_error *err) {
  aero_status st = AEH_RECORD_NEED(rec, query_run, err);
  if (st == AERO_OK)
    st = AEH_RECORD_NEED(rec, query_metrics, err);
  aero_run_sink exists = {.struct_size = sizeof exists};
  if (st == AERO_OK) /* an unknown run is an error, not an empty array */
    st = rec->vt->query_run(rec->handle, run_id, &exists, NULL, err);
  if (st != AERO_OK)
    return st;
  text_buf b = {0};
  const char *keys[] = {key};
  aero_metric_query q = {.struct_size = sizeof q,
                         .run_id = run_id,
                         .keys = key != NULL ? keys : NULL,
                         .key_count = key != NULL ? 1 : 0};
  if (put(&b, "[", 1) != 0)
    st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  if (st == AERO_OK)
    st = rec->vt->query_metrics(rec->handle, &q, on_point_rows, &b, err);
  if (st == AERO_OK && key != NULL && b.len == 1)
    st = aeh_error_set(err, AERO_E_NOT_FOUND, "run %lld has no metric '%s'",
                       (long long)run_id, key);
  if (st == AERO_OK && put(&b, "]", 1) != 0)
    st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  if (st != AERO_OK) {
    free(b.data);
    return st;
  }
  *out = b.data;
  *len = b.len;
  return AERO_OK;
}

void aeh_ui_series_what(char *what, size_t size, long points, const char *key) {
  snprintf(what, size, "series/%ld/%s", points, key);
}
