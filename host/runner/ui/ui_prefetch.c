/* A run page's answers computed ahead (ui_prefetch.h). */
#include "ui_prefetch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record_json.h"
#include "ui_cache.h"
#include "ui_guard.h"
#include "ui_kept.h"
#include "ui_series.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER; /* a run asked, stop */
static pthread_cond_t done = PTHREAD_COND_INITIALIZER; /* `busy` changed */
static pthread_t thread;
static int started, stopping;
static int64_t asked;                   /* the run to compute next; 0: none */
static char busy[AEH_UI_KEPT_KEY_SIZE]; /* the answer being computed, or "" */
static aeh_record *rec; /* the thread's own handle on the store */

static void set_busy(const char *key) {
  pthread_mutex_lock(&lock);
  snprintf(busy, sizeof busy, "%s", key);
  pthread_cond_broadcast(&done);
  pthread_mutex_unlock(&lock);
}

/* Computes and keeps the answer `key` unless it is kept already: the
 * run's own (`metric` NULL) or the series of `metric`. */
static void keep(const char *key, int64_t id, const char *metric) {
  if (key[0] == '\0' || aeh_ui_cache_has(key))
    return;
  set_busy(key);
  aero_error err = AEH_ERROR_INIT;
  json_t *doc = NULL;
  aero_status st = metric == NULL
                       ? aeh_record_run_json(rec, id, &doc, &err)
                       : aeh_ui_series_json(rec, id, metric,
                                            AEH_UI_SERIES_POINTS, &doc, &err);
  size_t len = 0;
  char *text = st == AERO_OK ? aeh_ui_kept_text(doc, &len) : NULL;
  if (text != NULL)
    aeh_ui_cache_put(key, text, len);
  set_busy("");
}

/* The run's answer, then the series of each of its metrics, as the run
 * page asks for them. A failure keeps nothing: the route then computes
 * the answer itself and says what went wrong. A key the series route
 * refuses (longer than AEH_UI_TEXT_MAX, or with control characters) is
 * skipped: no request could ever be answered from it. */
static void compute(int64_t id) {
  char key[AEH_UI_KEPT_KEY_SIZE], what[AEH_UI_SERIES_WHAT_SIZE];
  aeh_ui_kept_key(rec, id, "run", key, sizeof key);
  if (key[0] == '\0')
    return; /* running, or gone: nothing is kept */
  keep(key, id, NULL);
  size_t len = 0;
  char *text = aeh_ui_cache_copy(key, &len);
  json_t *run = text != NULL ? json_loadb(text, len, 0, NULL) : NULL;
  free(text);
  const char *metric;
  json_t *summary;
  json_object_foreach(json_object_get(run, "metrics"), metric, summary) {
    if (!aeh_ui_is_text(metric))
      continue;
    aeh_ui_series_what(what, sizeof what, AEH_UI_SERIES_POINTS, metric);
    aeh_ui_kept_key(rec, id, what, key, sizeof key);
    keep(key, id, metric);
  }
  json_decref(run);
}

static void *run_thread(void *arg) {
  (void)arg;
  pthread_mutex_lock(&lock);
  for (;;) {
    while (!stopping && asked == 0)
      pthread_cond_wait(&wake, &lock);
    if (stopping)
      break;
    int64_t id = asked;
    asked = 0;
    pthread_mutex_unlock(&lock);
    compute(id);
    pthread_mutex_lock(&lock);
  }
  pthread_mutex_unlock(&lock);
  return NULL;
}

int aeh_ui_prefetch_start(aeh_record *store) {
  rec = store;
  stopping = 0;
  int e = pthread_create(&thread, NULL, run_thread, NULL);
  started = e == 0;
  return e;
}

void aeh_ui_prefetch_run(int64_t id) {
  if (!started)
    return;
  pthread_mutex_lock(&lock);
  asked = id;
  pthread_cond_signal(&wake);
  pthread_mutex_unlock(&lock);
}

int aeh_ui_prefetch_wait(const char *key) {
  if (!started)
    return 0;
  int waited = 0;
  pthread_mutex_lock(&lock);
  while (strcmp(busy, key) == 0) {
    waited = 1;
    pthread_cond_wait(&done, &lock);
  }
  pthread_mutex_unlock(&lock);
  return waited;
}

void aeh_ui_prefetch_stop(void) {
  if (!started)
    return;
  pthread_mutex_lock(&lock);
  stopping = 1;
  pthread_cond_signal(&wake);
  pthread_mutex_unlock(&lock);
  pthread_join(thread, NULL);
  started = 0;
  rec = NULL;
}
