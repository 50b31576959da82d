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
 * One execution per process: the placement's state is file-static. */
#include "placement.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "console.h"
#include "scheduler.h"
#include "signals.h"

extern char **environ;

/* How often squeue is asked about the jobs still running. */
#define POLL_INTERVAL_NS 200000000L
#define OUTPUT_DIR "aeromancy-slurm"

static struct {
  int timer;
  long *job; /* by position; 0: not submitted */
} sl = {.timer = -1};

/* Runs argv (PATH lookup), its stdout and stderr into `out`; returns its
 * exit status (-1: could not start). */
static int capture(char *const argv[], char *out, size_t size) {
  int fds[2];
  out[0] = '\0';
  if (pipe2(fds, O_CLOEXEC) != 0)
    return -1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    snprintf(out, size, "%s: %s", argv[0], strerror(rc));
    return -1;
  }
  size_t len = 0;
  for (;;) {
    char chunk[4096];
    ssize_t got = read(fds[0], chunk, sizeof chunk);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      break;
    size_t take = (size_t)got < size - 1 - len ? (size_t)got : size - 1 - len;
    memcpy(out + len, chunk, take);
    len += take;
  }
  out[len] = '\0';
  close(fds[0]);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The first line of `text`, for a one-line message. */
static const char *first_line(char *text) {
  text[strcspn(text, "\n")] = '\0';
  return text;
}

/* Appends `arg` single-quoted for sh. */
static void put_quoted(FILE *f, const char *arg) {
  fputc('\'', f);
  for (; *arg; arg++)
    if (*arg == '\'')
      fputs("'\\''", f);
    else
      fputc(*arg, f);
  fputc('\'', f);
}

/* Writes the job script of position `p`: this aerohost, this command line. */
static bool write_script(const aeh_exec *ex, size_t p, char *path,
                         size_t size) {
  char exe[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len <= 0)
    return false;
  exe[len] = '\0';
  snprintf(path, size, "%s/action-%zu.sh", OUTPUT_DIR, p + 1);
  FILE *f = fopen(path, "w");
  if (f == NULL)
    return false;
  fputs("#!/bin/sh\nexec ", f);
  put_quoted(f, exe);
  for (int i = 1; i < ex->opts->argc; i++) {
    fputc(' ', f);
    put_quoted(f, ex->opts->argv[i]);
  }
  fputc('\n', f);
  return fclose(f) == 0;
}

