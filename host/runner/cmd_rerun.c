/* aeromancy rerun: reproduce a run from its record alone, and say whether
 * it was reproduced.
 *
 * The recorded commit is checked out in a temporary git worktree, and
 * `aeromancy go` (this same program, as a child) rebuilds the plugin there
 * and runs only that action, with the recorded project flags and every
 * input pinned (--artifact-override) to the exact version the run read,
 * into the same store. Then the new run's outputs are compared with the
 * old run's by digest, and its plugin SHA-256 and image id with the
 * recorded ones: a difference is reported, never hidden. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aeu.h"
#include "git_state.h"
#include "go.h"
#include "locate.h"
#include "process.h"
#include "read_cmd.h"
#include "shell_words.h"
#include "strv.h"

enum { O_DEV = 1, O_DRY_RUN, O_PROJECT };

typedef struct rerun_opts {
  aeh_read_opts read; /* first: --store, and how the rest is parsed */
  bool dev, dry_run;
  const char *project;
} rerun_opts;

static int apply_option(void *ctx, const aeh_option *op, const char *value) {
  rerun_opts *o = ctx;
  switch (op->id) {
  case O_DEV:
    o->dev = true;
    break;
  case O_DRY_RUN:
    o->dry_run = true;
    break;
  case O_PROJECT:
    o->project = value;
    break;
  }
  return 0;
}

static const aeh_option rerun_options[] = {
    {"dev", 0, NULL,
     "rerun in dev mode (no container): the plugin built on this machine",
     O_DEV},
    {"dry-run", 0, NULL,
     "print the git worktree and aeromancy go command lines, run nothing",
     O_DRY_RUN},
    {"project", 0, "DIR",
     "the project's git repository (default: the work tree of the current "
     "folder)",
     O_PROJECT},
    AEH_READ_STORE_OPTION,
    {NULL, 0, NULL, NULL, 0},
};

static const char *str(const json_t *o, const char *key) {
  return json_string_value(json_object_get(o, key));
}

/* Prints one argument shell-quoted (for --dry-run). */
static void put_quoted(const char *arg) {
  bool plain = arg[0] != '\0';
  for (const char *p = arg; *p != '\0' && plain; p++)
    plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                   "0123456789_-./:=,@+%",
                   *p) != NULL;
  if (plain) {
    fputs(arg, stdout);
    return;
  }
  putchar('\'');
  for (const char *p = arg; *p != '\0'; p++) {
    if (*p == '\'')
      fputs("'\\''", stdout);
    else
      putchar(*p);
  }
  putchar('\'');
}

static void print_argv(char *const *argv) {
  for (size_t i = 0; argv[i] != NULL; i++) {
    if (i > 0)
      putchar(' ');
    put_quoted(argv[i]);
  }
  putchar('\n');
}

