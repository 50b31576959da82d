/* Benchmark fixture: one action that declares the file given with --file as
 * the artifact "big". Drives tests/bench/bench_hash.sh: hashing throughput
 * of declare_output, and re-declaring unchanged content. */
#include <aeromancy/aeromancy.h>

#define HASH_OPTIONS(X)                                                        \
  X(STRING, file, 'f', NULL, "The file to declare as the artifact \"big\"")

static const char *file_path; /* borrowed from the host for the ctor call */
static char file_copy[4096];

static aero_status hash_new(void **self, const char *file, aero_error *err) {
  if (!file || !*file)
    return aero_fail(err, AERO_E_INVALID, "--file is required");
  if (snprintf(file_copy, sizeof file_copy, "%s", file) >=
      (int)sizeof file_copy)
    return aero_fail(err, AERO_E_INVALID, "--file: path too long");
  file_path = file_copy;
  *self = NULL;
  return AERO_OK;
}

static aero_status hash_run(void *data, aero_tracker *tracker,
                            aero_error *err) {
  (void)data;
  const char *files[] = {file_path};
  return aero_declare_output(tracker,
                             &AERO_OUTPUT(.name = "big", .files = files,
                                          .file_count = 1,
                                          .artifact_type = "blob"),
                             err);
}

static aero_status hash_build(void *self, aero_graph *graph, aero_error *err) {
  (void)self;
  static const char *const outputs[] = {"big"};
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
