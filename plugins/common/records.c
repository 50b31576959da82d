/* What a run record means to every backend: the environment facts with a
 * column of their own, state and log level names, and the checks of a run
 * record and an artifact reference. Shared so that the backends record the
 * same names.
 */
#include "plugin_common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Environment facts that have a column of their own in `runs`; any other
 * key goes to run_env, so that a newer host's facts are never dropped. */
const char *const pc_env_columns[] = {
    "git_commit",      "git_branch",  "git_message", "git_remote",
    "image_id",        "packages",    "plugin_path", "plugin_sha256",
    "host_version",    "abi_version", "hostname",    "command_line",
    "passthrough_env",
};

int pc_env_column(const char *key) {
  for (size_t i = 0; i < PC_ENV_COLUMN_COUNT; i++)
    if (strcmp(pc_env_columns[i], key) == 0)
      return (int)i;
  return -1;
}

const char *pc_state_name(uint32_t state) {
  switch (state) {
  case AERO_RUN_RUNNING:
    return "running";
  case AERO_RUN_OK:
    return "ok";
  case AERO_RUN_FAILED:
    return "failed";
  case AERO_RUN_CRASHED:
    return "crashed";
  case AERO_RUN_TIMED_OUT:
    return "timed_out";
  case AERO_RUN_KILLED:
    return "killed";
  case AERO_RUN_SKIPPED:
    return "skipped";
  case AERO_RUN_BAILED:
    return "bailed";
  case AERO_RUN_REUSED:
    return "reused";
  default:
    return NULL;
  }
}

const char *pc_level_name(aero_log_level level) {
  switch (level) {
  case AERO_LOG_ERROR:
    return "error";
  case AERO_LOG_WARN:
    return "warn";
  case AERO_LOG_INFO:
    return "info";
  case AERO_LOG_DEBUG:
    return "debug";
  default:
    return NULL;
  }
}

/* Output names, one line each, for the runs.outputs column. */
char *pc_join_outputs(const aero_run_record *rec) {
  size_t len = 1;
  for (size_t i = 0; i < rec->output_count; i++)
    len += strlen(rec->outputs[i]) + 1;
  char *text = malloc(len);
  if (text == NULL)
    return NULL;
  char *p = text;
  for (size_t i = 0; i < rec->output_count; i++) {
    if (i > 0)
      *p++ = '\n';
    size_t n = strlen(rec->outputs[i]);
    memcpy(p, rec->outputs[i], n);
    p += n;
  }
  *p = '\0';
  return text;
}

aero_status pc_check_record(const aero_run_record *rec, aero_error *err) {
  if (rec->project == NULL || rec->project[0] == '\0' ||
      rec->job_type == NULL || rec->job_type[0] == '\0')
    return aero_fail(err, AERO_E_INVALID,
                     "a run needs a project and a job type");
  if ((rec->output_count > 0 && rec->outputs == NULL) ||
      (rec->config_count > 0 && rec->config == NULL) ||
      (rec->tag_count > 0 && rec->tags == NULL) ||
      (rec->environment_count > 0 && rec->environment == NULL) ||
      (rec->input_count > 0 && rec->input_ids == NULL))
    return aero_fail(err, AERO_E_INVALID,
                     "run record of '%s' has a count without "
                     "its array",
                     rec->job_type);
  for (size_t i = 0; i < rec->output_count; i++)
    if (rec->outputs[i] == NULL)
      return aero_fail(err, AERO_E_INVALID, "run '%s' has a NULL output name",
                       rec->job_type);
  for (size_t i = 0; i < rec->tag_count; i++)
    if (rec->tags[i] == NULL)
      return aero_fail(err, AERO_E_INVALID, "run '%s' has a NULL tag",
                       rec->job_type);
  for (size_t i = 0; i < rec->config_count; i++)
    if (rec->config[i].key == NULL)
      return aero_fail(err, AERO_E_INVALID,
                       "run '%s' has a config entry without a "
                       "key",
                       rec->job_type);
  for (size_t i = 0; i < rec->environment_count; i++)
    if (rec->environment[i].key == NULL)
      return aero_fail(err, AERO_E_INVALID,
                       "run '%s' has an environment entry "
                       "without a key",
                       rec->job_type);
  return AERO_OK;
}

