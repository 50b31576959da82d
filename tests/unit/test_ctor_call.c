/* Calling constructors through libffi: every option type, enough
 * parameters to spill onto the stack, failures, and a real plugin's
 * constructor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctor_call.h"
#include "loader.h"

/* What the constructors below received. */
static struct {
  int calls;
  bool b[4];
  int64_t i[8];
  double d[10];
  const char *s[2];
  aero_error *err;
} got;

static int token;

static aero_status every_type(void **self, bool flag, int64_t count,
                              double rate, const char *text, const char *choice,
                              aero_error *err) {
  got.calls++;
  got.b[0] = flag;
  got.i[0] = count;
  got.d[0] = rate;
  got.s[0] = text;
  got.s[1] = choice;
  got.err = err;
  *self = &token;
  return AERO_OK;
}

static const char *const choices[] = {"mse", "mae", NULL};

static const aero_option every_type_options[] = {
    {.type = AERO_OPT_BOOL, .name = "flag"},
    {.type = AERO_OPT_INT, .name = "count"},
    {.type = AERO_OPT_DOUBLE, .name = "rate"},
    {.type = AERO_OPT_STRING, .name = "text"},
    {.type = AERO_OPT_CHOICE, .name = "choice", .choices = choices},
};

static void every_type_reaches_the_constructor(void **state) {
  (void)state;
  memset(&got, 0, sizeof got);
  aero_scalar values[] = {{.b = true},
                          {.i = -1234567890123LL},
                          {.d = 0.015625},
                          {.s = "hello world"},
                          {.s = "mae"}};
  void *self = NULL;
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_ctor_call((void (*)(void))every_type, every_type_options,
                                 5, values, &self, &err),
                   AERO_OK);
  assert_int_equal(got.calls, 1);
  assert_true(got.b[0]);
  assert_int_equal(got.i[0], -1234567890123LL);
  assert_true(got.d[0] == 0.015625);
  assert_ptr_equal(got.s[0], values[3].s); /* borrowed, not copied */
  assert_string_equal(got.s[1], "mae");
  assert_non_null(got.err);
  assert_ptr_equal(self, &token);

  values[0].b = false;
  values[3].s = NULL;
  assert_int_equal(aeh_ctor_call((void (*)(void))every_type, every_type_options,
                                 5, values, &self, &err),
                   AERO_OK);
  assert_false(got.b[0]);
  assert_null(got.s[0]);
}

/* More integer and floating parameters than the x86-64 ABI has registers
 * for (6 and 8), interleaved with bools, so that some go on the stack. */
static aero_status many(void **self, int64_t i0, double d0, bool b0, int64_t i1,
                        double d1, int64_t i2, double d2, const char *s0,
                        int64_t i3, double d3, bool b1, int64_t i4, double d4,
                        int64_t i5, double d5, int64_t i6, double d6, bool b2,
                        double d7, int64_t i7, double d8, const char *s1,
                        double d9, bool b3, aero_error *err) {
  (void)err;
  int64_t is[] = {i0, i1, i2, i3, i4, i5, i6, i7};
  double ds[] = {d0, d1, d2, d3, d4, d5, d6, d7, d8, d9};
  bool bs[] = {b0, b1, b2, b3};
  memcpy(got.i, is, sizeof is);
  memcpy(got.d, ds, sizeof ds);
  memcpy(got.b, bs, sizeof bs);
  got.s[0] = s0;
  got.s[1] = s1;
  got.calls++;
  *self = NULL;
  return AERO_OK;
}

static void stack_parameters_keep_their_order(void **state) {
  (void)state;
  static const uint32_t types[] = {
      AERO_OPT_INT,    AERO_OPT_DOUBLE, AERO_OPT_BOOL,   AERO_OPT_INT,
      AERO_OPT_DOUBLE, AERO_OPT_INT,    AERO_OPT_DOUBLE, AERO_OPT_STRING,
      AERO_OPT_INT,    AERO_OPT_DOUBLE, AERO_OPT_BOOL,   AERO_OPT_INT,
      AERO_OPT_DOUBLE, AERO_OPT_INT,    AERO_OPT_DOUBLE, AERO_OPT_INT,
      AERO_OPT_DOUBLE, AERO_OPT_BOOL,   AERO_OPT_DOUBLE, AERO_OPT_INT,
      AERO_OPT_DOUBLE, AERO_OPT_STRING, AERO_OPT_DOUBLE, AERO_OPT_BOOL};
  enum { N = sizeof types / sizeof types[0] };
  aero_option options[N];
  aero_scalar values[N];
  char names[N][8];
  int64_t next_i = 100;
  double next_d = 0.5;
  bool next_b = true;
  static const char *const strings[] = {"first", "second"};
  int next_s = 0;
  for (size_t k = 0; k < N; k++) {
    snprintf(names[k], sizeof names[k], "o%zu", k);
    options[k] = (aero_option){.type = types[k], .name = names[k]};
    switch (types[k]) {
    case AERO_OPT_INT:
      values[k].i = next_i++ * -1000000007LL;
      break;
    case AERO_OPT_DOUBLE:
      values[k].d = next_d;
      next_d *= -3;
      break;
    case AERO_OPT_BOOL:
      values[k].b = next_b;
      next_b = !next_b;
      break;
    default:
      values[k].s = strings[next_s++];
    }
  }
  memset(&got, 0, sizeof got);
  void *self = &token;
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(
      aeh_ctor_call((void (*)(void))many, options, N, values, &self, &err),
      AERO_OK);
  assert_int_equal(got.calls, 1);
  assert_null(self);
  for (int k = 0; k < 8; k++)
    assert_int_equal(got.i[k], (100 + k) * -1000000007LL);
  double d = 0.5;
  for (int k = 0; k < 10; k++, d *= -3)
    assert_true(got.d[k] == d);
  assert_true(got.b[0]);
  assert_false(got.b[1]);
  assert_true(got.b[2]);
  assert_false(got.b[3]);
  assert_string_equal(got.s[0], "first");
  assert_string_equal(got.s[1], "second");
}

