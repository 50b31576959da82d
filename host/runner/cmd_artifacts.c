/* aeromancy artifacts | lineage | export | path: artifact versions, where
 * they came from and went, and their files on disk. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aeu.h"
#include "fdio.h"
#include "go.h"
#include "read_cmd.h"
#include "text_table.h"

enum { O_JSON = 1, O_DOWN, O_FORMAT };

typedef struct art_opts {
  aeh_read_opts read; /* first: --store, and how the rest is parsed */
  bool json, down;
  const char *format;
} art_opts;

static int apply_option(void *ctx, const aeh_option *op, const char *value) {
  art_opts *o = ctx;
  switch (op->id) {
  case O_JSON:
    o->json = true;
    break;
  case O_DOWN:
    o->down = true;
    break;
  case O_FORMAT:
    o->format = value;
    break;
  }
  return 0;
}

/* aeh_read_start, then the version the first operand names; returns -1
 * when both worked, else the exit code (the store is closed then). */
static int start_and_find(const aeh_command *cmd, int argc, char **argv,
                          art_opts *o, aeh_args *a, aeh_record *rec,
                          aeh_version *v) {
  int rc = aeh_read_start(cmd, argc, argv, &o->read, a, rec);
  if (rc >= 0 || a->positional_count == 0)
    return rc;
  aero_error err = AEH_ERROR_INIT;
  aero_status st = aeh_record_find_version(rec, a->positional[0], v, &err);
  if (st != AERO_OK) {
    aeh_record_close(rec);
    return aeh_read_fail(cmd, st, &err);
  }
  return -1;
}

static const char *str(const json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return s != NULL ? s : "";
}

static long long num(const json_t *o, const char *key) {
  return (long long)json_integer_value(json_object_get(o, key));
}

/* ---- artifacts ---- */

static const aeh_option artifacts_options[] = {
    {"json", 0, NULL, "one JSON document (docs/json-schema.md)", O_JSON},
    AEH_READ_STORE_OPTION,
    {NULL, 0, NULL, NULL, 0},
};

/* Files are listed when the document has them (artifacts NAME). */
static void print_artifacts(const json_t *doc) {
  aeh_table t;
  aeh_table_init(&t, 8);
  const char *head[] = {"ARTIFACT", "MODE", "TYPE",    "FILES",
                        "SIZE",     "RUN",  "CREATED", "DIGEST"};
  if (aeh_out_aligned())
    aeh_table_add(&t, head);
  size_t i;
  const json_t *v;
  json_array_foreach(json_object_get(doc, "artifacts"), i, v) {
    char nfiles[32], size[32], run[32], digest[16];
    snprintf(nfiles, sizeof nfiles, "%lld", num(v, "file_count"));
    snprintf(size, sizeof size, "%lld", num(v, "total_size"));
    snprintf(run, sizeof run, "%lld", num(v, "run_id"));
    snprintf(digest, sizeof digest, "%.12s", str(v, "digest"));
    const char *cells[] = {
        str(v, "ref"), str(v, "mode"),       str(v, "type"), nfiles, size,
        run,           str(v, "created_at"), digest};
    aeh_table_add(&t, cells);
    size_t j;
    const json_t *f;
    json_array_foreach(json_object_get(v, "files"), j, f) {
      char fsize[32];
      snprintf(fsize, sizeof fsize, "%lld", num(f, "size"));
      const char *fc[] = {"  file", str(f, "path"),  "", "", fsize, "",
                          "",       str(f, "sha256")};
      aeh_table_add(&t, fc);
    }
  }
  aeh_table_print(&t, stdout, 0);
}

