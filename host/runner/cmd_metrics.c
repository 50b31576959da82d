/* aeromancy metrics: every point of a run's metrics, streamed from the
 * backend as it hands them over, never loaded whole.
 *
 * Text and CSV lines are built by hand in one large buffer: at millions of
 * points, printf's parsing of its format and its formatting of doubles
 * were most of the time (docs/performance.md). Values go through
 * aeu_format_double, which writes the shortest decimal that reads back as
 * exactly the stored double; steps and times are integers where they are
 * stored. JSON is jansson's values (never hand-escaped) written by
 * aeh_json_dump, whose numbers are aeu_format_double's too. */
#include "read_cmd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aeu.h"
#include "go.h"
#include "names.h"
#include "options.h"
#include "text_table.h"

enum { O_JSON = 1, O_CSV };

static const aeh_option metrics_options[] = {
    {"csv", 0, NULL, "CSV with a header line: key,step,value,time", O_CSV},
    {"json", 0, NULL, "a JSON array of points (docs/json-schema.md)", O_JSON},
    AEH_READ_STORE_OPTION,
    {NULL, 0, NULL, NULL, 0},
};

typedef struct metrics_opts {
  aeh_read_opts read; /* first: --store, and how the rest is parsed */
  bool json, csv;
} metrics_opts;

static int apply_option(void *ctx, const aeh_option *op, const char *value) {
  metrics_opts *o = ctx;
  (void)value;
  if (op->id == O_JSON)
    o->json = true;
  else if (op->id == O_CSV)
    o->csv = true;
  return 0;
}

static int check_metrics(const aeh_command *cmd, aeh_read_opts *opts,
                         const aeh_args *args) {
  (void)args;
  const metrics_opts *o = (const metrics_opts *)opts;
  if (o->json && o->csv)
    return aeh_command_usage_error(cmd, "--json and --csv exclude each other");
  return -1;
}

typedef enum { OUT_TEXT, OUT_ALIGNED, OUT_CSV, OUT_JSON } out_format;

/* The lines not yet written to stdout. */
#define OUT_SIZE ((size_t)256 << 10)

typedef struct points {
  out_format format;
  int64_t count;
  const char *const *keys; /* the KEYs asked for, and which had points */
  size_t key_count;
  bool key_seen[AEH_MAX_POSITIONAL];
  bool failed_write;
  size_t used;
  char out[OUT_SIZE];
} points;

static void out_flush(points *p) {
  if (p->used > 0 && fwrite(p->out, 1, p->used, stdout) != p->used)
    p->failed_write = true;
  p->used = 0;
}

static void out_put(points *p, const char *text, size_t len) {
  if (len > OUT_SIZE - p->used) {
    out_flush(p);
    if (len > OUT_SIZE) { /* a key longer than the buffer */
      if (fwrite(text, 1, len, stdout) != len)
        p->failed_write = true;
      return;
    }
  }
  memcpy(p->out + p->used, text, len);
  p->used += len;
}

static void out_char(points *p, char c) {
  out_put(p, &c, 1);
}

/* A key as a CSV field (RFC 4180: quoted, quotes doubled, when it holds a
 * comma, a quote or a line break) or a tab-separated one (a tab or line
 * break, which aero_log_metrics refuses since, but an older store may
 * hold, written as a space, as `show` does). */
static void out_key(points *p, const char *key, size_t len) {
  size_t plain = strcspn(key, p->format == OUT_CSV ? ",\"\r\n" : "\t\r\n");
  if (plain >= len) {
    out_put(p, key, len);
    return;
  }
  if (p->format != OUT_CSV) {
    for (size_t i = 0; i < len; i++)
      out_char(p, key[i] == '\t' || key[i] == '\r' || key[i] == '\n' ? ' '
                                                                     : key[i]);
    return;
  }
  out_char(p, '"');
  for (size_t i = 0; i < len; i++) {
    if (key[i] == '"')
      out_char(p, '"');
    out_char(p, key[i]);
  }
  out_char(p, '"');
}

/* `text` and then spaces up to `width` (before it, when `right`). */
static void out_padded(points *p, const char *text, size_t len, size_t width,
                       bool right) {
  static const char spaces[] = "                        ";
  size_t pad = len < width ? width - len : 0;
  if (!right)
    out_put(p, text, len);
  out_put(p, spaces, pad < sizeof spaces - 1 ? pad : sizeof spaces - 1);
  if (right)
    out_put(p, text, len);
}

/* Seconds since the epoch with microseconds, from the stored nanoseconds. */
static size_t seconds_text(int64_t ns, char *buf) {
  char *b = buf;
  uint64_t us = (ns < 0 ? -(uint64_t)ns : (uint64_t)ns) / 1000;
  if (ns < 0)
    *b++ = '-';
  b += aeu_format_u64(us / 1000000, b);
  *b++ = '.';
  uint64_t frac = us % 1000000;
  for (int i = 5; i >= 0; i--) {
    b[i] = (char)('0' + frac % 10);
    frac /= 10;
  }
  b += 6;
  *b = '\0';
  return (size_t)(b - buf);
}

