#include "slurm_wrapper.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* $1 the ENDS folder, then the container's command. The client runs in
 * the background so that the shell can take SIGTERM (a trap does not run
 * while a foreground command does), and is waited for again after a
 * trap (`again`): the container is still ending the action, and `wait`
 * gives the client's exit status even when it ended meanwhile. A record
 * of an earlier job of the same id (Slurm numbers jobs again after its
 * controller lost its state) is removed first: the job's aerohost reads the
 * file as soon as it is there. The record is
 * written to a temporary name and renamed, so that the reader never sees half
 * of it; slurmstepd writes its "*** JOB N ... DUE TO TIME LIMIT ***" line to
 * the job's output (StdOut in the record) before it signals, and that
 * line is appended, as a --dev job's aerohost reads it from the output.
 * Other signals are the client's to pass on: they must not end the shell,
 * which would end the job's step and cut the client off. */
static const char wrapper[] =
    "#!/bin/sh\n"
    "# Written by aeromancy go --executor slurm: each job's script runs\n"
    "# `sh THIS ENDS ENGINE run ...`. When Slurm ends the job it signals\n"
    "# every process of it, the engine's client among them, which passes\n"
    "# the signal to the container. The aerohost in there cannot ask Slurm\n"
    "# why; this shell, outside, asks and writes the answer to\n"
    "# ENDS/$SLURM_JOB_ID, which the container has mounted.\n"
    "ends=$1\n"
    "shift\n"
    "# Slurm numbers jobs again once its controller lost its state: a\n"
    "# record an earlier job of this id left is not this job's.\n"
    "if [ -n \"$SLURM_JOB_ID\" ]; then rm -f \"$ends/$SLURM_JOB_ID\"; fi\n"
    "ended() {\n"
    "  again=1 f=$ends/$SLURM_JOB_ID\n"
    "  scontrol show job -o \"$SLURM_JOB_ID\" >\"$f.part\" 2>&1\n"
    "  out=$(sed -n 's/.* StdOut=\\([^ ]*\\).*/\\1/p' \"$f.part\")\n"
    "  if [ -n \"$out\" ]; then grep -F '*** JOB ' \"$out\" >>\"$f.part\"; fi\n"
    "  mv -f \"$f.part\" \"$f\"\n"
    "}\n"
    "trap ended TERM\n"
    "trap again=1 INT HUP USR1 USR2\n"
    "\"$@\" &\n"
    "child=$! again=1\n"
    "while [ -n \"$again\" ]; do\n"
    "  again=\n"
    "  wait \"$child\"\n"
    "  rc=$?\n"
    "done\n"
    "exit \"$rc\"\n";

aero_status aeh_slurm_wrapper_write(const char *dir, char **script, char **ends,
                                    aero_error *err) {
  char *tmp = NULL;
  *script = *ends = NULL;
  if (asprintf(ends, "%s/ends", dir) < 0 ||
      asprintf(script, "%s/container-job.sh", dir) < 0 ||
      asprintf(&tmp, "%s/.container-job.sh.XXXXXX", dir) < 0) {
    free(*ends);
    free(*script);
    *ends = *script = NULL;
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  }
  aero_status st = AERO_OK;
  if (mkdir(*ends, 0777) != 0 && errno != EEXIST)
    st = aeh_error_set(err, AERO_E_IO, "cannot create %s: %s", *ends,
                       strerror(errno));
  int fd = st == AERO_OK ? mkstemp(tmp) : -1;
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (st == AERO_OK && f == NULL)
    st = aeh_error_set(err, AERO_E_IO, "cannot write %s: %s", tmp,
                       strerror(errno));
  if (f != NULL) {
    bool wrote = fputs(wrapper, f) >= 0;
    if (fclose(f) != 0 || !wrote)
      st = aeh_error_set(err, AERO_E_IO, "cannot write %s: %s", tmp,
                         strerror(errno));
  } else if (fd >= 0) {
    close(fd);
  }
  if (st == AERO_OK && rename(tmp, *script) != 0)
    st = aeh_error_set(err, AERO_E_IO, "cannot write %s: %s", *script,
                       strerror(errno));
  if (st != AERO_OK) {
    if (fd >= 0)
      unlink(tmp);
    free(*ends);
    free(*script);
    *ends = *script = NULL;
  }
  free(tmp);
  return st;
}
