/* Lineage: from a version up through the runs that produced it and their
 * inputs, or (down) through the runs that read it and their outputs, as
 * one JSON document of the schema (docs/json-schema.md):
 *
 *   {"root": REF, "direction": "up"|"down",
 *    "versions": [VERSION...], "runs": [RUN + "inputs"/"outputs": [REF]]}
 *
 * A breadth-first walk over the query members; each run and version is
 * listed once however many paths lead to it. */
#include "record_json.h"

#include <stdio.h>
#include <string.h>

typedef struct walk {
  const aeh_record *rec;
  bool down;
  json_t *versions;    /* ref -> VERSION */
  json_t *runs;        /* id text -> RUN */
  json_t *queue;       /* array of VERSION ids still to visit */
  json_t *run_inputs;  /* during one run's query: its input refs */
  json_t *run_outputs; /* its output refs */
  json_t *consumers;   /* during one version's query: run ids */
} walk;

static aero_status nomem(aero_error *err) {
  return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
}

/* Records a version met on the way; queues it the first time. */
static aero_status meet_version(walk *w, const aero_version_info *row,
                                json_t *refs, aero_error *err) {
  aeh_version v;
  aeh_version_copy(&v, row);
  char ref[512];
  aeh_version_ref(v.entity, v.project, v.name, v.version, ref, sizeof ref);
  if (refs != NULL && aeh_json_append(refs, aeh_json_text(ref)) != 0)
    return nomem(err);
  if (json_object_get(w->versions, ref) != NULL)
    return AERO_OK;
  json_t *o = aeh_json_version(&v);
  if (o == NULL || json_object_set_new(w->versions, ref, o) != 0 ||
      json_array_append_new(w->queue, json_integer(v.id)) != 0)
    return nomem(err);
  return AERO_OK;
}

/* A version a run read (`input`) or made: the next generation when the
 * walk goes that way (up: inputs; down: outputs), else only named. */
static aero_status on_link(walk *w, const aero_version_info *v, bool input,
                           aero_error *err) {
  json_t *refs = input ? w->run_inputs : w->run_outputs;
  if (input != w->down)
    return meet_version(w, v, refs, err);
  aeh_version c;
  aeh_version_copy(&c, v);
  char ref[512];
  aeh_version_ref(c.entity, c.project, c.name, c.version, ref, sizeof ref);
  return aeh_json_append(refs, aeh_json_text(ref)) ? nomem(err) : AERO_OK;
}

static aero_status on_input(void *ctx, const aero_version_info *v,
                            aero_error *err) {
  return on_link(ctx, v, true, err);
}

static aero_status on_output(void *ctx, const aero_version_info *v,
                             aero_error *err) {
  return on_link(ctx, v, false, err);
}

static aero_status on_run(void *ctx, const aero_run_info *run,
                          aero_error *err) {
  walk *w = ctx;
  char key[32];
  snprintf(key, sizeof key, "%lld", (long long)run->id);
  json_t *o = aeh_json_run(run);
  if (o == NULL || json_object_set_new(w->runs, key, o) != 0)
    return nomem(err);
  return AERO_OK;
}

/* Visits run `id` once: its row, inputs and outputs. */
static aero_status visit_run(walk *w, int64_t id, aero_error *err) {
  char key[32];
  snprintf(key, sizeof key, "%lld", (long long)id);
  if (json_object_get(w->runs, key) != NULL)
    return AERO_OK;
  w->run_inputs = json_array();
  w->run_outputs = json_array();
  if (w->run_inputs == NULL || w->run_outputs == NULL)
    return nomem(err);
  aero_run_sink sink = {.struct_size = sizeof sink,
                        .run = on_run,
                        .input = on_input,
                        .output = on_output};
  aero_status status = w->rec->vt->query_run(w->rec->handle, id, &sink, w, err);
  if (status == AERO_E_NOT_FOUND) {
    /* A version whose producer was removed (gc of old dev runs): the walk
     * stops there instead of failing. */
    aeh_error_clear(err);
    status = AERO_OK;
  }
  json_t *run = json_object_get(w->runs, key);
  if (status == AERO_OK && run != NULL &&
      (json_object_set(run, "inputs", w->run_inputs) != 0 ||
       json_object_set(run, "outputs", w->run_outputs) != 0))
    status = nomem(err);
  json_decref(w->run_inputs);
  json_decref(w->run_outputs);
  w->run_inputs = w->run_outputs = NULL;
  return status;
}

