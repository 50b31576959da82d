/* Numbers as text, exact and fast: what `aeromancy metrics` writes for
 * every one of millions of points (docs/performance.md).
 *
 * Why hand-written: glibc's printf("%.17g") costs ~0.4 us a double and was
 * most of the time of streaming metrics; the Debian library that prints
 * shortest round-trip doubles (libdouble-conversion) is C++ only. This one
 * stays small because it needs no tables of cached powers: it works on the
 * double's exact value with 128-bit integers, in the range where they hold
 * it, and hands everything else to glibc's exact printf and strtod.
 *
 * The method, for a finite v = m * 2^-s (m < 2^53) in [1e-7, 2^53): for n =
 * 15, 16, 17 significant digits, the nearest n-digit decimal D * 10^-j is
 * D = round(m * 10^j / 2^s), computed exactly (m * 10^j < 2^128 while j <=
 * 22), with the exact remainder. D * 10^-j reads back as v (strtod rounds
 * to nearest) when it lies inside v's rounding interval, half an ulp on
 * each side (a quarter below a power of two); the remainder says exactly
 * how far it is, so the test is exact. The first n that passes wins, its
 * trailing zeros dropped: any decimal of at most 15 digits inside the
 * interval is the nearest 15-digit one (15-digit decimals are further
 * apart than the interval is wide), and if the nearest n-digit decimal is
 * outside, every other n-digit one is too, so the length is the shortest.
 * Exact ties are treated as outside (a digit more, still exact). 17 digits
 * always pass; should they not, glibc is asked.
 */
#include "aeu.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 128-bit unsigned integers: a GCC and Clang extension on 64-bit targets. */
__extension__ typedef unsigned __int128 u128;

static const uint64_t pow10_u64[20] = {1ULL,
                                       10ULL,
                                       100ULL,
                                       1000ULL,
                                       10000ULL,
                                       100000ULL,
                                       1000000ULL,
                                       10000000ULL,
                                       100000000ULL,
                                       1000000000ULL,
                                       10000000000ULL,
                                       100000000000ULL,
                                       1000000000000ULL,
                                       10000000000000ULL,
                                       100000000000000ULL,
                                       1000000000000000ULL,
                                       10000000000000000ULL,
                                       100000000000000000ULL,
                                       1000000000000000000ULL,
                                       10000000000000000000ULL};

/* 10^j for 0 <= j <= 38. */
static u128 pow10_128(int j) {
  return j < 20 ? pow10_u64[j] : (u128)pow10_u64[19] * pow10_u64[j - 19];
}

/* "00" "01" ... "99": two digits per division. */
static const char digit_pairs[201] = "0001020304050607080910111213141516171819"
                                     "2021222324252627282930313233343536373839"
                                     "4041424344454647484950515253545556575859"
                                     "6061626364656667686970717273747576777879"
                                     "8081828384858687888990919293949596979899";

size_t aeu_format_u64(uint64_t v, char *out) {
  char tmp[20];
  char *t = tmp + sizeof tmp;
  while (v >= 100) {
    t -= 2;
    memcpy(t, digit_pairs + 2 * (v % 100), 2);
    v /= 100;
  }
  if (v >= 10) {
    t -= 2;
    memcpy(t, digit_pairs + 2 * v, 2);
  } else {
    *--t = (char)('0' + v);
  }
  size_t n = (size_t)(tmp + sizeof tmp - t);
  memcpy(out, t, n);
  out[n] = '\0';
  return n;
}

size_t aeu_format_i64(int64_t v, char *out) {
  if (v >= 0)
    return aeu_format_u64((uint64_t)v, out);
  out[0] = '-';
  return 1 + aeu_format_u64(-(uint64_t)v, out + 1);
}

/* The nearest decimal with j digits after the point to m * 2^-s, in *d;
 * true when it reads back as that double. `power_of_two`: m is 2^52, where
 * the next double below is half as far as the one above. */
static bool nearest(uint64_t m, int s, bool power_of_two, int j, uint64_t *d) {
  u128 x = (u128)m * pow10_128(j);
  u128 q = x >> s;
  u128 rem = x - (q << s);
  u128 half = (u128)1 << (s - 1);
  u128 off; /* |D * 2^s - m * 10^j|: the distance, in units of 2^-s 10^-j */
  bool below = true;
  if (rem > half || (rem == half && (q & 1) != 0)) {
    q++;
    off = ((u128)1 << s) - rem;
    below = false;
  } else {
    off = rem;
  }
  /* Inside: off < half an ulp = 10^j / 2 (a quarter below a power of two). */
  u128 scaled = (below && power_of_two) ? off * 4 : off * 2;
  *d = (uint64_t)q;
  return scaled < pow10_128(j);
}