static void slurm_open(aeh_exec *ex) {
  sl.job = calloc(ex->n + 1, sizeof *sl.job);
  sl.timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (sl.job == NULL || sl.timer < 0) {
    aeh_console_error("cannot follow Slurm jobs: %s", strerror(errno));
    ex->infra = true;
    return;
  }
  struct itimerspec every = {.it_interval = {0, POLL_INTERVAL_NS},
                             .it_value = {0, POLL_INTERVAL_NS}};
  timerfd_settime(sl.timer, 0, &every, NULL);
  if (mkdir(OUTPUT_DIR, 0777) != 0 && errno != EEXIST) {
    aeh_console_error("%s: cannot create the jobs' folder: %s", OUTPUT_DIR,
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

/* An action that never became a job: the host's failure (exit 2). */
static void not_submitted(aeh_exec *ex, size_t p, const char *why,
                          double started) {
  ex->infra = true;
  aero_run_outcome o = {.state = AERO_RUN_FAILED, .exit_code = -1};
  char msg[AERO_ERROR_MESSAGE_MAX];
  snprintf(msg, sizeof msg, "not submitted to Slurm: %.900s", why);
  o.message = msg;
  aeh_sched_resolved(ex, p, &o, 0, started);
}

static void slurm_start(aeh_exec *ex, size_t p, aeh_run *run, double started) {
  (void)run; /* NULL: the job records its run */
  char script[PATH_MAX], label[512], name[600], env[64], dep[4096], out[4096];
  aeh_slot *s = free_slot(ex);
  if (sl.job == NULL || s == NULL ||
      !write_script(ex, p, script, sizeof script)) {
    not_submitted(ex, p, "cannot write its job script", started);
    return;
  }
  aeh_exec_label(ex->nodes[p].action, label, sizeof label);
  snprintf(name, sizeof name, "--job-name=aero %s", label);
  snprintf(env, sizeof env, "--export=ALL,AEROMANCY_SLURM_ACTION=%zu", p + 1);
  size_t used = (size_t)snprintf(dep, sizeof dep, "--dependency=afterok");
  const aeh_action *a = ex->nodes[p].action;
  bool any = false;
  for (size_t k = 0; k < a->parent_count && used < sizeof dep - 24; k++) {
    long parent = sl.job[ex->pos_of[a->parents[k]]];
    if (parent > 0) {
      used += (size_t)snprintf(dep + used, sizeof dep - used, ":%ld", parent);
      any = true;
    }
  }
  /* --timeout is enforced by the job's aerohost (the same flag), which
   * records the run timed out as a local run does; Slurm's time limit, a
   * minute more in whole minutes, only stops a job whose aerohost hangs. */
  char limit[64];
  snprintf(limit, sizeof limit, "--time=%.0f",
           ceil(ex->opts->timeout_s / 60.0) + 1);
  char *argv[12];
  size_t n = 0;
  argv[n++] = "sbatch";
  if (ex->opts->timeout_s > 0)
    argv[n++] = limit;
  argv[n++] = "--parsable";
  argv[n++] = name;
  argv[n++] = "--output=" OUTPUT_DIR "/%j.out";
  argv[n++] = env;
  /* A job whose parent failed is cancelled, not left pending forever. */
  argv[n++] = "--kill-on-invalid-dep=yes";
  if (any)
    argv[n++] = dep;
  argv[n++] = script;
  argv[n] = NULL;
  int rc = capture(argv, out, sizeof out);
  char *end = NULL;
  long id = strtol(out, &end, 10);
  if (rc != 0 || id <= 0 || (*end != '\0' && *end != '\n' && *end != ';')) {
    not_submitted(ex, p, first_line(out), started);
    return;
  }
  sl.job[p] = id;
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
}

static int slurm_event_fd(const aeh_exec *ex) {
  (void)ex;
  return sl.timer;
}

/* What the job's aerohost printed: the id of the run it recorded (from
 * its summary, "...; run N in STORE"), and the detail of its "Failed"
 * banner without the "(run N)" the caller adds back. False when the
 * output cannot be read. */
static bool job_report(long id, int64_t *run_id, char *failure, size_t size) {
  char path[64], line[2048];
  snprintf(path, sizeof path, OUTPUT_DIR "/%ld.out", id);
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
    if (run != NULL && sscanf(run, "; run %lld in ", &n) == 1)
      *run_id = n;
  }
  fclose(f);
  return true;
}

/* Maps an ended job's state onto the outcome of its action. */
static void job_outcome(const aeh_slot *s, long id, const char *state,
                        const char *reason, const char *failure,
                        aero_run_outcome *o, char *msg, size_t size) {
  o->message = msg;
  o->exit_code = -1;
  if (strcmp(state, "COMPLETED") == 0) {
    o->state = AERO_RUN_OK;
    o->exit_code = 0;
    o->message = NULL;
  } else if (s->forwarded != 0) {
    char sig[32];
    aeh_signal_name(s->forwarded, sig, sizeof sig);
    o->state = AERO_RUN_KILLED;
    snprintf(msg, size, "interrupted by %s (Slurm job %ld cancelled)", sig, id);
  } else if (strcmp(state, "FAILED") == 0) {
    /* The state the job's aerohost recorded, by the message outcome.c
     * gives each, so that dependents say "timed out" as in a local run. */
    o->state = strncmp(failure, "timed out after ", 16) == 0
                   ? AERO_RUN_TIMED_OUT
               : strncmp(failure, "crashed with ", 13) == 0   ? AERO_RUN_CRASHED
               : strncmp(failure, "interrupted by ", 15) == 0 ? AERO_RUN_KILLED
                                                              : AERO_RUN_FAILED;
    if (failure[0] != '\0')
      snprintf(msg, size, "%s", failure);
    else
      snprintf(msg, size, "Slurm job %ld failed (output in %s/%ld.out)", id,
               OUTPUT_DIR, id);
  } else if (strcmp(state, "TIMEOUT") == 0) {
    o->state = AERO_RUN_TIMED_OUT;
    snprintf(msg, size, "Slurm job %ld reached its time limit", id);
  } else {
    /* CANCELLED, OUT_OF_MEMORY, NODE_FAIL, PREEMPTED, BOOT_FAIL, DEADLINE */
    o->state = AERO_RUN_KILLED;
    snprintf(msg, size, "Slurm job %ld ended %s%s%s%s", id, state,
             reason[0] && strcmp(reason, "None") != 0 ? " (" : "",
             strcmp(reason, "None") != 0 ? reason : "",
             reason[0] && strcmp(reason, "None") != 0 ? ")" : "");
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

static void slurm_reap(aeh_exec *ex) {
  uint64_t ticks;
  while (read(sl.timer, &ticks, sizeof ticks) > 0)
    ;
  if (ex->running == 0)
    return;
  /* One squeue for every job still followed. */
  size_t cap = 64 + 24 * ex->running;
  char *ids = malloc(cap);
  char *out = malloc(1 << 20);
  if (ids == NULL || out == NULL) {
    free(ids);
    free(out);
    return;
  }
  size_t used = (size_t)snprintf(ids, cap, "--jobs=");
  for (size_t i = 0; i < ex->slot_count; i++)
    if (ex->slots[i].busy)
      used += (size_t)snprintf(ids + used, cap - used, "%s%ld",
                               ids[used - 1] == '=' ? "" : ",",
                               sl.job[ex->slots[i].pos]);
  char *argv[] = {"squeue", "-h", "-t", "all", ids, "-o", "%i %T %r", NULL};
  if (capture(argv, out, 1 << 20) != 0) {
    if (ex->opts->debug)
      aeh_console_info("squeue: %s", first_line(out));
    free(ids);
    free(out);
    return; /* a busy controller: asked again at the next tick */
  }
  char *save = NULL;
  for (char *line = strtok_r(out, "\n", &save); line != NULL;
       line = strtok_r(NULL, "\n", &save)) {
    long id;
    char state[64], reason[256] = "";
    if (sscanf(line, "%ld %63s %255[^\n]", &id, state, reason) < 2 ||
        job_running(state))
      continue;
    for (size_t i = 0; i < ex->slot_count; i++) {
      aeh_slot *s = &ex->slots[i];
      if (!s->busy || sl.job[s->pos] != id)
        continue;
      aero_run_outcome o = {0};
      char msg[AERO_ERROR_MESSAGE_MAX], failure[1024] = "";
      int64_t run_id = 0;
      job_report(id, &run_id, failure, sizeof failure);
      job_outcome(s, id, state, reason, failure, &o, msg, sizeof msg);
      s->busy = false;
      ex->running--;
      aeh_sched_resolved(ex, s->pos, &o, run_id, s->started);
      break;
    }
  }
  free(ids);
  free(out);
}

/* Ctrl-C / SIGTERM, or the SIGKILL after the grace: the job is cancelled
 * (Slurm sends its processes SIGTERM, then SIGKILL after KillWait); its
 * aerohost records the run killed. */
static void slurm_signal(aeh_exec *ex, aeh_slot *s, int sig) {
  (void)sig;
  char id[32], out[1024];
  snprintf(id, sizeof id, "%ld", sl.job[s->pos]);
  char *argv[] = {"scancel", id, NULL};
  if (capture(argv, out, sizeof out) != 0)
    aeh_console_warn("scancel %s: %s", id, first_line(out));
  (void)ex;
}

static void slurm_close(aeh_exec *ex) {
  (void)ex;
  if (sl.timer >= 0)
    close(sl.timer);
  sl.timer = -1;
  free(sl.job);
  sl.job = NULL;
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
