/* The relay, action's side: a backend vtable whose members send each call
 * to the host and wait for its answer (see relay.h). */
#include "relay.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aeu.h"
#include "error.h"
#include "fdio.h"
#include "relay_wire.h"
#include "store.h"
#include "tracker_lock.h"

/* Metric points logged in a burst are sent together: one send per point
 * wakes the host per point, which capped an action at a few hundred
 * thousand points/s. The first HELD_AFTER points of a burst (points less
 * than BURST_NS apart) go out one by one, so that an action logging now
 * and then, or a few dozen at once, starts no thread and delays nothing;
 * later ones are held, up to HELD_MAX bytes, and sent by the action's
 * next other tracker call, its end, or the flusher thread at most
 * HELD_NS after the first one held. A crash of the action's process
 * loses what is held: at most the last HELD_NS of a burst. */
#define BURST_NS 1000000 /* 1 ms */
#define HELD_AFTER 64
#define HELD_MAX (64 * 1024)
#define HELD_NS 10000000 /* 10 ms */

typedef struct relay_client {
  int fd;
  aeh_store *store; /* the action's, for outputs stored from here */
  aeh_wire out;     /* reused for every request */
  /* Metric frames not sent yet, and what decides when they are. Every
   * member is used under the tracker's call lock (tracker.h): each relay
   * call runs whole under it (request built in `out`, sent, reply read,
   * so that the action's threads may call at once), and the flusher and
   * the final report take it to write to `fd`. */
  char *held;
  size_t held_len, held_cap;
  int64_t held_since; /* CLOCK_MONOTONIC ns of the first frame held */
  int64_t last_metric;
  unsigned burst; /* points in the current burst */
  bool flusher;   /* the flusher thread is running */
  bool ended;     /* the action's return was reported: the run is over */
} relay_client;

static relay_client the_client = {.fd = -1};

void *aeh_relay_client(int fd, aeh_store *store) {
  the_client.fd = fd;
  the_client.store = store;
  return &the_client;
}

/* Above this many bytes an output is hashed and stored from the action's
 * own process: opening the store there (loading the backend, a SQLite
 * connection) costs a few milliseconds, what hashing ~8 MiB does here, and
 * then the work runs in parallel with other actions instead of holding
 * up the host's loop. */
#define LOCAL_OUTPUT_BYTES ((uint64_t)16 << 20)

/* Whether the output is large: a folder counts as large (it is walked
 * where it is stored), a path that cannot be read as small (the host
 * then reports it like any other). */
static bool large_output(const aero_output_desc *desc) {
  uint64_t total = 0;
  for (size_t i = 0; i < desc->file_count; i++) {
    struct stat st;
    if (desc->files[i] == NULL || stat(desc->files[i], &st) != 0)
      continue;
    if (S_ISDIR(st.st_mode))
      return true;
    total += (uint64_t)st.st_size;
  }
  return total >= LOCAL_OUTPUT_BYTES;
}

static aero_status lost(aero_error *err, const char *what) {
  return aeh_error_set(err, AERO_E_STORE,
                       "%s: lost the connection to aerohost, which records "
                       "the run (%s)",
                       what, errno != 0 ? strerror(errno) : "end of stream");
}

/* A call made after the action's return was reported, from a thread the
 * action left running: the run it would add to is over (the host records
 * it as reported), so the call fails rather than be held and lost when
 * the process leaves. */
static aero_status after_end(aero_error *err, const char *what) {
  return aeh_error_set(err, AERO_E_STATE,
                       "%s: the action already returned (a thread it left "
                       "running?): not recorded",
                       what);
}

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Sends the held metric frames; the caller holds the call lock. */
static int send_held(relay_client *c) {
  if (c->held_len == 0)
    return 0;
  int rc = aeh_send_all(c->fd, c->held, c->held_len);
  c->held_len = 0;
  return rc;
}

/* Sends the held frames, then `data`: everything logged before a request
 * reaches the host before it. 1 when the run is over (nothing sent). */
static int send_after_held(relay_client *c, const void *data, size_t size) {
  if (c->ended)
    return 1;
  int rc = send_held(c);
  if (rc == 0)
    rc = aeh_send_all(c->fd, data, size);
  return rc;
}

/* The flusher: sends what has been held for HELD_NS, while the action
 * computes between bursts. */
static void *flusher_main(void *arg) {
  relay_client *c = arg;
  const struct timespec tick = {0, HELD_NS / 2};
  for (;;) {
    nanosleep(&tick, NULL);
    aeh_tracker_calls_lock();
    if (c->held_len > 0 && mono_ns() - c->held_since >= HELD_NS)
      (void)send_held(c);
    aeh_tracker_calls_unlock();
  }
  return NULL;
}

