/* The JSON API under /api/ (ui_api.h): the documents of
 * docs/json-schema.md, built by the record layer (record_json.h) from the
 * backend's query members; the UI adds only the routes, the parameters'
 * checks and the downsampled series of a chart (ui_series.c).
 *
 *   /api/runs?project&job_type&status&tag&branch&mode&since&q&limit&before
 *            &input_version                     runs, newest first
 *   /api/runs/ID                                 one run, everything
 *   /api/runs/ID/metrics[?key=K]                 every point
 *   /api/runs/ID/series?key=K&points=N           one metric, downsampled
 *   /api/artifacts?ref=REF                       an artifact's versions
 *   /api/lineage?ref=REF[&down=1]                a version's lineage
 *   /api/files/VERSION_ID/SHA256                 a file, by its digest
 *   /api/store                                   the store's location
 *
 * A finished run's page and series are kept (ui_cache.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record_json.h"
#include "ui_api.h"
#include "ui_cache.h"
#include "ui_guard.h"
#include "ui_kept.h"
#include "ui_prefetch.h"
#include "ui_series.h"

enum { DEFAULT_LIMIT = 50, MAX_LIMIT = 500 };

static unsigned http_status(aero_status st) {
  switch (st) {
  case AERO_E_NOT_FOUND:
    return MHD_HTTP_NOT_FOUND;
  case AERO_E_INVALID:
    return MHD_HTTP_BAD_REQUEST;
  case AERO_E_NOMEM:
    return MHD_HTTP_SERVICE_UNAVAILABLE;
  default:
    return MHD_HTTP_INTERNAL_SERVER_ERROR;
  }
}

/* Replies with `doc`, or with the error of a failed call. */
static enum MHD_Result answer(const aeh_ui_request *rq, aero_status st,
                              json_t *doc, const aero_error *err) {
  if (st != AERO_OK)
    return aeh_ui_reply_error(rq, http_status(st), "%s", err->message);
  return aeh_ui_reply_json(rq, MHD_HTTP_OK, doc);
}

static enum MHD_Result bad_arg(const aeh_ui_request *rq, const char *name) {
  return aeh_ui_reply_error(rq, MHD_HTTP_BAD_REQUEST,
                            "parameter '%s' is not valid", name);
}

/* A metric key this API does not take: the run page shows this line in
 * that chart's place, so it says what is taken. */
static enum MHD_Result bad_key(const aeh_ui_request *rq) {
  return aeh_ui_reply_error(rq, MHD_HTTP_BAD_REQUEST,
                            "parameter 'key' is not valid: a metric key of 1 "
                            "to %d bytes without control characters",
                            AEH_UI_TEXT_MAX);
}

/* A text parameter (a name to match): NULL when absent, `bad` when ill
 * formed. */
static const char *text_arg(const aeh_ui_request *rq, const char *name,
                            int *bad) {
  const char *v = aeh_ui_arg(rq, name);
  if (v == NULL || v[0] == '\0')
    return NULL;
  if (!aeh_ui_is_text(v))
    *bad = 1;
  return v;
}

static enum MHD_Result runs(const aeh_ui_request *rq, aeh_record *rec) {
  aero_run_filter f = {.struct_size = sizeof f, .limit = DEFAULT_LIMIT};
  int bad = 0;
  f.project = text_arg(rq, "project", &bad);
  f.job_type = text_arg(rq, "job_type", &bad);
  f.tag = text_arg(rq, "tag", &bad);
  f.branch = text_arg(rq, "branch", &bad);
  const char *query = text_arg(rq, "q", &bad);
  if (bad)
    return bad_arg(rq, "project, job_type, tag, branch or q");
  const char *v;
  if ((v = aeh_ui_arg(rq, "status")) != NULL && v[0] != '\0') {
    for (uint32_t s = AERO_RUN_RUNNING; s <= AERO_RUN_BAILED; s++)
      if (strcmp(aeh_state_word(s), v) == 0)
        f.state = s;
    if (f.state == 0)
      return bad_arg(rq, "status");
  }
  if ((v = aeh_ui_arg(rq, "mode")) != NULL && v[0] != '\0') {
    if (strcmp(v, "dev") == 0)
      f.mode = AERO_MODE_DEV;
    else if (strcmp(v, "prod") == 0)
      f.mode = AERO_MODE_PROD;
    else
      return bad_arg(rq, "mode");
  }
  long n;
  if ((v = aeh_ui_arg(rq, "since")) != NULL && v[0] != '\0') {
    int64_t seconds;
    if (!aeh_ui_parse_id(v, &seconds))
      return bad_arg(rq, "since");
    /* A time past 2262 (nanoseconds out of int64) reads no run, as
     * `aeromancy runs --since` does. */
    f.since_ns = seconds > INT64_MAX / 1000000000 ? INT64_MAX
                                                  : seconds * 1000000000;
  }
  if ((v = aeh_ui_arg(rq, "limit")) != NULL) {
    if (!aeh_ui_parse_count(v, &n) || n < 1 || n > MAX_LIMIT)
      return bad_arg(rq, "limit");
    f.limit = (uint32_t)n;
  }
  /* Ids start at 1: a 0 would mean no filter at all (the CLI refuses
   * --before 0 too). */
  if ((v = aeh_ui_arg(rq, "before")) != NULL &&
      (!aeh_ui_parse_id(v, &f.before_id) || f.before_id < 1))
    return bad_arg(rq, "before");
  if ((v = aeh_ui_arg(rq, "input_version")) != NULL &&
      (!aeh_ui_parse_id(v, &f.input_version_id) || f.input_version_id < 1))
    return bad_arg(rq, "input_version");
  aero_error err = AEH_ERROR_INIT;
  json_t *doc = NULL;
  aero_status st = aeh_record_runs_search_json(rec, &f, query, &doc, &err);
  return answer(rq, st, doc, &err);
}

