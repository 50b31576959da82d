/* What the runner reads from git, against real repositories made here:
 * clean and dirty trees (modified, staged, untracked, renamed), branch,
 * detached HEAD, first line of the message, origin preferred among
 * remotes, linked worktrees, no commit yet, not a repository. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "git_state.h"
#include "locate.h"
#include "process.h"

static char root[PATH_MAX];
static char repo[PATH_MAX + 8];

/* Runs a shell command in `repo` (test setup only). */
static void sh(const char *cmd) {
  char *const argv[] = {"sh", "-c", (char *)cmd, "sh", repo, NULL};
  aeh_spawn_out r = {0};
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_spawn_capture(argv, NULL, &r, &err), AERO_OK);
  if (r.code != 0)
    fail_msg("%s: %s", cmd, r.err);
  aeh_spawn_out_free(&r);
}

static int setup(void **state) {
  (void)state;
  snprintf(root, sizeof root, "%s/aero-git.XXXXXX",
           getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (mkdtemp(root) == NULL)
    return -1;
  snprintf(repo, sizeof repo, "%s/repo", root);
  setenv("HOME", root, 1);
  setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
  setenv("GIT_AUTHOR_NAME", "t", 1);
  setenv("GIT_AUTHOR_EMAIL", "t@example.invalid", 1);
  setenv("GIT_COMMITTER_NAME", "t", 1);
  setenv("GIT_COMMITTER_EMAIL", "t@example.invalid", 1);
  sh("git init -q -b main \"$1\" && cd \"$1\" && echo a >a.c && echo b >b.c"
     " && echo 'build/' >.gitignore && git add -A"
     " && git commit -q -m 'first line' -m 'body text'");
  return 0;
}

static int teardown(void **state) {
  (void)state;
  aero_error err = AEH_ERROR_INIT;
  return aeh_remove_tree(root, &err) == AERO_OK ? 0 : -1;
}

static void clean_tree_state(void **state) {
  (void)state;
  aeh_strv dirty = AEH_STRV_INIT;
  aeh_git_state s = {0};
  aero_error err = AEH_ERROR_INIT;
  sh("cd \"$1\" && mkdir -p build && echo x >build/ignored.o");
  /* A command of the caller's runs alongside git's own. */
  char *const also[] = {"sh", "-c", "echo alongside; exit 2", NULL};
  aeh_spawn_out also_out = {0};
  assert_int_equal(aeh_git_inspect(repo, also, &also_out, &dirty, &s, &err),
                   AERO_OK);
  assert_string_equal(also_out.out, "alongside\n");
  assert_int_equal(also_out.code, 2);
  aeh_spawn_out_free(&also_out);
  assert_int_equal(dirty.n, 0);
  assert_int_equal(strlen(s.commit), 40);
  assert_string_equal(s.branch, "main");
  assert_string_equal(s.message, "first line");
  assert_string_equal(s.remote, "");
  aeh_git_state_free(&s);
  aeh_strv_free(&dirty);
}

static void every_kind_of_change_is_listed(void **state) {
  (void)state;
  aeh_strv dirty = AEH_STRV_INIT;
  aeh_git_state s = {0};
  aero_error err = AEH_ERROR_INIT;
  sh("cd \"$1\" && echo changed >>a.c && git mv b.c renamed.c"
     " && mkdir -p new/deep && echo n >new/deep/file.txt");
  assert_int_equal(aeh_git_inspect(repo, NULL, NULL, &dirty, &s, &err),
                   AERO_OK);
  assert_int_equal(dirty.n, 3);
  assert_true(aeh_strv_contains(&dirty, " M a.c"));
  assert_true(aeh_strv_contains(&dirty, "R  renamed.c"));
  assert_true(aeh_strv_contains(&dirty, "?? new/deep/file.txt"));
  aeh_git_state_free(&s);
  aeh_strv_free(&dirty);
}

static void detached_head_and_origin_remote(void **state) {
  (void)state;
  aeh_strv dirty = AEH_STRV_INIT;
  aeh_git_state s = {0};
  aero_error err = AEH_ERROR_INIT;
  sh("cd \"$1\" && git remote add aardvark https://example.invalid/a.git"
     " && git remote add origin https://example.invalid/o.git"
     " && git checkout -q --detach");
  assert_int_equal(aeh_git_inspect(repo, NULL, NULL, &dirty, &s, &err),
                   AERO_OK);
  assert_string_equal(s.branch, "HEAD");
  assert_string_equal(s.remote, "https://example.invalid/o.git");
  aeh_git_state_free(&s);
  aeh_strv_free(&dirty);
}

static void linked_worktree_reads_its_own_branch(void **state) {
  (void)state;
  aeh_strv dirty = AEH_STRV_INIT;
  aeh_git_state s = {0};
  aero_error err = AEH_ERROR_INIT;
  char wt[PATH_MAX + 16];
  snprintf(wt, sizeof wt, "%s/wt", root);
  sh("cd \"$1\" && git worktree add -q -b feature ../wt");
  char *top = NULL;
  assert_int_equal(aeh_git_toplevel(wt, &top, &err), AERO_OK);
  assert_string_equal(top, wt);
  free(top);
  assert_int_equal(aeh_git_inspect(wt, NULL, NULL, &dirty, &s, &err), AERO_OK);
  assert_string_equal(s.branch, "feature");
  assert_int_equal(dirty.n, 0);
  aeh_git_state_free(&s);
  aeh_strv_free(&dirty);
}

static void no_commit_and_no_repository_fail(void **state) {
  (void)state;
  aeh_strv dirty = AEH_STRV_INIT;
  aeh_git_state s = {0};
  aero_error err = AEH_ERROR_INIT;
  char empty[PATH_MAX + 16], plain[PATH_MAX + 16];
  snprintf(empty, sizeof empty, "%s/empty", root);
  snprintf(plain, sizeof plain, "%s/plain", root);
  sh("cd \"$1\"/.. && git init -q empty && mkdir plain");
  assert_int_equal(aeh_git_inspect(empty, NULL, NULL, &dirty, &s, &err),
                   AERO_E_CONFIG);
  assert_non_null(strstr(err.message, "commit"));
  assert_int_equal(aeh_git_inspect(plain, NULL, NULL, &dirty, &s, &err),
                   AERO_E_NOT_FOUND);
  char *top = NULL;
  assert_int_equal(aeh_git_toplevel(plain, &top, &err), AERO_E_NOT_FOUND);
  assert_null(top);
  aeh_strv_free(&dirty);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(clean_tree_state, setup, teardown),
      cmocka_unit_test_setup_teardown(every_kind_of_change_is_listed, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(detached_head_and_origin_remote, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(linked_worktree_reads_its_own_branch,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(no_commit_and_no_repository_fail, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
