/* The action graph: adding actions (every string copied), validating the
 * whole graph, the deterministic run order, and --only selection. Rendering
 * lives in graph_render.c. */
#include "graph.h"
#include "aeu.h"
#include "graph_private.h"
#include "minheap.h"
#include "names.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- names */

/* Why `name` is not a valid job type (allow_project false) or output /
 * parent name ("name" or "project/name"), or NULL when it is valid. Each
 * part follows the rule every artifact name follows (names.h), length
 * included, so that a name the graph accepts never fails when the action
 * declares it. The text is static or written into `buf`. */
static const char *name_problem(const char *name, bool allow_project, char *buf,
                                size_t size) {
  if (name == NULL)
    return "it is NULL";
  const char *slash = strchr(name, '/');
  if (slash == NULL)
    return aeh_name_problem(name, strlen(name), buf, size);
  if (!allow_project)
    return "'/' is not allowed";
  if (strchr(slash + 1, '/') != NULL)
    return "write it as name or project/name";
  const char *why = aeh_name_problem(name, (size_t)(slash - name), buf, size);
  return why != NULL
             ? why
             : aeh_name_problem(slash + 1, strlen(slash + 1), buf, size);
}

/* ---------------------------------------------------------------- graph */

aero_graph *aeh_graph_new(const char *project) {
  aero_graph *graph = calloc(1, sizeof *graph);
  if (graph == NULL)
    return NULL;
  graph->project = strdup(project != NULL ? project : "");
  if (graph->project == NULL) {
    free(graph);
    return NULL;
  }
  graph->project_len = strlen(graph->project);
  return graph;
}

const char *aeh_graph_project(const aero_graph *graph) {
  return graph->project;
}

size_t aeh_graph_count(const aero_graph *graph) {
  return graph->count;
}

aeh_action *aeh_graph_at(const aero_graph *graph, size_t i) {
  if (i >= graph->count)
    return NULL;
  return &graph->actions[graph->order != NULL ? graph->order[i] : i];
}

aeh_action *aeh_graph_action(const aero_graph *graph, size_t index) {
  return index < graph->count ? &graph->actions[index] : NULL;
}

const char *aeh_graph_local_name(const aero_graph *graph, const char *name,
                                 bool *foreign) {
  const char *slash = strchr(name, '/');
  *foreign = false;
  if (slash == NULL)
    return name;
  size_t n = (size_t)(slash - name);
  if (n != graph->project_len || memcmp(name, graph->project, n) != 0)
    *foreign = true;
  return slash + 1;
}

static size_t align8(size_t n) {
  return (n + 7) & ~(size_t)7;
}

/* Names the action being added in an error: "action #4 [train] model", with
 * as much as is valid. */
static void describe_new(const aero_graph *graph, const aero_action_desc *d,
                         char *buf, size_t size) {
  char type[80], out[80];
  aeh_quote(d->job_type, type, sizeof type);
  if (d->outputs != NULL && d->output_count > 0 && d->outputs[0] != NULL)
    aeh_quote(d->outputs[0], out, sizeof out);
  else
    snprintf(out, sizeof out, "(no output)");
  snprintf(buf, size, "action #%zu [%s] %s", graph->count + 1, type, out);
}

