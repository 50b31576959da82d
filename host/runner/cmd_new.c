/* `aeromancy new NAME [DIR]`: writes a ready project from the embedded
 * template (new_template.h) and, when git is there, makes it a repository
 * with a first commit on main and switches to a feature branch, so that
 * `aeromancy go` (which refuses main) works at once. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "command.h"
#include "go.h"
#include "new_template.h"
#include "process.h"

enum { O_NO_GIT = 1, O_BRANCH };

typedef struct new_options {
  bool no_git;
  const char *branch;
} new_options;

static const aeh_option new_options_table[] = {
    {"branch", 0, "BRANCH",
     "the feature branch to switch to after the first commit (default: "
     "start)",
     O_BRANCH},
    {"no-git", 0, NULL, "write the files only: no git init, no commit",
     O_NO_GIT},
    {NULL, 0, NULL, NULL, 0},
};

static int apply(void *ctx, const aeh_option *o, const char *value) {
  new_options *n = ctx;
  if (o->id == O_NO_GIT)
    n->no_git = true;
  else if (o->id == O_BRANCH)
    n->branch = value;
  return 0;
}

/* A project name: a letter, then letters, digits, '_' or '-' (a CMake
 * target, a file name and an artifact namespace all at once). */
static bool valid_name(const char *name) {
  size_t len = strlen(name);
  if (len == 0 || len > 64 ||
      !((name[0] >= 'a' && name[0] <= 'z') ||
        (name[0] >= 'A' && name[0] <= 'Z')))
    return false;
  return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                      "0123456789_-") == len;
}

/* Whether `name` is one CMake keeps for itself (policy CMP0037, and the
 * targets its generators make): the plugin's target is named after the
 * project, so `aeromancy go` would fail to configure it. */
static bool reserved_by_cmake(const char *name) {
  static const char *const reserved[] = {
      "all",           "clean",         "help",
      "install",       "test",          "package",
      "package_source", "edit_cache",   "rebuild_cache",
      "depend",        "preinstall",    "list_install_components",
      "ALL_BUILD",     "ZERO_CHECK",    "INSTALL",
      "RUN_TESTS",     "PACKAGE"};
  for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
    if (strcmp(name, reserved[i]) == 0)
      return true;
  return false;
}

/* Makes `dir`, or accepts it when it is an empty folder. */
static int make_dir(const aeh_command *self, const char *dir) {
  if (mkdir(dir, 0777) == 0)
    return 0;
  if (errno != EEXIST)
    return aeh_command_usage_error(self, "cannot create %s: %s", dir,
                                   strerror(errno));
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
    return aeh_command_usage_error(self, "%s exists and is not a folder", dir);
  if (rmdir(dir) != 0 || mkdir(dir, 0777) != 0) /* empty iff rmdir works */
    return aeh_command_usage_error(self, "%s exists and is not empty", dir);
  return 0;
}

