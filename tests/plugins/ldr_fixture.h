/* Shared pieces of the loader's fixture plugins (tests/plugins/ldr_*.c):
 * an entry symbol with a hand-written info block, for the fixtures whose
 * block is wrong on purpose, and a minimal valid builder. */
#ifndef LDR_FIXTURE_H
#define LDR_FIXTURE_H

#include <aeromancy/aeromancy.h>

/* Defines aero_api and an entry returning an info block initialized with
 * the arguments. An init must set aero_api itself (ldr_init_minimal
 * does). */
#define LDR_ENTRY(...)                                                         \
  AERO_HIDDEN const aero_host_api *aero_api;                                   \
  AERO_EXPORT const aero_plugin_info *aero_plugin_entry(void);                 \
  AERO_EXPORT const aero_plugin_info *aero_plugin_entry(void) {                \
    static const aero_plugin_info info = {__VA_ARGS__};                        \
    return &info;                                                              \
  }

/* Defines ldr_minimal, a valid builder "ldrmini" with no options and one
 * action, and ldr_init_minimal, a raw init that registers it. */
#define LDR_DEFINE_MINIMAL()                                                   \
  static aero_status ldr_nothing(void *data, aero_tracker *tracker,            \
                                 aero_error *err) {                            \
    (void)data;                                                                \
    (void)tracker;                                                             \
    (void)err;                                                                 \
    return AERO_OK;                                                            \
  }                                                                            \
  static aero_status ldr_new(void **self, aero_error *err) {                   \
    (void)err;                                                                 \
    *self = NULL;                                                              \
    return AERO_OK;                                                            \
  }                                                                            \
  static aero_status ldr_build(void *self, aero_graph *graph,                  \
                               aero_error *err) {                              \
    (void)self;                                                                \
    const char *outputs[] = {"only"};                                          \
    return aero_graph_add(graph,                                               \
                          &AERO_ACTION(.job_type = "only", .outputs = outputs, \
                                       .output_count = 1, .run = ldr_nothing), \
                          err);                                                \
  }                                                                            \
  AERO_BUILDER(ldr_minimal, "ldrmini", "Fixture: one action", AERO_NO_OPTIONS, \
               ldr_new, ldr_build, NULL);                                      \
  static aero_status ldr_init_minimal(const aero_host_api *api,                \
                                      aero_registrar *reg, aero_error *err) {  \
    aero_api = api;                                                            \
    return aero_register_builder(reg, &ldr_minimal, err);                      \
  }

#endif /* LDR_FIXTURE_H */
