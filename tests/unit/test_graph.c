/* The action graph: copying on add, every validation error, the
 * deterministic order, --only, and the list / JSON / DOT / tree renderings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "graph.h"
#include "names.h"

static int destroyed;

static void count_destroy(void *data) {
  (void)data;
  destroyed++;
}

static aero_status noop_run(void *data, aero_tracker *tracker,
                            aero_error *err) {
  (void)data;
  (void)tracker;
  (void)err;
  return AERO_OK;
}

/* Splits a comma list into `out` (at most 8 parts, pointing into `buf`). */
static size_t split(const char *csv, char *buf, size_t size, const char **out) {
  size_t n = 0;
  if (csv == NULL || csv[0] == '\0')
    return 0;
  snprintf(buf, size, "%s", csv);
  char *save = NULL;
  for (char *t = strtok_r(buf, ",", &save); t != NULL && n < 8;
       t = strtok_r(NULL, ",", &save))
    out[n++] = t;
  return n;
}

/* Adds an action with comma-separated outputs and parents. */
static aero_status add(aero_graph *g, const char *type, const char *outs,
                       const char *parents, aero_error *err) {
  char ob[256], pb[256];
  const char *o[8], *p[8];
  size_t no = split(outs, ob, sizeof ob, o);
  size_t np = split(parents, pb, sizeof pb, p);
  aero_action_desc d =
      AERO_ACTION(.job_type = type, .outputs = o, .output_count = no,
                  .parents = p, .parent_count = np, .run = noop_run,
                  .destroy = count_destroy);
  return aeh_graph_add(g, &d, err);
}

static void add_ok(aero_graph *g, const char *type, const char *outs,
                   const char *parents) {
  aero_error err = AEH_ERROR_INIT;
  aero_status st = add(g, type, outs, parents, &err);
  if (st != AERO_OK)
    fail_msg("adding [%s] %s: %s", type, outs, err.message);
}

/* Renders with `fn` into a string the caller frees. */
static char *render(void (*fn)(const aero_graph *, FILE *),
                    const aero_graph *g) {
  char *text = NULL;
  size_t size = 0;
  FILE *mem = open_memstream(&text, &size);
  assert_non_null(mem);
  fn(g, mem);
  fclose(mem);
  return text;
}

static void write_list_text(const aero_graph *g, FILE *out) {
  aeh_graph_write_list(g, out, false);
}

static char *order_text(const aero_graph *g) {
  return render(write_list_text, g);
}

/* ------------------------------------------------------------- adding */

static void add_copies_every_string(void **state) {
  (void)state;
  aero_graph *g = aeh_graph_new("demo");
  char type[] = "train", group[] = "exp1", out[] = "model", par[] = "data";
  char key[] = "lr", sval[] = "adam";
  const char *outs[] = {out};
  const char *pars[] = {par};
  aero_kv config[] = {AERO_KV_DOUBLE(key, 0.5), AERO_KV_STRING("opt", sval)};
  int data = 7;
  aero_action_desc d =
      AERO_ACTION(.job_type = type, .job_group = group, .outputs = outs,
                  .output_count = 1, .parents = pars, .parent_count = 1,
                  .config = config, .config_count = 2, .run = noop_run,
                  .data = &data, .destroy = count_destroy);
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_graph_add(g, &d, &err), AERO_OK);
  /* The plugin's buffers change after the call; the graph must not. */
  memset(type, 'x', sizeof type - 1);
  memset(group, 'x', sizeof group - 1);
  memset(out, 'x', sizeof out - 1);
  memset(par, 'x', sizeof par - 1);
  memset(key, 'x', sizeof key - 1);
  memset(sval, 'x', sizeof sval - 1);
  aeh_action *a = aeh_graph_at(g, 0);
  assert_string_equal(a->job_type, "train");
  assert_string_equal(a->job_group, "exp1");
  assert_int_equal(a->output_count, 1);
  assert_string_equal(a->outputs[0], "model");
  assert_string_equal(a->parent_names[0], "data");
  assert_string_equal(a->config[0].key, "lr");
  assert_true(a->config[0].value.as.d == 0.5);
  assert_string_equal(a->config[1].value.as.s, "adam");
  assert_ptr_equal(a->data, &data);
  assert_true(a->selected);
  destroyed = 0;
  aeh_graph_free(g);
  assert_int_equal(destroyed, 1);
}

