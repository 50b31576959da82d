/* The runtime environment the runner passes into the container, read from
 * AEROMANCY_* variables and turned into the run record's environment.
 *
 * Owner: tracking (runtime_env.c). The runner (host/runner) sets exactly
 * these variables; see docs/runtime-environment.md.
 *
 *   AEROMANCY_GIT_COMMIT   full commit id               (production: required)
 *   AEROMANCY_GIT_BRANCH   branch name
 *   AEROMANCY_GIT_MESSAGE  first line of the commit message
 *   AEROMANCY_GIT_REMOTE   remote URL
 *   AEROMANCY_IMAGE_ID     host image id                (production: required)
 *   AEROMANCY_PACKAGES_FILE path of the image's installed-package list
 *   AEROMANCY_PASSTHROUGH  comma-separated names of passed-through variables
 */
#ifndef AEH_RUNTIME_ENV_H
#define AEH_RUNTIME_ENV_H

#include <stdbool.h>
#include <stddef.h>

#include <aeromancy/value.h>

#include "error.h"

typedef struct aeh_runtime_env {
  aero_kv *entries; /* keys as in aero_run_record; strings owned here */
  size_t count;
} aeh_runtime_env;

/* Collects the environment. In production (`dev` false) a missing required
 * variable fails with AERO_E_CONFIG: "production run needs the runner's
 * environment (AEROMANCY_GIT_COMMIT is not set): run it with `aeromancy
 * go`, or pass --dev". `plugin_path` and `plugin_sha256` are recorded too,
 * with the host and ABI versions, the hostname and the command line. */
aero_status aeh_runtime_env_collect(bool dev, const char *plugin_path,
                                    const char *plugin_sha256, int argc,
                                    char **argv, aeh_runtime_env *out,
                                    aero_error *err);
void aeh_runtime_env_free(aeh_runtime_env *env);

#endif /* AEH_RUNTIME_ENV_H */
