/* The files of a declared output, shared by the backend plugins: the
 * declared paths expanded into a sorted list of files with their names in
 * the artifact (checked: relative, no "." or ".." part, no clash), and the
 * version's digest, the SHA-256 of its sorted manifest: for each file its
 * name in the artifact, a NUL, its blob's hex digest, a newline.
 */
#include "plugin_common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* SHA256_*, as in sha256.c. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

void pc_file_list_free(pc_file_list *list) {
  for (size_t i = 0; i < list->count; i++) {
    free(list->items[i].source);
    free(list->items[i].name);
  }
  free(list->items);
}

/* Takes `source` and `name` (both malloc'd), even on failure. */
static aero_status file_list_add(pc_file_list *list, char *source, char *name,
                                 aero_error *err) {
  if (source == NULL || name == NULL)
    goto nomem;
  pc_file *items =
      aeu_grow(list->items, &list->cap, list->count + 1, sizeof *items, 16);
  if (items == NULL)
    goto nomem;
  list->items = items;
  list->items[list->count++] = (pc_file){.source = source, .name = name};
  return AERO_OK;
nomem:
  free(source);
  free(name);
  return aero_fail(err, AERO_E_NOMEM, "out of memory");
}

/* A name inside an artifact: relative, no empty, "." or ".." part, so that
 * a materialized view can never reach outside its folder. */
const char *pc_name_problem(const char *name) {
  if (name[0] == '\0')
    return "is empty";
  if (strlen(name) >= 1024)
    return "is longer than 1023 bytes";
  if (name[0] == '/')
    return "is absolute";
  for (const char *part = name; *part != '\0';) {
    size_t len = strcspn(part, "/");
    if (len == 0 || (len == 1 && part[0] == '.') ||
        (len == 2 && part[0] == '.' && part[1] == '.'))
      return "has an empty, '.' or '..' part";
    part += len;
    if (*part == '/')
      part++;
    if (*part == '\0' && part[-1] == '/')
      return "ends with '/'";
  }
  return NULL;
}

aero_status pc_check_file_row(const char *where, int64_t version_id,
                              const char *name, const char *hex,
                              aero_error *err) {
  const char *problem = name != NULL ? pc_name_problem(name) : "is NULL";
  if (problem != NULL)
    return aero_fail(err, AERO_E_STORE,
                     "%s: version %lld is damaged: the name of its file "
                     "'%.200s' %s",
                     where, (long long)version_id, name != NULL ? name : "",
                     problem);
  if (hex == NULL || strlen(hex) != 64 ||
      strspn(hex, "0123456789abcdef") != 64)
    return aero_fail(err, AERO_E_STORE,
                     "%s: version %lld is damaged: its file '%.200s' names "
                     "blob '%.80s', not a SHA-256",
                     where, (long long)version_id, name,
                     hex != NULL ? hex : "");
  return AERO_OK;
}

static aero_status check_name(const char *output, const char *source,
                              const char *name, aero_error *err) {
  const char *problem = pc_name_problem(name);
  if (problem == NULL)
    return AERO_OK;
  if (name[0] == '\0')
    return aero_fail(err, AERO_E_INVALID,
                     "output '%s': %s gets an empty name in the artifact "
                     "(strip_prefix removes all of it)",
                     output, source);
  if (strlen(name) >= 1024)
    return aero_fail(err, AERO_E_INVALID,
                     "output '%s': the name of %s in the artifact is longer "
                     "than 1023 bytes",
                     output, source);
  return aero_fail(err, AERO_E_INVALID, "output '%s': name '%s' (from %s) %s",
                   output, name, source, problem);
}

/* The name of top-level path `path` inside the artifact: what follows
 * `prefix`, or the base name when there is no prefix. Writes a malloc'd
 * string to *out. */
