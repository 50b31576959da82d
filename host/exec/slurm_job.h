/* The job side of the Slurm placement: the aerohost a Slurm job runs for
 * one action ($AEROMANCY_SLURM_ACTION) records why Slurm ended the job.
 *
 * When Slurm ends a job (its time limit, scancel, preemption, a node
 * failure) it signals every process of the job: the action dies or is
 * interrupted, and its run would say only "interrupted by SIGTERM". Asked
 * then, Slurm knows why (scontrol: the job's reason, and the line
 * slurmstepd writes to the job's output, "... DUE TO TIME LIMIT"), so the
 * run records that instead.
 *
 * Private to host/exec/. Owner: engine.
 */
#ifndef AEH_EXEC_SLURM_JOB_H
#define AEH_EXEC_SLURM_JOB_H

#include <stdbool.h>
#include <stddef.h>

#include <aeromancy/backend.h>

#include "exec.h"

/* When this aerohost runs in a Slurm job and Slurm is ending that job,
 * rewrites the failed outcome `o` with Slurm's reason in `msg`: timed
 * out for the time limit, killed otherwise. False (nothing changed) when
 * not in a job, or when the job is still running (the action failed on
 * its own).
 *
 * Slurm is asked with scontrol, unless $AEROMANCY_SLURM_END_DIR names a
 * folder: then this aerohost runs in a production job's container, where
 * no scontrol is, and the job's wrapper outside (host/runner/
 * slurm_wrapper.h) writes Slurm's answer to FOLDER/JOBID when the job is
 * signalled. It is waited for (a few seconds at most) only when the
 * action was `interrupted` by a signal this aerohost received, which is
 * how Slurm's signal reaches it there. */
bool aeh_slurm_job_ending(aero_run_outcome *o, bool interrupted, char *msg,
                          size_t size);

/* When this aerohost runs in a Slurm job: says on stderr, at once (the
 * job's output), which run it recorded, "aeromancy: Slurm job J records
 * run N", so that the submitting host can end that run if the job is
 * killed outright (SIGKILL) before its aerohost could. */
void aeh_slurm_job_began(int64_t run_id);

/* The signal that ended job `id` (scontrol's ExitCode=CODE:SIGNAL; 0:
 * none), into *sig. An error (AERO_E_IO, naming the job and scontrol's
 * answer) when scontrol cannot say: a failed lookup must not read as an
 * end without a signal. */
aero_status aeh_slurm_job_signal(long id, int *sig, aero_error *err);

/* True when Slurm no longer knows job `id` (scontrol: "Invalid job id
 * specified"): it ended and was purged after MinJobAge. False when it
 * knows it, or cannot say. */
bool aeh_slurm_job_gone(long id);

/* The inputs a job's action reads from parents reused by the submitting
 * host: "$AEROMANCY_SLURM_INPUTS" is "POS:RUN,POS:RUN,...", each a
 * parent's run-order position (1-based) and the run whose outputs it holds
 * (host/exec/made.h). The submitting host writes it for each job:
 * aeh_slurm_inputs_of returns "AEROMANCY_SLURM_INPUTS=..." for position
 * `p`, every such parent in it (malloc'd, the caller frees it; NULL when
 * out of memory). The job's aerohost notes each in `ex`'s aeh_made
 * (aeh_slurm_inputs_apply): a malformed value is an error (AERO_E_INVALID,
 * quoting where), since its inputs would otherwise resolve to the latest
 * versions, not the ones its parents' reused runs hold. */
char *aeh_slurm_inputs_of(const aeh_exec *ex, size_t p);
aero_status aeh_slurm_inputs_apply(aeh_exec *ex, aero_error *err);

#endif /* AEH_EXEC_SLURM_JOB_H */
