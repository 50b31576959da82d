#include "api_table.h"

#include <aeromancy/abi.h>

#include "console.h"
#include "error.h"
#include "graph.h"
#include "loader.h"
#include "tracker.h"

/* One table for every plugin: static, so the pointer a plugin keeps in its
 * aero_api stays valid for the whole process. */
static const aero_host_api host_api = {
    .struct_size = sizeof(aero_host_api),
    .abi_major = AERO_ABI_MAJOR,
    .abi_minor = AERO_ABI_MINOR,
    .host_version = AERO_HOST_VERSION,
    .error_set = aeh_error_set_message,
    .register_builder = aeh_registrar_add_builder,
    .register_backend = aeh_registrar_add_backend,
    .graph_add = aeh_graph_add,
    .declare_input = aeh_tracker_declare_input,
    .declare_output = aeh_tracker_declare_output,
    .log_metrics = aeh_tracker_log_metrics,
    .log_text = aeh_tracker_log_text,
    .bailout = aeh_tracker_bailout,
    .workdir = aeh_tracker_workdir,
    .progress = aeh_console_progress,
};

const aero_host_api *aeh_host_api(void) {
  return &host_api;
}
