/* aeromancy runs | show | diff: the runs of a store, one run's whole
 * record, two runs side by side. Text views are drawn from the same JSON
 * documents that --json prints (record_json.c), so the two never say
 * different things (`metrics`, which streams, is cmd_metrics.c). */
#include "read_cmd.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "go.h"
#include "record_json.h"
#include "text_table.h"

/* ---- shared by the family ---- */

/* "2026-12-01 15:40:36" in local time, from the schema's UTC text. */
static void local_time(const json_t *iso, char *buf, size_t size) {
  const char *text = json_string_value(iso);
  struct tm tm = {0};
  if (text == NULL || strptime(text, "%Y-%m-%dT%H:%M:%S", &tm) == NULL) {
    snprintf(buf, size, "-");
    return;
  }
  time_t t = timegm(&tm);
  struct tm local;
  localtime_r(&t, &local);
  strftime(buf, size, "%Y-%m-%d %H:%M:%S", &local);
}

static void duration_text(const json_t *seconds, char *buf, size_t size) {
  if (!json_is_number(seconds)) {
    snprintf(buf, size, "-");
    return;
  }
  double s = json_number_value(seconds);
  if (s < 1)
    snprintf(buf, size, "%.0f ms", s * 1e3);
  else if (s < 120)
    snprintf(buf, size, "%.2f s", s);
  else if (s < 7200)
    snprintf(buf, size, "%.1f min", s / 60);
  else
    snprintf(buf, size, "%.1f h", s / 3600);
}

/* A JSON scalar as text: numbers with %g precision enough to round-trip
 * what people compare. */
static void scalar_text(const json_t *v, char *buf, size_t size) {
  if (json_is_string(v))
    snprintf(buf, size, "%s", json_string_value(v));
  else if (json_is_integer(v))
    snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
  else if (json_is_real(v))
    snprintf(buf, size, "%.6g", json_real_value(v));
  else if (json_is_true(v))
    snprintf(buf, size, "true");
  else if (json_is_false(v))
    snprintf(buf, size, "false");
  else
    snprintf(buf, size, "-");
}

/* "[job_type] output" of a run object. */
static void action_label(const json_t *run, char *buf, size_t size) {
  const json_t *names = json_object_get(run, "output_names");
  const char *first = json_string_value(json_array_get(names, 0));
  snprintf(buf, size, "[%s] %s",
           json_string_value(json_object_get(run, "job_type")),
           first != NULL ? first : "");
}

/* ---- runs ---- */

enum {
  O_PROJECT = 1,
  O_JOB_TYPE,
  O_STATUS,
  O_TAG,
  O_BRANCH,
  O_DEV,
  O_PROD,
  O_SINCE,
  O_LIMIT,
  O_BEFORE,
  O_JSON,
  O_ALL,
};

static const aeh_option runs_options[] = {
    {"project", 0, "P", "runs of project P", O_PROJECT},
    {"job-type", 0, "T", "runs of job type T", O_JOB_TYPE},
    {"status", 0, "S",
     "runs with status S: running, ok, failed, crashed, timed_out, killed, "
     "skipped, bailed or reused",
     O_STATUS},
    {"tag", 0, "T", "runs tagged T (aerohost run --tags)", O_TAG},
    {"branch", 0, "B", "runs of git branch B", O_BRANCH},
    {"dev", 0, NULL, "only dev runs", O_DEV},
    {"prod", 0, NULL, "only production runs", O_PROD},
    {"since", 0, "DATE",
     "runs started at or after DATE: YYYY-MM-DD[THH:MM[:SS]] (local time) or "
     "an age: 30m, 12h, 7d, 2w",
     O_SINCE},
    {"limit", 0, "N", "at most N runs (default 50; 0: all)", O_LIMIT},
    {"before", 0, "ID", "only runs older than run ID: the next page", O_BEFORE},
    {"json", 0, NULL,
     "one JSON document (docs/json-schema.md); its next_before_id is the "
     "--before of the next page",
     O_JSON},
    AEH_READ_STORE_OPTION,
    {NULL, 0, NULL, NULL, 0},
};

/* What the read commands' options set. */
typedef struct read_opts {
  aeh_read_opts read; /* first: --store, and how the rest is parsed */
  aero_run_filter filter;
  const char *status;
  const char *since;
  const char *limit;
  const char *before;
  bool dev, prod, json, all;
} read_opts;

