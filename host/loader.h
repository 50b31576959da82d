/* Loading plugins: dlopen, the ABI checks, and init.
 *
 * Owner: front-end (loader.c, registrar in loader.c). Used by cli_run.c and
 * cli_describe.c for project plugins and by store.c for tracker backends.
 */
#ifndef AEH_LOADER_H
#define AEH_LOADER_H

#include <stddef.h>

#include <aeromancy/plugin.h>

#include "error.h"

typedef struct aeh_plugin aeh_plugin;

/* Loads the plugin at `path` with dlopen(RTLD_NOW | RTLD_LOCAL), checks its
 * info block (magic, ABI major, minor, size, kind, name, init) before calling
 * any of its code, then runs its init with the host API table, collecting
 * what it registers. Every failure is one line naming the path and what was
 * expected and found, with AERO_E_ABI for ABI problems, AERO_E_NOT_FOUND for
 * a missing file, AERO_E_INVALID otherwise (or init's own status). On
 * success the caller owns *out (aeh_plugin_unload). */
aero_status aeh_plugin_load(const char *path, aero_plugin_kind kind,
                            aeh_plugin **out, aero_error *err);

/* Frees the host's copies and runs nothing of the plugin's. The library
 * stays mapped (never dlclose'd): a destroy callback or a function pointer
 * the host still holds must stay valid until every one has run, which the
 * caller guarantees by unloading last, and dlclose does not promise to
 * unload anyway. */
void aeh_plugin_unload(aeh_plugin *plugin);

const char *aeh_plugin_path(const aeh_plugin *plugin);    /* as loaded */
const char *aeh_plugin_name(const aeh_plugin *plugin);    /* copied */
const char *aeh_plugin_version(const aeh_plugin *plugin); /* copied */
unsigned aeh_plugin_abi_major(const aeh_plugin *plugin);
unsigned aeh_plugin_abi_minor(const aeh_plugin *plugin);

/* SHA-256 of the plugin file, lowercase hex, computed once on first use.
 * NULL if the file cannot be read. */
const char *aeh_plugin_sha256(aeh_plugin *plugin);

/* The builders a project plugin registered, in registration order, as
 * host-sized copies (members the plugin predates are NULL). */
size_t aeh_plugin_builder_count(const aeh_plugin *plugin);
const aero_builder_vtable *aeh_plugin_builder(const aeh_plugin *plugin,
                                              size_t index);

/* The backend a backend plugin registered (host-sized copy), or NULL. */
const aero_backend_vtable *aeh_plugin_backend(const aeh_plugin *plugin);

/* The host API's register_builder and register_backend (api_table.c). They
 * accept a registration only while the plugin's init runs (AERO_E_STATE
 * after), check the vtable and copy it into a zeroed host-sized struct,
 * with its strings and option table. A rejected registration also fails
 * the plugin's load, whatever its init returns. */
aero_status aeh_registrar_add_builder(aero_registrar *reg,
                                      const aero_builder_vtable *vtable,
                                      aero_error *err);
aero_status aeh_registrar_add_backend(aero_registrar *reg,
                                      const aero_backend_vtable *vtable,
                                      aero_error *err);

#endif /* AEH_LOADER_H */
