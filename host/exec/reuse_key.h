/* The reuse key of an action: what must be equal for a past run to stand
 * for running it again. Six parts, each a SHA-256:
 *
 *   code     the action's code_version when it declares one, else the
 *            plugin's SHA-256
 *   builder  the builder's project and the job type
 *   config   the action's config (sorted by key; type and value)
 *   inputs   the exact versions its inputs resolve to (label, version
 *            number, backend id and content digest)
 *   outputs  its output names, in order
 *   mode     dev or production
 *
 * The key is the SHA-256 of the six; `job` that of builder, outputs and
 * mode (which action this is); `parts` names each with its first 16
 * hex digits, so that a later run can say which one changed.
 *
 * Private to host/exec/. Owner: engine.
 */
#ifndef AEH_EXEC_REUSE_KEY_H
#define AEH_EXEC_REUSE_KEY_H

#include <stddef.h>

#include "tracker.h"

typedef struct aeh_reuse_key {
  char key[65];    /* 64 lowercase hex digits */
  char job[65];    /* the action, whatever its code, config and inputs:
                      SHA-256 of the builder, outputs and mode parts */
  char parts[256]; /* "code=0123456789abcdef builder=... mode=..." */
} aeh_reuse_key;

/* The key of `action` in `session`, with the inputs fixed for `run` (a
 * preview or a begun run). */
void aeh_reuse_key_of(const aeh_session *session, const aeh_action *action,
                      const aeh_run *run, aeh_reuse_key *out);

/* Which parts differ between two `parts` texts, as "config, inputs" in
 * `buf`; "" when none does (or `old` is empty). */
void aeh_reuse_key_diff(const char *old, const char *now, char *buf,
                        size_t size);

#endif /* AEH_EXEC_REUSE_KEY_H */
