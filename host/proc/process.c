#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aeu.h"

extern char **environ;

static int decode_status(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return 2;
}

static int wait_child(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      return 2;
  }
  return decode_status(status);
}

/* Spawns with the caller's file actions; reports a missing program the way
 * a user understands it. */
static aero_status spawn_one(pid_t *pid, char *const *argv,
                             const posix_spawn_file_actions_t *fa,
                             const posix_spawnattr_t *attr, char *const *envp,
                             aero_error *err) {
  int rc =
      posix_spawnp(pid, argv[0], fa, attr, argv, envp != NULL ? envp : environ);
  if (rc == 0)
    return AERO_OK;
  if (rc == ENOENT)
    return aeh_error_set(err, AERO_E_NOT_FOUND,
                         "'%s' is not installed (not found in PATH)", argv[0]);
  return aeh_error_set(err, AERO_E_IO, "cannot run '%s': %s", argv[0],
                       strerror(rc));
}

typedef struct buffer {
  char *data;
  size_t len;
  size_t cap;
} buffer;

static int buffer_read(buffer *b, int fd) {
  /* At least 4 KiB free for the next read. */
  char *grown = aeu_grow(b->data, &b->cap, b->len + 4096, 1, 8192);
  if (grown == NULL)
    return -1;
  b->data = grown;
  ssize_t got = read(fd, b->data + b->len, b->cap - b->len - 1);
  if (got < 0)
    return errno == EINTR || errno == EAGAIN ? 1 : -1;
  b->len += (size_t)got;
  b->data[b->len] = '\0';
  return got > 0;
}

static char *buffer_take(buffer *b) {
  if (b->data == NULL)
    return strdup("");
  char *d = b->data;
  b->data = NULL;
  return d;
}

/* One captured child of aeh_spawn_capture_all. */
typedef struct captured {
  pid_t pid;
  int fds[2]; /* read ends: stdout, stderr; -1 once closed */
  buffer bufs[2];
} captured;