static int apply_option(void *ctx, const aeh_option *op, const char *value) {
  read_opts *o = ctx;
  switch (op->id) {
  case O_PROJECT:
    o->filter.project = value;
    break;
  case O_JOB_TYPE:
    o->filter.job_type = value;
    break;
  case O_STATUS:
    o->status = value;
    break;
  case O_TAG:
    o->filter.tag = value;
    break;
  case O_BRANCH:
    o->filter.branch = value;
    break;
  case O_DEV:
    o->dev = true;
    break;
  case O_PROD:
    o->prod = true;
    break;
  case O_SINCE:
    o->since = value;
    break;
  case O_LIMIT:
    o->limit = value;
    break;
  case O_BEFORE:
    o->before = value;
    break;
  case O_JSON:
    o->json = true;
    break;
  case O_ALL:
    o->all = true;
    break;
  }
  return 0;
}

/* Seconds since the epoch as nanoseconds, held within what int64_t holds
 * (1678 to 2261, a margin for the double's rounding): a --since before
 * that is every run, after it none. */
static int64_t clamped_ns(double seconds) {
  const double limit = 9.2e9;
  if (seconds >= limit)
    return INT64_MAX;
  if (seconds <= -limit)
    return INT64_MIN;
  return (int64_t)(seconds * 1e9);
}

/* Whether day `tm` exists: strptime takes 2026-02-31 (day 1 to 31 in any
 * month), which mktime would make March 3. */
static bool day_exists(const struct tm *tm) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int year = tm->tm_year + 1900;
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return tm->tm_mon >= 0 && tm->tm_mon < 12 && tm->tm_mday >= 1 &&
         tm->tm_mday <= days[tm->tm_mon] + (tm->tm_mon == 1 && leap);
}

/* --since: YYYY-MM-DD[THH:MM[:SS]] (local time) or an age: 30m, 12h, 7d. */
static bool parse_since(const char *text, int64_t *ns) {
  char *end = NULL;
  errno = 0;
  double amount = strtod(text, &end);
  if (end != text && errno == 0 && end[0] != '\0' && end[1] == '\0' &&
      amount >= 0) {
    double unit = end[0] == 'm'   ? 60
                  : end[0] == 'h' ? 3600
                  : end[0] == 'd' ? 86400
                  : end[0] == 'w' ? 604800
                                  : 0;
    if (unit > 0 && isfinite(amount)) {
      *ns = clamped_ns((double)time(NULL) - amount * unit);
      return true;
    }
  }
  static const char *const formats[] = {"%Y-%m-%dT%H:%M:%S",
                                        "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M",
                                        "%Y-%m-%d %H:%M", "%Y-%m-%d"};
  for (size_t i = 0; i < sizeof formats / sizeof *formats; i++) {
    struct tm tm = {0};
    const char *rest = strptime(text, formats[i], &tm);
    if (rest != NULL && *rest == '\0') {
      if (!day_exists(&tm))
        return false;
      tm.tm_isdst = -1;
      time_t t = mktime(&tm);
      if (t == (time_t)-1)
        return false;
      *ns = clamped_ns((double)t);
      return true;
    }
  }
  return false;
}

static bool parse_count(const char *text, int64_t max, int64_t *out) {
  char *end = NULL;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (text[0] < '0' || text[0] > '9' || errno != 0 || *end != '\0' || v < 0 ||
      v > max)
    return false;
  *out = v;
  return true;
}

static void print_runs_text(const json_t *doc) {
  aeh_table t;
  aeh_table_init(&t, 8);
  const char *head[] = {"ID",     "STARTED",  "PROJECT", "ACTION",
                        "STATUS", "DURATION", "COMMIT",  "METRICS"};
  if (aeh_out_aligned())
    aeh_table_add(&t, head);
  size_t i;
  const json_t *run;
  json_array_foreach(json_object_get(doc, "runs"), i, run) {
    char id[32], started[40], action[300], duration[32], commit[16],
        metrics[200] = "";
    snprintf(id, sizeof id, "%" JSON_INTEGER_FORMAT,
             json_integer_value(json_object_get(run, "id")));
    local_time(json_object_get(run, "started_at"), started, sizeof started);
    action_label(run, action, sizeof action);
    duration_text(json_object_get(run, "duration_s"), duration,
                  sizeof duration);
    const char *git = json_string_value(json_object_get(run, "git_commit"));
    snprintf(commit, sizeof commit, "%.7s", git != NULL ? git : "-");
    const char *key;
    const json_t *value;
    int shown = 0;
    json_object_foreach((json_t *)json_object_get(run, "last_metrics"), key,
                        value) {
      if (shown == 3)
        break;
      char v[48];
      scalar_text(value, v, sizeof v);
      size_t len = strlen(metrics);
      snprintf(metrics + len, sizeof metrics - len, "%s%s=%s",
               shown > 0 ? " " : "", key, v);
      shown++;
    }
    const char *status = json_string_value(json_object_get(run, "status"));
    const char *mode = json_string_value(json_object_get(run, "mode"));
    char status_text[48];
    snprintf(status_text, sizeof status_text, "%s%s", status,
             mode != NULL && strcmp(mode, "dev") == 0 ? " (dev)" : "");
    const char *cells[] = {
        id,     started,     json_string_value(json_object_get(run, "project")),
        action, status_text, duration,
        commit, metrics};
    if (aeh_table_add(&t, cells) == AERO_OK)
      aeh_table_colour(&t, 4, aeh_status_colour(status));
  }
  aeh_table_print(&t, stdout, 0);
}