/* Expects `d` to be rejected with a message containing `want`, and its
 * data destroyed. */
static void expect_reject(const aero_action_desc *d, const char *want) {
  aero_graph *g = aeh_graph_new("demo");
  aero_error err = AEH_ERROR_INIT;
  destroyed = 0;
  aero_status st = aeh_graph_add(g, d, &err);
  assert_int_not_equal(st, AERO_OK);
  assert_int_equal(destroyed, 1);
  if (strstr(err.message, want) == NULL)
    fail_msg("expected '%s' in: %s", want, err.message);
  assert_null(strchr(err.message, '\n'));
  assert_int_equal(aeh_graph_count(g), 0);
  aeh_graph_free(g);
  assert_int_equal(destroyed, 1); /* not twice */
}

static void add_rejects_bad_descriptions(void **state) {
  (void)state;
  const char *model[] = {"model"};
  aero_action_desc ok =
      AERO_ACTION(.job_type = "train", .outputs = model, .output_count = 1,
                  .run = noop_run, .destroy = count_destroy);
  aero_action_desc d = ok;
  d.struct_size = 0;
  expect_reject(&d, "struct_size is 0");

  d = ok;
  d.run = NULL;
  expect_reject(&d, "action #1 [train] model: no run callback");

  d = ok;
  d.output_count = 0;
  expect_reject(&d, "[train] (no output): declares no outputs");

  d = ok;
  d.job_type = "tr ain";
  expect_reject(&d, "invalid job type \"tr ain\"");

  d = ok;
  d.job_type = "a/b";
  expect_reject(&d, "invalid job type \"a/b\"");

  const char *bad_outputs[][1] = {{"a b"}, {".."}, {"a/b/c"}, {""}, {"x/../y"}};
  for (size_t i = 0; i < AERO_COUNT(bad_outputs); i++) {
    d = ok;
    d.outputs = bad_outputs[i];
    char want[64];
    snprintf(want, sizeof want, "invalid output name \"%s\"",
             bad_outputs[i][0]);
    expect_reject(&d, want);
  }

  const char *newline[] = {"evil\nname"};
  d = ok;
  d.outputs = newline;
  expect_reject(&d, "invalid output name \"evil?name\"");

  const char *foreign[] = {"other/model"};
  d = ok;
  d.outputs = foreign;
  expect_reject(&d, "output \"other/model\" names another project");

  const char *bad_parent[] = {"da ta"};
  d = ok;
  d.parents = bad_parent;
  d.parent_count = 1;
  expect_reject(&d, "invalid parent name \"da ta\"");

  /* One name rule, length included: what the graph accepts, the tracker
   * accepts when the action declares it. */
  char long_name[AEH_NAME_MAX + 2], demo_long[AEH_NAME_MAX + 8];
  memset(long_name, 'x', AEH_NAME_MAX + 1);
  long_name[AEH_NAME_MAX + 1] = '\0';
  snprintf(demo_long, sizeof demo_long, "demo/%s", long_name);
  const char *too_long[][1] = {{long_name}, {demo_long}};
  for (size_t i = 0; i < AERO_COUNT(too_long); i++) {
    d = ok;
    d.outputs = too_long[i];
    expect_reject(&d, "is longer than 127 characters");
  }
  d = ok;
  d.job_type = long_name;
  expect_reject(&d, "is longer than 127 characters");
  d = ok;
  d.parents = too_long[0];
  d.parent_count = 1;
  expect_reject(&d, "invalid parent name");

  {
    char longest[AEH_NAME_MAX + 1];
    memset(longest, 'y', AEH_NAME_MAX);
    longest[AEH_NAME_MAX] = '\0';
    const char *fits[] = {longest};
    d = ok;
    d.outputs = fits;
    aero_graph *g = aeh_graph_new("demo");
    aero_error err = AEH_ERROR_INIT;
    assert_int_equal(aeh_graph_add(g, &d, &err), AERO_OK);
    aeh_graph_free(g);
  }

  aero_kv no_key[] = {AERO_KV_INT(NULL, 1)};
  d = ok;
  d.config = no_key;
  d.config_count = 1;
  expect_reject(&d, "config entry 1 has no key");

  /* A store keeps no NaN (it read back as 0): refused as a flag's is. */
  aero_kv not_finite[] = {AERO_KV_DOUBLE("lr", 0.1),
                          AERO_KV_DOUBLE("beta", 1.0 / 0.0)};
  d = ok;
  d.config = not_finite;
  d.config_count = 2;
  expect_reject(&d, "config \"beta\" is inf, not a finite number");
}

