/* ABI version of the aeromancy SDK.
 *
 * The host accepts a plugin whose major equals its own and whose minor is not
 * newer than its own. A new minor only appends: members at the end of the
 * host API table and of vtables, status codes, enum values.
 */
#ifndef AEROMANCY_ABI_H
#define AEROMANCY_ABI_H

#ifdef __cplusplus
extern "C" {
#endif

#define AERO_ABI_MAJOR 1
#define AERO_ABI_MINOR 7

/* First field of every plugin info block: "AERO" read as a little-endian
 * uint32. */
#define AERO_PLUGIN_MAGIC 0x4F524541u

/* The one symbol every plugin exports. */
#define AERO_ENTRY_SYMBOL "aero_plugin_entry"

/* The SDK's own version, for --version and the run record. */
#define AERO_SDK_VERSION "0.1.0"


#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* AEROMANCY_ABI_H */
