/* Fixture for how aerohost reports an action's tracker channel and log
 * lines (tests/cli/test_reporting.sh): two independent actions, [first]
 * one and [second] two. `--how` makes [first]:
 *   garbage  write a frame of an unknown kind on every socket it holds
 *            (plugin code scribbling on the tracker channel), log a
 *            metric, return OK;
 *   huge     the same with a frame length over the relay's limit;
 *   metrics  log `--count` metrics with long keys, one call at a time with
 *            a short pause, so that they reach the host in many batches;
 *   logf     aero_logf one line at INFO and one at WARN, return OK.
 * Every action that returns OK declares its output first. */
#include <aeromancy/aeromancy.h>

#include "fixture_output.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MISUSE_OPTIONS(X)                                                      \
  X(CHOICE, how, 0, ("logf", "garbage", "huge", "metrics"),                    \
    "What the first action does")                                              \
  X(INT, count, 0, 300, "Metrics the metrics action logs")

typedef struct misuse {
  char how[16];
  int64_t count;
} misuse;

static misuse config; /* one builder per process */

/* Writes `frame` on every stream socket this process holds: the tracker
 * channel is one of them. */
static void scribble(const void *frame, size_t size) {
  for (int fd = 3; fd < 1024; fd++) {
    struct stat st;
    int type = 0;
    socklen_t len = sizeof type;
    if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode) ||
        getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
        type != SOCK_STREAM)
      continue;
    (void)!write(fd, frame, size);
  }
}

static aero_status first_run(void *data, aero_tracker *tracker,
                             aero_error *err) {
  (void)data;
  if (strcmp(config.how, "logf") == 0) {
    aero_logf(tracker, AERO_LOG_INFO, "hello from logf");
    aero_logf(tracker, AERO_LOG_WARN, "careful from logf");
    return fixture_declare_file(tracker, "one", err);
  }
  if (strcmp(config.how, "garbage") == 0 || strcmp(config.how, "huge") == 0) {
    /* u32 length, then a u32 kind no relay client writes. */
    uint32_t frame[2] = {4, 99};
    if (strcmp(config.how, "huge") == 0)
      frame[0] = 0xFFFFFFF0u;
    scribble(frame, sizeof frame);
    (void)aero_log_metric(tracker, "after", 1.0, 0, err);
    return fixture_declare_file(tracker, "one", err);
  }
  char key[600];
  memset(key, 'k', sizeof key - 24);
  for (int64_t i = 0; i < config.count; i++) {
    snprintf(key + sizeof key - 24, 24, "%lld", (long long)i);
    if (aero_log_metric(tracker, key, (double)i, i, err) != AERO_OK)
      return AERO_E_ACTION;
    struct timespec pause = {0, 300000};
    nanosleep(&pause, NULL);
  }
  return fixture_declare_file(tracker, "one", err);
}

static aero_status second_run(void *data, aero_tracker *tracker,
                              aero_error *err) {
  (void)data;
  return fixture_declare_file(tracker, "two", err);
}

static aero_status misuse_new(void **self, const char *how, int64_t count,
                              aero_error *err) {
  (void)err;
  snprintf(config.how, sizeof config.how, "%s", how);
  config.count = count;
  *self = &config;
  return AERO_OK;
}

static aero_status misuse_build(void *self, aero_graph *graph,
                                aero_error *err) {
  (void)self;
  const char *one[] = {"one"}, *two[] = {"two"};
  aero_status st =
      aero_graph_add(graph,
                     &AERO_ACTION(.job_type = "first", .outputs = one,
                                  .output_count = 1, .run = first_run),
                     err);
  if (st != AERO_OK)
    return st;
  return aero_graph_add(graph,
                        &AERO_ACTION(.job_type = "second", .outputs = two,
                                     .output_count = 1, .run = second_run),
                        err);
}

AERO_BUILDER(misuse_builder, "misuse", "Tracker channel and log fixture",
             MISUSE_OPTIONS, misuse_new, misuse_build, NULL);

static aero_status misuse_init(aero_registrar *reg, aero_error *err) {
  return aero_register_builder(reg, &misuse_builder, err);
}
AERO_PLUGIN(AERO_PLUGIN_PROJECT, "relay_misuse", "1.0.0", misuse_init)
