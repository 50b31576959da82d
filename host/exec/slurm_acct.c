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

/* One line of sacct -P: "ID|STATE|CODE:SIGNAL|START|REASON" into `end`;
 * the job's id, 0 for a line that is not one. sacct's Reason is the last
 * reason the job waited (Dependency, PartitionDown), not why it ended
 * (its state says that): kept only for a job that never started (START
 * "Unknown" or "None"), as "while pending: REASON". */
static long parse_line(const char *line, aeh_slurm_end *end) {
  char *at = NULL;
  long id = strtol(line, &at, 10);
  if (id <= 0 || *at != '|')
    return 0;
  *end = (aeh_slurm_end){.exit_code = -1, .signal = -1};
  const char *state = at + 1;
  size_t len = strcspn(state, "| ");
  snprintf(end->state, sizeof end->state, "%.*s", (int)len, state);
  const char *code = strchr(state, '|');
  if (code == NULL ||
      sscanf(code + 1, "%d:%d", &end->exit_code, &end->signal) != 2) {
    end->exit_code = end->signal = -1;
    return id;
  }
  const char *start = strchr(code + 1, '|');
  const char *reason = start != NULL ? strchr(start + 1, '|') : NULL;
  bool never_ran = reason != NULL && (strncmp(start, "|Unknown|", 9) == 0 ||
                                      strncmp(start, "|None|", 6) == 0);
  if (never_ran && reason[1] != '\0' && strcmp(reason + 1, "None") != 0)
    snprintf(end->reason, sizeof end->reason, "while pending: %s", reason + 1);
  return id;
}

void aeh_slurm_acct_parse(const char *text, const long *ids, size_t count,
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
    if (id == 0 || !ended_state(end.state))
      continue;
    for (size_t i = 0; i < count; i++)
      if (ids[i] == id)
        ends[i] = end;
  }
}

aero_status aeh_slurm_acct_ends(const long *ids, size_t count,
                                aeh_slurm_end *ends, aero_error *err) {
  size_t cap = 24 * count + 1, used = 0;
  char *list = malloc(cap), why[512];
  if (list == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  list[0] = '\0';
  for (size_t i = 0; i < count; i++)
    used += (size_t)snprintf(list + used, cap - used, "%s%ld", i ? "," : "",
                             ids[i]);
  /* -X: the job itself, not its steps (.batch); -P: fields split by '|',
   * a reason with blanks kept whole. */
  char *argv[] = {"sacct", "-n", "-P", "-X",
                  "-j",    list, "-o", "JobID,State,ExitCode,Start,Reason",
                  NULL};
  aeh_spawn_out out;
  bool ran = aeh_spawn_check(argv, NULL, &out, why, sizeof why);
  aero_status status = AERO_OK;
  if (ran)
    aeh_slurm_acct_parse(out.out, ids, count, ends);
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