static int cmd_artifacts(const aeh_command *cmd, int argc, char **argv) {
  art_opts o = {.read = {apply_option, NULL, NULL}};
  aeh_args a;
  aeh_record rec;
  aeh_version v;
  int rc = start_and_find(cmd, argc, argv, &o, &a, &rec, &v);
  if (rc >= 0)
    return rc;
  aero_version_filter f = {.struct_size = sizeof f, .version = -1};
  if (a.positional_count == 1) {
    f.entity = v.entity;
    f.project = v.project;
    f.name = v.name;
    if (strchr(a.positional[0], ':') != NULL)
      f.version = v.version; /* NAME:vN: that version only */
  }
  aero_error err = AEH_ERROR_INIT;
  json_t *doc = NULL;
  aero_status st =
      aeh_record_versions_json(&rec, &f, a.positional_count == 1, &doc, &err);
  return aeh_read_finish(cmd, st, &err, doc, o.json, print_artifacts, &rec);
}

/* ---- lineage ---- */

static const aeh_option lineage_options[] = {
    {"down", 0, NULL,
     "follow the runs that read it and their outputs, instead of where it "
     "came from",
     O_DOWN},
    {"format", 0, "FORMAT", "text (default), dot (Graphviz) or json", O_FORMAT},
    AEH_READ_STORE_OPTION,
    {NULL, 0, NULL, NULL, 0},
};

static const json_t *find_by(const json_t *list, const char *key,
                             const char *text, long long number) {
  size_t i;
  const json_t *o;
  json_array_foreach(list, i, o) {
    if (text != NULL ? strcmp(str(o, key), text) == 0 : num(o, key) == number)
      return o;
  }
  return NULL;
}

/* Prints the tree under version `ref`: its producer (up) or consumers
 * (down), then their inputs (up) or outputs (down), once each. */
static void print_tree(const json_t *doc, const char *ref, int depth,
                       json_t *seen) {
  const json_t *runs = json_object_get(doc, "runs");
  bool down = strcmp(str(doc, "direction"), "down") == 0;
  printf("%*s%s\n", depth * 4, "", ref);
  size_t i;
  const json_t *run;
  json_array_foreach(runs, i, run) {
    const json_t *links = json_object_get(run, down ? "inputs" : "outputs");
    size_t j;
    const json_t *link;
    bool linked = false;
    json_array_foreach(links, j, link) {
      linked |= strcmp(json_string_value(link), ref) == 0;
    }
    if (!linked)
      continue;
    char key[32];
    snprintf(key, sizeof key, "%lld", num(run, "id"));
    const json_t *names = json_object_get(run, "output_names");
    printf("%*s%s run %s [%s] %s %s%s\n", depth * 4 + 2, "", down ? "->" : "<-",
           key, str(run, "job_type"),
           json_string_value(json_array_get(names, 0)), str(run, "status"),
           json_object_get(seen, key) ? " (see above)" : "");
    if (json_object_get(seen, key) != NULL)
      continue;
    json_object_set_new(seen, key, json_true());
    json_array_foreach(json_object_get(run, down ? "outputs" : "inputs"), j,
                       link) {
      print_tree(doc, json_string_value(link), depth + 1, seen);
    }
  }
}

/* A DOT identifier: quoted, with quotes and backslashes escaped. */
static void dot_id(const char *prefix, const char *text) {
  putchar('"');
  fputs(prefix, stdout);
  for (const char *p = text; *p != '\0'; p++) {
    if (*p == '"' || *p == '\\')
      putchar('\\');
    putchar(*p);
  }
  putchar('"');
}

/* An edge between run `key` and version `ref` (read when `input`, else
 * made). Versions outside the walk (a run's other inputs, going down) are
 * drawn dashed: the edge still says what the run read or made. */
static void dot_edge(const json_t *doc, const char *key, const char *ref,
                     bool input) {
  if (find_by(json_object_get(doc, "versions"), "ref", ref, 0) == NULL) {
    printf("  ");
    dot_id("v:", ref);
    printf(" [shape=box, style=dashed, label=");
    dot_id("", ref);
    printf("];\n");
  }
  printf("  ");
  dot_id(input ? "v:" : "r:", input ? ref : key);
  printf(" -> ");
  dot_id(input ? "r:" : "v:", input ? key : ref);
  printf(";\n");
}

