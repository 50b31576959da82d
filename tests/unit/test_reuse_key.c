/* The reuse key's config part (host/exec/reuse_key.c) when the action has
 * more config entries than it sorts on the stack (64) and the allocation
 * of the sorted list fails: the values are still hashed, so that two
 * configs differing only in a value never share a key (a false reuse).
 * The allocation is made to fail through the linker
 * (-Wl,--wrap=malloc, tests/CMakeLists.txt): only while `failing` is set,
 * around one aeh_reuse_key_of call. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/reuse_key.h"
#include "graph.h"
#include "tracker.h"
#include "tracker_private.h"

/* While set, every malloc fails; `failed` counts those that did. */
static bool failing;
static int failed;

void *__real_malloc(size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_malloc(size_t size) {
  if (failing) {
    failed++;
    return NULL;
  }
  return __real_malloc(size);
}

/* More than the 64 entries reuse_key.c sorts without allocating. */
#define ENTRIES 65

typedef struct fixture {
  char keys[ENTRIES][16];
  aero_kv config[ENTRIES];
  aeh_action action;
  aeh_session session;
  struct aeh_run run; /* no inputs */
} fixture;

/* ENTRIES int entries k00..k64 = 0..64, declared in reverse key order
 * when `reversed` (so that sorting them changes their order). */
static void make(fixture *f, bool reversed) {
  memset(f, 0, sizeof *f);
  for (int i = 0; i < ENTRIES; i++) {
    int at = reversed ? ENTRIES - 1 - i : i;
    snprintf(f->keys[at], sizeof f->keys[at], "k%02d", i);
    f->config[at] = (aero_kv){.key = f->keys[at],
                              .value = {.type = AERO_VALUE_INT, .as.i = i}};
  }
  static char job_type[] = "train";
  f->action.job_type = job_type;
  f->action.config = f->config;
  f->action.config_count = ENTRIES;
  f->session.entity = "";
  f->session.project = "p";
  f->session.dev = true;
}

static void key_of(const fixture *f, bool fail_alloc, aeh_reuse_key *out) {
  failing = fail_alloc;
  aeh_reuse_key_of(&f->session, &f->action, &f->run, out);
  failing = false;
}

/* The config part's 16 hex digits, from `parts`. */
static const char *config_part(const aeh_reuse_key *k) {
  static char buf[2][17];
  static int which;
  const char *at = strstr(k->parts, "config=");
  assert_non_null(at);
  char *out = buf[which++ % 2];
  snprintf(out, 17, "%s", at + strlen("config="));
  return out;
}

static void values_hashed_when_the_sort_cannot_allocate(void **state) {
  (void)state;
  static fixture a, b;
  make(&a, false);
  make(&b, false);
  b.config[40].value.as.i = 41; /* one value differs, every key the same */
  aeh_reuse_key ka, kb;
  failed = 0;
  key_of(&a, true, &ka);
  assert_true(failed > 0); /* the premise: the sort's list was not had */
  failed = 0;
  key_of(&b, true, &kb);
  assert_true(failed > 0);
  assert_string_not_equal(ka.key, kb.key);
  assert_string_not_equal(config_part(&ka), config_part(&kb));
  /* The job (which action) is the same: only the config differs. */
  assert_string_equal(ka.job, kb.job);
}

static void sorted_when_the_sort_can_allocate(void **state) {
  (void)state;
  static fixture a, b, c;
  make(&a, false);
  make(&b, true);
  make(&c, false);
  c.config[40].value.as.i = 41;
  aeh_reuse_key ka, kb, kc;
  failed = 0;
  key_of(&a, false, &ka);
  key_of(&b, false, &kb);
  key_of(&c, false, &kc);
  assert_int_equal(failed, 0);
  /* Sorted: the order entries are declared in does not count. */
  assert_string_equal(ka.key, kb.key);
  assert_string_not_equal(ka.key, kc.key);
  /* Out of memory, the declared order counts (a reuse missed, never a
   * false one): the reversed config hashes otherwise. */
  aeh_reuse_key ra;
  key_of(&b, true, &ra);
  assert_string_not_equal(ra.key, kb.key);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(values_hashed_when_the_sort_cannot_allocate),
      cmocka_unit_test(sorted_when_the_sort_can_allocate),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
