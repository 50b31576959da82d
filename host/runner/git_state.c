#include "git_state.h"

#include <stdlib.h>
#include <string.h>

#include "process.h"

/* Runs `git -C dir ARGS...` and captures it. */
static aero_status git(const char *dir, const char *const *args,
                       aeh_spawn_out *out, aero_error *err) {
  aeh_strv argv = AEH_STRV_INIT;
  aero_status st = AERO_OK;
  if (aeh_strv_push(&argv, "git") || aeh_strv_push(&argv, "-C") ||
      aeh_strv_push(&argv, dir)) {
    st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; args[i] != NULL; i++) {
    if (aeh_strv_push(&argv, args[i]) != AERO_OK) {
      st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
      goto done;
    }
  }
  st = aeh_spawn_capture(aeh_strv_argv(&argv), NULL, out, err);
done:
  aeh_strv_free(&argv);
  return st;
}

/* The output without its trailing newlines, as a new string. */
static char *chomp_copy(const char *s) {
  size_t len = strlen(s);
  while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
    len--;
  return strndup(s, len);
}

aero_status aeh_git_toplevel(const char *dir, char **out, aero_error *err) {
  aeh_spawn_out r = {0};
  static const char *const args[] = {"rev-parse", "--show-toplevel", NULL};
  aero_status st = git(dir, args, &r, err);
  if (st != AERO_OK)
    return st;
  if (r.code != 0 || r.out_len == 0) {
    char line[256];
    st =
        aeh_error_set(err, AERO_E_NOT_FOUND, "%s is not in a git work tree: %s",
                      dir, aeh_spawn_first_line(r.err, line, sizeof line));
    goto done;
  }
  char *top = chomp_copy(r.out);
  if (top == NULL) {
    st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
    goto done;
  }
  *out = top;
done:
  aeh_spawn_out_free(&r);
  return st;
}

aero_status aeh_git_dirty(const char *dir, aeh_strv *entries, aero_error *err) {
  aeh_spawn_out r = {0};
  static const char *const args[] = {"status",
                                     "--porcelain=v1",
                                     "-z",
                                     "--untracked-files=all",
                                     "--ignore-submodules=none",
                                     NULL};
  aero_status st = git(dir, args, &r, err);
  if (st != AERO_OK)
    return st;
  if (r.code != 0) {
    char line[256];
    st = aeh_error_set(err, AERO_E_CONFIG, "git status failed in %s: %s", dir,
                       aeh_spawn_first_line(r.err, line, sizeof line));
    goto done;
  }
  /* -z: "XY path\0", and a rename or copy adds "old path\0" after it. */
  const char *p = r.out, *end = r.out + r.out_len;
  while (p < end && *p != '\0') {
    size_t len = strlen(p);
    if (len < 4) /* not "XY p": stop rather than misread */
      break;
    char xy[3] = {p[0], p[1], '\0'};
    if (aeh_strv_pushf(entries, "%s %s", xy, p + 3) != AERO_OK) {
      st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
      goto done;
    }
    p += len + 1;
    if ((xy[0] == 'R' || xy[0] == 'C') && p < end)
      p += strlen(p) + 1;
  }
done:
  aeh_spawn_out_free(&r);
  return st;
}

aero_status aeh_git_read(const char *dir, aeh_git_state *out, aero_error *err) {
  aero_status st = AERO_OK;
  aeh_spawn_out head = {0}, branch = {0}, remote = {0};
  aeh_git_state s = {0};
  char line[256];

  /* One call for the commit and its message: %H, then the raw body. */
  static const char *const head_args[] = {"log", "-1", "--format=%H%n%B", NULL};
  st = git(dir, head_args, &head, err);
  if (st != AERO_OK)
    goto done;
  if (head.code != 0) {
    st = aeh_error_set(err, AERO_E_CONFIG,
                       "cannot read the current commit of %s (is there a "
                       "commit yet?): %s",
                       dir, aeh_spawn_first_line(head.err, line, sizeof line));
    goto done;
  }
  size_t idlen = strcspn(head.out, "\n");
  s.commit = strndup(head.out, idlen);
  const char *msg = head.out + idlen + (head.out[idlen] == '\n');
  while (*msg == '\n')
    msg++;
  s.message = strndup(msg, strcspn(msg, "\n"));

  static const char *const branch_args[] = {"rev-parse", "--abbrev-ref", "HEAD",
                                            NULL};
  st = git(dir, branch_args, &branch, err);
  if (st != AERO_OK)
    goto done;
  s.branch = branch.code == 0 ? chomp_copy(branch.out) : strdup("HEAD");

  /* "origin" if there is one, else the first remote git lists. */
  static const char *const remote_args[] = {"config", "--get-regexp",
                                            "^remote\\..*\\.url$", NULL};
  st = git(dir, remote_args, &remote, err);
  if (st != AERO_OK)
    goto done;
  const char *url = "";
  size_t urllen = 0;
  for (const char *p = remote.out; remote.code == 0 && *p != '\0';) {
    size_t len = strcspn(p, "\n");
    const char *sp = memchr(p, ' ', len);
    if (sp != NULL) {
      int is_origin = strncmp(p, "remote.origin.url ", 18) == 0;
      if (urllen == 0 || is_origin) {
        url = sp + 1;
        urllen = len - (size_t)(sp + 1 - p);
      }
      if (is_origin)
        break;
    }
    p += len + (p[len] == '\n');
  }
  s.remote = strndup(url, urllen);

  if (!s.commit || !s.message || !s.branch || !s.remote) {
    st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
    goto done;
  }
  *out = s;
  s = (aeh_git_state){0};
done:
  aeh_git_state_free(&s);
  aeh_spawn_out_free(&remote);
  aeh_spawn_out_free(&branch);
  aeh_spawn_out_free(&head);
  return st;
}

void aeh_git_state_free(aeh_git_state *state) {
  free(state->commit);
  free(state->branch);
  free(state->message);
  free(state->remote);
  *state = (aeh_git_state){0};
}
