#include "image.h"

#include "aeu.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "process.h"

/* What the image build needs from the context, and what it does not. */
static const char *const context_roots[] = {
    "Dockerfile", "CMakeLists.txt", "cmake", "sdk", "host", "plugins"};
static const char *const context_skip[] = {"host/runner"};

static int skipped_name(const char *name) {
  size_t len = strlen(name);
  return name[0] == '.' || (len > 0 && name[len - 1] == '~');
}

static aero_status walk(const char *context_dir, const char *rel,
                        aeh_strv *files, aero_error *err) {
  for (size_t i = 0; i < sizeof context_skip / sizeof *context_skip; i++)
    if (strcmp(rel, context_skip[i]) == 0)
      return AERO_OK;
  char path[PATH_MAX];
  if (snprintf(path, sizeof path, "%s/%s", context_dir, rel) >=
      (int)sizeof path)
    return aeh_error_set(err, AERO_E_INVALID, "%s/%s: path too long",
                         context_dir, rel);
  struct stat st;
  if (stat(path, &st) != 0)
    return AERO_OK; /* a missing root is the build's problem to report */
  if (S_ISREG(st.st_mode))
    return aeh_strv_push(files, rel) == AERO_OK
               ? AERO_OK
               : aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  if (!S_ISDIR(st.st_mode))
    return AERO_OK;
  DIR *d = opendir(path);
  if (d == NULL)
    return aeh_error_set(err, AERO_E_IO, "cannot read %s: %s", path,
                         strerror(errno));
  aero_status status = AERO_OK;
  struct dirent *de;
  while (status == AERO_OK && (de = readdir(d)) != NULL) {
    if (skipped_name(de->d_name))
      continue;
    char child[PATH_MAX];
    if (snprintf(child, sizeof child, "%s/%s", rel, de->d_name) >=
        (int)sizeof child) {
      status = aeh_error_set(err, AERO_E_INVALID, "%s/%s: path too long", path,
                             de->d_name);
      break;
    }
    status = walk(context_dir, child, files, err);
  }
  closedir(d);
  return status;
}

aero_status aeh_image_context_files(const char *context_dir, aeh_strv *files,
                                    aero_error *err) {
  for (size_t i = 0; i < sizeof context_roots / sizeof *context_roots; i++) {
    aero_status st = walk(context_dir, context_roots[i], files, err);
    if (st != AERO_OK)
      return st;
  }
  aeh_strv_sort_unique(files);
  return AERO_OK;
}

/* The recipe is hashed as one text: each part followed by its NUL, so that
 * "ab"+"c" and "a"+"bc" never hash alike. A few kilobytes, hashed once with
 * aeu_sha256_buf (no EVP, no shared libcrypto in the runner). */
static int hash_str(FILE *text, const char *s) {
  return fwrite(s, 1, strlen(s) + 1, text) == strlen(s) + 1;
}

/* Adds the SHA-256 of the file at `path` (the one file-hashing routine,
 * aeu_sha256_fd), so that each file's part has a fixed length. */
static aero_status hash_file(FILE *text, const char *path, aero_error *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return aeh_error_set(err, AERO_E_IO, "cannot read %s: %s", path,
                         strerror(errno));
  char hex[65];
  uint64_t length = 0;
  int rc = aeu_sha256_fd(fd, NULL, NULL, &length, hex);
  close(fd);
  if (rc != 0)
    return aeh_error_set(err, AERO_E_IO, "cannot hash %s: %s", path,
                         strerror(rc));
  if (!hash_str(text, hex))
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  return AERO_OK;
}