/* The `aeromancy go` arguments that repeat run `run` from folder `src`. */
static aero_status go_argv(const json_t *run, const char *self, bool dev,
                           const char *src, aeh_strv *argv, aero_error *err) {
  aero_status st = aeh_strv_push(argv, self);
  if (st == AERO_OK)
    st = aeh_strv_push(argv, "go");
  if (st == AERO_OK && dev)
    st = aeh_strv_push(argv, "--dev");
  /* Run it again for real: never reuse the past success being checked. */
  if (st == AERO_OK)
    st = aeh_strv_push(argv, "--force");
  if (st == AERO_OK)
    st = aeh_strv_push(argv, "--project");
  if (st == AERO_OK)
    st = aeh_strv_push(argv, src);
  /* Only this action: its parents' outputs come pinned. */
  const char *first = json_string_value(
      json_array_get(json_object_get(run, "output_names"), 0));
  if (st == AERO_OK)
    st = aeh_strv_push(argv, "--only");
  if (st == AERO_OK)
    st = aeh_strv_pushf(argv, "%s %s", str(run, "job_type"),
                        first != NULL ? first : "");
  size_t i;
  const json_t *in;
  json_array_foreach(json_object_get(run, "inputs"), i, in) {
    if (st == AERO_OK)
      st = aeh_strv_push(argv, "--artifact-override");
    if (st == AERO_OK)
      st = aeh_strv_push(argv, str(in, "ref"));
  }
  const char *line = str(json_object_get(run, "environment"), "command_line");
  const char *flags = line != NULL ? strstr(line, " -- ") : NULL;
  /* aerohost's --timeout, as recorded: without it a run that timed out
   * could never time out again. (Other host options do not change what an
   * action computes; --only and the overrides above stand for the rest.) */
  if (st == AERO_OK && line != NULL) {
    char *head = strndup(line, flags != NULL ? (size_t)(flags - line)
                                             : strlen(line));
    aeh_strv words = {0};
    if (head == NULL ||
        aeh_shell_words_split(head, &words, NULL) == AERO_E_NOMEM)
      st = AERO_E_NOMEM;
    for (size_t w = 0; st == AERO_OK && w < words.n; w++) {
      if (strcmp(words.v[w], "--timeout") == 0 && w + 1 < words.n)
        st = aeh_strv_pushf(argv, "--timeout=%s", words.v[w + 1]);
      else if (strncmp(words.v[w], "--timeout=", 10) == 0)
        st = aeh_strv_push(argv, words.v[w]);
    }
    aeh_strv_free(&words);
    free(head);
  }
  if (st == AERO_OK && flags != NULL) {
    st = aeh_strv_push(argv, "--");
    if (st == AERO_OK)
      st = aeh_shell_words_split(flags + 4, argv, err);
  }
  if (st == AERO_E_NOMEM)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  return st;
}

/* Runs git with `args` in `dir`; *code is its exit code. The first line
 * of its stderr goes to `why`. */
static aero_status git(const char *dir, const char *const *args, int *code,
                       char *why, size_t why_size, aero_error *err) {
  aeh_strv argv = AEH_STRV_INIT;
  aero_status st = aeh_strv_push(&argv, "git");
  if (st == AERO_OK)
    st = aeh_strv_push(&argv, "-C");
  if (st == AERO_OK)
    st = aeh_strv_push(&argv, dir);
  for (size_t i = 0; st == AERO_OK && args[i] != NULL; i++)
    st = aeh_strv_push(&argv, args[i]);
  aeh_spawn_out out = {0};
  if (st == AERO_OK)
    st = aeh_spawn_capture(aeh_strv_argv(&argv), NULL, &out, err);
  else
    st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  if (st == AERO_OK) {
    *code = out.code;
    aeh_spawn_first_line(out.err, why, why_size);
    aeh_spawn_out_free(&out);
  }
  aeh_strv_free(&argv);
  return st;
}

/* The newest run of `project`/`job_type` with an id above `after`. */
typedef struct newest {
  int64_t id;
} newest;

static aero_status keep_id(void *ctx, const aero_run_info *run,
                           aero_error *err) {
  (void)err;
  ((newest *)ctx)->id = run->id;
  return AERO_OK;
}

/* {"project/name": digest} of a run document's outputs. */
static json_t *output_digests(const json_t *run) {
  json_t *o = json_object();
  size_t i;
  const json_t *v;
  json_array_foreach(json_object_get(run, "outputs"), i, v) {
    char key[300];
    snprintf(key, sizeof key, "%s/%s", str(v, "project"), str(v, "name"));
    json_object_set(o, key, json_object_get(v, "digest"));
  }
  return o;
}

/* Compares the new run with the old one; prints the verdict. Returns the
 * exit code: 0 every output identical, 1 otherwise. */
