/* Graph fixture: an output name one character longer than the name rule
 * allows (127), refused by graph_add before anything runs. */
#include "graph_fixture.h"

#define X16 "xxxxxxxxxxxxxxxx"
static const graph_step steps[] = {
    {"ingest", X16 X16 X16 X16 X16 X16 X16 X16, {NULL, NULL}},
};
GRAPH_FIXTURE(steps, "graph_long_name");
