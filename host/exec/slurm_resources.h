/* What each Slurm job asks for: the action's own resources (ABI 1.4's
 * members of aero_action_desc), overridden by aeromancy.ini [slurm] and
 * the --slurm-* flags.
 *
 * Precedence, lowest first: the action's declaration, [slurm] KEY (every
 * action), [slurm] JOB_TYPE.KEY (the actions of that job type), then the
 * flags. KEY is one of cpus, gpus, time, mem, partition.
 *
 * Private to host/exec/ and cli_run.c. Owner: engine.
 */
#ifndef AEH_EXEC_SLURM_RESOURCES_H
#define AEH_EXEC_SLURM_RESOURCES_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "graph.h"

/* The longest time limit Slurm 22.05 keeps as asked: 24,855 days (it
 * reads a limit's seconds into an int). */
#define AEH_SLURM_MAX_TIME_S (24855LL * 86400)

/* One job's request; 0 or NULL: the cluster's default. */
typedef struct aeh_slurm_res {
  uint32_t cpus;
  uint32_t gpus;
  uint32_t time_limit_s;
  uint64_t memory_mb;
  const char *partition; /* borrowed from the action or the settings */
} aeh_slurm_res;

/* Which members of an override's `res` apply. */
enum {
  AEH_SLURM_CPUS = 1,
  AEH_SLURM_GPUS = 2,
  AEH_SLURM_TIME = 4,
  AEH_SLURM_MEM = 8,
  AEH_SLURM_PARTITION = 16,
};

/* One override: the members in `set` of `res`, for the actions of
 * `job_type` (NULL: every action). */
typedef struct aeh_slurm_rule {
  char *job_type; /* owned; NULL: every action */
  unsigned set;
  aeh_slurm_res res; /* partition owned */
} aeh_slurm_rule;

/* The overrides, in increasing precedence. Zero-initialise. */
typedef struct aeh_slurm_settings {
  aeh_slurm_rule *rules;
  size_t count;
} aeh_slurm_settings;

/* Adds the override KEY = VALUE for `job_type` (NULL: every action).
 * `where` names its origin in the message of a bad value
 * ("aeromancy.ini:7: [slurm] time", "--slurm-time"). AERO_E_INVALID for a
 * bad key or value. */
aero_status aeh_slurm_settings_add(aeh_slurm_settings *s, const char *job_type,
                                   const char *key, const char *value,
                                   const char *where, aero_error *err);

/* Adds every entry of aeromancy.ini's [slurm] section: the KEY ones, then
 * the JOB_TYPE.KEY ones. AERO_E_CONFIG naming the line for a bad one. */
aero_status aeh_slurm_settings_from_config(aeh_slurm_settings *s,
                                           const aeh_config *cfg,
                                           aero_error *err);

void aeh_slurm_settings_free(aeh_slurm_settings *s);

/* The request of action `a` under `s` (NULL: none). */
void aeh_slurm_resources(const aeh_slurm_settings *s, const aeh_action *a,
                         aeh_slurm_res *out);

/* Parses a Slurm time limit into seconds: minutes ("30"), "M:S",
 * "H:M:S", "D-H", "D-H:M", "D-H:M:S", or a number with a unit ("90s",
 * "10m", "2h", "1d"). -1 when it is none of these or not above 0. */
int64_t aeh_slurm_parse_time(const char *text);

/* Parses a memory size into MiB: a number with an optional unit K, M, G
 * or T (Slurm's; M when none). -1 when it is not one, or is 0. */
int64_t aeh_slurm_parse_mem(const char *text);

#endif /* AEH_EXEC_SLURM_RESOURCES_H */
