/* Info block with struct_size 0. */
#include "ldr_fixture.h"

LDR_DEFINE_MINIMAL()
LDR_ENTRY(.magic = AERO_PLUGIN_MAGIC, .struct_size = 0,
          .abi_major = AERO_ABI_MAJOR, .abi_minor = AERO_ABI_MINOR,
          .kind = AERO_PLUGIN_PROJECT, .name = "ldr_size_zero", .version = "1",
          .init = ldr_init_minimal)
