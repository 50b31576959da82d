#include "fork_server.h"

#include "fdio.h"
#include "proctree.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define REQUEST_MAGIC 0x52514653u /* "SFQR" */
#define MESSAGE_MAGIC 0x4d474653u /* "SFGM" */
#define MAX_FDS 3

enum { MSG_STARTED = 1, MSG_EXITED = 2 };

/* Host -> server, followed by `size` bytes of run state; the pipes travel
 * as SCM_RIGHTS with it. */
typedef struct request {
  uint32_t magic;
  uint32_t fd_mask; /* which of relay, out, err were sent, in that order */
  uint64_t pos;
  uint64_t size;
} request;

/* Server -> host: STARTED on the start pipe, in the order the requests
 * came; EXITED on the socket. */
typedef struct message {
  uint32_t magic;
  uint32_t kind;
  int32_t pid;
  int32_t value; /* STARTED: 0 or an errno value; EXITED: wait status */
} message;

struct aeh_fork_server {
  int fd;            /* the host's end of the socket */
  int start_fd;      /* the read end of the start pipe (non-blocking) */
  pid_t pid;         /* the server */
  bool lost;         /* the server is gone */
  uint64_t asked;    /* starts asked for: the last ticket given */
  uint64_t answered; /* starts whose outcome was read */
};

/* ------------------------------------------------------------- server */

static int server_signal_w = -1;
static int server_start_w = -1; /* the write end of the start pipe */

static void server_on_sigchld(int sig) {
  (void)sig;
  int saved = errno;
  unsigned char byte = 1;
  ssize_t w = write(server_signal_w, &byte, 1);
  (void)w;
  errno = saved;
}

static void send_message(int fd, uint32_t kind, pid_t pid, int value) {
  message m = {
      .magic = MESSAGE_MAGIC, .kind = kind, .pid = pid, .value = value};
  if (aeh_write_all(fd, &m, sizeof m) != 0)
    _exit(1); /* the host is gone */
}

static void reap(int fd) {
  int wstatus;
  pid_t pid;
  while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0)
    send_message(fd, MSG_EXITED, pid, wstatus);
}

/* Reads one request with its descriptors. Returns 1, 0 at end of file, or
 * -1 on a broken request. */
static int read_request(int fd, request *req, int fds[MAX_FDS]) {
  char control[CMSG_SPACE(MAX_FDS * sizeof(int))];
  struct iovec iov = {.iov_base = req, .iov_len = sizeof *req};
  struct msghdr mh = {.msg_iov = &iov,
                      .msg_iovlen = 1,
                      .msg_control = control,
                      .msg_controllen = sizeof control};
  ssize_t got;
  do
    got = recvmsg(fd, &mh, MSG_WAITALL | MSG_CMSG_CLOEXEC);
  while (got < 0 && errno == EINTR);
  if (got == 0)
    return 0;
  if (got != (ssize_t)sizeof *req || req->magic != REQUEST_MAGIC)
    return -1;
  size_t n = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL;
       c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count && n < MAX_FDS; i++)
        memcpy(&fds[n++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
    }
  }
  int out[MAX_FDS] = {-1, -1, -1};
  size_t k = 0;
  for (size_t i = 0; i < MAX_FDS; i++)
    if (req->fd_mask & (1u << i))
      out[i] = k < n ? fds[k++] : -1;
  memcpy(fds, out, sizeof out);
  return 1;
}

static void close_fds(int fds[MAX_FDS]) {
  for (size_t i = 0; i < MAX_FDS; i++)
    if (fds[i] >= 0)
      close(fds[i]);
}

