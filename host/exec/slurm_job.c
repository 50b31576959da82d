#include "slurm_job.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "process.h"

/* The value of " KEY=" in scontrol's one-line record, into `buf`. */
static bool field(const char *record, const char *key, char *buf, size_t size) {
  char want[64];
  snprintf(want, sizeof want, " %s=", key);
  const char *at = strstr(record, want);
  if (at == NULL)
    return false;
  at += strlen(want);
  snprintf(buf, size, "%.*s", (int)strcspn(at, " \n"), at);
  return true;
}

/* What slurmstepd wrote to the job's output when it was told to end it:
 * "*** JOB 12 ON node CANCELLED AT 2026-01-01T10:00:00 DUE TO TIME LIMIT
 * ***" gives "time limit"; "" when it gave no cause (scancel). */
static void cause(const char *output, char *buf, size_t size) {
  buf[0] = '\0';
  FILE *f = fopen(output, "r");
  if (f == NULL)
    return;
  char line[1024];
  while (fgets(line, sizeof line, f) != NULL) {
    const char *due = strstr(line, " DUE TO ");
    if (strstr(line, "*** JOB ") == NULL || due == NULL)
      continue;
    due += strlen(" DUE TO ");
    size_t n = 0;
    for (; due[n] != '\0' && strncmp(due + n, " ***", 4) != 0 && n + 1 < size;
         n++)
      buf[n] = (char)tolower((unsigned char)due[n]);
    buf[n] = '\0';
  }
  fclose(f);
}

/* scontrol's one-line record of job `job`, into `record` (freed by the
 * caller with aeh_spawn_out_free, whatever the result); true when
 * scontrol answered (false: the error is in `why`). */
static bool show_job(const char *job, aeh_spawn_out *record, char *why,
                     size_t size) {
  char *argv[] = {"scontrol", "show", "job", "-o", (char *)job, NULL};
  return aeh_spawn_check(argv, NULL, record, why, size);
}

/* The id of the Slurm job this process runs an action in: SLURM_JOB_ID
 * from Slurm, with AEROMANCY_SLURM_ACTION from placement_slurm.c's sbatch
 * --export; NULL outside one. */
static const char *own_job(void) {
  const char *job = getenv("SLURM_JOB_ID");
  const char *action = getenv("AEROMANCY_SLURM_ACTION");
  if (job == NULL || action == NULL || job[0] == '\0' || action[0] == '\0')
    return NULL;
  return job;
}

bool aeh_slurm_job_ending(aero_run_outcome *o, char *msg, size_t size) {
  const char *job = own_job();
  if (job == NULL)
    return false;
  char why[256], state[64], reason[128], output[4096] = "", due[128];
  aeh_spawn_out record;
  bool ended = show_job(job, &record, why, sizeof why) &&
               field(record.out, "JobState", state, sizeof state) &&
               strcmp(state, "RUNNING") != 0;
  if (ended && (!field(record.out, "Reason", reason, sizeof reason) ||
                strcmp(reason, "None") == 0))
    reason[0] = '\0';
  if (ended)
    field(record.out, "StdOut", output, sizeof output);
  aeh_spawn_out_free(&record);
  if (!ended)
    return false;
  cause(output, due, sizeof due);
  o->message = msg;
  if (strcmp(due, "time limit") == 0 || strcmp(reason, "TimeLimit") == 0) {
    o->state = AERO_RUN_TIMED_OUT;
    snprintf(msg, size, "Slurm job %s reached its time limit%s%s%s", job,
             reason[0] ? " (" : "", reason, reason[0] ? ")" : "");
  } else {
    o->state = AERO_RUN_KILLED;
    snprintf(msg, size, "Slurm job %s was cancelled%s%s%s%s%s", job,
             due[0] ? " due to " : "", due, reason[0] ? " (" : "", reason,
             reason[0] ? ")" : "");
  }
  return true;
}

void aeh_slurm_job_began(int64_t run_id) {
  const char *job = own_job();
  if (job != NULL)
    fprintf(stderr, "aeromancy: Slurm job %s records run %lld\n", job,
            (long long)run_id);
}

aero_status aeh_slurm_job_signal(long id, int *sig, aero_error *err) {
  char code[64] = "", job[32], why[512];
  snprintf(job, sizeof job, "%ld", id);
  aeh_spawn_out record;
  int status = 0, got = 0;
  bool shown = show_job(job, &record, why, sizeof why);
  bool read = shown && field(record.out, "ExitCode", code, sizeof code) &&
              sscanf(code, "%d:%d", &status, &got) == 2;
  aeh_spawn_out_free(&record);
  if (!shown)
    return aeh_error_set(err, AERO_E_IO, "scontrol show job %s: %s", job, why);
  if (!read)
    return aeh_error_set(err, AERO_E_IO,
                         "scontrol show job %s: no ExitCode=CODE:SIGNAL in "
                         "its record ('%s')",
                         job, code);
  *sig = got;
  return AERO_OK;
}

bool aeh_slurm_job_gone(long id) {
  char job[32], why[512];
  snprintf(job, sizeof job, "%ld", id);
  aeh_spawn_out record;
  bool shown = show_job(job, &record, why, sizeof why);
  aeh_spawn_out_free(&record);
  return !shown && strstr(why, "Invalid job id") != NULL;
}
