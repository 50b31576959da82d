#include "slurm_job.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "console.h"
#include "error.h"
#include "exec.h"
#include "made.h"
#include "process.h"

/* How long a production job's aerohost waits for its wrapper's word on
 * why Slurm signalled the job. The wrapper asks scontrol as the signal
 * arrives, which takes milliseconds; Slurm's KillWait (30 s by default)
 * must leave the engine's client time to pass the run's banner on after. */
#define END_WAIT_MS 2000
/* How often appears() looks for that word where inotify cannot tell. */
#define POLL_STEP_MS 50

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

/* What scontrol's record `record` says of a job: whether it holds the
 * job's state, into `state`; its reason ("" for None) into `reason`, and
 * its output file into `output`. */
static bool read_record(const char *record, char *state, size_t state_size,
                        char *reason, size_t reason_size, char *output,
                        size_t output_size) {
  if (!field(record, "JobState", state, state_size))
    return false;
  if (!field(record, "Reason", reason, reason_size) ||
      strcmp(reason, "None") == 0)
    reason[0] = '\0';
  if (!field(record, "StdOut", output, output_size))
    output[0] = '\0';
  return true;
}

/* Whether `path` exists, waiting up to END_WAIT_MS for it to be renamed or
 * written into `dir`: woken by inotify, no sleeping in a loop; where
 * inotify cannot watch `dir` (the user's inotify instances used up, a
 * folder not there yet), by looking again every POLL_STEP_MS, so that the
 * wait is as long either way. */
static bool appears(const char *dir, const char *path) {
  int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (fd >= 0 && inotify_add_watch(fd, dir, IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
    close(fd);
    fd = -1;
  }
  double t0 = aeh_exec_now();
  bool found;
  while (!(found = access(path, F_OK) == 0)) {
    long left = END_WAIT_MS - (long)((aeh_exec_now() - t0) * 1000);
    if (left <= 0)
      break;
    /* poll() ignores a negative fd: then it only sleeps the step. */
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char events[4096];
    int step = (int)(fd >= 0 || left < POLL_STEP_MS ? left : POLL_STEP_MS);
    if (poll(&p, 1, step) > 0)
      while (read(fd, events, sizeof events) > 0)
        ;
  }
  if (fd >= 0)
    close(fd);
  return found;
}

/* Why Slurm ends job `job`, from scontrol (a --dev job): its state,
 * reason, and the cause slurmstepd wrote to its output. False when
 * scontrol cannot say. */
static bool ask_scontrol(const char *job, char *state, size_t state_size,
                         char *reason, size_t reason_size, char *due,
                         size_t due_size) {
  char why[256], output[4096];
  aeh_spawn_out record;
  bool known = show_job(job, &record, why, sizeof why) &&
               read_record(record.out, state, state_size, reason, reason_size,
                           output, sizeof output);
  aeh_spawn_out_free(&record);
  if (known)
    cause(output, due, due_size);
  return known;
}

/* The same from the file the job's wrapper wrote in folder `ends` (a
 * production job's container): scontrol's record on its first line, then
 * the output's "*** JOB" lines. False, said on stderr (the job's output),
 * when it did not come or holds no record (scontrol's error instead). */
static bool read_end_file(const char *ends, const char *job, char *state,
                          size_t state_size, char *reason, size_t reason_size,
                          char *due, size_t due_size) {
  char path[PATH_MAX], output[4096];
  snprintf(path, sizeof path, "%s/%s", ends, job);
  if (!appears(ends, path)) {
    aeh_console_warn("Slurm job %s: no word from its script on why it was "
                     "signalled (%s did not appear within %d s)",
                     job, path, END_WAIT_MS / 1000);
    return false;
  }
  FILE *f = fopen(path, "r");
  const char *unread = f == NULL ? strerror(errno) : "an empty file";
  char *record = NULL;
  size_t cap = 0;
  bool got = f != NULL && getline(&record, &cap, f) > 0;
  if (f != NULL)
    fclose(f);
  bool known = got && read_record(record, state, state_size, reason,
                                  reason_size, output, sizeof output);
  if (got)
    record[strcspn(record, "\n")] = '\0';
  if (!known)
    aeh_console_warn("Slurm job %s: its script could not say why it was "
                     "signalled: %.300s",
                     job, got ? record : unread);
  free(record);
  if (known)
    cause(path, due, due_size);
  return known;
}

bool aeh_slurm_job_ending(aero_run_outcome *o, bool interrupted, char *msg,
                          size_t size) {
  const char *job = own_job();
  if (job == NULL)
    return false;
  char state[64], reason[128], due[128];
  const char *ends = getenv("AEROMANCY_SLURM_END_DIR");
  bool known =
      ends != NULL && ends[0] != '\0'
          ? interrupted && read_end_file(ends, job, state, sizeof state, reason,
                                         sizeof reason, due, sizeof due)
          : ask_scontrol(job, state, sizeof state, reason, sizeof reason, due,
                         sizeof due);
  if (!known || strcmp(state, "RUNNING") == 0)
    return false;
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

char *aeh_slurm_inputs_of(const aeh_exec *ex, size_t p) {
  static const char name[] = "AEROMANCY_SLURM_INPUTS=";
  const aeh_action *a = ex->nodes[p].action;
  /* "POS:RUN," at most 20 + 1 + 20 + 1 bytes a parent: sized for all of
   * them, never cut (a parent left out would resolve to the latest
   * version, not the one its reused run holds). */
  size_t size = sizeof name + (a->parents != NULL ? a->parent_count : 0) * 42;
  char *buf = malloc(size);
  if (buf == NULL)
    return NULL;
  size_t used = (size_t)snprintf(buf, size, "%s", name);
  for (size_t k = 0; a->parents != NULL && k < a->parent_count; k++) {
    size_t pp = ex->pos_of[a->parents[k]];
    int64_t run = aeh_made_run(ex->made, ex->nodes[pp].action);
    if (run == 0)
      continue; /* submitted here: its job makes the latest version */
    used += (size_t)snprintf(buf + used, size - used, "%s%zu:%lld",
                             used > sizeof name - 1 ? "," : "", pp + 1,
                             (long long)run);
  }
  return buf;
}

aero_status aeh_slurm_inputs_apply(aeh_exec *ex, aero_error *err) {
  const char *v = getenv("AEROMANCY_SLURM_INPUTS");
  if (own_job() == NULL || v == NULL)
    return AERO_OK;
  const char *at = v;
  while (*at != '\0') {
    char *end = NULL;
    unsigned long long pos = strtoull(at, &end, 10);
    if (end == at || *end != ':' || pos == 0 || pos > ex->n)
      break;
    const char *run_at = end + 1;
    long long run = strtoll(run_at, &end, 10);
    if (end == run_at || run <= 0 || (*end != ',' && *end != '\0'))
      break;
    aeh_made_by(ex->made, ex->nodes[pos - 1].action, run);
    if (*end == ',' && end[1] == '\0') {
      at = end; /* a comma with nothing after it */
      break;
    }
    at = *end == ',' ? end + 1 : end;
  }
  if (*at == '\0')
    return AERO_OK;
  /* Its reused parents' versions would silently be the latest instead. */
  return aeh_error_set(err, AERO_E_INVALID,
                       "$AEROMANCY_SLURM_INPUTS is malformed at '%.40s' (it "
                       "is \"POS:RUN,...\", %zu actions)",
                       at, ex->n);
}
