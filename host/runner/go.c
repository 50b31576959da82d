#include "go.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aeu.h"
#include "container_store.h"
#include "git_state.h"
#include "image.h"
#include "locate.h"
#include "process.h"
#include "project.h"
#include "slurm_wrapper.h"
#include "tracker.h"

extern char **environ;

/* Where things are inside the container. */
#define IN_PROJECT "/project"
#define IN_BUILD "/build"
#define IN_PLUGIN_DIR "/plugin"
#define IN_PACKAGES "/usr/share/aeromancy/packages.txt"

/* The shell script the container runs before aerohost: builds the plugin
 * (configure once, then incremental ninja), shows the compiler's output
 * only when the build fails (or with --debug), and execs the command it is
 * given with the plugin's path inserted after its first two words
 * (`aerohost run`). Positional parameters carry every value, so nothing is
 * ever re-quoted. $1 target ("": the build's one plugin target, from its
 * aeromancy-plugins.txt), $2 "1" to build, $3 "run", "shell" or "build"
 * (print the plugin's path in the container and stop), $4 "1" for
 * --debug, $5 the plugin's path (with --plugin; else found by the build),
 * then the command. */
static const char build_script[] =
    "t=$1 build=$2 mode=$3 debug=$4 plugin=$5; shift 5\n"
    "list=" IN_BUILD "/aeromancy-plugins.txt tab=$(printf '\\t')\n"
    "if [ \"$build\" = 1 ]; then\n"
    "  if [ ! -f " IN_BUILD "/build.ninja ] || [ ! -f \"$list\" ]; then\n"
    "    log=$(cmake -S " IN_PROJECT " -B " IN_BUILD " -G Ninja"
    " -DCMAKE_BUILD_TYPE=RelWithDebInfo"
    " -DCMAKE_LIBRARY_OUTPUT_DIRECTORY=" IN_BUILD "/plugin 2>&1) || {\n"
    "      printf '%s\\n' \"$log\" >&2\n"
    "      echo \"aeromancy: configuring the plugin build failed (CMake output"
    " above)\" >&2; exit 3; }\n"
    "  fi\n"
    /* pick: the list's plugin target ($t, when $1 named none) and its
     * file ($f); before the build, and after it, which configures again
     * when CMakeLists.txt changed. */
    "  pick() {\n"
    "    n=0 names= f= first=\n"
    "    while IFS=\"$tab\" read -r name file; do\n"
    "      n=$((n + 1)) names=\"$names${names:+, }$name\"\n"
    "      [ -n \"$first\" ] || first=$name\n"
    "      [ \"$name\" = \"${1:-$first}\" ] && f=$file\n"
    "    done <\"$list\"\n"
    "    [ -n \"$1\" ] && return 0\n"
    "    if [ \"$n\" = 0 ]; then\n"
    "      echo \"aeromancy: the project's CMakeLists.txt makes no plugin"
    " (add aeromancy_add_plugin(NAME SOURCES ...)), or set [build] target in"
    " aeromancy.ini\" >&2; exit 3\n"
    "    elif [ \"$n\" != 1 ]; then\n"
    "      echo \"aeromancy: the project makes $n plugins ($names): choose one"
    " with [build] target = NAME in aeromancy.ini\" >&2; exit 3\n"
    "    fi\n"
    "    t=$first\n"
    "  }\n"
    /* A changed CMakeLists.txt regenerates the build (and the list) first,
     * so that the list read before the build is not stale. */
    "  ninja -C " IN_BUILD " build.ninja >/dev/null 2>&1\n"
    "  given=$t\n"
    "  pick \"$given\"\n"
    "  log=$(ninja -C " IN_BUILD " \"$t\" 2>&1) || {\n"
    "    printf '%s\\n' \"$log\" >&2\n"
    "    echo \"aeromancy: building the plugin target '$t' failed (build"
    " output above)\" >&2; exit 3; }\n"
    "  [ \"$debug\" = 1 ] && printf '%s\\n' \"$log\" >&2\n"
    "  built=$t\n"
    "  pick \"$given\"\n"
    "  if [ \"$t\" != \"$built\" ]; then\n"
    "    echo \"aeromancy: the project's plugin target changed from '$built'"
    " to '$t' while it was built: run again\" >&2; exit 3\n"
    "  fi\n"
    /* A target made without aeromancy_add_plugin: its t.so, anywhere. */
    "  [ -n \"$f\" ] || f=$(find " IN_BUILD " -path " IN_BUILD "/plugin -prune"
    " -o -name \"$t.so\" -type f -print | head -n 1)\n"
    "  [ -n \"$f\" ] || f=" IN_BUILD "/plugin/$t.so\n"
    "  if [ ! -f \"$f\" ]; then\n"
    "    echo \"aeromancy: the build made no $t.so (does CMakeLists.txt call"
    " aeromancy_add_plugin($t ...)? set [build] target in aeromancy.ini)\""
    " >&2; exit 3\n"
    "  fi\n"
    /* A project that sets its own output folder: its plugin is copied
     * where the read-only /plugin mount shows it. */
    "  b=${f##*/}\n"
    "  if [ \"$f\" != " IN_BUILD "/plugin/\"$b\" ]; then\n"
    "    cp -p \"$f\" " IN_BUILD "/plugin/\"$b\" || exit 3\n"
    "  fi\n"
    "  plugin=" IN_PLUGIN_DIR "/$b\n"
    "fi\n"
    "if [ \"$debug\" = 1 ]; then\n"
    "  sum=$(sha256sum \"$plugin\") && echo \"aeromancy: plugin $plugin"
    " sha256 ${sum%% *}\" >&2\n"
    "fi\n"
    /* Slurm: the jobs run the plugin later; only its path is wanted. */
    "if [ \"$mode\" = build ]; then printf '%s\\n' \"$plugin\"; exit 0; fi\n"
    "cmd=$1 sub=$2; shift 2\n"
    "if [ \"$mode\" = shell ]; then\n"
    "  echo \"aeromancy: debug shell in the host image; the run would be:"
    " $cmd $sub $plugin $*\" >&2\n"
    "  if command -v bash >/dev/null; then exec bash; else exec sh; fi\n"
    "fi\n"
    "exec \"$cmd\" \"$sub\" \"$plugin\" \"$@\"\n";

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("aeromancy: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

/* Prints an error and gives the exit code for it. */
static int fail(const aero_error *err, int code) {
  say("%s", err->message[0] ? err->message : aero_status_str(err->code));
  return code;
}

static void show_command(const char *what, char *const *argv) {
  fprintf(stderr, "aeromancy: %s:", what);
  for (size_t i = 0; argv[i] != NULL; i++) {
    const char *a = argv[i];
    /* The build script is long; its text is in go.c. */
    if (i > 0 && strcmp(argv[i - 1], "-c") == 0 && strchr(a, '\n'))
      a = "<build script>";
    fprintf(stderr, strpbrk(a, " \t\n'\"") ? " '%s'" : " %s", a);
  }
  fputc('\n', stderr);
}

/* The project root: --project as given, else the git work tree holding the
 * current folder, else the current folder. */
static aero_status find_project_dir(const char *given, char **out,
                                    aero_error *err) {
  char buf[PATH_MAX];
  if (given != NULL) {
    struct stat st;
    if (realpath(given, buf) == NULL || stat(buf, &st) != 0 ||
        !S_ISDIR(st.st_mode))
      return aeh_error_set(err, AERO_E_CONFIG, "--project %s: not a folder",
                           given);
    *out = strdup(buf);
    return *out ? AERO_OK : aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  }
  if (getcwd(buf, sizeof buf) == NULL)
    return aeh_error_set(err, AERO_E_IO, "cannot read the current folder: %s",
                         strerror(errno));
  aero_error ignored = AEH_ERROR_INIT;
  char *top = NULL;
  if (aeh_git_toplevel(buf, &top, &ignored) == AERO_OK) {
    *out = top;
    return AERO_OK;
  }
  *out = strdup(buf);
  return *out ? AERO_OK : aeh_error_set(err, AERO_E_NOMEM, "out of memory");
}

static const char *const reserved_names[] = {"AEROMANCY_GIT_COMMIT",
                                             "AEROMANCY_GIT_BRANCH",
                                             "AEROMANCY_GIT_MESSAGE",
                                             "AEROMANCY_GIT_REMOTE",
                                             "AEROMANCY_IMAGE_ID",
                                             "AEROMANCY_PACKAGES_FILE",
                                             "AEROMANCY_PASSTHROUGH",
                                             "AEROMANCY_STORE",
                                             "AEROMANCY_BACKEND",
                                             "AEROMANCY_BLOBS",
                                             "AEROMANCY_CACHE",
                                             "AEROMANCY_SLURM_ACTION",
                                             "AEROMANCY_SLURM_INPUTS",
                                             "AEROMANCY_SLURM_DIR",
                                             "AEROMANCY_SLURM_JOB_COMMAND",
                                             NULL};

static int is_reserved(const char *name) {
  for (size_t i = 0; reserved_names[i]; i++)
    if (strcmp(reserved_names[i], name) == 0)
      return 1;
  return 0;
}

/* Loads the project's settings; --store wins over the store they name. */
static aero_status load_project(const aeh_go_options *o, const char *dir,
                                bool required, aeh_project *p,
                                aero_error *err) {
  aero_status st = aeh_project_load(dir, required, p, err);
  if (st != AERO_OK || o->store == NULL)
    return st;
  char *store = NULL;
  st = aeh_store_choose_location(o->store, dir, &store, err);
  if (st != AERO_OK) {
    aeh_project_free(p);
    return st;
  }
  free(p->store);
  p->store = store;
  return AERO_OK;
}

/* Whether aerohost is asked to submit the actions as Slurm jobs. */
static bool wants_slurm(const aeh_go_options *o) {
  for (size_t i = 0; i + 1 < o->host_args.n; i++)
    if (strcmp(o->host_args.v[i], "--executor") == 0 &&
        strcmp(o->host_args.v[i + 1], "slurm") == 0)
      return true;
  return false;
}

/* Checks what came from the command line, before anything starts. */
static aero_status check_options(const aeh_go_options *o, aero_error *err) {
  for (size_t i = 0; i < o->env_names.n; i++) {
    const char *n = o->env_names.v[i];
    if (!aeh_project_valid_env_name(n))
      return aeh_error_set(err, AERO_E_INVALID,
                           "--extra-env-var '%s': not a variable name "
                           "(letters, digits, _; pass the NAME, never the "
                           "value)",
                           n);
  }
  for (size_t i = 0; i < o->packages.n; i++)
    if (!aeh_project_valid_package(o->packages.v[i]))
      return aeh_error_set(err, AERO_E_INVALID,
                           "--extra-debian-package '%s': not a Debian "
                           "package name",
                           o->packages.v[i]);
  for (size_t i = 0; i < o->overrides.n; i++) {
    const char *ov = o->overrides.v[i];
    const char *colon = strrchr(ov, ':');
    if (colon == NULL || colon == ov || colon[1] == '\0' ||
        strpbrk(ov, " \t\n") != NULL)
      return aeh_error_set(err, AERO_E_INVALID,
                           "--artifact-override '%s': expected NAME:VERSION "
                           "(e.g. aerodemo/model:v3)",
                           ov);
  }
  if (o->dev && o->debug_shell)
    return aeh_error_set(err, AERO_E_INVALID,
                         "--debug-shell opens a shell in the container; it "
                         "cannot be combined with --dev");
  if (o->debug_shell && wants_slurm(o))
    return aeh_error_set(err, AERO_E_INVALID,
                         "--debug-shell opens a shell in one container; it "
                         "cannot be combined with --executor slurm");
  return AERO_OK;
}

/* The passthrough names (ini, then --extra-env-var), without duplicates. */
static aero_status passthrough_names(const aeh_project *p,
                                     const aeh_go_options *o, aeh_strv *out,
                                     aero_error *err) {
  const aeh_strv *lists[2] = {&p->passthrough, &o->env_names};
  for (int l = 0; l < 2; l++) {
    for (size_t i = 0; i < lists[l]->n; i++) {
      const char *n = lists[l]->v[i];
      if (is_reserved(n))
        return aeh_error_set(err, AERO_E_INVALID,
                             "%s is set by the runner itself and cannot be "
                             "passed through",
                             n);
      if (aeh_strv_contains(out, n))
        continue;
      if (getenv(n) == NULL) {
        say("warning: %s is not set here, so it is not passed on", n);
        continue;
      }
      if (aeh_strv_push(out, n) != AERO_OK)
        return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
    }
  }
  return AERO_OK;
}

/* Production runs come from a clean, committed tree on a feature branch.
 * `also` runs alongside git's queries (see aeh_git_inspect). */
static aero_status check_git(const aeh_project *p, char *const *also,
                             aeh_spawn_out *also_out, aeh_git_state *state,
                             aero_error *err) {
  aeh_strv dirty = AEH_STRV_INIT;
  aeh_git_state s = {0};
  aero_status st = aeh_git_inspect(p->dir, also, also_out, &dirty, &s, err);
  if (st == AERO_E_NOT_FOUND) {
    st = aeh_error_set(err, AERO_E_CONFIG,
                       "%s is not in a git repository: production runs record "
                       "the commit they run (git init && git commit, or run "
                       "with --dev)",
                       p->dir);
    goto done;
  }
  if (st != AERO_OK)
    goto done;
  if (dirty.n > 0) {
    /* One line: the first few paths, then how many more. */
    char list[1024] = "";
    size_t shown = 0, used = 0;
    for (; shown < dirty.n && shown < 8; shown++) {
      int w = snprintf(list + used, sizeof list - used, "%s%s",
                       shown ? ", " : "", dirty.v[shown]);
      if (w < 0 || (size_t)w >= sizeof list - used)
        break;
      used += (size_t)w;
    }
    char more[64] = "";
    if (shown < dirty.n)
      snprintf(more, sizeof more, " and %zu more", dirty.n - shown);
    st = aeh_error_set(err, AERO_E_CONFIG,
                       "refusing a production run: the work tree has "
                       "uncommitted changes or untracked files (%s%s); commit "
                       "them (or add them to .gitignore), or run with --dev",
                       list, more);
    goto done;
  }
  if (!p->allow_main &&
      (strcmp(s.branch, "main") == 0 || strcmp(s.branch, "master") == 0)) {
    st = aeh_error_set(err, AERO_E_CONFIG,
                       "refusing a production run on branch '%s': run "
                       "experiments from a feature branch (git switch -c "
                       "my-experiment), or set allow_main = true under [git] "
                       "in %s",
                       s.branch, p->ini_path);
    goto done;
  }
  *state = s;
  s = (aeh_git_state){0};
done:
  aeh_git_state_free(&s);
  aeh_strv_free(&dirty);
  return st;
}

/* The host image's recipe for this project: context, packages, hash, tag. */
typedef struct recipe {
  aeh_layout layout;
  aeh_strv files;
  aeh_strv packages; /* sorted, unique */
  char hex[65];
  char *tag; /* REPO:<12 hex> */
} recipe;

static void recipe_free(recipe *r) {
  free(r->tag);
  aeh_strv_free(&r->packages);
  aeh_strv_free(&r->files);
  aeh_layout_free(&r->layout);
  *r = (recipe){0};
}

static aero_status recipe_prepare(const aeh_project *p, const aeh_go_options *o,
                                  recipe *out, aero_error *err) {
  recipe r = {0};
  aero_status st = aeh_layout_find(&r.layout, err);
  if (st == AERO_OK)
    st = aeh_image_context_files(r.layout.context_dir, &r.files, err);
  if (st == AERO_OK &&
      (aeh_strv_extend(&r.packages, &p->debian_packages) != AERO_OK ||
       aeh_strv_extend(&r.packages, &o->packages) != AERO_OK))
    st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  aeh_strv_sort_unique(&r.packages);
  if (st == AERO_OK)
    st = aeh_image_recipe_hash(r.layout.context_dir, &r.files, p->base_image,
                               &r.packages, r.hex, err);
  if (st == AERO_OK && asprintf(&r.tag, "%s:%.12s", p->image_repo, r.hex) < 0) {
    r.tag = NULL;
    st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  }
  if (st == AERO_OK) {
    *out = r;
    r = (recipe){0};
  }
  recipe_free(&r);
  return st;
}

/* The base image the recipe builds from: [container] base_image or
 * AEROMANCY_BASE_IMAGE, else the Dockerfile's own default (its
 * `ARG BASE_IMAGE=` line), into `out`. */
static void base_image_of(const aeh_project *p, const recipe *r, char *out,
                          size_t size) {
  char path[PATH_MAX], line[512];
  snprintf(out, size, "%s", p->base_image != NULL ? p->base_image : "");
  snprintf(path, sizeof path, "%s/Dockerfile", r->layout.context_dir);
  FILE *f = p->base_image == NULL ? fopen(path, "r") : NULL;
  while (f != NULL && fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, "ARG BASE_IMAGE=", 15) == 0) {
      snprintf(out, size, "%.*s", (int)strcspn(line + 15, " \t\r\n"),
               line + 15);
      break;
    }
  }
  if (f != NULL)
    fclose(f);
}

