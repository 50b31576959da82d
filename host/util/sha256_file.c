/* SHA-256 of a file in one streaming pass, with OpenSSL's SHA256_*
 * functions, which use the CPU's SHA extensions when it has them. Not EVP:
 * the same code, without initialising OpenSSL's provider tables, which
 * costs ~2 ms per process here, more than hashing a typical output; and
 * from the static libcrypto.a when there is one (aero_sha256), so that no
 * process loads the shared library for it (docs/performance.md).
 * (Deprecated in OpenSSL 3, not removed.)
 *
 * The buffer size is the one measured fastest here (docs/store.md): large
 * enough that read() costs little per byte, small enough to stay in L2 so
 * that the hash reads the bytes from cache rather than memory.
 */
#include "aeu.h"

#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#define HASH_BUFFER_SIZE ((size_t)256 << 10)

void aeu_sha256_hex(const unsigned char digest[32], char hex[65]) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < 32; i++) {
    hex[2 * i] = digits[digest[i] >> 4];
    hex[2 * i + 1] = digits[digest[i] & 0xf];
  }
  hex[64] = '\0';
}

int aeu_sha256_buf(const void *data, size_t size, unsigned char digest[32]) {
  SHA256_CTX sha;
  if (SHA256_Init(&sha) != 1 || SHA256_Update(&sha, data, size) != 1 ||
      SHA256_Final(digest, &sha) != 1)
    return ENOSYS;
  return 0;
}

int aeu_sha256_fd(int fd, aeu_progress_fn progress, void *ctx, uint64_t *length,
                  char hex[65]) {
  unsigned char *buf = malloc(HASH_BUFFER_SIZE);
  SHA256_CTX sha;
  int rc = 0;
  if (buf == NULL)
    return ENOMEM;
  if (SHA256_Init(&sha) != 1) {
    free(buf);
    return ENOSYS;
  }
  /* The kernel reads ahead further when it knows the access is sequential. */
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  uint64_t done = 0;
  for (;;) {
    ssize_t n = pread(fd, buf, HASH_BUFFER_SIZE, (off_t)done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      rc = errno;
      break;
    }
    if (n == 0)
      break;
    SHA256_Update(&sha, buf, (size_t)n);
    done += (uint64_t)n;
    if (progress != NULL)
      progress(ctx, done);
  }
  if (rc == 0) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256_Final(digest, &sha);
    aeu_sha256_hex(digest, hex);
    *length = done;
  }
  free(buf);
  return rc;
}
