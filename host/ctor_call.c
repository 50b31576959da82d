#include "ctor_call.h"

#include <ffi.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* Storage for one argument: libffi reads each through a pointer. */
typedef union arg_slot {
  uint8_t b; /* bool: one byte, 0 or 1, as the C ABI passes _Bool */
  int64_t i;
  double d;
  const char *s;
  void *p;
} arg_slot;

static ffi_type *type_of(uint32_t option_type) {
  switch (option_type) {
  case AERO_OPT_BOOL:
    /* _Bool is one byte; libffi widens it as the ABI requires. */
    return &ffi_type_uint8;
  case AERO_OPT_INT:
    return &ffi_type_sint64;
  case AERO_OPT_DOUBLE:
    return &ffi_type_double;
  case AERO_OPT_STRING:
  case AERO_OPT_CHOICE:
    return &ffi_type_pointer;
  default:
    return NULL;
  }
}

aero_status aeh_ctor_call(void (*constructor)(void), const aero_option *options,
                          size_t count, const aero_scalar *values, void **self,
                          aero_error *err) {
  aero_status rc = AERO_OK;
  size_t nargs = count + 2; /* self, the options, err */
  ffi_type **types = calloc(nargs, sizeof *types);
  void **args = calloc(nargs, sizeof *args);
  arg_slot *slots = calloc(nargs, sizeof *slots);
  void *made = NULL;
  aero_error ctor_err = AEH_ERROR_INIT;
  ffi_cif cif;
  ffi_sarg result = 0; /* libffi widens small integer returns to ffi_arg */
  if (constructor == NULL) {
    rc = aeh_error_set(err, AERO_E_INVALID, "builder has no constructor");
    goto done;
  }
  if (types == NULL || args == NULL || slots == NULL) {
    rc = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
    goto done;
  }
  slots[0].p = &made;
  types[0] = &ffi_type_pointer;
  for (size_t i = 0; i < count; i++) {
    arg_slot *slot = &slots[i + 1];
    types[i + 1] = type_of(options[i].type);
    if (types[i + 1] == NULL) {
      rc = aeh_error_set(err, AERO_E_INVALID, "option '%s' has unknown type %u",
                         options[i].name, (unsigned)options[i].type);
      goto done;
    }
    switch (options[i].type) {
    case AERO_OPT_BOOL:
      slot->b = values[i].b ? 1 : 0;
      break;
    case AERO_OPT_INT:
      slot->i = values[i].i;
      break;
    case AERO_OPT_DOUBLE:
      slot->d = values[i].d;
      break;
    default:
      slot->s = values[i].s;
    }
  }
  slots[nargs - 1].p = &ctor_err;
  types[nargs - 1] = &ffi_type_pointer;
  for (size_t i = 0; i < nargs; i++)
    args[i] = &slots[i];

  /* aero_status is an enum with negative members: a C int. */
  if (ffi_prep_cif(&cif, FFI_DEFAULT_ABI, (unsigned)nargs, &ffi_type_sint,
                   types) != FFI_OK) {
    rc = aeh_error_set(err, AERO_E_INVALID,
                       "cannot prepare a call with %zu parameters", nargs);
    goto done;
  }
  ffi_call(&cif, constructor, &result, args);
  rc = (aero_status)(int)result;
  if (rc != AERO_OK) {
    /* A positive "status" is not one of ours: still a failure. */
    if ((int)rc > 0)
      rc = AERO_E_INVALID;
    if (ctor_err.message[0] != '\0')
      aeh_error_set(err, rc, "%s", ctor_err.message);
    else
      aeh_error_set(err, rc, "%s (status %d, no message)", aero_status_str(rc),
                    (int)result);
    goto done;
  }
  *self = made;
done:
  free(slots);
  free(args);
  free(types);
  return rc;
}
