/* aerohost's standard options, as one table: cli.c expands it into its
 * parser, help and man page, and the runner's `aeromancy go` (cmd_go.c)
 * into the options it passes on to `aerohost run` as given, so that every
 * new option of aerohost's reaches `aeromancy go` without a second list.
 *
 * X(id, name, short letter, metavar or NULL for a flag, commands, group,
 * help). Two parts:
 *   AEH_CLI_OPTIONS_PASSED_ON: `aeromancy go` passes these on as given.
 *   AEH_CLI_OPTIONS_OWN: the runner handles these itself (--dev, --debug
 *     and --artifact-override it reads and passes on; --store is a folder
 *     on the host, mounted into the container), and -h/--help.
 *
 * Owner: front-end (cli.c). */
#ifndef AEH_CLI_OPTIONS_H
#define AEH_CLI_OPTIONS_H

#define AEH_CLI_OPTIONS_PASSED_ON(X)                                           \
  X(O_ONLY, "only", 0, "SUBSTRS", AEH_CMD_RUN | AEH_CMD_LIST | AEH_CMD_GRAPH,  \
    G_TASK,                                                                    \
    "run only the actions whose \"job_type output\" contains one of these "    \
    "comma-separated substrings; the others are skipped and their outputs "    \
    "resolve to the latest existing version")                                  \
  X(O_LIST, "list", 0, NULL, AEH_CMD_RUN, G_TASK,                              \
    "print \"[job_type] output\" per action and stop (as aerohost list)")      \
  X(O_GRAPH, "graph", 0, NULL, AEH_CMD_RUN, G_TASK,                            \
    "print the action graph and stop (as aerohost graph)")                     \
  X(O_JSON, "json", 0, NULL, AEH_CMD_RUN | AEH_CMD_LIST | AEH_CMD_DESCRIBE,    \
    G_TASK, "print JSON (with --list for run)")                                \
  X(O_FORMAT, "format", 0, "dot|text", AEH_CMD_RUN | AEH_CMD_GRAPH, G_TASK,    \
    "graph as Graphviz DOT (default) or a terminal tree (with --graph for "    \
    "run)")                                                                    \
  X(O_TAGS, "tags", 0, "A,B", AEH_CMD_RUN, G_TASK,                             \
    "comma-separated tags added to every run")                                 \
  X(O_DRY_RUN, "dry-run", 0, NULL, AEH_CMD_RUN, G_TASK,                        \
    "print the plan (what would run, what is skipped and why) and run "        \
    "nothing")                                                                 \
  X(O_FORCE, "force", 0, NULL, AEH_CMD_RUN, G_TASK,                            \
    "run every selected action, even when a past run with the same code, "     \
    "config and inputs could be reused")                                       \
  X(O_FORCE_ONLY, "force-only", 0, "SUBSTRS", AEH_CMD_RUN, G_TASK,             \
    "run the actions whose \"job_type output\" contains one of these "         \
    "comma-separated substrings even when they could be reused (what "         \
    "reads their outputs reruns if those change)")                             \
  X(O_JOBS, "jobs", 'j', "N", AEH_CMD_RUN, G_TASK,                             \
    "run up to N independent actions in parallel (default 1)")                 \
  X(O_KEEP_GOING, "keep-going", 'k', NULL, AEH_CMD_RUN, G_TASK,                \
    "after a failure, go on with the independent branches")                    \
  X(O_TIMEOUT, "timeout", 0, "SECONDS", AEH_CMD_RUN, G_TASK,                   \
    "kill an action that runs longer than this; its run is recorded as "       \
    "timed out")                                                               \
  X(O_NO_ISOLATION, "no-isolation", 0, NULL, AEH_CMD_RUN, G_TASK,              \
    "run actions inside the aerohost process, for a debugger (a crash then "   \
    "takes aerohost down)")                                                    \
  X(O_BUILDER, "builder", 0, "NAME",                                           \
    AEH_CMD_RUN | AEH_CMD_LIST | AEH_CMD_GRAPH, G_TASK,                        \
    "the builder to use when the plugin has several (default: the first)")     \
  X(O_BACKEND, "backend", 0, "NAME", AEH_CMD_RUN, G_RUNTIME,                   \
    "the tracker backend plugin tracker-NAME.so to record with (default: "     \
    "$AEROMANCY_BACKEND, else [store] backend in aeromancy.ini, else local)")  \
  X(O_EXECUTOR, "executor", 0, "local|slurm", AEH_CMD_RUN, G_TASK,             \
    "where actions run: here (local, the default) or each as a Slurm job "     \
    "(slurm; needs a team store every node reaches)")                          \
  X(O_DETACH, "detach", 0, NULL, AEH_CMD_RUN, G_TASK,                          \
    "with --executor slurm: submit every action as a job and return, "         \
    "printing the job ids (an action that can be reused is not submitted)")    \
  X(O_SLURM_CPUS, "slurm-cpus", 0, "N", AEH_CMD_RUN, G_TASK,                   \
    "with --executor slurm: CPUs per job, over the actions' own and "          \
    "[slurm] cpus")                                                            \
  X(O_SLURM_MEM, "slurm-mem", 0, "SIZE", AEH_CMD_RUN, G_TASK,                  \
    "with --executor slurm: memory per job (MiB, or with K, M, G or T), "      \
    "over the actions' own and [slurm] mem")                                   \
  X(O_SLURM_TIME, "slurm-time", 0, "LIMIT", AEH_CMD_RUN, G_TASK,               \
    "with --executor slurm: time limit per job (minutes, [D-]H:M:S, or with "  \
    "s, m, h or d), over the actions' own and [slurm] time")                   \
  X(O_SLURM_GPUS, "slurm-gpus", 0, "N", AEH_CMD_RUN, G_TASK,                   \
    "with --executor slurm: GPUs per job, over the actions' own and "          \
    "[slurm] gpus")                                                            \
  X(O_SLURM_PARTITION, "slurm-partition", 0, "NAME", AEH_CMD_RUN, G_TASK,      \
    "with --executor slurm: the partition of every job, over the actions' "    \
    "own and [slurm] partition")

#define AEH_CLI_OPTIONS_OWN(X)                                                 \
  X(O_DEV, "dev", 0, NULL, AEH_CMD_RUN, G_RUNTIME,                             \
    "dev mode: no runner environment needed; runs and artifacts are kept "     \
    "apart from production")                                                   \
  X(O_DEBUG, "debug", 0, NULL, AEH_CMD_RUN, G_RUNTIME, "verbose output")       \
  X(O_OVERRIDE, "artifact-override", 0, "NAME:VERSION", AEH_CMD_RUN,           \
    G_RUNTIME,                                                                 \
    "pin an input artifact to a version, e.g. dataset:v3 (repeatable)")        \
  X(O_STORE, "store", 0, "PATH", AEH_CMD_RUN, G_RUNTIME,                       \
    "the store to record in (default: $AEROMANCY_STORE, else [store] path "    \
    "in aeromancy.ini, else $XDG_DATA_HOME/aeromancy, else "                   \
    "~/.local/share/aeromancy)")                                               \
  X(O_HELP, "help", 'h', NULL, ALL_COMMANDS, G_GENERAL, "show this help")

#endif /* AEH_CLI_OPTIONS_H */
