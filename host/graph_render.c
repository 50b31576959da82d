/* Rendering a validated graph: `aerohost list` (text or JSON) and
 * `aerohost graph` (Graphviz DOT or a terminal tree). Everything goes to
 * the given stream (stdout: data). */
#include "graph.h"
#include "graph_private.h"
#include "json_out.h"

#include <stdlib.h>
#include <string.h>

/* A config value as JSON; NULL when memory ran out. */
static json_t *value_json(const aero_value *v) {
  switch (v->type) {
  case AERO_VALUE_BOOL:
    return json_boolean(v->as.b);
  case AERO_VALUE_INT:
    return json_integer((json_int_t)v->as.i);
  case AERO_VALUE_DOUBLE:
    return aeh_json_number(v->as.d);
  default:
    return aeh_json_text(v->as.s);
  }
}

/* One action of `list --json`; NULL when memory ran out. */
static json_t *action_json(const aeh_action *a) {
  json_t *obj = json_object();
  json_t *outputs = json_array();
  json_t *parents = json_array();
  json_t *config = json_object();
  int rc = obj && outputs && parents && config ? 0 : -1;
  for (size_t k = 0; rc == 0 && k < a->output_count; k++)
    rc = aeh_json_append(outputs, aeh_json_text(a->outputs[k]));
  for (size_t k = 0; rc == 0 && k < a->parent_count; k++)
    rc = aeh_json_append(parents, aeh_json_text(a->parent_names[k]));
  for (size_t k = 0; rc == 0 && k < a->config_count; k++)
    rc =
        aeh_json_set(config, a->config[k].key, value_json(&a->config[k].value));
  /* The object takes its own references; ours are dropped below. */
  if (rc == 0)
    rc = aeh_json_set(obj, "job_type", aeh_json_text(a->job_type));
  if (rc == 0)
    rc = aeh_json_set(obj, "job_group", aeh_json_text(a->job_group));
  if (rc == 0)
    rc = aeh_json_set(obj, "outputs", json_incref(outputs));
  if (rc == 0)
    rc = aeh_json_set(obj, "parents", json_incref(parents));
  if (rc == 0)
    rc = aeh_json_set(obj, "config", json_incref(config));
  if (rc == 0)
    rc = aeh_json_set(obj, "selected", json_boolean(a->selected));
  json_decref(config);
  json_decref(parents);
  json_decref(outputs);
  if (rc != 0) {
    json_decref(obj);
    return NULL;
  }
  return obj;
}

int aeh_graph_write_list(const aero_graph *graph, FILE *out, bool json) {
  size_t n = aeh_graph_count(graph);
  if (!json) {
    for (size_t i = 0; i < n; i++) {
      const aeh_action *a = aeh_graph_at(graph, i);
      fprintf(out, "[%s] %s\n", a->job_type, a->outputs[0]);
    }
    return 0;
  }
  json_t *doc = json_array();
  int rc = doc != NULL ? 0 : -1;
  for (size_t i = 0; rc == 0 && i < n; i++)
    rc = aeh_json_append(doc, action_json(aeh_graph_at(graph, i)));
  if (rc == 0)
    rc = aeh_json_write(out, doc);
  json_decref(doc);
  return rc;
}

/* A DOT double-quoted string: only '"' and '\' need escaping there; a
 * newline in the text would end up literal, so it becomes "\n". */
static void dot_string(FILE *out, const char *s) {
  putc('"', out);
  for (; *s != '\0'; s++) {
    if (*s == '"' || *s == '\\')
      putc('\\', out);
    if (*s == '\n') {
      fputs("\\n", out);
      continue;
    }
    putc(*s, out);
  }
  putc('"', out);
}

