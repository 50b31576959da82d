/* Private to tracking (tracker.c, tracker_calls.c): the run and the
 * tracker an action sees. */
#ifndef AEH_TRACKER_PRIVATE_H
#define AEH_TRACKER_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "artifact_ref.h"
#include "tracker.h"

/* An input fixed when the run started: an output of a parent action. */
typedef struct aeh_fixed_input {
  const char *label;             /* the output name as the graph gives it */
  aeh_artifact_ref ref;          /* entity and project filled in */
  aero_artifact_version version; /* valid when `found` */
  bool found;
  bool required; /* named by the action as a parent: must exist */
} aeh_fixed_input;

struct aero_tracker {
  aeh_run *run;
};

struct aeh_run {
  aero_tracker tracker;       /* what the action receives */
  aeh_store *store;           /* borrowed */
  const aeh_session *session; /* borrowed */
  const aeh_action *action;   /* borrowed */
  int64_t id;
  aeh_fixed_input *inputs;
  size_t input_count;
  char *label;      /* "[job_type output]" for log lines */
  char *workdir;    /* path; created on first use */
  int64_t host_pid; /* the process that began the run (names workdir) */
  bool ended;       /* run_end recorded: tracker calls now fail */
  bool keyed;       /* its reuse key was recorded with it (aeh_run_begin) */
  /* Its reuse key as recorded (with the run, or by aeh_run_note_key); key
   * "" for none. Kept so that a read outside the key can replace it
   * (aeh_run_read_outside_key), in the action's process too. */
  char key[65], job[65], parts[256];
  bool read_outside; /* its key was replaced: it read outside it */
  bool bailed;
  char *bail_reason; /* as given to aero_bailout; NULL for none */
  bool in_storage;   /* run, inputs, label and workdir live in the caller's
                        storage (aeh_run_adopt): not freed */
  unsigned char *declared; /* per action output: declared with success;
                              NULL until the first declaration */
  size_t unrecorded;       /* metrics and log lines its backend refused here */
  char *unrecorded_why;    /* the first refusal's message; NULL for none */
  bool output_refused;     /* the store could not keep an output declared
                              here (aeh_store_refused) */
  /* The transport this run's tracker calls use, when it is not the
   * store's own backend and handle: the relay to the host, in the action's
   * process (aeh_run_relay_to). NULL: the store's (aeh_run_backend). */
  const aero_backend_vtable *vt;
  void *handle;
  void **owned; /* strings handed to the action, freed with the run */
  size_t owned_count;
  size_t owned_cap;
};

/* The backend and handle run `run`'s calls go to: its relay when it has
 * one, else the store's own in this process. Both borrowed. */
aero_status aeh_run_backend(aeh_run *run, const aero_backend_vtable **vt,
                            void **handle, aero_error *err);

/* Finds the --artifact-override for `ref` (entity and project filled);
 * writes its version. Returns false when none applies. */
bool aeh_run_override(const aeh_run *run, const aeh_artifact_ref *ref,
                      int64_t *version);

/* Fills `ref`'s missing entity and project from the session. */
void aeh_run_default_ref(const aeh_run *run, aeh_artifact_ref *ref);

/* The one-line message for an input that cannot be resolved; `label` is the
 * name the action used, `pinned` says it came from --artifact-override.
 * Rewrites `err` (which holds the backend's message). */
void aeh_run_input_missing(aeh_run *run, void *handle, const char *label,
                           const aeh_artifact_ref *ref, bool pinned,
                           aero_error *err);

#endif /* AEH_TRACKER_PRIVATE_H */
