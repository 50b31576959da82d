/* Built for an older ABI major (0.9): a host must refuse it as firmly as a
 * newer one, since 1.0 changed what 0.x structs meant. */
#include "ldr_fixture.h"

LDR_DEFINE_MINIMAL()
LDR_ENTRY(.magic = AERO_PLUGIN_MAGIC, .struct_size = sizeof(aero_plugin_info),
          .abi_major = AERO_ABI_MAJOR - 1, .abi_minor = 9,
          .kind = AERO_PLUGIN_PROJECT, .name = "ldr_abi_old", .version = "1",
          .init = ldr_init_minimal)
