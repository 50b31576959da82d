#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

/* Longer lines are cut into pieces of this size, each on its own line. */
#define LINE_MAX_BYTES (64 * 1024)

bool aeh_linebuf_init(aeh_linebuf *buf) {
  memset(buf, 0, sizeof *buf);
  buf->fd = -1;
  buf->data = malloc(LINE_MAX_BYTES);
  buf->cap = buf->data != NULL ? LINE_MAX_BYTES : 0;
  return buf->data != NULL;
}

void aeh_linebuf_open(aeh_linebuf *buf, int fd, int out_fd,
                      const char *prefix) {
  buf->fd = fd;
  buf->out_fd = out_fd;
  buf->len = 0;
  size_t n = strlen(prefix);
  if (n >= sizeof buf->prefix)
    n = sizeof buf->prefix - 1;
  memcpy(buf->prefix, prefix, n);
  buf->prefix[n] = '\0';
  buf->prefix_len = n;
  /* Only the host's end is non-blocking: the child writes as it would to a
   * terminal. */
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0)
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/* One prefixed line in one writev, so that lines of different children
 * never interleave within a line. */
static void emit(aeh_linebuf *buf, const char *line, size_t len,
                 bool add_newline) {
  struct iovec iov[3] = {
      {buf->prefix, buf->prefix_len},
      {(void *)line, len},
      {"\n", add_newline ? 1 : 0},
  };
  size_t total = buf->prefix_len + len + (add_newline ? 1 : 0);
  ssize_t w;
  do
    w = writev(buf->out_fd, iov, 3);
  while (w < 0 && errno == EINTR);
  if (w >= 0 && (size_t)w < total) {
    /* A short write (a full terminal or pipe): finish the rest plainly. */
    size_t done = (size_t)w;
    for (int i = 0; i < 3; i++) {
      size_t n = iov[i].iov_len;
      if (done >= n) {
        done -= n;
        continue;
      }
      const char *p = (const char *)iov[i].iov_base + done;
      n -= done;
      done = 0;
      while (n > 0) {
        ssize_t k = write(buf->out_fd, p, n);
        if (k < 0 && errno == EINTR)
          continue;
        if (k <= 0)
          return;
        p += k;
        n -= (size_t)k;
      }
    }
  }
}

/* Writes every complete line in the buffer, keeps the rest. */
static void flush_lines(aeh_linebuf *buf, size_t scan_from) {
  size_t start = 0;
  for (size_t i = scan_from; i < buf->len; i++) {
    if (buf->data[i] == '\n') {
      emit(buf, buf->data + start, i + 1 - start, false);
      start = i + 1;
    }
  }
  if (start == 0 && buf->len == buf->cap) {
    emit(buf, buf->data, buf->len, true);
    start = buf->len;
  }
  if (start > 0) {
    memmove(buf->data, buf->data + start, buf->len - start);
    buf->len -= start;
  }
}

static void flush_partial(aeh_linebuf *buf) {
  if (buf->len > 0)
    emit(buf, buf->data, buf->len, true);
  buf->len = 0;
}

/* Returns bytes read, 0 at end of file, -1 when nothing is there. */
static ssize_t read_once(aeh_linebuf *buf) {
  if (buf->fd < 0)
    return 0;
  ssize_t got;
  do
    got = read(buf->fd, buf->data + buf->len, buf->cap - buf->len);
  while (got < 0 && errno == EINTR);
  if (got > 0) {
    size_t old = buf->len;
    buf->len += (size_t)got;
    flush_lines(buf, old);
  }
  return got;
}

void aeh_linebuf_read(aeh_linebuf *buf) {
  if (read_once(buf) == 0) {
    flush_partial(buf);
    aeh_linebuf_close(buf);
  }
}

void aeh_linebuf_drain(aeh_linebuf *buf) {
  /* Bounded: a grandchild that keeps writing must not hold the host. */
  for (int i = 0; i < 64 && read_once(buf) > 0; i++)
    ;
  flush_partial(buf);
}

void aeh_linebuf_close(aeh_linebuf *buf) {
  if (buf->fd >= 0)
    close(buf->fd);
  buf->fd = -1;
}

void aeh_linebuf_free(aeh_linebuf *buf) {
  aeh_linebuf_close(buf);
  free(buf->data);
  buf->data = NULL;
  buf->cap = 0;
}