aero_status aeh_image_recipe_hash(const char *context_dir,
                                  const aeh_strv *files, const char *base_image,
                                  const aeh_strv *packages, char hex[65],
                                  aero_error *err) {
  aero_status st = AERO_OK;
  char *buf = NULL;
  size_t size = 0;
  FILE *text = open_memstream(&buf, &size);
  if (text == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  int ok = hash_str(text, "aeromancy image recipe 2") &&
           hash_str(text, AERO_HOST_VERSION) &&
           hash_str(text, base_image ? base_image : "");
  for (size_t i = 0; ok && i < packages->n; i++)
    ok = hash_str(text, packages->v[i]);
  ok = ok && hash_str(text, "");
  for (size_t i = 0; ok && st == AERO_OK && i < files->n; i++) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", context_dir, files->v[i]);
    ok = hash_str(text, files->v[i]);
    if (ok)
      st = hash_file(text, path, err);
  }
  if (fclose(text) != 0)
    ok = 0;
  if (st == AERO_OK && !ok)
    st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  unsigned char md[32];
  if (st == AERO_OK && aeu_sha256_buf(buf, size, md) != 0)
    st = aeh_error_set(err, AERO_E_IO, "SHA-256 failed");
  if (st == AERO_OK)
    aeu_sha256_hex(md, hex);
  free(buf);
  return st;
}

/* Whether the engine's error says the image does not exist (docker: "No
 * such image", podman: "image not known"), as opposed to the engine being
 * unreachable. */
static int says_missing(const char *text) {
  char lower[1024];
  size_t i = 0;
  for (; text[i] && i < sizeof lower - 1; i++)
    lower[i] = (char)tolower((unsigned char)text[i]);
  lower[i] = '\0';
  return strstr(lower, "no such image") || strstr(lower, "image not known") ||
         strstr(lower, "no such object");
}

void aeh_image_inspect_argv(const char *engine, const char *tag,
                            char *argv[7]) {
  argv[0] = (char *)engine;
  argv[1] = "image";
  argv[2] = "inspect";
  argv[3] = "--format";
  argv[4] = "{{.Id}}";
  argv[5] = (char *)tag;
  argv[6] = NULL;
}

aero_status aeh_image_inspect_result(const char *engine, const aeh_spawn_out *r,
                                     char **id, aero_error *err) {
  if (r->code == 0 && r->out_len > 0) {
    char *got = strndup(r->out, strcspn(r->out, "\r\n"));
    if (got == NULL)
      return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
    *id = got;
    return AERO_OK;
  }
  if (says_missing(r->err)) {
    *id = NULL;
    return AERO_OK;
  }
  char line[512];
  return aeh_error_set(err, AERO_E_IO,
                       "the container engine '%s' is not reachable: %s", engine,
                       aeh_spawn_first_line(r->err, line, sizeof line));
}

aero_status aeh_image_inspect(const char *engine, const char *tag, char **id,
                              aero_error *err) {
  char *argv[7];
  aeh_image_inspect_argv(engine, tag, argv);
  aeh_spawn_out r = {0};
  aero_status st = aeh_spawn_capture(argv, NULL, &r, err);
  if (st != AERO_OK) {
    /* Not installed: as unreachable as an engine gets. */
    if (err != NULL)
      err->code = AERO_E_IO;
    return AERO_E_IO;
  }
  st = aeh_image_inspect_result(engine, &r, id, err);
  aeh_spawn_out_free(&r);
  return st;
}

aero_status aeh_image_prune(const char *engine, const char *repo,
                            const char *keep, size_t *removed,
                            aeh_strv *refused, aero_error *err) {
  char *list[] = {
      (char *)engine, "image", "ls", "--format", "{{.Repository}}:{{.Tag}}",
      (char *)repo,   NULL};
  aeh_spawn_out r = {0};
  aero_status st = aeh_spawn_capture(list, NULL, &r, err);
  if (st != AERO_OK)
    return st;
  if (r.code != 0) {
    char line[512];
    st = aeh_error_set(err, AERO_E_IO,
                       "the container engine '%s' cannot list the images of "
                       "%s: %s",
                       engine, repo,
                       aeh_spawn_first_line(r.err, line, sizeof line));
    aeh_spawn_out_free(&r);
    return st;
  }
  *removed = 0;
  for (char *save = NULL, *ref = strtok_r(r.out, "\r\n", &save);
       ref != NULL && st == AERO_OK; ref = strtok_r(NULL, "\r\n", &save)) {
    /* Untagged layers (<none>) belong to the engine's own pruning. */
    if (strcmp(ref, keep) == 0 || strstr(ref, "<none>") != NULL)
      continue;
    char *rm[] = {(char *)engine, "image", "rm", ref, NULL};
    aeh_spawn_out out = {0};
    st = aeh_spawn_capture(rm, NULL, &out, err);
    if (st == AERO_OK && out.code == 0) {
      (*removed)++;
    } else if (st == AERO_OK) {
      char line[512];
      st = aeh_strv_pushf(refused, "%s (%s)", ref,
                          aeh_spawn_first_line(out.err, line, sizeof line));
    }
    aeh_spawn_out_free(&out);
  }
  aeh_spawn_out_free(&r);
  return st;
}

