/* A constructor that rejects its options. */
#include <aeromancy/aeromancy.h>

#define CF_OPTIONS(X) X(INT, batch_size, 'b', 0, "Examples per step")

static aero_status cf_new(void **self, int64_t batch_size, aero_error *err) {
  (void)self;
  return aero_fail(err, AERO_E_INVALID,
                   "--batch-size must be positive, got %lld",
                   (long long)batch_size);
}

static aero_status cf_build(void *self, aero_graph *graph, aero_error *err) {
  (void)self;
  (void)graph;
  (void)err;
  return AERO_OK;
}

AERO_BUILDER(cf_builder, "ctorfails", NULL, CF_OPTIONS, cf_new, cf_build, NULL);

static aero_status cf_init(aero_registrar *reg, aero_error *err) {
  return aero_register_builder(reg, &cf_builder, err);
}

AERO_PLUGIN(AERO_PLUGIN_PROJECT, "ldr_ctor_fails", "1", cf_init)
