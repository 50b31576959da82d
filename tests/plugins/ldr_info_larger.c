/* Info block larger than the host's (a later member the host does not
 * know): accepted, the extra bytes ignored. */
#include "ldr_fixture.h"

LDR_DEFINE_MINIMAL()

typedef struct larger_info {
  aero_plugin_info info;
  void *future_member;
} larger_info;

AERO_HIDDEN const aero_host_api *aero_api;
AERO_EXPORT const aero_plugin_info *aero_plugin_entry(void);
AERO_EXPORT const aero_plugin_info *aero_plugin_entry(void) {
  static const larger_info info = {
      .info = {.magic = AERO_PLUGIN_MAGIC,
               .struct_size = sizeof(larger_info),
               .abi_major = AERO_ABI_MAJOR,
               .abi_minor = AERO_ABI_MINOR,
               .kind = AERO_PLUGIN_PROJECT,
               .name = "ldr_info_larger",
               .version = "1",
               .init = ldr_init_minimal},
      .future_member = NULL,
  };
  return &info.info;
}