static void add_rejects_short_struct_without_reading_it(void **state) {
  (void)state;
  aero_graph *g = aeh_graph_new("demo");
  const char *model[] = {"model"};
  aero_action_desc d =
      AERO_ACTION(.job_type = "train", .outputs = model, .output_count = 1,
                  .run = noop_run, .destroy = count_destroy);
  d.struct_size = 16;
  aero_error err = AEH_ERROR_INIT;
  destroyed = 0;
  assert_int_equal(aeh_graph_add(g, &d, &err), AERO_E_ABI);
  assert_non_null(strstr(err.message, "struct_size 16 is smaller"));
  /* Nothing past the declared size is trusted, destroy included. */
  assert_int_equal(destroyed, 0);
  aeh_graph_free(g);
}

/* ABI 1.4's resources are copied; a 1.3 description (shorter) reads as
 * none, whatever lies past its end. */
static void resources_copied_and_absent_before_1_4(void **state) {
  (void)state;
  aero_graph *g = aeh_graph_new("demo");
  const char *model[] = {"model"};
  char part[] = "gpu";
  aero_action_desc d =
      AERO_ACTION(.job_type = "train", .outputs = model, .output_count = 1,
                  .run = noop_run, .cpus = 3, .gpus = 1, .time_limit_s = 90,
                  .memory_mb = 512, .partition = part);
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_graph_add(g, &d, &err), AERO_OK);
  part[0] = 'x';
  aeh_action *a = aeh_graph_at(g, 0);
  assert_int_equal(a->cpus, 3);
  assert_int_equal(a->gpus, 1);
  assert_int_equal(a->time_limit_s, 90);
  assert_int_equal(a->memory_mb, 512);
  assert_string_equal(a->partition, "gpu");

  const char *other[] = {"other"};
  d.outputs = other;
  d.struct_size = offsetof(aero_action_desc, cpus);
  d.partition = (const char *)1; /* past the end: never read */
  assert_int_equal(aeh_graph_add(g, &d, &err), AERO_OK);
  a = aeh_graph_at(g, 1);
  assert_int_equal(a->cpus + a->gpus + a->time_limit_s, 0);
  assert_int_equal(a->memory_mb, 0);
  assert_null(a->partition);
  aeh_graph_free(g);

  d = AERO_ACTION(.job_type = "train", .outputs = model, .output_count = 1,
                  .run = noop_run, .destroy = count_destroy,
                  .partition = "no room");
  expect_reject(&d, "action #1 [train] model: invalid partition \"no room\"");
}

static void project_qualified_outputs_are_local(void **state) {
  (void)state;
  aero_graph *g = aeh_graph_new("demo");
  add_ok(g, "ingest", "demo/data", NULL);
  add_ok(g, "train", "model", "demo/data");
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_graph_validate(g, &err), AERO_OK);
  aeh_action *train = aeh_graph_at(g, 1);
  assert_int_equal(train->parents[0], 0);
  assert_ptr_equal(aeh_graph_action(g, train->parents[0]), aeh_graph_at(g, 0));
  aeh_graph_free(g);
}

/* ----------------------------------------------------------- validating */

static void expect_invalid(aero_graph *g, const char *want) {
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_graph_validate(g, &err), AERO_E_GRAPH);
  assert_string_equal(err.message, want);
  aeh_graph_free(g);
}