/* fork() copies only the calling thread. The call lock's own handlers
 * (aeh_tracker_calls_fork_safe) make a fork wait until no call runs and
 * the flusher holds nothing; the child (plugin code that forks a helper and
 * logs from it before exec) then starts with no flusher and nothing held: what
 * was held is the parent's to send. */
static void fork_child(void) {
  the_client.held_len = 0;
  the_client.burst = 0;
  the_client.flusher = false;
}

/* Starts the flusher with every signal blocked: signals meant for the
 * action reach its own thread. False when it cannot start (points are
 * then sent one by one). The fork handler goes with the first flusher:
 * until then nothing is held, and registering it earlier would cost every
 * action's process a few page faults. Called under the call lock. */
static bool start_flusher(relay_client *c) {
  static bool fork_safe;
  if (!fork_safe)
    fork_safe = aeh_tracker_calls_fork_safe() &&
                pthread_atfork(NULL, NULL, fork_child) == 0;
  if (!fork_safe)
    return false;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_attr_t attr;
  pthread_t thread;
  bool ok = pthread_attr_init(&attr) == 0;
  ok = ok && pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0;
  ok = ok && pthread_attr_setstacksize(&attr, 64 * 1024) == 0;
  ok = ok && pthread_create(&thread, &attr, flusher_main, c) == 0;
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  c->flusher = ok;
  return ok;
}

/* Holds the finished metric frame in c->out, or sends it now; -1 when the
 * connection is lost, 1 when the run is over (nothing held or sent). */
static int hold_or_send(relay_client *c) {
  int64_t now = mono_ns();
  c->burst = now - c->last_metric < BURST_NS ? c->burst + 1 : 0;
  c->last_metric = now;
  if (c->ended)
    return 1;
  bool hold = c->burst >= HELD_AFTER && (c->flusher || start_flusher(c));
  if (hold && c->held_len + c->out.len > c->held_cap) {
    char *grown =
        aeu_grow(c->held, &c->held_cap, c->held_len + c->out.len, 1, 4096);
    if (grown != NULL)
      c->held = grown;
    hold = grown != NULL;
  }
  int rc = 0;
  if (hold) {
    if (c->held_len == 0)
      c->held_since = now;
    memcpy(c->held + c->held_len, c->out.data, c->out.len);
    c->held_len += c->out.len;
    if (c->held_len >= HELD_MAX)
      rc = send_held(c);
  } else {
    rc = send_held(c);
    if (rc == 0)
      rc = aeh_send_all(c->fd, c->out.data, c->out.len);
  }
  return rc == 0 ? 0 : -1;
}

void aeh_relay_flush(void) {
  relay_client *c = &the_client;
  if (c->fd < 0)
    return;
  aeh_tracker_calls_lock();
  (void)send_held(c);
  aeh_tracker_calls_unlock();
}

/* Starts a request of kind `op`. */
static aeh_wire *request(relay_client *c, aeh_relay_op op) {
  aeh_wire_start(&c->out);
  aeh_wire_u32(&c->out, op);
  return &c->out;
}

/* Sends the request and reads the reply into *body (malloc'd, the caller
 * frees it) positioned after the status and message. A failed call fills
 * `err` with the host's message. */
