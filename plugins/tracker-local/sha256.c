/* tracker-local: SHA-256 of a file in one streaming pass, with OpenSSL's
 * EVP interface (which uses the CPU's SHA extensions when it has them).
 *
 * The buffer size is the one measured fastest here (docs/store.md): large
 * enough that read() costs little per byte, small enough to stay in L2 so
 * that the hash reads the bytes from cache rather than memory.
 */
#include "local.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#define HASH_BUFFER_SIZE ((size_t)256 << 10)
/* How often (bytes) a large file reports progress. */
#define PROGRESS_STEP ((uint64_t)64 << 20)

void tl_sha256_hex(const unsigned char digest[32], char hex[65]) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < 32; i++) {
    hex[2 * i] = digits[digest[i] >> 4];
    hex[2 * i + 1] = digits[digest[i] & 0xf];
  }
  hex[64] = '\0';
}

aero_status tl_sha256_fd(int fd, const char *path, uint64_t size,
                         const char *label, char hex[65], aero_error *err) {
  aero_status status = AERO_OK;
  bool report = label != NULL && size >= TL_PROGRESS_MIN;
  unsigned char *buf = malloc(HASH_BUFFER_SIZE);
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (buf == NULL || ctx == NULL) {
    status = aero_fail(err, AERO_E_NOMEM, "out of memory hashing %s", path);
    goto done;
  }
  if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
    status = aero_fail(err, AERO_E_UNSUPPORTED,
                       "OpenSSL cannot compute SHA-256 (hashing %s)", path);
    goto done;
  }
  /* The kernel reads ahead further when it knows the access is sequential. */
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  uint64_t done = 0, next_report = PROGRESS_STEP;
  if (report)
    tl_progress(label, 0, size);
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
    EVP_DigestUpdate(ctx, buf, (size_t)n);
    done += (uint64_t)n;
    if (report && done >= next_report && done < size) {
      tl_progress(label, done, size);
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
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  EVP_DigestFinal_ex(ctx, digest, &digest_len);
  tl_sha256_hex(digest, hex);
  if (report)
    tl_progress(label, size, size);
done:
  /* A failure still ends the progress line it started. */
  if (report && status != AERO_OK)
    tl_progress(label, size, size);
  EVP_MD_CTX_free(ctx);
  free(buf);
  return status;
}
