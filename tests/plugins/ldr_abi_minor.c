/* Built for a minor newer than the host's. */
#include "ldr_fixture.h"

LDR_DEFINE_MINIMAL()
LDR_ENTRY(.magic = AERO_PLUGIN_MAGIC, .struct_size = sizeof(aero_plugin_info),
          .abi_major = AERO_ABI_MAJOR, .abi_minor = AERO_ABI_MINOR + 7,
          .kind = AERO_PLUGIN_PROJECT, .name = "ldr_abi_minor", .version = "1",
          .init = ldr_init_minimal)
