/* The Slurm placement (--executor slurm): each action the scheduler hands
 * over becomes one `sbatch` job that runs this aerohost again, with the
 * same command line, for that one action ($AEROMANCY_SLURM_ACTION, its
 * run-order position). The job's aerohost begins and ends the action's
 * run in the store (a team store every node reaches), so the record is
 * the one a local run makes; this host only submits, follows the jobs
 * (squeue, woken by a timer), prints the banners and resolves the graph.
 *
 * The scheduler places an action once its parents resolved, so its job
 * is submitted then, with --dependency=afterok: on its parents' jobs (a
 * guard for a job that outlives a parent's record: Slurm never starts
 * it on a parent that failed).
 *
 * The placement's state (slurm_state) is made by open and freed by close,
 * held in the execution's place_state. */
#include "placement.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "console.h"
#include "process.h"
#include "scheduler.h"
#include "signals.h"
#include "slurm_acct.h"
#include "slurm_job.h"
#include "slurm_resources.h"
#include "slurm_script.h"

/* How often squeue is asked about the jobs still running. */
#define POLL_INTERVAL_NS 200000000L
/* Where the jobs' scripts and outputs go, under the current folder (a
 * disk the nodes share), unless $AEROMANCY_SLURM_DIR names another. */
#define OUTPUT_DIR "aeromancy-slurm"
/* An entry of slurm_state.ended already handled. */
#define HANDLED SIZE_MAX
/* How far this host's clock may run ahead of the controller's, which
 * stamps a job's submit time: a job squeue never listed is taken to be
 * submitted no earlier than this before sbatch ran. Generous for clocks
 * kept in step (NTP), as Slurm's munge credentials need them (their
 * lifetime is 300 s by default). */
#define CLOCK_SLACK_S 300

typedef struct slurm_state {
  int timer;          /* wakes the loop to ask squeue */
  long *job;          /* by position; 0: not submitted */
  time_t *submitted;  /* by position: the job's submit time, the
                         controller's once squeue listed it */
  size_t *ended;      /* scratch for reap: slots whose job ended */
  aeh_slurm_end *end; /* how each ended (squeue, sacct; state "": unknown) */
  long *lost;         /* scratch for reap: the jobs squeue no longer lists */
  time_t *lost_since; /* scratch for reap: when each of `lost` was submitted */
  bool *seen;         /* scratch for reap: slots squeue listed */
  bool no_acct;       /* sacct said the cluster keeps no accounting */
  bool stopped;       /* pending jobs cancelled after a failure without -k */
  char **command;     /* the jobs' command (read_command), or NULL */
  char *words;        /* its text, which `command` points into */
  bool no_command;    /* named but unreadable: no job is submitted */
  char dir[PATH_MAX]; /* the jobs' scripts and outputs (slurm_open) */
} slurm_state;

static slurm_state *state_of(const aeh_exec *ex) {
  return ex->place_state;
}

/* The command the jobs run in place of `this aerohost run PLUGIN`, when
 * the file $AEROMANCY_SLURM_JOB_COMMAND names it, one word a line: the
 * runner's (`aeromancy go --executor slurm`), which runs the action in
 * the project's image (`docker run ... IMAGE aerohost run /plugin/P.so`).
 * The runner starts this aerohost as `aerohost run PLUGIN OPTIONS...`, so
 * the job's command ends with OPTIONS. Read into `sl`; false when the
 * file cannot be read. */
static bool read_command(slurm_state *sl, const char *file) {
  FILE *f = fopen(file, "r");
  if (f == NULL)
    return false;
  size_t size = 0, n = 0;
  ssize_t len = getdelim(&sl->words, &size, '\0', f);
  bool ok = !ferror(f) && len > 0;
  fclose(f);
  for (ssize_t i = 0; ok && i < len; i++)
    n += sl->words[i] == '\n';
  sl->command = ok ? calloc(n + 2, sizeof *sl->command) : NULL;
  if (sl->command == NULL)
    return false;
  /* Every line is a word, an empty one too (`--entrypoint ""`): not
   * strtok, which would drop it and shift every word after it. */
  n = 0;
  for (char *w = sl->words, *nl; *w != '\0'; w = nl + 1) {
    sl->command[n++] = w;
    if ((nl = strchr(w, '\n')) == NULL)
      break; /* the last line, without its newline */
    *nl = '\0';
  }
  return n > 0;
}