/* The filter from runs' options; a usage error for those that make none. */
static int check_runs(const aeh_command *cmd, aeh_read_opts *opts,
                      const aeh_args *args) {
  (void)args;
  read_opts *o = (read_opts *)opts;
  aero_run_filter *f = &o->filter;
  if (o->dev && o->prod)
    return aeh_command_usage_error(cmd, "--dev and --prod exclude each other");
  f->mode = o->dev ? AERO_MODE_DEV : o->prod ? AERO_MODE_PROD : AERO_MODE_ANY;
  if (o->status != NULL) {
    for (uint32_t st = AERO_RUN_RUNNING; st <= AERO_RUN_REUSED; st++)
      if (strcmp(aeh_state_word(st), o->status) == 0)
        f->state = st;
    if (f->state == 0)
      return aeh_command_usage_error(cmd,
                                     "unknown status '%s' (one of running, "
                                     "ok, failed, crashed, timed_out, "
                                     "killed, skipped, bailed, reused)",
                                     o->status);
  }
  if (o->since != NULL && !parse_since(o->since, &f->since_ns))
    return aeh_command_usage_error(cmd,
                                   "--since '%s' is not a date "
                                   "(YYYY-MM-DD[THH:MM]) or an age (30m, "
                                   "12h, 7d)",
                                   o->since);
  int64_t n;
  if (o->limit != NULL) {
    if (!parse_count(o->limit, UINT32_MAX, &n))
      return aeh_command_usage_error(
          cmd, "--limit '%s' is not a count (0: all)", o->limit);
    f->limit = (uint32_t)n;
  }
  if (o->before != NULL) {
    if (!parse_count(o->before, INT64_MAX, &n) || n == 0)
      return aeh_command_usage_error(cmd, "--before '%s' is not a run id",
                                     o->before);
    f->before_id = n;
  }
  return -1;
}

static int cmd_runs(const aeh_command *cmd, int argc, char **argv) {
  read_opts o = {.read = {apply_option, check_runs, NULL},
                 .filter = {.struct_size = sizeof o.filter, .limit = 50}};
  aeh_record rec;
  int rc = aeh_read_start(cmd, argc, argv, &o.read, NULL, &rec);
  if (rc >= 0)
    return rc;
  aero_error err = AEH_ERROR_INIT;
  json_t *doc = NULL;
  aero_status st = aeh_record_runs_json(&rec, &o.filter, &doc, &err);
  return aeh_read_finish(cmd, st, &err, doc, o.json, print_runs_text, &rec);
}

/* ---- show ---- */

static const aeh_option show_options[] = {
    {"json", 0, NULL, "one JSON document (docs/json-schema.md)", O_JSON},
    AEH_READ_STORE_OPTION,
    {NULL, 0, NULL, NULL, 0},
};

static void heading(const char *title) {
  if (aeh_out_aligned())
    printf("\n%s\n", title);
}

/* Key/value rows of an object; in tab-separated output each line starts
 * with the section name, so that grep finds one fact per line. */
static void print_pairs(const char *section, const json_t *object) {
  aeh_table t;
  bool aligned = aeh_out_aligned();
  aeh_table_init(&t, aligned ? 2 : 3);
  const char *key;
  const json_t *value;
  json_object_foreach((json_t *)object, key, value) {
    char text[4096];
    scalar_text(value, text, sizeof text);
    /* A multi-line value (packages, git message) shows its first line. */
    if (aligned)
      text[strcspn(text, "\n")] = '\0';
    const char *cells3[] = {section, key, text};
    aeh_table_add(&t, aligned ? cells3 + 1 : cells3);
  }
  aeh_table_print(&t, stdout, 2);
}

