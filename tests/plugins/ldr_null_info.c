/* The entry symbol exists but returns no info block. */
#include <aeromancy/aeromancy.h>

AERO_EXPORT const aero_plugin_info *aero_plugin_entry(void);
AERO_EXPORT const aero_plugin_info *aero_plugin_entry(void) {
  return NULL;
}