/* Starts one action's process for a request. */
static void serve(int fd, const request *req, int fds[MAX_FDS],
                  aeh_store *store, const aeh_session *session,
                  aeh_fork_server_action_fn action_of,
                  aeh_fork_server_child_fn child, void *ctx) {
  /* On the stack, not the heap: every page the server writes between
   * forks costs it a copy-on-write fault, since each fork shares them all
   * again. The child keeps this frame (it never returns from here). */
  char small[1536], storage[3072];
  char *state = req->size <= sizeof small ? small : malloc(req->size);
  if (state == NULL || aeh_read_all(fd, state, req->size) != 1)
    _exit(1); /* the stream is out of step: nothing sensible follows */
  aeh_run *run = NULL;
  aero_error err = AEH_ERROR_INIT;
  const aeh_action *action = action_of(ctx, (size_t)req->pos);
  int failure = 0;
  if (action == NULL ||
      aeh_run_adopt(store, session, action, state, req->size, storage,
                    sizeof storage, &run, &err) != AERO_OK)
    failure = action == NULL ? EINVAL : ENOMEM;
  if (state != small)
    free(state);
  pid_t pid = -1;
  if (failure == 0) {
    pid = fork();
    if (pid < 0)
      failure = errno;
  }
  if (pid == 0) {
    /* The child function sets its own process group and signal
     * dispositions (those of the host it runs for). */
    close(fd);
    close(server_signal_w);
    close(server_start_w);
    child(ctx, (size_t)req->pos, run, fds[0], fds[1], fds[2]);
    _exit(127); /* not reached: child never returns */
  }
  if (pid > 0)
    setpgid(pid, pid); /* both sides, so that it exists before either acts */
  close_fds(fds);
  aeh_run_release(run);
  send_message(server_start_w, MSG_STARTED, pid, failure);
}

static _Noreturn void server_main(int fd, int start_w, pid_t host,
                                  aeh_store *store, const aeh_session *session,
                                  aeh_fork_server_action_fn action_of,
                                  aeh_fork_server_child_fn child, void *ctx) {
  /* Goes with the host, however the host ends; the actions go with it. */
  aeh_store_after_fork(store);
  if (getppid() != host)
    _exit(1);
  int sp[2];
  if (pipe2(sp, O_CLOEXEC | O_NONBLOCK) != 0)
    _exit(1);
  server_signal_w = sp[1];
  server_start_w = start_w;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = server_on_sigchld;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);
  /* Ctrl-C reaches the whole foreground group: the host decides what the
   * actions get. */
  struct sigaction ignore;
  memset(&ignore, 0, sizeof ignore);
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGINT, &ignore, NULL);
  sigaction(SIGTERM, &ignore, NULL);
  sigaction(SIGHUP, &ignore, NULL);
  /* What outlives an action that died comes here, for the host to end. */
  aeh_proctree_adopt_orphans();
  sigaction(SIGPIPE, &ignore, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);

  for (;;) {
    struct pollfd pfd[2] = {{.fd = fd, .events = POLLIN},
                            {.fd = sp[0], .events = POLLIN}};
    if (poll(pfd, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      _exit(1);
    }
    if (pfd[1].revents != 0) {
      unsigned char drain[64];
      while (read(sp[0], drain, sizeof drain) > 0) {
      }
    }
    reap(fd);
    if (pfd[0].revents == 0)
      continue;
    request req;
    int fds[MAX_FDS] = {-1, -1, -1};
    int got = read_request(fd, &req, fds);
    if (got <= 0)
      break;
    serve(fd, &req, fds, store, session, action_of, child, ctx);
  }
  /* The host is done (or gone): every action ended, so what is left are
   * processes they left behind: end them, then leave. */
  (void)aeh_proctree_kill_children(getpid(), NULL, 0);
  while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {
  }
  _exit(0);
}

/* --------------------------------------------------------------- host */

int aeh_fork_server_start(aeh_fork_server **out, aeh_store *store,
                          const aeh_session *session,
                          aeh_fork_server_action_fn action_of,
                          aeh_fork_server_child_fn child, void *ctx,
                          const int *close_fds_of_host, size_t close_count) {
  aeh_fork_server *fs = calloc(1, sizeof *fs);
  if (fs == NULL)
    return ENOMEM;
  int sv[2], st[2] = {-1, -1};
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    int e = errno;
    free(fs);
    return e;
  }
  if (pipe2(st, O_CLOEXEC) != 0) {
    int e = errno;
    close(sv[0]);
    close(sv[1]);
    free(fs);
    return e;
  }
  pid_t host = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(sv[0]);
    close(sv[1]);
    close(st[0]);
    close(st[1]);
    free(fs);
    return e;
  }
  if (pid == 0) {
    close(sv[0]);
    close(st[0]);
    for (size_t i = 0; i < close_count; i++)
      if (close_fds_of_host[i] >= 0)
        close(close_fds_of_host[i]);
    free(fs);
    server_main(sv[1], st[1], host, store, session, action_of, child, ctx);
  }
  close(sv[1]);
  close(st[1]);
  /* Read when the host needs a process id, never polled: a start must
   * not wake the host (see aeh_fork_server_started). */
  fcntl(st[0], F_SETFL, O_NONBLOCK);
  fs->fd = sv[0];
  fs->start_fd = st[0];
  fs->pid = pid;
  *out = fs;
  return 0;
}

