#include "override_reads.h"

#include <stdlib.h>
#include <string.h>

#include "artifact_ref.h"
#include "names.h"

/* Adds `name` to `names` unless it is there already. */
static void add_unique(const char **names, size_t *count, const char *name) {
  for (size_t i = 0; i < *count; i++)
    if (strcmp(names[i], name) == 0)
      return;
  names[(*count)++] = name;
}

/* The local names of every output of every parent of a selected action, in
 * run order; *out is malloc'd (NULL when there are none). */
static aero_status names_read(const aero_graph *graph, const char ***out,
                              size_t *count, aero_error *err) {
  size_t cap = 0, n = aeh_graph_count(graph);
  for (size_t i = 0; i < n; i++) {
    const aeh_action *a = aeh_graph_at(graph, i);
    for (size_t k = 0; a->selected && k < a->parent_count; k++)
      cap += aeh_graph_action(graph, a->parents[k])->output_count;
  }
  *out = NULL;
  *count = 0;
  if (cap == 0)
    return AERO_OK;
  const char **names = malloc(cap * sizeof *names);
  if (names == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    const aeh_action *a = aeh_graph_at(graph, i);
    for (size_t k = 0; a->selected && k < a->parent_count; k++) {
      const aeh_action *p = aeh_graph_action(graph, a->parents[k]);
      for (size_t j = 0; j < p->output_count; j++) {
        /* Outputs are "name" or "this_project/name" (validated). */
        const char *slash = strchr(p->outputs[j], '/');
        add_unique(names, count, slash != NULL ? slash + 1 : p->outputs[j]);
      }
    }
  }
  *out = names;
  return AERO_OK;
}

aero_status aeh_overrides_check_reads(const aeh_session *session,
                                      const aero_graph *graph,
                                      aero_error *err) {
  if (session->override_count == 0)
    return AERO_OK;
  const char **names;
  size_t count;
  aero_status status = names_read(graph, &names, &count, err);
  if (status != AERO_OK)
    return status;
  const char *entity = session->entity != NULL ? session->entity : "";
  for (size_t i = 0; i < session->override_count && status == AERO_OK; i++) {
    aeh_artifact_ref ref;
    if (aeh_artifact_ref_parse(session->overrides[i], &ref, NULL) != AERO_OK)
      continue; /* aeh_session_check_overrides reports it */
    aeh_artifact_ref_default(&ref, entity, session->project);
    if (strcmp(ref.project, session->project) != 0 ||
        strcmp(ref.entity, entity) != 0)
      continue; /* another project's artifact: not in the graph */
    bool read = false;
    for (size_t k = 0; k < count && !read; k++)
      read = strcmp(names[k], ref.name) == 0;
    if (read)
      continue;
    char quoted[AEH_QUOTE_MAX + 8];
    aeh_quote(session->overrides[i], quoted, sizeof quoted);
    const char *near = aeh_suggest(ref.name, names, count);
    if (near != NULL)
      status = aeh_error_set(err, AERO_E_INVALID,
                             "--artifact-override '%s': no selected action "
                             "reads '%s' (did you mean %s?)",
                             quoted, ref.name, near);
    else if (count == 0)
      status = aeh_error_set(err, AERO_E_INVALID,
                             "--artifact-override '%s': no selected action "
                             "reads an artifact of this project, so it pins "
                             "nothing",
                             quoted);
    else
      status = aeh_error_set(
          err, AERO_E_INVALID,
          "--artifact-override '%s': no selected action reads '%s' "
          "(they read: %s%s%s%s)",
          quoted, ref.name, names[0], count > 1 ? ", " : "",
          count > 1 ? names[1] : "", count > 2 ? ", ..." : "");
  }
  free(names);
  return status;
}
