/* The host API's tracker members: what an action calls while it runs, in
 * its own process (or in the host's with --no-isolation). Each call checks
 * that it is made inside a run, validates its arguments here (so every
 * backend gets the same checks and messages), and goes to the backend
 * through this process's own handle. */
#include "tracker.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "aeu.h"
#include "console.h"
#include "store.h"
#include "tracker_lock.h"
#include "tracker_private.h"

/* What each member takes (tracker_lock.h): the first registers the lock's
 * fork handlers. */
static void lock_call(void) {
  (void)aeh_tracker_calls_fork_safe();
  aeh_tracker_calls_lock();
}

static void unlock_call(void) {
  aeh_tracker_calls_unlock();
}

/* The run behind `tracker`, or NULL (with AERO_E_STATE in `err`) when the
 * call is made outside an action's run. */
static aeh_run *active_run(aero_tracker *tracker, const char *call,
                           aero_error *err) {
  if (tracker == NULL || tracker->run == NULL || tracker->run->ended) {
    aeh_error_set(err, AERO_E_STATE,
                  "%s called outside an action's run (the tracker is only "
                  "valid while the action's run callback runs)",
                  call);
    return NULL;
  }
  return tracker->run;
}

/* Keeps `p` until the run is freed; frees it and returns NULL when it
 * cannot. */
static void *own(aeh_run *run, void *p) {
  if (p == NULL)
    return NULL;
  void **grown = aeu_grow(run->owned, &run->owned_cap, run->owned_count + 1,
                          sizeof *grown, 16);
  if (grown == NULL) {
    free(p);
    return NULL;
  }
  run->owned = grown;
  run->owned[run->owned_count++] = p;
  return p;
}

static char *own_strdup(aeh_run *run, const char *text) {
  return own(run, strdup(text));
}

typedef struct path_list {
  aeh_run *run;
  const char **paths;
  size_t count;
  size_t cap;
  bool failed;
} path_list;

static void collect_path(void *ctx, const char *path) {
  path_list *list = ctx;
  if (list->failed)
    return;
  const char **grown =
      aeu_grow(list->paths, &list->cap, list->count + 1, sizeof *grown, 16);
  if (grown == NULL) {
    list->failed = true;
    return;
  }
  list->paths = grown;
  const char *copy = own_strdup(list->run, path);
  if (copy == NULL) {
    list->failed = true;
    return;
  }
  list->paths[list->count++] = copy;
}

/* Which version `ref` means for this run: an --artifact-override first,
 * then an explicit version, then the version fixed at start for a parent's
 * output, then the latest now. *fixed says it was fixed (and recorded)
 * at start; *outside that it is none of the versions fixed at start and
 * was not named by the code: the latest version of an artifact no parent
 * makes, or an override of one (the run's reuse key holds neither). */
static aero_status pick_version(aeh_run *run, void *handle,
                                const char *artifact, aeh_artifact_ref *ref,
                                aero_artifact_version *out, bool *fixed,
                                bool *outside, aero_error *err) {
  *fixed = false;
  bool in_code = ref->has_version;
  bool pinned = aeh_run_override(run, ref, &ref->version);
  *outside = false;
  if (pinned)
    ref->has_version = true;
  if (!ref->has_version) {
    for (size_t i = 0; i < run->input_count; i++) {
      const aeh_fixed_input *in = &run->inputs[i];
      if (in->found && aeh_artifact_ref_same(&in->ref, ref)) {
        *out = in->version;
        *fixed = true;
        return AERO_OK;
      }
    }
  }
  aero_artifact_ref view = aeh_artifact_ref_view(ref);
  const aero_backend_vtable *vt = NULL;
  void *own = NULL;
  aero_status status = aeh_run_backend(run, &vt, &own, err);
  if (status == AERO_OK)
    status = vt->resolve(handle, &view, run->session->dev, out, err);
  if (status != AERO_OK) {
    aeh_run_input_missing(run, handle, artifact, ref, pinned, err);
    return status;
  }
  /* An overridden parent's output is fixed at start as overridden. */
  *outside = pinned || !in_code;
  for (size_t i = 0; *outside && i < run->input_count; i++)
    if (run->inputs[i].found && run->inputs[i].version.id == out->id)
      *outside = false;
  return AERO_OK;
}