/* After a failed image build: when the base image is not on this machine,
 * the engine could not pull it (no registry reachable, or no such image),
 * and the way out is the base image script. Replaces the message. */
static void explain_missing_base(const aeh_project *p, const recipe *r,
                                 aero_error *err) {
  char base[256], *id = NULL;
  aero_error ignored = AEH_ERROR_INIT;
  base_image_of(p, r, base, sizeof base);
  if (base[0] == '\0' ||
      aeh_image_inspect(p->engine, base, &id, &ignored) != AERO_OK ||
      id != NULL) {
    free(id);
    return;
  }
  aeh_error_set(err, AERO_E_IO,
                "building the host image failed: its base image %s is not on "
                "this machine and %s could not pull it (its message is "
                "above). Where no image registry is reachable, make a base "
                "image from this machine's Debian mirror: sudo "
                "%s/cmake/make-base-image.sh, then set "
                "AEROMANCY_BASE_IMAGE=aeromancy-base:bookworm (or [container] "
                "base_image in aeromancy.ini)",
                base, p->engine, r->layout.context_dir);
}

/* The id of the image for the recipe, built first when it is missing (or
 * with --rebuild). `inspected` is the result of its `image inspect`,
 * already run alongside git; NULL runs it here. */
static aero_status ensure_image(const aeh_project *p, const aeh_go_options *o,
                                const recipe *r, const aeh_spawn_out *inspected,
                                char **id_out, aero_error *err) {
  char *id = NULL;
  aero_status st =
      inspected != NULL
          ? aeh_image_inspect_result(p->engine, inspected, &id, err)
          : aeh_image_inspect(p->engine, r->tag, &id, err);
  if (st == AERO_OK && (id == NULL || o->rebuild)) {
    say("building the host image %s (%s; this takes a few minutes, once per "
        "recipe)",
        r->tag, id == NULL ? "no image for this recipe yet" : "--rebuild");
    free(id);
    id = NULL;
    aeh_image_spec spec = {
        .engine = p->engine,
        .context_dir = r->layout.context_dir,
        .files = &r->files,
        .tag = r->tag,
        .recipe = r->hex,
        .base_image = p->base_image,
        .packages = &r->packages,
        .no_cache = o->rebuild,
        .debug = o->debug,
    };
    st = aeh_image_build(&spec, err);
    if (st != AERO_OK)
      explain_missing_base(p, r, err);
    if (st == AERO_OK)
      st = aeh_image_inspect(p->engine, r->tag, &id, err);
    if (st == AERO_OK && id == NULL)
      st = aeh_error_set(err, AERO_E_IO,
                         "the image %s is missing right after its build",
                         r->tag);
  } else if (st == AERO_OK && o->debug) {
    say("image %s is up to date (%s)", r->tag, id);
  }
  if (st == AERO_OK)
    *id_out = id;
  else
    free(id);
  return st;
}