aero_status aeh_spawn_capture_all(char *const *const *argvs, size_t n,
                                  char *const *envp, aeh_spawn_out *outs,
                                  aero_error *err) {
  aero_status st = AERO_OK;
  captured *c = calloc(n, sizeof *c);
  struct pollfd *fds = calloc(2 * n, sizeof *fds);
  aeh_spawn_out *res = calloc(n, sizeof *res);
  size_t started = 0;
  if (c == NULL || fds == NULL || res == NULL) {
    st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < n; i++)
    c[i].fds[0] = c[i].fds[1] = -1;
  for (; started < n; started++) {
    captured *k = &c[started];
    int outp[2] = {-1, -1}, errp[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    if (pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
      st = aeh_error_set(err, AERO_E_IO, "pipe: %s", strerror(errno));
    } else if (posix_spawn_file_actions_init(&fa) != 0) {
      st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
    } else {
      posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
      posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
      posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
      st = spawn_one(&k->pid, argvs[started], &fa, NULL, envp, err);
      posix_spawn_file_actions_destroy(&fa);
    }
    if (outp[1] >= 0)
      close(outp[1]);
    if (errp[1] >= 0)
      close(errp[1]);
    k->fds[0] = outp[0];
    k->fds[1] = errp[0];
    if (st != AERO_OK) {
      k->pid = 0;
      break;
    }
  }

  /* Every pipe at once: a command that fills one while we block on
   * another would otherwise deadlock. */
  for (;;) {
    nfds_t nfds = 0;
    for (size_t i = 0; i < n; i++)
      for (int j = 0; j < 2; j++)
        if (c[i].fds[j] >= 0)
          fds[nfds++] = (struct pollfd){c[i].fds[j], POLLIN, 0};
    if (nfds == 0)
      break;
    if (poll(fds, nfds, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    for (nfds_t f = 0; f < nfds; f++) {
      if (fds[f].revents == 0)
        continue;
      for (size_t i = 0; i < n; i++) {
        for (int j = 0; j < 2; j++) {
          if (c[i].fds[j] != fds[f].fd)
            continue;
          if (buffer_read(&c[i].bufs[j], fds[f].fd) <= 0) {
            close(c[i].fds[j]);
            c[i].fds[j] = -1;
          }
        }
      }
    }
  }
  int codes_ok = st == AERO_OK;
  for (size_t i = 0; i < n; i++) {
    if (c[i].pid <= 0)
      continue;
    int code = wait_child(c[i].pid);
    if (!codes_ok)
      continue;
    size_t out_len = c[i].bufs[0].len; /* the output may hold NULs (git -z) */
    char *o = buffer_take(&c[i].bufs[0]);
    char *e = buffer_take(&c[i].bufs[1]);
    if (o == NULL || e == NULL) {
      free(o);
      free(e);
      st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
      codes_ok = 0;
      continue;
    }
    res[i] = (aeh_spawn_out){code, o, out_len, e};
  }
  if (st == AERO_OK) /* out-parameters are written only on success */
    memcpy(outs, res, n * sizeof *outs);
  else
    for (size_t i = 0; i < n; i++)
      aeh_spawn_out_free(&res[i]);
done:
  for (size_t i = 0; c != NULL && i < n; i++) {
    for (int j = 0; j < 2; j++) {
      if (c[i].fds[j] >= 0)
        close(c[i].fds[j]);
      free(c[i].bufs[j].data);
    }
  }
  free(res);
  free(fds);
  free(c);
  return st;
}

aero_status aeh_spawn_capture(char *const *argv, char *const *envp,
                              aeh_spawn_out *out, aero_error *err) {
  char *const *const argvs[1] = {argv};
  return aeh_spawn_capture_all(argvs, 1, envp, out, err);
}

void aeh_spawn_out_free(aeh_spawn_out *out) {
  free(out->out);
  free(out->err);
  *out = (aeh_spawn_out){0};
}

const char *aeh_spawn_first_line(const char *text, char *buf, size_t size) {
  while (*text == '\n' || *text == ' ')
    text++;
  size_t len = strcspn(text, "\n");
  while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\r'))
    len--;
  if (len >= size)
    len = size - 1;
  memcpy(buf, text, len);
  buf[len] = '\0';
  return buf;
}

bool aeh_spawn_check(char *const argv[], char *const envp[], aeh_spawn_out *out,
                     char *why, size_t size) {
  aero_error err = AEH_ERROR_INIT;
  *out = (aeh_spawn_out){0};
  why[0] = '\0';
  if (aeh_spawn_capture(argv, envp, out, &err) != AERO_OK) {
    snprintf(why, size, "%s", err.message);
    *out = (aeh_spawn_out){0};
    return false;
  }
  if (out->code == 0)
    return true;
  aeh_spawn_first_line(out->err[0] != '\0' ? out->err : out->out, why, size);
  if (why[0] == '\0')
    snprintf(why, size, "%s exited with code %d", argv[0], out->code);
  return false;
}

/* The children of a foreground pipeline, for the SIGTERM/SIGHUP handler. */
static volatile pid_t fg_children[2] = {-1, -1};

static void forward_signal(int sig) {
  for (int i = 0; i < 2; i++)
    if (fg_children[i] > 0)
      kill(fg_children[i], sig);
}

aero_status aeh_spawn_foreground(char *const *producer, char *const *consumer,
                                 char *const *envp, bool stdout_to_stderr,
                                 int *code, aero_error *err) {
  aero_status st = AERO_OK;
  int pipefd[2] = {-1, -1};
  pid_t pids[2] = {-1, -1};
  posix_spawn_file_actions_t fa[2];
  int fa_ok[2] = {0, 0};
  posix_spawnattr_t attr;
  int attr_ok = 0;
  sigset_t block, oldmask;
  struct sigaction ign = {0}, fwd = {0}, old_int, old_quit, old_term, old_hup;

  /* Children start with default dispositions and our original mask,
   * whatever we do with the signals while we wait. */
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGHUP);
  sigprocmask(SIG_BLOCK, &block, &oldmask);
  ign.sa_handler = SIG_IGN;
  fwd.sa_handler = forward_signal;
  sigemptyset(&ign.sa_mask);
  sigemptyset(&fwd.sa_mask);
  sigaction(SIGINT, &ign, &old_int);
  sigaction(SIGQUIT, &ign, &old_quit);
  sigaction(SIGTERM, &fwd, &old_term);
  sigaction(SIGHUP, &fwd, &old_hup);

  if (posix_spawnattr_init(&attr) != 0) {
    st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
    goto done;
  }
  attr_ok = 1;
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGQUIT);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGHUP);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &oldmask);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  for (int i = 0; i < 2; i++) {
    if (posix_spawn_file_actions_init(&fa[i]) != 0) {
      st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
      goto done;
    }
    fa_ok[i] = 1;
  }
  if (consumer != NULL) {
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
      st = aeh_error_set(err, AERO_E_IO, "pipe: %s", strerror(errno));
      goto done;
    }
    posix_spawn_file_actions_adddup2(&fa[0], pipefd[1], 1);
    posix_spawn_file_actions_adddup2(&fa[1], pipefd[0], 0);
    if (stdout_to_stderr)
      posix_spawn_file_actions_adddup2(&fa[1], 2, 1);
  } else if (stdout_to_stderr) {
    posix_spawn_file_actions_adddup2(&fa[0], 2, 1);
  }
  st = spawn_one(&pids[0], producer, &fa[0], &attr, envp, err);
  if (st != AERO_OK)
    goto done;
  fg_children[0] = pids[0];
  if (consumer != NULL) {
    st = spawn_one(&pids[1], consumer, &fa[1], &attr, envp, err);
    if (st != AERO_OK) {
      kill(pids[0], SIGTERM);
      goto done;
    }
    fg_children[1] = pids[1];
    close(pipefd[0]);
    close(pipefd[1]);
    pipefd[0] = pipefd[1] = -1;
  }
  sigprocmask(SIG_SETMASK, &oldmask, NULL);

  int codes[2] = {0, 0};
  codes[0] = wait_child(pids[0]);
  pids[0] = -1;
  if (consumer != NULL) {
    codes[1] = wait_child(pids[1]);
    pids[1] = -1;
  }
  if (consumer == NULL)
    *code = codes[0];
  else
    *code = codes[1] != 0 ? codes[1] : codes[0];

