/* Fixture for metrics still on their way when an action ends
 * (tests/cli/test_metrics_inflight.sh). One action, [log] points, which
 * declares its output and then, by `--how`:
 *   burst   logs `--count` points in a tight loop (so that the relay
 *           holds them) and returns OK at once;
 *   thread  starts a thread that logs points in a tight loop and never
 *           stops, and returns OK once it logged `--count` (plugin code
 *           that does not join its threads);
 *   kill    logs `--count` points in a tight loop, then kills its own
 *           process with SIGKILL (what it held is lost with it);
 *   thread_kill  as thread, but kills its own process with SIGKILL once
 *           the thread logged `--count` (maybe while it sends).
 * Every log call that returned AERO_OK is counted in `--tally` (8 bytes,
 * shared with the file, so that the count outlives the process), for the
 * test to compare with the points recorded. */
#include <aeromancy/aeromancy.h>

#include "fixture_output.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define INFLIGHT_OPTIONS(X)                                                    \
  X(CHOICE, how, 0, ("burst", "thread", "kill", "thread_kill"),                \
    "How the action logs")                                                     \
  X(INT, count, 0, 20000, "Points to log (before returning)")                  \
  X(STRING, tally, 0, NULL, "File counting the log calls that succeeded")

typedef struct inflight {
  char how[16];
  int64_t count;
  char tally[4096];
} inflight;

static inflight config; /* one builder per process */

static _Atomic int64_t *tally; /* in the --tally file's shared mapping */
static aero_tracker *logger_tracker;

static aero_status map_tally(aero_error *err) {
  int fd = open(config.tally, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || ftruncate(fd, sizeof *tally) != 0)
    return aero_fail(err, AERO_E_IO, "cannot create %s", config.tally);
  void *p =
      mmap(NULL, sizeof *tally, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (p == MAP_FAILED)
    return aero_fail(err, AERO_E_IO, "cannot map %s", config.tally);
  tally = p;
  return AERO_OK;
}

/* Logs point `i`; counts it when the call succeeded. */
static aero_status log_point(aero_tracker *tracker, int64_t i,
                             aero_error *err) {
  aero_status status = aero_log_metric(tracker, "x", (double)i, i, err);
  if (status == AERO_OK)
    atomic_fetch_add(tally, 1);
  return status;
}

static void *logger(void *arg) {
  (void)arg;
  /* No error object of its own (the host owns them): NULL. */
  for (int64_t i = 0;; i++)
    (void)log_point(logger_tracker, i, NULL);
  return NULL;
}

static aero_status log_run(void *data, aero_tracker *tracker, aero_error *err) {
  (void)data;
  if (map_tally(err) != AERO_OK ||
      fixture_declare_file(tracker, "points", err) != AERO_OK)
    return AERO_E_IO;
  if (strncmp(config.how, "thread", 6) == 0) {
    logger_tracker = tracker;
    pthread_t thread;
    if (pthread_create(&thread, NULL, logger, NULL) != 0)
      return aero_fail(err, AERO_E_ACTION, "cannot start a thread");
    while (atomic_load(tally) < config.count) {
      struct timespec pause = {0, 100000};
      nanosleep(&pause, NULL);
    }
    if (strcmp(config.how, "thread_kill") == 0)
      raise(SIGKILL);
    return AERO_OK;
  }
  for (int64_t i = 0; i < config.count; i++)
    if (log_point(tracker, i, err) != AERO_OK)
      return AERO_E_ACTION;
  if (strcmp(config.how, "kill") == 0)
    raise(SIGKILL);
  return AERO_OK;
}

static aero_status inflight_new(void **self, const char *how, int64_t count,
                                const char *tally_path, aero_error *err) {
  if (tally_path == NULL)
    return aero_fail(err, AERO_E_INVALID, "--tally is required");
  snprintf(config.how, sizeof config.how, "%s", how);
  config.count = count;
  snprintf(config.tally, sizeof config.tally, "%s", tally_path);
  *self = &config;
  return AERO_OK;
}

static aero_status inflight_build(void *self, aero_graph *graph,
                                  aero_error *err) {
  (void)self;
  const char *outputs[] = {"points"};
  return aero_graph_add(graph,
                        &AERO_ACTION(.job_type = "log", .outputs = outputs,
                                     .output_count = 1, .run = log_run),
                        err);
}

AERO_BUILDER(inflight_builder, "inflight", "Metrics in flight at the end",
             INFLIGHT_OPTIONS, inflight_new, inflight_build, NULL);

static aero_status inflight_init(aero_registrar *reg, aero_error *err) {
  return aero_register_builder(reg, &inflight_builder, err);
}
AERO_PLUGIN(AERO_PLUGIN_PROJECT, "metrics_inflight", "1.0.0", inflight_init)
