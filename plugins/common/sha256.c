/* SHA-256 of a file in one streaming pass, with OpenSSL's
 * SHA256_* functions, which use the CPU's SHA extensions when it has them.
 * Not EVP: the same code, without initialising OpenSSL's provider tables,
 * which costs ~2 ms per process here, more than hashing a typical output.
 * (Deprecated in OpenSSL 3, not removed.)
 *
 * The buffer size is the one measured fastest here (docs/store.md): large
 * enough that read() costs little per byte, small enough to stay in L2 so
 * that the hash reads the bytes from cache rather than memory.
 */
#include "plugin_common.h"

#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HASH_BUFFER_SIZE ((size_t)256 << 10)
/* How often (bytes) a large file reports progress. */
#define PROGRESS_STEP ((uint64_t)64 << 20)

void pc_sha256_hex(const unsigned char digest[32], char hex[65]) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < 32; i++) {
    hex[2 * i] = digits[digest[i] >> 4];
    hex[2 * i + 1] = digits[digest[i] & 0xf];
  }
  hex[64] = '\0';
}

aero_status pc_sha256_fd(int fd, const char *path, uint64_t size,
                         const char *label, char hex[65], aero_error *err) {
  aero_status status = AERO_OK;
  bool report = label != NULL && size >= PC_PROGRESS_MIN;
  unsigned char *buf = malloc(HASH_BUFFER_SIZE);
  SHA256_CTX ctx;
  if (buf == NULL) {
    status = aero_fail(err, AERO_E_NOMEM, "out of memory hashing %s", path);
    goto done;
  }
  if (SHA256_Init(&ctx) != 1) {
    status = aero_fail(err, AERO_E_UNSUPPORTED,
                       "OpenSSL cannot compute SHA-256 (hashing %s)", path);
    goto done;
  }
  /* The kernel reads ahead further when it knows the access is sequential. */
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  uint64_t done = 0, next_report = PROGRESS_STEP;
  if (report)
    pc_progress(label, 0, size);
  for (;;) {
    ssize_t n = pread(fd, buf, HASH_BUFFER_SIZE, (off_t)done);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      status = aero_fail(err, AERO_E_IO, "cannot read %s: %s", path,
                         strerror(errno));
      goto done;
    }
    if (n == 0)
      break;
    SHA256_Update(&ctx, buf, (size_t)n);
    done += (uint64_t)n;
    if (report && done >= next_report && done < size) {
      pc_progress(label, done, size);
      next_report = done + PROGRESS_STEP;
    }
  }
  if (done != size) {
    status =
        aero_fail(err, AERO_E_IO,
                  "%s changed size while it was being hashed (%llu bytes "
                  "expected, %llu read)",
                  path, (unsigned long long)size, (unsigned long long)done);
    goto done;
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256_Final(digest, &ctx);
  pc_sha256_hex(digest, hex);
  if (report)
    pc_progress(label, size, size);
done:
  /* A failure still ends the progress line it started. */
  if (report && status != AERO_OK)
    pc_progress(label, size, size);
  free(buf);
  return status;
}
