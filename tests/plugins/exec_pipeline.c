/* Executor fixture: a four-action pipeline whose actions can misbehave on
 * demand, for tests/cli/test_execution.sh and test_signals.sh.
 *
 *   [ingest] data -> [train] model -> [evaluate] report;  [side] notes
 *
 * Run order: ingest, train, side, evaluate. Every action that succeeds
 * writes and declares its output. `--misbehave JOB` makes the action of job
 * type JOB do `--how` instead: return an error, segfault, abort, exit(3),
 * exit(0), hang, hang ignoring SIGTERM, bail out, return once the test
 * took the store's write lock (so that recording the run fails), return
 * OK without declaring its output, log at an invalid level and then
 * succeed, leave processes behind and then succeed, exit(0) or crash
 * (`linger...`), or hang after starting a child that sleeps for a minute
 * (`hang_tree`: its pid in PATH.child, PATH from --marker), or declare its
 * output and then fill the store's file system (`fill_store`: with
 * STORE/filler), so that recording the run fails; or fill it, then log
 * 500 metrics after declaring its output one call at a time and remove the
 * filler before returning OK
 * (`fill_metrics`: space is back by the time the run ends), or fill it
 * before declaring its output (`fill_declare`), or fill it, declare its
 * output and remove the filler, returning what the declaration said
 * (`fill_free`: the run's end is recordable, its output was not), or
 * overflow a signed int (`ub`: UBSan's to report in sanitized builds).
 * `--declare PATH` makes it declare the file PATH instead of its own small
 * one, e.g. one large enough to be stored from the action's process.
 * `--marker PATH`
 * makes that action write its pid to PATH first (so that a test knows it
 * runs); `--sleep S` makes every action sleep S seconds; `--talk` makes
 * every action print lines on stdout and stderr. [train] asks Slurm for
 * 2 CPUs, 96 MiB and 7 minutes (ABI 1.4's resources). */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <aeromancy/aeromancy.h>

#include <math.h>

#define EXEC_OPTIONS(X)                                                        \
  X(STRING, misbehave, 0, NULL, "Job type of the action that misbehaves")      \
  X(CHOICE, how, 0,                                                            \
    ("fail", "segv", "abort", "exit3", "exit0", "hang", "stubborn", "bail",    \
     "lock_store", "no_output", "bad_level", "linger", "linger_exit",          \
     "linger_segv", "hang_tree", "fill_store", "fill_metrics", "fill_declare", \
     "fill_free", "ub", "hang_logged"),                                        \
    "What the misbehaving action does")                                        \
  X(STRING, marker, 0, NULL, "File the misbehaving action writes its pid to")  \
  X(DOUBLE, sleep, 0, 0.0, "Seconds every action sleeps")                      \
  X(BOOL, talk, 0, false, "Every action prints to stdout and stderr")          \
  X(STRING, declare, 0, NULL,                                                  \
    "File the misbehaving action declares as its output instead of its own")

typedef struct settings {
  char misbehave[64];
  char how[16];
  char marker[4096];
  double sleep_s;
  bool talk;
  char declare[4096];
} settings;

static settings config; /* one builder per process */

static aero_status exec_new(void **self, const char *misbehave, const char *how,
                            const char *marker, double sleep_s, bool talk,
                            const char *declare, aero_error *err) {
  (void)err;
  snprintf(config.misbehave, sizeof config.misbehave, "%s",
           misbehave != NULL ? misbehave : "");
  snprintf(config.how, sizeof config.how, "%s", how);
  snprintf(config.marker, sizeof config.marker, "%s",
           marker != NULL ? marker : "");
  config.sleep_s = sleep_s;
  config.talk = talk;
  snprintf(config.declare, sizeof config.declare, "%s",
           declare != NULL ? declare : "");
  *self = &config;
  return AERO_OK;
}