/* Notes that the asked-for KEY `key` had points (once per run of a key). */
static void mark_key(points *p, const char *key) {
  for (size_t k = 0; k < p->key_count; k++)
    if (!p->key_seen[k] && strcmp(p->keys[k], key) == 0)
      p->key_seen[k] = true;
}

static int json_put(const char *text, size_t len, void *p) {
  out_put(p, text, len);
  return 0;
}

static aero_status json_point(points *p, const aero_metric_row *r,
                              aero_error *err) {
  json_t *o = aeh_json_point(r);
  if (o != NULL)
    out_put(p, p->count > 0 ? ",\n  " : "  ", p->count > 0 ? 4 : 2);
  int rc = o != NULL ? aeh_json_dump(o, JSON_COMPACT, json_put, p) : -1;
  json_decref(o);
  return rc == 0 ? AERO_OK : aeh_error_set(err, AERO_E_NOMEM, "out of memory");
}

/* One point per line, written as it comes. On a terminal the columns have
 * fixed widths instead of being measured first. */
static aero_status on_points(void *ctx, const aero_metric_row *rows,
                             size_t count, aero_error *err) {
  points *p = ctx;
  const char *key = NULL;
  size_t key_len = 0;
  char sep = p->format == OUT_CSV ? ',' : '\t';
  for (size_t i = 0; i < count; i++) {
    const aero_metric_row *r = &rows[i];
    if (p->format == OUT_JSON) {
      if (r->key != key)
        mark_key(p, key = r->key);
      aero_status status = json_point(p, r, err);
      if (status != AERO_OK)
        return status;
      p->count++;
      continue;
    }
    if (r->key != key) { /* a batch shares one copy of a run of keys */
      key = r->key;
      key_len = strlen(key);
      mark_key(p, key);
    }
    char step[24] = "", value[AEU_DOUBLE_CHARS], secs[32];
    size_t step_len =
        r->step != AERO_NO_STEP ? aeu_format_i64(r->step, step) : 0;
    size_t value_len = aeu_format_double(r->value, value);
    size_t secs_len = seconds_text(r->logged_ns, secs);
    if (p->format == OUT_ALIGNED) {
      out_padded(p, key, key_len, 20, false);
      out_char(p, ' ');
      out_padded(p, step, step_len, 8, true);
      out_put(p, "  ", 2);
      out_padded(p, value, value_len, 23, false);
      out_char(p, ' ');
    } else {
      out_key(p, key, key_len);
      out_char(p, sep);
      out_put(p, step, step_len);
      out_char(p, sep);
      out_put(p, value, value_len);
      out_char(p, sep);
    }
    out_put(p, secs, secs_len);
    out_char(p, '\n');
    p->count++;
  }
  if (p->failed_write || ferror(stdout)) {
    p->failed_write = true;
    return aeh_error_set(err, AERO_E_IO, "cannot write to standard output");
  }
  return AERO_OK;
}

/* The run's state and metric keys (from their summaries), for naming the
 * nearest. */
typedef struct key_list {
  uint32_t state;
  int64_t reused_run;
  char *names[64]; /* owned */
  size_t count;
} key_list;

static aero_status on_run(void *ctx, const aero_run_info *run,
                          aero_error *err) {
  key_list *l = ctx;
  (void)err;
  l->state = run->state;
  if (AERO_ROW_HAS(run, aero_run_info, reused_run))
    l->reused_run = run->reused_run;
  return AERO_OK;
}

