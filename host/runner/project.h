/* A project as the runner sees it: its root folder and the settings its
 * aeromancy.ini gives the runner (the [flags] and other sections are
 * aerohost's).
 *
 *   [project]   name = aerodemo
 *   [build]     system = cmake          (the only one; aeromancy_add_plugin)
 *               target = aerodemo       (default: the one plugin target
 *                                        aeromancy_add_plugin made)
 *   [container] engine = docker|podman
 *               image = aeromancy-host  (repository; the tag is the recipe)
 *               base_image = ...        (BASE_IMAGE build arg)
 *               run_args = -v "/data:/data:ro" --shm-size 1g
 *               debian_packages = libgsl-dev, gnuplot
 *   [env]       passthrough = WANDB_API_KEY, CUDA_VISIBLE_DEVICES
 *   [store]     path = /srv/aeromancy   (relative: to the file's folder)
 *               backend = postgres      url = postgresql://...
 *               blobs = s3://bucket/prefix
 *   [git]       allow_main = false
 */
#ifndef AEH_RUNNER_PROJECT_H
#define AEH_RUNNER_PROJECT_H

#include <stdbool.h>

#include "config.h"
#include "error.h"
#include "strv.h"

typedef struct aeh_project {
  char *dir;         /* absolute project root */
  char *ini_path;    /* the aeromancy.ini read */
  char *name;        /* [project] name; default: the folder's name */
  char *target;      /* [build] target, or NULL: the build's one plugin */
  char *engine;      /* "docker" or "podman" */
  char *image_repo;  /* image repository, without tag */
  char *base_image;  /* NULL: the Dockerfile's own default */
  aeh_strv run_args; /* extra `docker run` arguments, split */
  aeh_strv debian_packages;
  aeh_strv passthrough; /* names of variables passed into the container */
  char *store;          /* absolute host path of the store (aerohost's rule:
                           aeh_store_choose_location); a team store's
                           URL as written */
  char *backend;        /* $AEROMANCY_BACKEND, else [store] backend, or
                           NULL (aerohost's default) */
  char *blobs;          /* $AEROMANCY_BLOBS, else [store] blobs, or NULL */
  bool allow_main;      /* production runs allowed on main/master */
  bool flags_elsewhere; /* $AEROMANCY_CONFIG names another file than the
                           project's aeromancy.ini, and it has [flags]:
                           a production run would not read them (the
                           container reads the committed one) */
} aeh_project;

/* Reads `dir`/aeromancy.ini (or $AEROMANCY_CONFIG), which must exist when
 * `required` (else a missing file gives the defaults).
 * Environment overrides: AEROMANCY_ENGINE, AEROMANCY_BASE_IMAGE,
 * AEROMANCY_STORE, AEROMANCY_BACKEND, AEROMANCY_BLOBS. A missing file, a
 * malformed line, an unknown key in the runner's sections or a bad value fails
 * with AERO_E_CONFIG and a message "PATH[:LINE]: why". On success the caller
 * frees *out with aeh_project_free. */
aero_status aeh_project_load(const char *dir, bool required, aeh_project *out,
                             aero_error *err);
void aeh_project_free(aeh_project *project);

/* Whether `name` is a valid environment variable name ([A-Za-z_][A-Za-z0-9_]*).
 */
bool aeh_project_valid_env_name(const char *name);

/* Whether `name` is a valid Debian package name ([a-z0-9][a-z0-9+.-]+, with
 * an optional "=version" or ":arch" apt accepts). */
bool aeh_project_valid_package(const char *name);

#endif /* AEH_RUNNER_PROJECT_H */