/* The plugin's build folder for this project, one per image recipe (or
 * "dev" for host builds): CACHE/build/NAME-<hash of the project path>/KEY.
 * Folders of older recipes are removed when a new one starts. */
static aero_status build_dir_for(const aeh_project *p, const char *key,
                                 char **out, aero_error *err) {
  aero_status st = AERO_OK;
  char *cache = NULL, *root = NULL, *dir = NULL;
  unsigned char md[32];
  if (aeu_sha256_buf(p->dir, strlen(p->dir), md) != 0)
    return aeh_error_set(err, AERO_E_IO, "SHA-256 failed");
  st = aeh_layout_cache_dir(&cache, err);
  if (st != AERO_OK)
    return st;
  if (asprintf(&root, "%s/build/%s-%02x%02x%02x%02x%02x%02x", cache, p->name,
               md[0], md[1], md[2], md[3], md[4], md[5]) < 0 ||
      asprintf(&dir, "%s/%s", root, key) < 0) {
    st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
    goto done;
  }
  struct stat sb;
  if (strcmp(key, "dev") != 0 && stat(dir, &sb) != 0) {
    /* A new recipe: an old build folder would only hold stale objects
     * configured against another SDK. */
    st = aeh_mkdirs(root, 0700, err);
    if (st != AERO_OK)
      goto done;
    char old[PATH_MAX];
    DIR *d = opendir(root);
    struct dirent *de;
    while (d != NULL && (de = readdir(d)) != NULL) {
      if (de->d_name[0] == '.' || strcmp(de->d_name, "dev") == 0)
        continue;
      snprintf(old, sizeof old, "%s/%s", root, de->d_name);
      aero_error ignored = AEH_ERROR_INIT;
      aeh_remove_tree(old, &ignored);
    }
    if (d != NULL)
      closedir(d);
  }
  char plugin_dir[PATH_MAX];
  snprintf(plugin_dir, sizeof plugin_dir, "%s/plugin", dir);
  st = aeh_mkdirs(plugin_dir, 0700, err);
  if (st != AERO_OK)
    goto done;
  *out = dir;
  dir = NULL;
done:
  free(dir);
  free(root);
  free(cache);
  return st;
}

/* --mount takes comma-separated fields: a path with a comma would be
 * misread, so it is refused with a clear message instead. */
static aero_status push_mount(aeh_strv *argv, const char *source,
                              const char *target, bool readonly,
                              aero_error *err) {
  if (strchr(source, ',') != NULL || strchr(source, '\n') != NULL)
    return aeh_error_set(err, AERO_E_CONFIG,
                         "%s: a path with a comma cannot be mounted into the "
                         "container; move it",
                         source);
  if (aeh_strv_push(argv, "--mount") ||
      aeh_strv_pushf(argv, "type=bind,source=%s,target=%s%s", source, target,
                     readonly ? ",readonly" : ""))
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  return AERO_OK;
}

/* aerohost's arguments after the plugin path. */
static aero_status push_aerohost_args(aeh_strv *argv, const aeh_go_options *o,
                                      aero_error *err) {
  int failed = o->debug && aeh_strv_push(argv, "--debug") != AERO_OK;
  for (size_t i = 0; !failed && i < o->overrides.n; i++)
    failed = aeh_strv_push(argv, "--artifact-override") != AERO_OK ||
             aeh_strv_push(argv, o->overrides.v[i]) != AERO_OK;
  failed = failed || aeh_strv_extend(argv, &o->host_args) != AERO_OK;
  /* aerohost's own options end where the project's flags start. */
  if (!failed && o->project_argc > 0)
    failed = aeh_strv_push(argv, "--") != AERO_OK;
  for (int i = 0; !failed && i < o->project_argc; i++)
    failed = aeh_strv_push(argv, o->project_argv[i]) != AERO_OK;
  return failed ? aeh_error_set(err, AERO_E_NOMEM, "out of memory") : AERO_OK;
}

/* Writes the env file: one variable NAME per line, never a value (the
 * engine reads each value from its own environment, which the runner
 * sets). It lives in a private folder the caller removes. */
static aero_status write_env_file(const aeh_strv *names, char **dir_out,
                                  char **file_out, aero_error *err) {
  const char *tmp = getenv("TMPDIR");
  char *dir = NULL, *file = NULL;
  if (asprintf(&dir, "%s/aeromancy-env.XXXXXX",
               tmp && tmp[0] == '/' ? tmp : "/tmp") < 0)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  if (mkdtemp(dir) == NULL) {
    aero_status st =
        aeh_error_set(err, AERO_E_IO, "cannot create a private temp folder: %s",
                      strerror(errno));
    free(dir);
    return st;
  }
  if (asprintf(&file, "%s/names", dir) < 0) {
    rmdir(dir);
    free(dir);
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  }
  aero_status st = AERO_OK;
  int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (f == NULL) {
    st = aeh_error_set(err, AERO_E_IO, "cannot write %s: %s", file,
                       strerror(errno));
    if (fd >= 0)
      close(fd);
  } else {
    for (size_t i = 0; i < names->n; i++)
      fprintf(f, "%s\n", names->v[i]);
    if (fclose(f) != 0)
      st = aeh_error_set(err, AERO_E_IO, "cannot write %s: %s", file,
                         strerror(errno));
  }
  if (st != AERO_OK) {
    unlink(file);
    rmdir(dir);
    free(file);
    free(dir);
    return st;
  }
  *dir_out = dir;
  *file_out = file;
  return AERO_OK;
}

static aero_status nomem(aero_error *err) {
  return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
}

/* Appends the NULL-terminated `items`. */
static aero_status push_list(aeh_strv *sv, const char *const *items) {
  for (size_t i = 0; items[i] != NULL; i++)
    if (aeh_strv_push(sv, items[i]) != AERO_OK)
      return AERO_E_NOMEM;
  return AERO_OK;
}

/* --plugin: an existing regular file, made absolute into *out (owned by
 * the caller). */