static aero_status call(relay_client *c, const char *what, char **body,
                        aeh_wire_reader *r, aero_error *err) {
  *body = NULL;
  if (!aeh_wire_finish(&c->out))
    return aeh_error_set(err, AERO_E_NOMEM,
                         "%s: the request is too large or memory ran out",
                         what);
  errno = 0;
  uint32_t size = 0;
  int sent = send_after_held(c, c->out.data, c->out.len);
  if (sent > 0)
    return after_end(err, what);
  if (sent != 0 || aeh_read_all(c->fd, &size, sizeof size) != 1)
    return lost(err, what);
  if (size > AEH_RELAY_FRAME_MAX)
    return aeh_error_set(err, AERO_E_STORE, "%s: malformed reply", what);
  char *data = malloc(size > 0 ? size : 1);
  if (data == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  if (aeh_read_all(c->fd, data, size) != 1) {
    free(data);
    return lost(err, what);
  }
  *r = (aeh_wire_reader){.p = data, .left = size};
  aero_status status = (aero_status)aeh_wire_get_i64(r);
  const char *message = aeh_wire_get_str(r);
  if (r->bad) {
    free(data);
    return aeh_error_set(err, AERO_E_STORE, "%s: malformed reply", what);
  }
  if (status != AERO_OK) {
    aeh_error_set_message(err, status, message);
    free(data);
    return status;
  }
  *body = data;
  return AERO_OK;
}

/* A call whose reply holds its status only. */
static aero_status call_for_status(relay_client *c, const char *what,
                                   aero_error *err) {
  char *body;
  aeh_wire_reader r;
  aero_status status = call(c, what, &body, &r, err);
  free(body);
  return status;
}

/* Sends a request that gets no reply. */
static aero_status post(relay_client *c, const char *what, aero_error *err) {
  if (!aeh_wire_finish(&c->out))
    return aeh_error_set(err, AERO_E_NOMEM,
                         "%s: the request is too large or memory ran out",
                         what);
  errno = 0;
  int sent = send_after_held(c, c->out.data, c->out.len);
  if (sent > 0)
    return after_end(err, what);
  return sent == 0 ? AERO_OK : lost(err, what);
}

static void put_ref(aeh_wire *w, const aero_artifact_ref *ref) {
  aeh_wire_str(w, ref->entity);
  aeh_wire_str(w, ref->project);
  aeh_wire_str(w, ref->name);
  aeh_wire_i64(w, ref->version);
}

static aero_status relay_resolve(void *handle, const aero_artifact_ref *ref,
                                 bool dev, aero_artifact_version *out,
                                 aero_error *err) {
  relay_client *c = handle;
  aeh_wire *w = request(c, AEH_RELAY_RESOLVE);
  put_ref(w, ref);
  aeh_wire_u32(w, dev);
  char *body;
  aeh_wire_reader r;
  aero_status status = call(c, "resolving an artifact", &body, &r, err);
  if (status != AERO_OK)
    return status;
  out->id = aeh_wire_get_i64(&r);
  out->version = aeh_wire_get_i64(&r);
  out->dev = aeh_wire_get_u32(&r) != 0;
  const char *digest = aeh_wire_get_str(&r);
  const char *type = aeh_wire_get_str(&r);
  snprintf(out->digest, sizeof out->digest, "%s", digest ? digest : "");
  snprintf(out->type, sizeof out->type, "%s", type ? type : "");
  if (r.bad)
    status = aeh_error_set(err, AERO_E_STORE, "resolving: malformed reply");
  free(body);
  return status;
}

static aero_status relay_record_input(void *handle, int64_t run_id,
                                      int64_t version_id, aero_error *err) {
  relay_client *c = handle;
  aeh_wire *w = request(c, AEH_RELAY_RECORD_INPUT);
  aeh_wire_i64(w, run_id);
  aeh_wire_i64(w, version_id);
  return call_for_status(c, "recording an input", err);
}

static aero_status relay_reuse_key(void *handle, int64_t run_id,
                                   const char *key, const char *job,
                                   const char *parts, aero_error *err) {
  relay_client *c = handle;
  aeh_wire *w = request(c, AEH_RELAY_REUSE_KEY);
  aeh_wire_i64(w, run_id);
  aeh_wire_str(w, key);
  aeh_wire_str(w, job);
  aeh_wire_str(w, parts);
  return call_for_status(c, "recording a reuse key", err);
}

static aero_status relay_materialize(void *handle, int64_t version_id,
                                     aero_backend_file_fn each, void *ctx,
                                     char *directory, size_t directory_size,
                                     aero_error *err) {
  relay_client *c = handle;
  aeh_wire *w = request(c, AEH_RELAY_MATERIALIZE);
  aeh_wire_i64(w, version_id);
  char *body;
  aeh_wire_reader r;
  aero_status status = call(c, "materializing an input", &body, &r, err);
  if (status != AERO_OK)
    return status;
  const char *dir = aeh_wire_get_str(&r);
  snprintf(directory, directory_size, "%s", dir != NULL ? dir : "");
  uint32_t count = aeh_wire_get_u32(&r);
  for (uint32_t i = 0; i < count && !r.bad; i++) {
    const char *path = aeh_wire_get_str(&r);
    if (path != NULL)
      each(ctx, path);
  }
  if (r.bad)
    status = aeh_error_set(err, AERO_E_STORE, "materializing: malformed reply");
  free(body);
  return status;
}

static aero_status relay_put_output(void *handle, int64_t run_id,
                                    const aero_artifact_ref *ref,
                                    const aero_output_desc *desc,
                                    aero_error *err) {
  relay_client *c = handle;
  if (c->store != NULL && desc->files != NULL && large_output(desc)) {
    const aero_backend_vtable *vt = NULL;
    void *own = NULL;
    aero_status status = aeh_store_direct(c->store, &vt, &own, err);
    if (status == AERO_OK)
      status = vt->put_output(own, run_id, ref, desc, err);
    /* The host learns it here only: as when it stores an output itself,
     * the store's failure is its own (exit 2), not the action's. */
    if (aeh_store_refused(status)) {
      aeh_wire *w = request(c, AEH_RELAY_OUTPUT_REFUSED);
      aeh_wire_i64(w, run_id);
      aero_error ignored = AEH_ERROR_INIT;
      (void)post(c, "declaring an output", &ignored);
    }
    return status;
  }
  /* The host reads the files where this process would: relative paths
   * (and strip_prefix) mean the same there. */
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof cwd) == NULL)
    return aeh_error_set(err, AERO_E_IO,
                         "aero_declare_output('%s'): cannot tell the current "
                         "folder: %s",
                         desc->name, strerror(errno));
  aeh_wire *w = request(c, AEH_RELAY_PUT_OUTPUT);
  aeh_wire_i64(w, run_id);
  put_ref(w, ref);
  aeh_wire_str(w, cwd);
  aeh_wire_str(w, desc->name);
  aeh_wire_u32(w, (uint32_t)desc->file_count);
  for (size_t i = 0; i < desc->file_count; i++)
    aeh_wire_str(w, desc->files[i]);
  aeh_wire_str(w, desc->artifact_type);
  aeh_wire_str(w, desc->strip_prefix);
  size_t meta = desc->metadata != NULL ? desc->metadata_count : 0;
  aeh_wire_u32(w, (uint32_t)desc->metadata_count);
  aeh_wire_u32(w, desc->metadata != NULL);
  for (size_t i = 0; i < meta; i++) {
    aeh_wire_str(w, desc->metadata[i].key);
    aeh_wire_value(w, &desc->metadata[i].value);
  }
  return call_for_status(c, "declaring an output", err);
}

