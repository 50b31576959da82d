/* A valid plugin whose library constructor calls exit(0): without a guard,
 * aerohost would end with 0 while nothing ran. */
#include <stdlib.h>

#include "ldr_fixture.h"

__attribute__((constructor)) static void ldr_ctor_exit(void) {
  exit(0);
}

LDR_DEFINE_MINIMAL()
LDR_ENTRY(.magic = AERO_PLUGIN_MAGIC, .struct_size = sizeof(aero_plugin_info),
          .abi_major = AERO_ABI_MAJOR, .abi_minor = AERO_ABI_MINOR,
          .kind = AERO_PLUGIN_PROJECT, .name = "ldr_ctor_exit", .version = "1",
          .init = ldr_init_minimal)