/* Checks a description whose size is known good. */
static aero_status check_desc(const aero_graph *graph,
                              const aero_action_desc *d, aero_error *err) {
  char who[200], bad[80], buf[64];
  describe_new(graph, d, who, sizeof who);
  const char *why = name_problem(d->job_type, false, buf, sizeof buf);
  if (why != NULL) {
    aeh_quote(d->job_type, bad, sizeof bad);
    return aeh_error_set(err, AERO_E_INVALID, "%s: invalid job type \"%s\": %s",
                         who, bad, why);
  }
  if (d->run == NULL)
    return aeh_error_set(err, AERO_E_INVALID, "%s: no run callback", who);
  why = d->partition != NULL
            ? name_problem(d->partition, false, buf, sizeof buf)
            : NULL;
  if (why != NULL) {
    aeh_quote(d->partition, bad, sizeof bad);
    return aeh_error_set(err, AERO_E_INVALID,
                         "%s: invalid partition \"%s\": %s", who, bad, why);
  }
  if (d->output_count == 0 || d->outputs == NULL)
    return aeh_error_set(err, AERO_E_INVALID,
                         "%s: declares no outputs; every action needs at "
                         "least one output name",
                         who);
  for (size_t i = 0; i < d->output_count; i++) {
    why = name_problem(d->outputs[i], true, buf, sizeof buf);
    if (why != NULL) {
      aeh_quote(d->outputs[i], bad, sizeof bad);
      return aeh_error_set(err, AERO_E_INVALID,
                           "%s: invalid output name \"%s\": %s", who, bad, why);
    }
    bool foreign;
    aeh_graph_local_name(graph, d->outputs[i], &foreign);
    if (foreign)
      return aeh_error_set(err, AERO_E_INVALID,
                           "%s: output \"%s\" names another project; outputs "
                           "belong to this project \"%s\"",
                           who, d->outputs[i], graph->project);
  }
  if (d->parent_count > 0 && d->parents == NULL)
    return aeh_error_set(err, AERO_E_INVALID,
                         "%s: parent_count is %zu but parents is NULL", who,
                         d->parent_count);
  for (size_t i = 0; i < d->parent_count; i++) {
    why = name_problem(d->parents[i], true, buf, sizeof buf);
    if (why != NULL) {
      aeh_quote(d->parents[i], bad, sizeof bad);
      return aeh_error_set(err, AERO_E_INVALID,
                           "%s: invalid parent name \"%s\": %s", who, bad, why);
    }
  }
  if (d->config_count > 0 && d->config == NULL)
    return aeh_error_set(err, AERO_E_INVALID,
                         "%s: config_count is %zu but config is NULL", who,
                         d->config_count);
  for (size_t i = 0; i < d->config_count; i++) {
    const aero_kv *kv = &d->config[i];
    if (kv->key == NULL || kv->key[0] == '\0')
      return aeh_error_set(err, AERO_E_INVALID,
                           "%s: config entry %zu has no key", who, i + 1);
    aeh_quote(kv->key, bad, sizeof bad);
    if (kv->value.type < AERO_VALUE_BOOL || kv->value.type > AERO_VALUE_STRING)
      return aeh_error_set(err, AERO_E_INVALID,
                           "%s: config \"%s\" has unknown value type %u", who,
                           bad, (unsigned)kv->value.type);
    if (kv->value.type == AERO_VALUE_STRING && kv->value.as.s == NULL)
      return aeh_error_set(err, AERO_E_INVALID,
                           "%s: config \"%s\" is a NULL string", who, bad);
    /* As a flag's value (options.c): a store keeps no NaN, JSON neither. */
    if (kv->value.type == AERO_VALUE_DOUBLE && !isfinite(kv->value.as.d))
      return aeh_error_set(err, AERO_E_INVALID,
                           "%s: config \"%s\" is %g, not a finite number", who,
                           bad, kv->value.as.d);
  }
  return AERO_OK;
}

/* The size of ABI 1.0's aero_action_desc: everything up to `destroy`. */
#define AEH_ACTION_DESC_1_0 offsetof(aero_action_desc, code_version)

/* Copies `s` to *cursor and advances it. */
static char *put_string(char **cursor, const char *s) {
  size_t n = strlen(s) + 1;
  char *copy = memcpy(*cursor, s, n);
  *cursor += n;
  return copy;
}

/* Copies a checked description into one allocation: pointer arrays first
 * (8-aligned), then the strings. One malloc per action keeps adding 100,000
 * actions cheap and freeing trivial. */
