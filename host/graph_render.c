/* Rendering a validated graph: `aerohost list` (text or JSON) and
 * `aerohost graph` (Graphviz DOT or a terminal tree). Everything goes to
 * the given stream (stdout: data). */
#include "graph.h"
#include "graph_private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void aeh_graph_write_list(const aero_graph *graph, FILE *out, bool json) {
  size_t n = aeh_graph_count(graph);
  if (!json) {
    for (size_t i = 0; i < n; i++) {
      const aeh_action *a = aeh_graph_at(graph, i);
      fprintf(out, "[%s] %s\n", a->job_type, a->outputs[0]);
    }
    return;
  }
  fputs("[", out);
  for (size_t i = 0; i < n; i++) {
    const aeh_action *a = aeh_graph_at(graph, i);
    fputs(i > 0 ? ",\n  " : "\n  ", out);
    fputs("{\"job_type\": ", out);
    aeh_json_string(out, a->job_type);
    fputs(", \"job_group\": ", out);
    if (a->job_group != NULL)
      aeh_json_string(out, a->job_group);
    else
      fputs("null", out);
    fputs(", \"outputs\": [", out);
    for (size_t k = 0; k < a->output_count; k++) {
      fputs(k > 0 ? ", " : "", out);
      aeh_json_string(out, a->outputs[k]);
    }
    fputs("], \"parents\": [", out);
    for (size_t k = 0; k < a->parent_count; k++) {
      fputs(k > 0 ? ", " : "", out);
      aeh_json_string(out, a->parent_names[k]);
    }
    fputs("], \"config\": {", out);
    for (size_t k = 0; k < a->config_count; k++) {
      const aero_kv *kv = &a->config[k];
      fputs(k > 0 ? ", " : "", out);
      aeh_json_string(out, kv->key);
      fputs(": ", out);
      switch (kv->value.type) {
      case AERO_VALUE_BOOL:
        fputs(kv->value.as.b ? "true" : "false", out);
        break;
      case AERO_VALUE_INT:
        fprintf(out, "%lld", (long long)kv->value.as.i);
        break;
      case AERO_VALUE_DOUBLE:
        if (isfinite(kv->value.as.d))
          fprintf(out, "%.17g", kv->value.as.d);
        else
          fputs("null", out); /* JSON has no NaN or infinity */
        break;
      default:
        aeh_json_string(out, kv->value.as.s);
        break;
      }
    }
    fprintf(out, "}, \"selected\": %s}", a->selected ? "true" : "false");
  }
  fputs(n > 0 ? "\n]\n" : "]\n", out);
}

void aeh_json_string(FILE *out, const char *s) {
  putc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
    switch (*p) {
    case '"':
      fputs("\\\"", out);
      break;
    case '\\':
      fputs("\\\\", out);
      break;
    case '\n':
      fputs("\\n", out);
      break;
    case '\t':
      fputs("\\t", out);
      break;
    case '\r':
      fputs("\\r", out);
      break;
    default:
      if (*p < 0x20)
        fprintf(out, "\\u%04x", *p);
      else
        putc(*p, out);
    }
  }
  putc('"', out);
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
  size_t *start = calloc(n + 2, sizeof *start);
  size_t edges = 0;
  for (size_t i = 0; i < n; i++)
    edges += aeh_graph_action(graph, i)->parent_count;
  size_t *children = malloc((edges + 1) * sizeof *children);
  bool *shown = calloc(n + 1, sizeof *shown);
  frame *stack = malloc((n + 1) * sizeof *stack);
  char prefix[TREE_PREFIX_MAX + 16];
  if (start == NULL || children == NULL || shown == NULL || stack == NULL) {
    fputs("(out of memory)\n", out);
    goto done;
  }
  bool any_unselected = false;
  for (size_t i = 0; i < n; i++) {
    any_unselected |= !aeh_graph_at(graph, i)->selected;
  }
  /* Children listed in run order: fill by walking actions in run order. */
  for (size_t i = 0; i < n; i++) {
    const aeh_action *a = aeh_graph_action(graph, i);
    for (size_t k = 0; k < a->parent_count; k++)
      start[a->parents[k] + 2]++;
  }
  for (size_t i = 2; i < n + 2; i++)
    start[i] += start[i - 1];
  for (size_t i = 0; i < n; i++) {
    const aeh_action *a = aeh_graph_at(graph, i);
    for (size_t k = 0; k < a->parent_count; k++)
      children[start[a->parents[k] + 1]++] = a->index;
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