static aero_status relay_log_metrics(void *handle, int64_t run_id,
                                     const aero_metric *metrics, size_t count,
                                     int64_t step, aero_error *err) {
  relay_client *c = handle;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  aeh_wire *w = request(c, AEH_RELAY_LOG_METRICS);
  aeh_wire_i64(w, run_id);
  aeh_wire_i64(w, step);
  aeh_wire_i64(w, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec);
  aeh_wire_u32(w, (uint32_t)count);
  for (size_t i = 0; i < count; i++) {
    aeh_wire_str(w, metrics[i].key);
    aeh_wire_f64(w, metrics[i].value);
  }
  if (!aeh_wire_finish(&c->out))
    return aeh_error_set(err, AERO_E_NOMEM,
                         "logging metrics: the request is too large or "
                         "memory ran out");
  errno = 0;
  int sent = hold_or_send(c);
  if (sent > 0)
    return after_end(err, "logging metrics");
  return sent == 0 ? AERO_OK : lost(err, "logging metrics");
}

static aero_status relay_log_text(void *handle, int64_t run_id,
                                  aero_log_level level, const char *message,
                                  aero_error *err) {
  relay_client *c = handle;
  aeh_wire *w = request(c, AEH_RELAY_LOG_TEXT);
  aeh_wire_i64(w, run_id);
  aeh_wire_u32(w, (uint32_t)level);
  aeh_wire_str(w, message);
  return post(c, "logging text", err);
}

static void relay_close(void *handle) {
  relay_client *c = handle;
  aeh_relay_flush();
  aeh_wire_free(&c->out);
}

static const aero_backend_vtable relay_vtable = {
    .struct_size = sizeof(aero_backend_vtable),
    .name = "relay",
    .close = relay_close,
    .resolve = relay_resolve,
    .record_input = relay_record_input,
    .reuse_key = relay_reuse_key,
    .materialize = relay_materialize,
    .put_output = relay_put_output,
    .log_metrics = relay_log_metrics,
    .log_text = relay_log_text,
};

const aero_backend_vtable *aeh_relay_backend(void) {
  return &relay_vtable;
}

/* Sends the report after the last held points, and ends the run: under
 * the lock, so that a thread the action left running logs either before
 * the report (and its points reach the host first) or after it (and its
 * call fails), never into a buffer that nobody sends. */
static int send_report(relay_client *c, const aeh_wire *w) {
  aeh_tracker_calls_lock();
  int rc = send_held(c);
  if (rc == 0)
    rc = aeh_send_all(c->fd, w->data, w->len);
  c->ended = true;
  aeh_tracker_calls_unlock();
  return rc;
}

int aeh_relay_send_returned(int fd, aero_status code, const char *message) {
  /* On the stack: the action's process is about to leave, and a first
   * malloc here would cost it copy-on-write faults. */
  char buf[AERO_ERROR_MESSAGE_MAX + 64];
  aeh_wire w = {0};
  aeh_wire_start_in(&w, buf, sizeof buf);
  aeh_wire_u32(&w, AEH_RELAY_RETURNED);
  aeh_wire_i64(&w, code);
  aeh_wire_str(&w, message);
  int rc = -1;
  if (aeh_wire_finish(&w))
    rc = fd == the_client.fd ? send_report(&the_client, &w)
                             : aeh_send_all(fd, w.data, w.len);
  aeh_wire_free(&w);
  return rc;
}
