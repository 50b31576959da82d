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
    "# The engine starts the container outside the job's cgroup, where "
    "Slurm's\n"
    "# limits do not reach: the job's allocation is given to it as options of\n"
    "# ENGINE run, from what Slurm set for the job.\n"
    "say() { echo \"aeromancy: Slurm job $SLURM_JOB_ID: $*\" >&2; }\n"
    "engine=$1 sub=$2\n"
    "shift 2\n"
    "# The allocated GPUs by Slurm's index: the device files of the gpu lines\n"
    "# of gres.conf for this node, in their order, expanded as slurmd does.\n"
    "gres=$(dirname \"${SLURM_CONF:-/etc/slurm/slurm.conf}\")/gres.conf\n"
    "gpu_files() {\n"
    "  sed -e 's/#.*//' \"$gres\" | while read -r line; do\n"
    "    name= file= node=\n"
    "    for w in $line; do\n"
    "      case $w in\n"
    "      [Nn][Aa][Mm][Ee]=*) name=${w#*=} ;;\n"
    "      [Ff][Ii][Ll][Ee]=*) file=${w#*=} ;;\n"
    "      [Nn][Oo][Dd][Ee][Nn][Aa][Mm][Ee]=*) node=${w#*=} ;;\n"
    "      esac\n"
    "    done\n"
    "    [ \"$name\" = gpu ] && [ -n \"$file\" ] || continue\n"
    "    if [ -n \"$node\" ]; then\n"
    "      scontrol show hostnames \"$node\" | grep -qxF \"$SLURMD_NODENAME\" "
    "||\n"
    "        continue\n"
    "    fi\n"
    "    scontrol show hostnames \"$file\"\n"
    "  done\n"
    "}\n"
    "if [ -n \"${SLURM_JOB_GPUS:-}\" ]; then\n"
    "  files=$(gpu_files)\n"
    "  for i in $(echo \"$SLURM_JOB_GPUS\" | tr , ' '); do\n"
    "    f=$(echo \"$files\" | sed -n \"$((i + 1))p\")\n"
    "    if [ -z \"$f\" ]; then\n"
    "      say \"GPU $i has no device file in $gres; its container cannot have "
    "it\"\n"
    "      exit 2\n"
    "    fi\n"
    "    set -- \"--device=$f\" \"$@\"\n"
    "  done\n"
    "fi\n"
    "mem=${SLURM_MEM_PER_NODE:-0}\n"
    "if [ \"$mem\" = 0 ] && [ -n \"${SLURM_MEM_PER_CPU:-}\" ]; then\n"
    "  mem=$((SLURM_MEM_PER_CPU * ${SLURM_CPUS_ON_NODE:-1}))\n"
    "fi\n"
    "if [ \"$mem\" != 0 ]; then\n"
    "  set -- \"--memory=${mem}m\" \"--memory-swap=${mem}m\" \"$@\"\n"
    "fi\n"
    "if [ -n \"${SLURM_CPUS_ON_NODE:-}\" ]; then\n"
    "  set -- \"--cpus=$SLURM_CPUS_ON_NODE\" \"$@\"\n"
    "fi\n"
    "# Bound to some CPUs (task/affinity, task/cgroup): the same ones.\n"
    "mine=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)\n"
    "if [ -n \"$mine\" ] && [ \"$mine\" != \"$(cat "
    "/sys/devices/system/cpu/online)\" ]; then\n"
    "  set -- \"--cpuset-cpus=$mine\" \"$@\"\n"
    "fi\n"
    "set -- \"$engine\" \"$sub\" \"$@\"\n"
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
