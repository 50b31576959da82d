/* Graph fixture: train reads report and evaluate reads model: a cycle. */
#include "graph_fixture.h"

static const graph_step steps[] = {
    {"ingest", "data", {NULL, NULL}},
    {"train", "model", {"data", "report"}},
    {"evaluate", "report", {"model", NULL}},
};
GRAPH_FIXTURE(steps, "graph_cycle");
