/* The helpers that exec.h declares for every part of the executor. */
#include "exec.h"

#include <time.h>

double aeh_exec_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t aeh_exec_wall_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void aeh_exec_count_run(aeh_exec *ex, int64_t id) {
  if (ex->runs_begun == 0 || id < ex->first_run)
    ex->first_run = id;
  if (ex->runs_begun == 0 || id > ex->last_run)
    ex->last_run = id;
  ex->runs_begun++;
}