static void print_versions(const char *section, const json_t *list) {
  aeh_table t;
  aeh_table_init(&t, 6);
  size_t i;
  const json_t *v;
  json_array_foreach(list, i, v) {
    char size[32], files[32], run[32], digest[80];
    snprintf(size, sizeof size, "%" JSON_INTEGER_FORMAT " bytes",
             json_integer_value(json_object_get(v, "total_size")));
    json_int_t nfiles = json_integer_value(json_object_get(v, "file_count"));
    snprintf(files, sizeof files, "%" JSON_INTEGER_FORMAT " file%s", nfiles,
             nfiles == 1 ? "" : "s");
    snprintf(run, sizeof run, "run %" JSON_INTEGER_FORMAT,
             json_integer_value(json_object_get(v, "run_id")));
    snprintf(digest, sizeof digest, "%s",
             json_string_value(json_object_get(v, "digest")));
    const char *cells[] = {
        section, json_string_value(json_object_get(v, "ref")),
        digest,  files,
        size,    run};
    aeh_table_add(&t, cells);
    size_t j;
    const json_t *f;
    json_array_foreach(json_object_get(v, "files"), j, f) {
      char fsize[32];
      snprintf(fsize, sizeof fsize, "%" JSON_INTEGER_FORMAT " bytes",
               json_integer_value(json_object_get(f, "size")));
      const char *fc[] = {"file",
                          json_string_value(json_object_get(f, "path")),
                          json_string_value(json_object_get(f, "sha256")),
                          "",
                          fsize,
                          json_string_value(json_object_get(v, "ref"))};
      aeh_table_add(&t, fc);
    }
  }
  aeh_table_print(&t, stdout, 2);
}

static void print_metrics(const json_t *metrics) {
  aeh_table t;
  bool aligned = aeh_out_aligned();
  aeh_table_init(&t, aligned ? 6 : 7);
  const char *head[] = {"metric", "last", "min", "max", "count", "last step"};
  if (aligned && json_object_size(metrics) > 0)
    aeh_table_add(&t, head);
  const char *key;
  const json_t *m;
  json_object_foreach((json_t *)metrics, key, m) {
    char last[48], min[48], max[48], count[32], step[32];
    scalar_text(json_object_get(m, "last"), last, sizeof last);
    scalar_text(json_object_get(m, "min"), min, sizeof min);
    scalar_text(json_object_get(m, "max"), max, sizeof max);
    scalar_text(json_object_get(m, "count"), count, sizeof count);
    scalar_text(json_object_get(m, "last_step"), step, sizeof step);
    const char *cells[] = {"metric", key, last, min, max, count, step};
    aeh_table_add(&t, aligned ? cells + 1 : cells);
  }
  aeh_table_print(&t, stdout, 2);
}

static void print_logs(const json_t *logs) {
  aeh_table t;
  bool aligned = aeh_out_aligned();
  aeh_table_init(&t, aligned ? 3 : 4);
  size_t i;
  const json_t *line;
  json_array_foreach(logs, i, line) {
    char when[40];
    local_time(json_object_get(line, "time"), when, sizeof when);
    const char *cells[] = {"log", when,
                           json_string_value(json_object_get(line, "level")),
                           json_string_value(json_object_get(line, "message"))};
    aeh_table_add(&t, aligned ? cells + 1 : cells);
  }
  aeh_table_print(&t, stdout, 2);
}

