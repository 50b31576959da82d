/* Graph fixture: evaluate names another project's output as its parent. */
#include "graph_fixture.h"

static const graph_step steps[] = {
    {"train", "model", {NULL, NULL}},
    {"evaluate", "report", {"other/model", NULL}},
};
GRAPH_FIXTURE(steps, "graph_foreign");