static void slurm_open(aeh_exec *ex) {
  slurm_state *sl = calloc(1, sizeof *sl);
  ex->place_state = sl;
  if (sl != NULL) {
    sl->timer = -1;
    sl->job = calloc(ex->n + 1, sizeof *sl->job);
    sl->submitted = calloc(ex->n + 1, sizeof *sl->submitted);
    sl->ended = calloc(ex->n + 1, sizeof *sl->ended);
    sl->end = calloc(ex->n + 1, sizeof *sl->end);
    sl->lost = calloc(ex->n + 1, sizeof *sl->lost);
    sl->lost_since = calloc(ex->n + 1, sizeof *sl->lost_since);
    sl->seen = calloc(ex->slot_count + 1, sizeof *sl->seen);
    sl->timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  }
  if (sl == NULL || sl->job == NULL || sl->submitted == NULL ||
      sl->ended == NULL || sl->end == NULL || sl->lost == NULL ||
      sl->lost_since == NULL || sl->seen == NULL || sl->timer < 0) {
    aeh_console_error("cannot follow Slurm jobs: %s", strerror(errno));
    ex->infra = true;
    return;
  }
  struct itimerspec every = {.it_interval = {0, POLL_INTERVAL_NS},
                             .it_value = {0, POLL_INTERVAL_NS}};
  timerfd_settime(sl->timer, 0, &every, NULL);
  const char *command = getenv("AEROMANCY_SLURM_JOB_COMMAND");
  errno = 0;
  if (command != NULL && command[0] != '\0' && !read_command(sl, command)) {
    sl->no_command = true;
    aeh_console_error("cannot read the jobs' command from %s "
                      "(AEROMANCY_SLURM_JOB_COMMAND): %s",
                      command, errno ? strerror(errno) : "no command");
    ex->infra = true;
  }
  /* The runner's jobs keep their files beside the plugin, out of the
   * project's tree. */
  const char *dir = getenv("AEROMANCY_SLURM_DIR");
  snprintf(sl->dir, sizeof sl->dir, "%s",
           dir != NULL && dir[0] != '\0' ? dir : OUTPUT_DIR);
  if (mkdir(sl->dir, 0777) != 0 && errno != EEXIST) {
    aeh_console_error("%s: cannot create the jobs' folder: %s", sl->dir,
                      strerror(errno));
    ex->infra = true;
  }
}

static aeh_slot *free_slot(aeh_exec *ex) {
  for (size_t i = 0; i < ex->slot_count; i++)
    if (!ex->slots[i].busy)
      return &ex->slots[i];
  return NULL;
}

/* An action that never became a job: the host's failure (exit 2). `asked`:
 * the resources it asked for ("" for none), which sbatch's refusal ("Requested
 * node configuration is not available") does not name. */
static void not_submitted(aeh_exec *ex, size_t p, const char *asked,
                          const char *why, double started) {
  ex->infra = true;
  aero_run_outcome o = {.state = AERO_RUN_FAILED, .exit_code = -1};
  char msg[AERO_ERROR_MESSAGE_MAX];
  snprintf(msg, sizeof msg, "not submitted to Slurm%s%.300s%s: %.600s",
           asked[0] ? " (asked for " : "", asked, asked[0] ? ")" : "", why);
  o.message = msg;
  aeh_sched_resolved(ex, p, &o, 0, started);
}

/* Appends to `argv` what the action at `p` asks of Slurm (its own
 * resources under [slurm] and the --slurm-* flags) in `buf`. Without a
 * time limit of its own, --timeout (enforced by the job's aerohost, the
 * same flag, which records the run timed out as a local run does) gives
 * one a minute longer, which only stops a job whose aerohost hangs. */
