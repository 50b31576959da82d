/* Metrics logged by an action while it runs. */
#ifndef AEROMANCY_METRIC_H
#define AEROMANCY_METRIC_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The longest metric key, in bytes. A key is 1 to AERO_METRIC_KEY_MAX
 * bytes without control characters (a tab or a line break would break the
 * tab-separated lines `aeromancy metrics` and `show` print); the value a
 * finite number. aero_log_metrics refuses anything else. */
#define AERO_METRIC_KEY_MAX 4096

/* One scalar metric. The key is borrowed for the duration of the call. */
typedef struct aero_metric {
  const char *key;
  double value;
} aero_metric;

/* One point of a metric: a batch of log_metric_rows, a batch streamed by
 * query_metrics (backend.h). Strings are borrowed for the call. Since ABI
 * 1.1. */
typedef struct aero_metric_row {
  const char *key;
  double value;
  int64_t step;      /* AERO_NO_STEP or >= 0 */
  int64_t logged_ns; /* when the action logged it, ns since the Unix epoch */
} aero_metric_row;

/* Pass as `step` when a metric belongs to no particular step. */
#define AERO_NO_STEP ((int64_t)-1)

/* Levels of text log lines, most severe first. */
typedef enum aero_log_level {
  AERO_LOG_ERROR = 1,
  AERO_LOG_WARN = 2,
  AERO_LOG_INFO = 3,
  AERO_LOG_DEBUG = 4,
} aero_log_level;


#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* AEROMANCY_METRIC_H */
