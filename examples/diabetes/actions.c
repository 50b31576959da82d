/* The actions of the diabetes project. Each runs in its own process inside
 * a tracker; see examples/aerodemo for the basic pattern this follows.
 */
#define _XOPEN_SOURCE 700 /* POSIX 2008: posix_spawn, environ under -std=c11   \
                           */

#include "actions.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* The ten baseline variables, in the raw file's order, then the target. */
static const char *const COLUMNS[] = {"age", "sex", "bmi", "bp", "s1",    "s2",
                                      "s3",  "s4",  "s5",  "s6", "target"};
enum { FEATURES = 10, COLS = FEATURES + 1, LINE_MAX_LEN = 1024 };

/* A dense row-major table of COLS columns; the last one is the target. */
typedef struct table {
  double *v; /* owned; rows * COLS values */
  size_t rows;
} table;

/* target = intercept + sum(coef[j] * feature j), in the data's own units. */
typedef struct model {
  double intercept;
  double coef[FEATURES];
} model;

static aero_status table_push(table *t, size_t *capacity, const double *row,
                              aero_error *err) {
  if (t->rows == *capacity) {
    size_t grown_cap = *capacity ? 2 * *capacity : 256;
    double *grown = realloc(t->v, grown_cap * COLS * sizeof *grown);
    if (!grown)
      return aero_fail(err, AERO_E_NOMEM, "out of memory");
    t->v = grown;
    *capacity = grown_cap;
  }
  memcpy(t->v + t->rows * COLS, row, COLS * sizeof *row);
  t->rows++;
  return AERO_OK;
}

static aero_status work_path(aero_tracker *tracker, const char *name, char *buf,
                             size_t size, aero_error *err) {
  int n = snprintf(buf, size, "%s/%s", aero_workdir(tracker), name);
  if (n < 0 || (size_t)n >= size)
    return aero_fail(err, AERO_E_INVALID, "path too long: %s/%s",
                     aero_workdir(tracker), name);
  return AERO_OK;
}

static const char *input_file(const aero_input *in, const char *name,
                              aero_error *err) {
  size_t len = strlen(name);
  for (size_t i = 0; i < in->path_count; i++) {
    const char *path = in->paths[i];
    size_t plen = strlen(path);
    if (plen > len && path[plen - len - 1] == '/' &&
        strcmp(path + plen - len, name) == 0)
      return path;
  }
  aero_error_setf(err, AERO_E_NOT_FOUND, "artifact %s has no file %s",
                  in->artifact, name);
  return NULL;
}

/* Parses exactly `count` numbers separated by `sep` (or blanks, when `sep`
 * is ' ') from `line`. Returns 0 on success. */
static int parse_numbers(const char *line, char sep, double *out,
                         size_t count) {
  const char *p = line;
  for (size_t i = 0; i < count; i++) {
    char *end;
    errno = 0;
    out[i] = strtod(p, &end);
    if (end == p || errno || !isfinite(out[i]))
      return -1;
    p = end;
    if (sep != ' ' && i + 1 < count && *p++ != sep)
      return -1;
  }
  while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
    p++;
  return *p ? -1 : 0;
}

/* ---- ingest ------------------------------------------------------------- */

/* Decompresses `src` into `dst` with gzip in a child process (gzip is in
 * every Debian install, so the plugin needs no zlib). */
static aero_status gunzip(const char *src, const char *dst, aero_error *err) {
  posix_spawn_file_actions_t fa;
  if (posix_spawn_file_actions_init(&fa) != 0)
    return aero_fail(err, AERO_E_NOMEM, "out of memory");
  aero_status st = AERO_OK;
  pid_t pid;
  char *argv[] = {"gzip", "-dc", "--", (char *)src, NULL};
  int rc = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, dst,
                                            O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (rc == 0)
    rc = posix_spawnp(&pid, "gzip", &fa, NULL, argv, environ);
  if (rc != 0) {
    st = aero_fail(err, AERO_E_IO, "cannot run gzip for %s: %s", src,
                   strerror(rc));
    goto done;
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) {
      st = aero_fail(err, AERO_E_IO, "waiting for gzip: %s", strerror(errno));
      goto done;
    }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    st = aero_fail(err, AERO_E_IO, "gzip -dc %s failed (status %d)", src,
                   status);
done:
  posix_spawn_file_actions_destroy(&fa);
  return st;
}

/* Reads the decompressed raw files: FEATURES blank-separated numbers per
 * line in `features`, one per line in `target`. */