static aero_status resolve_plugin(const char *given, char **out,
                                  aero_error *err) {
  char buf[PATH_MAX];
  struct stat sb;
  if (realpath(given, buf) == NULL || stat(buf, &sb) != 0 ||
      !S_ISREG(sb.st_mode))
    return aeh_error_set(err, AERO_E_INVALID, "--plugin %s: no such file",
                         given);
  *out = strdup(buf);
  return *out ? AERO_OK : nomem(err);
}

/* What a production container run is made of, gathered before it starts.
 * Everything is borrowed. */
typedef struct container_run {
  const aeh_go_options *o;
  const aeh_project *p;
  const aeh_git_state *git;
  const aeh_strv *passthrough;
  const char *tag;
  const char *image_id;
  const char *build_dir;  /* NULL with --plugin */
  const char *plugin_abs; /* --plugin's file, or NULL */
  const char *plugin_in;  /* --plugin's path in the container, or NULL */
  const aeh_container_store *store;
} container_run;

/* The container's variables: NAME=VALUE for the engine's own environment
 * in `sets`, and every NAME for the env file in `names`. */
static aero_status container_env(const container_run *r, aeh_strv *sets,
                                 aeh_strv *names, aero_error *err) {
  char *joined = aeh_strv_join(r->passthrough, ",");
  int failed =
      joined == NULL ||
      aeh_strv_pushf(sets, "AEROMANCY_GIT_COMMIT=%s", r->git->commit) ||
      aeh_strv_pushf(sets, "AEROMANCY_GIT_BRANCH=%s", r->git->branch) ||
      aeh_strv_pushf(sets, "AEROMANCY_GIT_MESSAGE=%s", r->git->message) ||
      aeh_strv_pushf(sets, "AEROMANCY_GIT_REMOTE=%s", r->git->remote) ||
      aeh_strv_pushf(sets, "AEROMANCY_IMAGE_ID=%s", r->image_id) ||
      aeh_strv_pushf(sets, "AEROMANCY_PACKAGES_FILE=%s", IN_PACKAGES) ||
      aeh_strv_pushf(sets, "AEROMANCY_PASSTHROUGH=%s", joined) ||
      aeh_strv_extend(sets, &r->store->sets);
  for (size_t i = 0; !failed && i < sets->n; i++)
    failed = aeh_strv_pushf(names, "%.*s", (int)strcspn(sets->v[i], "="),
                            sets->v[i]) != AERO_OK;
  /* The store's credentials may be passed through as well: each name
   * once. */
  const aeh_strv *by_name[2] = {r->passthrough, &r->store->names};
  for (int l = 0; l < 2; l++)
    for (size_t i = 0; !failed && i < by_name[l]->n; i++)
      failed = !aeh_strv_contains(names, by_name[l]->v[i]) &&
               aeh_strv_push(names, by_name[l]->v[i]) != AERO_OK;
  free(joined);
  return failed ? nomem(err) : AERO_OK;
}

/* Whether `args` (extra `docker run` arguments) choose a network. */
static bool names_network(const aeh_strv *args) {
  for (size_t i = 0; i < args->n; i++) {
    const char *a = args->v[i];
    if (strcmp(a, "--network") == 0 || strcmp(a, "--net") == 0 ||
        strncmp(a, "--network=", 10) == 0 || strncmp(a, "--net=", 6) == 0)
      return true;
  }
  return false;
}

/* The start of every `ENGINE run` of the project's image: its options,
 * the project (read-only) and the plugin's mounts; the build folder
 * (read-write) only when `build`. */
static aero_status push_run_head(const container_run *r, bool build,
                                 aeh_strv *argv, aero_error *err) {
  const aeh_project *p = r->p;
  char user[64];
  snprintf(user, sizeof user, "%u:%u", (unsigned)getuid(), (unsigned)getgid());
  /* The init (tini) passes a signal to its child's whole process group,
   * as a terminal's Ctrl-C reaches every process of the foreground group:
   * passed to the build script's shell alone, SIGINT waited for the
   * compiler to finish (a shell defers it while a foreground child runs),
   * when the runner's stdin was not a terminal (no -t). */
  const char *const head[] = {p->engine,
                              "run",
                              "--rm",
                              "--init",
                              "--env",
                              "TINI_KILL_PROCESS_GROUP=1",
                              "--user",
                              user,
                              "--workdir",
                              IN_PROJECT,
                              NULL};
  int failed =
      push_list(argv, head) != AERO_OK ||
      /* Rootless podman maps the caller to root unless told not to. */
      (strcmp(p->engine, "podman") == 0 && getuid() != 0 &&
       aeh_strv_push(argv, "--userns=keep-id") != AERO_OK) ||
      aeh_strv_push(argv, "--label") != AERO_OK ||
      aeh_strv_pushf(argv, "org.aeromancy.project=%s", p->name) != AERO_OK ||
      /* Names are not unique across checkouts: the folder tells which
       * checkout a container works for (`docker ps --filter label=...`). */
      aeh_strv_push(argv, "--label") != AERO_OK ||
      aeh_strv_pushf(argv, "org.aeromancy.project-dir=%s", p->dir) != AERO_OK;
  if (failed)
    return nomem(err);
  aero_status st = push_mount(argv, p->dir, IN_PROJECT, true, err);
  if (st == AERO_OK && r->build_dir != NULL) {
    char plugin_dir[PATH_MAX];
    snprintf(plugin_dir, sizeof plugin_dir, "%s/plugin", r->build_dir);
    if (build)
      st = push_mount(argv, r->build_dir, IN_BUILD, false, err);
    if (st == AERO_OK)
      st = push_mount(argv, plugin_dir, IN_PLUGIN_DIR, true, err);
  }
  if (st == AERO_OK && r->plugin_abs != NULL)
    st = push_mount(argv, r->plugin_abs, r->plugin_in, true, err);
  return st;
}

/* The project's `[container] run_args` and `--extra-docker-run-args`:
 * last among the options, before the image, in every `ENGINE run` of the
 * project's image (the plugin's build, its run, a Slurm job's). */
static aero_status push_run_args(const container_run *r, aeh_strv *argv,
                                 aero_error *err) {
  if (aeh_strv_extend(argv, &r->p->run_args) != AERO_OK ||
      aeh_strv_extend(argv, &r->o->run_args) != AERO_OK)
    return nomem(err);
  return AERO_OK;
}

/* The store's mounts, and the host's network when a server of the store
 * listens on this machine's loopback (unless the project chose a network
 * itself). */
static aero_status push_store_access(const container_run *r, aeh_strv *argv,
                                     aero_error *err) {
  const aeh_strv *m = &r->store->mounts;
  aero_status st = AERO_OK;
  for (size_t i = 0; st == AERO_OK && i + 2 < m->n; i += 3)
    st = push_mount(argv, m->v[i], m->v[i + 1], strcmp(m->v[i + 2], "ro") == 0,
                    err);
  if (st == AERO_OK && r->store->host_network &&
      !names_network(&r->p->run_args) && !names_network(&r->o->run_args) &&
      (aeh_strv_push(argv, "--network") != AERO_OK ||
       aeh_strv_push(argv, "host") != AERO_OK))
    st = nomem(err);
  return st;
}

/* The image and the build script with its parameters (build_script):
 * `mode` "run", "shell" or "build", `plugin_in` the plugin's path with
 * --plugin (else ""). */
static aero_status push_build_script(const container_run *r, const char *mode,
                                     const char *plugin_in, aeh_strv *argv,
                                     aero_error *err) {
  const char *const tail[] = {r->image_id,
                              "sh",
                              "-c",
                              build_script,
                              "aeromancy-go",
                              r->p->target != NULL ? r->p->target : "",
                              r->build_dir != NULL ? "1" : "0",
                              mode,
                              r->o->debug ? "1" : "0",
                              plugin_in,
                              NULL};
  return push_list(argv, tail) != AERO_OK ? nomem(err) : AERO_OK;
}

/* `ENGINE run ...` of the container: options, mounts, extra arguments, the
 * image, the build script and aerohost's command line. */
static aero_status container_argv(const container_run *r, const char *env_file,
                                  aeh_strv *argv, aero_error *err) {
  const aeh_go_options *o = r->o;
  bool tty = isatty(STDIN_FILENO);
  aero_status st = push_run_head(r, true, argv, err);
  if (st == AERO_OK &&
      (aeh_strv_push(argv, "--env-file") != AERO_OK ||
       aeh_strv_push(argv, env_file) != AERO_OK ||
       ((tty || o->debug_shell) && aeh_strv_push(argv, "-i") != AERO_OK) ||
       (tty && aeh_strv_push(argv, "-t") != AERO_OK)))
    st = nomem(err);
  if (st == AERO_OK)
    st = push_store_access(r, argv, err);
  if (st != AERO_OK)
    return st;

  st = push_run_args(r, argv, err);
  if (st == AERO_OK)
    st = push_build_script(r, o->debug_shell ? "shell" : "run",
                           r->plugin_in != NULL ? r->plugin_in : "", argv, err);
  if (st == AERO_OK && (aeh_strv_push(argv, "aerohost") != AERO_OK ||
                        aeh_strv_push(argv, "run") != AERO_OK))
    st = nomem(err);
  return st == AERO_OK ? push_aerohost_args(argv, o, err) : st;
}