static size_t put_resources(const aeh_exec *ex, size_t p, char *argv[],
                            char (*buf)[64]) {
  aeh_slurm_res res;
  aeh_slurm_resources(ex->opts->slurm_res, ex->nodes[p].action, &res);
  size_t n = 0;
  double minutes = res.time_limit_s > 0 ? ceil(res.time_limit_s / 60.0)
                   : ex->opts->timeout_s > 0
                       ? ceil(ex->opts->timeout_s / 60.0) + 1
                       : 0;
  /* Slurm keeps a limit as seconds in an int: past 24,855 days it keeps
   * garbage (asked 71,582,789 minutes, a job got one minute), so a longer
   * one (--timeout 1e300) asks for that much. */
  if (minutes > AEH_SLURM_MAX_TIME_S / 60)
    minutes = AEH_SLURM_MAX_TIME_S / 60;
  if (minutes > 0)
    snprintf(buf[n++], sizeof *buf, "--time=%.0f", minutes);
  if (res.cpus > 0)
    snprintf(buf[n++], sizeof *buf, "--cpus-per-task=%u", res.cpus);
  if (res.memory_mb > 0)
    snprintf(buf[n++], sizeof *buf, "--mem=%lluM",
             (unsigned long long)res.memory_mb);
  if (res.gpus > 0)
    snprintf(buf[n++], sizeof *buf, "--gpus=%u", res.gpus);
  if (res.partition != NULL)
    snprintf(buf[n++], sizeof *buf, "--partition=%s", res.partition);
  for (size_t i = 0; i < n; i++)
    argv[i] = buf[i];
  return n;
}

static void slurm_start(aeh_exec *ex, size_t p, aeh_run *run, double started) {
  (void)run; /* NULL: the job records its run */
  slurm_state *sl = state_of(ex);
  char script[PATH_MAX], label[512], name[600], env[64], why[1024],
      output[PATH_MAX + 32];
  aeh_slot *s = free_slot(ex);
  if (sl == NULL || sl->job == NULL || s == NULL) {
    not_submitted(ex, p, "", "no room to follow its job", started);
    return;
  }
  if (sl->no_command) {
    not_submitted(ex, p, "",
                  "the jobs' command ($AEROMANCY_SLURM_JOB_COMMAND) could "
                  "not be read",
                  started);
    return;
  }
  if (!aeh_slurm_script_write(sl->dir, p + 1, sl->command, ex->opts->argc,
                              ex->opts->argv, script, sizeof script, why,
                              sizeof why)) {
    not_submitted(ex, p, "", why, started);
    return;
  }
  aeh_graph_label(ex->nodes[p].action, label, sizeof label);
  snprintf(name, sizeof name, "--job-name=aero %s", label);
  /* The job's position reaches it in sbatch's own environment, exported
   * whole (--export=ALL): naming it there instead ("ALL,VAR") makes slurmd
   * build the user's login environment (`su - USER -c env`) before the
   * job starts, 0.7-3 s per job here. */
  snprintf(env, sizeof env, "AEROMANCY_SLURM_ACTION=%zu", p + 1);
  /* And the runs its reused parents hold, whose versions it reads. */
  char *inputs = aeh_slurm_inputs_of(ex, p);
  char *sets[] = {env, inputs};
  /* envp borrows `inputs`: both freed once sbatch ran. */
  char **envp = inputs != NULL ? aeh_spawn_env_with(NULL, sets, 2) : NULL;
  /* Every parent's job, however many: one left out could let this job
   * start before it ended and read what it had not made yet. */
  const aeh_action *a = ex->nodes[p].action;
  static const char afterok[] = "--dependency=afterok";
  size_t dep_size = sizeof afterok + a->parent_count * 21;
  char *dep = malloc(dep_size);
  if (envp == NULL || dep == NULL) {
    free(envp);
    free(inputs);
    free(dep);
    not_submitted(ex, p, "", "out of memory", started);
    return;
  }
  size_t used = (size_t)snprintf(dep, dep_size, "%s", afterok);
  bool any = false;
  for (size_t k = 0; k < a->parent_count; k++) {
    long parent = sl->job[ex->pos_of[a->parents[k]]];
    if (parent > 0) {
      used += (size_t)snprintf(dep + used, dep_size - used, ":%ld", parent);
      any = true;
    }
  }
  char res[5][64];
  char *argv[16];
  size_t n = 0;
  argv[n++] = "sbatch";
  size_t nres = put_resources(ex, p, argv + n, res);
  n += nres;
  argv[n++] = "--parsable";
  argv[n++] = name;
  snprintf(output, sizeof output, "--output=%s/%%j.out", sl->dir);
  argv[n++] = output;
  argv[n++] = "--export=ALL";
  /* A job whose parent failed is cancelled, not left pending forever. */
  argv[n++] = "--kill-on-invalid-dep=yes";
  if (any)
    argv[n++] = dep;
  argv[n++] = script;
  argv[n] = NULL;
  aeh_spawn_out out;
  time_t before = time(NULL);
  bool ran = aeh_spawn_check(argv, envp, &out, why, sizeof why);
  free(envp);
  free(inputs);
  free(dep);
  char *end = NULL;
  long id = ran ? strtol(out.out, &end, 10) : 0;
  bool parsed = id > 0 && (*end == '\0' || *end == '\n' || *end == ';');
  if (ran && !parsed)
    aeh_spawn_first_line(out.out, why, sizeof why);
  aeh_spawn_out_free(&out);
  if (!ran || !parsed) {
    char asked[5 * 64 + 8] = "";
    for (size_t i = 0, at = 0; i < nres; i++)
      at += (size_t)snprintf(asked + at, sizeof asked - at, "%s%s",
                             i ? " " : "", res[i]);
    not_submitted(ex, p, asked, why, started);
    return;
  }
  sl->job[p] = id;
  sl->submitted[p] = before - CLOCK_SLACK_S;
  if (ex->opts->detach) {
    printf("%ld\t%s\n", id, label);
    fflush(stdout);
    aeh_sched_submitted(ex, p);
    return;
  }
  *s = (aeh_slot){.busy = true,
                  .pos = p,
                  .started = started,
                  .relay = {.fd = -1},
                  .out = s->out,
                  .err = s->err};
  ex->running++;
  if (ex->opts->debug)
    aeh_console_info("%s: Slurm job %ld", label, id);
  /* Slurm holds the dependents back (afterok) until this job ends well:
   * they are submitted now, so that each starts as soon as its parents
   * ended, with no round trip through this host. */
  aeh_sched_placed(ex, p);
}