static aero_status read_raw(const char *features, const char *target,
                            table *out, aero_error *err) {
  aero_status st = AERO_OK;
  table t = {0};
  size_t capacity = 0;
  char fline[LINE_MAX_LEN], tline[LINE_MAX_LEN];
  FILE *ff = fopen(features, "r");
  FILE *tf = ff ? fopen(target, "r") : NULL;
  if (!tf) {
    st = aero_fail(err, AERO_E_IO, "cannot open %s: %s", ff ? target : features,
                   strerror(errno));
    goto done;
  }
  for (size_t line = 1; fgets(fline, sizeof fline, ff); line++) {
    double row[COLS];
    if (parse_numbers(fline, ' ', row, FEATURES) != 0) {
      st = aero_fail(err, AERO_E_INVALID, "%s:%zu: expected %d numbers",
                     features, line, FEATURES);
      goto done;
    }
    if (!fgets(tline, sizeof tline, tf) ||
        parse_numbers(tline, ' ', &row[FEATURES], 1) != 0) {
      st = aero_fail(err, AERO_E_INVALID, "%s:%zu: expected one number", target,
                     line);
      goto done;
    }
    if ((st = table_push(&t, &capacity, row, err)) != AERO_OK)
      goto done;
  }
  if (fgets(tline, sizeof tline, tf) || t.rows < 10) {
    st = aero_fail(err, AERO_E_INVALID, "%s and %s do not hold the same rows",
                   features, target);
    goto done;
  }
  *out = t;
  t.v = NULL;
done:
  if (tf)
    fclose(tf);
  if (ff)
    fclose(ff);
  free(t.v);
  return st;
}

/* Writes the rows of `t` whose `in_test` flag equals `test` as CSV. */
static aero_status write_split(const char *path, const table *t,
                               const bool *in_test, bool test,
                               aero_error *err) {
  FILE *f = fopen(path, "w");
  if (!f)
    return aero_fail(err, AERO_E_IO, "cannot create %s: %s", path,
                     strerror(errno));
  for (size_t c = 0; c < COLS; c++)
    fprintf(f, "%s%c", COLUMNS[c], c + 1 < COLS ? ',' : '\n');
  for (size_t r = 0; r < t->rows; r++) {
    if (in_test[r] != test)
      continue;
    /* %.10g gives back the source's own short decimals ("32.1") */
    for (size_t c = 0; c < COLS; c++)
      fprintf(f, "%.10g%c", t->v[r * COLS + c], c + 1 < COLS ? ',' : '\n');
  }
  if (ferror(f) | fclose(f)) /* both run: the file is closed either way */
    return aero_fail(err, AERO_E_IO, "cannot write %s", path);
  return AERO_OK;
}

