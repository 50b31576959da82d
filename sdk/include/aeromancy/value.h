/* Typed values: project option defaults, action config and artifact
 * metadata all use the same small tagged union. */
#ifndef AEROMANCY_VALUE_H
#define AEROMANCY_VALUE_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The type tag of an aero_value. Values are never renumbered. */
typedef enum aero_value_type {
  AERO_VALUE_BOOL = 1,
  AERO_VALUE_INT = 2,
  AERO_VALUE_DOUBLE = 3,
  AERO_VALUE_STRING = 4,
} aero_value_type;

/* One scalar. Which member is valid is said by the type tag beside it. */
typedef union aero_scalar {
  int64_t i;     /* AERO_VALUE_INT */
  double d;      /* AERO_VALUE_DOUBLE */
  const char *s; /* AERO_VALUE_STRING: borrowed, see the owner's rule */
  bool b;        /* AERO_VALUE_BOOL */
} aero_scalar;

/* A typed value. Strings are borrowed from the caller; whoever receives a
 * value across the ABI copies the string if it keeps it. */
typedef struct aero_value {
  uint32_t type; /* an aero_value_type */
  uint32_t reserved; /* zero; keeps the union 8-aligned on every target */
  aero_scalar as;
} aero_value;

/* One key/value pair of an action's config or an artifact's metadata.
 * Keys are borrowed like string values. */
typedef struct aero_kv {
  const char *key;
  aero_value value;
} aero_kv;

/* Compound-literal helpers, e.g. AERO_KV_DOUBLE("learning_rate", 0.01). */
#ifndef __cplusplus
#define AERO_KV_BOOL(k, v)                                                    \
  ((aero_kv){.key = (k), .value = {.type = AERO_VALUE_BOOL, .as.b = (v)}})
#define AERO_KV_INT(k, v)                                                     \
  ((aero_kv){.key = (k), .value = {.type = AERO_VALUE_INT, .as.i = (v)}})
#define AERO_KV_DOUBLE(k, v)                                                  \
  ((aero_kv){.key = (k), .value = {.type = AERO_VALUE_DOUBLE, .as.d = (v)}})
#define AERO_KV_STRING(k, v)                                                  \
  ((aero_kv){.key = (k), .value = {.type = AERO_VALUE_STRING, .as.s = (v)}})
#else
/* C++ has no compound literals: the same values from inline functions,
 * with the same types (an int64_t, a double, a bool, a string). */
static inline aero_kv aero__kv(const char *key, uint32_t type, aero_scalar as) {
  aero_kv kv = {};
  kv.key = key;
  kv.value.type = type;
  kv.value.as = as;
  return kv;
}
static inline aero_scalar aero__scalar_b(bool b) {
  aero_scalar s = {};
  s.b = b;
  return s;
}
static inline aero_scalar aero__scalar_i(int64_t i) {
  aero_scalar s = {};
  s.i = i;
  return s;
}
static inline aero_scalar aero__scalar_d(double d) {
  aero_scalar s = {};
  s.d = d;
  return s;
}
static inline aero_scalar aero__scalar_s(const char *str) {
  aero_scalar s = {};
  s.s = str;
  return s;
}
#define AERO_KV_BOOL(k, v) aero__kv((k), AERO_VALUE_BOOL, aero__scalar_b(v))
#define AERO_KV_INT(k, v) aero__kv((k), AERO_VALUE_INT, aero__scalar_i(v))
#define AERO_KV_DOUBLE(k, v) aero__kv((k), AERO_VALUE_DOUBLE, aero__scalar_d(v))
#define AERO_KV_STRING(k, v) aero__kv((k), AERO_VALUE_STRING, aero__scalar_s(v))
#endif


#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* AEROMANCY_VALUE_H */