static void duplicate_output_names_both_actions(void **state) {
  (void)state;
  aero_graph *g = aeh_graph_new("demo");
  add_ok(g, "train", "model", NULL);
  add_ok(g, "retrain", "other,demo/model", NULL);
  expect_invalid(g, "duplicate output 'model': declared by [train] model and "
                    "by [retrain] other");
  g = aeh_graph_new("demo");
  add_ok(g, "train", "model,model", NULL);
  expect_invalid(g, "action [train] model declares output 'model' twice");
}

static void unknown_parent_names_action_and_parent(void **state) {
  (void)state;
  aero_graph *g = aeh_graph_new("demo");
  add_ok(g, "train", "model", NULL);
  add_ok(g, "evaluate", "report", "modle");
  expect_invalid(g, "action [evaluate] report: unknown parent 'modle': no "
                    "action outputs it");
}

static void foreign_parent_is_not_of_this_graph(void **state) {
  (void)state;
  aero_graph *g = aeh_graph_new("demo");
  add_ok(g, "train", "model", NULL);
  add_ok(g, "evaluate", "report", "other/model");
  expect_invalid(g, "action [evaluate] report: parent 'other/model' is not "
                    "an action of this graph (project 'demo'); read another "
                    "project's artifact with declare_input");
}

static void cycle_is_printed_in_data_flow_order(void **state) {
  (void)state;
  aero_graph *g = aeh_graph_new("demo");
  add_ok(g, "ingest", "data", NULL);
  add_ok(g, "train", "model", "data,report");
  add_ok(g, "evaluate", "report", "model");
  add_ok(g, "publish", "site", "report");
  expect_invalid(g, "cycle: [train] model -> [evaluate] report -> [train] "
                    "model");

  g = aeh_graph_new("demo");
  add_ok(g, "loop", "self", "self");
  expect_invalid(g, "cycle: [loop] self -> [loop] self");

  /* A longer loop reached from outside it starts at its earliest action. */
  g = aeh_graph_new("demo");
  add_ok(g, "d", "d", "c");
  add_ok(g, "b", "b", "a");
  add_ok(g, "c", "c", "b");
  add_ok(g, "a", "a", "c");
  expect_invalid(g, "cycle: [b] b -> [c] c -> [a] a -> [b] b");
}

static void order_is_topological_with_ties_in_insertion_order(void **state) {
  (void)state;
  aero_graph *g = aeh_graph_new("demo");
  add_ok(g, "evaluate", "report", "model,baseline");
  add_ok(g, "train", "model", "data");
  add_ok(g, "ingest", "data", NULL);
  add_ok(g, "baseline", "baseline", "data");
  add_ok(g, "notes", "notes", NULL);
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_graph_validate(g, &err), AERO_OK);
  char *text = order_text(g);
  /* Ready at first: ingest (2) and notes (4): ingest. Then train (1),
   * baseline (3), notes (4) are ready: train, so evaluate (0) is not yet;
   * baseline, then evaluate (0) beats notes (4). */
  assert_string_equal(text, "[ingest] data\n[train] model\n[baseline] "
                            "baseline\n[evaluate] report\n[notes] notes\n");
  free(text);
  /* Validating again gives the same order. */
  assert_int_equal(aeh_graph_validate(g, &err), AERO_OK);
  text = order_text(g);
  assert_string_equal(text, "[ingest] data\n[train] model\n[baseline] "
                            "baseline\n[evaluate] report\n[notes] notes\n");
  free(text);
  aeh_graph_free(g);
}

static void large_graph_validates_and_lists(void **state) {
  (void)state;
  enum { N = 100000 };
  aero_graph *g = aeh_graph_new("big");
  /* Added children first, so that the order really has to be computed:
   * action k outputs "o<N-1-k>"; o<i> reads o<i-1> except every tenth. */
  for (size_t k = 0; k < N; k++) {
    size_t i = N - 1 - k;
    char out[32], par[32];
    snprintf(out, sizeof out, "o%zu", i);
    snprintf(par, sizeof par, "o%zu", i - 1);
    add_ok(g, "step", out, i % 10 != 0 ? par : NULL);
  }
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_graph_validate(g, &err), AERO_OK);
  assert_int_equal(aeh_graph_count(g), N);
  size_t *pos = calloc(N, sizeof *pos);
  for (size_t p = 0; p < N; p++)
    pos[aeh_graph_at(g, p)->index] = p;
  for (size_t p = 0; p < N; p++) {
    aeh_action *a = aeh_graph_at(g, p);
    for (size_t k = 0; k < a->parent_count; k++)
      assert_true(pos[a->parents[k]] < p);
  }
  /* The root added last (o0) heads a chain; roots are taken in insertion
   * order, so o90 (added before o80) leads the order. */
  assert_string_equal(aeh_graph_at(g, 0)->outputs[0], "o99990");
  free(pos);
  char *text = order_text(g);
  size_t lines = 0;
  for (char *c = text; *c != '\0'; c++)
    lines += *c == '\n';
  assert_int_equal(lines, N);
  free(text);
  aeh_graph_free(g);
}

