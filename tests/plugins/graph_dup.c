/* Graph fixture: two actions declare the same output "model". */
#include "graph_fixture.h"

static const graph_step steps[] = {
    {"ingest", "data", {NULL, NULL}},
    {"train", "model", {"data", NULL}},
    {"retrain", "model", {"data", NULL}},
};
GRAPH_FIXTURE(steps, "graph_dup");