static aero_status copy_desc(const aero_action_desc *d, aeh_action *a,
                             aero_error *err) {
  size_t strings = strlen(d->job_type) + 1;
  if (d->code_version != NULL)
    strings += strlen(d->code_version) + 1;
  if (d->partition != NULL)
    strings += strlen(d->partition) + 1;
  if (d->job_group != NULL)
    strings += strlen(d->job_group) + 1;
  for (size_t i = 0; i < d->output_count; i++)
    strings += strlen(d->outputs[i]) + 1;
  for (size_t i = 0; i < d->parent_count; i++)
    strings += strlen(d->parents[i]) + 1;
  for (size_t i = 0; i < d->config_count; i++) {
    strings += strlen(d->config[i].key) + 1;
    if (d->config[i].value.type == AERO_VALUE_STRING)
      strings += strlen(d->config[i].value.as.s) + 1;
  }
  size_t arrays = align8(d->output_count * sizeof(char *)) +
                  align8(d->parent_count * sizeof(char *)) +
                  align8(d->parent_count * sizeof(size_t)) +
                  align8(d->config_count * sizeof(aero_kv));
  char *block = malloc(arrays + strings);
  if (block == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory adding an action");

  char *p = block;
  a->outputs = (char **)(void *)p;
  p += align8(d->output_count * sizeof(char *));
  a->parent_names = (char **)(void *)p;
  p += align8(d->parent_count * sizeof(char *));
  a->parents = (size_t *)(void *)p;
  p += align8(d->parent_count * sizeof(size_t));
  a->config = (aero_kv *)(void *)p;
  p += align8(d->config_count * sizeof(aero_kv));

  a->job_type = put_string(&p, d->job_type);
  a->job_group = d->job_group != NULL ? put_string(&p, d->job_group) : NULL;
  a->code_version =
      d->code_version != NULL ? put_string(&p, d->code_version) : NULL;
  a->is_volatile = d->is_volatile;
  a->partition = d->partition != NULL ? put_string(&p, d->partition) : NULL;
  a->cpus = d->cpus;
  a->gpus = d->gpus;
  a->time_limit_s = d->time_limit_s;
  a->memory_mb = d->memory_mb;
  for (size_t i = 0; i < d->output_count; i++)
    a->outputs[i] = put_string(&p, d->outputs[i]);
  for (size_t i = 0; i < d->parent_count; i++) {
    a->parent_names[i] = put_string(&p, d->parents[i]);
    a->parents[i] = SIZE_MAX;
  }
  for (size_t i = 0; i < d->config_count; i++) {
    a->config[i] = d->config[i];
    a->config[i].key = put_string(&p, d->config[i].key);
    if (d->config[i].value.type == AERO_VALUE_STRING)
      a->config[i].value.as.s = put_string(&p, d->config[i].value.as.s);
  }
  a->output_count = d->output_count;
  a->parent_count = d->parent_count;
  a->config_count = d->config_count;
  (void)block; /* a->outputs is the start of the block: freed through it */
  return AERO_OK;
}

aero_status aeh_graph_add(aero_graph *graph, const aero_action_desc *desc,
                          aero_error *err) {
  /* desc->data is ours from here on, whatever happens. */
  if (desc == NULL)
    return aeh_error_set(err, AERO_E_INVALID,
                         "action #%zu: the description is NULL",
                         graph != NULL ? graph->count + 1 : 0);
  aero_action_desc d = {0};
  size_t have = desc->struct_size;
  /* A size of 0 almost always means a description written without
   * AERO_ACTION() against this very header: its layout is ours, so its
   * destroy can be trusted. A size short of ABI 1.0's description cannot
   * be. A plugin of an older minor has a shorter one: what it lacks reads
   * as zero; members of later minors are ignored. */
  if (have >= AEH_ACTION_DESC_1_0 || have == 0)
    memcpy(&d, desc, have == 0 || have > sizeof d ? sizeof d : have);
  aero_status status = AERO_OK;
  if (graph == NULL) {
    status = aeh_error_set(err, AERO_E_INVALID, "graph_add: the graph is NULL");
    goto fail;
  }
  if (have == 0) {
    status = aeh_error_set(err, AERO_E_INVALID,
                           "action #%zu: struct_size is 0; build the "
                           "description with AERO_ACTION(...)",
                           graph->count + 1);
    goto fail;
  }
  if (have < AEH_ACTION_DESC_1_0) {
    status = aeh_error_set(err, AERO_E_ABI,
                           "action #%zu: struct_size %zu is smaller than "
                           "aero_action_desc (%zu bytes); rebuild the plugin "
                           "against this SDK",
                           graph->count + 1, have, (size_t)AEH_ACTION_DESC_1_0);
    goto fail;
  }
  status = check_desc(graph, &d, err);
  if (status != AERO_OK)
    goto fail;
  aeh_action *grown = aeu_grow(graph->actions, &graph->cap, graph->count + 1,
                               sizeof *grown, 16);
  if (grown == NULL) {
    status = aeh_error_set(err, AERO_E_NOMEM,
                           "out of memory adding an "
                           "action");
    goto fail;
  }
  graph->actions = grown;
  aeh_action *a = &graph->actions[graph->count];
  memset(a, 0, sizeof *a);
  status = copy_desc(&d, a, err);
  if (status != AERO_OK)
    goto fail;
  a->index = graph->count;
  a->run = d.run;
  a->data = d.data;
  a->destroy = d.destroy;
  a->selected = true;
  graph->count++;
  graph->validated = false;
  return AERO_OK;

fail:
  if (d.destroy != NULL)
    d.destroy(d.data);
  return status;
}

void aeh_graph_free(aero_graph *graph) {
  if (graph == NULL)
    return;
  /* Reverse insertion order, like every other release in the host. */
  for (size_t i = graph->count; i-- > 0;) {
    aeh_action *a = &graph->actions[i];
    if (a->destroy != NULL)
      a->destroy(a->data);
    free(a->outputs);
  }
  free(graph->order);
  free(graph->actions);
  free(graph->project);
  free(graph);
}

/* ----------------------------------------------------- output name index */

/* Open addressing with linear probing over a power-of-two table. Keys are
 * the project-local output names; values are insertion indexes. */
typedef struct name_slot {
  const char *key; /* NULL when empty */
  uint64_t hash;
  size_t action;
} name_slot;

typedef struct name_index {
  name_slot *slots;
  size_t mask;
} name_index;

static uint64_t hash_name(const char *s) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *s != '\0'; s++) {
    h ^= (unsigned char)*s;
    h *= 1099511628211ull;
  }
  return h ^ (h >> 29);
}