/* ------------------------------------------------------------ selecting */

static aero_graph *demo_graph(void) {
  aero_graph *g = aeh_graph_new("demo");
  add_ok(g, "ingest", "data", NULL);
  add_ok(g, "train", "model,model_card", "data");
  add_ok(g, "evaluate", "report", "model");
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_graph_validate(g, &err), AERO_OK);
  return g;
}

static void only_matches_job_type_and_each_output(void **state) {
  (void)state;
  aero_graph *g = demo_graph();
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_graph_select(g, "card", &err), AERO_OK);
  assert_false(aeh_graph_at(g, 0)->selected);
  assert_true(aeh_graph_at(g, 1)->selected);
  assert_false(aeh_graph_at(g, 2)->selected);
  /* "type output" text: "in data" spans the space. */
  assert_int_equal(aeh_graph_select(g, " evaluate , ingest data", &err),
                   AERO_OK);
  assert_true(aeh_graph_at(g, 0)->selected);
  assert_false(aeh_graph_at(g, 1)->selected);
  assert_true(aeh_graph_at(g, 2)->selected);
  assert_int_equal(aeh_graph_select(g, "train", &err), AERO_OK);
  assert_int_equal(aeh_graph_select(g, NULL, &err), AERO_OK);
  assert_true(aeh_graph_at(g, 0)->selected);
  aeh_graph_free(g);
}

static void only_substring_matching_nothing_is_an_error(void **state) {
  (void)state;
  aero_graph *g = demo_graph();
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_graph_select(g, "train,nope", &err), AERO_E_INVALID);
  assert_string_equal(err.message,
                      "--only 'nope' matches no action; actions: [ingest] "
                      "data, [train] model, [evaluate] report");
  /* A failed selection changes nothing. */
  for (size_t i = 0; i < 3; i++)
    assert_true(aeh_graph_at(g, i)->selected);
  aeh_graph_free(g);
}

static void only_without_any_substring_is_an_error(void **state) {
  (void)state;
  aero_graph *g = demo_graph();
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_graph_select(g, "train", &err), AERO_OK);
  static const char *const blank[] = {",", "", " , ,\t", ",,"};
  for (size_t k = 0; k < sizeof blank / sizeof blank[0]; k++) {
    err.code = AERO_OK;
    assert_int_equal(aeh_graph_select(g, blank[k], &err), AERO_E_INVALID);
    assert_non_null(strstr(err.message, "names no action"));
    /* The earlier selection stands. */
    assert_false(aeh_graph_at(g, 0)->selected);
    assert_true(aeh_graph_at(g, 1)->selected);
  }
  aeh_graph_free(g);
}

/* ------------------------------------------------------------ rendering */

