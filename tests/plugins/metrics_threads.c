/* Fixture for tracker calls made by several threads of one action at once
 * (tests/cli/test_metrics_threads.sh). Two actions: [seed] declares its
 * output `seed`; [hammer] (its child) starts `--threads` threads at once,
 * and thread i, for step j in 0..`--points`-1:
 *   logs t<i> = i * points + j at step j (aero_log_metric), and every
 *   8th step also t<i> and t<i>.pair = j in one aero_log_metrics call
 *   (so t<i> gets `points` points, t<i>.pair points/8);
 *   every 500th step logs a line, reads aero_workdir, declares the input
 *   `seed` (and checks what it got);
 *   at step points/4 declares its own output t<i>.
 * The action returns the first failure of any thread; the test compares
 * what was recorded, point by point, with the above. */
#include <aeromancy/aeromancy.h>

#include "fixture_output.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define THREADS_MAX 8

#define THREADS_OPTIONS(X)                                                     \
  X(INT, threads, 0, 8, "Threads logging at once (1 to 8)")                    \
  X(INT, points, 0, 20000, "Points each thread logs under its key")

typedef struct hammer {
  int64_t threads;
  int64_t points;
} hammer;

static hammer config; /* one builder per process */

typedef struct worker {
  aero_tracker *tracker;
  int index;
  aero_status status;
  const char *what; /* the call that failed */
  int64_t step;
} worker;

static atomic_int started; /* threads waiting at the start line */

static aero_status every_500(worker *w, int64_t j) {
  aero_logf(w->tracker, AERO_LOG_INFO, "thread %d at step %lld", w->index,
            (long long)j);
  const char *dir = aero_workdir(w->tracker);
  if (dir == NULL)
    return w->what = "aero_workdir", AERO_E_ACTION;
  /* No error object of its own (the host owns them): NULL. */
  aero_input in;
  aero_status st = aero_declare_input(w->tracker, "seed", &in, NULL);
  if (st != AERO_OK)
    return w->what = "aero_declare_input", st;
  if (in.path_count != 1 || strstr(in.paths[0], "seed.txt") == NULL)
    return w->what = "aero_declare_input (files)", AERO_E_ACTION;
  return AERO_OK;
}

static aero_status work(worker *w) {
  char key[16], pair[24], output[8];
  snprintf(key, sizeof key, "t%d", w->index);
  snprintf(pair, sizeof pair, "t%d.pair", w->index);
  snprintf(output, sizeof output, "t%d", w->index);
  for (int64_t j = 0; j < config.points; j++) {
    w->step = j;
    w->what = "aero_log_metrics";
    double value = (double)(w->index * config.points + j);
    aero_status st;
    if (j % 8 == 7) {
      aero_metric both[] = {{key, value}, {pair, (double)j}};
      st = aero_log_metrics(w->tracker, both, 2, j, NULL);
    } else {
      st = aero_log_metric(w->tracker, key, value, j, NULL);
    }
    if (st == AERO_OK && j % 500 == 0)
      st = every_500(w, j);
    if (st == AERO_OK && j == config.points / 4) {
      w->what = "aero_declare_output";
      st = fixture_declare_file(w->tracker, output, NULL);
    }
    if (st != AERO_OK)
      return st;
  }
  return AERO_OK;
}

static void *worker_main(void *arg) {
  worker *w = arg;
  /* All at the start line first: the calls overlap from the first one. */
  atomic_fetch_add(&started, 1);
  while (atomic_load(&started) < config.threads)
    sched_yield();
  w->status = work(w);
  return NULL;
}

static aero_status hammer_run(void *data, aero_tracker *tracker,
                              aero_error *err) {
  (void)data;
  worker workers[THREADS_MAX];
  pthread_t threads[THREADS_MAX];
  int64_t n = 0;
  for (; n < config.threads; n++) {
    workers[n] = (worker){.tracker = tracker, .index = (int)n};
    if (pthread_create(&threads[n], NULL, worker_main, &workers[n]) != 0)
      break;
  }
  for (int64_t i = 0; i < n; i++)
    pthread_join(threads[i], NULL);
  if (n < config.threads)
    return aero_fail(err, AERO_E_ACTION, "cannot start thread %lld",
                     (long long)n);
  for (int64_t i = 0; i < n; i++)
    if (workers[i].status != AERO_OK)
      return aero_fail(err, workers[i].status,
                       "thread %lld: %s failed at step %lld (status %d)",
                       (long long)i, workers[i].what,
                       (long long)workers[i].step, (int)workers[i].status);
  return AERO_OK;
}

static aero_status seed_run(void *data, aero_tracker *tracker,
                            aero_error *err) {
  (void)data;
  return fixture_declare_file(tracker, "seed", err);
}

static aero_status hammer_new(void **self, int64_t threads, int64_t points,
                              aero_error *err) {
  if (threads < 1 || threads > THREADS_MAX || points < 1)
    return aero_fail(err, AERO_E_INVALID,
                     "--threads must be 1 to %d and --points positive",
                     THREADS_MAX);
  config = (hammer){.threads = threads, .points = points};
  *self = &config;
  return AERO_OK;
}

static aero_status hammer_build(void *self, aero_graph *graph,
                                aero_error *err) {
  (void)self;
  static const char *seed[] = {"seed"};
  static const char *outputs[THREADS_MAX] = {"t0", "t1", "t2", "t3",
                                             "t4", "t5", "t6", "t7"};
  aero_status st =
      aero_graph_add(graph,
                     &AERO_ACTION(.job_type = "seed", .outputs = seed,
                                  .output_count = 1, .run = seed_run),
                     err);
  if (st == AERO_OK)
    st = aero_graph_add(graph,
                        &AERO_ACTION(.job_type = "hammer", .outputs = outputs,
                                     .output_count = (size_t)config.threads,
                                     .parents = seed, .parent_count = 1,
                                     .run = hammer_run),
                        err);
  return st;
}

AERO_BUILDER(hammer_builder, "hammer", "Tracker calls from many threads",
             THREADS_OPTIONS, hammer_new, hammer_build, NULL);

static aero_status hammer_init(aero_registrar *reg, aero_error *err) {
  return aero_register_builder(reg, &hammer_builder, err);
}
AERO_PLUGIN(AERO_PLUGIN_PROJECT, "metrics_threads", "1.0.0", hammer_init)
