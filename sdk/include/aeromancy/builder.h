/* ActionBuilder: how a project turns its options into an action graph.
 *
 * A plugin declares its typed options and a constructor that takes them as
 * ordinary C parameters, in order, with AERO_BUILDER. The host parses the
 * command line (and aeromancy.ini defaults) against the option table and
 * calls the constructor through libffi. AERO_BUILDER checks at compile time
 * that the constructor's parameter types match the declared options, so a
 * mismatch is a compile error in the plugin rather than garbage at run time.
 *
 *   #define DEMO_OPTIONS(X)                                                 \
 *     X(DOUBLE, learning_rate, 'l', 0.01, "Step size of the optimiser")     \
 *     X(INT, epochs, 0, 10, "Passes over the data")                         \
 *     X(CHOICE, loss, 0, ("mse", "mae"), "Loss to minimise")                \
 *     X(BOOL, shuffle, 0, true, "Shuffle between epochs")                   \
 *     X(STRING, notes, 0, NULL, "Free text recorded with the runs")
 *
 *   static aero_status demo_new(void **self, double learning_rate,
 *                               int64_t epochs, const char *loss,
 *                               bool shuffle, const char *notes,
 *                               aero_error *err);
 *   AERO_BUILDER(demo_builder, "aerodemo", "Ingest, train, evaluate",
 *                DEMO_OPTIONS, demo_new, demo_build, demo_destroy);
 *
 * Entries are X(TYPE, c_name, short_letter_or_0, default, help). On the
 * command line `c_name` reads with '-' for '_' (--learning-rate). A CHOICE
 * default is the parenthesised list of allowed values; the first is the
 * default. A plugin without options passes AERO_NO_OPTIONS.
 */
#ifndef AEROMANCY_BUILDER_H
#define AEROMANCY_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "action.h"
#include "error.h"
#include "value.h"

#ifdef __cplusplus
#include <type_traits>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Option types, and the C type each is passed to the constructor as. */
typedef enum aero_option_type {
  AERO_OPT_BOOL = 1,   /* bool */
  AERO_OPT_INT = 2,    /* int64_t */
  AERO_OPT_DOUBLE = 3, /* double */
  AERO_OPT_STRING = 4, /* const char *, borrowed for the constructor call */
  AERO_OPT_CHOICE = 5, /* const char *, one of `choices`, borrowed likewise */
} aero_option_type;

/* One typed project option. Static data of the plugin; the host copies what
 * it keeps. */
typedef struct aero_option {
  uint32_t type;              /* an aero_option_type */
  char short_name;            /* '-x' letter, or '\0' for none */
  const char *name;           /* C identifier; '_' reads as '-' on the CLI */
  const char *help;           /* one line */
  aero_scalar def;            /* default, by type (.s may be NULL for STRING) */
  const char *const *choices; /* CHOICE only: NULL-terminated, first = default */
} aero_option;

/* A builder. Register it from the plugin's init with aero_register_builder;
 * the host copies it into a zeroed struct of its own size, so members added
 * in later ABI minors read as NULL for older plugins.
 *
 * `constructor` is stored type-erased; its real type is
 *   aero_status (*)(void **self, <one parameter per option>, aero_error *err)
 * and it must write *self (which may be NULL for a stateless builder). */
typedef struct aero_builder_vtable {
  uint32_t struct_size;        /* sizeof(aero_builder_vtable) */
  const char *project;         /* project name: the artifact namespace */
  const char *description;     /* one line for --help; may be NULL */
  const aero_option *options;  /* option_count entries */
  size_t option_count;
  void (*constructor)(void);   /* required; see above */
  /* Adds the project's actions to `graph` (aero_graph_add). Required. */
  aero_status (*build_actions)(void *self, aero_graph *graph, aero_error *err);
  /* Frees what the constructor made. May be NULL. Called once, after every
   * action's destroy. */
  void (*destroy)(void *self);
} aero_builder_vtable;

/* The C parameter type of each option type. */
#define AERO__CTYPE_BOOL bool
#define AERO__CTYPE_INT int64_t
#define AERO__CTYPE_DOUBLE double
#define AERO__CTYPE_STRING const char *
#define AERO__CTYPE_CHOICE const char *

#define AERO__UNPAREN(...) __VA_ARGS__
#define AERO__FIRST(first, ...) first
#define AERO__DEFAULT_BOOL(v) .def = {.b = (v)}
#define AERO__DEFAULT_INT(v) .def = {.i = (v)}
#define AERO__DEFAULT_DOUBLE(v) .def = {.d = (v)}
#define AERO__DEFAULT_STRING(v) .def = {.s = (v)}
#define AERO__DEFAULT_CHOICE(v)                                               \
  .def = {.s = AERO__FIRST v},                                                \
  .choices = (const char *const[]) { AERO__UNPAREN v, NULL }