static void print_run_text(const json_t *run) {
  char action[300], started[40], ended[40], duration[32];
  action_label(run, action, sizeof action);
  local_time(json_object_get(run, "started_at"), started, sizeof started);
  local_time(json_object_get(run, "ended_at"), ended, sizeof ended);
  duration_text(json_object_get(run, "duration_s"), duration, sizeof duration);
  const char *status = json_string_value(json_object_get(run, "status"));
  json_t *facts = json_object();
  json_object_set(facts, "id", json_object_get(run, "id"));
  json_object_set_new(facts, "action", json_string(action));
  json_object_set(facts, "project", json_object_get(run, "project"));
  json_object_set(facts, "mode", json_object_get(run, "mode"));
  json_object_set(facts, "status", json_object_get(run, "status"));
  json_t *reason = json_object_get(run, "message");
  if (json_is_string(reason))
    json_object_set(facts, "reason", reason);
  json_t *reused = json_object_get(run, "reused_run");
  if (json_is_integer(reused))
    json_object_set(facts, "reused_run", reused);
  json_t *code = json_object_get(run, "exit_code");
  if (json_is_integer(code))
    json_object_set(facts, "exit_code", code);
  json_t *sig = json_object_get(run, "signal");
  if (json_is_integer(sig))
    json_object_set(facts, "signal", sig);
  json_object_set_new(facts, "started", json_string(started));
  json_object_set_new(facts, "ended", json_string(ended));
  json_object_set_new(facts, "duration", json_string(duration));
  size_t i;
  json_t *tag;
  char tags[1024] = "";
  json_array_foreach(json_object_get(run, "tags"), i, tag) {
    size_t len = strlen(tags);
    snprintf(tags + len, sizeof tags - len, "%s%s", i ? "," : "",
             json_string_value(tag));
  }
  if (tags[0] != '\0')
    json_object_set_new(facts, "tags", json_string(tags));
  if (aeh_out_aligned() && aeh_out_colour())
    printf("run %" JSON_INTEGER_FORMAT "  %s  \033[%sm%s\033[0m\n",
           json_integer_value(json_object_get(run, "id")), action,
           aeh_status_colour(status) == AEH_GREEN ? "32" : "31", status);
  print_pairs("run", facts);
  json_decref(facts);
  heading("environment");
  print_pairs("environment", json_object_get(run, "environment"));
  heading("config");
  print_pairs("config", json_object_get(run, "config"));
  heading("inputs");
  print_versions("input", json_object_get(run, "inputs"));
  heading("outputs");
  print_versions("output", json_object_get(run, "outputs"));
  heading("metrics");
  print_metrics(json_object_get(run, "metrics"));
  heading("log");
  print_logs(json_object_get(run, "logs"));
}

static int cmd_show(const aeh_command *cmd, int argc, char **argv) {
  read_opts o = {.read = {apply_option, NULL, NULL}};
  aeh_args a;
  aeh_record rec;
  int rc = aeh_read_start(cmd, argc, argv, &o.read, &a, &rec);
  if (rc >= 0)
    return rc;
  aero_error err = AEH_ERROR_INIT;
  int64_t id = 0;
  json_t *doc = NULL;
  aero_status st = aeh_record_find_run(&rec, a.positional[0], &id, &err);
  if (st == AERO_OK)
    st = aeh_record_run_json(&rec, id, &doc, &err);
  return aeh_read_finish(cmd, st, &err, doc, o.json, print_run_text, &rec);
}

/* ---- diff ---- */

static const aeh_option diff_options[] = {
    {"all", 0, NULL, "every row, not only those that differ", O_ALL},
    {"json", 0, NULL, "one JSON document (docs/json-schema.md)", O_JSON},
    AEH_READ_STORE_OPTION,
    {NULL, 0, NULL, NULL, 0},
};

/* A diff cell: scalars as text, arrays joined by commas, null as "-"; on a
 * terminal long values are cut so that the columns stay readable. */
static void cell_text(const json_t *v, char *buf, size_t size) {
  if (json_is_array(v)) {
    buf[0] = '\0';
    size_t i;
    const json_t *item;
    json_array_foreach(v, i, item) {
      char one[256];
      scalar_text(item, one, sizeof one);
      size_t len = strlen(buf);
      snprintf(buf + len, size - len, "%s%s", i ? "," : "", one);
    }
  } else {
    scalar_text(v, buf, size);
  }
  if (aeh_out_aligned()) {
    buf[strcspn(buf, "\n")] = '\0';
    if (strlen(buf) > 48 && size > 48)
      snprintf(buf + 45, size - 45, "...");
  }
}

