/* Tracked runs, in the host process: recording a run's start with its
 * inputs fixed to immutable versions, its end, and skipped runs. The calls
 * an action makes while it runs are in tracker_calls.c. */
#include "tracker.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aeu.h"
#include "relay.h"
#include "store.h"
#include "tracker_lock.h"
#include "tracker_private.h"

static void take_kept_workdir(aeh_run *run);

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const char *session_entity(const aeh_session *session) {
  return session->entity != NULL ? session->entity : "";
}

aero_status aeh_session_check_overrides(const aeh_session *session,
                                        aero_error *err) {
  aeh_artifact_ref *seen = NULL;
  aero_status status = AERO_OK;
  if (session->override_count > 0) {
    seen = calloc(session->override_count, sizeof *seen);
    if (seen == NULL)
      return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  }
  for (size_t i = 0; i < session->override_count; i++) {
    const char *text = session->overrides[i];
    aeh_artifact_ref ref;
    status = aeh_artifact_ref_parse(text, &ref, err);
    if (status != AERO_OK) {
      aeh_error_prefix(err, "--artifact-override");
      break;
    }
    if (!ref.has_version || ref.version < 0) {
      /* The example keeps the name as written, without ":latest". */
      status = aeh_error_set(err, AERO_E_INVALID,
                             "--artifact-override '%s' needs an explicit "
                             "version, e.g. '%.*s:v3'",
                             text, (int)strcspn(text, ":"), text);
      break;
    }
    aeh_artifact_ref_default(&ref, session_entity(session), session->project);
    for (size_t j = 0; j < i; j++) {
      if (aeh_artifact_ref_same(&seen[j], &ref) &&
          seen[j].version != ref.version) {
        status = aeh_error_set(err, AERO_E_INVALID,
                               "--artifact-override pins '%s' twice (v%lld "
                               "and v%lld)",
                               ref.name, (long long)seen[j].version,
                               (long long)ref.version);
        break;
      }
    }
    if (status != AERO_OK)
      break;
    seen[i] = ref;
  }
  free(seen);
  return status;
}

void aeh_run_default_ref(const aeh_run *run, aeh_artifact_ref *ref) {
  aeh_artifact_ref_default(ref, session_entity(run->session),
                           run->session->project);
}

bool aeh_run_override(const aeh_run *run, const aeh_artifact_ref *ref,
                      int64_t *version) {
  for (size_t i = 0; i < run->session->override_count; i++) {
    aeh_artifact_ref pin;
    if (aeh_artifact_ref_parse(run->session->overrides[i], &pin, NULL) !=
            AERO_OK ||
        !pin.has_version || pin.version < 0)
      continue; /* rejected by aeh_session_check_overrides already */
    aeh_run_default_ref(run, &pin);
    if (aeh_artifact_ref_same(&pin, ref)) {
      *version = pin.version;
      return true;
    }
  }
  return false;
}

void aeh_run_input_missing(aeh_run *run, void *handle, const char *label,
                           const aeh_artifact_ref *ref, bool pinned,
                           aero_error *err) {
  if (err == NULL || err->code != AERO_E_NOT_FOUND)
    return; /* the store failed: its own message says how */
  if (pinned) {
    aeh_error_prefix(err, "input '%s' (pinned by --artifact-override)", label);
    return;
  }
  if (ref->has_version) {
    aeh_error_prefix(err, "input '%s'", label);
    return;
  }
  /* In production, say so when only dev versions exist: "does not exist"
   * would be wrong, and the fix is different. */
  if (!run->session->dev) {
    aero_artifact_ref view = aeh_artifact_ref_view(ref);
    aero_artifact_version v = {.struct_size = sizeof v};
    const aero_backend_vtable *vt = NULL;
    void *own = NULL;
    if (aeh_run_backend(run, &vt, &own, NULL) == AERO_OK &&
        vt->resolve(handle, &view, true, &v, NULL) == AERO_OK) {
      aeh_error_set(err, AERO_E_NOT_FOUND,
                    "input '%s' has only dev versions (latest v%lld): "
                    "production runs never read dev artifacts (run its "
                    "producer in production first)",
                    label, (long long)v.version);
      return;
    }
  }
  aeh_error_set(err, AERO_E_NOT_FOUND,
                "input '%s' does not exist in the store (run its producer "
                "first, or check --only)",
                label);
}