/* Runs the container and waits. *code is the exit code to leave with: 3
 * when it could not start, 2 when the engine failed the run, else
 * aerohost's. */
static aero_status run_container(const container_run *r, int *code,
                                 aero_error *err) {
  aeh_strv sets = AEH_STRV_INIT, names = AEH_STRV_INIT, argv = AEH_STRV_INIT;
  char *env_dir = NULL, *env_file = NULL;
  char **envp = NULL;
  *code = AEH_EXIT_USAGE;

  aero_status st = container_env(r, &sets, &names, err);
  /* The values reach the engine through its environment only. */
  if (st == AERO_OK &&
      (envp = aeh_spawn_env_with(NULL, sets.v, sets.n)) == NULL)
    st = nomem(err);
  if (st == AERO_OK)
    st = write_env_file(&names, &env_dir, &env_file, err);
  if (st == AERO_OK)
    st = container_argv(r, env_file, &argv, err);
  if (st != AERO_OK)
    goto done;

  say("production run of %s at %.12s (%s) in %s", r->p->name, r->git->commit,
      r->git->branch, r->tag);
  if (r->o->debug) {
    char *listed = aeh_strv_join(&names, " ");
    char *shown = aeh_store_location_shown(r->p->store);
    say("project %s, store %s, build folder %s", r->p->dir, shown ? shown : "?",
        r->build_dir ? r->build_dir : "(none: --plugin)");
    if (r->store->host_network)
      say("the container uses the host's network: %s is on this machine's "
          "loopback",
          r->store->why_network);
    say("env file %s lists: %s", env_file, listed ? listed : "?");
    free(shown);
    free(listed);
    show_command("running", aeh_strv_argv(&argv));
  }
  int run_code = 0;
  st = aeh_spawn_foreground(aeh_strv_argv(&argv), NULL, envp, false, &run_code,
                            err);
  if (st != AERO_OK) {
    *code = AEH_EXIT_INFRA;
    goto done;
  }
  *code = run_code;
  /* docker/podman run: 125 the engine failed, 126 the command cannot run,
   * 127 no such command. aerohost itself never exits with these. */
  if (run_code >= 125 && run_code <= 127) {
    *code = AEH_EXIT_INFRA;
    st = aeh_error_set(err, AERO_E_IO,
                       "the container engine could not run aerohost in %s "
                       "(%s run exited %d; its message is above)",
                       r->tag, r->p->engine, run_code);
  }
done:
  if (env_file != NULL)
    unlink(env_file);
  if (env_dir != NULL)
    rmdir(env_dir);
  free(env_file);
  free(env_dir);
  free(envp);
  aeh_strv_free(&argv);
  aeh_strv_free(&names);
  aeh_strv_free(&sets);
  return st;
}

/* Builds the plugin in the image, as a production run does before its
 * aerohost starts, and gives the plugin's path inside (under /plugin)
 * in `plugin_in`. *code: 0, or the exit code to leave with when the
 * build failed (its output is shown; nothing more to say). */
static aero_status build_in_container(const container_run *r, char *plugin_in,
                                      size_t size, int *code, aero_error *err) {
  aeh_strv argv = AEH_STRV_INIT;
  aeh_spawn_out out = {0};
  /* Called with a build folder only: the script builds ("1"). */
  aero_status st = push_run_head(r, true, &argv, err);
  if (st == AERO_OK)
    st = push_run_args(r, &argv, err);
  if (st == AERO_OK)
    st = push_build_script(r, "build", "", &argv, err);
  if (st == AERO_OK && r->o->debug)
    show_command("building the plugin", aeh_strv_argv(&argv));
  if (st == AERO_OK)
    st = aeh_spawn_capture(aeh_strv_argv(&argv), NULL, &out, err);
  if (st == AERO_OK) {
    fputs(out.err, stderr);
    *code = out.code;
    if (out.code >= 125 && out.code <= 127) {
      *code = AEH_EXIT_INFRA;
      st = aeh_error_set(err, AERO_E_IO,
                         "the container engine could not build the plugin in "
                         "%s (%s run exited %d; its message is above)",
                         r->tag, r->p->engine, out.code);
    } else if (out.code == 0) {
      aeh_spawn_first_line(out.out, plugin_in, size);
      if (strncmp(plugin_in, IN_PLUGIN_DIR "/", sizeof IN_PLUGIN_DIR) != 0) {
        *code = AEH_EXIT_INFRA;
        st = aeh_error_set(
            err, AERO_E_IO,
            "the plugin build in %s named no plugin under " IN_PLUGIN_DIR
            " (it printed '%s')",
            r->tag, plugin_in);
      }
    }
  }
  aeh_spawn_out_free(&out);
  aeh_strv_free(&argv);
  return st;
}

/* The bind mount whose target inside the container is `path`: its source
 * here, or NULL. */
static const char *mount_source(const aeh_strv *mounts, const char *path) {
  for (size_t i = 0; i + 2 < mounts->n; i += 3)
    if (strcmp(mounts->v[i + 1], path) == 0)
      return mounts->v[i];
  return NULL;
}

/* The command each Slurm job runs: `ENGINE run` of the image, by id, with
 * the plugin and the store reached as by one production container, then
 * `aerohost run PLUGIN` (the submitting aerohost appends its own
 * arguments), through the `wrapper` that tells the job's aerohost why
 * Slurm ends the job, in the folder `ends` (slurm_wrapper.h). Every variable
 * crosses by NAME (`-e NAME`: the job has its value from the submitting
 * aerohost, through sbatch --export=ALL), so no value is in the job's script;
 * only the paths that differ inside the container (the blob cache, libpq's
 * files, the package list) are given with their value there. The submitting
 * aerohost's own variables, with the values of this machine, go into
 * `host_sets`. */
static aero_status slurm_job_command(const container_run *r,
                                     const char *plugin_in, const char *wrapper,
                                     const char *ends, aeh_strv *words,
                                     aeh_strv *host_sets, aero_error *err) {
  aeh_strv sets = AEH_STRV_INIT, names = AEH_STRV_INIT;
  const char *const head[] = {"sh", wrapper, ends, NULL};
  aero_status st = push_list(words, head) != AERO_OK
                       ? nomem(err)
                       : container_env(r, &sets, &names, err);
  if (st == AERO_OK)
    st = push_run_head(r, false, words, err);
  if (st == AERO_OK)
    st = push_mount(words, ends, AEH_SLURM_ENDS_IN, true, err);
  if (st == AERO_OK)
    st = push_store_access(r, words, err);
  for (size_t i = 0; st == AERO_OK && i < names.n; i++) {
    const char *name = names.v[i], *set = NULL;
    size_t len = strlen(name);
    for (size_t k = 0; set == NULL && k < sets.n; k++)
      if (strncmp(sets.v[k], name, len) == 0 && sets.v[k][len] == '=')
        set = sets.v[k];
    const char *value = set != NULL ? set + len + 1 : NULL;
    const char *here =
        value != NULL ? mount_source(&r->store->mounts, value) : NULL;
    bool inside_only =
        set != NULL && strcmp(name, "AEROMANCY_PACKAGES_FILE") == 0;
    int failed = aeh_strv_push(words, "-e") != AERO_OK;
    if (here != NULL || inside_only)
      failed = failed || aeh_strv_push(words, set) != AERO_OK;
    else
      failed = failed || aeh_strv_push(words, name) != AERO_OK;
    if (here != NULL)
      failed =
          failed || aeh_strv_pushf(host_sets, "%s=%s", name, here) != AERO_OK;
    else if (set != NULL && !inside_only)
      failed = failed || aeh_strv_push(host_sets, set) != AERO_OK;
    if (failed)
      st = nomem(err);
  }
  /* What Slurm sets and the job's aerohost reads (slurm_job.c). */
  const char *const job_vars[] = {
      "-e", "AEROMANCY_SLURM_ACTION",
      "-e", "AEROMANCY_SLURM_INPUTS",
      "-e", "SLURM_JOB_ID",
      "-e", AEH_SLURM_ENDS_ENV "=" AEH_SLURM_ENDS_IN,
      NULL};
  const char *const tail[] = {r->image_id, "aerohost", "run", plugin_in, NULL};
  if (st == AERO_OK && push_list(words, job_vars) != AERO_OK)
    st = nomem(err);
  if (st == AERO_OK)
    st = push_run_args(r, words, err);
  if (st == AERO_OK && push_list(words, tail) != AERO_OK)
    st = nomem(err);
  for (size_t i = 0; st == AERO_OK && i < words->n; i++)
    if (strchr(words->v[i], '\n') != NULL)
      st = aeh_error_set(err, AERO_E_CONFIG,
                         "a `%s run` argument with a line break cannot go "
                         "into a Slurm job's command: '%s'",
                         r->p->engine, words->v[i]);
  aeh_strv_free(&names);
  aeh_strv_free(&sets);
  return st;
}

