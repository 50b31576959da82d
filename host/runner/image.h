/* The host image: built from aeromancy's own Dockerfile only when its
 * recipe changed. The recipe is everything that decides the image's
 * content: the Dockerfile and the sources it builds (the context), the host
 * version, the base image and the extra Debian packages. Its SHA-256 names
 * the tag (REPO:<12 hex>), so `image inspect` alone decides whether to
 * build, and a new plugin never does. */
#ifndef AEH_RUNNER_IMAGE_H
#define AEH_RUNNER_IMAGE_H

#include <stdbool.h>

#include "error.h"
#include "process.h"
#include "strv.h"

/* The context files, relative to the context folder, sorted: Dockerfile,
 * CMakeLists.txt, and every regular file under cmake/, sdk/, host/ (but
 * host/runner/, which the image does not need) and plugins/; hidden files
 * and editor backups are left out. Appended to `files`. */
aero_status aeh_image_context_files(const char *context_dir, aeh_strv *files,
                                    aero_error *err);

/* The recipe's SHA-256 (EVP) as 64 hex digits into `hex`. `packages` must
 * be sorted and unique; `base_image` NULL means the Dockerfile's default. */
aero_status aeh_image_recipe_hash(const char *context_dir,
                                  const aeh_strv *files, const char *base_image,
                                  const aeh_strv *packages, char hex[65],
                                  aero_error *err);

/* Looks the image up. On success *id is the image id (owned by the caller)
 * or NULL when there is no such image. An engine that cannot be reached
 * (or is not installed) fails with AERO_E_IO and its own first line of
 * error. */
aero_status aeh_image_inspect(const char *engine, const char *tag, char **id,
                              aero_error *err);

/* The same in two halves, for a caller that runs the command alongside
 * others: the argument vector (7 slots, strings borrowed from `engine` and
 * `tag`), and the reading of its captured result. */
void aeh_image_inspect_argv(const char *engine, const char *tag, char *argv[7]);
aero_status aeh_image_inspect_result(const char *engine, const aeh_spawn_out *r,
                                     char **id, aero_error *err);

/* Removes the images of repository `repo` other than `keep` (REPO:TAG):
 * the hosts of older recipes, which every change to aeromancy or to the
 * image's knobs leaves behind. Writes how many were removed, and appends
 * to `refused` each one the engine would not remove (a container still
 * uses it) with the engine's reason. */
aero_status aeh_image_prune(const char *engine, const char *repo,
                            const char *keep, size_t *removed,
                            aeh_strv *refused, aero_error *err);

/* What to build. */
typedef struct aeh_image_spec {
  const char *engine;
  const char *context_dir;
  const aeh_strv *files;    /* from aeh_image_context_files */
  const char *tag;          /* REPO:HASH12 */
  const char *recipe;       /* full hash, recorded as a label */
  const char *base_image;   /* NULL: the Dockerfile's default */
  const aeh_strv *packages; /* EXTRA_DEBIAN_PACKAGES */
  bool no_cache;            /* rebuild every layer */
  bool debug;               /* print the commands */
} aeh_image_spec;

/* Builds the image (`tar ... | ENGINE build -t TAG ... -`), its output on
 * stderr. A failed build is AERO_E_IO with the engine's exit code. */
aero_status aeh_image_build(const aeh_image_spec *spec, aero_error *err);

#endif /* AEH_RUNNER_IMAGE_H */