/* splitmix64, for a split that depends only on the seed. */
static uint64_t rng_next(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

/* Reads the first line of `path` into `buf` without its newline; "unknown"
 * when there is none. */
static void read_first_line(const char *path, char *buf, size_t size) {
  snprintf(buf, size, "unknown");
  FILE *f = fopen(path, "r");
  if (!f)
    return;
  if (fgets(buf, (int)size, f))
    buf[strcspn(buf, "\n")] = '\0';
  fclose(f);
}

/* Unpacks the two gzipped files of the data set, splits the rows with the
 * seed, and declares "diabetes-data" (train.csv, test.csv). */
aero_status diabetes_ingest(void *data, aero_tracker *tracker,
                            aero_error *err) {
  const diabetes_settings *s = data;
  aero_status st;
  table t = {0};
  bool *in_test = NULL;
  size_t *order = NULL;
  char src[4096], raw[4096], target[4096], train_csv[4096], test_csv[4096];

  static const char *const gz[] = {"diabetes_data_raw.csv.gz",
                                   "diabetes_target.csv.gz"};
  char *const plain[] = {raw, target};
  for (size_t i = 0; i < 2; i++) {
    snprintf(src, sizeof src, "%s/%s", s->data_dir, gz[i]);
    if (access(src, R_OK) != 0) {
      st = aero_fail(err, AERO_E_NOT_FOUND,
                     "no %s in %s: run examples/diabetes/fetch-data.sh DIR "
                     "and pass --data-dir DIR",
                     gz[i], s->data_dir);
      goto done;
    }
    if ((st = work_path(tracker, i ? "target.txt" : "raw.txt", plain[i],
                        sizeof raw, err)) != AERO_OK ||
        (st = gunzip(src, plain[i], err)) != AERO_OK)
      goto done;
  }
  if ((st = read_raw(raw, target, &t, err)) != AERO_OK)
    goto done;

  /* The first test_rows of a seeded permutation go to the test split. */
  size_t test_rows = (t.rows * (size_t)s->test_percent + 50) / 100;
  in_test = calloc(t.rows, sizeof *in_test);
  order = malloc(t.rows * sizeof *order);
  if (!in_test || !order) {
    st = aero_fail(err, AERO_E_NOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < t.rows; i++)
    order[i] = i;
  uint64_t rng = (uint64_t)s->seed;
  for (size_t i = t.rows - 1; i > 0; i--) {
    size_t j = (size_t)(rng_next(&rng) % (i + 1));
    size_t tmp = order[i];
    order[i] = order[j];
    order[j] = tmp;
  }
  for (size_t i = 0; i < test_rows; i++)
    in_test[order[i]] = true;

  if ((st = work_path(tracker, "train.csv", train_csv, sizeof train_csv,
                      err)) != AERO_OK ||
      (st = work_path(tracker, "test.csv", test_csv, sizeof test_csv, err)) !=
          AERO_OK ||
      (st = write_split(train_csv, &t, in_test, false, err)) != AERO_OK ||
      (st = write_split(test_csv, &t, in_test, true, err)) != AERO_OK)
    goto done;

  char source[256];
  snprintf(src, sizeof src, "%s/SOURCE", s->data_dir);
  read_first_line(src, source, sizeof source);
  const char *files[] = {train_csv, test_csv};
  const aero_kv metadata[] = {
      AERO_KV_INT("train_rows", (int64_t)(t.rows - test_rows)),
      AERO_KV_INT("test_rows", (int64_t)test_rows),
      AERO_KV_STRING("source", source)};
  st = aero_declare_output(tracker,
                           &AERO_OUTPUT(.name = "diabetes-data", .files = files,
                                        .file_count = AERO_COUNT(files),
                                        .artifact_type = "dataset",
                                        .metadata = metadata,
                                        .metadata_count = AERO_COUNT(metadata)),
                           err);
  if (st == AERO_OK)
    aero_logf(tracker, AERO_LOG_INFO, "%zu rows from %s: %zu train, %zu test",
              t.rows, source, t.rows - test_rows, test_rows);
done:
  free(order);
  free(in_test);
  free(t.v);
  return st;
}

/* ---- fit ---------------------------------------------------------------- */

/* Reads a CSV written by ingest. On success the caller owns out->v. */
static aero_status read_csv(const char *path, table *out, aero_error *err) {
  aero_status st = AERO_OK;
  table t = {0};
  size_t capacity = 0;
  char line[LINE_MAX_LEN], header[LINE_MAX_LEN] = "";
  FILE *f = fopen(path, "r");
  if (!f)
    return aero_fail(err, AERO_E_IO, "cannot open %s: %s", path,
                     strerror(errno));
  for (size_t c = 0; c < COLS; c++) {
    strcat(header, COLUMNS[c]);
    strcat(header, c + 1 < COLS ? "," : "\n");
  }
  if (!fgets(line, sizeof line, f) || strcmp(line, header) != 0) {
    st = aero_fail(err, AERO_E_INVALID, "%s:1: expected the header %.*s", path,
                   (int)strlen(header) - 1, header);
    goto done;
  }
  for (size_t lineno = 2; fgets(line, sizeof line, f); lineno++) {
    double row[COLS];
    if (parse_numbers(line, ',', row, COLS) != 0) {
      st = aero_fail(err, AERO_E_INVALID, "%s:%zu: expected %d numbers", path,
                     lineno, COLS);
      goto done;
    }
    if ((st = table_push(&t, &capacity, row, err)) != AERO_OK)
      goto done;
  }
  if (t.rows < 2) {
    st = aero_fail(err, AERO_E_INVALID, "%s: fewer than two rows", path);
    goto done;
  }
  *out = t;
  t.v = NULL;
done:
  free(t.v);
  fclose(f);
  return st;
}

static double predict(const model *m, const double *row) {
  double y = m->intercept;
  for (size_t j = 0; j < FEATURES; j++)
    y += m->coef[j] * row[j];
  return y;
}

static double mse(const model *m, const table *t) {
  double sum = 0;
  for (size_t r = 0; r < t->rows; r++) {
    double e = predict(m, t->v + r * COLS) - t->v[r * COLS + FEATURES];
    sum += e * e;
  }
  return sum / (double)t->rows;
}

/* Standardisation of the training features: z = (x - mean) / sd. Weights
 * w and bias b on z map back to the model in the data's units. */
typedef struct scaling {
  double mean[FEATURES], sd[FEATURES];
} scaling;

static void to_model(const scaling *sc, const double *w, double b, model *out) {
  out->intercept = b;
  for (size_t j = 0; j < FEATURES; j++) {
    out->coef[j] = w[j] / sc->sd[j];
    out->intercept -= out->coef[j] * sc->mean[j];
  }
}

/* Solves A x = b in place (A symmetric positive definite, n x n) by
 * Cholesky; -1 when A is not positive definite. */
static int cholesky_solve(double *a, double *b, size_t n) {
  for (size_t j = 0; j < n; j++) {
    double d = a[j * n + j];
    for (size_t k = 0; k < j; k++)
      d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0))
      return -1;
    a[j * n + j] = sqrt(d);
    for (size_t i = j + 1; i < n; i++) {
      double v = a[i * n + j];
      for (size_t k = 0; k < j; k++)
        v -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = v / a[j * n + j];
    }
  }
  for (size_t i = 0; i < n; i++) { /* L y = b */
    for (size_t k = 0; k < i; k++)
      b[i] -= a[i * n + k] * b[k];
    b[i] /= a[i * n + i];
  }
  for (size_t i = n; i-- > 0;) { /* L^T x = y */
    for (size_t k = i + 1; k < n; k++)
      b[i] -= a[k * n + i] * b[k];
    b[i] /= a[i * n + i];
  }
  return 0;
}

