/* Where the runner finds what it drives: the image's build context (the
 * Dockerfile and the sources it builds), the CMake package for host builds,
 * aerohost, and its own cache. It works from a build tree of this
 * repository and from an installed aeromancy (`cmake --install`), where the
 * context is PREFIX/share/aeromancy. */
#ifndef AEH_RUNNER_LOCATE_H
#define AEH_RUNNER_LOCATE_H

#include "error.h"

typedef struct aeh_layout {
  char *exe_dir;     /* folder of the running aeromancy */
  char *context_dir; /* holds Dockerfile, CMakeLists.txt, cmake/, sdk/, ... */
  char *cmake_dir;   /* Aeromancy_DIR for building a plugin on this machine */
  int in_build_tree; /* running from this repository's build tree */
} aeh_layout;

/* Finds the layout from /proc/self/exe. $AEROMANCY_DATA_DIR overrides the
 * context folder. Fails with AERO_E_NOT_FOUND when the context has no
 * Dockerfile, naming the folder looked in. The caller frees *out with
 * aeh_layout_free. */
aero_status aeh_layout_find(aeh_layout *out, aero_error *err);
void aeh_layout_free(aeh_layout *layout);

/* aerohost: next to aeromancy, else the first in PATH. *out is owned by the
 * caller. AERO_E_NOT_FOUND when neither exists. */
aero_status aeh_layout_aerohost(const aeh_layout *layout, char **out,
                                aero_error *err);

/* The first executable `name` in PATH, into *out (owned by the caller);
 * AERO_E_NOT_FOUND when there is none. */
aero_status aeh_which(const char *name, char **out, aero_error *err);

/* The runner's cache folder: $XDG_CACHE_HOME/aeromancy, else
 * ~/.cache/aeromancy (created). The caller owns *out. */
aero_status aeh_layout_cache_dir(char **out, aero_error *err);

/* mkdir -p, with `mode` for the folders it creates. */
aero_status aeh_mkdirs(const char *path, unsigned mode, aero_error *err);

/* Removes `path` and everything under it (rm -rf); a missing path is fine. */
aero_status aeh_remove_tree(const char *path, aero_error *err);

#endif /* AEH_RUNNER_LOCATE_H */
