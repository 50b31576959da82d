/* Artifacts as actions see them: inputs they read and outputs they declare.
 *
 * Artifact references are `[entity/][project/]name[:version]` where every
 * part matches [A-Za-z0-9_.-]+ of at most 127 characters (and is not "."
 * or ".."), and a version is
 * `vN` or `latest`. A missing project means the running project; a missing
 * entity means the store's default; a missing version means `latest`.
 */
#ifndef AEROMANCY_ARTIFACT_H
#define AEROMANCY_ARTIFACT_H

#include <stddef.h>
#include <stdint.h>

#include "value.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A resolved input, filled by aero_declare_input.
 *
 * Ownership: every pointer is owned by the host and stays valid until the
 * action's run callback returns. The files are read-only. */
typedef struct aero_input {
  uint32_t struct_size;      /* set by the caller: sizeof(aero_input) */
  const char *artifact;      /* the immutable version, "entity/project/name:vN" */
  const char *directory;     /* the folder that holds the files */
  const char *const *paths;  /* absolute paths of the files, sorted */
  size_t path_count;
  const char *artifact_type; /* as declared by its producer; "" if none */
} aero_input;

/* An output to declare, handed to aero_declare_output.
 *
 * The files are hashed (SHA-256) and stored content-addressed; content that
 * the store already holds is not copied again, and declaring content
 * identical to an existing version of the artifact reuses that version. The
 * new version becomes visible to other runs only when the action succeeds.
 *
 * Ownership: everything is borrowed for the call; the host copies what it
 * keeps. */
typedef struct aero_output_desc {
  uint32_t struct_size;          /* sizeof(aero_output_desc): AERO_OUTPUT() sets it */
  const char *name;              /* artifact reference without a version */
  const char *const *files;      /* local files or folders (taken whole) */
  size_t file_count;             /* at least 1 */
  const char *artifact_type;     /* e.g. "dataset", "model"; NULL for none */
  const char *strip_prefix;      /* removed from each path to name it in the
                                    artifact; NULL keeps only the base name */
  const aero_kv *metadata;       /* recorded with the version; a double
                                    must be finite (NaN and infinities
                                    are refused, as in a config) */
  size_t metadata_count;
} aero_output_desc;

/* Starts an aero_output_desc initializer with its size filled in. In C++,
 * as for actions (action.h): aero_output_init(), then set the members. */
#ifndef __cplusplus
#define AERO_OUTPUT(...)                                                      \
  ((aero_output_desc){.struct_size = sizeof(aero_output_desc), __VA_ARGS__})
#else
static inline aero_output_desc aero_output_init(void) {
  aero_output_desc d = {};
  d.struct_size = sizeof(aero_output_desc);
  return d;
}
#endif


#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* AEROMANCY_ARTIFACT_H */