#define AERO__OPTION_ENTRY(t, n, s, d, h)                                     \
  {.type = AERO_OPT_##t, .short_name = (s), .name = #n, .help = (h),          \
   AERO__DEFAULT_##t(d)},
#define AERO__OPTION_PARAM(t, n, s, d, h) , AERO__CTYPE_##t n

/* The option list of a builder that has none. */
#define AERO_NO_OPTIONS(X)

/* Defines `static const aero_builder_vtable ident` from an option X-list and
 * the three callbacks, and fails to compile when `ctor`'s parameters do not
 * match the options. */
#ifndef __cplusplus
#define AERO_BUILDER(ident, project_name, desc, OPTIONS, ctor, build, dtor)   \
  static const aero_option ident##__options[] = {                             \
      OPTIONS(AERO__OPTION_ENTRY){0}};                                        \
  typedef aero_status (*ident##__ctor_type)(                                  \
      void **self OPTIONS(AERO__OPTION_PARAM), aero_error *err);              \
  _Static_assert(_Generic(&(ctor), ident##__ctor_type: 1, default: 0),        \
                 "AERO_BUILDER: the parameters of " #ctor                     \
                 " must be (void **self, one per option of " #OPTIONS         \
                 " in order and of its C type, aero_error *err)");            \
  static const aero_builder_vtable ident = {                                  \
      .struct_size = sizeof(aero_builder_vtable),                             \
      .project = (project_name),                                              \
      .description = (desc),                                                  \
      .options = ident##__options,                                            \
      .option_count = AERO_COUNT(ident##__options) - 1,                       \
      .constructor = (void (*)(void))(ctor),                                  \
      .build_actions = (build),                                               \
      .destroy = (dtor),                                                      \
  }

#else
/* C++: the same table and the same check, without designated initializers
 * or compound literals. The option table lives in a struct named after
 * `ident`, beside each CHOICE option's list of choices; the check is a
 * static_assert on the constructor's exact type (std::is_same, with or
 * without noexcept), the C++ counterpart of _Generic. */
static inline aero_option aero__option(uint32_t type, char short_name,
                                       const char *name, const char *help,
                                       aero_scalar def,
                                       const char *const *choices) {
  aero_option o = {};
  o.type = type;
  o.short_name = short_name;
  o.name = name;
  o.help = help;
  o.def = def;
  o.choices = choices;
  return o;
}
#define AERO__CXX_CHOICES_BOOL(n, d)
#define AERO__CXX_CHOICES_INT(n, d)
#define AERO__CXX_CHOICES_DOUBLE(n, d)
#define AERO__CXX_CHOICES_STRING(n, d)
#define AERO__CXX_CHOICES_CHOICE(n, d)                                        \
  static constexpr const char *const n##__choices[] = {AERO__UNPAREN d,       \
                                                       nullptr};
#define AERO__CXX_CHOICES(t, n, s, d, h) AERO__CXX_CHOICES_##t(n, d)
#define AERO__CXX_DEFAULT_BOOL(n, d) aero__scalar_b(d), nullptr
#define AERO__CXX_DEFAULT_INT(n, d) aero__scalar_i(d), nullptr
#define AERO__CXX_DEFAULT_DOUBLE(n, d) aero__scalar_d(d), nullptr
#define AERO__CXX_DEFAULT_STRING(n, d) aero__scalar_s(d), nullptr
#define AERO__CXX_DEFAULT_CHOICE(n, d)                                        \
  aero__scalar_s(AERO__FIRST d), n##__choices
#define AERO__CXX_OPTION_ENTRY(t, n, s, d, h)                                 \
  aero__option(AERO_OPT_##t, (s), #n, (h), AERO__CXX_DEFAULT_##t(n, d)),
#define AERO_BUILDER(ident, project_name, desc, OPTIONS, ctor, build, dtor)   \
  struct ident##__table {                                                     \
    OPTIONS(AERO__CXX_CHOICES)                                                \
    static const aero_option options[];                                       \
  };                                                                          \
  const aero_option ident##__table::options[] = {                             \
      OPTIONS(AERO__CXX_OPTION_ENTRY) aero_option()};                         \
  typedef aero_status (*ident##__ctor_type)(                                  \
      void **self OPTIONS(AERO__OPTION_PARAM), aero_error *err);              \
  typedef aero_status (*ident##__ctor_noexcept)(                              \
      void **self OPTIONS(AERO__OPTION_PARAM), aero_error *err) noexcept;     \
  static_assert(std::is_same<decltype(&(ctor)), ident##__ctor_type>::value || \
                    std::is_same<decltype(&(ctor)),                           \
                                 ident##__ctor_noexcept>::value,              \
                "AERO_BUILDER: the parameters of " #ctor                      \
                " must be (void **self, one per option of " #OPTIONS          \
                " in order and of its C type, aero_error *err)");             \
  static const aero_builder_vtable ident = {                                  \
      sizeof(aero_builder_vtable),                                            \
      (project_name),                                                         \
      (desc),                                                                 \
      ident##__table::options,                                                \
      AERO_COUNT(ident##__table::options) - 1,                                \
      reinterpret_cast<void (*)(void)>(ctor),                                 \
      (build),                                                                \
      (dtor)}
#endif

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* AEROMANCY_BUILDER_H */