static bool index_init(name_index *index, size_t entries) {
  size_t cap = 16;
  while (cap < entries * 2)
    cap *= 2;
  index->slots = calloc(cap, sizeof *index->slots);
  index->mask = cap - 1;
  return index->slots != NULL;
}

/* The slot holding `key`, or the empty slot where it would go. */
static name_slot *index_find(const name_index *index, const char *key,
                             uint64_t hash) {
  for (size_t i = hash & index->mask;; i = (i + 1) & index->mask) {
    name_slot *slot = &index->slots[i];
    if (slot->key == NULL ||
        (slot->hash == hash && strcmp(slot->key, key) == 0))
      return slot;
  }
}

/* --------------------------------------------------------------- validate */

void aeh_graph_label(const aeh_action *action, char *buf, size_t size) {
  snprintf(buf, size, "[%s] %s", action->job_type, action->outputs[0]);
}

/* Among ready actions the earliest added runs first (a min-heap of
 * insertion indexes), which makes the order deterministic. */

/* Every action left out of a Kahn pass has a parent also left out, so
 * walking parents from one of them must come back to an action already on
 * the walk: that loop is a cycle. Writes it in data-flow order, starting
 * at its earliest-added action. */
static void describe_cycle(const aero_graph *graph, const size_t *indegree,
                           aero_error *err) {
  size_t n = graph->count;
  size_t *path = malloc(n * sizeof *path);
  size_t *seen_at = malloc(n * sizeof *seen_at);
  if (path == NULL || seen_at == NULL) {
    aeh_error_set(err, AERO_E_GRAPH, "the action graph has a cycle");
    goto done;
  }
  for (size_t i = 0; i < n; i++)
    seen_at[i] = SIZE_MAX;
  size_t start = 0;
  while (indegree[start] == 0)
    start++;
  size_t len = 0, at = start;
  while (seen_at[at] == SIZE_MAX) {
    seen_at[at] = len;
    path[len++] = at;
    const aeh_action *a = &graph->actions[at];
    size_t next = SIZE_MAX;
    for (size_t k = 0; k < a->parent_count && next == SIZE_MAX; k++)
      if (indegree[a->parents[k]] > 0)
        next = a->parents[k];
    at = next;
  }
  /* path[seen_at[at] .. len) is the loop, child before parent. */
  size_t first = seen_at[at], loop = len - first;
  size_t min_k = 0;
  for (size_t k = 1; k < loop; k++)
    if (path[first + k] < path[first + min_k])
      min_k = k;
  char text[AERO_ERROR_MESSAGE_MAX];
  size_t used = (size_t)snprintf(text, sizeof text, "cycle: ");
  /* Parent before child: walk the loop backwards from the earliest. */
  for (size_t step = 0; step <= loop && used < sizeof text; step++) {
    size_t k = (min_k + loop - step % loop) % loop;
    char label[300];
    aeh_graph_label(&graph->actions[path[first + k]], label, sizeof label);
    used += (size_t)snprintf(text + used, sizeof text - used, "%s%s",
                             step > 0 ? " -> " : "", label);
  }
  aeh_error_set(err, AERO_E_GRAPH, "%s", text);
done:
  free(seen_at);
  free(path);
}

