/* Graph fixture: a valid diamond plus an independent action, added out of
 * order, for list and graph output:
 *   ingest -> train -> evaluate <- baseline <- ingest;  notes */
#include "graph_fixture.h"

static const graph_step steps[] = {
    {"evaluate", "report", {"model", "graphdemo/base"}},
    {"train", "model", {"data", NULL}},
    {"ingest", "data", {NULL, NULL}},
    {"baseline", "base", {"data", NULL}},
    {"notes", "notes", {NULL, NULL}},
};
GRAPH_FIXTURE(steps, "graph_diamond");