/* Minimises mean squared error + l2 * |w|^2 on the standardised training
 * rows, logging train_mse and test_mse at every epoch (the step), and
 * declares the model as "diabetes-model". */
aero_status diabetes_fit(void *data, aero_tracker *tracker, aero_error *err) {
  const diabetes_settings *s = data;
  aero_status st;
  aero_input in;
  table train = {0}, test = {0};
  double *z = NULL, *e = NULL;
  model m;

  if ((st = aero_declare_input(tracker, "diabetes-data", &in, err)) != AERO_OK)
    goto done;
  const char *train_csv = input_file(&in, "train.csv", err);
  const char *test_csv = train_csv ? input_file(&in, "test.csv", err) : NULL;
  if (!test_csv) {
    st = AERO_E_NOT_FOUND;
    goto done;
  }
  if ((st = read_csv(train_csv, &train, err)) != AERO_OK ||
      (st = read_csv(test_csv, &test, err)) != AERO_OK)
    goto done;

  const size_t n = train.rows;
  scaling sc;
  double ymean = 0;
  for (size_t r = 0; r < n; r++)
    ymean += train.v[r * COLS + FEATURES] / (double)n;
  for (size_t j = 0; j < FEATURES; j++) {
    double mean = 0, var = 0;
    for (size_t r = 0; r < n; r++)
      mean += train.v[r * COLS + j] / (double)n;
    for (size_t r = 0; r < n; r++)
      var += pow(train.v[r * COLS + j] - mean, 2) / (double)n;
    sc.mean[j] = mean;
    sc.sd[j] = var > 0 ? sqrt(var) : 1;
  }
  z = malloc(n * FEATURES * sizeof *z);
  e = malloc(n * sizeof *e);
  if (!z || !e) {
    st = aero_fail(err, AERO_E_NOMEM, "out of memory");
    goto done;
  }
  for (size_t r = 0; r < n; r++)
    for (size_t j = 0; j < FEATURES; j++)
      z[r * FEATURES + j] = (train.v[r * COLS + j] - sc.mean[j]) / sc.sd[j];

  double w[FEATURES] = {0};
  double b = 0;
  if (s->normal) {
    /* (Z'Z/n + l2 I) w = Z'(y - mean y)/n; b = mean y, since Z is centred */
    double a[FEATURES * FEATURES] = {0}, rhs[FEATURES] = {0};
    for (size_t r = 0; r < n; r++) {
      const double *zr = z + r * FEATURES;
      double yc = train.v[r * COLS + FEATURES] - ymean;
      for (size_t i = 0; i < FEATURES; i++) {
        rhs[i] += zr[i] * yc / (double)n;
        for (size_t j = 0; j < FEATURES; j++)
          a[i * FEATURES + j] += zr[i] * zr[j] / (double)n;
      }
    }
    for (size_t i = 0; i < FEATURES; i++)
      a[i * FEATURES + i] += s->l2;
    if (cholesky_solve(a, rhs, FEATURES) != 0) {
      st = aero_fail(err, AERO_E_ACTION,
                     "the normal equations are singular: pass --l2 > 0");
      goto done;
    }
    memcpy(w, rhs, sizeof w);
    b = ymean;
    to_model(&sc, w, b, &m);
    const aero_metric metrics[] = {{"train_mse", mse(&m, &train)},
                                   {"test_mse", mse(&m, &test)}};
    if ((st = aero_log_metrics(tracker, metrics, AERO_COUNT(metrics), 0,
                               err)) != AERO_OK)
      goto done;
  } else {
    for (int64_t epoch = 0; epoch < s->epochs; epoch++) {
      /* one full-batch step on mse + l2 |w|^2 */
      double gw[FEATURES] = {0}, gb = 0;
      for (size_t r = 0; r < n; r++) {
        const double *zr = z + r * FEATURES;
        double pred = b;
        for (size_t j = 0; j < FEATURES; j++)
          pred += w[j] * zr[j];
        e[r] = pred - train.v[r * COLS + FEATURES];
        gb += 2 * e[r] / (double)n;
        for (size_t j = 0; j < FEATURES; j++)
          gw[j] += 2 * e[r] * zr[j] / (double)n;
      }
      for (size_t j = 0; j < FEATURES; j++)
        w[j] -= s->learning_rate * (gw[j] + 2 * s->l2 * w[j]);
      b -= s->learning_rate * gb;

      to_model(&sc, w, b, &m);
      const aero_metric metrics[] = {{"train_mse", mse(&m, &train)},
                                     {"test_mse", mse(&m, &test)}};
      if (!isfinite(metrics[0].value)) {
        st = aero_fail(err, AERO_E_ACTION,
                       "diverged at epoch %lld: lower --learning-rate (%g)",
                       (long long)epoch, s->learning_rate);
        goto done;
      }
      if ((st = aero_log_metrics(tracker, metrics, AERO_COUNT(metrics), epoch,
                                 err)) != AERO_OK)
        goto done;
    }
    to_model(&sc, w, b, &m);
  }

  char model_txt[4096];
  if ((st = work_path(tracker, "model.txt", model_txt, sizeof model_txt,
                      err)) != AERO_OK)
    goto done;
  FILE *f = fopen(model_txt, "w");
  if (!f) {
    st = aero_fail(err, AERO_E_IO, "cannot create %s: %s", model_txt,
                   strerror(errno));
    goto done;
  }
  /* %.17g round-trips doubles: evaluate reads exactly this model. */
  fprintf(f, "intercept=%.17g\n", m.intercept);
  for (size_t j = 0; j < FEATURES; j++)
    fprintf(f, "%s=%.17g\n", COLUMNS[j], m.coef[j]);
  if (ferror(f) | fclose(f)) {
    st = aero_fail(err, AERO_E_IO, "cannot write %s", model_txt);
    goto done;
  }
  const char *files[] = {model_txt};
  const aero_kv metadata[] = {
      AERO_KV_STRING("solver", s->normal ? "normal" : "gd"),
      AERO_KV_DOUBLE("train_mse", mse(&m, &train)),
      AERO_KV_STRING("trained_on", in.artifact)};
  st = aero_declare_output(
      tracker,
      &AERO_OUTPUT(.name = "diabetes-model", .files = files, .file_count = 1,
                   .artifact_type = "model", .metadata = metadata,
                   .metadata_count = AERO_COUNT(metadata)),
      err);
done:
  free(e);
  free(z);
  free(test.v);
  free(train.v);
  return st;
}