/* Resolves parent names to insertion indexes through the output index. */
static aero_status resolve_parents(aero_graph *graph, aero_error *err) {
  size_t outputs = 0;
  for (size_t i = 0; i < graph->count; i++)
    outputs += graph->actions[i].output_count;
  name_index index;
  if (!index_init(&index, outputs))
    return aeh_error_set(err, AERO_E_NOMEM,
                         "out of memory validating the "
                         "graph");
  aero_status status = AERO_OK;
  char label[300], other[300];
  for (size_t i = 0; i < graph->count && status == AERO_OK; i++) {
    aeh_action *a = &graph->actions[i];
    for (size_t k = 0; k < a->output_count; k++) {
      bool foreign;
      const char *key = aeh_graph_local_name(graph, a->outputs[k], &foreign);
      uint64_t hash = hash_name(key);
      name_slot *slot = index_find(&index, key, hash);
      if (slot->key != NULL) {
        aeh_graph_label(&graph->actions[slot->action], other, sizeof other);
        aeh_graph_label(a, label, sizeof label);
        status = slot->action == i
                     ? aeh_error_set(err, AERO_E_GRAPH,
                                     "action %s declares output '%s' twice",
                                     label, key)
                     : aeh_error_set(err, AERO_E_GRAPH,
                                     "duplicate output '%s': declared by %s "
                                     "and by %s",
                                     key, other, label);
        break;
      }
      *slot = (name_slot){key, hash, i};
    }
  }
  for (size_t i = 0; i < graph->count && status == AERO_OK; i++) {
    aeh_action *a = &graph->actions[i];
    for (size_t k = 0; k < a->parent_count; k++) {
      bool foreign;
      const char *key =
          aeh_graph_local_name(graph, a->parent_names[k], &foreign);
      if (foreign) {
        aeh_graph_label(a, label, sizeof label);
        status = aeh_error_set(
            err, AERO_E_GRAPH,
            "action %s: parent '%s' is not an action of this graph (project "
            "'%s'); read another project's artifact with declare_input",
            label, a->parent_names[k], graph->project);
        break;
      }
      name_slot *slot = index_find(&index, key, hash_name(key));
      if (slot->key == NULL) {
        aeh_graph_label(a, label, sizeof label);
        status = aeh_error_set(err, AERO_E_GRAPH,
                               "action %s: unknown parent '%s': no action "
                               "outputs it",
                               label, a->parent_names[k]);
        break;
      }
      a->parents[k] = slot->action;
    }
  }
  free(index.slots);
  return status;
}

