/* Whole reads and writes on pipes and sockets, retried across EINTR and
 * short transfers: the fork server's messages and the relay's frames must
 * arrive whole. */
#ifndef AEH_FDIO_H
#define AEH_FDIO_H

#include <stddef.h>

/* Writes all `size` bytes. Returns 0, or -1 (errno set) on failure. */
int aeh_write_all(int fd, const void *data, size_t size);

/* Writes all `size` bytes to a socket without raising SIGPIPE when the
 * other end is gone (EPIPE instead). Returns 0, or -1 (errno set). */
int aeh_send_all(int fd, const void *data, size_t size);

/* Reads exactly `size` bytes. Returns 1 when all were read, 0 at end of
 * file before the first byte, -1 on error or end of file midway. */
int aeh_read_all(int fd, void *data, size_t size);

#endif /* AEH_FDIO_H */