static int compare(const json_t *old, const json_t *fresh) {
  const json_t *old_env = json_object_get(old, "environment");
  const json_t *new_env = json_object_get(fresh, "environment");
  static const char *const facts[][2] = {
      {"plugin_sha256", "the rebuilt plugin's SHA-256"},
      {"image_id", "the host image"}};
  for (size_t i = 0; i < 2; i++) {
    const char *a = str(old_env, facts[i][0]);
    const char *b = str(new_env, facts[i][0]);
    if (a != NULL && b != NULL && strcmp(a, b) != 0)
      fprintf(stderr,
              "aeromancy rerun: warning: %s differs from the recorded one "
              "(%.16s... recorded, %.16s... now)\n",
              facts[i][1], a, b);
  }
  json_t *before = output_digests(old);
  json_t *after = output_digests(fresh);
  size_t total = json_object_size(before), same = 0;
  char differing[1024] = "";
  const char *key;
  json_t *digest;
  json_object_foreach(before, key, digest) {
    const json_t *now = json_object_get(after, key);
    bool equal = now != NULL && json_equal(digest, now);
    printf("%s\t%s\t%s\t%s\n", equal ? "identical" : "differs", key,
           json_string_value(digest),
           now != NULL ? json_string_value(now) : "-");
    if (equal) {
      same++;
    } else {
      size_t len = strlen(differing);
      snprintf(differing + len, sizeof differing - len, "%s%s",
               len > 0 ? ", " : "", key);
    }
  }
  fflush(stdout);
  json_decref(before);
  json_decref(after);
  if (same == total) {
    fprintf(stderr, "reproduced: %zu of %zu outputs identical (run %lld)\n",
            same, total,
            (long long)json_integer_value(json_object_get(fresh, "id")));
    return AEH_EXIT_OK;
  }
  fprintf(stderr,
          "not reproduced: %zu of %zu outputs identical (run %lld); "
          "differing: %s\n",
          same, total,
          (long long)json_integer_value(json_object_get(fresh, "id")),
          differing);
  return AEH_EXIT_ACTION_FAILED;
}

/* Removes the plugin build folder `aeromancy go` made for the rerun's
 * worktree `src` (go.c's build_dir_for names it NAME-HASH, HASH the first
 * six bytes of the SHA-256 of the project's folder): each rerun's worktree
 * is a new folder, and each left a whole build tree in the cache. */
static void remove_build_of(const char *src) {
  unsigned char md[32];
  char *cache = NULL, suffix[16];
  aero_error ignored = AEH_ERROR_INIT;
  if (aeu_sha256_buf(src, strlen(src), md) != 0 ||
      aeh_layout_cache_dir(&cache, &ignored) != AERO_OK)
    return;
  snprintf(suffix, sizeof suffix, "-%02x%02x%02x%02x%02x%02x", md[0], md[1],
           md[2], md[3], md[4], md[5]);
  char builds[PATH_MAX];
  snprintf(builds, sizeof builds, "%s/build", cache);
  free(cache);
  DIR *d = opendir(builds);
  struct dirent *e;
  while (d != NULL && (e = readdir(d)) != NULL) {
    size_t n = strlen(e->d_name), s = strlen(suffix);
    if (n <= s || strcmp(e->d_name + n - s, suffix) != 0)
      continue;
    char path[PATH_MAX + 300];
    snprintf(path, sizeof path, "%s/%s", builds, e->d_name);
    char *const rmtree[] = {"rm", "-rf", path, NULL};
    aeh_spawn_out out = {0};
    if (aeh_spawn_capture(rmtree, NULL, &out, &ignored) == AERO_OK)
      aeh_spawn_out_free(&out);
  }
  if (d != NULL)
    closedir(d);
}

