/* Calling a builder's constructor with parsed option values, through
 * libffi.
 *
 * Owner: front-end (ctor_call.c). The constructor is stored type-erased in
 * aero_builder_vtable; its real type is
 *   aero_status (*)(void **self, <one parameter per option>, aero_error *err)
 * with bool, int64_t, double or const char * per option type, which
 * AERO_BUILDER checks when the plugin compiles.
 */
#ifndef AEH_CTOR_CALL_H
#define AEH_CTOR_CALL_H

#include <stddef.h>

#include <aeromancy/builder.h>

#include "error.h"

/* Calls `constructor` with one argument per option of `options`, taken from
 * `values` by the option's type (strings borrowed for the call). Returns
 * the constructor's status with its own message in `err` (the caller adds
 * context); a failure that left no message gets the status's text. Writes
 * *self (possibly NULL, for a stateless builder) only on success; the
 * caller then owns it and passes it to the builder's destroy. */
aero_status aeh_ctor_call(void (*constructor)(void), const aero_option *options,
                          size_t count, const aero_scalar *values, void **self,
                          aero_error *err);

#endif /* AEH_CTOR_CALL_H */