aero_status pc_check_reuse_key(const char *backend, const char *key,
                               const char *job, const char *parts,
                               aero_error *err) {
  if (key == NULL || strlen(key) != 64 || job == NULL || strlen(job) != 64 ||
      parts == NULL || strlen(parts) > 255)
    return aero_fail(err, AERO_E_INVALID,
                     "%s: a reuse key and job are 64 hex digits, the parts at "
                     "most 255 bytes",
                     backend);
  return AERO_OK;
}

void pc_format_ref(const aero_artifact_ref *ref, char *buf, size_t size) {
  const char *entity = ref->entity != NULL ? ref->entity : "";
  if (entity[0] != '\0')
    snprintf(buf, size, "%s/%s/%s", entity, ref->project, ref->name);
  else
    snprintf(buf, size, "%s/%s", ref->project, ref->name);
}

aero_status pc_check_ref(const aero_artifact_ref *ref, aero_error *err) {
  if (ref == NULL || ref->project == NULL || ref->project[0] == '\0' ||
      ref->name == NULL || ref->name[0] == '\0')
    return aero_fail(err, AERO_E_INVALID,
                     "an artifact reference needs a project "
                     "and a name");
  return AERO_OK;
}

aero_status pc_check_metric_rows(const char *backend,
                                 const aero_metric_row *rows, size_t count,
                                 aero_error *err) {
  if (count > 0 && rows == NULL)
    return aero_fail(err, AERO_E_INVALID, "%s: no metrics given", backend);
  for (size_t i = 0; i < count; i++) {
    if (rows[i].key == NULL || rows[i].key[0] == '\0')
      return aero_fail(err, AERO_E_INVALID, "metric %zu has an empty key", i);
    if (!isfinite(rows[i].value))
      return aero_fail(err, AERO_E_INVALID,
                       "metric '%s' is not a finite number (%g)", rows[i].key,
                       rows[i].value);
    if (rows[i].step < 0 && rows[i].step != AERO_NO_STEP)
      return aero_fail(err, AERO_E_INVALID,
                       "metric step %lld is negative (use AERO_NO_STEP for "
                       "none)",
                       (long long)rows[i].step);
  }
  return AERO_OK;
}

aero_status pc_log_metrics_as_rows(const char *backend, void *handle,
                                   int64_t run_id, const aero_metric *metrics,
                                   size_t count, int64_t step, int64_t now_ns,
                                   pc_metric_rows_fn log_rows,
                                   aero_error *err) {
  if (count == 0)
    return AERO_OK;
  if (metrics == NULL)
    return aero_fail(err, AERO_E_INVALID, "%s: no metrics given", backend);
  aero_metric_row *rows = calloc(count, sizeof *rows);
  if (rows == NULL)
    return aero_fail(err, AERO_E_NOMEM, "%s: out of memory", backend);
  for (size_t i = 0; i < count; i++)
    rows[i] = (aero_metric_row){.key = metrics[i].key,
                                .value = metrics[i].value,
                                .step = step,
                                .logged_ns = now_ns};
  aero_status status = log_rows(handle, run_id, rows, count, err);
  free(rows);
  return status;
}

aero_status pc_output_begin(const char *backend, const aero_artifact_ref *ref,
                            const aero_output_desc *desc_in,
                            aero_output_desc *desc, char *output,
                            size_t output_size, aero_error *err) {
  if (ref == NULL || ref->project == NULL || ref->project[0] == '\0' ||
      ref->name == NULL || ref->name[0] == '\0')
    return aero_fail(err, AERO_E_INVALID,
                     "%s: an output needs a project and a name", backend);
  if (desc_in == NULL || desc_in->struct_size == 0)
    return aero_fail(err, AERO_E_INVALID, "%s: output '%s' has no description",
                     backend, ref->name);
  memset(desc, 0, sizeof *desc);
  memcpy(desc, desc_in,
         desc_in->struct_size < sizeof *desc ? desc_in->struct_size
                                             : sizeof *desc);
  pc_format_ref(ref, output, output_size);
  return pc_check_desc(output, desc, err);
}