static int slurm_event_fd(const aeh_exec *ex) {
  const slurm_state *sl = state_of(ex);
  return sl != NULL ? sl->timer : -1;
}

/* What the job's aerohost printed: the id of the run it recorded (from
 * "aeromancy: Slurm job J records run N", printed as the run began, or
 * its summary, "...; run N in STORE"), and the detail of its "Failed"
 * banner without the "(run N)" the caller adds back. False when the
 * output cannot be read. */
static bool job_report(const char *dir, long id, int64_t *run_id, char *failure,
                       size_t size) {
  char path[PATH_MAX + 32], line[2048];
  snprintf(path, sizeof path, "%s/%ld.out", dir, id);
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return false;
  failure[0] = '\0';
  while (fgets(line, sizeof line, f) != NULL) {
    line[strcspn(line, "\n")] = '\0';
    const char *at = strstr(line, "] Failed [");
    const char *colon = at != NULL ? strstr(at, ": ") : NULL;
    if (colon != NULL) {
      snprintf(failure, size, "%s", colon + 2);
      char *tail = strrchr(failure, '(');
      if (tail != NULL && strncmp(tail, "(run ", 5) == 0 && tail > failure)
        tail[-1] = '\0';
    }
    long long n;
    const char *run = strstr(line, "; run ");
    if ((run != NULL && sscanf(run, "; run %lld in ", &n) == 1) ||
        sscanf(line, "aeromancy: Slurm job %*[0-9] records run %lld", &n) == 1)
      *run_id = n;
  }
  fclose(f);
  return true;
}

/* The state the job's aerohost recorded, by the message outcome.c or
 * slurm_job.c gives each, so that dependents say "timed out" as in a
 * local run. */
static uint32_t recorded_state(const char *failure) {
  if (strncmp(failure, "timed out after ", 16) == 0 ||
      strstr(failure, " reached its time limit") != NULL)
    return AERO_RUN_TIMED_OUT;
  if (strncmp(failure, "crashed with ", 13) == 0)
    return AERO_RUN_CRASHED;
  if (strncmp(failure, "interrupted by ", 15) == 0 ||
      strncmp(failure, "out of memory", 13) == 0 ||
      (strncmp(failure, "Slurm job ", 10) == 0 &&
       strstr(failure, " was cancelled") != NULL))
    return AERO_RUN_KILLED;
  return AERO_RUN_FAILED;
}

