/* The UI's own files (HTML, CSS, JavaScript under host/runner/ui/assets/),
 * compiled into the program, and Chart.js, read once from Debian's
 * libjs-chart.js at start-up. A request names an asset by its exact file
 * name: nothing a request says is ever joined to a path.
 */
#ifndef AEH_UI_ASSETS_H
#define AEH_UI_ASSETS_H

#include <stddef.h>

#include "error.h"

typedef struct aeh_ui_asset {
  const char *name;          /* file name, e.g. "run.js" */
  const unsigned char *data; /* static, or owned by the loaded Chart.js */
  size_t size;
} aeh_ui_asset;

/* The file name under which Chart.js is served. */
#define AEH_UI_CHARTJS "chart.min.js"

/* The embedded asset called `name`, or Chart.js once loaded, or NULL. */
const aeh_ui_asset *aeh_ui_asset_find(const char *name);

/* The Content-Type of an asset, from its name's extension. */
const char *aeh_ui_asset_type(const char *name);

/* Reads Chart.js from `path` (AERO_CHARTJS_PATH when NULL). On failure
 * AERO_E_NOT_FOUND naming the path and the package that provides it. */
aero_status aeh_ui_assets_load(const char *path, aero_error *err);

/* Frees the loaded Chart.js. */
void aeh_ui_assets_unload(void);

#endif /* AEH_UI_ASSETS_H */