/* Writes `words`, one a line, to a new file in `dir`; its path into
 * *out. */
static aero_status write_words(const char *dir, const aeh_strv *words,
                               char **out, aero_error *err) {
  char *path = NULL;
  if (asprintf(&path, "%s/slurm-job-command.XXXXXX", dir) < 0)
    return nomem(err);
  int fd = mkstemp(path);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  aero_status st = AERO_OK;
  for (size_t i = 0; f != NULL && i < words->n; i++)
    fprintf(f, "%s\n", words->v[i]);
  if (f == NULL || fclose(f) != 0)
    st = aeh_error_set(err, AERO_E_IO, "cannot write %s: %s", path,
                       strerror(errno));
  if (f == NULL && fd >= 0)
    close(fd);
  if (st != AERO_OK) {
    if (fd >= 0)
      unlink(path);
    free(path);
    return st;
  }
  *out = path;
  return AERO_OK;
}

/* A production run as Slurm jobs: the plugin is built in the image as for
 * a container run, then this machine's aerohost (which reaches sbatch and
 * the cluster) builds the graph from that plugin and submits each action
 * as a job whose script runs it in the image (slurm_job_command). The
 * jobs' scripts and outputs go to `work_dir`/aeromancy-slurm (beside the
 * plugin), so that the project's tree stays clean. *code as for
 * run_container. */
static aero_status run_slurm(const container_run *r, const char *aerohost,
                             const char *work_dir, int *code, aero_error *err) {
  aeh_strv words = AEH_STRV_INIT, sets = AEH_STRV_INIT, argv = AEH_STRV_INIT;
  char plugin_in[PATH_MAX], plugin_here[PATH_MAX];
  char *command = NULL, *jobs_dir = NULL, *wrapper = NULL, *ends = NULL;
  char **envp = NULL;
  *code = AEH_EXIT_USAGE;
  aero_status st = AERO_OK;
  if (r->build_dir != NULL) {
    st = build_in_container(r, plugin_in, sizeof plugin_in, code, err);
    if (st != AERO_OK || *code != 0)
      goto done;
    *code = AEH_EXIT_USAGE;
    snprintf(plugin_here, sizeof plugin_here, "%s/plugin/%s", r->build_dir,
             plugin_in + sizeof IN_PLUGIN_DIR);
  } else {
    snprintf(plugin_in, sizeof plugin_in, "%s", r->plugin_in);
    snprintf(plugin_here, sizeof plugin_here, "%s", r->plugin_abs);
  }
  if (asprintf(&jobs_dir, "%s/aeromancy-slurm", work_dir) < 0) {
    jobs_dir = NULL;
    st = nomem(err);
  }
  if (st == AERO_OK)
    st = aeh_mkdirs(jobs_dir, 0777, err);
  if (st == AERO_OK)
    st = aeh_slurm_wrapper_write(jobs_dir, &wrapper, &ends, err);
  if (st == AERO_OK)
    st = slurm_job_command(r, plugin_in, wrapper, ends, &words, &sets, err);
  if (st == AERO_OK)
    st = write_words(work_dir, &words, &command, err);
  const char *const head[] = {aerohost, "run", plugin_here, NULL};
  if (st == AERO_OK &&
      (aeh_strv_pushf(&sets, "AEROMANCY_SLURM_JOB_COMMAND=%s", command) ||
       aeh_strv_pushf(&sets, "AEROMANCY_SLURM_DIR=%s", jobs_dir) ||
       (envp = aeh_spawn_env_with(NULL, sets.v, sets.n)) == NULL ||
       push_list(&argv, head) != AERO_OK))
    st = nomem(err);
  if (st == AERO_OK)
    st = push_aerohost_args(&argv, r->o, err);
  /* From the project root, as in the container (/project) and --dev:
   * aeromancy.ini and relative paths in the project's flags. */
  if (st == AERO_OK && chdir(r->p->dir) != 0)
    st = aeh_error_set(err, AERO_E_IO, "cannot enter %s: %s", r->p->dir,
                       strerror(errno));
  if (st != AERO_OK)
    goto done;
  say("production run of %s at %.12s (%s) as Slurm jobs in %s", r->p->name,
      r->git->commit, r->git->branch, r->tag);
  if (r->o->debug) {
    say("the jobs' scripts and outputs are in %s", jobs_dir);
    show_command("each job runs", aeh_strv_argv(&words));
    show_command("submitting", aeh_strv_argv(&argv));
  }
  st = aeh_spawn_foreground(aeh_strv_argv(&argv), NULL, envp, false, code, err);
  if (st != AERO_OK)
    *code = AEH_EXIT_INFRA;
done:
  if (command != NULL)
    unlink(command);
  free(command);
  free(jobs_dir);
  free(wrapper);
  free(ends);
  free(envp);
  aeh_strv_free(&argv);
  aeh_strv_free(&sets);
  aeh_strv_free(&words);
  return st;
}

/* The store's part of the container: the backend --backend names (passed
 * on to aerohost as given), else the project's; the blob cache
 * $AEROMANCY_CACHE, else the runner's cache folder (the backend's own
 * default, so that runs here and in containers share it). */
static aero_status plan_store(const aeh_project *p, const aeh_go_options *o,
                              aeh_container_store *out, aero_error *err) {
  const char *backend = p->backend;
  for (size_t i = 0; i + 1 < o->host_args.n; i++)
    if (strcmp(o->host_args.v[i], "--backend") == 0)
      backend = o->host_args.v[i + 1];
  const char *env = getenv("AEROMANCY_CACHE");
  char *cache = NULL;
  aero_status st = AERO_OK;
  if (env != NULL && env[0] != '\0')
    cache = strdup(env);
  else
    st = aeh_layout_cache_dir(&cache, err);
  if (st == AERO_OK && cache == NULL)
    st = nomem(err);
  if (st == AERO_OK)
    st = aeh_container_store_plan(p->store, backend, p->blobs, cache, out, err);
  free(cache);
  return st;
}

/* A folder without CMakeLists.txt is no project: said in one line before
 * anything is built, rather than with CMake's own error of several. */
static aero_status need_cmakelists(const char *dir, aero_error *err) {
  char path[PATH_MAX];
  struct stat sb;
  snprintf(path, sizeof path, "%s/CMakeLists.txt", dir);
  if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
    return AERO_OK;
  return aeh_error_set(err, AERO_E_CONFIG,
                       "%s has no CMakeLists.txt: not an aeromancy project "
                       "(aeromancy new NAME starts one; --plugin PATH runs a "
                       "plugin built elsewhere)",
                       dir);
}