/* The run record every run of `action` shares, with the session's facts. */
static aero_run_record make_record(const aeh_session *session,
                                   const aeh_action *action) {
  return (aero_run_record){
      .struct_size = sizeof(aero_run_record),
      .entity = session_entity(session),
      .project = session->project,
      .job_type = action->job_type,
      .job_group = action->job_group,
      .outputs = (const char *const *)action->outputs,
      .output_count = action->output_count,
      .config = action->config,
      .config_count = action->config_count,
      .tags = session->tags,
      .tag_count = session->tag_count,
      .environment = session->environment,
      .environment_count = session->environment_count,
      .dev = session->dev,
      .started_ns = now_ns(),
  };
}

/* Adds an output of a parent as an input, once; a repeated one may become
 * required. */
static aero_status add_input(aeh_run *run, const char *label, bool required,
                             aero_error *err) {
  aeh_artifact_ref ref;
  aero_status status = aeh_artifact_ref_parse(label, &ref, err);
  if (status != AERO_OK) {
    aeh_error_prefix(err, "parent output of [%s]", run->action->job_type);
    return status;
  }
  aeh_run_default_ref(run, &ref);
  for (size_t i = 0; i < run->input_count; i++) {
    if (aeh_artifact_ref_same(&run->inputs[i].ref, &ref)) {
      run->inputs[i].required |= required;
      return AERO_OK;
    }
  }
  run->inputs[run->input_count++] = (aeh_fixed_input){
      .label = label,
      .ref = ref,
      .version = {.struct_size = sizeof(aero_artifact_version)},
      .required = required};
  return AERO_OK;
}

/* Lists the inputs: every output of every parent action, the ones the
 * action names as parents being required. */
