/* STUB: replaced by the tracking implementation. */
#include "runtime_env.h"
aero_status aeh_runtime_env_collect(bool dev, const char *p, const char *s, int argc, char **argv, aeh_runtime_env *out, aero_error *err) {
  (void)dev; (void)p; (void)s; (void)argc; (void)argv; (void)err; *out = (aeh_runtime_env){0}; return AERO_OK; }
void aeh_runtime_env_free(aeh_runtime_env *env) { (void)env; }
