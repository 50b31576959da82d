/* The UI's prefetch thread (ui_prefetch.h) on a real tracker-local store:
 * it keeps the run's answer and the series of each metric the series
 * route takes, and computes none of a key that route refuses (longer than
 * AEH_UI_TEXT_MAX): no request could be answered from it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "record.h"
#include "tracker.h"
#include "ui_cache.h"
#include "ui_guard.h"
#include "ui_kept.h"
#include "ui_prefetch.h"
#include "ui_series.h"

/* A key of `n` times `c`, in a buffer of the test's. */
static const char *key_of(char *buf, char c, size_t n) {
  memset(buf, c, n);
  buf[n] = '\0';
  return buf;
}

/* A finished run of `rec` with one point of each of `keys`. */
static int64_t finished_run(aeh_record *rec, const char *const *keys,
                            size_t count) {
  aero_run_record r = {.struct_size = sizeof r,
                       .entity = "",
                       .project = "proj",
                       .job_type = "train",
                       .dev = true};
  aero_error err = AEH_ERROR_INIT;
  int64_t id = 0;
  if (rec->vt->run_begin(rec->handle, &r, &id, &err) != AERO_OK)
    fail_msg("run_begin: %s", err.message);
  for (size_t i = 0; i < count; i++) {
    aero_metric m = {keys[i], 0.5};
    if (rec->vt->log_metrics(rec->handle, id, &m, 1, 1, &err) != AERO_OK)
      fail_msg("log_metrics: %s", err.message);
  }
  aero_run_outcome out = {.struct_size = sizeof out, .state = AERO_RUN_OK};
  if (rec->vt->run_end(rec->handle, id, &out, &err) != AERO_OK)
    fail_msg("run_end: %s", err.message);
  return id;
}

/* Whether the series of `metric` of run `id` is kept, under the key the
 * series route looks for. */
static bool series_kept(aeh_record *rec, int64_t id, const char *metric) {
  char what[AEH_UI_SERIES_WHAT_SIZE], key[AEH_UI_KEPT_KEY_SIZE];
  aeh_ui_series_what(what, sizeof what, AEH_UI_SERIES_POINTS, metric);
  aeh_ui_kept_key(rec, id, what, key, sizeof key);
  assert_true(key[0] != '\0');
  return aeh_ui_cache_has(key);
}

static void test_prefetch_skips_keys_the_api_refuses(void **state) {
  (void)state;
  char dir[] = "/tmp/aero-ui-prefetch-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char store_dir[PATH_MAX];
  snprintf(store_dir, sizeof store_dir, "%s/store", dir);
  aero_error err = AEH_ERROR_INIT;
  aeh_store *created = NULL;
  if (aeh_store_open("local", store_dir, &created, &err) != AERO_OK)
    fail_msg("creating the store: %s", err.message);
  aeh_store_close(created);
  aeh_record rec, ahead;
  if (aeh_record_open("local", store_dir, &rec, &err) != AERO_OK ||
      aeh_record_open("local", store_dir, &ahead, &err) != AERO_OK)
    fail_msg("opening the store: %s", err.message);

  char at_limit[AEH_UI_TEXT_MAX + 1], over[AEH_UI_TEXT_MAX + 64];
  const char *keys[] = {key_of(at_limit, 'a', AEH_UI_TEXT_MAX),
                        key_of(over, 'b', AEH_UI_TEXT_MAX + 1), "z"};
  assert_true(aeh_ui_is_text(keys[0]));
  assert_false(aeh_ui_is_text(keys[1]));
  int64_t id = finished_run(&rec, keys, 3);

  aeh_ui_cache_clear();
  assert_int_equal(aeh_ui_prefetch_start(&ahead), 0);
  aeh_ui_prefetch_run(id);
  /* Once the last series it computes is kept, stop waits for the rest. */
  for (int i = 0; i < 500 && !(series_kept(&rec, id, keys[0]) &&
                               series_kept(&rec, id, keys[2]));
       i++)
    nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
  aeh_ui_prefetch_stop();

  assert_true(series_kept(&rec, id, keys[0])); /* 256 bytes: taken */
  assert_true(series_kept(&rec, id, keys[2]));
  /* The run's answer and those two series: nothing computed for the key
   * of 257 bytes, which the route refuses ("parameter 'key'"). */
  assert_int_equal(aeh_ui_cache_count(), 3);

  aeh_ui_cache_clear();
  aeh_record_close(&ahead);
  aeh_record_close(&rec);
  char cmd[PATH_MAX + 16];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_prefetch_skips_keys_the_api_refuses),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