static int cmd_rerun(const aeh_command *cmd, int argc, char **argv) {
  rerun_opts o = {.read = {apply_option, NULL, NULL}};
  aeh_args a;
  aeh_record rec;
  int rc = aeh_read_start(cmd, argc, argv, &o.read, &a, &rec);
  if (rc >= 0)
    return rc;
  aero_error err = AEH_ERROR_INIT;
  int64_t id = 0;
  json_t *old = NULL, *fresh = NULL;
  char *repo = NULL;
  char tmp[] = "/tmp/aeromancy-rerun-XXXXXX";
  bool made_tmp = false, made_worktree = false;
  char src[sizeof tmp + 8];
  aeh_strv go = AEH_STRV_INIT;
  aero_status st = aeh_record_find_run(&rec, a.positional[0], &id, &err);
  if (st == AERO_OK)
    st = aeh_record_run_json(&rec, id, &old, &err);
  if (st != AERO_OK) {
    rc = aeh_read_fail(cmd, st, &err);
    goto done;
  }
  const char *commit = str(json_object_get(old, "environment"), "git_commit");
  if (commit == NULL || commit[0] == '\0') {
    rc = aeh_command_usage_error(
        cmd,
        "run %lld recorded no git commit (a dev run from a dirty tree or "
        "outside git): it cannot be reproduced from its record",
        (long long)id);
    goto done;
  }
  char cwd[PATH_MAX];
  const char *start = o.project != NULL                 ? o.project
                      : getcwd(cwd, sizeof cwd) != NULL ? cwd
                                                        : ".";
  st = aeh_git_toplevel(start, &repo, &err);
  if (st != AERO_OK) {
    rc = aeh_command_usage_error(cmd, "%s", err.message);
    goto done;
  }
  char why[512] = "";
  int code = 0;
  char object[128];
  snprintf(object, sizeof object, "%s^{commit}", commit);
  const char *cat[] = {"cat-file", "-e", object, NULL};
  st = git(repo, cat, &code, why, sizeof why, &err);
  if (st == AERO_OK && code != 0) {
    fprintf(stderr,
            "aeromancy rerun: commit %s of run %lld is unknown to the "
            "repository at %s (fetch it, or rerun from the repository that "
            "made it)\n",
            commit, (long long)id, repo);
    rc = AEH_EXIT_BEFORE_RUN;
    goto done;
  }
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (st != AERO_OK || n <= 0) {
    rc = st != AERO_OK ? aeh_read_fail(cmd, st, &err) : AEH_EXIT_INFRA;
    goto done;
  }
  self[n] = '\0';
  if (o.dry_run) {
    snprintf(src, sizeof src, "%s/src", tmp);
    st = go_argv(old, "aeromancy", o.dev, src, &go, &err);
    if (st != AERO_OK) {
      rc = aeh_read_fail(cmd, st, &err);
      goto done;
    }
    char *const wt[] = {"git",      "-C", repo,           "worktree", "add",
                        "--detach", src,  (char *)commit, NULL};
    print_argv(wt);
    printf("AEROMANCY_STORE=");
    put_quoted(aeh_record_location(&rec));
    putchar(' ');
    print_argv(aeh_strv_argv(&go));
    rc = AEH_EXIT_OK;
    goto done;
  }
  if (mkdtemp(tmp) == NULL) {
    fprintf(stderr, "aeromancy rerun: cannot create a temporary folder: %s\n",
            strerror(errno));
    rc = AEH_EXIT_INFRA;
    goto done;
  }
  made_tmp = true;
  snprintf(src, sizeof src, "%s/src", tmp);
  const char *add[] = {"worktree", "add", "--detach", src, commit, NULL};
  st = git(repo, add, &code, why, sizeof why, &err);
  if (st != AERO_OK || code != 0) {
    fprintf(stderr, "aeromancy rerun: git worktree add %s: %s\n", commit,
            st != AERO_OK ? err.message : why);
    rc = AEH_EXIT_INFRA;
    goto done;
  }
  made_worktree = true;
  /* The new run goes after every run there is now. */
  newest last = {0};
  aero_run_filter all = {.struct_size = sizeof all, .limit = 1};
  st = rec.vt->query_runs(rec.handle, &all, keep_id, &last, &err);
  if (st == AERO_OK)
    st = go_argv(old, self, o.dev, src, &go, &err);
  char *set = NULL;
  char **envp = NULL;
  if (st == AERO_OK &&
      (asprintf(&set, "AEROMANCY_STORE=%s", aeh_record_location(&rec)) < 0 ||
       (envp = aeh_spawn_env_with(NULL, &set, 1)) == NULL))
    st = aeh_error_set(&err, AERO_E_NOMEM, "out of memory");
  int go_code = 0;
  if (st == AERO_OK) {
    fprintf(stderr, "aeromancy rerun: run %lld at commit %.12s in %s\n",
            (long long)id, commit, src);
    fflush(NULL);
    st = aeh_spawn_foreground(aeh_strv_argv(&go), NULL, envp, true, &go_code,
                              &err);
  }
  free(envp);
  free(set);
  if (st != AERO_OK) {
    rc = aeh_read_fail(cmd, st, &err);
    goto done;
  }
  newest made = {0};
  aero_run_filter mine = {.struct_size = sizeof mine,
                          .project = str(old, "project"),
                          .job_type = str(old, "job_type"),
                          .after_id = last.id,
                          .limit = 1};
  st = rec.vt->query_runs(rec.handle, &mine, keep_id, &made, &err);
  if (st == AERO_OK && made.id == 0) {
    fprintf(stderr,
            "aeromancy rerun: not reproduced: the rerun recorded no run of "
            "[%s] (aeromancy go exited %d)\n",
            str(old, "job_type"), go_code);
    rc = go_code != 0 ? go_code : AEH_EXIT_ACTION_FAILED;
    goto done;
  }
  if (st == AERO_OK)
    st = aeh_record_run_json(&rec, made.id, &fresh, &err);
  if (st != AERO_OK) {
    rc = aeh_read_fail(cmd, st, &err);
    goto done;
  }
  if (strcmp(str(fresh, "status"), "ok") != 0) {
    fprintf(stderr, "aeromancy rerun: not reproduced: run %lld ended %s%s%s\n",
            (long long)made.id, str(fresh, "status"),
            str(fresh, "message") != NULL ? ": " : "",
            str(fresh, "message") != NULL ? str(fresh, "message") : "");
    rc = AEH_EXIT_ACTION_FAILED;
    goto done;
  }
  /* The original did not succeed: a rerun that does is another outcome,
   * not a reproduction (it compared no outputs: "0 of 0 identical"). */
  if (strcmp(str(old, "status"), "ok") != 0 &&
      strcmp(str(old, "status"), "reused") != 0) {
    fprintf(stderr,
            "aeromancy rerun: not reproduced: run %lld ended ok, where run "
            "%lld ended %s\n",
            (long long)made.id,
            (long long)json_integer_value(json_object_get(old, "id")),
            str(old, "status"));
    rc = AEH_EXIT_ACTION_FAILED;
    goto done;
  }
  rc = compare(old, fresh);
done:
  if (made_worktree) {
    remove_build_of(src);
    const char *rm[] = {"worktree", "remove", "--force", src, NULL};
    int ignored = 0;
    aero_error e2 = AEH_ERROR_INIT;
    char w2[64];
    git(repo, rm, &ignored, w2, sizeof w2, &e2);
  }
  if (made_tmp) {
    char *const rmtree[] = {"rm", "-rf", tmp, NULL};
    aeh_spawn_out out = {0};
    aero_error e3 = AEH_ERROR_INIT;
    if (aeh_spawn_capture(rmtree, NULL, &out, &e3) == AERO_OK)
      aeh_spawn_out_free(&out);
  }
  aeh_strv_free(&go);
  free(repo);
  json_decref(old);
  json_decref(fresh);
  aeh_record_close(&rec);
  return rc;
}