static void print_dot(const json_t *doc) {
  printf("digraph lineage {\n  rankdir=LR;\n  node [fontname=\"sans\"];\n");
  size_t i;
  const json_t *v;
  json_array_foreach(json_object_get(doc, "versions"), i, v) {
    printf("  ");
    dot_id("v:", str(v, "ref"));
    printf(" [shape=box, label=");
    dot_id("", str(v, "ref"));
    printf("];\n");
  }
  const json_t *run;
  json_array_foreach(json_object_get(doc, "runs"), i, run) {
    char key[32], label[300];
    snprintf(key, sizeof key, "%lld", num(run, "id"));
    snprintf(label, sizeof label, "run %s [%s] %s", key, str(run, "job_type"),
             str(run, "status"));
    printf("  ");
    dot_id("r:", key);
    printf(" [shape=ellipse, label=");
    dot_id("", label);
    printf("];\n");
    size_t j;
    const json_t *link;
    json_array_foreach(json_object_get(run, "inputs"), j, link) {
      dot_edge(doc, key, json_string_value(link), true);
    }
    json_array_foreach(json_object_get(run, "outputs"), j, link) {
      dot_edge(doc, key, json_string_value(link), false);
    }
  }
  printf("}\n");
}

static int check_format(const aeh_command *cmd, aeh_read_opts *opts,
                        const aeh_args *args) {
  const art_opts *o = (const art_opts *)opts;
  (void)args;
  if (strcmp(o->format, "text") != 0 && strcmp(o->format, "dot") != 0 &&
      strcmp(o->format, "json") != 0)
    return aeh_command_usage_error(
        cmd, "--format '%s' is not one of text, dot, json", o->format);
  return -1;
}

static int cmd_lineage(const aeh_command *cmd, int argc, char **argv) {
  art_opts o = {.read = {apply_option, check_format, NULL}, .format = "text"};
  aeh_args a;
  aeh_record rec;
  aeh_version v;
  int rc = start_and_find(cmd, argc, argv, &o, &a, &rec, &v);
  if (rc >= 0)
    return rc;
  aero_error err = AEH_ERROR_INIT;
  json_t *doc = NULL;
  aero_status st = aeh_record_lineage_json(&rec, &v, o.down, &doc, &err);
  if (st != AERO_OK) {
    rc = aeh_read_fail(cmd, st, &err);
  } else if (strcmp(o.format, "json") == 0) {
    rc = aeh_read_write_json(cmd, doc);
  } else {
    if (strcmp(o.format, "dot") == 0) {
      print_dot(doc);
    } else {
      json_t *seen = json_object();
      print_tree(doc, str(doc, "root"), 0, seen);
      json_decref(seen);
    }
    rc = fflush(stdout) == 0 ? AEH_EXIT_OK
                             : aeh_command_write_failed(cmd, errno);
  }
  json_decref(doc);
  aeh_record_close(&rec);
  return rc;
}

/* ---- path, export ---- */

static const aeh_option path_options[] = {
    AEH_READ_STORE_OPTION,
    {NULL, 0, NULL, NULL, 0},
};

typedef struct files {
  char **paths;
  size_t count;
  bool nomem;
} files;

static void keep_path(void *ctx, const char *path) {
  files *f = ctx;
  char **grown = realloc(f->paths, (f->count + 1) * sizeof *grown);
  char *copy = strdup(path);
  if (grown == NULL || copy == NULL) {
    free(copy);
    if (grown != NULL)
      f->paths = grown;
    f->nomem = true;
    return;
  }
  f->paths = grown;
  f->paths[f->count++] = copy;
}

static void free_files(files *f) {
  for (size_t i = 0; i < f->count; i++)
    free(f->paths[i]);
  free(f->paths);
}

/* The version's read-only folder (the backend's view of it) and, when
 * `list`, its files. Returns -1 or an exit code. */