static aero_status declare_input_locked(aero_tracker *tracker,
                                        const char *artifact, aero_input *input,
                                        aero_error *err) {
  aeh_run *run = active_run(tracker, "aero_declare_input", err);
  if (run == NULL)
    return AERO_E_STATE;
  if (input == NULL || input->struct_size == 0)
    return aeh_error_set(err, AERO_E_INVALID,
                         "aero_declare_input('%s'): the aero_input needs its "
                         "struct_size set (use aero_declare_input)",
                         artifact != NULL ? artifact : "");
  aeh_artifact_ref ref;
  aero_status status = aeh_artifact_ref_parse(artifact, &ref, err);
  if (status != AERO_OK)
    return status;
  aeh_run_default_ref(run, &ref);
  void *handle = NULL;
  const aero_backend_vtable *vt = NULL;
  status = aeh_run_backend(run, &vt, &handle, err);
  if (status != AERO_OK)
    return status;
  aero_artifact_version version = {.struct_size = sizeof version};
  bool fixed = false, outside = false;
  status = pick_version(run, handle, artifact, &ref, &version, &fixed,
                        &outside, err);
  if (status != AERO_OK)
    return status;
  if (!fixed) {
    status = vt->record_input(handle, run->id, version.id, err);
    if (status == AERO_OK && outside)
      status = aeh_run_read_outside_key(run, err);
    if (status != AERO_OK)
      return status;
  }
  path_list list = {.run = run};
  char directory[4096];
  status = vt->materialize(handle, version.id, collect_path, &list, directory,
                           sizeof directory, err);
  if (status == AERO_OK && list.failed)
    status = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  if (status != AERO_OK) {
    free(list.paths);
    return status;
  }
  if (list.paths != NULL && own(run, list.paths) == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  aero_artifact_ref view = aeh_artifact_ref_view(&ref);
  char name[4 * AEH_REF_PART_MAX + 32];
  aeh_artifact_ref_format(&view, version.version, name, sizeof name);
  aero_input filled = {
      .struct_size = input->struct_size,
      .artifact = own_strdup(run, name),
      .directory = own_strdup(run, directory),
      .paths = list.paths,
      .path_count = list.count,
      .artifact_type = own_strdup(run, version.type),
  };
  if (filled.artifact == NULL || filled.directory == NULL ||
      filled.artifact_type == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  /* Only the members the caller's struct has. */
  memcpy(input, &filled,
         input->struct_size < sizeof filled ? input->struct_size
                                            : sizeof filled);
  return AERO_OK;
}

/* The action's declared outputs, for messages: "a, b, c". */
static void declared_list(const aeh_action *action, char *buf, size_t size) {
  size_t n = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < action->output_count && n < size; i++)
    n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "",
                          action->outputs[i]);
}