bool aeh_graph_children(const aero_graph *graph, const size_t *visit,
                        size_t **start_out, size_t **children_out) {
  size_t n = graph->count, edges = 0;
  for (size_t i = 0; i < n; i++)
    edges += graph->actions[i].parent_count;
  /* Counted at +2, summed, then filled at +1: start[i] .. start[i + 1]. */
  size_t *start = calloc(n + 2, sizeof *start);
  size_t *children = malloc((edges + 1) * sizeof *children);
  if (start == NULL || children == NULL) {
    free(start);
    free(children);
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    const aeh_action *a = &graph->actions[i];
    for (size_t k = 0; k < a->parent_count; k++)
      start[a->parents[k] + 2]++;
  }
  for (size_t i = 2; i < n + 2; i++)
    start[i] += start[i - 1];
  for (size_t v = 0; v < n; v++) {
    size_t i = visit != NULL ? visit[v] : v;
    const aeh_action *a = &graph->actions[i];
    for (size_t k = 0; k < a->parent_count; k++)
      children[start[a->parents[k] + 1]++] = i;
  }
  *start_out = start;
  *children_out = children;
  return true;
}

aero_status aeh_graph_validate(aero_graph *graph, aero_error *err) {
  size_t n = graph->count;
  size_t *indegree = NULL, *child_start = NULL, *children = NULL;
  size_t *order = NULL;
  aeh_minheap ready = {NULL, 0};
  aero_status status = resolve_parents(graph, err);
  if (status != AERO_OK)
    goto done;

  indegree = calloc(n + 1, sizeof *indegree);
  order = malloc((n + 1) * sizeof *order);
  ready.items = malloc((n + 1) * sizeof *ready.items);
  if (indegree == NULL || order == NULL || ready.items == NULL ||
      !aeh_graph_children(graph, NULL, &child_start, &children)) {
    status = aeh_error_set(err, AERO_E_NOMEM,
                           "out of memory validating the "
                           "graph");
    goto done;
  }
  for (size_t i = 0; i < n; i++)
    indegree[i] = graph->actions[i].parent_count;

  size_t placed = aeh_kahn_order(n, indegree, child_start, children,
                                 ready.items, order);
  if (placed < n) {
    describe_cycle(graph, indegree, err);
    status = AERO_E_GRAPH;
    goto done;
  }
  free(graph->order);
  graph->order = order;
  order = NULL;
  graph->validated = true;

done:
  free(ready.items);
  free(order);
  free(children);
  free(child_start);
  free(indegree);
  return status;
}

/* ----------------------------------------------------------------- select */

/* Whether any output's "job_type output" text contains `needle`. */
static bool action_matches(const aeh_action *a, const char *needle, char **buf,
                           size_t *cap) {
  size_t type_len = strlen(a->job_type);
  for (size_t k = 0; k < a->output_count; k++) {
    size_t need = type_len + 1 + strlen(a->outputs[k]) + 1;
    if (need > *cap) {
      char *grown = realloc(*buf, need);
      if (grown == NULL)
        return false;
      *buf = grown;
      *cap = need;
    }
    memcpy(*buf, a->job_type, type_len);
    (*buf)[type_len] = ' ';
    strcpy(*buf + type_len + 1, a->outputs[k]);
    if (strstr(*buf, needle) != NULL)
      return true;
  }
  return false;
}