/* Writes `text` to dir/path with every "@NAME@" replaced by `name`. */
static int write_file(const char *dir, const char *path, const char *text,
                      const char *name) {
  char full[PATH_MAX];
  if (snprintf(full, sizeof full, "%s/%s", dir, path) >= (int)sizeof full) {
    fprintf(stderr, "aeromancy: cannot create %s/%s: path too long\n", dir,
            path);
    return AEH_EXIT_INFRA;
  }
  int fd = open(full, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (f == NULL) {
    fprintf(stderr, "aeromancy: cannot create %s: %s\n", full, strerror(errno));
    if (fd >= 0)
      close(fd);
    return AEH_EXIT_INFRA;
  }
  for (const char *p = text; *p != '\0';) {
    const char *at = strstr(p, "@NAME@");
    size_t n = at ? (size_t)(at - p) : strlen(p);
    fwrite(p, 1, n, f);
    p += n;
    if (at) {
      fputs(name, f);
      p += 6;
    }
  }
  if (ferror(f) | fclose(f)) {
    fprintf(stderr, "aeromancy: cannot write %s\n", full);
    return AEH_EXIT_INFRA;
  }
  return 0;
}

/* Runs git with `args` (NULL-terminated, without "git"); 0, or prints
 * git's first line of error, naming `what`, and returns 2. */
static int git(const char *what, const char *const *args) {
  char *argv[16] = {"git"};
  size_t n = 1;
  for (; args[n - 1] != NULL && n + 1 < sizeof argv / sizeof *argv; n++)
    argv[n] = (char *)args[n - 1];
  argv[n] = NULL;
  aero_error err = AEH_ERROR_INIT;
  aeh_spawn_out out = {0};
  if (aeh_spawn_capture(argv, NULL, &out, &err) != AERO_OK) {
    fprintf(stderr, "aeromancy: %s\n", err.message);
    return AEH_EXIT_INFRA;
  }
  int code = out.code;
  if (code != 0) {
    char line[512];
    fprintf(stderr, "aeromancy: git %s failed: %s\n", what,
            aeh_spawn_first_line(out.err, line, sizeof line));
  }
  aeh_spawn_out_free(&out);
  return code == 0 ? 0 : AEH_EXIT_INFRA;
}

/* Whether git runs at all, and whether it knows who commits. */
static bool git_present(bool *has_identity) {
  char *argv[] = {"git", "var", "GIT_COMMITTER_IDENT", NULL};
  aero_error err = AEH_ERROR_INIT;
  aeh_spawn_out out = {0};
  if (aeh_spawn_capture(argv, NULL, &out, &err) != AERO_OK)
    return false;
  *has_identity = out.code == 0;
  aeh_spawn_out_free(&out);
  return true;
}

/* Whether git takes `branch` as a branch name (git check-ref-format
 * --branch): asked before anything is written, so that a bad --branch is
 * a usage error, not a half-made project left behind by a failed switch.
 * True when git cannot be run: init_repository then says so. */
static bool branch_name_valid(const char *branch) {
  char *argv[] = {"git", "check-ref-format", "--branch", (char *)branch, NULL};
  aero_error err = AEH_ERROR_INIT;
  aeh_spawn_out out = {0};
  if (aeh_spawn_capture(argv, NULL, &out, &err) != AERO_OK)
    return true;
  bool valid = out.code == 0;
  aeh_spawn_out_free(&out);
  return valid;
}

static int init_repository(const char *dir, const char *name,
                           const char *branch) {
  bool identity = false;
  if (!git_present(&identity)) {
    fprintf(stderr,
            "aeromancy: git is not installed: %s is not a git "
            "repository yet (production runs need one)\n",
            dir);
    return 0;
  }
  char message[128];
  snprintf(message, sizeof message, "New aeromancy project %s", name);
  /* Without user.name/user.email git refuses to commit: the first commit
   * is then authored as "aeromancy new", and we say so. */
  const char *who[] = {"-c", "user.name=aeromancy new", "-c",
                       "user.email=aeromancy-new@localhost"};
  const char *init[] = {"-C", dir, "init", "-q", "-b", "main", NULL};
  const char *add[] = {"-C", dir, "add", "-A", NULL};
  const char *commit_id[] = {"-C",     dir,  who[0], who[1],  who[2], who[3],
                             "commit", "-q", "-m",   message, NULL};
  const char *commit[] = {"-C", dir, "commit", "-q", "-m", message, NULL};
  const char *sw[] = {"-C", dir, "switch", "-q", "-c", branch, NULL};
  int rc = git("init", init);
  if (rc == 0)
    rc = git("add", add);
  if (rc == 0)
    rc = git("commit", identity ? commit : commit_id);
  if (rc == 0)
    rc = git("switch", sw);
  if (rc == 0 && !identity)
    fprintf(stderr, "aeromancy: git has no user.name/user.email: the first "
                    "commit is by \"aeromancy new\" (git config --global "
                    "user.name ...)\n");
  return rc;
}

static int new_run(const aeh_command *self, int argc, char **argv) {
  new_options o = {.branch = "start"};
  aeh_args a;
  int rc = aeh_command_parse(self, argc, argv, apply, &o, &a);
  if (rc >= 0)
    return rc;
  const char *name = a.positional[0];
  const char *dir = a.positional_count > 1 ? a.positional[1] : name;
  if (!valid_name(name))
    return aeh_command_usage_error(
        self,
        "'%s' is not a usable project name (a letter, then letters, digits, "
        "_ or -; at most 64)",
        name);
  if (reserved_by_cmake(name))
    return aeh_command_usage_error(
        self,
        "'%s' is not a usable project name: CMake keeps that target name "
        "for itself, and the project's plugin is built as a target of its "
        "name",
        name);
  if (strcmp(o.branch, "main") == 0 || strcmp(o.branch, "master") == 0 ||
      o.branch[0] == '-' || o.branch[0] == '\0')
    return aeh_command_usage_error(
        self,
        "--branch %s: production runs refuse main and master; name a "
        "feature branch",
        o.branch);
  if (!o.no_git && !branch_name_valid(o.branch))
    return aeh_command_usage_error(
        self, "--branch '%s' is not a valid git branch name", o.branch);
  /* Before anything is written: cut to fit a buffer, a file's path would
   * name another file (DIR/CMakeLis). */
  for (size_t i = 0; i < aeh_new_template_count; i++)
    if (strlen(dir) + 1 + strlen(aeh_new_template[i].path) >= PATH_MAX)
      return aeh_command_usage_error(
          self,
          "%.60s...: the folder's path is too long for its files (%s "
          "needs %zu bytes, more than PATH_MAX)",
          dir, aeh_new_template[i].path,
          strlen(dir) + 1 + strlen(aeh_new_template[i].path));
  rc = make_dir(self, dir);
  for (size_t i = 0; rc == 0 && i < aeh_new_template_count; i++)
    rc = write_file(dir, aeh_new_template[i].path,
                    (const char *)aeh_new_template[i].text, name);
  if (rc == 0 && !o.no_git)
    rc = init_repository(dir, name, o.branch);
  if (rc != 0)
    return rc;
  fprintf(stderr,
          "aeromancy: created the project %s in %s%s%s\n"
          "next:\n"
          "  cd %s\n"
          "  cmake -S . -B build && cmake --build build   # build\n"
          "  aeromancy go --dev                           # run here (dev)\n"
          "  aeromancy go                                 # run in the "
          "container\n",
          name, dir, o.no_git ? "" : ", on the git branch ",
          o.no_git ? "" : o.branch, dir);
  return AEH_EXIT_OK;
}

const aeh_command aeh_cmd_new = {
    .name = "new",
    .usage = "aeromancy new NAME [DIR] [--branch BRANCH] [--no-git]",
    .summary = "start a project: a plugin with two actions, ready to run",
    .description =
        "Writes a ready project into DIR (default: NAME), which must not exist "
        "or be empty: CMakeLists.txt (find_package(Aeromancy)), aeromain.c "
        "(one builder with typed flags and two actions, prepare and fit), "
        "aeromancy.ini, .gitignore and a README with the commands to build, "
        "run in dev mode and run in production. With git installed it runs "
        "git init, commits the files on main and switches to a feature "
        "branch, so that both `aeromancy go --dev` and `aeromancy go` work "
        "at once.\n\n"
        "Exit codes: 0 created; 2 a file could not be written or git "
        "failed; 3 a bad option or NAME, or DIR is not an empty folder.",
    .options = new_options_table,
    .exits = AEH_EXITS_OWN,
    .min_positional = 1,
    .max_positional = 2,
    .run = new_run,
};