static int materialize(const aeh_command *cmd, aeh_record *rec,
                       const aeh_version *v, files *list, char *dir,
                       size_t size) {
  aero_error err = AEH_ERROR_INIT;
  aero_status st = AEH_RECORD_NEED(rec, materialize, &err);
  if (st == AERO_OK)
    st = rec->vt->materialize(rec->handle, v->id,
                              list != NULL ? keep_path : NULL, list, dir, size,
                              &err);
  if (st == AERO_OK && list != NULL && list->nomem)
    st = aeh_error_set(&err, AERO_E_NOMEM, "out of memory");
  return st == AERO_OK ? -1 : aeh_read_fail(cmd, st, &err);
}

static int cmd_path(const aeh_command *cmd, int argc, char **argv) {
  art_opts o = {.read = {apply_option, NULL, NULL}};
  aeh_args a;
  aeh_record rec;
  aeh_version v;
  int rc = start_and_find(cmd, argc, argv, &o, &a, &rec, &v);
  if (rc >= 0)
    return rc;
  char dir[PATH_MAX];
  rc = materialize(cmd, &rec, &v, NULL, dir, sizeof dir);
  if (rc < 0) {
    printf("%s\n", dir);
    rc = AEH_EXIT_OK;
  }
  aeh_record_close(&rec);
  return rc;
}

/* A read-only copy of `from` as the new file `to`, written under a
 * hidden temp name beside it and linked to its name once whole: what an
 * export leaves under a file's name is that file whole, whether the copy
 * fails (a full disk: the temp file is removed) or the command is killed
 * midway (the temp file stays, under its own name). Returns 0 or an errno
 * value (EEXIST when `to` exists). */
static int copy_file(const char *from, const char *to) {
  const char *slash = strrchr(to, '/');
  char tmp[PATH_MAX];
  if (snprintf(tmp, sizeof tmp, "%.*s.%s.export-XXXXXX",
               slash != NULL ? (int)(slash - to + 1) : 0, to,
               slash != NULL ? slash + 1 : to) >= (int)sizeof tmp)
    return ENAMETOOLONG;
  int in = open(from, O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return errno;
  int out = mkostemp(tmp, O_CLOEXEC);
  int rc = 0;
  if (out < 0) {
    rc = errno;
    close(in);
    return rc;
  }
  char buf[1 << 16];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 || aeh_write_all(out, buf, (size_t)n) != 0) {
      rc = errno != 0 ? errno : EIO;
      break;
    }
  }
  if (rc == 0 && fchmod(out, 0444) != 0)
    rc = errno;
  if (close(out) != 0 && rc == 0)
    rc = errno;
  close(in);
  /* link, not rename: an existing `to` is EEXIST, never replaced. */
  if (rc == 0 && link(tmp, to) != 0)
    rc = errno;
  unlink(tmp);
  return rc;
}

/* export's DIR: a folder, or nothing yet. */
static int check_dest(const aeh_command *cmd, aeh_read_opts *opts,
                      const aeh_args *args) {
  (void)opts;
  struct stat st;
  if (args->positional[1][0] == '\0')
    return aeh_command_usage_error(cmd, "the destination folder is empty");
  if (stat(args->positional[1], &st) == 0 && !S_ISDIR(st.st_mode))
    return aeh_command_usage_error(cmd, "%s exists and is not a folder",
                                   args->positional[1]);
  return -1;
}

