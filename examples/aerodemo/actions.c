/* The actions of aerodemo. Each one runs in its own process, inside a
 * tracker: it reads its inputs with aero_declare_input, writes files into
 * its scratch folder (aero_workdir), hands them to aero_declare_output and
 * logs metrics. On any failure it returns a negative status with a message
 * in `err`; the host then records the run as failed and publishes nothing.
 */
#include "actions.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ------------------------------------------------------ */

/* One row of the data set: two features and the target. */
typedef struct demo_row {
  double x1, x2, y;
} demo_row;

typedef struct demo_table {
  demo_row *rows; /* owned */
  size_t count;
} demo_table;

/* The model: y = w1*x1 + w2*x2 + b. */
typedef struct demo_model {
  double w1, w2, b;
} demo_model;

/* splitmix64: a tiny deterministic generator, so that every run of ingest
 * writes the same bytes (and so the same artifact version). */
static uint64_t rng_next(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double rng_uniform(uint64_t *state) {
  return (double)(rng_next(state) >> 11) * 0x1.0p-53;
}

/* Joins the run's scratch folder and `name` into `buf`. */
static aero_status work_path(aero_tracker *tracker, const char *name, char *buf,
                             size_t size, aero_error *err) {
  int n = snprintf(buf, size, "%s/%s", aero_workdir(tracker), name);
  if (n < 0 || (size_t)n >= size)
    return aero_fail(err, AERO_E_INVALID, "path too long: %s/%s",
                     aero_workdir(tracker), name);
  return AERO_OK;
}

/* The file of an input artifact whose name is `name`. */
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

/* Writes rows [from, to) of `t` as CSV with a header. */
static aero_status write_csv(const char *path, const demo_table *t, size_t from,
                             size_t to, aero_error *err) {
  FILE *f = fopen(path, "w");
  if (!f)
    return aero_fail(err, AERO_E_IO, "cannot create %s: %s", path,
                     strerror(errno));
  fputs("x1,x2,y\n", f);
  for (size_t i = from; i < to; i++)
    fprintf(f, "%.6f,%.6f,%.6f\n", t->rows[i].x1, t->rows[i].x2, t->rows[i].y);
  if (ferror(f) | fclose(f)) /* both run: the file is closed either way */
    return aero_fail(err, AERO_E_IO, "cannot write %s", path);
  return AERO_OK;
}

/* Reads a CSV written by write_csv. On success the caller owns out->rows. */
static aero_status read_csv(const char *path, demo_table *out,
                            aero_error *err) {
  aero_status st = AERO_OK;
  demo_table t = {0};
  size_t capacity = 0;
  char line[256];
  FILE *f = fopen(path, "r");
  if (!f)
    return aero_fail(err, AERO_E_IO, "cannot open %s: %s", path,
                     strerror(errno));
  if (!fgets(line, sizeof line, f) || strcmp(line, "x1,x2,y\n") != 0) {
    st = aero_fail(err, AERO_E_INVALID, "%s:1: expected the header x1,x2,y",
                   path);
    goto done;
  }
  for (size_t lineno = 2; fgets(line, sizeof line, f); lineno++) {
    demo_row r;
    char tail;
    if (sscanf(line, "%lf,%lf,%lf%c", &r.x1, &r.x2, &r.y, &tail) != 4 ||
        tail != '\n') {
      st = aero_fail(err, AERO_E_INVALID, "%s:%zu: expected three numbers",
                     path, lineno);
      goto done;
    }
    if (t.count == capacity) {
      capacity = capacity ? 2 * capacity : 64;
      demo_row *grown = realloc(t.rows, capacity * sizeof *grown);
      if (!grown) {
        st = aero_fail(err, AERO_E_NOMEM, "out of memory reading %s", path);
        goto done;
      }
      t.rows = grown;
    }
    t.rows[t.count++] = r;
  }
  if (t.count == 0) {
    st = aero_fail(err, AERO_E_INVALID, "%s: no rows", path);
    goto done;
  }
  *out = t;
  t.rows = NULL;
done:
  free(t.rows);
  fclose(f);
  return st;
}

static double predict(const demo_model *m, const demo_row *r) {
  return m->w1 * r->x1 + m->w2 * r->x2 + m->b;
}

/* Mean squared (or absolute, with `mae`) error of `m` on `t`. */
static double mean_loss(const demo_model *m, const demo_table *t, bool mae) {
  double sum = 0;
  for (size_t i = 0; i < t->count; i++) {
    double e = predict(m, &t->rows[i]) - t->rows[i].y;
    sum += mae ? fabs(e) : e * e;
  }
  return sum / (double)t->count;
}

/* ---- ingest ------------------------------------------------------------- */

/* Generates y = 2*x1 - 3*x2 + 0.5 + noise and declares it as the artifact
 * "dataset" with two files, train.csv and test.csv. */
aero_status demo_ingest(void *data, aero_tracker *tracker, aero_error *err) {
  (void)data;
  demo_row rows[DEMO_ROWS];
  demo_table t = {rows, DEMO_ROWS};
  uint64_t rng = DEMO_SEED;
  for (size_t i = 0; i < DEMO_ROWS; i++) {
    rows[i].x1 = 4 * rng_uniform(&rng) - 2;
    rows[i].x2 = 4 * rng_uniform(&rng) - 2;
    double noise = 0.3 * (rng_uniform(&rng) - 0.5);
    rows[i].y = 2 * rows[i].x1 - 3 * rows[i].x2 + 0.5 + noise;
  }

  char train_csv[4096], test_csv[4096];
  const size_t split = DEMO_ROWS - DEMO_TEST_ROWS;
  aero_status st;
  if ((st = work_path(tracker, "train.csv", train_csv, sizeof train_csv,
                      err)) != AERO_OK ||
      (st = work_path(tracker, "test.csv", test_csv, sizeof test_csv, err)) !=
          AERO_OK ||
      (st = write_csv(train_csv, &t, 0, split, err)) != AERO_OK ||
      (st = write_csv(test_csv, &t, split, DEMO_ROWS, err)) != AERO_OK)
    return st;

  /* strip_prefix NULL: the files are named train.csv and test.csv inside
   * the artifact, wherever the scratch folder was. */
  const char *files[] = {train_csv, test_csv};
  const aero_kv metadata[] = {AERO_KV_INT("train_rows", (int64_t)split),
                              AERO_KV_INT("test_rows", DEMO_TEST_ROWS)};
  st = aero_declare_output(tracker,
                           &AERO_OUTPUT(.name = "dataset", .files = files,
                                        .file_count = AERO_COUNT(files),
                                        .artifact_type = "dataset",
                                        .metadata = metadata,
                                        .metadata_count = AERO_COUNT(metadata)),
                           err);
  if (st == AERO_OK)
    aero_logf(tracker, AERO_LOG_INFO, "wrote %zu training and %d test rows",
              split, DEMO_TEST_ROWS);
  return st;
}

/* ---- train -------------------------------------------------------------- */

/* Mini-batch gradient descent on the training rows; logs the loss after
 * every epoch (the step), and declares the fitted model as "model". */
aero_status demo_train(void *data, aero_tracker *tracker, aero_error *err) {
  const demo_settings *s = data;
  enum { BATCH = 16 };
  aero_status st;
  aero_input dataset;
  demo_table train = {0};
  size_t *order = NULL;

  /* The parent's output, resolved by the host to the version it produced
   * in this invocation (or the latest one when ingest was not selected). */
  if ((st = aero_declare_input(tracker, "dataset", &dataset, err)) != AERO_OK)
    goto done;
  const char *train_csv = input_file(&dataset, "train.csv", err);
  if (!train_csv) {
    st = AERO_E_NOT_FOUND;
    goto done;
  }
  if ((st = read_csv(train_csv, &train, err)) != AERO_OK)
    goto done;

  order = malloc(train.count * sizeof *order);
  if (!order) {
    st = aero_fail(err, AERO_E_NOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < train.count; i++)
    order[i] = i;

  demo_model m = {0, 0, 0};
  uint64_t rng = DEMO_SEED;
  double loss = mean_loss(&m, &train, s->mae);
  for (int64_t epoch = 0; epoch < s->epochs; epoch++) {
    if (s->shuffle) /* Fisher-Yates, deterministic through the seed */
      for (size_t i = train.count - 1; i > 0; i--) {
        size_t j = (size_t)(rng_next(&rng) % (i + 1));
        size_t tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
      }
    for (size_t start = 0; start < train.count; start += BATCH) {
      size_t end = start + BATCH < train.count ? start + BATCH : train.count;
      double g1 = 0, g2 = 0, gb = 0;
      for (size_t k = start; k < end; k++) {
        const demo_row *r = &train.rows[order[k]];
        double e = predict(&m, r) - r->y;
        double d = s->mae ? (e > 0) - (e < 0) : 2 * e; /* dloss/dprediction */
        g1 += d * r->x1;
        g2 += d * r->x2;
        gb += d;
      }
      double scale = s->learning_rate / (double)(end - start);
      m.w1 -= scale * g1;
      m.w2 -= scale * g2;
      m.b -= scale * gb;
    }
    loss = mean_loss(&m, &train, s->mae);
    if (!isfinite(loss)) {
      st = aero_fail(err, AERO_E_ACTION,
                     "diverged at epoch %lld: lower --learning-rate (%g)",
                     (long long)epoch, s->learning_rate);
      goto done;
    }
    if ((st = aero_log_metric(tracker, "loss", loss, epoch, err)) != AERO_OK)
      goto done;
  }

  /* %.17g round-trips doubles exactly: evaluate reads the same model, and
   * an identical fit writes identical bytes, so the same version. */
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
  fprintf(f, "w1=%.17g\nw2=%.17g\nb=%.17g\n", m.w1, m.w2, m.b);
  if (ferror(f) | fclose(f)) {
    st = aero_fail(err, AERO_E_IO, "cannot write %s", model_txt);
    goto done;
  }

  const char *files[] = {model_txt};
  const aero_kv metadata[] = {AERO_KV_DOUBLE("final_loss", loss),
                              AERO_KV_STRING("trained_on", dataset.artifact)};
  st = aero_declare_output(
      tracker,
      &AERO_OUTPUT(.name = "model", .files = files, .file_count = 1,
                   .artifact_type = "model", .metadata = metadata,
                   .metadata_count = AERO_COUNT(metadata)),
      err);
  if (st == AERO_OK)
    aero_logf(tracker, AERO_LOG_INFO, "y = %.3f*x1 %+.3f*x2 %+.3f (%s %.4f)",
              m.w1, m.w2, m.b, s->mae ? "mae" : "mse", loss);
done:
  free(order);
  free(train.rows);
  return st;
}

/* ---- evaluate ----------------------------------------------------------- */

static aero_status read_model(const char *path, demo_model *out,
                              aero_error *err) {
  demo_model m;
  FILE *f = fopen(path, "r");
  if (!f)
    return aero_fail(err, AERO_E_IO, "cannot open %s: %s", path,
                     strerror(errno));
  int n = fscanf(f, " w1=%lf w2=%lf b=%lf", &m.w1, &m.w2, &m.b);
  fclose(f);
  if (n != 3)
    return aero_fail(err, AERO_E_INVALID, "%s: not an aerodemo model", path);
  *out = m;
  return AERO_OK;
}

/* Scores the model on the test rows: logs mse, mae and r2, and declares a
 * short Markdown report as "report". */
aero_status demo_evaluate(void *data, aero_tracker *tracker, aero_error *err) {
  (void)data;
  aero_status st;
  aero_input model_in, dataset;
  demo_model m;
  demo_table test = {0};

  if ((st = aero_declare_input(tracker, "model", &model_in, err)) != AERO_OK ||
      (st = aero_declare_input(tracker, "dataset", &dataset, err)) != AERO_OK)
    goto done;
  const char *model_txt = input_file(&model_in, "model.txt", err);
  const char *test_csv =
      model_txt ? input_file(&dataset, "test.csv", err) : NULL;
  if (!test_csv) {
    st = AERO_E_NOT_FOUND;
    goto done;
  }
  if ((st = read_model(model_txt, &m, err)) != AERO_OK ||
      (st = read_csv(test_csv, &test, err)) != AERO_OK)
    goto done;

  double mean = 0, total = 0;
  for (size_t i = 0; i < test.count; i++)
    mean += test.rows[i].y / (double)test.count;
  for (size_t i = 0; i < test.count; i++)
    total += (test.rows[i].y - mean) * (test.rows[i].y - mean);
  double mse = mean_loss(&m, &test, false);
  double mae = mean_loss(&m, &test, true);
  double r2 = 1 - mse * (double)test.count / total;
  const aero_metric metrics[] = {{"test_mse", mse},
                                 {"test_rmse", sqrt(mse)},
                                 {"test_mae", mae},
                                 {"test_r2", r2}};
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
          "# aerodemo evaluation\n\n"
          "model: %s\ndata: %s (test.csv, %zu rows)\n\n"
          "| metric | value |\n|---|---|\n"
          "| mse | %.6f |\n| rmse | %.6f |\n| mae | %.6f |\n| r2 | %.6f |\n",
          model_in.artifact, dataset.artifact, test.count, mse, sqrt(mse), mae,
          r2);
  if (ferror(f) | fclose(f)) {
    st = aero_fail(err, AERO_E_IO, "cannot write %s", report_md);
    goto done;
  }
  const char *files[] = {report_md};
  st = aero_declare_output(tracker,
                           &AERO_OUTPUT(.name = "report", .files = files,
                                        .file_count = 1,
                                        .artifact_type = "report"),
                           err);
  if (st == AERO_OK)
    aero_logf(tracker, AERO_LOG_INFO, "test r2 %.4f, rmse %.4f", r2, sqrt(mse));
done:
  free(test.rows);
  return st;
}