/* Maps an ended job's state onto the outcome of its action: what its
 * aerohost recorded when it said so (`failure`), else what Slurm says. */
static void job_outcome(const char *dir, const aeh_slot *s, long id,
                        const aeh_slurm_end *e, const char *failure,
                        aero_run_outcome *o, char *msg, size_t size) {
  const char *state = e->state, *reason = e->reason;
  o->message = msg;
  o->exit_code = -1;
  bool why = reason[0] != '\0' && strcmp(reason, "None") != 0;
  if (strcmp(state, "COMPLETED") == 0) {
    o->state = AERO_RUN_OK;
    o->exit_code = 0;
    o->message = NULL;
  } else if (s->forwarded != 0) {
    char sig[32];
    aeh_signal_name(s->forwarded, sig, sizeof sig);
    o->state = AERO_RUN_KILLED;
    snprintf(msg, size, "interrupted by %s (Slurm job %ld cancelled)", sig, id);
  } else if (failure[0] != '\0') {
    o->state = recorded_state(failure);
    snprintf(msg, size, "%s", failure);
  } else if (strcmp(state, "FAILED") == 0) {
    /* Its exit code or signal when sacct gave them (squeue does not). */
    char how[64] = "";
    if (e->signal > 0) {
      char sig[32];
      aeh_signal_name(e->signal, sig, sizeof sig);
      snprintf(how, sizeof how, ", killed by %s", sig);
    } else if (e->exit_code > 0)
      snprintf(how, sizeof how, " with exit code %d", e->exit_code);
    o->state = AERO_RUN_FAILED;
    snprintf(msg, size, "Slurm job %ld failed%s (output in %.512s/%ld.out)", id,
             how, dir, id);
  } else if (strcmp(state, "TIMEOUT") == 0) {
    o->state = AERO_RUN_TIMED_OUT;
    snprintf(msg, size, "Slurm job %ld reached its time limit", id);
  } else {
    /* CANCELLED, OUT_OF_MEMORY, NODE_FAIL, PREEMPTED, BOOT_FAIL, DEADLINE */
    o->state = AERO_RUN_KILLED;
    snprintf(msg, size, "Slurm job %ld ended %s%s%s%s", id, state,
             why ? " (" : "", why ? reason : "", why ? ")" : "");
  }
}

static bool job_running(const char *state) {
  static const char *const busy[] = {
      "PENDING",      "RUNNING",      "CONFIGURING",   "COMPLETING",
      "SUSPENDED",    "REQUEUED",     "RESIZING",      "SIGNALING",
      "STAGE_OUT",    "REQUEUE_HOLD", "RESV_DEL_HOLD", "REQUEUE_FED",
      "SPECIAL_EXIT", "STOPPED"};
  for (size_t i = 0; i < sizeof busy / sizeof *busy; i++)
    if (strcmp(state, busy[i]) == 0)
      return true;
  return false;
}

/* Records run `run_id` with outcome `o` when the store still has it
 * running; the state the store had, 0 when it cannot say. */
static uint32_t settle_run(aeh_exec *ex, int64_t run_id,
                           const aero_run_outcome *o) {
  uint32_t found = 0;
  aero_error err = AEH_ERROR_INIT;
  if (aeh_run_end_orphan(ex->store, run_id, o, &found, &err) != AERO_OK) {
    aeh_console_error("recording run %lld failed: %s", (long long)run_id,
                      err.message);
    ex->infra = true;
  }
  return found;
}

/* A job that ended in a failed state while its run is still recorded
 * running: its aerohost was killed outright (SIGKILL: out of memory under
 * cgroups, a node failure) before it could record anything, so this host
 * records the run killed with Slurm's state and reason, in `o`. When
 * Slurm cannot say how the job ended, the record says that instead of
 * claiming an end without a signal. */