static int cmd_diff(const aeh_command *cmd, int argc, char **argv) {
  read_opts o = {.read = {apply_option, NULL, NULL}};
  aeh_args a;
  aeh_record rec;
  int rc = aeh_read_start(cmd, argc, argv, &o.read, &a, &rec);
  if (rc >= 0)
    return rc;
  aero_error err = AEH_ERROR_INIT;
  int64_t ids[2] = {0, 0};
  json_t *doc = NULL;
  aero_status st = aeh_record_find_run(&rec, a.positional[0], &ids[0], &err);
  if (st == AERO_OK)
    st = aeh_record_find_run(&rec, a.positional[1], &ids[1], &err);
  if (st == AERO_OK)
    st = aeh_record_diff_json(&rec, ids[0], ids[1], o.all, &doc, &err);
  if (st != AERO_OK) {
    rc = aeh_read_fail(cmd, st, &err);
  } else if (o.json) {
    rc = aeh_read_write_json(cmd, doc);
  } else {
    aeh_table t;
    aeh_table_init(&t, 4);
    char ha[32], hb[32];
    snprintf(ha, sizeof ha, "run %lld", (long long)ids[0]);
    snprintf(hb, sizeof hb, "run %lld", (long long)ids[1]);
    const char *head[] = {"", "", ha, hb};
    if (aeh_out_aligned())
      aeh_table_add(&t, head);
    size_t i;
    const json_t *row;
    json_array_foreach(json_object_get(doc, "rows"), i, row) {
      char va[4096], vb[4096];
      cell_text(json_object_get(row, "a"), va, sizeof va);
      cell_text(json_object_get(row, "b"), vb, sizeof vb);
      const char *cells[] = {json_string_value(json_object_get(row, "section")),
                             json_string_value(json_object_get(row, "key")), va,
                             vb};
      if (aeh_table_add(&t, cells) == AERO_OK &&
          !json_is_true(json_object_get(row, "same"))) {
        aeh_table_colour(&t, 2, AEH_RED);
        aeh_table_colour(&t, 3, AEH_GREEN);
      }
    }
    aeh_table_print(&t, stdout, 0);
    rc = AEH_EXIT_OK;
  }
  json_decref(doc);
  aeh_record_close(&rec);
  return rc;
}

/* ---- the commands: usage, description and options in one place ---- */

const aeh_command aeh_cmd_runs = {
    .name = "runs",
    .usage = "aeromancy runs [--project P] [--job-type T] [--status S] "
             "[--tag T] [--branch B]\n"
             "aeromancy runs [--dev|--prod] [--since DATE] [--limit N] "
             "[--before ID] [--json] [--store PATH]",
    .summary = "list runs, newest first",
    .description =
        "Lists the runs of the store, newest first: id, start time, project, "
        "[job_type] output, status, duration, short commit and the last "
        "value of a few metrics.\n\n"
        "Columns are aligned on a terminal and separated by tabs otherwise; "
        "NO_COLOR turns colour off. A read command never creates a store: "
        "without one it exits 3.\n\n"
        "A run whose aerohost is gone (killed with SIGKILL, its machine "
        "stopped) is recorded killed before the runs are read, as the next "
        "aerohost would record it. Every read command and the web page do "
        "the same; fsck reports such runs instead, and gc records them "
        "itself.",
    .options = runs_options,
    .exits = AEH_EXITS_READ,
    .run = cmd_runs,
};

const aeh_command aeh_cmd_show = {
    .name = "show",
    .usage = "aeromancy show RUN [--json] [--store PATH]",
    .summary = "everything recorded about one run",
    .description =
        "Prints everything recorded about run RUN: its action, status and "
        "reason, times, command line and environment (git commit and "
        "branch, image id, plugin SHA-256, packages...), config, tags, "
        "inputs with their exact versions, outputs with their files, sizes "
        "and digests, a summary per metric (last, min, max, count) and its "
        "log lines.\n\n"
        "On a terminal the text comes in aligned sections; otherwise one "
        "fact per line, tab-separated, the first field naming its section. "
        "An unknown RUN is named with the nearest existing run (exit 3).",
    .options = show_options,
    .min_positional = 1,
    .max_positional = 1,
    .exits = AEH_EXITS_READ,
    .run = cmd_show,
};

const aeh_command aeh_cmd_diff = {
    .name = "diff",
    .usage = "aeromancy diff RUN RUN [--all] [--json] [--store PATH]",
    .summary = "two runs side by side",
    .description =
        "Compares two runs: the run itself (action, status, mode, "
        "duration), config, project flags, inputs and outputs (by "
        "artifact, compared by digest: the same content under another "
        "version number is the same), the last value of each metric, and "
        "the environment (commit, image, plugin SHA-256, packages...). Only "
        "what differs is shown unless --all. One row per fact: section, "
        "key, first run's value, second run's value.",
    .options = diff_options,
    .min_positional = 2,
    .max_positional = 2,
    .exits = AEH_EXITS_READ,
    .run = cmd_diff,
};
