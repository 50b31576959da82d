#include "made.h"

#include <stdlib.h>
#include <string.h>

#include "aeu.h"
#include "console.h"
#include "exec.h"

/* One output version of a parent's run. */
typedef struct made_output {
  char entity[AEH_REF_PART_MAX];
  char project[AEH_REF_PART_MAX];
  char name[AEH_REF_PART_MAX];
  int64_t version;
} made_output;

/* One action, by its index in the graph. */
typedef struct made_action {
  int64_t run_id;       /* the run whose outputs its dependents read; 0 */
  made_output *outputs; /* their versions, once read */
  size_t output_count, output_cap;
  bool read;
} made_action;

struct aeh_made {
  aeh_store *store;
  const aero_graph *graph;
  size_t count;
  made_action actions[];
};

aeh_made *aeh_made_new(aeh_store *store, const aero_graph *graph) {
  size_t count = aeh_graph_count(graph);
  aeh_made *made = calloc(1, sizeof *made + count * sizeof made->actions[0]);
  if (made != NULL) {
    made->store = store;
    made->graph = graph;
    made->count = count;
  }
  return made;
}

void aeh_made_by(aeh_made *made, const aeh_action *a, int64_t run_id) {
  if (made == NULL || a->index >= made->count)
    return;
  made_action *m = &made->actions[a->index];
  free(m->outputs);
  *m = (made_action){.run_id = run_id};
}

int64_t aeh_made_run(const aeh_made *made, const aeh_action *a) {
  return made != NULL && a->index < made->count ? made->actions[a->index].run_id
                                                : 0;
}

static void copy_part(char *dst, const char *src) {
  size_t n = src != NULL ? strnlen(src, AEH_REF_PART_MAX - 1) : 0;
  memcpy(dst, src != NULL ? src : "", n);
  dst[n] = '\0';
}

static aero_status add_output(void *ctx, const aero_version_info *v,
                              aero_error *err) {
  made_action *m = ctx;
  made_output *grown = aeu_grow(m->outputs, &m->output_cap,
                                m->output_count + 1, sizeof *grown, 4);
  if (grown == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  m->outputs = grown;
  made_output *o = &grown[m->output_count++];
  copy_part(o->entity, v->entity);
  copy_part(o->project, v->project);
  copy_part(o->name, v->name);
  o->version = v->version;
  return AERO_OK;
}

/* Reads the output versions of parent `parent`'s run, once. Should that
 * fail, none: its dependents then resolve the latest versions, and say
 * so. */
static void read_outputs(aeh_made *made, const aeh_action *parent,
                         made_action *m) {
  m->read = true;
  const aero_backend_vtable *vt = aeh_store_backend(made->store);
  void *handle = NULL;
  aero_error err = AEH_ERROR_INIT;
  aero_version_filter f = {.struct_size = sizeof f,
                           .mode = AERO_MODE_ANY,
                           .version = -1,
                           .run_id = m->run_id};
  aero_status status = vt == NULL || vt->query_versions == NULL
                           ? aeh_error_set(&err, AERO_E_UNSUPPORTED,
                                           "the store lists no versions")
                           : aeh_store_handle(made->store, &handle, &err);
  if (status == AERO_OK)
    status = vt->query_versions(handle, &f, add_output, m, &err);
  if (status != AERO_OK) {
    char label[512];
    aeh_graph_label(parent, label, sizeof label);
    aeh_console_warn("%s: reading the versions of run %lld failed (%s): its "
                     "dependents read the latest versions",
                     label, (long long)m->run_id, err.message);
    free(m->outputs);
    m->outputs = NULL;
    m->output_count = m->output_cap = 0;
  }
}

bool aeh_made_version(void *ctx, const aeh_action *action,
                      const aeh_artifact_ref *ref, int64_t *version) {
  aeh_made *made = ctx;
  for (size_t k = 0; action->parents != NULL && k < action->parent_count;
       k++) {
    size_t i = action->parents[k];
    if (i >= made->count || made->actions[i].run_id == 0)
      continue;
    made_action *m = &made->actions[i];
    if (!m->read)
      read_outputs(made, aeh_graph_action(made->graph, i), m);
    for (size_t j = 0; j < m->output_count; j++) {
      const made_output *o = &m->outputs[j];
      if (strcmp(o->name, ref->name) == 0 &&
          strcmp(o->project, ref->project) == 0 &&
          strcmp(o->entity, ref->entity) == 0) {
        *version = o->version;
        return true;
      }
    }
  }
  return false;
}

aeh_session aeh_made_session(const aeh_session *session, aeh_made *made) {
  aeh_session here = *session;
  if (made != NULL) {
    here.made = aeh_made_version;
    here.made_ctx = made;
  }
  return here;
}

void aeh_made_free(aeh_made *made) {
  for (size_t i = 0; made != NULL && i < made->count; i++)
    free(made->actions[i].outputs);
  free(made);
}