const aeh_command aeh_cmd_rerun = {
    .name = "rerun",
    .usage = "aeromancy rerun RUN [--dev] [--dry-run] [--project DIR] "
             "[--store PATH]",
    .summary = "reproduce a run from its record, and compare",
    .description =
        "Reproduces run RUN from its record alone: its git commit is checked "
        "out in a temporary worktree (a commit the repository does not know "
        "is an error), the plugin is rebuilt there (in the host image, "
        "rebuilt from its recipe if it is gone; with --dev on this "
        "machine), and only that action runs with the recorded project "
        "flags and --timeout and every input pinned to the version the run "
        "read. A run that did not succeed (failed, timed out, killed...) "
        "is not reproduced by a rerun that does. Then "
        "each output's digest is compared with the original's: one line per "
        "output (identical or differs, artifact, old digest, new digest) "
        "and \"reproduced: N of N outputs identical\", or the differing "
        "ones named. A rebuilt plugin or an image whose digest differs "
        "from the recorded one is reported as a warning.\n\n"
        "--dry-run prints the equivalent git worktree and aeromancy go "
        "command lines.\n\n"
        "Exit codes: 0 reproduced; 1 an output differs or the rerun "
        "failed; 2 infrastructure; 3 unknown run or commit, no commit "
        "recorded, not in a git repository. A rerun whose aeromancy go "
        "failed and recorded no run exits with go's own code (3: the plugin "
        "did not build; 128+N: killed by signal N).",
    .options = rerun_options,
    .min_positional = 1,
    .max_positional = 1,
    .exits = AEH_EXITS_OWN,
    .run = cmd_rerun,
};
