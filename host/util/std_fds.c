/* aeu_guard_std_fds: see aeu.h. */
#include "aeu.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

void aeu_guard_std_fds(void) {
  for (int fd = 0; fd <= 2; fd++) {
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
      continue;
    /* open() returns the lowest free number: this one, since the lower
     * ones are open by now. Read-only: a write to it fails with EBADF. */
    int got = open("/dev/null", O_RDONLY);
    if (got >= 0 && got != fd)
      close(got);
  }
}
