/* Reuse: before an action is placed, the scheduler asks whether a past
 * successful run with the same key (reuse_key.h) stands for it. Then no
 * process starts: a run with status `reused` is recorded, pointing at the
 * past run and holding its output versions, so that the action's
 * dependents resolve to the same versions and are reused in turn.
 *
 * Private to host/exec/. Owner: engine.
 */
#ifndef AEH_EXEC_REUSE_H
#define AEH_EXEC_REUSE_H

#include <stdbool.h>

#include "exec.h"
#include "reuse_key.h"

/* Why `a` must run whatever the store holds ("volatile", "--force",
 * "--force-only"), or NULL when a past run may stand for it. */
const char *aeh_reuse_refused(const aeh_exec_options *opts,
                              const aeh_action *a);

/* "2 h ago", "5 min ago", "3 days ago", "just now" for a wall-clock time in
 * ns. */
void aeh_reuse_age(int64_t ended_ns, char *buf, size_t size);

/* True when a past run may stand for the action at `p`: the backend can
 * find one, the action is not volatile, and neither --force nor a
 * matching --force-only asks for it to run. */
bool aeh_reuse_allowed(const aeh_exec *ex, size_t p);

/* Looks for a past run of the action at `p`. When one is found, adds the
 * run that records the reuse to ex->pending, prints "[i/N] Reused [job]
 * output (run 41, 2 h ago)" and returns true; otherwise the action must
 * run (a failed lookup is said on the console and the action runs). */
bool aeh_reuse_try(aeh_exec *ex, size_t p);

/* Records ex->pending (one transaction where the backend can), counts the
 * recorded runs and empties it. A failure is the host's (said on the
 * console, ex->infra set: exit 2). Called before anything else is
 * recorded or waited for, so that a streak of reused actions costs one
 * commit and the store's runs keep the order in which they were decided. */
void aeh_reuse_flush(aeh_exec *ex);

/* Frees ex->pending. */
void aeh_reuse_free(aeh_exec *ex);

/* ---- reuse_batch.c: a streak looked up at once (ABI 1.6) ---- */

/* Whether the backend answers many lookups in one call. */
bool aeh_reuse_batches(const aeh_exec *ex);
/* Looks up every action of `positions` (count `count`) not looked up yet,
 * in one call of the backend; each answer waits for aeh_reuse_try. Many
 * only with a backend that batches; one with any (the scheduler asks for
 * an action waiting for a slot, which a match lets skip it). A failed call
 * is said in one line, and its actions run. */
void aeh_reuse_look_ahead(aeh_exec *ex, const size_t *positions,
                          size_t count);
/* Whether an answer waits for the action at `p`; and whether it found a
 * run to reuse (such an action needs no slot). */
bool aeh_reuse_looked(const aeh_exec *ex, size_t p);
bool aeh_reuse_found(const aeh_exec *ex, size_t p);
/* Takes the answer waiting for `p`: its preview (the caller's, to free)
 * and match->run_id / ended_ns; false when none waits or it is too old to
 * trust (then dropped). */
bool aeh_reuse_take(aeh_exec *ex, size_t p, aeh_run **preview,
                    aero_reuse_match *match);
/* Frees every answer not taken. */
void aeh_reuse_batch_free(aeh_exec *ex);

/* The key of the action at position `p` for aeh_run_begin (an
 * aeh_run_key_fn): the caller's `ctx` holds the position and the key's
 * storage. */
typedef struct aeh_reuse_key_ctx {
  aeh_exec *ex;
  size_t p;
  aeh_reuse_key key;
} aeh_reuse_key_ctx;
bool aeh_reuse_key_for(void *ctx, const aeh_run *run, const char **key,
                       const char **job, const char **parts);

/* After the action's run began: records its key, so that a later run can
 * reuse it once it ended OK, unless it was recorded with the run. */
void aeh_reuse_note(aeh_exec *ex, size_t p, aeh_run *run);

#endif /* AEH_EXEC_REUSE_H */