static aero_status top_name(const char *output, const char *path,
                            const char *prefix, char **out, aero_error *err) {
  size_t len = strlen(path);
  while (len > 1 && path[len - 1] == '/')
    len--;
  char *name;
  if (prefix == NULL) {
    size_t start = len;
    while (start > 0 && path[start - 1] != '/')
      start--;
    name = strndup(path + start, len - start);
  } else {
    size_t plen = strlen(prefix);
    while (plen > 0 && prefix[plen - 1] == '/')
      plen--;
    if (strncmp(path, prefix, plen) != 0 ||
        (plen < len && path[plen] != '/' && plen > 0))
      return aero_fail(err, AERO_E_INVALID,
                       "output '%s': %s is not under strip_prefix '%s'", output,
                       path, prefix);
    size_t start = plen;
    while (start < len && path[start] == '/')
      start++;
    name = strndup(path + start, len > start ? len - start : 0);
  }
  if (name == NULL)
    return aero_fail(err, AERO_E_NOMEM, "out of memory");
  *out = name;
  return AERO_OK;
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *join(const char *a, const char *b) {
  if (a[0] == '\0')
    return strdup(b);
  return pc_strdup_printf("%s/%s", a, b);
}

/* Adds every regular file under folder `dir` (named `name` in the
 * artifact; "" for its top), recursively, in sorted order. */
static aero_status walk(const char *output, const char *dir, const char *name,
                        int depth, pc_file_list *list, aero_error *err) {
  if (depth > 64)
    return aero_fail(err, AERO_E_INVALID,
                     "output '%s': %s is nested more than 64 folders deep",
                     output, dir);
  DIR *d = opendir(dir);
  if (d == NULL)
    return aero_fail(err, AERO_E_IO, "output '%s': cannot read folder %s: %s",
                     output, dir, strerror(errno));
  aero_status status = AERO_OK;
  char **entries = NULL;
  size_t count = 0, cap = 0;
  struct dirent *entry;
  while ((entry = readdir(d)) != NULL) {
    if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
      continue;
    char **grown = aeu_grow(entries, &cap, count + 1, sizeof *grown, 32);
    if (grown == NULL)
      goto nomem;
    entries = grown;
    if ((entries[count] = strdup(entry->d_name)) == NULL)
      goto nomem;
    count++;
  }
  aeu_sort(entries, count, sizeof *entries, compare_names);
  for (size_t i = 0; status == AERO_OK && i < count; i++) {
    char *source = join(dir, entries[i]);
    if (source == NULL)
      goto nomem;
    struct stat st;
    if (lstat(source, &st) == 0 && S_ISLNK(st.st_mode) &&
        stat(source, &st) == 0 && S_ISDIR(st.st_mode)) {
      status = aero_fail(err, AERO_E_INVALID,
                         "output '%s': %s is a symbolic link to a folder "
                         "(declare the folder itself)",
                         output, source);
      free(source);
      break;
    }
    if (stat(source, &st) != 0) {
      status = aero_fail(err, AERO_E_IO, "output '%s': %s: %s", output, source,
                         strerror(errno));
      free(source);
      break;
    }
    if (S_ISDIR(st.st_mode)) {
      char *sub = join(name, entries[i]);
      if (sub == NULL) {
        free(source);
        goto nomem;
      }
      status = walk(output, source, sub, depth + 1, list, err);
      free(sub);
      free(source);
    } else if (S_ISREG(st.st_mode)) {
      status = file_list_add(list, source, join(name, entries[i]), err);
    } else {
      status = aero_fail(err, AERO_E_INVALID,
                         "output '%s': %s is not a regular file or folder",
                         output, source);
      free(source);
    }
  }
  goto done;
nomem:
  status = aero_fail(err, AERO_E_NOMEM, "out of memory");
done:
  for (size_t i = 0; i < count; i++)
    free(entries[i]);
  free(entries);
  closedir(d);
  return status;
}

static int compare_files(const void *a, const void *b) {
  return strcmp(((const pc_file *)a)->name, ((const pc_file *)b)->name);
}

/* Expands the declared paths into the sorted list of files with their
 * names, rejecting bad and clashing names. */
aero_status pc_collect(const char *output, const aero_output_desc *desc,
                       pc_file_list *list, aero_error *err) {
  aero_status status = AERO_OK;
  for (size_t i = 0; status == AERO_OK && i < desc->file_count; i++) {
    const char *path = desc->files[i];
    if (path == NULL || path[0] == '\0')
      return aero_fail(err, AERO_E_INVALID,
                       "output '%s': file %zu of %zu is empty", output, i + 1,
                       desc->file_count);
    struct stat st;
    if (stat(path, &st) != 0)
      return aero_fail(err, errno == ENOENT ? AERO_E_NOT_FOUND : AERO_E_IO,
                       "output '%s': %s: %s", output, path, strerror(errno));
    char *name = NULL;
    status = top_name(output, path, desc->strip_prefix, &name, err);
    if (status != AERO_OK)
      return status;
    if (S_ISREG(st.st_mode)) {
      status = file_list_add(list, strdup(path), name, err);
    } else if (S_ISDIR(st.st_mode)) {
      size_t before = list->count;
      status = walk(output, path, name, 0, list, err);
      free(name);
      if (status == AERO_OK && list->count == before)
        status =
            aero_fail(err, AERO_E_INVALID,
                      "output '%s': folder %s holds no files", output, path);
    } else {
      free(name);
      status = aero_fail(err, AERO_E_INVALID,
                         "output '%s': %s is not a regular file or folder",
                         output, path);
    }
  }
  if (status != AERO_OK)
    return status;
  for (size_t i = 0; i < list->count; i++) {
    status =
        check_name(output, list->items[i].source, list->items[i].name, err);
    if (status != AERO_OK)
      return status;
  }
  aeu_sort(list->items, list->count, sizeof *list->items, compare_files);
  for (size_t i = 1; i < list->count; i++)
    if (strcmp(list->items[i - 1].name, list->items[i].name) == 0)
      return aero_fail(err, AERO_E_INVALID,
                       "output '%s': %s and %s would both be named '%s' in "
                       "the artifact (use strip_prefix to keep their folders)",
                       output, list->items[i - 1].source, list->items[i].source,
                       list->items[i].name);
  /* A name that is also a folder of another ("a" and "a/b") cannot be
   * materialized. Names under "a/" sort after "a" but not necessarily right
   * after it ("a-b" comes between), so search for the "a/" range. */
  for (size_t i = 0; i < list->count; i++) {
    const char *name = list->items[i].name;
    size_t len = strlen(name);
    size_t lo = i + 1, hi = list->count;
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      int cmp = strncmp(list->items[mid].name, name, len);
      if (cmp < 0 || (cmp == 0 && list->items[mid].name[len] < '/'))
        lo = mid + 1;
      else
        hi = mid;
    }
    if (lo < list->count && strncmp(list->items[lo].name, name, len) == 0 &&
        list->items[lo].name[len] == '/')
      return aero_fail(err, AERO_E_INVALID,
                       "output '%s': '%s' is both a file (%s) and a folder "
                       "(of %s) in the artifact",
                       output, name, list->items[i].source,
                       list->items[lo].source);
  }
  return AERO_OK;
}