/* Writes D * 10^-j like printf's %.17g would lay it out: plain while the
 * first digit's exponent is in [-4, 17), else with an exponent. */
static size_t layout(uint64_t d, int j, char *out) {
  while (d % 10 == 0 && d != 0) {
    d /= 10;
    j--;
  }
  char digits[21];
  int nd = (int)aeu_format_u64(d, digits);
  int x = nd - 1 - j; /* the exponent of the first digit */
  char *p = out;
  if (x < -4 || x >= 17) {
    *p++ = digits[0];
    if (nd > 1) {
      *p++ = '.';
      for (int i = 1; i < nd; i++)
        *p++ = digits[i];
    }
    *p++ = 'e';
    *p++ = x < 0 ? '-' : '+';
    int ax = x < 0 ? -x : x;
    if (ax >= 100)
      *p++ = (char)('0' + ax / 100);
    *p++ = (char)('0' + ax / 10 % 10);
    *p++ = (char)('0' + ax % 10);
  } else if (x >= 0) {
    for (int i = 0; i <= x; i++)
      *p++ = i < nd ? digits[i] : '0';
    if (nd > x + 1) {
      *p++ = '.';
      for (int i = x + 1; i < nd; i++)
        *p++ = digits[i];
    }
  } else {
    *p++ = '0';
    *p++ = '.';
    for (int i = 0; i < -x - 1; i++)
      *p++ = '0';
    for (int i = 0; i < nd; i++)
      *p++ = digits[i];
  }
  *p = '\0';
  return (size_t)(p - out);
}

size_t aeu_format_double(double v, char *out) {
  char *p = out;
  double a = fabs(v);
  if (isfinite(v) && a < 9007199254740992.0 /* 2^53 */) {
    if (signbit(v))
      *p++ = '-';
    if (a == (double)(uint64_t)a) /* integral: exact as an integer */
      return (size_t)(p - out) + aeu_format_u64((uint64_t)a, p);
    /* a = m * 2^-s, from its bits (right for normal numbers, the only
     * ones used below, where 1 <= s <= 80). */
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    int biased = (int)(bits >> 52);
    uint64_t m = (bits & ((1ULL << 52) - 1)) | (1ULL << 52);
    int s = 1075 - biased;
    bool power_of_two = m == (1ULL << 52);
    /* E, the exponent of a's first digit: floor(log10(2^(e - 1))) for a in
     * [2^(e - 1), 2^e), which is E or E - 1, and a * 10^(15 - estimate) >=
     * 10^16 exactly when it is E - 1. (n * 78913) >> 18 is floor(n *
     * log10(2)) for |n| <= 1100 (the arithmetic shift of GCC and Clang
     * rounds down). */
    int e10 = ((52 - s) * 78913) >> 18;
    if (e10 >= -7) { /* m * 10^j fits in 128 bits up to j = 22 */
      if (((u128)m * pow10_128(15 - e10)) >> s >= pow10_u64[16])
        e10++;
      for (int n = 15; n <= 17; n++) {
        int j = n - 1 - e10;
        uint64_t d;
        if (j >= 0 && j <= 22 && nearest(m, s, power_of_two, j, &d))
          return (size_t)(p - out) + layout(d, j, p);
      }
    }
  }
  /* Outside the exact range (and for 17 digits below 1e-6, where 10^j
   * would pass 10^22; and a 17-digit miss, which cannot happen): glibc's
   * correctly rounded 15, 16, then 17 digits, the first that reads back (the
   * same shortest length, by the argument above, but for subnormals, whose ulp
   * is wide: from 1 digit); inf and nan. */
  for (int n = fabs(v) < DBL_MIN ? 1 : 15; n < 17 && isfinite(v); n++) {
    snprintf(out, AEU_DOUBLE_CHARS, "%.*g", n, v);
    if (strtod(out, NULL) == v)
      return strlen(out);
  }
  return (size_t)snprintf(out, AEU_DOUBLE_CHARS, "%.17g", v);
}
