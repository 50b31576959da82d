/* Artifact references: `[entity/][project/]name[:version]`.
 *
 * Owner: tracking. Every part matches [A-Za-z0-9_.-]+ and is neither "."
 * nor ".."; a version is `vN` (N a decimal number without leading zeros)
 * or `latest`. Used for declare_input/declare_output names, the action's
 * output names and --artifact-override.
 */
#ifndef AEH_ARTIFACT_REF_H
#define AEH_ARTIFACT_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <aeromancy/backend.h>

#include "error.h"
#include "names.h"

/* Bytes of one part, terminator included: a part is a name (names.h). */
#define AEH_REF_PART_MAX (AEH_NAME_MAX + 1)

/* A parsed reference; the parts live in the struct itself. */
typedef struct aeh_artifact_ref {
  char entity[AEH_REF_PART_MAX];  /* "" when not given */
  char project[AEH_REF_PART_MAX]; /* "" when not given */
  char name[AEH_REF_PART_MAX];
  int64_t version; /* N of vN; -1 for latest or none given */
  bool has_entity;
  bool has_project;
  bool has_version; /* ":vN" or ":latest" was written */
} aeh_artifact_ref;

/* Parses `text`. On failure AERO_E_INVALID with one line quoting the text
 * and saying what is allowed; *out is written on success only. */
aero_status aeh_artifact_ref_parse(const char *text, aeh_artifact_ref *out,
                                   aero_error *err);

/* Fills the entity and project that `ref` does not name. Both borrowed
 * (copied; truncated to a part's size). */
void aeh_artifact_ref_default(aeh_artifact_ref *ref, const char *entity,
                              const char *project);

/* True when both name the same artifact (entity, project and name; the
 * version is ignored). */
bool aeh_artifact_ref_same(const aeh_artifact_ref *a,
                           const aeh_artifact_ref *b);

/* The backend's view of `ref`: its pointers borrow from `ref`. */
aero_artifact_ref aeh_artifact_ref_view(const aeh_artifact_ref *ref);

/* Writes "entity/project/name:vN" ("project/name:vN" when the entity is
 * empty; no ":..." when `version` < 0) into `buf`. Returns the length
 * snprintf would have written. */
int aeh_artifact_ref_format(const aero_artifact_ref *ref, int64_t version,
                            char *buf, size_t size);

#endif /* AEH_ARTIFACT_REF_H */