void aeh_graph_write_dot(const aero_graph *graph, FILE *out) {
  size_t n = aeh_graph_count(graph);
  fputs("digraph ", out);
  dot_string(out, aeh_graph_project(graph));
  fputs(" {\n  rankdir=LR;\n  node [shape=box];\n", out);
  for (size_t i = 0; i < n; i++) {
    const aeh_action *a = aeh_graph_at(graph, i);
    /* Node ids are generated, so no name can break the syntax; the names
     * themselves only appear in quoted labels. */
    fprintf(out, "  a%zu [label=", a->index);
    char *label = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&label, &size);
    if (mem != NULL) {
      fprintf(mem, "[%s]", a->job_type);
      for (size_t k = 0; k < a->output_count; k++)
        fprintf(mem, "\n%s", a->outputs[k]);
      fclose(mem);
    }
    dot_string(out, label != NULL ? label : a->outputs[0]);
    free(label);
    if (!a->selected)
      fputs(", style=dashed, color=gray50, fontcolor=gray50", out);
    fputs("];\n", out);
  }
  for (size_t i = 0; i < n; i++) {
    const aeh_action *a = aeh_graph_at(graph, i);
    for (size_t k = 0; k < a->parent_count; k++)
      fprintf(out, "  a%zu -> a%zu;\n", a->parents[k], a->index);
  }
  fputs("}\n", out);
}

/* ------------------------------------------------------------ text tree */

typedef struct frame {
  size_t action; /* insertion index */
  size_t next;   /* next child, as an offset into the CSR array */
  size_t end;
  size_t prefix_len; /* length of the prefix its children print after */
} frame;

/* Deep chains would make every line as long as the chain; past this many
 * bytes the prefix stops growing. */
#define TREE_PREFIX_MAX 240

static void tree_line(FILE *out, const aero_graph *graph, const char *prefix,
                      size_t prefix_len, const char *branch, size_t action,
                      bool repeat, bool any_unselected) {
  const aeh_action *a = aeh_graph_action(graph, action);
  fprintf(out, "%.*s%s[%s] %s", (int)prefix_len, prefix, branch, a->job_type,
          a->outputs[0]);
  for (size_t k = 1; k < a->output_count; k++)
    fprintf(out, ", %s", a->outputs[k]);
  if (any_unselected && !a->selected)
    fputs(" (not selected)", out);
  if (repeat)
    fputs(" (see above)", out);
  putc('\n', out);
}

void aeh_graph_write_text(const aero_graph *graph, FILE *out) {
  size_t n = aeh_graph_count(graph);
  size_t *start = NULL, *children = NULL;
  bool *shown = calloc(n + 1, sizeof *shown);
  frame *stack = malloc((n + 1) * sizeof *stack);
  char prefix[TREE_PREFIX_MAX + 16];
  /* Children listed in run order. */
  if (!aeh_graph_children(graph, graph->order, &start, &children) ||
      shown == NULL || stack == NULL) {
    fputs("(out of memory)\n", out);
    goto done;
  }
  bool any_unselected = false;
  for (size_t i = 0; i < n; i++) {
    any_unselected |= !aeh_graph_at(graph, i)->selected;
  }

  for (size_t r = 0; r < n; r++) {
    const aeh_action *root = aeh_graph_at(graph, r);
    if (root->parent_count > 0)
      continue;
    tree_line(out, graph, "", 0, "", root->index, false, any_unselected);
    shown[root->index] = true;
    size_t depth = 0;
    stack[depth++] =
        (frame){root->index, start[root->index], start[root->index + 1], 0};
    while (depth > 0) {
      frame *f = &stack[depth - 1];
      if (f->next == f->end) {
        depth--;
        continue;
      }
      size_t child = children[f->next++];
      bool last = f->next == f->end;
      /* A child listed twice under one parent (two output names of the
       * same parent) prints once. */
      if (!last && children[f->next] == child)
        continue;
      bool repeat = shown[child];
      tree_line(out, graph, prefix, f->prefix_len, last ? "└── " : "├── ",
                child, repeat, any_unselected);
      if (repeat || start[child] == start[child + 1]) {
        shown[child] = true;
        continue;
      }
      shown[child] = true;
      size_t len = f->prefix_len;
      if (len < TREE_PREFIX_MAX) {
        const char *more = last ? "    " : "│   ";
        memcpy(prefix + len, more, strlen(more));
        len += strlen(more);
      }
      stack[depth++] = (frame){child, start[child], start[child + 1], len};
    }
  }
done:
  free(stack);
  free(shown);
  free(children);
  free(start);
}