/* The two commands of an image build: `tar ... -cf - FILES` and
 * `ENGINE build ... -`. Returns AERO_E_NOMEM when out of memory. */
static aero_status build_commands(const aeh_image_spec *s, const char *packages,
                                  aeh_strv *tar, aeh_strv *build) {
  /* Exactly the files that were hashed, owned by root in the image. */
  const char *const tar_args[] = {"tar",
                                  "-C",
                                  s->context_dir,
                                  "--no-recursion",
                                  "--owner=0",
                                  "--group=0",
                                  "--numeric-owner",
                                  "-cf",
                                  "-",
                                  "--",
                                  NULL};
  const char *const build_args[] = {s->engine, "build", "-t", s->tag, NULL};
  for (size_t i = 0; tar_args[i] != NULL; i++)
    if (aeh_strv_push(tar, tar_args[i]) != AERO_OK)
      return AERO_E_NOMEM;
  if (aeh_strv_extend(tar, s->files) != AERO_OK)
    return AERO_E_NOMEM;
  for (size_t i = 0; build_args[i] != NULL; i++)
    if (aeh_strv_push(build, build_args[i]) != AERO_OK)
      return AERO_E_NOMEM;
  int failed =
      aeh_strv_push(build, "--label") != AERO_OK ||
      aeh_strv_pushf(build, "org.aeromancy.recipe=%s", s->recipe) != AERO_OK ||
      aeh_strv_push(build, "--label") != AERO_OK ||
      aeh_strv_pushf(build, "org.aeromancy.host-version=%s",
                     AERO_HOST_VERSION) != AERO_OK ||
      aeh_strv_push(build, "--build-arg") != AERO_OK ||
      aeh_strv_pushf(build, "EXTRA_DEBIAN_PACKAGES=%s", packages) != AERO_OK ||
      (s->base_image != NULL &&
       (aeh_strv_push(build, "--build-arg") != AERO_OK ||
        aeh_strv_pushf(build, "BASE_IMAGE=%s", s->base_image) != AERO_OK)) ||
      (s->no_cache && aeh_strv_push(build, "--no-cache") != AERO_OK) ||
      aeh_strv_push(build, "-") != AERO_OK;
  return failed ? AERO_E_NOMEM : AERO_OK;
}

aero_status aeh_image_build(const aeh_image_spec *s, aero_error *err) {
  aeh_strv tar = AEH_STRV_INIT, build = AEH_STRV_INIT;
  char *packages = aeh_strv_join(s->packages, " ");
  aero_status st = packages == NULL ? AERO_E_NOMEM
                                    : build_commands(s, packages, &tar, &build);
  if (st != AERO_OK) {
    st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  } else {
    if (s->debug) {
      char *b = aeh_strv_join(&build, " ");
      fprintf(stderr, "aeromancy: tar -C %s -c <%zu files> | %s\n",
              s->context_dir, s->files->n, b ? b : "?");
      free(b);
    }
    int code = 0;
    st = aeh_spawn_foreground(aeh_strv_argv(&tar), aeh_strv_argv(&build), NULL,
                              true, &code, err);
    if (st == AERO_OK && code != 0)
      st = aeh_error_set(err, AERO_E_IO,
                         "building the host image %s failed (%s exited %d; "
                         "its output is above)",
                         s->tag, s->engine, code);
  }
  aeh_strv_free(&build);
  aeh_strv_free(&tar);
  free(packages);
  return st;
}
