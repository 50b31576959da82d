/* Status codes shared by the host and every plugin.
 *
 * One negative enum generated from an X-macro list, so that the names, the
 * numbers and the messages can never drift apart. Codes are never renumbered;
 * new ones are appended with the next free number.
 */
#ifndef AEROMANCY_STATUS_H
#define AEROMANCY_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

/* X(NAME, value, message) */
#define AERO_STATUS_MAP(X)                                                    \
  X(OK, 0, "ok")                                                              \
  X(E_INVALID, -1, "invalid argument")                                        \
  X(E_NOMEM, -2, "out of memory")                                             \
  X(E_IO, -3, "input/output error")                                           \
  X(E_NOT_FOUND, -4, "not found")                                             \
  X(E_ABI, -5, "ABI mismatch")                                                \
  X(E_STORE, -6, "store error")                                               \
  X(E_ACTION, -7, "action failed")                                            \
  X(E_BAILOUT, -8, "bailed out")                                              \
  X(E_EXISTS, -9, "already exists")                                           \
  X(E_UNSUPPORTED, -10, "unsupported")                                        \
  X(E_STATE, -11, "called in the wrong state")                                \
  X(E_NOSPACE, -12, "no space left on device")                                \
  X(E_INTERRUPTED, -13, "interrupted")                                        \
  X(E_GRAPH, -14, "invalid action graph")                                     \
  X(E_CONFIG, -15, "invalid configuration")

/* Every status a host or plugin function returns. Zero is success; every
 * error is negative. Since ABI 1.0. */
typedef enum aero_status {
#define AERO__STATUS_ENUM(name, value, message) AERO_##name = (value),
  AERO_STATUS_MAP(AERO__STATUS_ENUM)
#undef AERO__STATUS_ENUM
} aero_status;

/* The fixed message of a status code ("unknown status" for a value outside
 * the list). Returns a static string: never free it. Inline so that plugins
 * and the host share it without either exporting a symbol. */
static inline const char *aero_status_str(aero_status status) {
  switch (status) {
#define AERO__STATUS_CASE(name, value, message)                               \
  case AERO_##name:                                                           \
    return message;
    AERO_STATUS_MAP(AERO__STATUS_CASE)
#undef AERO__STATUS_CASE
  }
  return "unknown status";
}

/* The symbolic name of a status code without its prefix ("E_IO"). Static
 * string. */
static inline const char *aero_status_name(aero_status status) {
  switch (status) {
#define AERO__STATUS_NAME(name, value, message)                               \
  case AERO_##name:                                                           \
    return #name;
    AERO_STATUS_MAP(AERO__STATUS_NAME)
#undef AERO__STATUS_NAME
  }
  return "UNKNOWN";
}


#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* AEROMANCY_STATUS_H */