static aero_status no_options(void **self, aero_error *err) {
  (void)err;
  got.calls++;
  *self = &got;
  return AERO_OK;
}

static void constructor_without_options(void **state) {
  (void)state;
  memset(&got, 0, sizeof got);
  void *self = NULL;
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(
      aeh_ctor_call((void (*)(void))no_options, NULL, 0, NULL, &self, &err),
      AERO_OK);
  assert_int_equal(got.calls, 1);
  assert_ptr_equal(self, &got);
}

static aero_status fails_with_message(void **self, int64_t n, aero_error *err) {
  *self = &token; /* written, but a failed call must not hand it out */
  return aeh_error_set(err, AERO_E_CONFIG, "n must be positive, got %lld",
                       (long long)n);
}

static aero_status fails_silently(void **self, aero_error *err) {
  (void)self;
  (void)err;
  return AERO_E_IO;
}

static aero_status returns_positive(void **self, aero_error *err) {
  (void)self;
  (void)err;
  return (aero_status)7;
}

static void failures_keep_status_and_message(void **state) {
  (void)state;
  aero_option n = {.type = AERO_OPT_INT, .name = "n"};
  aero_scalar v = {.i = -5};
  void *self = NULL;
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(
      aeh_ctor_call((void (*)(void))fails_with_message, &n, 1, &v, &self, &err),
      AERO_E_CONFIG);
  assert_string_equal(err.message, "n must be positive, got -5");
  assert_null(self);

  assert_int_equal(
      aeh_ctor_call((void (*)(void))fails_silently, NULL, 0, NULL, &self, &err),
      AERO_E_IO);
  assert_string_equal(err.message,
                      "input/output error (status -3, no message)");
  assert_null(self);

  assert_int_equal(aeh_ctor_call((void (*)(void))returns_positive, NULL, 0,
                                 NULL, &self, &err),
                   AERO_E_INVALID);
  assert_null(self);
}

static void bad_calls_are_refused(void **state) {
  (void)state;
  void *self = NULL;
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_ctor_call(NULL, NULL, 0, NULL, &self, &err),
                   AERO_E_INVALID);
  aero_option weird = {.type = 9, .name = "weird"};
  aero_scalar v = {0};
  assert_int_equal(
      aeh_ctor_call((void (*)(void))no_options, &weird, 1, &v, &self, &err),
      AERO_E_INVALID);
  assert_string_equal(err.message, "option 'weird' has unknown type 9");
  assert_null(self);
}

/* ldr_good's constructor, in a real dlopened plugin. */
static void real_plugin_constructor(void **state) {
  (void)state;
  const char *dir = getenv("AERO_FIXTURES");
  assert_non_null(dir);
  char path[4096];
  snprintf(path, sizeof path, "%s/ldr_good.so", dir);
  aeh_plugin *p = NULL;
  aero_error err = AEH_ERROR_INIT;
  if (aeh_plugin_load(path, AERO_PLUGIN_PROJECT, &p, &err) != AERO_OK)
    fail_msg("%s", err.message);
  const aero_builder_vtable *b = aeh_plugin_builder(p, 0);
  aero_scalar values[6];
  for (size_t i = 0; i < b->option_count; i++)
    values[i] = b->options[i].def;
  values[1].i = 77;
  void *self = NULL;
  assert_int_equal(aeh_ctor_call(b->constructor, b->options, b->option_count,
                                 values, &self, &err),
                   AERO_OK);
  assert_non_null(self);
  /* ldr_good's state starts with its output names. */
  assert_string_equal((const char *)self + 512, "epochs.77");
  b->destroy(self);
  aeh_plugin_unload(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_type_reaches_the_constructor),
      cmocka_unit_test(stack_parameters_keep_their_order),
      cmocka_unit_test(constructor_without_options),
      cmocka_unit_test(failures_keep_status_and_message),
      cmocka_unit_test(bad_calls_are_refused),
      cmocka_unit_test(real_plugin_constructor),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
