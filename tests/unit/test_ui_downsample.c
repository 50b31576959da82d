/* Downsampling a metric series for a chart: every point when few, at most
 * the asked number however many, every extreme kept, order kept, with no
 * length known ahead. */
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
  size_t sizes[] = {0, 1, 100, 2000};
  for (size_t k = 0; k < 4; k++) {
    aeh_ui_downsample d;
    assert_int_equal(aeh_ui_downsample_init(&d, 2000), 0);
    feed(&d, sizes[k], ramp);
    assert_int_equal(d.count, sizes[k]);
    for (size_t i = 0; i < d.count; i++)
      assert_int_equal(d.out[i].step, (int64_t)i);
    aeh_ui_downsample_free(&d);
  }
}

/* Noise with one spike up and one down, anywhere. */
static size_t spike_up, spike_down;
static double spiky(size_t i) {
  if (i == spike_up)
    return 1e6;
  if (i == spike_down)
    return -1e6;
  return sin((double)i * 0.001);
}

static void check_bounded(size_t n, size_t up, size_t down) {
  spike_up = up;
  spike_down = down;
  aeh_ui_downsample d;
  assert_int_equal(aeh_ui_downsample_init(&d, 2000), 0);
  feed(&d, n, spiky);
  assert_true(d.count <= 2000);
  assert_true(d.count >= 250);
  assert_true(d.count < d.seen);
  int found_up = 0, found_down = 0;
  for (size_t i = 0; i < d.count; i++) {
    if (i > 0)
      assert_true(d.out[i].step > d.out[i - 1].step);
    found_up |= d.out[i].step == (int64_t)up && d.out[i].value == 1e6;
    found_down |= d.out[i].step == (int64_t)down && d.out[i].value == -1e6;
  }
  assert_true(found_up);
  assert_true(found_down);
  assert_int_equal(d.out[0].step, 0);
  assert_int_equal(d.out[d.count - 1].step, (int64_t)n - 1);
  aeh_ui_downsample_free(&d);
}

static void test_million_points_bounded_extremes_kept(void **state) {
  (void)state;
  check_bounded(1000000, 500123, 777777);
  check_bounded(1000000, 3, 999998); /* in the raw points, in the last */
}

static void test_every_length_stays_bounded(void **state) {
  (void)state;
  size_t sizes[] = {2001, 2007, 4000, 4001, 16385, 99999};
  for (size_t k = 0; k < 6; k++)
    check_bounded(sizes[k], sizes[k] / 3, sizes[k] - 2);
}

static double nan_first(size_t i) {
  return i % 1000 == 0 ? NAN : (double)i;
}

static void test_nan_never_hides_an_extreme(void **state) {
  (void)state;
  aeh_ui_downsample d;
  assert_int_equal(aeh_ui_downsample_init(&d, 400), 0);
  feed(&d, 100000, nan_first);
  double low = INFINITY, high = -INFINITY;
  for (size_t i = 0; i < d.count; i++)
    if (!isnan(d.out[i].value)) {
      low = fmin(low, d.out[i].value);
      high = fmax(high, d.out[i].value);
    }
  assert_true(low == 1.0);
  assert_true(high == 99999.0);
  aeh_ui_downsample_free(&d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_few_points_are_all_kept),
      cmocka_unit_test(test_million_points_bounded_extremes_kept),
      cmocka_unit_test(test_every_length_stays_bounded),
      cmocka_unit_test(test_nan_never_hides_an_extreme),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
