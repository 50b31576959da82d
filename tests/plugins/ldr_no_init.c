/* Info block without an init. */
#include "ldr_fixture.h"

LDR_ENTRY(.magic = AERO_PLUGIN_MAGIC, .struct_size = sizeof(aero_plugin_info),
          .abi_major = AERO_ABI_MAJOR, .abi_minor = AERO_ABI_MINOR,
          .kind = AERO_PLUGIN_PROJECT, .name = "ldr_no_init", .version = "1",
          .init = NULL)
