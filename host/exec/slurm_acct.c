#include "slurm_acct.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "process.h"

/* The states sacct gives a job that ended; any other (PENDING, RUNNING,
 * REQUEUED...) of a job squeue no longer lists is an end the database
 * has not received yet. */
static bool ended_state(const char *state) {
  static const char *const ended[] = {
      "COMPLETED", "FAILED",    "CANCELLED", "TIMEOUT",  "OUT_OF_MEMORY",
      "NODE_FAIL", "PREEMPTED", "BOOT_FAIL", "DEADLINE",
  };
  for (size_t i = 0; i < sizeof ended / sizeof *ended; i++)
    if (strcmp(state, ended[i]) == 0)
      return true;
  return false;
}

void aeh_slurm_end_from_squeue(const char *line, aeh_slurm_end *end) {
  *end = (aeh_slurm_end){.exit_code = -1, .signal = -1};
  sscanf(line, "%31s %159[^\n]", end->state, end->reason);
  if (strcmp(end->reason, "None") == 0)
    end->reason[0] = '\0';
}

/* One line of sacct -P: "ID|STATE|CODE:SIGNAL|SUBMIT|START|REASON" into
 * `end`; the job's id, 0 for a line that is not one. SUBMIT is Unix time
 * (SLURM_TIME_FORMAT=%s). sacct's Reason is the last reason the job
 * waited (Dependency, PartitionDown), not why it ended (its state says
 * that): kept only for a job that never started (START "Unknown" or
 * "None"), as "while pending: REASON". */
static long parse_line(const char *line, aeh_slurm_end *end) {
  char *at = NULL;
  long id = strtol(line, &at, 10);
  if (id <= 0 || *at != '|')
    return 0;
  *end = (aeh_slurm_end){.exit_code = -1, .signal = -1};
  /* STATE, CODE:SIGNAL, SUBMIT, START, REASON (the last, with any '|' in
   * it); NULL past the line's end. */
  const char *field[5] = {at + 1};
  for (size_t k = 1; k < 5 && field[k - 1] != NULL; k++) {
    const char *bar = strchr(field[k - 1], '|');
    field[k] = bar != NULL ? bar + 1 : NULL;
  }
  size_t len = strcspn(field[0], "| ");
  snprintf(end->state, sizeof end->state, "%.*s", (int)len, field[0]);
  if (field[1] == NULL ||
      sscanf(field[1], "%d:%d", &end->exit_code, &end->signal) != 2)
    end->exit_code = end->signal = -1;
  char *after = NULL;
  long long submitted = field[2] != NULL ? strtoll(field[2], &after, 10) : 0;
  if (submitted > 0 && *after == '|')
    end->submitted = (time_t)submitted;
  const char *start = field[3], *reason = field[4];
  bool never_ran = reason != NULL && (strncmp(start, "Unknown|", 8) == 0 ||
                                      strncmp(start, "None|", 5) == 0);
  if (never_ran && reason[0] != '\0' && strcmp(reason, "None") != 0)
    snprintf(end->reason, sizeof end->reason, "while pending: %s", reason);
  return id;
}

void aeh_slurm_acct_parse(const char *text, const long *ids,
                          const time_t *since, size_t count,
                          aeh_slurm_end *ends) {
  for (size_t i = 0; i < count; i++)
    ends[i] = (aeh_slurm_end){.exit_code = -1, .signal = -1};
  char line[512];
  for (const char *at = text; at != NULL && *at != '\0';) {
    size_t len = strcspn(at, "\n");
    snprintf(line, sizeof line, "%.*s", (int)len, at);
    at = at[len] == '\n' ? at + len + 1 : at + len;
    aeh_slurm_end end;
    long id = parse_line(line, &end);
    if (id == 0)
      continue;
    for (size_t i = 0; i < count; i++) {
      /* An older job of the same id, or one older than the record kept:
       * whatever their order in sacct's answer. A record whose submit
       * time is unknown counts only when any will do. */
      if (ids[i] != id || end.submitted < since[i] ||
          (since[i] > 0 && end.submitted == 0) ||
          end.submitted < ends[i].submitted)
        continue;
      ends[i] = end;
      /* The newest not ended: its end is not in the database yet, and an
       * older record's end is no answer. */
      if (!ended_state(end.state))
        ends[i] = (aeh_slurm_end){
            .exit_code = -1, .signal = -1, .submitted = end.submitted};
    }
  }
}

aero_status aeh_slurm_acct_ends(const long *ids, const time_t *since,
                                size_t count, aeh_slurm_end *ends,
                                aero_error *err) {
  size_t cap = 24 * count + 1, used = 0;
  char *list = malloc(cap), why[512];
  if (list == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  list[0] = '\0';
  for (size_t i = 0; i < count; i++)
    used += (size_t)snprintf(list + used, cap - used, "%s%ld", i ? "," : "",
                             ids[i]);
  /* -X: the job itself, not its steps (.batch); -P: fields split by '|',
   * a reason with blanks kept whole. sacct gives an id's newest record,
   * which is an older job's while ours is not in the database yet: the
   * parse keeps only one submitted at or after ours (its submit time in
   * Unix time, whatever the user's SLURM_TIME_FORMAT). Not -S: it selects
   * by when jobs were eligible and ended, not by when they were
   * submitted. */
  char *argv[] = {"sacct", "-n", "-P", "-X",
                  "-j",    list, "-o", "JobID,State,ExitCode,Submit,Start,Reason",
                  NULL};
  char *sets[] = {"SLURM_TIME_FORMAT=%s"};
  char **envp = aeh_spawn_env_with(NULL, sets, 1);
  if (envp == NULL) {
    free(list);
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  }
  aeh_spawn_out out;
  bool ran = aeh_spawn_check(argv, envp, &out, why, sizeof why);
  free(envp);
  aero_status status = AERO_OK;
  if (ran)
    aeh_slurm_acct_parse(out.out, ids, since, count, ends);
  else if (out.err != NULL &&
           strstr(out.err, "accounting storage is disabled") != NULL)
    status = AERO_E_UNSUPPORTED;
  else
    status = aeh_error_set(err, AERO_E_IO, "sacct -j %.200s%s: %s", list,
                           used > 200 ? "..." : "", why);
  aeh_spawn_out_free(&out);
  free(list);
  return status;
}