/* Replies with what is kept under `key`; 0 when nothing is. When the
 * answer is being computed ahead (ui_prefetch.h), waits for it rather
 * than computing it a second time. */
static int reply_kept(const aeh_ui_request *rq, const char *key,
                      enum MHD_Result *ret) {
  if (key[0] == '\0')
    return 0;
  size_t len;
  char *text = aeh_ui_cache_copy(key, &len);
  if (text == NULL && aeh_ui_prefetch_wait(key))
    text = aeh_ui_cache_copy(key, &len);
  if (text == NULL)
    return 0;
  *ret = aeh_ui_reply(rq, MHD_HTTP_OK, "application/json", text, len,
                      MHD_RESPMEM_MUST_FREE, 0);
  return 1;
}

/* Replies with `doc` (or the error), keeping it under `key` unless "". */
static enum MHD_Result answer_keep(const aeh_ui_request *rq, aero_status st,
                                   json_t *doc, const aero_error *err,
                                   const char *key) {
  if (st != AERO_OK || key[0] == '\0')
    return answer(rq, st, doc, err);
  size_t len = 0;
  char *text = aeh_ui_kept_text(doc, &len);
  if (text == NULL)
    return aeh_ui_reply_error(rq, MHD_HTTP_SERVICE_UNAVAILABLE,
                              "out of memory");
  enum MHD_Result ret = aeh_ui_reply(rq, MHD_HTTP_OK, "application/json", text,
                                     len, MHD_RESPMEM_MUST_COPY, 0);
  aeh_ui_cache_put(key, text, len);
  return ret;
}

static enum MHD_Result one_run(const aeh_ui_request *rq, aeh_record *rec,
                               int64_t id) {
  char key[64];
  enum MHD_Result ret;
  aeh_ui_kept_key(rec, id, "run", key, sizeof key);
  if (reply_kept(rq, key, &ret))
    return ret;
  aero_error err = AEH_ERROR_INIT;
  json_t *doc = NULL;
  aero_status st = aeh_record_run_json(rec, id, &doc, &err);
  return answer_keep(rq, st, doc, &err, key);
}

static enum MHD_Result series(const aeh_ui_request *rq, aeh_record *rec,
                              int64_t id) {
  const char *key = aeh_ui_arg(rq, "key");
  if (!aeh_ui_is_text(key))
    return bad_key(rq);
  long points = AEH_UI_SERIES_POINTS;
  const char *v = aeh_ui_arg(rq, "points");
  if (v != NULL && (!aeh_ui_parse_count(v, &points) || points < 4 ||
                    points > AEH_UI_SERIES_MAX_POINTS))
    return bad_arg(rq, "points");
  char what[AEH_UI_SERIES_WHAT_SIZE], kept[AEH_UI_KEPT_KEY_SIZE];
  enum MHD_Result ret;
  aeh_ui_series_what(what, sizeof what, points, key);
  aeh_ui_kept_key(rec, id, what, kept, sizeof kept);
  if (reply_kept(rq, kept, &ret))
    return ret;
  aero_error err = AEH_ERROR_INIT;
  json_t *doc = NULL;
  aero_status st = aeh_ui_series_json(rec, id, key, (size_t)points, &doc, &err);
  return answer_keep(rq, st, doc, &err, kept);
}

static enum MHD_Result points(const aeh_ui_request *rq, aeh_record *rec,
                              int64_t id) {
  const char *key = aeh_ui_arg(rq, "key");
  if (key != NULL && !aeh_ui_is_text(key))
    return bad_key(rq);
  aero_error err = AEH_ERROR_INIT;
  char *text = NULL;
  size_t len = 0;
  aero_status st = aeh_ui_points_text(rec, id, key, &text, &len, &err);
  if (st != AERO_OK)
    return aeh_ui_reply_error(rq, http_status(st), "%s", err.message);
  return aeh_ui_reply(rq, MHD_HTTP_OK, "application/json", text, len,
                      MHD_RESPMEM_MUST_FREE, 0);
}