static aero_status declare_output_locked(aero_tracker *tracker,
                                         const aero_output_desc *desc,
                                         aero_error *err) {
  aeh_run *run = active_run(tracker, "aero_declare_output", err);
  if (run == NULL)
    return AERO_E_STATE;
  if (desc == NULL || desc->struct_size == 0)
    return aeh_error_set(err, AERO_E_INVALID,
                         "aero_declare_output: the description needs its "
                         "struct_size set (use AERO_OUTPUT(...))");
  aero_output_desc d = {0};
  memcpy(&d, desc, desc->struct_size < sizeof d ? desc->struct_size : sizeof d);
  aeh_artifact_ref ref;
  aero_status status = aeh_artifact_ref_parse(d.name, &ref, err);
  if (status != AERO_OK) {
    aeh_error_prefix(err, "aero_declare_output");
    return status;
  }
  if (ref.has_version)
    return aeh_error_set(err, AERO_E_INVALID,
                         "aero_declare_output: output name '%s' must not "
                         "have a version: the store numbers versions",
                         d.name);
  aeh_run_default_ref(run, &ref);
  size_t index = run->action->output_count;
  for (size_t i = 0; i < run->action->output_count; i++) {
    aeh_artifact_ref out;
    if (aeh_artifact_ref_parse(run->action->outputs[i], &out, NULL) != AERO_OK)
      continue;
    aeh_run_default_ref(run, &out);
    if (aeh_artifact_ref_same(&out, &ref)) {
      index = i;
      break;
    }
  }
  if (index == run->action->output_count) {
    char list[512];
    declared_list(run->action, list, sizeof list);
    return aeh_error_set(err, AERO_E_INVALID,
                         "aero_declare_output: '%s' is not one of the "
                         "outputs action [%s] declares (%s)",
                         d.name, run->action->job_type, list);
  }
  if (d.file_count == 0 || d.files == NULL)
    return aeh_error_set(err, AERO_E_INVALID,
                         "aero_declare_output('%s'): no files given", d.name);
  void *handle = NULL;
  const aero_backend_vtable *vt = NULL;
  status = aeh_run_backend(run, &vt, &handle, err);
  if (status != AERO_OK)
    return status;
  if (run->declared == NULL &&
      (run->declared = calloc(run->action->output_count, 1)) == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  d.struct_size = sizeof d;
  aero_artifact_ref view = aeh_artifact_ref_view(&ref);
  view.version = -1;
  status = vt->put_output(handle, run->id, &view, &d, err);
  if (status == AERO_OK)
    run->declared[index] = 1;
  else if (aeh_store_refused(status))
    run->output_refused = true;
  return status;
}

aero_status aeh_tracker_check_outputs(const aero_tracker *tracker,
                                      aero_error *err) {
  if (tracker == NULL || tracker->run == NULL)
    return AERO_OK;
  const aeh_run *run = tracker->run;
  for (size_t i = 0; i < run->action->output_count; i++)
    if (run->declared == NULL || !run->declared[i])
      return aeh_error_set(err, AERO_E_ACTION,
                           "returned OK without declaring its output '%s' "
                           "(every output an action lists must be declared "
                           "with aero_declare_output)",
                           run->action->outputs[i]);
  return AERO_OK;
}

/* The backend refused `count` things `run` logged: counted, so that a run
 * on the host's stack that returns OK anyway is not recorded a success
 * (the relay counts them for an action in its own process). */
static void note_unrecorded(aeh_run *run, size_t count, const char *why) {
  if (run->unrecorded_why == NULL)
    run->unrecorded_why = strdup(why);
  run->unrecorded += count;
}

static aero_status log_metrics_locked(aero_tracker *tracker,
                                      const aero_metric *metrics, size_t count,
                                      int64_t step, aero_error *err) {
  /* A plugin's own thread has no error object to give. */
  aero_error own = AEH_ERROR_INIT;
  if (err == NULL)
    err = &own;
  aeh_run *run = active_run(tracker, "aero_log_metrics", err);
  if (run == NULL)
    return AERO_E_STATE;
  if (count == 0)
    return AERO_OK;
  if (metrics == NULL)
    return aeh_error_set(err, AERO_E_INVALID,
                         "aero_log_metrics: %zu metrics but no array", count);
  if (step < 0 && step != AERO_NO_STEP)
    return aeh_error_set(err, AERO_E_INVALID,
                         "aero_log_metrics: step %lld is negative (use "
                         "AERO_NO_STEP for none)",
                         (long long)step);
  for (size_t i = 0; i < count; i++) {
    if (metrics[i].key == NULL || metrics[i].key[0] == '\0')
      return aeh_error_set(err, AERO_E_INVALID,
                           "aero_log_metrics: metric %zu has an empty key",
                           i + 1);
    size_t len = strnlen(metrics[i].key, AERO_METRIC_KEY_MAX + 1);
    if (len > AERO_METRIC_KEY_MAX)
      return aeh_error_set(err, AERO_E_INVALID,
                           "aero_log_metrics: metric '%.40s...' has a key "
                           "longer than %d bytes",
                           metrics[i].key, AERO_METRIC_KEY_MAX);
    for (size_t c = 0; c < len; c++)
      if ((unsigned char)metrics[i].key[c] < 0x20 ||
          metrics[i].key[c] == 0x7f)
        return aeh_error_set(err, AERO_E_INVALID,
                             "aero_log_metrics: metric key '%.*s' has a "
                             "control character (byte %zu)",
                             (int)c, metrics[i].key, c + 1);
    if (!isfinite(metrics[i].value))
      return aeh_error_set(err, AERO_E_INVALID,
                           "aero_log_metrics: metric '%s' is %g, not a "
                           "finite number",
                           metrics[i].key, metrics[i].value);
  }
  void *handle = NULL;
  const aero_backend_vtable *vt = NULL;
  aero_status status = aeh_run_backend(run, &vt, &handle, err);
  if (status != AERO_OK)
    return status;
  status = vt->log_metrics(handle, run->id, metrics, count, step, err);
  if (status != AERO_OK)
    note_unrecorded(run, count, err->message);
  return status;
}

/* One line on stderr about `run`, labelled "[job_type output]" unless the
 * host already labels this process's lines (-j > 1), written at once. */
static void say(const aeh_run *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void say(const aeh_run *run, const char *fmt, ...) {
  char line[AERO_ERROR_MESSAGE_MAX + 512];
  size_t used = 0;
  if (!aeh_console_captured())
    used = (size_t)snprintf(line, sizeof line, "%s ", run->label);
  if (used < sizeof line) {
    va_list ap;
    va_start(ap, fmt);
    used += (size_t)vsnprintf(line + used, sizeof line - used, fmt, ap);
    va_end(ap);
  }
  if (used > sizeof line - 2)
    used = sizeof line - 2;
  line[used++] = '\n';
  fwrite(line, 1, used, stderr);
}

static const char *level_prefix(aero_log_level level) {
  switch (level) {
  case AERO_LOG_ERROR:
    return "error: ";
  case AERO_LOG_WARN:
    return "warning: ";
  default:
    return "";
  }
}

static void log_text_locked(aero_tracker *tracker, aero_log_level level,
                            const char *message) {
  if (message == NULL)
    message = "";
  if (tracker == NULL || tracker->run == NULL || tracker->run->ended) {
    fprintf(stderr, "aerohost: aero_logf outside an action's run: %s\n",
            message);
    return;
  }
  aeh_run *run = tracker->run;
  size_t len = strlen(message);
  while (len > 0 && message[len - 1] == '\n')
    len--;
  /* Refused here, before it reaches the store: a backend refusing it later
   * would count as a store failure (exit 2) of a run that succeeded. */
  int number = (int)level;
  if (number < AERO_LOG_ERROR || number > AERO_LOG_DEBUG) {
    say(run,
        "warning: aero_logf: invalid log level %d (use AERO_LOG_ERROR, _WARN, "
        "_INFO or _DEBUG); line not recorded: %.*s",
        number, (int)len, message);
    return;
  }
  say(run, "%s%.*s", level_prefix(level), (int)len, message);
  const aero_backend_vtable *vt = NULL;
  void *handle = NULL;
  aero_error err = AEH_ERROR_INIT;
  if (aeh_run_backend(run, &vt, &handle, &err) != AERO_OK) {
    say(run, "warning: log line not recorded: %s", err.message);
    return;
  }
  if (vt->log_text == NULL)
    return;
  char *line = strndup(message, len);
  if (line == NULL ||
      vt->log_text(handle, run->id, level, line, &err) != AERO_OK) {
    say(run, "warning: log line not recorded: %s",
        line == NULL ? "out of memory" : err.message);
    note_unrecorded(run, 1, line == NULL ? "out of memory" : err.message);
  }
  free(line);
}

static aero_status bailout_locked(aero_tracker *tracker, const char *reason) {
  if (tracker == NULL || tracker->run == NULL || tracker->run->ended)
    return AERO_E_STATE;
  aeh_run *run = tracker->run;
  run->bailed = true;
  if (run->bail_reason == NULL && reason != NULL && reason[0] != '\0')
    run->bail_reason = strdup(reason); /* NULL on failure: no reason shown */
  const aero_backend_vtable *vt = NULL;
  void *handle = NULL;
  aero_error err = AEH_ERROR_INIT;
  if (aeh_run_backend(run, &vt, &handle, &err) == AERO_OK &&
      vt->log_text != NULL) {
    char line[AERO_ERROR_MESSAGE_MAX];
    snprintf(line, sizeof line, "bailout: %s",
             reason != NULL && reason[0] != '\0' ? reason : "(no reason)");
    vt->log_text(handle, run->id, AERO_LOG_INFO, line, &err);
  }
  return AERO_E_BAILOUT;
}

static const char *workdir_locked(aero_tracker *tracker) {
  if (tracker == NULL || tracker->run == NULL || tracker->run->ended)
    return NULL;
  aeh_run *run = tracker->run;
  int rc = aeu_mkdirs(run->workdir, 0700);
  if (rc != 0) {
    say(run, "error: cannot create the scratch folder %s: %s", run->workdir,
        strerror(rc));
    return NULL;
  }
  return run->workdir;
}

/* The host API's members: each whole call under the lock. */

aero_status aeh_tracker_declare_input(aero_tracker *tracker,
                                      const char *artifact, aero_input *input,
                                      aero_error *err) {
  lock_call();
  aero_status status = declare_input_locked(tracker, artifact, input, err);
  unlock_call();
  return status;
}

aero_status aeh_tracker_declare_output(aero_tracker *tracker,
                                       const aero_output_desc *desc,
                                       aero_error *err) {
  lock_call();
  aero_status status = declare_output_locked(tracker, desc, err);
  unlock_call();
  return status;
}

aero_status aeh_tracker_log_metrics(aero_tracker *tracker,
                                    const aero_metric *metrics, size_t count,
                                    int64_t step, aero_error *err) {
  lock_call();
  aero_status status = log_metrics_locked(tracker, metrics, count, step, err);
  unlock_call();
  return status;
}

void aeh_tracker_log_text(aero_tracker *tracker, aero_log_level level,
                          const char *message) {
  lock_call();
  log_text_locked(tracker, level, message);
  unlock_call();
}

aero_status aeh_tracker_bailout(aero_tracker *tracker, const char *reason) {
  lock_call();
  aero_status status = bailout_locked(tracker, reason);
  unlock_call();
  return status;
}

const char *aeh_tracker_workdir(aero_tracker *tracker) {
  lock_call();
  const char *workdir = workdir_locked(tracker);
  unlock_call();
  return workdir;
}

const char *aeh_tracker_bail_reason(const aero_tracker *tracker) {
  return tracker != NULL && tracker->run != NULL ? tracker->run->bail_reason
                                                 : NULL;
}

bool aeh_tracker_bailed(const aero_tracker *tracker) {
  return tracker != NULL && tracker->run != NULL && tracker->run->bailed;
}