static aero_status list_inputs(aeh_run *run, const aero_graph *graph,
                               aero_error *err) {
  const aeh_action *action = run->action;
  size_t cap = action->parent_count;
  for (size_t k = 0; action->parents != NULL && k < action->parent_count; k++) {
    const aeh_action *parent = aeh_graph_action(graph, action->parents[k]);
    if (parent != NULL)
      cap += parent->output_count;
  }
  if (cap == 0)
    return AERO_OK;
  run->inputs = calloc(cap, sizeof *run->inputs);
  if (run->inputs == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  for (size_t k = 0; k < action->parent_count; k++) {
    aero_status status = add_input(run, action->parent_names[k], true, err);
    if (status != AERO_OK)
      return status;
  }
  for (size_t k = 0; action->parents != NULL && k < action->parent_count; k++) {
    const aeh_action *parent = aeh_graph_action(graph, action->parents[k]);
    for (size_t j = 0; parent != NULL && j < parent->output_count; j++) {
      aero_status status = add_input(run, parent->outputs[j], false, err);
      if (status != AERO_OK)
        return status;
    }
  }
  return AERO_OK;
}

/* Resolves every input now, so that the action reads exactly these
 * versions whatever else runs meanwhile. Before the run is recorded: the
 * caller records the inputs found (aeh_run_begin). */
static aero_status fix_inputs(aeh_run *run, void *handle, aero_error *err) {
  const aero_backend_vtable *vt = aeh_store_backend(run->store);
  /* The host records the run: always its own backend, never a relay. */
  for (size_t i = 0; i < run->input_count; i++) {
    aeh_fixed_input *in = &run->inputs[i];
    aeh_artifact_ref want = in->ref;
    bool pinned = aeh_run_override(run, &want, &want.version);
    if (pinned)
      want.has_version = true;
    else if (!want.has_version && run->session->made != NULL &&
             run->session->made(run->session->made_ctx, run->action, &want,
                                &want.version))
      want.has_version = true; /* what its parent's run here holds */
    aero_artifact_ref view = aeh_artifact_ref_view(&want);
    aero_status status =
        vt->resolve(handle, &view, run->session->dev, &in->version, err);
    if (status == AERO_E_NOT_FOUND && !in->required && !pinned) {
      aeh_error_clear(err); /* resolved again if the action asks for it */
      continue;
    }
    if (status != AERO_OK) {
      aeh_run_input_missing(run, handle, in->label, &want, pinned, err);
      return status;
    }
    in->found = true;
  }
  return AERO_OK;
}

/* STORE/tmp/run-ID when the store is a local folder, else under $TMPDIR,
 * named by the host's process id `host_pid` (run ids of different stores
 * meet there): written to `buf` like snprintf. A process the host forked
 * (the fork server's action) gets the host's pid from the run's state, so
 * that both name the folder the host removes. */
static int workdir_into(char *buf, size_t size, const aeh_store *store,
                        int64_t id, int64_t host_pid) {
  const char *location = aeh_store_location(store);
  struct stat st;
  if (location != NULL && stat(location, &st) == 0 && S_ISDIR(st.st_mode))
    return snprintf(buf, size, "%s/tmp/run-%lld", location, (long long)id);
  const char *tmp = getenv("TMPDIR");
  return snprintf(buf, size, "%s/aeromancy-run-%ld-%lld",
                  tmp != NULL && tmp[0] == '/' ? tmp : "/tmp", (long)host_pid,
                  (long long)id);
}

/* "[job_type output]", for log lines, written to `buf` like snprintf. */
static int label_into(char *buf, size_t size, const aeh_action *action) {
  return snprintf(buf, size, "[%s %s]", action->job_type,
                  action->output_count > 0 ? action->outputs[0] : "");
}

static char *workdir_path(const aeh_store *store, int64_t id,
                          int64_t host_pid) {
  /* Once, not measured then written: each call stats the store. */
  char path[PATH_MAX];
  int n = workdir_into(path, sizeof path, store, id, host_pid);
  return n >= 0 && (size_t)n < sizeof path ? strdup(path) : NULL;
}

static char *make_label(const aeh_action *action) {
  int n = label_into(NULL, 0, action);
  char *label = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (label != NULL)
    label_into(label, (size_t)n + 1, action);
  return label;
}

aero_status aeh_run_backend(aeh_run *run, const aero_backend_vtable **vt,
                            void **handle, aero_error *err) {
  if (run->vt != NULL) {
    *vt = run->vt;
    *handle = run->handle;
    return AERO_OK;
  }
  /* Not cached: a process forked from this one (--no-isolation's
   * children, the fork server's) must open its own handle, which
   * aeh_store_handle does. */
  aero_status status = aeh_store_handle(run->store, handle, err);
  if (status == AERO_OK)
    *vt = aeh_store_backend(run->store);
  return status;
}

void aeh_run_relay_to(aeh_run *run, int fd) {
  aeh_store_tie_to_owner(run->store);
  run->handle = aeh_relay_client(fd, run->store);
  run->vt = aeh_relay_backend();
}

/* A run of `action`, not yet begun, with its label when `labelled`; NULL
 * when out of memory. */
static aeh_run *new_run(aeh_store *store, const aeh_session *session,
                        const aeh_action *action, bool labelled) {
  aeh_run *run = calloc(1, sizeof *run);
  if (run == NULL)
    return NULL;
  run->tracker.run = run;
  run->store = store;
  run->session = session;
  run->action = action;
  if (labelled && (run->label = make_label(action)) == NULL) {
    free(run);
    return NULL;
  }
  return run;
}

/* The ids of the inputs of `run` resolved so far (malloc'd; NULL when
 * none or out of memory, which *count 0 says apart). */
/* Keeps the reuse key recorded for `run` (aeh_run_read_outside_key). */
static void keep_key(aeh_run *run, const char *key, const char *job,
                     const char *parts) {
  snprintf(run->key, sizeof run->key, "%s", key);
  snprintf(run->job, sizeof run->job, "%s", job);
  snprintf(run->parts, sizeof run->parts, "%s", parts);
}

static int64_t *found_inputs(const aeh_run *run, size_t *count) {
  *count = 0;
  int64_t *ids =
      run->input_count > 0 ? malloc(run->input_count * sizeof *ids) : NULL;
  for (size_t i = 0; ids != NULL && i < run->input_count; i++)
    if (run->inputs[i].found)
      ids[(*count)++] = run->inputs[i].version.id;
  return ids;
}

aero_status aeh_run_begin(aeh_store *store, const aeh_session *session,
                          const aero_graph *graph, const aeh_action *action,
                          aeh_run_key_fn key_of, void *key_ctx, aeh_run **out,
                          int64_t *failed_id, aero_error *err) {
  if (failed_id != NULL)
    *failed_id = 0;
  void *handle = NULL;
  aero_status status = aeh_store_handle(store, &handle, err);
  if (status != AERO_OK)
    return status;
  const aero_backend_vtable *vt = aeh_store_backend(store);
  aeh_run *run = new_run(store, session, action, true);
  if (run == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  aero_run_record record = make_record(session, action);
  /* Inputs first: the run is recorded with them (and its key) at once. */
  aero_status resolved = list_inputs(run, graph, err);
  if (resolved == AERO_OK)
    resolved = fix_inputs(run, handle, err);
  size_t found = 0;
  int64_t *ids = found_inputs(run, &found);
  if (found > 0 && ids == NULL && resolved == AERO_OK)
    resolved = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  bool whole = aeh_store_begins_whole(store);
  if (whole) {
    record.input_ids = ids;
    record.input_count = found;
  }
  if (whole && resolved == AERO_OK && key_of != NULL) {
    run->keyed = key_of(key_ctx, run, &record.reuse_key, &record.reuse_job,
                        &record.reuse_parts);
    if (run->keyed)
      keep_key(run, record.reuse_key, record.reuse_job, record.reuse_parts);
  }
  aero_error begin_err = AEH_ERROR_INIT;
  status = vt->run_begin(handle, &record, &run->id, &begin_err);
  if (status != AERO_OK) {
    free(ids);
    aeh_error_set(err, status, "%s", begin_err.message);
    run->ended = true;
    goto fail;
  }
  /* An ABI 1.4 backend: the inputs one call each, as before; those found
   * are recorded even when a later one is missing (as run_begin does for
   * 1.5), keeping the first error. */
  for (size_t i = 0; !whole && i < found; i++) {
    aero_error input_err = AEH_ERROR_INIT;
    aero_status st = vt->record_input(handle, run->id, ids[i], &input_err);
    if (st != AERO_OK && resolved == AERO_OK)
      resolved = aeh_error_set(err, st, "%s", input_err.message);
  }
  free(ids);
  run->host_pid = (int64_t)getpid();
  run->workdir = workdir_path(store, run->id, run->host_pid);
  if (run->workdir == NULL && resolved == AERO_OK)
    resolved = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  if (resolved == AERO_OK)
    take_kept_workdir(run);
  if (resolved != AERO_OK) {
    /* The run exists: record why it never started, keeping the first
     * error for the caller. */
    aero_run_outcome outcome = {.struct_size = sizeof outcome,
                                .state = AERO_RUN_FAILED,
                                .exit_code = -1,
                                .message = err != NULL ? err->message : NULL,
                                .ended_ns = now_ns()};
    aero_error ignored = AEH_ERROR_INIT;
    vt->run_end(handle, run->id, &outcome, &ignored);
    run->ended = true;
    if (failed_id != NULL)
      *failed_id = run->id;
    status = resolved;
    goto fail;
  }
  *out = run;
  return AERO_OK;
fail:
  aeh_run_free(run);
  return status;
}

int64_t aeh_run_id(const aeh_run *run) {
  return run->id;
}

size_t aeh_run_unrecorded(const aeh_run *run, const char **why) {
  *why = run->unrecorded_why != NULL ? run->unrecorded_why : "";
  return run->unrecorded;
}

bool aeh_run_output_refused(const aeh_run *run) {
  return run->output_refused;
}

aero_tracker *aeh_run_tracker(aeh_run *run) {
  return run != NULL ? &run->tracker : NULL;
}

aero_status aeh_run_end(aeh_run *run, const aero_run_outcome *outcome,
                        aero_error *err) {
  if (run->ended)
    return aeh_error_set(err, AERO_E_STATE, "run %lld has already ended",
                         (long long)run->id);
  void *handle = NULL;
  const aero_backend_vtable *vt = NULL;
  aero_status status = aeh_run_backend(run, &vt, &handle, err);
  if (status != AERO_OK)
    return status;
  /* Under the call lock: a thread the action left running (in this
   * process, --no-isolation) makes its call before, on the store's handle
   * that this uses, or fails after. */
  aeh_tracker_calls_lock();
  status = vt->run_end(handle, run->id, outcome, err);
  if (status == AERO_OK)
    run->ended = true;
  aeh_tracker_calls_unlock();
  return status;
}

/* The scratch folder of the last run that ended, emptied and kept for the
 * next run to take by renaming it, or "": removing a folder frees its
 * block, which on a filesystem mounted with `discard` waits for the
 * device (0.2-1.5 ms on this project's VMs, per action), and making one
 * takes a new block. One at most, in the host only (runs begin and end
 * there). A host that dies leaves it behind as a finished run's scratch
 * folder: `aeromancy gc` removes it from a local store's tmp/; under
 * $TMPDIR (a team store) it stays, as any scratch folder of a host that
 * died does. */
static char kept_workdir[PATH_MAX];
static bool removal_failed; /* something in the folder stayed */

static int remove_entry(const char *path, const struct stat *st, int type,
                        struct FTW *ftw) {
  if (type == FTW_DP && ftw->level == 0 && !removal_failed &&
      kept_workdir[0] == '\0' && (st->st_mode & 07777) == 0700 &&
      st->st_uid == geteuid() && strlen(path) < sizeof kept_workdir) {
    memcpy(kept_workdir, path, strlen(path) + 1);
    return 0;
  }
  if ((type == FTW_DP ? rmdir(path) : unlink(path)) != 0)
    removal_failed = true;
  return 0;
}

/* Gives the kept scratch folder to `run`, whose own does not exist yet. */
static void take_kept_workdir(aeh_run *run) {
  if (kept_workdir[0] == '\0')
    return;
  if (rename(kept_workdir, run->workdir) != 0)
    rmdir(kept_workdir);
  kept_workdir[0] = '\0';
}

void aeh_run_drop_kept_workdir(void) {
  if (kept_workdir[0] != '\0')
    rmdir(kept_workdir);
  kept_workdir[0] = '\0';
}

/* The hand-over bytes: the run's id and its fixed inputs, which are plain
 * data but for `label`, a string of the graph. */
typedef struct run_state {
  int64_t id;
  int64_t host_pid; /* the process that began the run: names its folder */
  uint64_t input_count;
  char key[65], job[65], parts[256]; /* its reuse key, if any (aeh_run) */
} run_state;

size_t aeh_run_state_size(const aeh_run *run) {
  return sizeof(run_state) + run->input_count * sizeof *run->inputs;
}

void aeh_run_state_write(const aeh_run *run, void *buf) {
  run_state head = {.id = run->id,
                    .host_pid = run->host_pid,
                    .input_count = run->input_count};
  memcpy(head.key, run->key, sizeof head.key);
  memcpy(head.job, run->job, sizeof head.job);
  memcpy(head.parts, run->parts, sizeof head.parts);
  memcpy(buf, &head, sizeof head);
  if (run->input_count > 0)
    memcpy((char *)buf + sizeof head, run->inputs,
           run->input_count * sizeof *run->inputs);
}

/* The run, its inputs, label and scratch folder path in `storage` (when
 * they fit), so that adopting one allocates nothing. */
static aeh_run *adopt_in(void *storage, size_t storage_size,
                         const aeh_store *store, const aeh_action *action,
                         int64_t id, int64_t host_pid, size_t input_count) {
  size_t head = (sizeof(aeh_run) + 15) & ~(size_t)15;
  size_t inputs = input_count * sizeof(aeh_fixed_input);
  if (storage == NULL || storage_size < head + inputs + 64)
    return NULL;
  char *at = storage;
  aeh_run *run = (aeh_run *)(void *)at;
  memset(run, 0, sizeof *run);
  run->inputs = input_count > 0 ? (aeh_fixed_input *)(void *)(at + head) : NULL;
  /* Packed, so that the few bytes written span as few pages as can be. */
  char *label = at + head + inputs;
  size_t room = storage_size - head - inputs;
  int label_len = label_into(label, room, action);
  if (label_len < 0 || (size_t)label_len + 1 >= room)
    return NULL;
  char *workdir = label + label_len + 1;
  room -= (size_t)label_len + 1;
  int workdir_len = workdir_into(workdir, room, store, id, host_pid);
  if (workdir_len < 0 || (size_t)workdir_len >= room)
    return NULL;
  run->label = label;
  run->workdir = workdir;
  run->in_storage = true;
  return run;
}

aero_status aeh_run_adopt(aeh_store *store, const aeh_session *session,
                          const aeh_action *action, const void *state,
                          size_t size, void *storage, size_t storage_size,
                          aeh_run **out, aero_error *err) {
  run_state head;
  if (size < sizeof head)
    return aeh_error_set(err, AERO_E_INVALID, "run state: truncated");
  memcpy(&head, state, sizeof head);
  if (head.input_count > (size - sizeof head) / sizeof(aeh_fixed_input) ||
      size != sizeof head + head.input_count * sizeof(aeh_fixed_input))
    return aeh_error_set(err, AERO_E_INVALID, "run state: bad size");
  aeh_run *run = adopt_in(storage, storage_size, store, action, head.id,
                          head.host_pid, (size_t)head.input_count);
  if (run == NULL) {
    run = calloc(1, sizeof *run);
    if (run == NULL)
      return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
    run->label = make_label(action);
    run->workdir = workdir_path(store, head.id, head.host_pid);
    if (head.input_count > 0)
      run->inputs = malloc(head.input_count * sizeof *run->inputs);
  }
  run->tracker.run = run;
  run->store = store;
  run->session = session;
  run->action = action;
  run->id = head.id;
  run->host_pid = head.host_pid;
  head.key[sizeof head.key - 1] = head.job[sizeof head.job - 1] = '\0';
  head.parts[sizeof head.parts - 1] = '\0';
  keep_key(run, head.key, head.job, head.parts);
  if (head.input_count > 0 && run->inputs != NULL)
    memcpy(run->inputs, (const char *)state + sizeof head,
           head.input_count * sizeof *run->inputs);
  run->input_count = head.input_count;
  if (run->label == NULL || run->workdir == NULL ||
      (head.input_count > 0 && run->inputs == NULL)) {
    aeh_run_release(run);
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  }
  *out = run;
  return AERO_OK;
}

void aeh_run_free(aeh_run *run) {
  if (run == NULL)
    return;
  /* An action may leave read-only files or folders behind: nftw removes
   * depth-first, and as the owner unlink needs only the folder's write
   * bit, which the action's own folders keep unless it removed it. */
  removal_failed = false;
  if (run->workdir != NULL)
    nftw(run->workdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  aeh_run_release(run);
}

void aeh_run_release(aeh_run *run) {
  if (run == NULL)
    return;
  for (size_t i = 0; i < run->owned_count; i++)
    free(run->owned[i]);
  free(run->owned);
  free(run->declared);
  free(run->bail_reason);
  free(run->unrecorded_why);
  if (run->in_storage)
    return;
  free(run->inputs);
  free(run->workdir);
  free(run->label);
  free(run);
}

aero_status aeh_run_record_skipped(aeh_store *store, const aeh_session *session,
                                   const aeh_action *action, const char *why,
                                   int64_t *id_out, aero_error *err) {
  if (id_out != NULL)
    *id_out = 0;
  void *handle = NULL;
  aero_status status = aeh_store_handle(store, &handle, err);
  if (status != AERO_OK)
    return status;
  const aero_backend_vtable *vt = aeh_store_backend(store);
  aero_run_record record = make_record(session, action);
  int64_t id = 0;
  status = vt->run_begin(handle, &record, &id, err);
  if (status != AERO_OK)
    return status;
  if (id_out != NULL)
    *id_out = id;
  aero_run_outcome outcome = {.struct_size = sizeof outcome,
                              .state = AERO_RUN_SKIPPED,
                              .exit_code = -1,
                              .message = why,
                              .ended_ns = record.started_ns};
  return vt->run_end(handle, id, &outcome, err);
}

/* ------------------------------------------------------------- reuse */

bool aeh_store_reuses(const aeh_store *store) {
  const aero_backend_vtable *vt = aeh_store_backend(store);
  return vt != NULL && vt->reuse_key != NULL && vt->reuse_find != NULL &&
         vt->reuse_record != NULL;
}

aero_status aeh_run_preview(aeh_store *store, const aeh_session *session,
                            const aero_graph *graph, const aeh_action *action,
                            aeh_run **out, aero_error *err) {
  void *handle = NULL;
  aero_status status = aeh_store_handle(store, &handle, err);
  if (status != AERO_OK)
    return status;
  /* No label: it is for log lines, and no tracker call may use a preview
   * (every reused action makes one). */
  aeh_run *run = new_run(store, session, action, false);
  if (run == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  run->ended = true; /* never begun: no tracker call may use it */
  status = list_inputs(run, graph, err);
  if (status == AERO_OK)
    status = fix_inputs(run, handle, err);
  if (status != AERO_OK) {
    aeh_run_release(run);
    return status;
  }
  *out = run;
  return AERO_OK;
}

size_t aeh_run_input_count(const aeh_run *run) {
  return run->input_count;
}

bool aeh_run_input(const aeh_run *run, size_t i, const char **label,
                   const aero_artifact_version **version) {
  if (i >= run->input_count || !run->inputs[i].found)
    return false;
  *label = run->inputs[i].label;
  *version = &run->inputs[i].version;
  return true;
}

bool aeh_run_keyed(const aeh_run *run) {
  return run->keyed;
}

aero_status aeh_run_read_outside_key(aeh_run *run, aero_error *err) {
  if (run->key[0] == '\0' || run->read_outside)
    return AERO_OK;
  const aero_backend_vtable *vt = NULL;
  void *handle = NULL;
  aero_status status = aeh_run_backend(run, &vt, &handle, err);
  if (status != AERO_OK)
    return status;
  if (vt->reuse_key == NULL)
    return aeh_error_set(err, AERO_E_STATE,
                         "backend %s cannot replace a run's reuse key", vt->name);
  /* A key no lookup computes (every computed key hashes the six parts),
   * the same for the same original key. */
  /* The parts, at most 255 bytes, are the host's own (~141). */
  char seed[sizeof run->key + 16], key[65],
      parts[sizeof run->parts + sizeof AEH_PARTS_READ_OUTSIDE];
  unsigned char digest[32];
  int n = snprintf(seed, sizeof seed, "read-outside %s", run->key);
  if (aeu_sha256_buf(seed, (size_t)n, digest) != 0)
    return aeh_error_set(err, AERO_E_STATE, "no SHA-256 for a reuse key");
  aeu_sha256_hex(digest, key);
  snprintf(parts, sizeof parts, "%s" AEH_PARTS_READ_OUTSIDE, run->parts);
  status = vt->reuse_key(handle, run->id, key, run->job, parts, err);
  if (status == AERO_OK)
    run->read_outside = true;
  return status;
}

aero_status aeh_run_note_key(aeh_run *run, const char *key, const char *job,
                             const char *parts, aero_error *err) {
  if (!aeh_store_reuses(run->store) || run->keyed)
    return AERO_OK;
  void *handle = NULL;
  aero_status status = aeh_store_handle(run->store, &handle, err);
  if (status == AERO_OK)
    status = aeh_store_backend(run->store)
                 ->reuse_key(handle, run->id, key, job, parts, err);
  if (status == AERO_OK)
    keep_key(run, key, job, parts);
  return status;
}

/* What the backend is asked about `action` with `key` and `job` (all
 * borrowed). */
static aero_reuse_query reuse_query(const aeh_session *session,
                                    const aeh_action *action, const char *key,
                                    const char *job) {
  return (aero_reuse_query){.struct_size = sizeof(aero_reuse_query),
                            .entity = session_entity(session),
                            .project = session->project,
                            .job_type = action->job_type,
                            .key = key,
                            .dev = session->dev,
                            .job = job};
}

aero_status aeh_reuse_find(aeh_store *store, const aeh_session *session,
                           const aeh_action *action, const char *key,
                           const char *job, aero_reuse_match *match,
                           aero_error *err) {
  match->struct_size = sizeof *match;
  match->run_id = 0;
  match->parts[0] = '\0';
  if (!aeh_store_reuses(store))
    return AERO_OK;
  void *handle = NULL;
  aero_status status = aeh_store_handle(store, &handle, err);
  if (status != AERO_OK)
    return status;
  aero_reuse_query query = reuse_query(session, action, key, job);
  return aeh_store_backend(store)->reuse_find(handle, &query, match, err);
}

bool aeh_store_reuses_batch(const aeh_store *store) {
  return aeh_store_reuses(store) &&
         aeh_store_backend(store)->reuse_find_batch != NULL;
}

aero_status aeh_reuse_find_batch(aeh_store *store, const aeh_session *session,
                                 const aeh_reuse_ask *asks, size_t count,
                                 aero_reuse_match *matches, aero_error *err) {
  for (size_t i = 0; i < count; i++) {
    matches[i].struct_size = sizeof *matches;
    matches[i].run_id = 0;
    matches[i].parts[0] = '\0';
  }
  if (count == 0 || !aeh_store_reuses(store))
    return AERO_OK;
  if (!aeh_store_reuses_batch(store)) {
    /* A backend of ABI 1.3-1.5: one lookup each, the first failure the
     * whole call's (a failure says nothing about any of them). */
    aero_status status = AERO_OK;
    for (size_t i = 0; i < count && status == AERO_OK; i++)
      status = aeh_reuse_find(store, session, asks[i].action, asks[i].key,
                              asks[i].job, &matches[i], err);
    return status;
  }
  void *handle = NULL;
  aero_status status = aeh_store_handle(store, &handle, err);
  if (status != AERO_OK)
    return status;
  aero_reuse_query *queries = malloc(count * sizeof *queries);
  if (queries == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  for (size_t i = 0; i < count; i++)
    queries[i] = reuse_query(session, asks[i].action, asks[i].key, asks[i].job);
  status = aeh_store_backend(store)->reuse_find_batch(handle, queries, count,
                                                      matches, err);
  free(queries);
  return status;
}

aero_status aeh_reused_prepare(const aeh_run *preview, int64_t reused_run_id,
                               aeh_reused *out, aero_error *err) {
  *out = (aeh_reused){.record = make_record(preview->session, preview->action),
                      .reused_run_id = reused_run_id};
  for (size_t i = 0; i < preview->input_count; i++) {
    if (!preview->inputs[i].found)
      continue;
    if (out->input_ids == NULL) {
      out->input_ids = malloc(preview->input_count * sizeof *out->input_ids);
      if (out->input_ids == NULL)
        return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
    }
    out->input_ids[out->input_count++] = preview->inputs[i].version.id;
  }
  return AERO_OK;
}

aero_status aeh_reused_record(aeh_store *store, aeh_reused *runs, size_t count,
                              aero_error *err) {
  void *handle = NULL;
  aero_status status = aeh_store_handle(store, &handle, err);
  if (status != AERO_OK || count == 0)
    return status;
  const aero_backend_vtable *vt = aeh_store_backend(store);
  if (vt->reuse_record_batch == NULL) {
    /* An ABI 1.3 backend: one transaction each. */
    for (size_t i = 0; i < count && status == AERO_OK; i++)
      status = vt->reuse_record(handle, &runs[i].record, runs[i].reused_run_id,
                                runs[i].input_ids, runs[i].input_count,
                                &runs[i].run_id, err);
    return status;
  }
  aero_reuse_item *items = malloc(count * sizeof *items);
  if (items == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  for (size_t i = 0; i < count; i++)
    items[i] = (aero_reuse_item){.struct_size = sizeof *items,
                                 .record = &runs[i].record,
                                 .reused_run_id = runs[i].reused_run_id,
                                 .input_ids = runs[i].input_ids,
                                 .input_count = runs[i].input_count};
  status = vt->reuse_record_batch(handle, items, count, err);
  for (size_t i = 0; i < count && status == AERO_OK; i++)
    runs[i].run_id = items[i].run_id;
  free(items);
  return status;
}

void aeh_reused_release(aeh_reused *reused) {
  free(reused->input_ids);
  reused->input_ids = NULL;
  reused->input_count = 0;
}