static int production(const aeh_go_options *o) {
  int code = AEH_EXIT_USAGE;
  aero_error err = AEH_ERROR_INIT;
  aeh_project p = {0};
  aeh_git_state git = {0};
  aeh_strv passthrough = AEH_STRV_INIT;
  recipe rec = {0};
  aeh_spawn_out inspected = {0};
  char *dir = NULL, *image_id = NULL, *build_dir = NULL, *plugin_abs = NULL;
  char *engine = NULL, *aerohost = NULL;
  char plugin_in[PATH_MAX];
  aeh_container_store store = {0};
  bool slurm = wants_slurm(o);

  aero_status st = check_options(o, &err);
  if (st == AERO_OK)
    st = find_project_dir(o->project_dir, &dir, &err);
  if (st == AERO_OK)
    st = load_project(o, dir, false, &p, &err);
  /* The container's aerohost reads the committed aeromancy.ini: flags from
   * another file would be dropped without a word (and a run's flags must
   * come from its commit or its command line, to be reproduced). */
  if (st == AERO_OK && p.flags_elsewhere)
    st = aeh_error_set(&err, AERO_E_CONFIG,
                       "%s (AEROMANCY_CONFIG) sets [flags], which a "
                       "production run does not read (its container reads "
                       "the committed aeromancy.ini): commit them there, "
                       "or give them after --",
                       p.ini_path);
  if (st == AERO_OK && o->plugin == NULL)
    st = need_cmakelists(dir, &err);
  /* The jobs' nodes reach a team store; a folder here they do not. */
  if (st == AERO_OK && slurm)
    st = aeh_store_location_check_shared(p.store, &err);
  if (st == AERO_OK)
    st = passthrough_names(&p, o, &passthrough, &err);
  if (st == AERO_OK)
    st = recipe_prepare(&p, o, &rec, &err);
  if (st == AERO_OK) {
    /* `image inspect` runs alongside git's queries; an engine that is not
     * even installed is reported after git's verdict, by ensure_image. */
    aero_error ignored = AEH_ERROR_INIT;
    char *inspect[7];
    aeh_image_inspect_argv(p.engine, rec.tag, inspect);
    bool installed = aeh_which(p.engine, &engine, &ignored) == AERO_OK;
    st = check_git(&p, installed ? inspect : NULL, &inspected, &git, &err);
    if (st == AERO_OK && o->plugin != NULL)
      st = resolve_plugin(o->plugin, &plugin_abs, &err);
    if (st == AERO_OK)
      st = ensure_image(&p, o, &rec, installed ? &inspected : NULL, &image_id,
                        &err);
  }
  /* Slurm: the build folder holds the jobs' scripts and outputs, even
   * with --plugin. */
  if (st == AERO_OK && (o->plugin == NULL || slurm))
    st = build_dir_for(&p, strchr(rec.tag, ':') + 1, &build_dir, &err);
  if (st == AERO_OK && slurm)
    st = aeh_layout_aerohost(&rec.layout, &aerohost, &err);
  if (st == AERO_OK)
    st = plan_store(&p, o, &store, &err);
  if (st == AERO_OK) {
    const char *base = plugin_abs ? strrchr(plugin_abs, '/') + 1 : NULL;
    /* Without --plugin, the build in the container finds it. */
    if (base != NULL)
      snprintf(plugin_in, sizeof plugin_in, IN_PLUGIN_DIR "/%s", base);
    container_run r = {.o = o,
                       .p = &p,
                       .git = &git,
                       .passthrough = &passthrough,
                       .tag = rec.tag,
                       .image_id = image_id,
                       .build_dir = o->plugin == NULL ? build_dir : NULL,
                       .plugin_abs = plugin_abs,
                       .plugin_in = base != NULL ? plugin_in : NULL,
                       .store = &store};
    st = slurm ? run_slurm(&r, aerohost, build_dir, &code, &err)
               : run_container(&r, &code, &err);
  }
  if (st != AERO_OK)
    code = fail(&err, code);

  aeh_container_store_free(&store);
  free(engine);
  free(aerohost);
  free(plugin_abs);
  free(build_dir);
  free(image_id);
  aeh_spawn_out_free(&inspected);
  recipe_free(&rec);
  aeh_strv_free(&passthrough);
  aeh_git_state_free(&git);
  aeh_project_free(&p);
  free(dir);
  return code;
}

