/* The one aero_host_api table the host hands to every plugin's init.
 *
 * Owner: front-end (api_table.c). Its members point at functions of
 * error.c, loader.c (registrar), graph.c and tracker.c.
 */
#ifndef AEH_API_TABLE_H
#define AEH_API_TABLE_H

#include <aeromancy/host_api.h>

/* Static table; never freed. */
const aero_host_api *aeh_host_api(void);

#endif /* AEH_API_TABLE_H */