static void end_orphan(aeh_exec *ex, long id, const aeh_slurm_end *e,
                       int64_t run_id, aero_run_outcome *o, char *msg,
                       size_t size) {
  const char *state = e->state, *reason = e->reason;
  int sig = e->signal;
  aero_error err = AEH_ERROR_INIT;
  /* sacct gave the signal; squeue does not: scontrol, while it knows the
   * job. */
  bool known = sig >= 0 || aeh_slurm_job_signal(id, &sig, &err) == AERO_OK;
  char how[AERO_ERROR_MESSAGE_MAX / 2] = "";
  if (!known)
    snprintf(how, sizeof how, "how its aerohost ended is unknown (%.400s)",
             err.message);
  else if (sig > 0) {
    char name[32];
    aeh_signal_name(sig, name, sizeof name);
    snprintf(how, sizeof how, "its aerohost was killed by %s", name);
  } else
    snprintf(how, sizeof how, "its aerohost ended without recording the run");
  bool why = reason[0] != '\0' && strcmp(reason, "None") != 0;
  char text[AERO_ERROR_MESSAGE_MAX];
  aero_run_outcome killed = {.state = AERO_RUN_KILLED,
                             .exit_code = -1,
                             .signal = sig,
                             .message = text};
  snprintf(text, sizeof text, "Slurm job %ld ended %s%s%s%s: %s", id, state,
           why ? " (" : "", why ? reason : "", why ? ")" : "", how);
  /* `msg` holds the job's own failure until the store says it is lost. */
  if (settle_run(ex, run_id, &killed) == AERO_RUN_RUNNING) {
    snprintf(msg, size, "%s", text);
    *o = killed;
    o->message = msg;
  }
}

/* A followed job that squeue no longer knows (purged after MinJobAge)
 * and that Slurm's accounting cannot tell of (none kept, sacct failed):
 * how it ended is read from its run's record. A run recorded ok is a
 * job COMPLETED; one still running was killed before its aerohost could
 * record it (recorded so now, in `o`); any other, or a job that never
 * began a run, FAILED (its "Failed" banner, if any, says why). */
static void gone_state(aeh_exec *ex, long id, int64_t run_id, char *state,
                       size_t size, aero_run_outcome *o, char *msg,
                       size_t msg_size) {
  snprintf(state, size, "FAILED");
  if (run_id <= 0)
    return;
  snprintf(msg, msg_size,
           "Slurm job %ld left the queue while its run was still running", id);
  aero_run_outcome killed = {
      .state = AERO_RUN_KILLED, .exit_code = -1, .message = msg};
  uint32_t found = settle_run(ex, run_id, &killed);
  if (found == AERO_RUN_OK)
    snprintf(state, size, "COMPLETED");
  else if (found == AERO_RUN_RUNNING)
    *o = killed;
}

/* Finishes the action of slot `s`, whose job ended as `end` says (squeue's
 * or sacct's word; an empty state for a job Slurm no longer knows). A job
 * that never started (no output: cancelled while it waited, for a failed
 * parent or a stop) is skipped as the scheduler would have skipped it. */
static void job_ended(aeh_exec *ex, aeh_slot *s, long id,
                      const aeh_slurm_end *end) {
  aeh_slurm_end e = *end;
  char *state = e.state;
  aero_run_outcome o = {0};
  char msg[AERO_ERROR_MESSAGE_MAX], failure[1024] = "";
  int64_t run_id = 0;
  const char *dir = state_of(ex)->dir;
  bool started = job_report(dir, id, &run_id, failure, sizeof failure);
  s->busy = false;
  ex->running--;
  if (state[0] == '\0')
    gone_state(ex, id, run_id, state, sizeof e.state, &o, msg, sizeof msg);
  if (strcmp(state, "COMPLETED") != 0 && !started &&
      aeh_sched_never_started(ex, s->pos))
    return;
  if (o.message == NULL) {
    job_outcome(dir, s, id, &e, failure, &o, msg, sizeof msg);
    if (strcmp(state, "COMPLETED") != 0 && run_id > 0)
      end_orphan(ex, id, &e, run_id, &o, msg, sizeof msg);
  }
  aeh_sched_resolved(ex, s->pos, &o, run_id, s->started);
}

/* How the `count` jobs sl->lost, which squeue no longer lists, ended, into
 * `ends`, from Slurm's accounting: one sacct for all of them, only for
 * these (a job squeue lists costs no sacct). Where accounting cannot say
 * (not kept on this cluster, said once with --debug; sacct failing, said
 * in one line) the states stay empty: each job is settled from its run's
 * record (gone_state). */
