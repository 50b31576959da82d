/* A complete tracker backend that does nothing: loads as a backend plugin,
 * and is the wrong kind where a project plugin is expected. */
#include <aeromancy/aeromancy.h>

static aero_status nope(aero_error *err) {
  return aero_fail(err, AERO_E_UNSUPPORTED, "ldr_backend does nothing");
}
static aero_status b_open(const aero_backend_open_params *params, void **store,
                          aero_error *err) {
  (void)params;
  (void)store;
  return nope(err);
}
static void b_close(void *store) {
  (void)store;
}
static aero_status b_run_begin(void *store, const aero_run_record *record,
                               int64_t *run_id, aero_error *err) {
  (void)store, (void)record, (void)run_id;
  return nope(err);
}
static aero_status b_run_end(void *store, int64_t run_id,
                             const aero_run_outcome *outcome, aero_error *err) {
  (void)store, (void)run_id, (void)outcome;
  return nope(err);
}
static aero_status b_resolve(void *store, const aero_artifact_ref *ref,
                             bool dev, aero_artifact_version *out,
                             aero_error *err) {
  (void)store, (void)ref, (void)dev, (void)out;
  return nope(err);
}
static aero_status b_record_input(void *store, int64_t run_id,
                                  int64_t version_id, aero_error *err) {
  (void)store, (void)run_id, (void)version_id;
  return nope(err);
}
static aero_status b_materialize(void *store, int64_t version_id,
                                 aero_backend_file_fn each, void *ctx,
                                 char *directory, size_t directory_size,
                                 aero_error *err) {
  (void)store, (void)version_id, (void)each, (void)ctx, (void)directory,
      (void)directory_size;
  return nope(err);
}
static aero_status b_put_output(void *store, int64_t run_id,
                                const aero_artifact_ref *ref,
                                const aero_output_desc *desc, aero_error *err) {
  (void)store, (void)run_id, (void)ref, (void)desc;
  return nope(err);
}
static aero_status b_log_metrics(void *store, int64_t run_id,
                                 const aero_metric *metrics, size_t count,
                                 int64_t step, aero_error *err) {
  (void)store, (void)run_id, (void)metrics, (void)count, (void)step;
  return nope(err);
}

static const aero_backend_vtable full = {
    .struct_size = sizeof(aero_backend_vtable),
    .name = "ldrnull",
    .open = b_open,
    .close = b_close,
    .run_begin = b_run_begin,
    .run_end = b_run_end,
    .resolve = b_resolve,
    .record_input = b_record_input,
    .materialize = b_materialize,
    .put_output = b_put_output,
    .log_metrics = b_log_metrics,
};

/* The same without `resolve`, registered when LDR_BACKEND_CASE says so. */
static const aero_backend_vtable no_resolve = {
    .struct_size = sizeof(aero_backend_vtable),
    .name = "ldrnull",
    .open = b_open,
    .close = b_close,
    .run_begin = b_run_begin,
    .run_end = b_run_end,
    .record_input = b_record_input,
    .materialize = b_materialize,
    .put_output = b_put_output,
    .log_metrics = b_log_metrics,
};

#include <stdlib.h>
#include <string.h>

static aero_status b_init(aero_registrar *reg, aero_error *err) {
  const char *c = getenv("LDR_BACKEND_CASE");
  if (c != NULL && strcmp(c, "no_resolve") == 0)
    return aero_register_backend(reg, &no_resolve, err);
  if (c != NULL && strcmp(c, "twice") == 0) {
    aero_status rc = aero_register_backend(reg, &full, err);
    return rc ? rc : aero_register_backend(reg, &full, err);
  }
  if (c != NULL && strcmp(c, "none") == 0)
    return AERO_OK;
  return aero_register_backend(reg, &full, err);
}

AERO_PLUGIN(AERO_PLUGIN_BACKEND, "ldr_backend", "1", b_init)