typedef struct step {
  const char *job_type;
  const char *output;
  const char *parent; /* NULL for none */
  /* What it asks of Slurm (ABI 1.4), for test_slurm.sh; 0: nothing. */
  uint32_t cpus, time_limit_s;
  uint64_t memory_mb;
  uint32_t gpus;
} step;

static const step steps[] = {
    {"ingest", "data", NULL, 0, 0, 0, 0},
    {"train", "model", "data", 2, 7 * 60, 96, 1},
    {"side", "notes", NULL, 0, 0, 0, 0},
    {"evaluate", "report", "model", 0, 0, 0, 0},
};

static void nap(double seconds) {
  struct timespec ts = {(time_t)seconds,
                        (long)((seconds - (double)(time_t)seconds) * 1e9)};
  while (nanosleep(&ts, &ts) != 0)
    ;
}

/* Asks for the store's write lock to be taken (a file `lock-wanted` in the
 * store) and returns once the test holds it (a file `locked`): the process
 * holding it must not be one this action started, since those end with the
 * action. */
static aero_status lock_store(aero_error *err) {
  const char *store = getenv("AEROMANCY_STORE");
  if (store == NULL)
    return aero_fail(err, AERO_E_INVALID, "lock_store needs AEROMANCY_STORE");
  char wanted[4096], locked[4096];
  snprintf(wanted, sizeof wanted, "%s/lock-wanted", store);
  snprintf(locked, sizeof locked, "%s/locked", store);
  FILE *f = fopen(wanted, "w");
  if (f == NULL || fclose(f) != 0)
    return aero_fail(err, AERO_E_IO, "cannot create %s", wanted);
  for (int i = 0; i < 200; i++) {
    if (access(locked, F_OK) == 0)
      return AERO_OK;
    nap(0.05);
  }
  return aero_fail(err, AERO_E_IO, "nobody took the lock");
}

/* Leaves processes behind: one in the action's process group, and one
 * that left the group (setsid) and whose parent exited. Each appends its
 * pid to MARKER.kids; returns once both did. */
static void leave_processes(void) {
  char kids[4200];
  snprintf(kids, sizeof kids, "%s.kids", config.marker);
  for (int k = 0; k < 2; k++) {
    pid_t pid = fork();
    if (pid != 0)
      continue;
    if (k == 1 && fork() != 0)
      _exit(0); /* the grandchild is orphaned */
    if (k == 1)
      setsid();
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    FILE *f = fopen(kids, "a");
    if (f != NULL) {
      fprintf(f, "%ld\n", (long)getpid());
      fclose(f);
    }
    for (;;)
      pause();
  }
  for (int i = 0; i < 200; i++) {
    FILE *f = fopen(kids, "r");
    int lines = 0, c;
    while (f != NULL && (c = fgetc(f)) != EOF)
      lines += c == '\n';
    if (f != NULL)
      fclose(f);
    if (lines >= 2)
      return;
    nap(0.02);
  }
}

/* Writes STORE/filler until the file system is full. */
static aero_status fill_store(aero_error *err) {
  const char *store = getenv("AEROMANCY_STORE");
  if (store == NULL)
    return aero_fail(err, AERO_E_INVALID, "fill_store needs AEROMANCY_STORE");
  char path[4096];
  snprintf(path, sizeof path, "%s/filler", store);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return aero_fail(err, AERO_E_IO, "cannot create %s", path);
  static const char zeros[65536];
  while (write(fd, zeros, sizeof zeros) > 0)
    ;
  while (write(fd, zeros, 1) > 0)
    ;
  close(fd);
  return AERO_OK;
}

/* Fills the store, logs metrics the host cannot record, then gives the
 * space back: the run's end is recordable, its metrics are not. */
