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

/* Parses `git status --porcelain=v1 -z`: "XY path\0", and a rename or
 * copy adds "old path\0" after it. */
static aero_status parse_status(const aeh_spawn_out *r, aeh_strv *entries,
                                aero_error *err) {
  const char *p = r->out, *end = r->out + r->out_len;
  while (p < end && *p != '\0') {
    size_t len = strlen(p);
    if (len < 4) /* not "XY p": stop rather than misread */
      break;
    char xy[3] = {p[0], p[1], '\0'};
    if (aeh_strv_pushf(entries, "%s %s", xy, p + 3) != AERO_OK)
      return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
    p += len + 1;
    if ((xy[0] == 'R' || xy[0] == 'C') && p < end)
      p += strlen(p) + 1;
  }
  return AERO_OK;
}

/* "origin" if there is one, else the first remote `git config
 * --get-regexp` lists; "" when there is none. */
static char *pick_remote(const aeh_spawn_out *r) {
  const char *url = "";
  size_t urllen = 0;
  for (const char *p = r->out; r->code == 0 && *p != '\0';) {
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
  return strndup(url, urllen);
}

aero_status aeh_git_inspect(const char *dir, char *const *also,
                            aeh_spawn_out *also_out, aeh_strv *dirty,
                            aeh_git_state *state, aero_error *err) {
  enum { STATUS, HEAD, MESSAGE, REMOTE, ALSO, N };
  char *const status_argv[] = {"git",
                               "-C",
                               (char *)dir,
                               "status",
                               "--porcelain=v1",
                               "-z",
                               "--untracked-files=all",
                               "--ignore-submodules=none",
                               NULL};
  /* rev-parse applies --abbrev-ref to the arguments after it: the commit
   * id, then the branch name ("HEAD" when detached). */
  char *const head_argv[] = {"git",  "-C",           (char *)dir, "rev-parse",
                             "HEAD", "--abbrev-ref", "HEAD",      NULL};
  char *const message_argv[] = {"git", "-C",          (char *)dir, "log",
                                "-1",  "--format=%B", NULL};
  char *const remote_argv[] = {"git",    "-C",           (char *)dir,
                               "config", "--get-regexp", "^remote\\..*\\.url$",
                               NULL};
  char *const *const argvs[N] = {status_argv, head_argv, message_argv,
                                 remote_argv, also};
  aeh_spawn_out r[N] = {{0}};
  aeh_git_state s = {0};
  char line[256];
  aero_status st =
      aeh_spawn_capture_all(argvs, also != NULL ? N : N - 1, NULL, r, err);
  if (st != AERO_OK)
    return st;
  if (also != NULL) {
    *also_out = r[ALSO];
    r[ALSO] = (aeh_spawn_out){0};
  }
  if (r[STATUS].code != 0) {
    st = aeh_error_set(err, AERO_E_NOT_FOUND,
                       "%s is not in a git work tree: %s", dir,
                       aeh_spawn_first_line(r[STATUS].err, line, sizeof line));
    goto done;
  }
  if (r[HEAD].code != 0 || r[MESSAGE].code != 0) {
    st = aeh_error_set(
        err, AERO_E_CONFIG,
        "cannot read the current commit of %s (is there a commit yet?): %s",
        dir,
        aeh_spawn_first_line(r[HEAD].code ? r[HEAD].err : r[MESSAGE].err, line,
                             sizeof line));
    goto done;
  }
  st = parse_status(&r[STATUS], dirty, err);
  if (st != AERO_OK)
    goto done;
  const char *h = r[HEAD].out;
  size_t idlen = strcspn(h, "\n");
  s.commit = strndup(h, idlen);
  const char *b = h + idlen + (h[idlen] == '\n');
  s.branch = strndup(b, strcspn(b, "\n"));
  const char *msg = r[MESSAGE].out;
  while (*msg == '\n')
    msg++;
  s.message = strndup(msg, strcspn(msg, "\n"));
  s.remote = pick_remote(&r[REMOTE]);
  if (!s.commit || !s.message || !s.branch || !s.remote) {
    st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
    goto done;
  }
  if (s.branch[0] == '\0') {
    free(s.branch);
    s.branch = strdup("HEAD");
  }
  *state = s;
  s = (aeh_git_state){0};
done:
  aeh_git_state_free(&s);
  for (int i = N - 1; i >= 0; i--)
    aeh_spawn_out_free(&r[i]);
  return st;
}

void aeh_git_state_free(aeh_git_state *state) {
  free(state->commit);
  free(state->branch);
  free(state->message);
  free(state->remote);
  *state = (aeh_git_state){0};
}