aero_status pc_resolve_none(const char *name, int64_t any_dev,
                            aero_error *err) {
  if (any_dev >= 0)
    return aero_fail(err, AERO_E_NOT_FOUND,
                     "artifact '%s' has only dev versions (latest v%lld): "
                     "production runs never read dev artifacts",
                     name, (long long)any_dev);
  return aero_fail(err, AERO_E_NOT_FOUND,
                   "artifact '%s' has no published version yet", name);
}

aero_status pc_resolve_missing(const char *name, int64_t wanted, int64_t latest,
                               aero_error *err) {
  if (latest >= 0)
    return aero_fail(err, AERO_E_NOT_FOUND,
                     "artifact '%s:v%lld' does not exist (latest is v%lld)",
                     name, (long long)wanted, (long long)latest);
  return aero_fail(err, AERO_E_NOT_FOUND, "artifact '%s:v%lld' does not exist",
                   name, (long long)wanted);
}

aero_status pc_resolve_dev_only(const char *name, int64_t wanted,
                                int64_t latest, aero_error *err) {
  if (latest >= 0)
    return aero_fail(err, AERO_E_NOT_FOUND,
                     "artifact '%s:v%lld' is a dev version: production runs "
                     "read only production versions (latest production "
                     "version: v%lld)",
                     name, (long long)wanted, (long long)latest);
  return aero_fail(err, AERO_E_NOT_FOUND,
                   "artifact '%s:v%lld' is a dev version: production runs "
                   "read only production versions (it has none yet)",
                   name, (long long)wanted);
}

aero_status pc_reuse_record_one(void *handle,
                                aero_status (*batch)(void *, aero_reuse_item *,
                                                     size_t, aero_error *),
                                const aero_run_record *record,
                                int64_t reused_run_id, const int64_t *input_ids,
                                size_t input_count, int64_t *run_id,
                                aero_error *err) {
  aero_reuse_item item = {.struct_size = sizeof item,
                          .record = record,
                          .reused_run_id = reused_run_id,
                          .input_ids = input_ids,
                          .input_count = input_count};
  aero_status status = batch(handle, &item, 1, err);
  if (status == AERO_OK)
    *run_id = item.run_id;
  return status;
}

aero_status pc_reuse_find_one(void *handle, const char *backend,
                              aero_status (*batch)(void *,
                                                   const aero_reuse_query *,
                                                   size_t, aero_reuse_match *,
                                                   aero_error *),
                              const aero_reuse_query *query,
                              aero_reuse_match *match, aero_error *err) {
  if (query == NULL || query->struct_size < sizeof *query || match == NULL)
    return aero_fail(err, AERO_E_INVALID, "%s: bad reuse query", backend);
  aero_reuse_match one = {.struct_size = sizeof one};
  aero_status status = batch(handle, query, 1, &one, err);
  match->run_id = one.run_id;
  match->ended_ns = one.ended_ns;
  memcpy(match->parts, one.parts, sizeof match->parts);
  return status;
}

aero_status pc_run_outcome_read(const char *backend, int64_t run_id,
                                const aero_run_outcome *outcome,
                                aero_run_outcome *out, const char **state,
                                aero_error *err) {
  if (outcome == NULL || outcome->struct_size == 0)
    return aero_fail(err, AERO_E_INVALID, "%s: no run outcome", backend);
  *out = (aero_run_outcome){0};
  memcpy(out, outcome,
         outcome->struct_size < sizeof *out ? outcome->struct_size
                                            : sizeof *out);
  *state = pc_state_name(out->state);
  if (*state == NULL || out->state == AERO_RUN_RUNNING)
    return aero_fail(err, AERO_E_INVALID,
                     "%s: run %lld cannot end in state %u", backend,
                     (long long)run_id, (unsigned)out->state);
  return AERO_OK;
}
