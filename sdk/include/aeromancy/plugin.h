/* Declaring a plugin, and the plain C calls a plugin makes.
 *
 * Every plugin has exactly one exported symbol, `aero_plugin_entry`, a
 * function returning a const info block. The host checks the block (magic,
 * ABI major, ABI minor, size, init) before it calls any other plugin code.
 * AERO_PLUGIN writes the entry; build plugins with -fvisibility=hidden (the
 * CMake helper aeromancy_add_plugin does) so that nothing else is exported.
 *
 *   static aero_status my_init(aero_registrar *reg, aero_error *err) {
 *     return aero_register_builder(reg, &demo_builder, err);
 *   }
 *   AERO_PLUGIN(AERO_PLUGIN_PROJECT, "aerodemo", "1.0.0", my_init);
 */
#ifndef AEROMANCY_PLUGIN_H
#define AEROMANCY_PLUGIN_H

#include <stdarg.h>
#include <stdio.h>

#include "abi.h"
#include "host_api.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a plugin provides. */
typedef enum aero_plugin_kind {
  AERO_PLUGIN_PROJECT = 1, /* registers one or more builders */
  AERO_PLUGIN_BACKEND = 2, /* registers a tracker backend */
} aero_plugin_kind;

/* A plugin's init: registers what the plugin provides. Fills `err` and
 * returns a negative status on failure. */
typedef aero_status (*aero_plugin_init_fn)(const aero_host_api *api,
                                           aero_registrar *reg,
                                           aero_error *err);

/* The info block returned by the entry symbol. Static data of the plugin;
 * the host copies the strings it keeps. Never reordered; grows at the end. */
typedef struct aero_plugin_info {
  uint32_t magic;           /* AERO_PLUGIN_MAGIC */
  uint32_t struct_size;     /* sizeof(aero_plugin_info) when built */
  uint16_t abi_major;       /* AERO_ABI_MAJOR when built */
  uint16_t abi_minor;       /* AERO_ABI_MINOR when built */
  uint32_t kind;            /* an aero_plugin_kind */
  const char *name;         /* [A-Za-z0-9_.-]+ */
  const char *version;      /* free-form, e.g. "1.2.0" */
  aero_plugin_init_fn init; /* required */
} aero_plugin_info;

/* The type of the entry symbol. */
typedef const aero_plugin_info *(*aero_plugin_entry_fn)(void);

#if defined(__GNUC__)
#define AERO_EXPORT __attribute__((visibility("default")))
#define AERO_HIDDEN __attribute__((visibility("hidden")))
#define AERO__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define AERO_EXPORT
#define AERO_HIDDEN
#define AERO__PRINTF(f, a)
#endif

/* The host API table, set before the plugin's init runs. Hidden: one per
 * plugin, shared by its translation units, never exported. */
extern AERO_HIDDEN const aero_host_api *aero_api;

/* Defines the entry symbol and the plugin's aero_api. `init_fn` has the type
 * aero_status (*)(aero_registrar *reg, aero_error *err). Use once per
 * plugin. */
#ifdef __cplusplus
#define AERO__EXTERN_C extern "C"
#define AERO__PLUGIN_INFO(kind_, name_, version_)                             \
  {AERO_PLUGIN_MAGIC, sizeof(aero_plugin_info), AERO_ABI_MAJOR,              \
   AERO_ABI_MINOR,    (kind_),                  (name_),                      \
   (version_),        aero__init}
#else
#define AERO__EXTERN_C
#define AERO__PLUGIN_INFO(kind_, name_, version_)                             \
  {.magic = AERO_PLUGIN_MAGIC,                                                \
   .struct_size = sizeof(aero_plugin_info),                                   \
   .abi_major = AERO_ABI_MAJOR,                                               \
   .abi_minor = AERO_ABI_MINOR,                                               \
   .kind = (kind_),                                                           \
   .name = (name_),                                                           \
   .version = (version_),                                                     \
   .init = aero__init}
