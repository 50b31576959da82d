/* Leaf helpers with one copy for the host, the runner and the backend
 * plugins: aero_util, a static, position-independent library with hidden
 * symbols that each links (so a plugin still exports its one entry). They
 * depend on libc, libm (and libcrypto's SHA-256) only, and report errors as
 * errno values, leaving the message to the caller's own error style.
 *
 * Owner: front-end.
 */
#ifndef AEU_H
#define AEU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fills each of the descriptors 0, 1 and 2 that is closed (a program
 * started with `>&-`) with /dev/null opened read-only, first thing in a
 * program's main: otherwise the next file or socket opened takes that
 * number, and what the program writes to stdout or stderr goes into it
 * (a database connection's socket). A write to it still fails, EBADF, as
 * to the closed descriptor, so a lost answer is still seen as lost. */
void aeu_guard_std_fds(void);

/* mkdir -p: creates `path` and every missing folder above it, each with
 * `mode`. Returns 0 when `path` is a folder afterwards (also when it was
 * already), else an errno value: ENOTDIR when a part is not a folder,
 * ENAMETOOLONG past PATH_MAX. */
int aeu_mkdirs(const char *path, unsigned mode);

/* aeu_mkdirs of the folder holding `path` (nothing for a bare name). */
int aeu_mkdirs_parent(const char *path, unsigned mode);

/* Makes room for `need` (at least 1) elements of `size` bytes in the
 * array `items` (NULL when empty) of *cap elements: when `need` exceeds
 * *cap, reallocs it to `first` elements (from empty) or to *cap doubled,
 * doubled again until there are `need`, and updates *cap. Returns the
 * array, moved or not; NULL when out of memory (errno ENOMEM), and then
 * `items` and *cap are as they were, still the caller's to free. */
void *aeu_grow(void *items, size_t *cap, size_t need, size_t size,
               size_t first);

/* qsort of `count` elements of `size` bytes at `items`, which may be NULL
 * when `count` is 0 (qsort's may not). */
void aeu_sort(void *items, size_t count, size_t size,
              int (*compare)(const void *, const void *));

/* strdup of an optional string: NULL stays NULL. NULL for a string too
 * when out of memory, and then *failed is set to true (`failed` may be
 * NULL: the caller compares the copy with `s` instead); it is never
 * cleared, so that one flag covers several copies. */
char *aeu_strdup_or_null(const char *s, bool *failed);

/* Called with the bytes hashed so far after each block read. */
typedef void (*aeu_progress_fn)(void *ctx, uint64_t done);

/* SHA-256 of everything `fd` holds from offset 0, in one streaming pass
 * (the one file-hashing routine: stored outputs, plugins, the host image's
 * recipe). Writes the lowercase hex digest (65 bytes with the terminator)
 * to `hex` and the bytes hashed to *length. `progress` may be NULL.
 * Returns 0 or an errno value (ENOSYS: OpenSSL cannot hash). */
int aeu_sha256_fd(int fd, aeu_progress_fn progress, void *ctx, uint64_t *length,
                  char hex[65]);

/* SHA-256 of `size` bytes at `data` (borrowed) into `digest`, for the
 * runner's short keys (build folder names, the image recipe's text), so
 * that it needs no EVP and no shared libcrypto. Returns 0 or ENOSYS. */
int aeu_sha256_buf(const void *data, size_t size, unsigned char digest[32]);

/* Writes the lowercase hex form of a 32-byte digest. */
void aeu_sha256_hex(const unsigned char digest[32], char hex[65]);

/* Room for any aeu_format_* result with its terminator. */
#define AEU_DOUBLE_CHARS 32

/* Writes `v` as the shortest decimal that strtod reads back as exactly `v`
 * (but where that decimal lies exactly halfway between two doubles: then
 * one digit more; integral values as integers; laid out like printf's %.17g: an
 * exponent below 1e-4 or from 1e17 on; "inf", "nan" as glibc writes them) to
 * `out`, which has room for AEU_DOUBLE_CHARS bytes, terminated. Returns its
 * length. Several times faster than printf (format_number.c says how). */
size_t aeu_format_double(double v, char *out);

/* Writes `v` in decimal, terminated, to `out` (room for 21 bytes for
 * aeu_format_i64, 20 for aeu_format_u64); returns its length. */
size_t aeu_format_i64(int64_t v, char *out);
size_t aeu_format_u64(uint64_t v, char *out);

#endif /* AEU_H */
