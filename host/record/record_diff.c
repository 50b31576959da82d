/* Two runs side by side (`aeromancy diff`, the web page's comparison):
 * from the two `show` documents, one row per fact, in sections: run,
 * config, flags, inputs and outputs (by artifact, compared by digest),
 * metrics (last values) and environment.
 *
 *   {"runs": [A, B], "all": false,
 *    "rows": [{"section": "config", "key": "learning_rate",
 *              "a": 0.01, "b": 0.05, "same": false}, ...]}
 *
 * Missing on one side is null there. Rows that are the same are left out
 * unless `all`. */
#include "record_json.h"

#include <stdio.h>
#include <string.h>

static aero_status nomem(aero_error *err) {
  return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
}

/* Adds a row; takes `a` and `b` (new references, may be NULL: null). */
static int add_row(json_t *rows, bool all, const char *section, const char *key,
                   json_t *a, json_t *b) {
  if (a == NULL)
    a = json_null();
  if (b == NULL)
    b = json_null();
  bool same = json_equal(a, b);
  if (same && !all) {
    json_decref(a);
    json_decref(b);
    return 0;
  }
  json_t *row = json_object();
  if (row == NULL || aeh_json_set(row, "section", json_string(section)) ||
      aeh_json_set(row, "key", aeh_json_text(key)) ||
      aeh_json_set(row, "a", a) || aeh_json_set(row, "b", b) ||
      aeh_json_set(row, "same", json_boolean(same))) {
    json_decref(row);
    return -1;
  }
  return json_array_append_new(rows, row);
}

/* Rows for every key of two objects (A's order, then B's own). */
static int diff_objects(json_t *rows, bool all, const char *section,
                        const json_t *a, const json_t *b) {
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)a, key, value) {
    if (add_row(rows, all, section, key, json_incref(value),
                json_incref(json_object_get(b, key))) != 0)
      return -1;
  }
  json_object_foreach((json_t *)b, key, value) {
    if (json_object_get(a, key) == NULL &&
        add_row(rows, all, section, key, NULL, json_incref(value)) != 0)
      return -1;
  }
  return 0;
}

/* {"project/name": "name:vN digest"} of a run's inputs or outputs: two
 * runs read the same input when the digests agree, whatever the numbers. */
static json_t *by_artifact(const json_t *versions) {
  json_t *o = json_object();
  size_t i;
  const json_t *v;
  json_array_foreach(versions, i, v) {
    const char *project = json_string_value(json_object_get(v, "project"));
    const char *name = json_string_value(json_object_get(v, "name"));
    const char *digest = json_string_value(json_object_get(v, "digest"));
    char key[300];
    snprintf(key, sizeof key, "%s/%s", project ? project : "",
             name ? name : "");
    if (o != NULL)
      json_object_set_new(o, key, json_string(digest ? digest : ""));
  }
  return o;
}

/* The project flags of a recorded command line: what follows " -- ". */
static json_t *flags_of(const json_t *run) {
  const char *line = json_string_value(
      json_object_get(json_object_get(run, "environment"), "command_line"));
  if (line == NULL)
    return json_null();
  const char *dashes = strstr(line, " -- ");
  return aeh_json_text(dashes != NULL ? dashes + 4 : "");
}

static json_t *last_values(const json_t *metrics) {
  json_t *o = json_object();
  const char *key;
  json_t *m;
  json_object_foreach((json_t *)metrics, key, m) {
    if (o != NULL)
      json_object_set(o, key, json_object_get(m, "last"));
  }
  return o;
}

static json_t *run_facts(const json_t *run) {
  static const char *const keys[] = {"project",   "job_type", "output_names",
                                     "mode",      "status",   "exit_code",
                                     "message",   "duration_s"};
  json_t *o = json_object();
  for (size_t i = 0; o != NULL && i < sizeof keys / sizeof *keys; i++)
    json_object_set(o, keys[i], json_object_get(run, keys[i]));
  return o;
}

aero_status aeh_record_diff_json(const aeh_record *rec, int64_t a_id,
                                 int64_t b_id, bool all, json_t **out,
                                 aero_error *err) {
  json_t *a = NULL, *b = NULL;
  aero_status status = aeh_record_run_json(rec, a_id, &a, err);
  if (status == AERO_OK)
    status = aeh_record_run_json(rec, b_id, &b, err);
  json_t *rows = json_array();
  json_t *doc = json_object();
  if (status == AERO_OK && (rows == NULL || doc == NULL))
    status = nomem(err);
  if (status == AERO_OK) {
    json_t *pairs[6][2] = {
        {run_facts(a), run_facts(b)},
        {json_incref(json_object_get(a, "config")),
         json_incref(json_object_get(b, "config"))},
        {by_artifact(json_object_get(a, "inputs")),
         by_artifact(json_object_get(b, "inputs"))},
        {by_artifact(json_object_get(a, "outputs")),
         by_artifact(json_object_get(b, "outputs"))},
        {last_values(json_object_get(a, "metrics")),
         last_values(json_object_get(b, "metrics"))},
        {json_incref(json_object_get(a, "environment")),
         json_incref(json_object_get(b, "environment"))},
    };
    static const char *const sections[] = {"run",     "config",  "inputs",
                                           "outputs", "metrics", "environment"};
    int bad = 0;
    for (size_t s = 0; s < 6; s++) {
      if (s == 2) /* flags sit between config and inputs */
        bad |= add_row(rows, all, "flags", "project flags", flags_of(a),
                       flags_of(b));
      if (pairs[s][0] == NULL || pairs[s][1] == NULL)
        bad = 1;
      else
        bad |= diff_objects(rows, all, sections[s], pairs[s][0], pairs[s][1]);
      json_decref(pairs[s][0]);
      json_decref(pairs[s][1]);
    }
    json_t *ids = json_pack("[II]", (json_int_t)a_id, (json_int_t)b_id);
    if (bad || ids == NULL || aeh_json_set(doc, "runs", ids) ||
        aeh_json_set(doc, "all", json_boolean(all)) ||
        aeh_json_set(doc, "rows", json_incref(rows)))
      status = nomem(err);
  }
  json_decref(a);
  json_decref(b);
  json_decref(rows);
  if (status != AERO_OK) {
    json_decref(doc);
    return status;
  }
  *out = doc;
  return AERO_OK;
}