static int cmd_export(const aeh_command *cmd, int argc, char **argv) {
  art_opts o = {.read = {apply_option, check_dest, NULL}};
  aeh_args a;
  aeh_record rec;
  aeh_version v;
  int rc = start_and_find(cmd, argc, argv, &o, &a, &rec, &v);
  if (rc >= 0)
    return rc;
  const char *dest = a.positional[1];
  char dir[PATH_MAX] = ""; /* written by a materialize that succeeds */
  files list = {0};
  rc = materialize(cmd, &rec, &v, &list, dir, sizeof dir);
  size_t dir_len = strlen(dir);
  if (rc < 0 && mkdir(dest, 0755) != 0 && errno != EEXIST) {
    fprintf(stderr, "aeromancy %s: cannot create %s: %s\n", cmd->name, dest,
            strerror(errno));
    rc = AEH_EXIT_INFRA;
  }
  size_t linked = 0;
  for (size_t i = 0; rc < 0 && i < list.count; i++) {
    const char *rel = list.paths[i] + dir_len + 1;
    char to[PATH_MAX];
    if (snprintf(to, sizeof to, "%s/%s", dest, rel) >= (int)sizeof to) {
      fprintf(stderr, "aeromancy %s: %s/%s: path too long\n", cmd->name, dest,
              rel);
      rc = AEH_EXIT_INFRA;
      break;
    }
    int e = aeu_mkdirs_parent(to, 0755);
    /* A hard link shares the store's read-only file; across file systems
     * (or past the link limit) a read-only copy. */
    if (e == 0 && link(list.paths[i], to) == 0)
      linked++;
    else if (e == 0 && errno == EEXIST)
      e = EEXIST;
    else if (e == 0)
      e = copy_file(list.paths[i], to);
    if (e != 0) {
      fprintf(stderr, "aeromancy %s: cannot write %s: %s%s\n", cmd->name, to,
              strerror(e),
              e == EEXIST ? " (export into an empty or new folder)" : "");
      rc = e == EEXIST ? AEH_EXIT_USAGE : AEH_EXIT_INFRA;
    }
  }
  if (rc < 0) {
    char ref[512];
    aeh_version_ref(v.entity, v.project, v.name, v.version, ref, sizeof ref);
    fprintf(stderr, "aeromancy export: %s: %zu file%s into %s (%zu hard link%s)\n",
            ref, list.count, list.count == 1 ? "" : "s", dest, linked,
            linked == 1 ? "" : "s");
    rc = AEH_EXIT_OK;
  }
  free_files(&list);
  aeh_record_close(&rec);
  return rc;
}

/* ---- the commands ---- */

const aeh_command aeh_cmd_artifacts = {
    .name = "artifacts",
    .usage = "aeromancy artifacts [NAME] [--json] [--store PATH]",
    .summary = "artifacts, their versions and producing runs",
    .description =
        "Lists every published artifact version: its reference "
        "(project/name:vN), mode, type, file count, size, the run that "
        "produced it, when, and its digest. With NAME "
        "([entity/][project/]name[:vN]) only that artifact's versions, "
        "with their files; an unknown NAME is named with the nearest "
        "existing artifact (exit 3).",
    .options = artifacts_options,
    .max_positional = 1,
    .exits = AEH_EXITS_READ,
    .run = cmd_artifacts,
};

const aeh_command aeh_cmd_lineage = {
    .name = "lineage",
    .usage = "aeromancy lineage REF [--down] [--format text|dot|json] "
             "[--store PATH]",
    .summary = "where a version came from, or where it went",
    .description =
        "Shows the run that produced version REF and that run's inputs, "
        "recursively, down to the versions nobody produced here. With "
        "--down, the runs that read REF and their outputs, recursively. "
        "REF without a version is the latest. Text is an indented tree; "
        "dot is a Graphviz graph (dot -Tsvg); json follows "
        "docs/json-schema.md.",
    .options = lineage_options,
    .min_positional = 1,
    .max_positional = 1,
    .exits = AEH_EXITS_READ,
    .run = cmd_lineage,
};

const aeh_command aeh_cmd_export = {
    .name = "export",
    .usage = "aeromancy export REF DIR [--store PATH]",
    .summary = "a version's files into a folder, read-only",
    .description =
        "Puts the files of version REF into DIR (created if needed; it must "
        "not hold files of the same names), read-only, hard-linked to the "
        "store where the file system allows and copied otherwise.",
    .options = path_options,
    .min_positional = 2,
    .max_positional = 2,
    .exits = AEH_EXITS_READ,
    .run = cmd_export,
};

const aeh_command aeh_cmd_path = {
    .name = "path",
    .usage = "aeromancy path REF [--store PATH]",
    .summary = "the read-only folder of a version's files",
    .description =
        "Prints the read-only folder that holds the files of version REF "
        "(what a notebook reads), building it from the store if needed.",
    .options = path_options,
    .min_positional = 1,
    .max_positional = 1,
    .exits = AEH_EXITS_READ,
    .run = cmd_path,
};