static aero_status on_summary(void *ctx, const aero_metric_summary *m,
                              aero_error *err) {
  key_list *l = ctx;
  if (l->count == sizeof l->names / sizeof *l->names)
    return AERO_OK;
  if ((l->names[l->count] = strdup(m->key)) == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  l->count++;
  return AERO_OK;
}

/* A KEY that had no point is a typo or a key of another run: one line
 * naming it and the run's nearest key (exit 3), rather than exit 0 with
 * nothing printed for it; a reused run is named with the run whose
 * metrics they are. A running run may log it later: no error. Asks for
 * the run's summaries only then. */
static aero_status check_keys(const aeh_record *rec, int64_t id,
                              const points *p, aero_error *err) {
  size_t k = 0;
  while (k < p->key_count && p->key_seen[k])
    k++;
  if (k == p->key_count)
    return AERO_OK;
  key_list l = {.count = 0};
  aero_run_sink sink = {
      .struct_size = sizeof sink, .run = on_run, .metric_summary = on_summary};
  aero_status st = rec->vt->query_run != NULL
                       ? rec->vt->query_run(rec->handle, id, &sink, &l, err)
                       : AERO_OK;
  if (st == AERO_OK && l.state == AERO_RUN_RUNNING) {
    /* not logged yet */
  } else if (st == AERO_OK) {
    const char *near =
        aeh_suggest(p->keys[k], (const char *const *)l.names, l.count);
    char hint[160] = " (it logged no metrics)";
    if (l.state == AERO_RUN_REUSED && l.reused_run > 0)
      snprintf(hint, sizeof hint,
               " (it was reused: its metrics are run %lld's, aeromancy "
               "metrics %lld)",
               (long long)l.reused_run, (long long)l.reused_run);
    else if (near != NULL)
      snprintf(hint, sizeof hint, " (nearest: %.120s)", near);
    else if (l.count > 0)
      snprintf(hint, sizeof hint, " (its metrics: %s%s%.100s%s)", l.names[0],
               l.count > 1 ? ", " : "", l.count > 1 ? l.names[1] : "",
               l.count > 2 ? ", ..." : "");
    st = aeh_error_set(err, AERO_E_NOT_FOUND,
                       "run %lld has no metric '%.100s'%s", (long long)id,
                       p->keys[k], hint);
  }
  for (size_t i = 0; i < l.count; i++)
    free(l.names[i]);
  return st;
}

static int cmd_metrics(const aeh_command *cmd, int argc, char **argv) {
  metrics_opts o = {.read = {apply_option, check_metrics, NULL}};
  aeh_args a;
  aeh_record rec;
  int rc = aeh_read_start(cmd, argc, argv, &o.read, &a, &rec);
  if (rc >= 0)
    return rc;
  points *p = calloc(1, sizeof *p);
  aero_error err = AEH_ERROR_INIT;
  int64_t id = 0;
  aero_status st =
      p != NULL ? AERO_OK : aeh_error_set(&err, AERO_E_NOMEM, "out of memory");
  if (st == AERO_OK)
    st = AEH_RECORD_NEED(&rec, query_metrics, &err);
  if (st == AERO_OK)
    st = aeh_record_find_run(&rec, a.positional[0], &id, &err);
  if (st == AERO_OK) {
    p->format = o.json              ? OUT_JSON
                : o.csv             ? OUT_CSV
                : aeh_out_aligned() ? OUT_ALIGNED
                                    : OUT_TEXT;
    /* The keys are a set for the backend (query.h: a repeated one streams
     * its points once) and mark_key marks every copy of one. */
    p->keys = (const char *const *)&a.positional[1];
    p->key_count = a.positional_count - 1;
    aero_metric_query q = {.struct_size = sizeof q,
                           .run_id = id,
                           .keys = p->keys,
                           .key_count = p->key_count};
    if (p->format == OUT_JSON)
      out_put(p, "[\n", 2);
    else if (p->format == OUT_CSV)
      out_put(p, "key,step,value,time\n", 20);
    else if (p->format == OUT_ALIGNED)
      printf("%-20s %8s  %-23s %s\n", "KEY", "STEP", "VALUE", "TIME");
    st = rec.vt->query_metrics(rec.handle, &q, on_points, p, &err);
    if (p->format == OUT_JSON && st == AERO_OK)
      out_put(p, p->count > 0 ? "\n]\n" : "]\n", p->count > 0 ? 3 : 2);
    out_flush(p);
    if (p->failed_write && st == AERO_OK)
      st = aeh_error_set(&err, AERO_E_IO, "cannot write to standard output");
    if (st == AERO_OK)
      st = check_keys(&rec, id, p, &err);
  }
  int error = fflush(stdout) != 0 ? errno : 0;
  if (p->failed_write || error != 0 || ferror(stdout))
    rc = aeh_command_write_failed(cmd, error);
  else
    rc = st == AERO_OK ? AEH_EXIT_OK : aeh_read_fail(cmd, st, &err);
  free(p);
  aeh_record_close(&rec);
  return rc;
}

const aeh_command aeh_cmd_metrics = {
    .name = "metrics",
    .usage = "aeromancy metrics RUN [KEY...] [--json|--csv] [--store PATH]",
    .summary = "every point of a run's metrics, streamed",
    .description =
        "Prints every point run RUN logged (of the metrics KEY..., at most "
        "7, or all), key by key in key order (whatever the order of the "
        "KEYs) and each in step order: key, step (empty when "
        "none), value, and time (seconds since the Unix epoch). Points are "
        "streamed as the store hands them over, never loaded whole. Values "
        "are the shortest decimals that read back as exactly the recorded "
        "numbers. A KEY the run did not log is named with the run's nearest "
        "key (exit 3).",
    .options = metrics_options,
    .min_positional = 1,
    .max_positional = AEH_MAX_POSITIONAL,
    .exits = AEH_EXITS_READ,
    .run = cmd_metrics,
};
