/* Graph fixture: evaluate names a parent nobody outputs (a typo). */
#include "graph_fixture.h"

static const graph_step steps[] = {
    {"train", "model", {NULL, NULL}},
    {"evaluate", "report", {"modle", NULL}},
};
GRAPH_FIXTURE(steps, "graph_unknown_parent");
