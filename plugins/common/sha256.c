/* pc_sha256_fd: the backends' view of the one file-hashing routine
 * (aeu_sha256_fd, host/util/sha256_file.c): their error messages, the
 * progress lines of large files, and the check that the file kept its
 * size while it was hashed. */
#include "plugin_common.h"

#include <errno.h>
#include <string.h>

/* How often (bytes) a large file reports progress. */
#define PROGRESS_STEP ((uint64_t)64 << 20)

void pc_sha256_hex(const unsigned char digest[32], char hex[65]) {
  aeu_sha256_hex(digest, hex);
}

void pc_sha256_buf(const void *data, size_t size, char hex[65]) {
  unsigned char digest[32];
  /* SHA256_Init cannot fail with the default implementation; a digest of
   * zeros would still never match a stored one. */
  if (aeu_sha256_buf(data, size, digest) != 0)
    memset(digest, 0, sizeof digest);
  aeu_sha256_hex(digest, hex);
}

typedef struct progress {
  const char *label;
  uint64_t size;
  uint64_t next;
} progress;

static void report(void *ctx, uint64_t done) {
  progress *p = ctx;
  if (done >= p->next && done < p->size) {
    pc_progress(p->label, done, p->size);
    p->next = done + PROGRESS_STEP;
  }
}

aero_status pc_sha256_fd(int fd, const char *path, uint64_t size,
                         const char *label, char hex[65], aero_error *err) {
  bool reporting = label != NULL && size >= PC_PROGRESS_MIN;
  progress p = {label, size, PROGRESS_STEP};
  uint64_t done = 0;
  if (reporting)
    pc_progress(label, 0, size);
  int rc = aeu_sha256_fd(fd, reporting ? report : NULL, &p, &done, hex);
  /* A failure still ends the progress line it started. */
  if (reporting)
    pc_progress(label, size, size);
  if (rc == ENOMEM)
    return aero_fail(err, AERO_E_NOMEM, "out of memory hashing %s", path);
  if (rc == ENOSYS)
    return aero_fail(err, AERO_E_UNSUPPORTED,
                     "OpenSSL cannot compute SHA-256 (hashing %s)", path);
  if (rc != 0)
    return aero_fail(err, AERO_E_IO, "cannot read %s: %s", path, strerror(rc));
  if (done != size)
    return aero_fail(err, AERO_E_IO,
                     "%s changed size while it was being hashed (%llu bytes "
                     "expected, %llu read)",
                     path, (unsigned long long)size, (unsigned long long)done);
  return AERO_OK;
}
