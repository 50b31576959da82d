/* Benchmark fixture: N tracked actions that do the least a tracked action
 * can (write and declare one small file each: an action must declare the
 * outputs it lists), chained one after the other or all independent. Drives
 * tests/bench/bench_steps.sh (per-action overhead) and bench_plan.sh (`aerohost
 * list` of 100,000 actions). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <aeromancy/aeromancy.h>

#include "fixture_output.h"

#define BENCH_OPTIONS(X)                                                       \
  X(INT, actions, 'n', 10, "Number of actions")                                \
  X(CHOICE, shape, 0, ("chain", "wide", "fan-in"),                             \
    "chain: each action after the previous one; wide: all independent; "       \
    "fan-in: the last after all the others")                                   \
  X(BOOL, fresh, 0, false,                                                     \
    "Each action writes 100 bytes the store has never seen (a nonce) "         \
    "instead of its name")                                                     \
  X(INT, fresh_bytes, 0, 100, "How many bytes a --fresh action writes")        \
  X(INT, metrics, 0, 0, "Points each action logs, one aero_log_metric each")  \
  X(INT, slow_first, 0, 0,                                                     \
    "step-0 is volatile (never reused) and sleeps this many ms first")

typedef struct bench {
  int64_t actions;
  bool chain;
  bool fan_in;
  bool fresh;
  int64_t fresh_bytes;
  int64_t metrics;
  int64_t slow_first;
} bench;

static bench settings; /* one builder per process: static is enough */

static aero_status bench_new(void **self, int64_t actions, const char *shape,
                             bool fresh, int64_t fresh_bytes, int64_t metrics,
                             int64_t slow_first, aero_error *err) {
  if (actions < 1 || actions > 10000000)
    return aero_fail(err, AERO_E_INVALID,
                     "--actions must be between 1 and 10000000, got %lld",
                     (long long)actions);
  settings.actions = actions;
  settings.chain = strcmp(shape, "chain") == 0;
  settings.fan_in = strcmp(shape, "fan-in") == 0;
  settings.fresh = fresh;
  if (fresh_bytes < 100 || fresh_bytes > ((int64_t)1 << 24))
    return aero_fail(err, AERO_E_INVALID,
                     "--fresh-bytes must be between 100 and 16777216, got %lld",
                     (long long)fresh_bytes);
  settings.fresh_bytes = fresh_bytes;
  if (metrics < 0)
    return aero_fail(err, AERO_E_INVALID, "--metrics must be >= 0, got %lld",
                     (long long)metrics);
  settings.metrics = metrics;
  if (slow_first < 0 || slow_first > 600000)
    return aero_fail(err, AERO_E_INVALID,
                     "--slow-first must be between 0 and 600000 ms, got %lld",
                     (long long)slow_first);
  settings.slow_first = slow_first;
  *self = &settings;
  return AERO_OK;
}

/* NAME.txt holding --fresh-bytes bytes (100 by default) no run wrote
 * before: the wall clock in ns, the process id and the name, padded. */
static aero_status declare_fresh(aero_tracker *tracker, const char *name,
                                 aero_error *err) {
  size_t n = (size_t)settings.fresh_bytes;
  char nonce[101];
  char *content = malloc(n + 1);
  if (content == NULL)
    return aero_fail(err, AERO_E_NOMEM, "bench_steps: out of memory");
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  snprintf(nonce, sizeof nonce, "%lld.%09ld %ld %s", (long long)now.tv_sec,
           now.tv_nsec, (long)getpid(), name);
  memset(content, ' ', n - 1);
  memcpy(content, nonce, strlen(nonce));
  content[n - 1] = '\n';
  content[n] = '\0';
  aero_status st = fixture_declare_content(tracker, name, content, err);
  free(content);
  return st;
}

/* `data` is the action's index, smuggled in the pointer. */
static aero_status bench_run(void *data, aero_tracker *tracker,
                             aero_error *err) {
  char name[32];
  size_t index = (size_t)(uintptr_t)data;
  snprintf(name, sizeof name, "step-%zu", index);
  if (index == 0 && settings.slow_first > 0) {
    struct timespec pause = {.tv_sec = (time_t)(settings.slow_first / 1000),
                             .tv_nsec = (long)(settings.slow_first % 1000) *
                                        1000000L};
    while (nanosleep(&pause, &pause) != 0 && errno == EINTR)
      ;
  }
  for (int64_t i = 0; i < settings.metrics; i++) {
    aero_status st =
        aero_log_metric(tracker, "loss", 1.0 / (double)(i + 1), i, err);
    if (st != AERO_OK)
      return st;
  }
  if (settings.fresh)
    return declare_fresh(tracker, name, err);
  return fixture_declare_file(tracker, name, err);
}

/* The last action of a fan-in: after every other one. */
static aero_status add_fan_in(aero_graph *graph, int64_t last,
                              aero_error *err) {
  char (*names)[32] = calloc((size_t)last + 1, sizeof *names);
  const char **parents = calloc((size_t)last + 1, sizeof *parents);
  aero_status st = AERO_OK;
  if (names == NULL || parents == NULL)
    st = aero_fail(err, AERO_E_NOMEM, "bench_steps: out of memory");
  for (int64_t i = 0; st == AERO_OK && i <= last; i++) {
    snprintf(names[i], sizeof names[i], "step-%lld", (long long)i);
    parents[i] = names[i];
  }
  if (st == AERO_OK) {
    const char *outputs[] = {names[last]};
    st = aero_graph_add(
        graph,
        &AERO_ACTION(.job_type = "step", .outputs = outputs,
                     .output_count = 1, .parents = parents,
                     .parent_count = (size_t)last, .run = bench_run,
                     .data = (void *)(uintptr_t)last),
        err);
  }
  free(parents);
  free(names);
  return st;
}

static aero_status bench_build(void *self, aero_graph *graph, aero_error *err) {
  const bench *b = self;
  char name[32], parent[32];
  for (int64_t i = 0; i < b->actions; i++) {
    if (b->fan_in && i > 0 && i == b->actions - 1)
      return add_fan_in(graph, i, err);
    snprintf(name, sizeof name, "step-%lld", (long long)i);
    snprintf(parent, sizeof parent, "step-%lld", (long long)i - 1);
    const char *outputs[] = {name};
    const char *parents[] = {parent};
    bool has_parent = b->chain && i > 0;
    aero_status st = aero_graph_add(
        graph,
        &AERO_ACTION(.job_type = "step", .outputs = outputs, .output_count = 1,
                     .parents = has_parent ? parents : NULL,
                     .parent_count = has_parent ? 1 : 0, .run = bench_run,
                     .is_volatile = i == 0 && b->slow_first > 0,
                     .data = (void *)(uintptr_t)i),
        err);
    if (st != AERO_OK)
      return st;
  }
  return AERO_OK;
}

AERO_BUILDER(bench_builder, "bench", "N minimal tracked actions", BENCH_OPTIONS,
             bench_new, bench_build, NULL);

static aero_status bench_init(aero_registrar *reg, aero_error *err) {
  return aero_register_builder(reg, &bench_builder, err);
}

AERO_PLUGIN(AERO_PLUGIN_PROJECT, "bench_steps", "1.0.0", bench_init)
