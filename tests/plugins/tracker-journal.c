/* A second, real tracker backend ("journal") for the tests that select a
 * backend by name (--backend, [store] backend): it appends one line per
 * call to LOCATION/journal.txt, so a test sees which backend recorded a
 * run. It keeps no versions: resolve finds nothing, so it suits actions
 * without inputs (`--only ingest` of trk_pipeline). Its check (for
 * `aeromancy fsck`) reports one problem, and counts one more when
 * JOURNAL_CHECK_MISCOUNT is set: a backend whose count and reports
 * disagree. */
#include <aeromancy/aeromancy.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct journal {
  int fd; /* LOCATION/journal.txt, opened for appending */
} journal;

/* One line, written with one write() so that processes sharing the file do
 * not interleave within a line. */
static aero_status note(journal *j, aero_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static aero_status note(journal *j, aero_error *err, const char *fmt, ...) {
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0)
    return aero_fail(err, AERO_E_IO, "journal: cannot format a line");
  if ((size_t)n > sizeof line - 2)
    n = (int)sizeof line - 2;
  line[n++] = '\n';
  if (write(j->fd, line, (size_t)n) != n)
    return aero_fail(err, AERO_E_IO, "journal: cannot write: %s",
                     strerror(errno));
  return AERO_OK;
}

static aero_status j_open(const aero_backend_open_params *params, void **store,
                          aero_error *err) {
  char path[4096];
  if (mkdir(params->location, 0755) != 0 && errno != EEXIST)
    return aero_fail(err, AERO_E_IO, "journal: cannot create %s: %s",
                     params->location, strerror(errno));
  snprintf(path, sizeof path, "%s/journal.txt", params->location);
  journal *j = malloc(sizeof *j);
  if (j == NULL)
    return aero_fail(err, AERO_E_NOMEM, "journal: out of memory");
  j->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (j->fd < 0) {
    free(j);
    return aero_fail(err, AERO_E_IO, "journal: cannot open %s: %s", path,
                     strerror(errno));
  }
  aero_status st = note(j, err, "open");
  if (st != AERO_OK) {
    close(j->fd);
    free(j);
    return st;
  }
  *store = j;
  return AERO_OK;
}

static void j_close(void *store) {
  journal *j = store;
  close(j->fd);
  free(j);
}

static aero_status j_run_begin(void *store, const aero_run_record *record,
                               int64_t *run_id, aero_error *err) {
  /* Ids unique across processes without shared state: pid and a count. */
  static int64_t count;
  *run_id = (int64_t)getpid() * 1000 + ++count;
  return note(store, err, "run_begin %s %s %s", record->project,
              record->job_type, record->dev ? "dev" : "prod");
}

static aero_status j_run_end(void *store, int64_t run_id,
                             const aero_run_outcome *outcome, aero_error *err) {
  (void)run_id;
  return note(store, err, "run_end %u", (unsigned)outcome->state);
}

static aero_status j_resolve(void *store, const aero_artifact_ref *ref,
                             bool dev, aero_artifact_version *out,
                             aero_error *err) {
  (void)store, (void)dev, (void)out;
  return aero_fail(err, AERO_E_NOT_FOUND, "journal: no artifact %s", ref->name);
}

static aero_status j_record_input(void *store, int64_t run_id,
                                  int64_t version_id, aero_error *err) {
  (void)run_id, (void)version_id;
  return note(store, err, "record_input");
}

static aero_status j_materialize(void *store, int64_t version_id,
                                 aero_backend_file_fn each, void *ctx,
                                 char *directory, size_t directory_size,
                                 aero_error *err) {
  (void)store, (void)version_id, (void)each, (void)ctx, (void)directory,
      (void)directory_size;
  return aero_fail(err, AERO_E_NOT_FOUND, "journal: keeps no files");
}

static aero_status j_put_output(void *store, int64_t run_id,
                                const aero_artifact_ref *ref,
                                const aero_output_desc *desc, aero_error *err) {
  (void)run_id;
  return note(store, err, "put_output %s %zu", ref->name, desc->file_count);
}

static aero_status j_log_metrics(void *store, int64_t run_id,
                                 const aero_metric *metrics, size_t count,
                                 int64_t step, aero_error *err) {
  (void)run_id, (void)step;
  for (size_t i = 0; i < count; i++) {
    aero_status st = note(store, err, "metric %s", metrics[i].key);
    if (st != AERO_OK)
      return st;
  }
  return AERO_OK;
}

static aero_status
j_check(void *store, const aero_check_params *params,
        aero_status (*each)(void *ctx, const aero_problem *problem,
                            aero_error *err),
        void *ctx, aero_check_report *report, aero_error *err) {
  (void)params;
  aero_problem p = {.struct_size = sizeof p,
                    .kind = AERO_PROBLEM_OTHER,
                    .subject = "journal",
                    .detail = "a journal keeps no contents to check"};
  aero_status st = each(ctx, &p, err);
  if (st != AERO_OK)
    return st;
  report->problems = getenv("JOURNAL_CHECK_MISCOUNT") != NULL ? 2 : 1;
  return note(store, err, "check");
}

static const aero_backend_vtable journal_backend = {
    .struct_size = sizeof(aero_backend_vtable),
    .name = "journal",
    .open = j_open,
    .close = j_close,
    .run_begin = j_run_begin,
    .run_end = j_run_end,
    .resolve = j_resolve,
    .record_input = j_record_input,
    .materialize = j_materialize,
    .put_output = j_put_output,
    .log_metrics = j_log_metrics,
    .check = j_check,
};

static aero_status j_init(aero_registrar *reg, aero_error *err) {
  return aero_register_backend(reg, &journal_backend, err);
}

AERO_PLUGIN(AERO_PLUGIN_BACKEND, "tracker-journal", "1", j_init)