static int file_exists(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Runs a build step, its output shown only when it fails (or with
 * --debug). */
static aero_status build_step(const char *what, char *const *argv, bool debug,
                              aero_error *err) {
  aeh_spawn_out r = {0};
  if (debug)
    show_command(what, argv);
  aero_status st = aeh_spawn_capture(argv, NULL, &r, err);
  if (st != AERO_OK)
    return st;
  if (r.code != 0 || debug) {
    fputs(r.out, stderr);
    fputs(r.err, stderr);
  }
  if (r.code != 0)
    st = aeh_error_set(err, AERO_E_CONFIG, "%s failed (output above)", what);
  aeh_spawn_out_free(&r);
  return st;
}

/* Finds NAME.so anywhere under `dir` (a project that sets its own output
 * folder), depth-first. */
static int find_plugin(const char *dir, const char *file, char *out,
                       size_t size, int depth) {
  DIR *d = opendir(dir);
  if (d == NULL || depth > 8) {
    if (d)
      closedir(d);
    return 0;
  }
  struct dirent *de;
  int found = 0;
  while (!found && (de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.' || strcmp(de->d_name, "CMakeFiles") == 0)
      continue;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    struct stat sb;
    if (lstat(path, &sb) != 0)
      continue;
    if (S_ISREG(sb.st_mode) && strcmp(de->d_name, file) == 0) {
      snprintf(out, size, "%s", path);
      found = 1;
    } else if (S_ISDIR(sb.st_mode)) {
      found = find_plugin(path, file, out, size, depth + 1);
    }
  }
  closedir(d);
  return found;
}

/* Configures the dev build folder the first time (Ninja when there is
 * one: its no-op build is the fastest). */
static aero_status dev_configure(const aeh_project *p, const aeh_layout *l,
                                 const char *build_dir, bool debug,
                                 aero_error *err) {
  aero_error ignored = AEH_ERROR_INIT;
  char *ninja = NULL;
  aeh_which("ninja", &ninja, &ignored);
  aeh_strv cfg = AEH_STRV_INIT;
  aero_status st = AERO_OK;
  const char *const args[] = {"cmake",   "-S",
                              p->dir,    "-B",
                              build_dir, "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                              NULL};
  if (push_list(&cfg, args) != AERO_OK ||
      aeh_strv_pushf(&cfg, "-DAeromancy_DIR=%s", l->cmake_dir) != AERO_OK ||
      aeh_strv_pushf(&cfg, "-DCMAKE_LIBRARY_OUTPUT_DIRECTORY=%s/plugin",
                     build_dir) != AERO_OK ||
      (ninja != NULL && (aeh_strv_push(&cfg, "-G") != AERO_OK ||
                         aeh_strv_push(&cfg, "Ninja") != AERO_OK)))
    st = nomem(err);
  if (st == AERO_OK)
    st = build_step("configuring the plugin build", aeh_strv_argv(&cfg), debug,
                    err);
  aeh_strv_free(&cfg);
  free(ninja);
  return st;
}

/* The list of the build's plugin targets (AeromancyPlugin.cmake writes
 * it at generate time), one "TARGET<tab>FILE" per line. */
#define PLUGIN_LIST "aeromancy-plugins.txt"

/* The plugin target to build: `target` when given, else the build's one
 * plugin target, into `chosen`; its file into `file` ("" when the list does
 * not name the target: one made without aeromancy_add_plugin). */
static aero_status plugin_from_list(const char *build_dir, const char *target,
                                    char *chosen, size_t chosen_size,
                                    char *file, size_t file_size,
                                    aero_error *err) {
  char path[PATH_MAX], line[PATH_MAX + 256], names[512] = "";
  size_t count = 0, used = 0;
  snprintf(path, sizeof path, "%s/" PLUGIN_LIST, build_dir);
  FILE *f = fopen(path, "r");
  file[0] = '\0';
  if (target != NULL && target != chosen)
    snprintf(chosen, chosen_size, "%s", target);
  while (f != NULL && fgets(line, sizeof line, f) != NULL) {
    line[strcspn(line, "\n")] = '\0';
    char *tab = strchr(line, '\t');
    if (tab == NULL)
      continue;
    *tab = '\0';
    /* A target name too long for `chosen` cannot be the one asked for. */
    if (strlen(line) >= chosen_size)
      continue;
    if (target == NULL && count == 0)
      memcpy(chosen, line, strlen(line) + 1);
    if (strcmp(line, chosen) == 0)
      snprintf(file, file_size, "%s", tab + 1);
    if (used < sizeof names)
      used += (size_t)snprintf(names + used, sizeof names - used, "%s%s",
                               count ? ", " : "", line);
    count++;
  }
  if (f != NULL)
    fclose(f);
  if (target != NULL)
    return AERO_OK;
  if (count == 0)
    return aeh_error_set(err, AERO_E_CONFIG,
                         "the project's CMakeLists.txt makes no plugin (add "
                         "aeromancy_add_plugin(NAME SOURCES ...)), or set "
                         "[build] target in aeromancy.ini");
  if (count > 1)
    return aeh_error_set(err, AERO_E_CONFIG,
                         "the project makes %zu plugins (%s): choose one with "
                         "[build] target = NAME in aeromancy.ini",
                         count, names);
  return AERO_OK;
}

/* Builds the plugin on this machine; its path into `plugin`. */
static aero_status dev_build(const aeh_project *p, const aeh_layout *l,
                             bool debug, char *plugin, size_t size,
                             aero_error *err) {
  char *build_dir = NULL;
  aero_status st = build_dir_for(p, "dev", &build_dir, err);
  if (st != AERO_OK)
    return st;
  char path[PATH_MAX], list[PATH_MAX], target[256], file[PATH_MAX];
  snprintf(path, sizeof path, "%s/CMakeCache.txt", build_dir);
  snprintf(list, sizeof list, "%s/" PLUGIN_LIST, build_dir);
  /* A folder configured before the list existed is configured again. */
  if (!file_exists(path) || !file_exists(list))
    st = dev_configure(p, l, build_dir, debug, err);
  /* A changed CMakeLists.txt regenerates the build (and the list) first,
   * so that the list read before the build is not stale: the generator's
   * own check, a no-op when nothing changed. */
  if (st == AERO_OK) {
    snprintf(path, sizeof path, "%s/build.ninja", build_dir);
    char *const regen[] = {"cmake",
                           "--build",
                           build_dir,
                           "--target",
                           file_exists(path) ? "build.ninja"
                                             : "cmake_check_build_system",
                           NULL};
    st = build_step("configuring the plugin build", regen, debug, err);
  }
  if (st == AERO_OK)
    st = plugin_from_list(build_dir, p->target, target, sizeof target, file,
                          sizeof file, err);
  if (st == AERO_OK) {
    char *const build[] = {"cmake",    "--build", build_dir,
                           "--target", target,    NULL};
    char what[320];
    snprintf(what, sizeof what, "building the plugin target '%s'", target);
    st = build_step(what, build, debug, err);
  }
  /* The build configures again when CMakeLists.txt changed, so the list
   * is read again: still one plugin target (or the one named), and its
   * file. */
  char again[sizeof target];
  if (st == AERO_OK)
    st = plugin_from_list(build_dir, p->target, again, sizeof again, file,
                          sizeof file, err);
  if (st == AERO_OK && strcmp(again, target) != 0)
    st = aeh_error_set(err, AERO_E_CONFIG,
                       "the project's plugin target changed from '%s' to "
                       "'%s' while it was built: run again",
                       target, again);
  if (st == AERO_OK) {
    char name[sizeof target + 4];
    snprintf(name, sizeof name, "%s.so", target);
    if (file[0] != '\0' && file_exists(file))
      snprintf(plugin, size, "%s", file);
    else if (find_plugin(build_dir, name, path, sizeof path, 0))
      snprintf(plugin, size, "%s", path);
    else
      st = aeh_error_set(err, AERO_E_CONFIG,
                         "the build made no %s (does CMakeLists.txt call "
                         "aeromancy_add_plugin(%s ...)? set [build] target "
                         "in aeromancy.ini)",
                         name, target);
  }
  free(build_dir);
  return st;
}

/* Execs `aerohost run PLUGIN --dev ...` from the project root (aerohost
 * reads the project's aeromancy.ini from there, as in the container).
 * Returns only when that fails. */
/* The commit of a dev run, when its project is a git work tree with a
 * clean tree: then the commit says exactly what ran, and `aeromancy
 * rerun` can check it out. A dirty tree or no git records nothing. */
static aero_status dev_git_facts(const aeh_project *p, aeh_strv *sets) {
  aeh_git_state git = {0};
  aeh_strv dirty = AEH_STRV_INIT;
  aero_error ignored = AEH_ERROR_INIT;
  aero_status st = AERO_OK;
  if (aeh_git_inspect(p->dir, NULL, NULL, &dirty, &git, &ignored) != AERO_OK)
    return AERO_OK;
  if (dirty.n == 0 &&
      (aeh_strv_pushf(sets, "AEROMANCY_GIT_COMMIT=%s", git.commit) != AERO_OK ||
       aeh_strv_pushf(sets, "AEROMANCY_GIT_BRANCH=%s", git.branch) != AERO_OK ||
       aeh_strv_pushf(sets, "AEROMANCY_GIT_MESSAGE=%s", git.message) !=
           AERO_OK ||
       aeh_strv_pushf(sets, "AEROMANCY_GIT_REMOTE=%s", git.remote) != AERO_OK))
    st = AERO_E_NOMEM;
  aeh_git_state_free(&git);
  aeh_strv_free(&dirty);
  return st;
}

static aero_status dev_exec(const aeh_go_options *o, const aeh_project *p,
                            const char *aerohost, const char *plugin,
                            const aeh_strv *names, aero_error *err) {
  aeh_strv sets = AEH_STRV_INIT, argv = AEH_STRV_INIT;
  char **envp = NULL;
  char *joined = aeh_strv_join(names, ",");
  const char *const head[] = {aerohost, "run", plugin, "--dev", NULL};
  aero_status st = AERO_OK;
  if (joined == NULL ||
      aeh_strv_pushf(&sets, "AEROMANCY_STORE=%s", p->store) != AERO_OK ||
      aeh_strv_pushf(&sets, "AEROMANCY_PASSTHROUGH=%s", joined) != AERO_OK ||
      dev_git_facts(p, &sets) != AERO_OK ||
      (envp = aeh_spawn_env_with(NULL, sets.v, sets.n)) == NULL ||
      push_list(&argv, head) != AERO_OK)
    st = nomem(err);
  if (st == AERO_OK)
    st = push_aerohost_args(&argv, o, err);
  if (st == AERO_OK && chdir(p->dir) != 0)
    st = aeh_error_set(err, AERO_E_IO, "cannot enter %s: %s", p->dir,
                       strerror(errno));
  if (st == AERO_OK) {
    if (o->debug)
      show_command("running", aeh_strv_argv(&argv));
    fflush(NULL);
    execve(aerohost, aeh_strv_argv(&argv), envp);
    st = aeh_error_set(err, AERO_E_IO, "cannot run %s: %s", aerohost,
                       strerror(errno));
  }
  free(envp);
  free(joined);
  aeh_strv_free(&argv);
  aeh_strv_free(&sets);
  return st;
}

static int dev(const aeh_go_options *o) {
  aero_error err = AEH_ERROR_INIT;
  aeh_project p = {0};
  aeh_layout layout = {0};
  aeh_strv names = AEH_STRV_INIT;
  char *dir = NULL, *aerohost = NULL, *prebuilt = NULL;
  char plugin[PATH_MAX];

  aero_status st = check_options(o, &err);
  if (st == AERO_OK)
    st = find_project_dir(o->project_dir, &dir, &err);
  if (st == AERO_OK)
    st = load_project(o, dir, false, &p, &err);
  if (st == AERO_OK)
    st = passthrough_names(&p, o, &names, &err);
  if (st == AERO_OK)
    st = aeh_layout_find(&layout, &err);
  if (st == AERO_OK)
    st = aeh_layout_aerohost(&layout, &aerohost, &err);
  if (st == AERO_OK && o->plugin != NULL) {
    st = resolve_plugin(o->plugin, &prebuilt, &err);
    if (st == AERO_OK)
      snprintf(plugin, sizeof plugin, "%s", prebuilt);
  } else if (st == AERO_OK) {
    st = need_cmakelists(dir, &err);
    if (st == AERO_OK)
      st = dev_build(&p, &layout, o->debug, plugin, sizeof plugin, &err);
  }
  int code = AEH_EXIT_USAGE;
  if (st == AERO_OK) {
    st = dev_exec(o, &p, aerohost, plugin, &names, &err);
    code = AEH_EXIT_INFRA; /* only back when the exec failed */
  }
  code = fail(&err, code);

  free(prebuilt);
  free(aerohost);
  aeh_strv_free(&names);
  aeh_layout_free(&layout);
  aeh_project_free(&p);
  free(dir);
  return code;
}

int aeh_go(const aeh_go_options *o) {
  return o->dev ? dev(o) : production(o);
}

/* `image --prune`: the images of this repository but the current
 * recipe's. One in use by a container is kept, and said so. */
static aero_status prune_images(const aeh_project *p, const recipe *r,
                                aero_error *err) {
  size_t removed = 0;
  aeh_strv refused = {0};
  aero_status st = aeh_image_prune(p->engine, p->image_repo, r->tag, &removed,
                                   &refused, err);
  if (st == AERO_OK) {
    say("removed %zu older host image%s of %s", removed,
        removed == 1 ? "" : "s", p->image_repo);
    for (size_t i = 0; i < refused.n; i++)
      say("kept %s", refused.v[i]);
  }
  aeh_strv_free(&refused);
  return st;
}

int aeh_go_image(const aeh_go_options *o) {
  int code = AEH_EXIT_USAGE;
  aero_error err = AEH_ERROR_INIT;
  aeh_project p = {0};
  recipe rec = {0};
  char *dir = NULL, *id = NULL;
  aero_status st = check_options(o, &err);
  if (st == AERO_OK)
    st = find_project_dir(o->project_dir, &dir, &err);
  if (st == AERO_OK)
    st = load_project(o, dir, false, &p, &err);
  if (st == AERO_OK)
    st = recipe_prepare(&p, o, &rec, &err);
  if (st == AERO_OK)
    st = ensure_image(&p, o, &rec, NULL, &id, &err);
  if (st == AERO_OK && o->prune)
    st = prune_images(&p, &rec, &err);
  if (st == AERO_OK) {
    say("host image %s", rec.tag);
    printf("%s\n", id);
    code = fflush(stdout) == 0 ? AEH_EXIT_OK : AEH_EXIT_INFRA;
  } else {
    code = fail(&err, AEH_EXIT_USAGE);
  }
  free(id);
  recipe_free(&rec);
  aeh_project_free(&p);
  free(dir);
  return code;
}