/* ---- evaluate ----------------------------------------------------------- */

static aero_status read_model(const char *path, model *out, aero_error *err) {
  model m;
  FILE *f = fopen(path, "r");
  if (!f)
    return aero_fail(err, AERO_E_IO, "cannot open %s: %s", path,
                     strerror(errno));
  /* intercept=..., then one name=value line per feature, in order */
  char line[LINE_MAX_LEN], name[64];
  double value;
  size_t j = 0;
  for (; j <= FEATURES && fgets(line, sizeof line, f); j++) {
    const char *want = j == 0 ? "intercept" : COLUMNS[j - 1];
    if (sscanf(line, "%63[^=]=%lf", name, &value) != 2 ||
        strcmp(name, want) != 0)
      break;
    if (j == 0)
      m.intercept = value;
    else
      m.coef[j - 1] = value;
  }
  fclose(f);
  if (j != FEATURES + 1)
    return aero_fail(err, AERO_E_INVALID, "%s:%zu: not a diabetes model", path,
                     j + 1);
  *out = m;
  return AERO_OK;
}

typedef struct scores {
  double r2, mse, mae;
} scores;

static scores score(const model *m, const table *t) {
  double mean = 0, total = 0, sq = 0, abs_sum = 0;
  for (size_t r = 0; r < t->rows; r++)
    mean += t->v[r * COLS + FEATURES] / (double)t->rows;
  for (size_t r = 0; r < t->rows; r++) {
    double y = t->v[r * COLS + FEATURES];
    double e = predict(m, t->v + r * COLS) - y;
    total += (y - mean) * (y - mean);
    sq += e * e;
    abs_sum += fabs(e);
  }
  return (scores){1 - sq / total, sq / (double)t->rows,
                  abs_sum / (double)t->rows};
}