#endif
/* (In C++ the entry keeps its C name: extern "C".) */
#define AERO_PLUGIN(plugin_kind, plugin_name, plugin_version, init_fn)       \
  AERO_HIDDEN const aero_host_api *aero_api;                                  \
  static aero_status aero__init(const aero_host_api *api,                     \
                                aero_registrar *reg, aero_error *err) {       \
    aero_api = api;                                                           \
    return (init_fn)(reg, err);                                               \
  }                                                                           \
  AERO__EXTERN_C AERO_EXPORT const aero_plugin_info *aero_plugin_entry(void); \
  AERO__EXTERN_C AERO_EXPORT const aero_plugin_info *aero_plugin_entry(void) { \
    static const aero_plugin_info info =                                      \
        AERO__PLUGIN_INFO((plugin_kind), (plugin_name), (plugin_version));    \
    return &info;                                                             \
  }

/* Formats a message into `err` with status `code`. */
static inline AERO__PRINTF(3, 4) void aero_error_setf(aero_error *err,
                                                      aero_status code,
                                                      const char *fmt, ...) {
  char message[AERO_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  aero_api->error_set(err, code, message);
}

/* Same as aero_error_setf, and returns `code`: `return aero_fail(...)`. */
#define aero_fail(err, code, ...)                                             \
  (aero_error_setf((err), (code), __VA_ARGS__), (code))

/* Registers a builder; see aero_host_api.register_builder. */
static inline aero_status aero_register_builder(aero_registrar *reg,
                                                const aero_builder_vtable *vt,
                                                aero_error *err) {
  return aero_api->register_builder(reg, vt, err);
}

/* Registers a tracker backend; see aero_host_api.register_backend. */
static inline aero_status aero_register_backend(aero_registrar *reg,
                                                const aero_backend_vtable *vt,
                                                aero_error *err) {
  return aero_api->register_backend(reg, vt, err);
}

/* Adds an action to the graph; see aero_action_desc for ownership. */
static inline aero_status aero_graph_add(aero_graph *graph,
                                         const aero_action_desc *desc,
                                         aero_error *err) {
  return aero_api->graph_add(graph, desc, err);
}

/* Resolves and records an input; fills *input (host-owned until run ends). */
static inline aero_status aero_declare_input(aero_tracker *tracker,
                                             const char *artifact,
                                             aero_input *input,
                                             aero_error *err) {
  input->struct_size = sizeof(aero_input);
  return aero_api->declare_input(tracker, artifact, input, err);
}

/* Stores an output; published when the action succeeds. */
static inline aero_status aero_declare_output(aero_tracker *tracker,
                                              const aero_output_desc *desc,
                                              aero_error *err) {
  return aero_api->declare_output(tracker, desc, err);
}

/* Records several metrics at one step (AERO_NO_STEP for none). */
static inline aero_status aero_log_metrics(aero_tracker *tracker,
                                           const aero_metric *metrics,
                                           size_t count, int64_t step,
                                           aero_error *err) {
  return aero_api->log_metrics(tracker, metrics, count, step, err);
}

/* Records one metric at one step (AERO_NO_STEP for none). */
static inline aero_status aero_log_metric(aero_tracker *tracker,
                                          const char *key, double value,
                                          int64_t step, aero_error *err) {
  aero_metric metric = {key, value};
  return aero_api->log_metrics(tracker, &metric, 1, step, err);
}

/* Prints and records a formatted line of text. */
static inline AERO__PRINTF(3, 4) void aero_logf(aero_tracker *tracker,
                                                aero_log_level level,
                                                const char *fmt, ...) {
  char message[AERO_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  aero_api->log_text(tracker, level, message);
}

/* Stops the action on purpose, for debugging: `return aero_bailout(t, why)`.
 */
static inline aero_status aero_bailout(aero_tracker *tracker,
                                       const char *reason) {
  return aero_api->bailout(tracker, reason);
}

/* The run's scratch folder; removed after the run. */
static inline const char *aero_workdir(aero_tracker *tracker) {
  return aero_api->workdir(tracker);
}


#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* AEROMANCY_PLUGIN_H */