static void lost_ends(aeh_exec *ex, slurm_state *sl, aeh_slurm_end *ends,
                      size_t count) {
  if (sl->no_acct)
    return;
  aero_error err = AEH_ERROR_INIT;
  aero_status status =
      aeh_slurm_acct_ends(sl->lost, sl->lost_since, count, ends, &err);
  if (status == AERO_E_UNSUPPORTED) {
    sl->no_acct = true;
    if (ex->opts->debug)
      aeh_console_info("sacct: this cluster keeps no accounting; jobs "
                       "purged from squeue are settled from their runs");
  } else if (status != AERO_OK)
    aeh_console_warn("%s: how %s ended is read from %s instead", err.message,
                     count > 1 ? "these jobs" : "this job",
                     count > 1 ? "their runs' records" : "its run's record");
}

/* After a failure without -k nothing new starts: the jobs still pending
 * (`pending`, `count` of them) are cancelled, and are skipped when they
 * come back cancelled without having started. */
static void stop_pending(aeh_exec *ex, slurm_state *sl, const long *pending,
                         size_t count) {
  sl->stopped = true;
  if (count == 0)
    return;
  size_t cap = 24 * count + 1;
  char *ids = malloc(cap), why[1024];
  if (ids == NULL)
    return;
  size_t used = 0;
  for (size_t i = 0; i < count; i++)
    used += (size_t)snprintf(ids + used, cap - used, "%s%ld", i ? "," : "",
                             pending[i]);
  char *argv[] = {"scancel", ids, NULL};
  aeh_spawn_out out;
  if (!aeh_spawn_check(argv, NULL, &out, why, sizeof why))
    aeh_console_warn("scancel %s: %s", ids, why);
  aeh_spawn_out_free(&out);
  free(ids);
  (void)ex;
}

/* The slot following job `id`, or NULL. */
static aeh_slot *slot_of(aeh_exec *ex, const slurm_state *sl, long id) {
  for (size_t i = 0; i < ex->slot_count; i++)
    if (ex->slots[i].busy && sl->job[ex->slots[i].pos] == id)
      return &ex->slots[i];
  return NULL;
}

