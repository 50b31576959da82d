/* aeromancy fsck | gc: verifying and cleaning a store, through the
 * backend's check and collect members (each backend knows its own
 * storage; the host only reports). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "console.h"
#include "go.h"
#include "read_cmd.h"
#include "text_table.h"

enum { O_REPAIR = 1, O_DRY_RUN, O_KEEP_DEV };

typedef struct store_opts {
  aeh_read_opts read; /* first: --store, and how the rest is parsed */
  bool repair, dry_run;
  const char *keep_dev;
  aero_collect_params collect; /* gc's, from the options */
} store_opts;

static int apply_option(void *ctx, const aeh_option *op, const char *value) {
  store_opts *o = ctx;
  switch (op->id) {
  case O_REPAIR:
    o->repair = true;
    break;
  case O_DRY_RUN:
    o->dry_run = true;
    break;
  case O_KEEP_DEV:
    o->keep_dev = value;
    break;
  }
  return 0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- fsck ---- */

static const aeh_option fsck_options[] = {
    {"repair", 0, NULL,
     "move damaged blobs aside (the next declaration of that content stores "
     "it again) and record runs left running by a gone host as killed",
     O_REPAIR},
    AEH_READ_STORE_OPTION,
    {NULL, 0, NULL, NULL, 0},
};

static const char *problem_word(uint32_t kind) {
  switch (kind) {
  case AERO_PROBLEM_BLOB_DAMAGED:
    return "damaged";
  case AERO_PROBLEM_BLOB_MISSING:
    return "missing";
  case AERO_PROBLEM_SIZE:
    return "size";
  case AERO_PROBLEM_RUN_ABANDONED:
    return "abandoned";
  default:
    return "problem";
  }
}

typedef struct problems {
  size_t found, repaired;
} problems;

/* One line per problem on stdout, as it is found. */
static aero_status on_problem(void *ctx, const aero_problem *p,
                              aero_error *err) {
  (void)err;
  problems *n = ctx;
  n->found++;
  n->repaired += p->repaired;
  printf("%s\t%s\t%s%s\n", problem_word(p->kind),
         p->subject != NULL ? p->subject : "",
         p->detail != NULL ? p->detail : "", p->repaired ? " (repaired)" : "");
  fflush(stdout);
  return AERO_OK;
}

static int cmd_fsck(const aeh_command *cmd, int argc, char **argv) {
  /* As found: a dead host's running run is a problem to report. */
  store_opts o = {.read = {apply_option, NULL, NULL, .as_found = true}};
  aeh_record rec;
  int rc = aeh_read_start(cmd, argc, argv, &o.read, NULL, &rec);
  if (rc >= 0)
    return rc;
  aero_error err = AEH_ERROR_INIT;
  aero_status st = AEH_RECORD_NEED(&rec, check, &err);
  problems n = {0};
  aero_check_report report = {.struct_size = sizeof report};
  double started = now_s();
  if (st == AERO_OK) {
    aero_check_params params = {.struct_size = sizeof params,
                                .repair = o.repair};
    st = rec.vt->check(rec.handle, &params, on_problem, &n, &report, &err);
  }
  double seconds = now_s() - started;
  char where[4096]; /* "~/..." as the run summary says it */
  aeh_console_path(aeh_record_location(&rec), where, sizeof where);
  if (st != AERO_OK) {
    rc = aeh_read_fail(cmd, st, &err);
  } else if (report.problems != (int64_t)n.found) {
    /* A check that counts one thing and reports another cannot be
     * trusted either way: neither "sound" nor a problem count. */
    fprintf(stderr,
            "aeromancy fsck: the backend counted %lld problems but reported "
            "%zu in %s: not trusting this check\n",
            (long long)report.problems, n.found, where);
    rc = AEH_EXIT_INFRA;
  } else {
    /* The time of the whole check, not a hashing rate: the check also
     * lists blobs, looks at runs and decodes every metric block, time a
     * rate over the whole would count as hashing. */
    fprintf(stderr,
            "aeromancy fsck: %lld blobs re-hashed (%.1f MB), %lld orphan "
            "blobs, %zu problems%s%s in %s (%.1f s)\n",
            (long long)report.blobs_checked, (double)report.bytes_hashed / 1e6,
            (long long)report.orphans, n.found,
            n.repaired > 0 ? ", repaired: " : "",
            n.repaired > 0 ? (n.repaired == n.found ? "all" : "some") : "",
            where, seconds);
    /* Problems that remain are a failed check, like fsck(8). */
    rc = n.found > n.repaired ? AEH_EXIT_ACTION_FAILED : AEH_EXIT_OK;
  }
  aeh_record_close(&rec);
  return rc;
}

/* ---- gc ---- */

static const aeh_option gc_options[] = {
    {"dry-run", 0, NULL, "say what would be removed, remove nothing",
     O_DRY_RUN},
    {"keep-dev", 0, "DAYS",
     "also remove finished dev runs older than DAYS days (with the versions "
     "only they made and nothing still reads)",
     O_KEEP_DEV},
    AEH_READ_STORE_OPTION,
    {NULL, 0, NULL, NULL, 0},
};

static const char *garbage_word(uint32_t kind) {
  switch (kind) {
  case AERO_GARBAGE_BLOB:
    return "blob";
  case AERO_GARBAGE_SCRATCH:
    return "scratch";
  case AERO_GARBAGE_TEMP:
    return "temp";
  case AERO_GARBAGE_DEV_RUN:
    return "dev-run";
  default:
    return "other";
  }
}

typedef struct garbage {
  size_t count[5];
  long long bytes;
} garbage;

static aero_status on_garbage(void *ctx, const aero_garbage *g,
                              aero_error *err) {
  (void)err;
  garbage *n = ctx;
  n->count[g->kind < 5 ? g->kind : 0]++;
  n->bytes += g->bytes;
  printf("%s\t%s\t%lld\n", garbage_word(g->kind),
         g->subject != NULL ? g->subject : "", (long long)g->bytes);
  return AERO_OK;
}

/* gc's parameters from its options; a usage error for a bad --keep-dev. */
static int check_gc(const aeh_command *cmd, aeh_read_opts *opts,
                    const aeh_args *args) {
  (void)args;
  store_opts *o = (store_opts *)opts;
  o->collect = (aero_collect_params){.struct_size = sizeof o->collect,
                                     .dry_run = o->dry_run,
                                     .keep_dev_ns = -1};
  if (o->keep_dev != NULL) {
    char *end = NULL;
    errno = 0;
    double days = strtod(o->keep_dev, &end);
    if (end == o->keep_dev || *end != '\0' || errno != 0 || !(days >= 0) ||
        days > 100000) /* NaN fails >= */
      return aeh_command_usage_error(
          cmd, "--keep-dev '%s' is not a number of days", o->keep_dev);
    o->collect.keep_dev_ns = (int64_t)(days * 86400.0 * 1e9);
  }
  return -1;
}

static int cmd_gc(const aeh_command *cmd, int argc, char **argv) {
  /* As found: collect records dead hosts' runs itself, and --dry-run
   * changes nothing. */
  store_opts o = {.read = {apply_option, check_gc, NULL, .as_found = true}};
  aeh_record rec;
  int rc = aeh_read_start(cmd, argc, argv, &o.read, NULL, &rec);
  if (rc >= 0)
    return rc;
  aero_error err = AEH_ERROR_INIT;
  aero_status st = AEH_RECORD_NEED(&rec, collect, &err);
  garbage n = {{0}, 0};
  if (st == AERO_OK)
    st = rec.vt->collect(rec.handle, &o.collect, on_garbage, &n, &err);
  fflush(stdout);
  if (st == AERO_E_STATE) {
    /* Everything else was collected; what a host at work may need stays. */
    fprintf(stderr, "aeromancy gc: note: %s\n", err.message);
    st = AERO_OK;
  }
  char where[4096];
  aeh_console_path(aeh_record_location(&rec), where, sizeof where);
  if (st != AERO_OK) {
    rc = aeh_read_fail(cmd, st, &err);
  } else {
    fprintf(stderr,
            "aeromancy gc: %s %zu blobs (%lld bytes), %zu scratch folders, "
            "%zu temp files, %zu dev runs in %s\n",
            o.dry_run ? "would remove" : "removed", n.count[AERO_GARBAGE_BLOB],
            n.bytes, n.count[AERO_GARBAGE_SCRATCH], n.count[AERO_GARBAGE_TEMP],
            n.count[AERO_GARBAGE_DEV_RUN], where);
    rc = AEH_EXIT_OK;
  }
  aeh_record_close(&rec);
  return rc;
}

const aeh_command aeh_cmd_fsck = {
    .name = "fsck",
    .usage = "aeromancy fsck [--repair] [--store PATH]",
    .summary = "verify every blob and version of the store",
    .description =
        "Checks the store's database (the local store: every page of the "
        "SQLite file), re-hashes every blob a version refers to and checks "
        "it has the recorded size and digest; counts the blobs no version "
        "refers to; reports runs left running by an aerohost that is gone. "
        "One line "
        "per problem on stdout (kind, blob or run, what is wrong), a "
        "summary on stderr. Safe while other hosts write to the store.\n\n"
        "With --repair, damaged blobs are moved aside (to damaged/ in a "
        "local store) so that the next declaration of that content stores "
        "it again, and abandoned runs are recorded as killed.\n\n"
        "Exit codes: 0 no problem (or all repaired); 1 problems remain; 2 "
        "the store could not be read (or the backend's count of problems "
        "disagrees with the problems it reported); 3 no store there.",
    .options = fsck_options,
    .exits = AEH_EXITS_OWN,
    .run = cmd_fsck,
};

const aeh_command aeh_cmd_gc = {
    .name = "gc",
    .usage = "aeromancy gc [--dry-run] [--keep-dev DAYS] [--store PATH]",
    .summary = "remove what no version refers to",
    .description =
        "Removes blobs no version refers to, scratch folders and temporary "
        "files left by killed hosts, views of versions that are gone, and "
        "with --keep-dev DAYS the finished dev runs older than that (with "
        "the versions only they made, unless a run that stays read them). "
        "One line per thing removed on stdout, a summary on stderr.\n\n"
        "Safe while another aerohost writes: runs of hosts that are gone are "
        "recorded as killed first, and while any run is in progress the "
        "unreferenced blobs are kept (a live host may be about to refer to "
        "them), with a note.\n\n"
        "Exit codes: 0 done (also when nothing was old enough, or a run in "
        "progress kept the unreferenced blobs); 2 the store could not be "
        "read or changed; 3 no store there, or a bad --keep-dev.",
    .options = gc_options,
    .exits = AEH_EXITS_OWN,
    .run = cmd_gc,
};
