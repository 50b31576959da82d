/* Downsampling a metric series for a chart: every point when few, at most
 * the asked number when many, every bucket's extremes kept, order kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "ui_downsample.h"

static void feed(aeh_ui_downsample *d, size_t n, double (*f)(size_t)) {
  for (size_t i = 0; i < n; i++)
    assert_int_equal(aeh_ui_downsample_add(d, (aeh_ui_point){(int64_t)i, f(i)}),
                     0);
  assert_int_equal(aeh_ui_downsample_finish(d), 0);
}

static double ramp(size_t i) {
  return (double)i;
}

static void test_few_points_are_all_kept(void **state) {
  (void)state;
  aeh_ui_downsample d;
  assert_int_equal(aeh_ui_downsample_init(&d, 100, 2000), 0);
  feed(&d, 100, ramp);
  assert_int_equal(d.count, 100);
  for (size_t i = 0; i < 100; i++)
    assert_int_equal(d.out[i].step, (int64_t)i);
  aeh_ui_downsample_free(&d);
}

static void test_empty_series(void **state) {
  (void)state;
  aeh_ui_downsample d;
  assert_int_equal(aeh_ui_downsample_init(&d, 0, 2000), 0);
  feed(&d, 0, ramp);
  assert_int_equal(d.count, 0);
  aeh_ui_downsample_free(&d);
}

/* Noise with one spike up and one down, far from bucket edges. */
static double spiky(size_t i) {
  if (i == 500123)
    return 1e6;
  if (i == 777777)
    return -1e6;
  return sin((double)i * 0.001);
}

static void test_million_points_bounded_extremes_kept(void **state) {
  (void)state;
  aeh_ui_downsample d;
  assert_int_equal(aeh_ui_downsample_init(&d, 1000000, 2000), 0);
  feed(&d, 1000000, spiky);
  assert_true(d.count <= 2000);
  assert_true(d.count >= 1000); /* two or more per bucket: first and last */
  int up = 0, down = 0;
  for (size_t i = 0; i < d.count; i++) {
    if (i > 0)
      assert_true(d.out[i].step > d.out[i - 1].step);
    up |= d.out[i].step == 500123 && d.out[i].value == 1e6;
    down |= d.out[i].step == 777777 && d.out[i].value == -1e6;
  }
  assert_true(up);
  assert_true(down);
  assert_int_equal(d.out[0].step, 0);
  assert_int_equal(d.out[d.count - 1].step, 999999);
  aeh_ui_downsample_free(&d);
}

static double nan_first(size_t i) {
  return i % 1000 == 0 ? NAN : (double)i;
}

static void test_nan_never_hides_an_extreme(void **state) {
  (void)state;
  aeh_ui_downsample d;
  assert_int_equal(aeh_ui_downsample_init(&d, 100000, 400), 0);
  feed(&d, 100000, nan_first);
  /* Bucket 0 holds 0..999: NaN first, then 1..999: min 1, max 999. */
  int low = 0, high = 0;
  for (size_t i = 0; i < d.count && d.out[i].step < 1000; i++) {
    low |= d.out[i].value == 1.0;
    high |= d.out[i].value == 999.0;
  }
  assert_true(low);
  assert_true(high);
  aeh_ui_downsample_free(&d);
}

static void
test_more_points_than_announced_go_to_the_last_bucket(void **state) {
  (void)state;
  aeh_ui_downsample d;
  assert_int_equal(aeh_ui_downsample_init(&d, 10000, 100), 0);
  feed(&d, 12000, ramp); /* a live writer added 2000 points meanwhile */
  assert_true(d.count <= 100);
  assert_int_equal(d.out[d.count - 1].step, 11999);
  aeh_ui_downsample_free(&d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_few_points_are_all_kept),
      cmocka_unit_test(test_empty_series),
      cmocka_unit_test(test_million_points_bounded_extremes_kept),
      cmocka_unit_test(test_nan_never_hides_an_extreme),
      cmocka_unit_test(test_more_points_than_announced_go_to_the_last_bucket),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
