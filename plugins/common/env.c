/* What a backend reads as it opens: numbers from environment variables,
 * and the host's open flags. */
#include "plugin_common.h"

#include <math.h>
#include <stdlib.h>

aero_status pc_env_number(const char *backend, const char *name,
                          double fallback, double lo, double hi, double *out,
                          aero_error *err) {
  const char *v = getenv(name);
  *out = fallback;
  if (v == NULL || v[0] == '\0')
    return AERO_OK;
  char *end = NULL;
  double d = strtod(v, &end);
  /* "inf" and "1e400" read as numbers: converted to an integer size or a
   * pause they were undefined, and as a limit they never ran out. */
  if (end == v || *end != '\0' || !isfinite(d) || d < lo || d > hi)
    return aero_fail(err, AERO_E_CONFIG,
                     "%s: %s is '%.40s', not a number from %g to %g", backend,
                     name, v, lo, hi);
  *out = d;
  return AERO_OK;
}

bool pc_open_existing(const aero_backend_open_params *params) {
  return params->struct_size >=
             offsetof(aero_backend_open_params, flags) + sizeof params->flags &&
         (params->flags & AERO_OPEN_EXISTING) != 0;
}
