/* Info block claiming to be shorter than ABI 1.0's (16 bytes). */
#include "ldr_fixture.h"

LDR_DEFINE_MINIMAL()
LDR_ENTRY(.magic = AERO_PLUGIN_MAGIC, .struct_size = 16,
          .abi_major = AERO_ABI_MAJOR, .abi_minor = AERO_ABI_MINOR,
          .kind = AERO_PLUGIN_PROJECT, .name = "ldr_size_short", .version = "1",
          .init = ldr_init_minimal)
