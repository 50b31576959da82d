/* The helpers that exec.h declares for every part of the executor. */
#include "exec.h"

#include <stdio.h>
#include <string.h>
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

void aeh_exec_label(const aeh_action *a, char *buf, size_t size) {
  /* Copied, not formatted: every reused action's banner has one. */
  size_t type_len = strlen(a->job_type), output_len = strlen(a->outputs[0]);
  if (type_len + output_len + 3 >= size) {
    snprintf(buf, size, "[%s] %s", a->job_type, a->outputs[0]);
    return;
  }
  buf[0] = '[';
  memcpy(buf + 1, a->job_type, type_len);
  memcpy(buf + 1 + type_len, "] ", 2);
  memcpy(buf + 3 + type_len, a->outputs[0], output_len + 1);
}

void aeh_exec_count_run(aeh_exec *ex, int64_t id) {
  if (ex->runs_begun == 0 || id < ex->first_run)
    ex->first_run = id;
  if (ex->runs_begun == 0 || id > ex->last_run)
    ex->last_run = id;
  ex->runs_begun++;
}
