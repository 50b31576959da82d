/* Benchmark fixture: one action that declares the file given with --file as
 * the artifact --name. Drives tests/bench/bench_hash.sh: hashing throughput
 * of declare_output, and re-declaring unchanged content. */
#include <stdio.h>

#include <aeromancy/aeromancy.h>

#define HASH_OPTIONS(X)                                                        \
  X(STRING, file, 'f', NULL, "The file to declare")                            \
  X(STRING, name, 0, "big", "The artifact to declare it as")

/* The options, copied: the host's strings are borrowed for the ctor call. */
static char file_path[4096];
static char artifact[256];

static aero_status hash_new(void **self, const char *file, const char *name,
                            aero_error *err) {
  if (!file || !*file || !name || !*name)
    return aero_fail(err, AERO_E_INVALID, "--file and --name are required");
  if (snprintf(file_path, sizeof file_path, "%s", file) >=
          (int)sizeof file_path ||
      snprintf(artifact, sizeof artifact, "%s", name) >= (int)sizeof artifact)
    return aero_fail(err, AERO_E_INVALID, "--file or --name too long");
  *self = NULL;
  return AERO_OK;
}

static aero_status hash_run(void *data, aero_tracker *tracker,
                            aero_error *err) {
  (void)data;
  const char *files[] = {file_path};
  return aero_declare_output(tracker,
                             &AERO_OUTPUT(.name = artifact, .files = files,
                                          .file_count = 1,
                                          .artifact_type = "blob"),
                             err);
}

static aero_status hash_build(void *self, aero_graph *graph, aero_error *err) {
  (void)self;
  const char *outputs[] = {artifact};
  return aero_graph_add(graph,
                        &AERO_ACTION(.job_type = "declare", .outputs = outputs,
                                     .output_count = 1, .run = hash_run),
                        err);
}

AERO_BUILDER(hash_builder, "bench", "Declares one large file", HASH_OPTIONS,
             hash_new, hash_build, NULL);

static aero_status hash_init(aero_registrar *reg, aero_error *err) {
  return aero_register_builder(reg, &hash_builder, err);
}

AERO_PLUGIN(AERO_PLUGIN_PROJECT, "bench_hash", "1.0.0", hash_init)