static aero_status fill_then_log(aero_tracker *tracker, aero_error *err) {
  if (fill_store(err) != AERO_OK)
    return AERO_E_IO;
  for (int i = 0; i < 500; i++) {
    (void)aero_log_metric(tracker, "loss", 1.0 / (i + 1), i, err);
    if (i % 50 == 49)
      nap(0.02); /* several batches reach the host */
  }
  /* A tracker call that is not a metric sends what the process holds. */
  aero_logf(tracker, AERO_LOG_INFO, "logged 500 points");
  char path[4096];
  snprintf(path, sizeof path, "%s/filler", getenv("AEROMANCY_STORE"));
  if (unlink(path) != 0)
    return aero_fail(err, AERO_E_IO, "cannot remove %s", path);
  return AERO_OK;
}

static aero_status misbehave(aero_tracker *tracker, aero_error *err) {
  if (config.marker[0] != '\0') {
    FILE *f = fopen(config.marker, "w");
    if (f != NULL) {
      fprintf(f, "%ld\n", (long)getpid());
      fclose(f);
    }
  }
  const char *how = config.how;
  if (strcmp(how, "fail") == 0)
    return aero_fail(err, AERO_E_ACTION, "training diverged: loss is NaN");
  if (strcmp(how, "segv") == 0) {
    /* What it logged just before crashing must still be recorded. */
    aero_log_metric(tracker, "last_loss", 0.5, 7, err);
    aero_logf(tracker, AERO_LOG_WARN, "about to crash");
    volatile uintptr_t address = 8;
    *(volatile int *)address = 1;
  }
  if (strcmp(how, "abort") == 0)
    abort();
  if (strcmp(how, "ub") == 0) { /* signed overflow: UBSan's to report */
    volatile int large = INT_MAX;
    printf("%d\n", large + (int)strlen(how));
  }
  if (strcmp(how, "exit3") == 0)
    exit(3);
  if (strcmp(how, "exit0") == 0)
    exit(0);
  if (strcmp(how, "stubborn") == 0)
    signal(SIGTERM, SIG_IGN);
  if (strcmp(how, "hang_logged") == 0) { /* a metric, a line, then silence */
    aero_log_metric(tracker, "before_hang", 1.0, 0, err);
    aero_logf(tracker, AERO_LOG_INFO, "about to hang");
  }
  if (strcmp(how, "hang") == 0 || strcmp(how, "stubborn") == 0 ||
      strcmp(how, "hang_logged") == 0)
    for (;;)
      pause();
  if (strcmp(how, "bail") == 0) {
    /* A tracker call refused first, its error left in `err` unread (as
     * an action that ignores aero_log_metric's status does): the reason
     * given to aero_bailout is still the one recorded. */
    aero_log_metric(tracker, "not_a_number", NAN, 0, err);
    return aero_bailout(tracker, "looked at the data, enough");
  }
  if (strcmp(how, "no_output") == 0)
    return AERO_OK;
  if (strncmp(how, "linger", 6) == 0)
    leave_processes();
  if (strcmp(how, "linger_exit") == 0)
    exit(0);
  if (strcmp(how, "linger_segv") == 0)
    raise(SIGSEGV);
  if (strcmp(how, "hang_tree") == 0) {
    pid_t child = fork();
    if (child == 0) {
      /* Stays in the action's process group, as a helper process would. */
      nap(60);
      _exit(0);
    }
    char path[4200];
    snprintf(path, sizeof path, "%s.child", config.marker);
    FILE *f = fopen(path, "w");
    if (f != NULL) {
      fprintf(f, "%ld\n", (long)child);
      fclose(f);
    }
    for (;;)
      pause();
  }
  return aero_fail(err, AERO_E_INVALID, "unknown --how %s", how);
}