aero_status pc_manifest_digest(const pc_file_list *list, char hex[65],
                               aero_error *err) {
  SHA256_CTX ctx;
  if (SHA256_Init(&ctx) != 1)
    return aero_fail(err, AERO_E_NOMEM, "cannot start SHA-256");
  for (size_t i = 0; i < list->count; i++) {
    SHA256_Update(&ctx, list->items[i].name, strlen(list->items[i].name) + 1);
    SHA256_Update(&ctx, list->items[i].hash, 64);
    SHA256_Update(&ctx, "\n", 1);
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256_Final(digest, &ctx);
  pc_sha256_hex(digest, hex);
  return AERO_OK;
}

aero_status pc_check_desc(const char *output, const aero_output_desc *desc,
                          aero_error *err) {
  if (desc->file_count == 0 || desc->files == NULL)
    return aero_fail(err, AERO_E_INVALID, "output '%s' declares no files",
                     output);
  if (desc->artifact_type != NULL && strlen(desc->artifact_type) >= 64)
    return aero_fail(err, AERO_E_INVALID,
                     "output '%s': artifact type '%.40s...' is longer than 63 "
                     "characters",
                     output, desc->artifact_type);
  if (desc->metadata_count > 0 && desc->metadata == NULL)
    return aero_fail(err, AERO_E_INVALID,
                     "output '%s': metadata_count is %zu but metadata is NULL",
                     output, desc->metadata_count);
  for (size_t i = 0; i < desc->metadata_count; i++) {
    const aero_kv *kv = &desc->metadata[i];
    if (kv->key == NULL || kv->key[0] == '\0')
      return aero_fail(err, AERO_E_INVALID,
                       "output '%s': metadata entry %zu has an empty key",
                       output, i + 1);
    if (kv->value.type < AERO_VALUE_BOOL || kv->value.type > AERO_VALUE_STRING)
      return aero_fail(err, AERO_E_INVALID,
                       "output '%s': metadata '%s' has unknown value type %u",
                       output, kv->key, (unsigned)kv->value.type);
    /* As a metric's value: a database keeps no NaN (it read back as 0)
     * and JSON has neither. */
    if (kv->value.type == AERO_VALUE_DOUBLE && !isfinite(kv->value.as.d))
      return aero_fail(err, AERO_E_INVALID,
                       "output '%s': metadata '%s' is %g, not a finite number",
                       output, kv->key, kv->value.as.d);
  }
  return AERO_OK;
}

aero_status pc_store_file(pc_file *file, pc_put_blob_fn put, void *ctx,
                          aero_error *err) {
  int fd = open(file->source, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return aero_fail(err, errno == ENOENT ? AERO_E_NOT_FOUND : AERO_E_IO,
                     "cannot read %s: %s", file->source, strerror(errno));
  aero_status status = AERO_OK;
  struct stat before, after;
  if (fstat(fd, &before) != 0) {
    status = aero_fail(err, AERO_E_IO, "cannot read %s: %s", file->source,
                       strerror(errno));
    goto done;
  }
  file->size = (uint64_t)before.st_size;
  char *label = pc_strdup_printf("hashing %s", file->name);
  status = pc_sha256_fd(fd, file->source, file->size, label, file->hash, err);
  free(label);
  if (status == AERO_OK)
    status = put(ctx, file, fd, err);
  if (status == AERO_OK &&
      (fstat(fd, &after) != 0 || after.st_size != before.st_size ||
       after.st_mtim.tv_sec != before.st_mtim.tv_sec ||
       after.st_mtim.tv_nsec != before.st_mtim.tv_nsec))
    status = aero_fail(err, AERO_E_IO,
                       "%s changed while it was being stored: declare it "
                       "once it is complete",
                       file->source);
done:
  close(fd);
  return status;
}