done:
  for (int i = 0; i < 2; i++) {
    if (pids[i] > 0)
      wait_child(pids[i]);
    fg_children[i] = -1;
  }
  for (int i = 0; i < 2; i++)
    if (pipefd[i] >= 0)
      close(pipefd[i]);
  for (int i = 1; i >= 0; i--)
    if (fa_ok[i])
      posix_spawn_file_actions_destroy(&fa[i]);
  if (attr_ok)
    posix_spawnattr_destroy(&attr);
  sigaction(SIGHUP, &old_hup, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  sigaction(SIGQUIT, &old_quit, NULL);
  sigaction(SIGINT, &old_int, NULL);
  sigprocmask(SIG_SETMASK, &oldmask, NULL);
  return st;
}

char **aeh_spawn_env_with(char *const *base, char *const *sets, size_t nsets) {
  if (base == NULL)
    base = environ;
  size_t nbase = 0;
  while (base[nbase] != NULL)
    nbase++;
  char **env = malloc((nbase + nsets + 1) * sizeof *env);
  if (env == NULL)
    return NULL;
  size_t n = 0;
  for (size_t i = 0; i < nbase; i++) {
    size_t namelen = strcspn(base[i], "=");
    int replaced = 0;
    for (size_t j = 0; j < nsets && !replaced; j++)
      replaced =
          strncmp(sets[j], base[i], namelen) == 0 && sets[j][namelen] == '=';
    if (!replaced)
      env[n++] = base[i];
  }
  for (size_t j = 0; j < nsets; j++)
    env[n++] = sets[j];
  env[n] = NULL;
  return env;
}
