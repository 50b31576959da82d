/* Graph fixture: an output name with a path trick, refused by graph_add. */
#include "graph_fixture.h"

static const graph_step steps[] = {
    {"ingest", "../etc", {NULL, NULL}},
};
GRAPH_FIXTURE(steps, "graph_bad_name");
