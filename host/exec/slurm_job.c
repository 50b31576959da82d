#include "slurm_job.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slurm_cmd.h"

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

/* scontrol's one-line record of job `job`, into `record`; true when
 * scontrol answered (false: an error message is in `record`). */
static bool show_job(const char *job, char *record, size_t size) {
  char *argv[] = {"scontrol", "show", "job", "-o", (char *)job, NULL};
  return aeh_slurm_cmd(argv, record, size) == 0;
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
  char record[8192], state[64], reason[128], output[4096] = "", due[128];
  if (!show_job(job, record, sizeof record) ||
      !field(record, "JobState", state, sizeof state) ||
      strcmp(state, "RUNNING") == 0)
    return false;
  if (!field(record, "Reason", reason, sizeof reason) ||
      strcmp(reason, "None") == 0)
    reason[0] = '\0';
  field(record, "StdOut", output, sizeof output);
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

int aeh_slurm_job_signal(long id) {
  char record[8192], code[64], job[32];
  snprintf(job, sizeof job, "%ld", id);
  int status = 0, sig = 0;
  if (!show_job(job, record, sizeof record) ||
      !field(record, "ExitCode", code, sizeof code) ||
      sscanf(code, "%d:%d", &status, &sig) != 2)
    return 0;
  return sig;
}

bool aeh_slurm_job_gone(long id) {
  char record[8192], job[32];
  snprintf(job, sizeof job, "%ld", id);
  return !show_job(job, record, sizeof record) &&
         strstr(record, "Invalid job id") != NULL;
}
