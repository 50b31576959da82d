/* Output of actions that run in parallel (-j > 1): each child's stdout and
 * stderr arrive through a pipe and leave the host as whole lines prefixed
 * with "[job_type output] ", so that parallel output stays readable.
 * Private to the executor. */
#ifndef AEH_EXEC_OUTPUT_H
#define AEH_EXEC_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct aeh_linebuf {
  int fd;     /* read end of the child's pipe; -1 when closed */
  int out_fd; /* where whole lines go (STDOUT or STDERR_FILENO) */
  char prefix[512];
  size_t prefix_len;
  char *data; /* owned; allocated once, reused by every action */
  size_t len;
  size_t cap;
} aeh_linebuf;

/* Allocates the buffer; false when out of memory. */
bool aeh_linebuf_init(aeh_linebuf *buf);
/* Starts reading `fd` (taken: closed by aeh_linebuf_close). */
void aeh_linebuf_open(aeh_linebuf *buf, int fd, int out_fd, const char *prefix);
/* One read after poll() said `fd` is readable; closes it at end of file. */
void aeh_linebuf_read(aeh_linebuf *buf);
/* Reads what is already in the pipe without waiting, then writes any
 * unterminated last line with a newline. */
void aeh_linebuf_drain(aeh_linebuf *buf);
void aeh_linebuf_close(aeh_linebuf *buf);
void aeh_linebuf_free(aeh_linebuf *buf);

#endif /* AEH_EXEC_OUTPUT_H */