/* "--only 'x' matches no action; actions: [a] b, [c] d, ... (N more)". */
static aero_status no_match(const aero_graph *graph, const char *option,
                            const char *needle, aero_error *err) {
  char list[600];
  size_t used = 0;
  list[0] = '\0';
  size_t shown = 0;
  for (size_t i = 0; i < graph->count; i++) {
    char label[300];
    aeh_graph_label(aeh_graph_at(graph, i), label, sizeof label);
    if (used + strlen(label) + 3 >= 400)
      break;
    used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                             shown > 0 ? ", " : "", label);
    shown++;
  }
  if (shown < graph->count)
    snprintf(list + used, sizeof list - used, ", ... (%zu more)",
             graph->count - shown);
  char quoted[80];
  aeh_quote(needle, quoted, sizeof quoted);
  return aeh_error_set(err, AERO_E_INVALID,
                       "%s '%s' matches no action; actions: %s", option, quoted,
                       graph->count > 0 ? list : "(none)");
}

/* Sets chosen[i] for each action whose "job_type output" text contains one
 * of the comma-separated substrings of `list`; `option` names the list in
 * errors. Every substring must match, and the list must hold one. */
static aero_status match_list(const aero_graph *graph, const char *option,
                              const char *list, bool *chosen, aero_error *err) {
  char *copy = strdup(list), *buf = NULL;
  size_t cap = 0;
  aero_status status = AERO_OK;
  bool any = false;
  if (copy == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory in %s", option);
  char *save = NULL;
  for (char *tok = strtok_r(copy, ",", &save); tok != NULL;
       tok = strtok_r(NULL, ",", &save)) {
    while (*tok == ' ' || *tok == '\t')
      tok++;
    size_t len = strlen(tok);
    while (len > 0 && (tok[len - 1] == ' ' || tok[len - 1] == '\t'))
      tok[--len] = '\0';
    if (len == 0)
      continue;
    any = true;
    bool matched = false;
    for (size_t i = 0; i < graph->count; i++) {
      if (action_matches(&graph->actions[i], tok, &buf, &cap)) {
        chosen[i] = true;
        matched = true;
      }
    }
    if (!matched) {
      status = no_match(graph, option, tok, err);
      goto done;
    }
  }
  /* `--only ,` or `--only ""` names nothing; selecting everything would
   * run what the user meant to narrow down. */
  if (!any) {
    char quoted[80];
    status = aeh_error_set(err, AERO_E_INVALID,
                           "%s '%s' names no action: give "
                           "comma-separated substrings of \"job_type "
                           "output\"",
                           option, aeh_quote(list, quoted, sizeof quoted));
  }
done:
  free(buf);
  free(copy);
  return status;
}

aero_status aeh_graph_select(aero_graph *graph, const char *only,
                             aero_error *err) {
  if (only == NULL) {
    for (size_t i = 0; i < graph->count; i++)
      graph->actions[i].selected = true;
    return AERO_OK;
  }
  bool *chosen = calloc(graph->count + 1, sizeof *chosen);
  if (chosen == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory in --only");
  aero_status status = match_list(graph, "--only", only, chosen, err);
  /* Written only once every substring matched. */
  for (size_t i = 0; status == AERO_OK && i < graph->count; i++)
    graph->actions[i].selected = chosen[i];
  free(chosen);
  return status;
}

aero_status aeh_graph_force(aero_graph *graph, const char *force_only,
                            aero_error *err) {
  bool *chosen = calloc(graph->count + 1, sizeof *chosen);
  if (chosen == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory in --force-only");
  aero_status status =
      match_list(graph, "--force-only", force_only, chosen, err);
  for (size_t i = 0; status == AERO_OK && i < graph->count; i++)
    graph->actions[i].forced = chosen[i];
  free(chosen);
  return status;
}
