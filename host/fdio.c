#include "fdio.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

/* Writes all of `data`, with send() and no SIGPIPE on a socket. */
static int put_all(int fd, const void *data, size_t size, bool socket) {
  const char *p = data;
  while (size > 0) {
    ssize_t w = socket ? send(fd, p, size, MSG_NOSIGNAL) : write(fd, p, size);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    p += w;
    size -= (size_t)w;
  }
  return 0;
}

int aeh_write_all(int fd, const void *data, size_t size) {
  return put_all(fd, data, size, false);
}

int aeh_send_all(int fd, const void *data, size_t size) {
  return put_all(fd, data, size, true);
}

int aeh_read_all(int fd, void *data, size_t size) {
  char *p = data;
  size_t left = size;
  while (left > 0) {
    ssize_t r = read(fd, p, left);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return -1;
    if (r == 0)
      return left == size ? 0 : -1;
    p += r;
    left -= (size_t)r;
  }
  return 1;
}