static void list_json_is_valid_and_complete(void **state) {
  (void)state;
  aero_graph *g = aeh_graph_new("demo");
  const char *data[] = {"data"};
  const char *model[] = {"model", "card"};
  aero_kv config[] = {AERO_KV_STRING("note", "say \"hi\"\t\\ok"),
                      AERO_KV_INT("epochs", 3), AERO_KV_BOOL("fast", true),
                      AERO_KV_DOUBLE("lr", 0.25)};
  aero_action_desc a = AERO_ACTION(.job_type = "ingest", .outputs = data,
                                   .output_count = 1, .run = noop_run);
  aero_action_desc b =
      AERO_ACTION(.job_type = "train", .job_group = "g \"1\"\n\\",
                  .outputs = model, .output_count = 2, .parents = data,
                  .parent_count = 1, .config = config, .config_count = 4,
                  .run = noop_run);
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_graph_add(g, &a, &err), AERO_OK);
  assert_int_equal(aeh_graph_add(g, &b, &err), AERO_OK);
  assert_int_equal(aeh_graph_validate(g, &err), AERO_OK);
  assert_int_equal(aeh_graph_select(g, "train", &err), AERO_OK);

  char path[] = "/tmp/test_graph_json.XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *out = fdopen(fd, "w");
  aeh_graph_write_list(g, out, true);
  fclose(out);
  /* A real JSON parser reads it back. */
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "python3 -c 'import json,sys\n"
           "for a in json.load(open(sys.argv[1])):\n"
           "  print(a[\"job_type\"], repr(a[\"job_group\"]), a[\"outputs\"], "
           "a[\"parents\"], sorted(a[\"config\"].items()), a[\"selected\"])' "
           "%s",
           path);
  FILE *py = popen(cmd, "r");
  assert_non_null(py);
  char got[1024] = {0};
  size_t n = fread(got, 1, sizeof got - 1, py);
  got[n] = '\0';
  assert_int_equal(pclose(py), 0);
  unlink(path);
  assert_string_equal(
      got, "ingest None ['data'] [] [] False\n"
           "train 'g \"1\"\\n\\\\' ['model', 'card'] ['data'] [('epochs', 3), "
           "('fast', True), ('lr', 0.25), ('note', 'say \"hi\"\\t\\\\ok')] "
           "True\n");
  aeh_graph_free(g);
}

/* A small DOT reader: enough of the grammar for what we write (a digraph of
 * node and edge statements with attribute lists). Returns the number of
 * edges, or -1 on a syntax error. */
typedef struct dot_lexer {
  const char *p;
  char token[512];
} dot_lexer;

static int dot_next(dot_lexer *lx) {
  while (*lx->p == ' ' || *lx->p == '\n' || *lx->p == '\t')
    lx->p++;
  size_t n = 0;
  if (*lx->p == '\0')
    return 0;
  if (*lx->p == '"') {
    lx->p++;
    while (*lx->p != '"') {
      if (*lx->p == '\0' || *lx->p == '\n')
        return -1; /* unterminated, or a raw newline */
      if (*lx->p == '\\' && lx->p[1] != '\0')
        lx->token[n++] = *lx->p++;
      lx->token[n++] = *lx->p++;
    }
    lx->p++;
    lx->token[n] = '\0';
    return 'S';
  }
  if (lx->p[0] == '-' && lx->p[1] == '>') {
    lx->p += 2;
    return 'E';
  }
  if (strchr("{}[];=,", *lx->p) != NULL)
    return *lx->p++;
  while ((*lx->p >= 'a' && *lx->p <= 'z') || (*lx->p >= 'A' && *lx->p <= 'Z') ||
         (*lx->p >= '0' && *lx->p <= '9') || *lx->p == '_' || *lx->p == '.')
    lx->token[n++] = *lx->p++;
  lx->token[n] = '\0';
  return n > 0 ? 'I' : -1;
}

static int dot_edges(const char *text) {
  dot_lexer lx = {text, {0}};
  if (dot_next(&lx) != 'I' || strcmp(lx.token, "digraph") != 0)
    return -1;
  int t = dot_next(&lx);
  if (t == 'I' || t == 'S')
    t = dot_next(&lx);
  if (t != '{')
    return -1;
  int edges = 0;
  for (;;) {
    t = dot_next(&lx);
    if (t == '}')
      return dot_next(&lx) == 0 ? edges : -1;
    if (t != 'I' && t != 'S')
      return -1;
    t = dot_next(&lx);
    while (t == 'E') {
      if (dot_next(&lx) != 'I')
        return -1;
      edges++;
      t = dot_next(&lx);
    }
    if (t == '=') { /* graph attribute: rankdir=LR */
      t = dot_next(&lx);
      if (t != 'I' && t != 'S')
        return -1;
      t = dot_next(&lx);
    }
    if (t == '[') {
      for (;;) {
        if (dot_next(&lx) != 'I' || dot_next(&lx) != '=')
          return -1;
        t = dot_next(&lx);
        if (t != 'I' && t != 'S')
          return -1;
        t = dot_next(&lx);
        if (t == ']')
          break;
        if (t != ',')
          return -1;
      }
      t = dot_next(&lx);
    }
    if (t != ';')
      return -1;
  }
}

