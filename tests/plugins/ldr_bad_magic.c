/* Info block whose magic is not "AERO". */
#include "ldr_fixture.h"

LDR_DEFINE_MINIMAL()
LDR_ENTRY(.magic = 0x12345678u, .struct_size = sizeof(aero_plugin_info),
          .abi_major = AERO_ABI_MAJOR, .abi_minor = AERO_ABI_MINOR,
          .kind = AERO_PLUGIN_PROJECT, .name = "ldr_bad_magic", .version = "1",
          .init = ldr_init_minimal)
