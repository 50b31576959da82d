/* aeu_format_double (host/util/format_number.c): what aeromancy metrics
 * prints for every point must read back as exactly the stored double, and
 * be no longer than the shortest decimal that does. Checked against glibc
 * (strtod, and printf at every precision) on tricky values and on many
 * random doubles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aeu.h"

static uint64_t bits_of(double v) {
  uint64_t b;
  memcpy(&b, &v, sizeof b);
  return b;
}

static double from_bits(uint64_t b) {
  double v;
  memcpy(&v, &b, sizeof v);
  return v;
}

/* xorshift64*: reproducible random doubles without libc's rand() range. */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next_random(void) {
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return rng * 0x2545f4914f6cdd1dULL;
}

/* Significant digits of a decimal as printed (sign, leading and trailing
 * zeros and the exponent not counted). */
static int significant_digits(const char *text) {
  char mant[64];
  size_t n = strcspn(text, "eE");
  snprintf(mant, sizeof mant, "%.*s", (int)n, text);
  char digits[64];
  size_t k = 0;
  for (const char *c = mant; *c != '\0'; c++)
    if (*c >= '0' && *c <= '9')
      digits[k++] = *c;
  digits[k] = '\0';
  size_t start = strspn(digits, "0");
  while (k > start && digits[k - 1] == '0')
    k--;
  return k > start ? (int)(k - start) : 1;
}

/* The fewest significant digits with which printf's %g reads back. */
static int shortest_digits(double v) {
  char buf[64];
  for (int p = 1; p <= 17; p++) {
    snprintf(buf, sizeof buf, "%.*g", p, v);
    if (bits_of(strtod(buf, NULL)) == bits_of(v))
      return p;
  }
  return 17;
}

static void check(double v, bool shortest) {
  char out[AEU_DOUBLE_CHARS];
  memset(out, 'x', sizeof out);
  size_t len = aeu_format_double(v, out);
  if (len >= AEU_DOUBLE_CHARS || strlen(out) != len)
    fail_msg("%a: length %zu", v, len);
  char *end = NULL;
  double back = strtod(out, &end);
  if (*end != '\0' ||
      (bits_of(back) != bits_of(v) && !(isnan(v) && isnan(back))))
    fail_msg("%a (%.17g) printed as \"%s\", which reads back as %a", v, v, out,
             back);
  if (shortest && isfinite(v) && significant_digits(out) > shortest_digits(v))
    fail_msg("%a printed as \"%s\" where %d digits read back", v, out,
             shortest_digits(v));
}

static void tricky_values_read_back_exactly_and_shortest(void **state) {
  (void)state;
  const double values[] = {0.0,
                           -0.0,
                           1.0,
                           -1.0,
                           0.1,
                           0.2,
                           0.3,
                           0.1 + 0.2,
                           1.0 / 3,
                           2.0 / 3,
                           123.456,
                           -2.5,
                           0.5,
                           0.25,
                           0.125,
                           1e-4,
                           1e-5,
                           1e-6,
                           1.5e-6,
                           1e-7,
                           9.999999999999999e-7,
                           1.0000000000000002e-6,
                           123456789.123456789,
                           4503599627370496.5,
                           4503599627370495.5,
                           9007199254740991.0,
                           9007199254740992.0,
                           9007199254740994.0,
                           1e15,
                           1e16,
                           1e17,
                           1e22,
                           1e23,
                           1.7976931348623157e308,
                           DBL_MIN,
                           DBL_TRUE_MIN,
                           -DBL_TRUE_MIN,
                           2.2250738585072009e-308,
                           5e-324,
                           0.30000000000000004,
                           0.99999999999999989,
                           0.9999999999999999,
                           99999999999999.99,
                           999999999999999.9,
                           1e-300,
                           6.02214076e23,
                           2.718281828459045,
                           3.141592653589793,
                           1.7976931348623157e-300,
                           0.015625,
                           1099511627776.5,
                           8.589973e9,
                           5.0e-1,
                           1.2345678901234567e-5,
                           7.0e-10};
  for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
    check(values[i], true);
    check(-values[i], true);
  }
  /* Around every power of two in range (where the gap below is half the
   * gap above) and every power of ten. */
  for (int e = -1074; e <= 1023; e++) {
    double p2 = ldexp(1.0, e);
    check(p2, true);
    check(nextafter(p2, 0), true);
    check(nextafter(p2, INFINITY), true);
  }
  for (int e = -30; e <= 30; e++) {
    double p10 = pow(10, e);
    check(p10, true);
    check(nextafter(p10, 0), true);
    check(nextafter(p10, INFINITY), true);
    check(1.0 / (e + 31), true);
  }
  check(INFINITY, false);
  check(-INFINITY, false);
  check(NAN, false);
}

static void random_doubles_read_back_exactly(void **state) {
  (void)state;
  /* Any bit pattern (every exponent; NaNs skipped). */
  for (int i = 0; i < 300000; i++) {
    double v = from_bits(next_random());
    if (!isnan(v))
      check(v, i % 10 == 0);
  }
  /* Where metrics live, log-uniform over 1e-8 .. 1e17, full mantissas. */
  for (int i = 0; i < 300000; i++) {
    double e = -8 + 25 * ((double)(next_random() >> 11) / 9007199254740992.0);
    double v = pow(10, e);
    v = from_bits(bits_of(v) ^ (next_random() & 0xfffffULL));
    check(v, i % 5 == 0);
  }
  /* A loss curve: 1 / (j + 1), as bench_query logs it. */
  for (int j = 0; j < 100000; j++)
    check(1.0 / (j + 1), j % 10 == 0);
}

static void layout_is_like_printf_g(void **state) {
  (void)state;
  const struct {
    double v;
    const char *text;
  } cases[] = {{0.1, "0.1"},
               {3.0, "3"},
               {-0.0, "-0"},
               {1e-4, "0.0001"},
               {1e-5, "1e-05"},
               {1.5e-6, "1.5e-06"},
               {123.456, "123.456"},
               {-2.5, "-2.5"},
               {1e15, "1000000000000000"},
               {1.0 / 3, "0.3333333333333333"},
               {0.1 + 0.2, "0.30000000000000004"},
               {2251799813685248.5, "2251799813685248.5"},
               {1e-300, "1e-300"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char out[AEU_DOUBLE_CHARS];
    aeu_format_double(cases[i].v, out);
    assert_string_equal(out, cases[i].text);
  }
}

static void integers_print_exactly(void **state) {
  (void)state;
  char out[21];
  assert_int_equal(aeu_format_i64(0, out), 1);
  assert_string_equal(out, "0");
  aeu_format_i64(-1, out);
  assert_string_equal(out, "-1");
  assert_int_equal(aeu_format_i64(INT64_MIN, out), 20);
  assert_string_equal(out, "-9223372036854775808");
  aeu_format_i64(INT64_MAX, out);
  assert_string_equal(out, "9223372036854775807");
  assert_int_equal(aeu_format_u64(UINT64_MAX, out), 20);
  assert_string_equal(out, "18446744073709551615");
  for (int i = 0; i < 100000; i++) {
    int64_t v = (int64_t)next_random() >> (next_random() % 64);
    char want[32];
    snprintf(want, sizeof want, "%lld", (long long)v);
    aeu_format_i64(v, out);
    assert_string_equal(out, want);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(tricky_values_read_back_exactly_and_shortest),
      cmocka_unit_test(random_doubles_read_back_exactly),
      cmocka_unit_test(layout_is_like_printf_g),
      cmocka_unit_test(integers_print_exactly),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
