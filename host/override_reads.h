/* --artifact-override against the graph: a pin that no selected action
 * reads would pin nothing, so a typo in it must not pass silently.
 *
 * Owner: tracking (override_reads.c). The syntax of each override is
 * checked by aeh_session_check_overrides first.
 */
#ifndef AEH_OVERRIDE_READS_H
#define AEH_OVERRIDE_READS_H

#include "error.h"
#include "graph.h"
#include "tracker.h"

/* Checks that every override of an artifact of this project names an
 * output of a parent of a selected action (what those actions read; the
 * graph knows nothing of other projects' artifacts, so overrides naming
 * them are not checked). AERO_E_INVALID naming the override and the
 * nearest name read. `graph` is validated and selected; both borrowed. */
aero_status aeh_overrides_check_reads(const aeh_session *session,
                                      const aero_graph *graph, aero_error *err);

#endif /* AEH_OVERRIDE_READS_H */