static aero_status exec_run(void *data, aero_tracker *tracker,
                            aero_error *err) {
  const step *s = data;
  bool mine = strcmp(config.misbehave, s->job_type) == 0;
  if (mine && strcmp(config.how, "bad_level") == 0)
    aero_logf(tracker, (aero_log_level)9, "a line at level nine");
  else if (mine && strcmp(config.how, "linger") == 0)
    (void)misbehave(tracker, err); /* leaves processes, then goes on */
  else if (mine && strcmp(config.how, "lock_store") != 0 &&
           strncmp(config.how, "fill_", 5) != 0)
    return misbehave(tracker, err);
  if (mine &&
      (strcmp(config.how, "fill_declare") == 0 ||
       strcmp(config.how, "fill_free") == 0) &&
      fill_store(err) != AERO_OK)
    return AERO_E_IO;
  /* In a Slurm job with GPUs, which ones it got (test_slurm.sh). */
  const char *gpus = getenv("SLURM_JOB_GPUS");
  if (gpus != NULL && gpus[0] != '\0') {
    printf("%s: GPUs %s\n", s->job_type, gpus);
    fflush(stdout);
  }
  if (config.talk) {
    printf("%s: first line\n", s->job_type);
    fflush(stdout);
  }
  if (config.sleep_s > 0)
    nap(config.sleep_s);
  if (config.talk) {
    printf("%s: unterminated", s->job_type);
    fprintf(stderr, "%s: a warning\n", s->job_type);
  }
  char path[4096];
  const char *files[] = {path};
  if (mine && config.declare[0] != '\0') {
    /* Not a byte written on the store's file system (the scratch folder
     * is there, and may be full). */
    files[0] = config.declare;
  } else {
    snprintf(path, sizeof path, "%s/%s.txt", aero_workdir(tracker), s->output);
    FILE *f = fopen(path, "w");
    if (f == NULL)
      return aero_fail(err, AERO_E_IO, "cannot create %s", path);
    fprintf(f, "%s\n", s->output);
    if (ferror(f) | fclose(f))
      return aero_fail(err, AERO_E_IO, "cannot write %s", path);
  }
  aero_status status = aero_declare_output(
      tracker, &AERO_OUTPUT(.name = s->output, .files = files, .file_count = 1),
      err);
  if (status == AERO_OK && mine && strcmp(config.how, "lock_store") == 0)
    return lock_store(err);
  if (status == AERO_OK && mine && strcmp(config.how, "fill_store") == 0)
    return fill_store(err);
  if (status == AERO_OK && mine && strcmp(config.how, "fill_metrics") == 0)
    return fill_then_log(tracker, err);
  if (mine && strcmp(config.how, "fill_free") == 0) {
    char filler[4096];
    snprintf(filler, sizeof filler, "%s/filler", getenv("AEROMANCY_STORE"));
    if (unlink(filler) != 0 && status == AERO_OK)
      return aero_fail(err, AERO_E_IO, "cannot remove %s", filler);
  }
  return status;
}

static aero_status exec_build(void *self, aero_graph *graph, aero_error *err) {
  (void)self;
  for (size_t i = 0; i < AERO_COUNT(steps); i++) {
    const step *s = &steps[i];
    const char *outputs[] = {s->output};
    const char *parents[] = {s->parent};
    aero_status st = aero_graph_add(
        graph,
        &AERO_ACTION(.job_type = s->job_type, .outputs = outputs,
                     .output_count = 1, .parents = parents,
                     .parent_count = s->parent != NULL ? 1 : 0, .run = exec_run,
                     .data = (void *)s, .cpus = s->cpus,
                     .memory_mb = s->memory_mb, .time_limit_s = s->time_limit_s,
                     .gpus = s->gpus),
        err);
    if (st != AERO_OK)
      return st;
  }
  return AERO_OK;
}

AERO_BUILDER(exec_builder, "execdemo",
             "Executor fixture: a pipeline that "
             "misbehaves on demand",
             EXEC_OPTIONS, exec_new, exec_build, NULL);

static aero_status exec_init(aero_registrar *reg, aero_error *err) {
  return aero_register_builder(reg, &exec_builder, err);
}

AERO_PLUGIN(AERO_PLUGIN_PROJECT, "exec_pipeline", "1.0.0", exec_init);