static enum MHD_Result artifacts(const aeh_ui_request *rq, aeh_record *rec) {
  const char *text = aeh_ui_arg(rq, "ref");
  if (text == NULL)
    return bad_arg(rq, "ref");
  aero_error err = AEH_ERROR_INIT;
  aeh_version v;
  json_t *doc = NULL;
  aero_status st = aeh_record_find_version(rec, text, &v, &err);
  if (st == AERO_OK) {
    /* Every version of the artifact the reference names. */
    aero_version_filter f = {.struct_size = sizeof f,
                             .entity = v.entity,
                             .project = v.project,
                             .name = v.name,
                             .version = -1};
    st = aeh_record_versions_json(rec, &f, true, &doc, &err);
  }
  return answer(rq, st, doc, &err);
}

static enum MHD_Result lineage(const aeh_ui_request *rq, aeh_record *rec) {
  const char *text = aeh_ui_arg(rq, "ref");
  const char *down = aeh_ui_arg(rq, "down");
  if (text == NULL)
    return bad_arg(rq, "ref");
  if (down != NULL && strcmp(down, "0") != 0 && strcmp(down, "1") != 0)
    return bad_arg(rq, "down");
  aero_error err = AEH_ERROR_INIT;
  aeh_version v;
  json_t *doc = NULL;
  aero_status st = aeh_record_find_version(rec, text, &v, &err);
  if (st == AERO_OK)
    st = aeh_record_lineage_json(rec, &v, down != NULL && down[0] == '1', &doc,
                                 &err);
  return answer(rq, st, doc, &err);
}

static enum MHD_Result store(const aeh_ui_request *rq, aeh_record *rec) {
  json_t *doc = json_object();
  if (doc == NULL ||
      aeh_json_set(doc, "location", aeh_json_text(aeh_record_location(rec))))
    return aeh_ui_reply_error(rq, MHD_HTTP_SERVICE_UNAVAILABLE,
                              "out of memory");
  return aeh_ui_reply_json(rq, MHD_HTTP_OK, doc);
}

/* "runs/ID[/series]": the id and what follows it. */
static int split_run_path(const char *rest, int64_t *id, const char **tail) {
  char digits[20];
  size_t n = strcspn(rest, "/");
  if (n == 0 || n >= sizeof digits)
    return 0;
  memcpy(digits, rest, n);
  digits[n] = '\0';
  if (!aeh_ui_parse_id(digits, id))
    return 0;
  *tail = rest + n;
  return 1;
}

/* Before answering with runs' statuses (runs, a run, a lineage's runs;
 * versions show none): the runs of hosts that died since
 * are recorded killed (aeh_record_settle_dead), at most every
 * SETTLE_EVERY_S seconds (a page asks for runs every second or two while
 * one runs). Requests are served by one thread. */
#define SETTLE_EVERY_S 2.0
static void settle_dead_hosts(const aeh_record *rec) {
  static double last = -SETTLE_EVERY_S;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
  if (now - last < SETTLE_EVERY_S)
    return;
  last = now;
  aeh_record_settle_dead(rec);
}

enum MHD_Result aeh_ui_api(const aeh_ui_request *rq, aeh_record *rec) {
  const char *p = rq->path + 5; /* after "/api/" */
  int64_t id;
  const char *tail;
  if (strcmp(p, "runs") == 0) {
    settle_dead_hosts(rec);
    return runs(rq, rec);
  }
  if (strncmp(p, "runs/", 5) == 0 && split_run_path(p + 5, &id, &tail)) {
    if (tail[0] == '\0') {
      settle_dead_hosts(rec);
      return one_run(rq, rec, id);
    }
    if (strcmp(tail, "/series") == 0)
      return series(rq, rec, id);
    if (strcmp(tail, "/metrics") == 0)
      return points(rq, rec, id);
  }
  if (strcmp(p, "artifacts") == 0)
    return artifacts(rq, rec);
  if (strcmp(p, "lineage") == 0) { /* its runs, with their statuses */
    settle_dead_hosts(rec);
    return lineage(rq, rec);
  }
  if (strncmp(p, "files/", 6) == 0 && split_run_path(p + 6, &id, &tail) &&
      tail[0] == '/' && aeh_ui_is_digest(tail + 1))
    return aeh_ui_file(rq, rec, id, tail + 1);
  if (strcmp(p, "store") == 0)
    return store(rq, rec);
  return aeh_ui_reply_error(rq, MHD_HTTP_NOT_FOUND, "no such API");
}
