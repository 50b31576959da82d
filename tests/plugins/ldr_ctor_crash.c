/* A valid plugin whose library constructor dereferences a bad pointer:
 * dlopen itself dies with SIGSEGV. */
#include <stdint.h>

#include "ldr_fixture.h"

__attribute__((constructor)) static void ldr_ctor_crash(void) {
  volatile uintptr_t address = 8;
  *(volatile int *)address = 1;
}

LDR_DEFINE_MINIMAL()
LDR_ENTRY(.magic = AERO_PLUGIN_MAGIC, .struct_size = sizeof(aero_plugin_info),
          .abi_major = AERO_ABI_MAJOR, .abi_minor = AERO_ABI_MINOR,
          .kind = AERO_PLUGIN_PROJECT, .name = "ldr_ctor_crash", .version = "1",
          .init = ldr_init_minimal)
