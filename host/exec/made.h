/* What this execution made or reused, for its dependents: an action's
 * parent outputs resolve to the versions its parent's run in this
 * execution holds, not to the artifact's latest version. A parent reused
 * from an older run holds older versions than the latest (made since by
 * a run with another config): its dependents must read those, or they
 * would read what another config made (and be reused against it).
 *
 * The versions are read from the store (query_versions of the run) when a
 * dependent first needs them: an execution whose actions have no
 * dependents reads none. Used by the executor and by --dry-run.
 *
 * Private to host/exec/. Owner: engine.
 */
#ifndef AEH_EXEC_MADE_H
#define AEH_EXEC_MADE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graph.h"
#include "store.h"
#include "tracker.h"

typedef struct aeh_made aeh_made;

/* For the actions of `graph`, on `store`; NULL when out of memory. */
aeh_made *aeh_made_new(aeh_store *store, const aero_graph *graph);

/* Notes that action `a` resolved here with run `run_id`'s outputs (the
 * run it ran, or the one it reused). */
void aeh_made_by(aeh_made *made, const aeh_action *a, int64_t run_id);

/* The run noted for action `a` by aeh_made_by, or 0. */
int64_t aeh_made_run(const aeh_made *made, const aeh_action *a);

/* aeh_session.made (tracker.h), `ctx` an aeh_made: the version of `ref`
 * that a parent of `action` made or reused here. */
bool aeh_made_version(void *ctx, const aeh_action *action,
                      const aeh_artifact_ref *ref, int64_t *version);

/* A copy of `session` that resolves parent outputs through `made`. */
aeh_session aeh_made_session(const aeh_session *session, aeh_made *made);

void aeh_made_free(aeh_made *made);

#endif /* AEH_EXEC_MADE_H */