static void dot_is_valid_and_escaped(void **state) {
  (void)state;
  aero_graph *g = aeh_graph_new("we\"ird\\proj");
  add_ok(g, "ingest", "data", NULL);
  add_ok(g, "train", "model,card", "data");
  add_ok(g, "evaluate", "report", "model,card");
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_graph_validate(g, &err), AERO_OK);
  assert_int_equal(aeh_graph_select(g, "evaluate", &err), AERO_OK);
  char *text = render(aeh_graph_write_dot, g);
  assert_int_equal(dot_edges(text), 3);
  assert_non_null(strstr(text, "digraph \"we\\\"ird\\\\proj\" {"));
  assert_non_null(strstr(text, "a1 [label=\"[train]\\nmodel\\ncard\", "
                               "style=dashed"));
  assert_non_null(strstr(text, "a0 -> a1;"));
  assert_non_null(strstr(text, "a1 -> a2;"));
  /* The checker itself rejects a broken file. */
  assert_int_equal(dot_edges("digraph \"x {\n a0 -> a1;\n}\n"), -1);
  free(text);
  aeh_graph_free(g);
}

static void text_tree_shows_shared_children_once(void **state) {
  (void)state;
  aero_graph *g = aeh_graph_new("demo");
  add_ok(g, "ingest", "data", NULL);
  add_ok(g, "train", "model", "data");
  add_ok(g, "baseline", "base", "data");
  add_ok(g, "evaluate", "report", "model,base");
  add_ok(g, "notes", "notes", NULL);
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_graph_validate(g, &err), AERO_OK);
  char *text = render(aeh_graph_write_text, g);
  assert_string_equal(text, "[ingest] data\n"
                            "├── [train] model\n"
                            "│   └── [evaluate] report\n"
                            "└── [baseline] base\n"
                            "    └── [evaluate] report (see above)\n"
                            "[notes] notes\n");
  free(text);
  aeh_graph_free(g);
}

static void text_tree_lists_children_in_run_order(void **state) {
  (void)state;
  aero_graph *g = aeh_graph_new("demo");
  /* Inserted before its sibling z, x runs after it: x waits for y. */
  add_ok(g, "prep", "p", NULL);
  add_ok(g, "join", "x", "p,y");
  add_ok(g, "zed", "z", "p");
  add_ok(g, "why", "y", NULL);
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_graph_validate(g, &err), AERO_OK);
  char *text = render(aeh_graph_write_text, g);
  assert_string_equal(text, "[prep] p\n"
                            "├── [zed] z\n"
                            "└── [join] x\n"
                            "[why] y\n"
                            "└── [join] x (see above)\n");
  free(text);
  aeh_graph_free(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(text_tree_lists_children_in_run_order),
      cmocka_unit_test(add_copies_every_string),
      cmocka_unit_test(add_rejects_bad_descriptions),
      cmocka_unit_test(add_rejects_short_struct_without_reading_it),
      cmocka_unit_test(resources_copied_and_absent_before_1_4),
      cmocka_unit_test(project_qualified_outputs_are_local),
      cmocka_unit_test(duplicate_output_names_both_actions),
      cmocka_unit_test(unknown_parent_names_action_and_parent),
      cmocka_unit_test(foreign_parent_is_not_of_this_graph),
      cmocka_unit_test(cycle_is_printed_in_data_flow_order),
      cmocka_unit_test(order_is_topological_with_ties_in_insertion_order),
      cmocka_unit_test(large_graph_validates_and_lists),
      cmocka_unit_test(only_matches_job_type_and_each_output),
      cmocka_unit_test(only_substring_matching_nothing_is_an_error),
      cmocka_unit_test(only_without_any_substring_is_an_error),
      cmocka_unit_test(list_json_is_valid_and_complete),
      cmocka_unit_test(dot_is_valid_and_escaped),
      cmocka_unit_test(text_tree_shows_shared_children_once),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