/* Reads one message; false when the server is gone. */
static bool read_message(aeh_fork_server *fs, message *m) {
  if (fs->lost)
    return false;
  if (aeh_read_all(fs->fd, m, sizeof *m) != 1 || m->magic != MESSAGE_MAGIC) {
    fs->lost = true;
    return false;
  }
  return true;
}

int aeh_fork_server_spawn(aeh_fork_server *fs, size_t pos, const aeh_run *run,
                          int relay_w, int out_w, int err_w, uint64_t *ticket) {
  if (fs->lost)
    return EPIPE;
  size_t size = aeh_run_state_size(run);
  char *state = malloc(size);
  if (state == NULL)
    return ENOMEM;
  aeh_run_state_write(run, state);
  int sent[MAX_FDS];
  uint32_t mask = 0;
  size_t n = 0;
  const int fds[MAX_FDS] = {relay_w, out_w, err_w};
  for (size_t i = 0; i < MAX_FDS; i++) {
    if (fds[i] >= 0) {
      sent[n++] = fds[i];
      mask |= 1u << i;
    }
  }
  request req = {
      .magic = REQUEST_MAGIC, .fd_mask = mask, .pos = pos, .size = size};
  char control[CMSG_SPACE(MAX_FDS * sizeof(int))];
  memset(control, 0, sizeof control);
  struct iovec iov = {.iov_base = &req, .iov_len = sizeof req};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
  if (n > 0) {
    mh.msg_control = control;
    mh.msg_controllen = CMSG_SPACE(n * sizeof(int));
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(n * sizeof(int));
    memcpy(CMSG_DATA(c), sent, n * sizeof(int));
  }
  ssize_t w;
  do
    w = sendmsg(fs->fd, &mh, MSG_NOSIGNAL);
  while (w < 0 && errno == EINTR);
  int result = 0;
  if (w != (ssize_t)sizeof req || aeh_write_all(fs->fd, state, size) != 0) {
    fs->lost = true;
    result = EPIPE;
  }
  free(state);
  if (result == 0)
    *ticket = ++fs->asked;
  return result;
}

bool aeh_fork_server_started(aeh_fork_server *fs, bool wait, uint64_t *ticket,
                             pid_t *pid, int *failure) {
  while (!fs->lost && fs->answered < fs->asked) {
    message m;
    ssize_t got = read(fs->start_fd, &m, sizeof m);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0 && errno == EAGAIN) {
      struct pollfd pfd = {.fd = fs->start_fd, .events = POLLIN};
      if (!wait || (poll(&pfd, 1, -1) < 0 && errno != EINTR))
        return false;
      continue;
    }
    /* Written whole (16 bytes, under PIPE_BUF): anything else means the
     * server is gone. */
    if (got != (ssize_t)sizeof m || m.magic != MESSAGE_MAGIC ||
        m.kind != MSG_STARTED) {
      fs->lost = true;
      return false;
    }
    *ticket = ++fs->answered;
    *pid = m.value == 0 ? m.pid : -1;
    *failure = m.value;
    return true;
  }
  return false;
}

pid_t aeh_fork_server_pid(const aeh_fork_server *fs) {
  return fs->pid;
}

int aeh_fork_server_fd(const aeh_fork_server *fs) {
  return fs->fd;
}

bool aeh_fork_server_next_exit(aeh_fork_server *fs, pid_t *pid, int *wstatus,
                               bool *lost) {
  *lost = false;
  if (!fs->lost) {
    struct pollfd pfd = {.fd = fs->fd, .events = POLLIN};
    if (poll(&pfd, 1, 0) <= 0)
      return false;
    message m;
    if (read_message(fs, &m) && m.kind == MSG_EXITED) {
      *pid = m.pid;
      *wstatus = m.value;
      return true;
    }
    fs->lost = true; /* gone, or out of step: nothing sensible follows */
  }
  *lost = true;
  return false;
}

void aeh_fork_server_stop(aeh_fork_server *fs) {
  if (fs == NULL)
    return;
  /* End of file: the server leaves. It is reaped without waiting for it
   * to finish unmapping its copy of the host (~1 ms): if it is not gone
   * yet, it stays a zombie until this process ends, which is near. */
  close(fs->fd);
  close(fs->start_fd);
  waitpid(fs->pid, NULL, WNOHANG);
  free(fs);
}