static void slurm_reap(aeh_exec *ex) {
  slurm_state *sl = state_of(ex);
  uint64_t ticks = 0, more;
  if (sl == NULL)
    return;
  while (read(sl->timer, &more, sizeof more) > 0)
    ticks += more;
  /* Only on the timer: the loop also calls this on every SIGCHLD, and
   * each squeue ends with one, which would ask squeue again at once, in
   * a loop that keeps a core busy beside the jobs. */
  if (ticks == 0 || ex->running == 0)
    return;
  /* One squeue for every job still followed. */
  size_t cap = 64 + 24 * ex->running;
  char *ids = malloc(cap), why[1024];
  long *pending = malloc((ex->running + 1) * sizeof *pending);
  aeh_spawn_out out = {0};
  if (ids == NULL || pending == NULL) {
    free(ids);
    free(pending);
    return;
  }
  size_t used = (size_t)snprintf(ids, cap, "--jobs=");
  for (size_t i = 0; i < ex->slot_count; i++)
    if (ex->slots[i].busy)
      used += (size_t)snprintf(ids + used, cap - used, "%s%ld",
                               ids[used - 1] == '=' ? "" : ",",
                               sl->job[ex->slots[i].pos]);
  /* %V: the job's submit time by the controller's clock, in Unix time
   * (SLURM_TIME_FORMAT), which tells its record in Slurm's accounting
   * from an older job's of the same id (lost_ends). */
  char *argv[] = {"squeue", "-h", "-t", "all", ids, "-o", "%i %V %T %r", NULL};
  char *sets[] = {"SLURM_TIME_FORMAT=%s"};
  char **envp = aeh_spawn_env_with(NULL, sets, 1);
  size_t ended = 0, waiting = 0;
  if (envp == NULL)
    goto done;
  bool ran = aeh_spawn_check(argv, envp, &out, why, sizeof why);
  free(envp);
  if (!ran) {
    if (ex->opts->debug)
      aeh_console_info("squeue: %s", why);
    /* Every job asked about purged: each is checked below. Anything
     * else is a busy controller: asked again at the next tick. */
    if (strstr(why, "Invalid job id") == NULL)
      goto done;
    out.out[0] = '\0';
  }
  for (size_t i = 0; i < ex->slot_count; i++)
    sl->seen[i] = false;
  char *save = NULL;
  for (char *line = strtok_r(out.out, "\n", &save); line != NULL;
       line = strtok_r(NULL, "\n", &save)) {
    long id;
    char submit[32], state[64], *after = NULL;
    int at = 0;
    if (sscanf(line, "%ld %31s %n%63s", &id, submit, &at, state) < 3)
      continue;
    if (strcmp(state, "PENDING") == 0)
      pending[waiting++] = id;
    aeh_slot *s = slot_of(ex, sl, id);
    if (s != NULL)
      sl->seen[s - ex->slots] = true;
    long long when = strtoll(submit, &after, 10);
    if (s != NULL && when > 0 && *after == '\0')
      sl->submitted[s->pos] = (time_t)when;
    if (s != NULL && !job_running(state)) {
      sl->ended[ended] = (size_t)(s - ex->slots);
      aeh_slurm_end_from_squeue(line + at, &sl->end[ended++]);
    }
  }
  /* A job squeue left out ended and was purged (MinJobAge) between two
   * ticks: without this it would be waited for forever. */
  size_t lost = 0;
  for (size_t i = 0; i < ex->slot_count; i++)
    if (ex->slots[i].busy && !sl->seen[i] &&
        aeh_slurm_job_gone(sl->job[ex->slots[i].pos])) {
      sl->lost_since[lost] = sl->submitted[ex->slots[i].pos];
      sl->lost[lost++] = sl->job[ex->slots[i].pos];
      sl->ended[ended] = i;
      sl->end[ended++] = (aeh_slurm_end){.exit_code = -1, .signal = -1};
    }
  if (lost > 0)
    lost_ends(ex, sl, sl->end + ended - lost, lost);
  /* Parents first: a child cancelled for its parent's failure is skipped
   * with that parent named, so it waits until its parents resolved (in
   * this pass, or at the next tick). */
  for (bool progress = true; progress;) {
    progress = false;
    for (size_t e = 0; e < ended; e++) {
      aeh_slot *s = sl->ended[e] != HANDLED ? &ex->slots[sl->ended[e]] : NULL;
      if (s == NULL || !aeh_sched_parents_resolved(ex, s->pos))
        continue;
      job_ended(ex, s, sl->job[s->pos], &sl->end[e]);
      sl->ended[e] = HANDLED;
      progress = true;
    }
  }
  if (ex->stop && !sl->stopped)
    stop_pending(ex, sl, pending, waiting);
done:
  aeh_spawn_out_free(&out);
  free(ids);
  free(pending);
}

/* Ctrl-C / SIGTERM, or the SIGKILL after the grace: the job is cancelled
 * (Slurm sends its processes SIGTERM, then SIGKILL after KillWait); its
 * aerohost records the run killed. */
static void slurm_signal(aeh_exec *ex, aeh_slot *s, int sig) {
  (void)sig;
  const slurm_state *sl = state_of(ex);
  char id[32], why[1024];
  snprintf(id, sizeof id, "%ld", sl->job[s->pos]);
  char *argv[] = {"scancel", id, NULL};
  aeh_spawn_out out;
  if (!aeh_spawn_check(argv, NULL, &out, why, sizeof why))
    aeh_console_warn("scancel %s: %s", id, why);
  aeh_spawn_out_free(&out);
}

static void slurm_close(aeh_exec *ex) {
  slurm_state *sl = state_of(ex);
  if (sl == NULL)
    return;
  if (sl->timer >= 0)
    close(sl->timer);
  free(sl->job);
  free(sl->submitted);
  free(sl->ended);
  free(sl->end);
  free(sl->lost);
  free(sl->lost_since);
  free(sl->seen);
  free(sl->command);
  free(sl->words);
  free(sl);
  ex->place_state = NULL;
}

const aeh_placement aeh_place_slurm = {
    .name = "slurm",
    .records_elsewhere = true,
    .open = slurm_open,
    .start = slurm_start,
    .event_fd = slurm_event_fd,
    .reap = slurm_reap,
    .signal = slurm_signal,
    .close = slurm_close,
};