static aero_status on_consumer(void *ctx, const aero_run_info *run,
                               aero_error *err) {
  return json_array_append_new(((walk *)ctx)->consumers, json_integer(run->id))
             ? nomem(err)
             : AERO_OK;
}

static aero_status root_version(void *ctx, const aero_version_info *v,
                                aero_error *err) {
  return meet_version(ctx, v, NULL, err);
}

aero_status aeh_record_lineage_json(const aeh_record *rec,
                                    const aeh_version *root, bool down,
                                    json_t **out, aero_error *err) {
  aero_status status = AEH_RECORD_NEED(rec, query_run, err);
  if (status == AERO_OK)
    status = AEH_RECORD_NEED(rec, query_runs, err);
  if (status == AERO_OK)
    status = AEH_RECORD_NEED(rec, query_versions, err);
  if (status != AERO_OK)
    return status;
  walk w = {.rec = rec,
            .down = down,
            .versions = json_object(),
            .runs = json_object(),
            .queue = json_array()};
  if (w.versions == NULL || w.runs == NULL || w.queue == NULL)
    status = nomem(err);
  aero_version_filter f = {
      .struct_size = sizeof f, .version = -1, .version_id = root->id};
  if (status == AERO_OK)
    status = rec->vt->query_versions(rec->handle, &f, root_version, &w, err);
  for (size_t next = 0; status == AERO_OK && next < json_array_size(w.queue);
       next++) {
    int64_t vid = json_integer_value(json_array_get(w.queue, next));
    if (!down) {
      /* The producer: the run_id of that version's row. */
      const char *ref;
      json_t *v, *found = NULL;
      json_object_foreach(w.versions, ref, v) {
        if (json_integer_value(json_object_get(v, "id")) == vid)
          found = v;
      }
      if (found != NULL)
        status = visit_run(
            &w, json_integer_value(json_object_get(found, "run_id")), err);
      continue;
    }
    w.consumers = json_array();
    if (w.consumers == NULL) {
      status = nomem(err);
      break;
    }
    aero_run_filter rf = {.struct_size = sizeof rf,
                          .input_version_id = vid,
                          .oldest_first = true};
    status = rec->vt->query_runs(rec->handle, &rf, on_consumer, &w, err);
    size_t i;
    json_t *id;
    json_array_foreach(w.consumers, i, id) {
      if (status != AERO_OK)
        break;
      status = visit_run(&w, json_integer_value(id), err);
    }
    json_decref(w.consumers);
    w.consumers = NULL;
  }
  json_t *doc = NULL;
  if (status == AERO_OK) {
    char ref[512];
    aeh_version_ref(root->entity, root->project, root->name, root->version, ref,
                    sizeof ref);
    json_t *versions = json_array(), *runs = json_array();
    doc = json_object();
    const char *key;
    json_t *value;
    json_object_foreach(w.versions, key, value) {
      json_array_append(versions, value);
    }
    json_object_foreach(w.runs, key, value) {
      json_array_append(runs, value);
    }
    if (doc == NULL || versions == NULL || runs == NULL ||
        aeh_json_set(doc, "root", aeh_json_text(ref)) ||
        aeh_json_set(doc, "direction", json_string(down ? "down" : "up")) ||
        aeh_json_set(doc, "versions", versions) ||
        aeh_json_set(doc, "runs", runs)) {
      json_decref(doc);
      doc = NULL;
      status = nomem(err);
    }
  }
  json_decref(w.versions);
  json_decref(w.runs);
  json_decref(w.queue);
  if (status != AERO_OK)
    return status;
  *out = doc;
  return AERO_OK;
}
