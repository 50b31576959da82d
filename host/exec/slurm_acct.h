/* How Slurm says a job ended: squeue's word while the controller still
 * lists the job, Slurm's accounting (sacct, slurmdbd) once it purged it
 * (MinJobAge passed, slurmctld restarted), so that a job the submitting
 * host saw end late is settled with Slurm's own state and reason even when
 * it never recorded its run (killed before its aerohost began it).
 *
 * Private to host/exec/. Owner: engine.
 */
#ifndef AEH_EXEC_SLURM_ACCT_H
#define AEH_EXEC_SLURM_ACCT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <aeromancy/error.h>

/* The end of one job. */
typedef struct aeh_slurm_end {
  char state[32];   /* COMPLETED, FAILED, CANCELLED, TIMEOUT...; "": unknown */
  char reason[160]; /* Slurm's reason (NonZeroExitCode...); "" for none */
  int exit_code;    /* the batch script's exit code; -1: not known */
  int signal;       /* the signal that ended it (0: none); -1: not known */
  time_t submitted; /* when sacct says it was submitted; 0: not known */
} aeh_slurm_end;

/* Fills `end` from squeue's "STATE REASON" (squeue -o "%T %r"): exit code
 * and signal are not known there. */
void aeh_slurm_end_from_squeue(const char *line, aeh_slurm_end *end);

/* Fills ends[i] for ids[i], each of the `count` jobs, from sacct's answer
 * `text` (SLURM_TIME_FORMAT=%s sacct -n -P -X -o
 * JobID,State,ExitCode,Submit,Start,Reason): "CANCELLED by 0" reads
 * CANCELLED; the reason is what the job waited for when it never started
 * ("while pending: PartitionDown"), else empty.
 *
 * Slurm reuses job ids (a controller that lost its state starts again at
 * FirstJobId; a new cluster of the same name on the same database), so
 * sacct may hold several records for one id (it answers with the newest
 * one it has, every one with -D): a record submitted before since[i]
 * (Unix time; 0: any) is an older job's and is ignored; of the others
 * the newest decides, in whatever order they come. A job sacct does not list, whose records are
 * all older, or whose newest is not ended yet (its end not yet in the
 * database) keeps an empty state. */
void aeh_slurm_acct_parse(const char *text, const long *ids,
                          const time_t *since, size_t count,
                          aeh_slurm_end *ends);

/* Asks sacct how the `count` jobs `ids`, each submitted at or after
 * since[i], ended, one sacct for all, into ends[i] (as
 * aeh_slurm_acct_parse). AERO_E_UNSUPPORTED, quietly (no message), when
 * the cluster keeps no accounting (no slurmdbd); AERO_E_IO with sacct's
 * error when it cannot answer; AERO_E_NOMEM. */
aero_status aeh_slurm_acct_ends(const long *ids, const time_t *since,
                                size_t count, aeh_slurm_end *ends,
                                aero_error *err);

#endif /* AEH_EXEC_SLURM_ACCT_H */