/* Scores the model on both splits (R^2, mse, mae), logs the scores, and
 * declares a Markdown report as "diabetes-report". */
aero_status diabetes_evaluate(void *data, aero_tracker *tracker,
                              aero_error *err) {
  (void)data;
  aero_status st;
  aero_input model_in, data_in;
  table train = {0}, test = {0};
  model m;

  if ((st = aero_declare_input(tracker, "diabetes-model", &model_in, err)) !=
          AERO_OK ||
      (st = aero_declare_input(tracker, "diabetes-data", &data_in, err)) !=
          AERO_OK)
    goto done;
  const char *model_txt = input_file(&model_in, "model.txt", err);
  const char *train_csv =
      model_txt ? input_file(&data_in, "train.csv", err) : NULL;
  const char *test_csv =
      train_csv ? input_file(&data_in, "test.csv", err) : NULL;
  if (!test_csv) {
    st = AERO_E_NOT_FOUND;
    goto done;
  }
  if ((st = read_model(model_txt, &m, err)) != AERO_OK ||
      (st = read_csv(train_csv, &train, err)) != AERO_OK ||
      (st = read_csv(test_csv, &test, err)) != AERO_OK)
    goto done;

  scores tr = score(&m, &train), te = score(&m, &test);
  const aero_metric metrics[] = {
      {"test_r2", te.r2},   {"test_mse", te.mse}, {"test_rmse", sqrt(te.mse)},
      {"test_mae", te.mae}, {"train_r2", tr.r2},  {"train_mse", tr.mse}};
  if ((st = aero_log_metrics(tracker, metrics, AERO_COUNT(metrics),
                             AERO_NO_STEP, err)) != AERO_OK)
    goto done;

  char report_md[4096];
  if ((st = work_path(tracker, "report.md", report_md, sizeof report_md,
                      err)) != AERO_OK)
    goto done;
  FILE *f = fopen(report_md, "w");
  if (!f) {
    st = aero_fail(err, AERO_E_IO, "cannot create %s: %s", report_md,
                   strerror(errno));
    goto done;
  }
  fprintf(f,
          "# Diabetes progression: linear regression\n\n"
          "model: %s\ndata: %s\n\n"
          "| split | rows | R^2 | RMSE | MAE |\n|---|---|---|---|---|\n"
          "| train | %zu | %.4f | %.2f | %.2f |\n"
          "| test | %zu | %.4f | %.2f | %.2f |\n\n"
          "| feature | coefficient |\n|---|---|\n| intercept | %.4f |\n",
          model_in.artifact, data_in.artifact, train.rows, tr.r2, sqrt(tr.mse),
          tr.mae, test.rows, te.r2, sqrt(te.mse), te.mae, m.intercept);
  for (size_t j = 0; j < FEATURES; j++)
    fprintf(f, "| %s | %.4f |\n", COLUMNS[j], m.coef[j]);
  if (ferror(f) | fclose(f)) {
    st = aero_fail(err, AERO_E_IO, "cannot write %s", report_md);
    goto done;
  }
  const char *files[] = {report_md};
  st = aero_declare_output(tracker,
                           &AERO_OUTPUT(.name = "diabetes-report",
                                        .files = files, .file_count = 1,
                                        .artifact_type = "report"),
                           err);
  if (st == AERO_OK)
    aero_logf(tracker, AERO_LOG_INFO,
              "test R^2 %.3f, RMSE %.1f (train R^2 %.3f)", te.r2, sqrt(te.mse),
              tr.r2);
done:
  free(test.v);
  free(train.v);
  return st;
}
