/* Built for another ABI major (2.0). */
#include "ldr_fixture.h"

LDR_DEFINE_MINIMAL()
LDR_ENTRY(.magic = AERO_PLUGIN_MAGIC, .struct_size = sizeof(aero_plugin_info),
          .abi_major = AERO_ABI_MAJOR + 1, .abi_minor = 0,
          .kind = AERO_PLUGIN_PROJECT, .name = "ldr_abi_major", .version = "1",
          .init = ldr_init_minimal)
