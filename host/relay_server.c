/* The relay, host's side: reads an action process's frames as they arrive
 * and makes each call on the host's own store handle (see relay.h). */
#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "aeu.h"
#include "console.h"
#include "error.h"
#include "fdio.h"
#include "relay_wire.h"
#include "store.h"

void aeh_relay_conn_open(aeh_relay_conn *c, int fd, int64_t run_id,
                         const char *label) {
  *c = (aeh_relay_conn){.fd = fd, .run_id = run_id};
  snprintf(c->label, sizeof c->label, "%s", label);
}

static void drop_rows(aeh_relay_conn *c) {
  for (size_t i = 0; i < c->row_count; i++)
    free((char *)c->rows[i].key);
  c->row_count = 0;
}

void aeh_relay_conn_close(aeh_relay_conn *c) {
  if (c->fd >= 0)
    close(c->fd);
  c->fd = -1;
  free(c->buf);
  c->buf = NULL;
  c->len = c->cap = 0;
  drop_rows(c);
  free(c->rows);
  c->rows = NULL;
  c->row_cap = 0;
}

/* Something the action logged could not be recorded: counted so that the
 * run ends as the store's failure, and said once per action. A store that
 * refuses one batch (a full disk) usually refuses every later one, and a
 * line per batch buried the cause under thousands of copies. */
static void unrecorded(aeh_relay_conn *c, size_t count, const char *what,
                       const aero_error *err) {
  if (c->unrecorded == 0) {
    snprintf(c->unrecorded_why, sizeof c->unrecorded_why, "%s", err->message);
    aeh_console_error("%s %zu %s not recorded: %s (what else it logs and "
                      "fails is not reported again)",
                      c->label, count, what, err->message);
  }
  c->unrecorded += count;
}

/* Records the metrics gathered so far, in one call when the backend takes
 * batches. */
static void flush_rows(aeh_relay_conn *c, aeh_store *store) {
  if (c->row_count == 0)
    return;
  aero_error err = AEH_ERROR_INIT;
  void *h = NULL;
  aero_status status = aeh_store_handle(store, &h, &err);
  const aero_backend_vtable *vt = aeh_store_backend(store);
  if (status == AERO_OK && vt->log_metric_rows != NULL) {
    status = vt->log_metric_rows(h, c->run_id, c->rows, c->row_count, &err);
  } else {
    for (size_t i = 0; status == AERO_OK && i < c->row_count; i++) {
      aero_metric m = {.key = c->rows[i].key, .value = c->rows[i].value};
      status = vt->log_metrics(h, c->run_id, &m, 1, c->rows[i].step, &err);
    }
  }
  if (status != AERO_OK)
    unrecorded(c, c->row_count, c->row_count == 1 ? "metric" : "metrics", &err);
  drop_rows(c);
}

/* Keeps one metric for the next flush. */
static bool add_row(aeh_relay_conn *c, const char *key, double value,
                    int64_t step, int64_t logged_ns) {
  aero_metric_row *grown =
      aeu_grow(c->rows, &c->row_cap, c->row_count + 1, sizeof *grown, 64);
  if (grown == NULL)
    return false;
  c->rows = grown;
  char *copy = strdup(key != NULL ? key : "");
  if (copy == NULL)
    return false;
  c->rows[c->row_count++] = (aero_metric_row){
      .key = copy, .value = value, .step = step, .logged_ns = logged_ns};
  return true;
}

/* The reply is written whole: the process waits for it, reading. A process
 * that died meanwhile just loses it. */
static void send_reply(aeh_relay_conn *c, aeh_wire *w) {
  if (aeh_wire_finish(w))
    (void)aeh_send_all(c->fd, w->data, w->len);
}

/* Starts a reply with the call's outcome. */
static void reply_head(aeh_wire *w, aero_status status, const aero_error *err) {
  aeh_wire_start(w);
  aeh_wire_i64(w, status);
  aeh_wire_str(w, status != AERO_OK ? err->message : NULL);
}

static aero_artifact_ref get_ref(aeh_wire_reader *r) {
  aero_artifact_ref ref;
  ref.entity = aeh_wire_get_str(r);
  ref.project = aeh_wire_get_str(r);
  ref.name = aeh_wire_get_str(r);
  ref.version = aeh_wire_get_i64(r);
  return ref;
}

static aero_status own_run(const aeh_relay_conn *c, int64_t run_id,
                           aero_error *err) {
  if (run_id != c->run_id)
    return aeh_error_set(err, AERO_E_INVALID,
                         "this action's process may only record run %lld, "
                         "not run %lld",
                         (long long)c->run_id, (long long)run_id);
  return AERO_OK;
}

static aero_status do_resolve(aeh_wire_reader *r, const aero_backend_vtable *vt,
                              void *h, aeh_wire *results, aero_error *err) {
  aero_artifact_ref ref = get_ref(r);
  bool dev = aeh_wire_get_u32(r) != 0;
  if (r->bad)
    return AERO_E_INVALID;
  aero_artifact_version v = {.struct_size = sizeof v};
  aero_status status = vt->resolve(h, &ref, dev, &v, err);
  if (status == AERO_OK) {
    aeh_wire_i64(results, v.id);
    aeh_wire_i64(results, v.version);
    aeh_wire_u32(results, v.dev);
    v.digest[sizeof v.digest - 1] = '\0';
    v.type[sizeof v.type - 1] = '\0';
    aeh_wire_str(results, v.digest);
    aeh_wire_str(results, v.type);
  }
  return status;
}

typedef struct path_sink {
  aeh_wire *paths;
  uint32_t count;
} path_sink;

static void sink_path(void *ctx, const char *path) {
  path_sink *sink = ctx;
  aeh_wire_str(sink->paths, path);
  sink->count++;
}

static aero_status do_materialize(aeh_wire_reader *r,
                                  const aero_backend_vtable *vt, void *h,
                                  aeh_wire *results, aero_error *err) {
  int64_t version_id = aeh_wire_get_i64(r);
  if (r->bad)
    return AERO_E_INVALID;
  aeh_wire paths = {0};
  path_sink sink = {.paths = &paths};
  char directory[4096];
  aero_status status = vt->materialize(h, version_id, sink_path, &sink,
                                       directory, sizeof directory, err);
  if (status == AERO_OK && paths.failed)
    status = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  if (status == AERO_OK) {
    aeh_wire_str(results, directory);
    aeh_wire_u32(results, sink.count);
    aeh_wire_bytes(results, paths.data, paths.len);
  }
  aeh_wire_free(&paths);
  return status;
}

/* Makes the call from the action's current folder, where its relative
 * paths point, and comes back to the host's. */
static aero_status put_from(const char *cwd, const aero_backend_vtable *vt,
                            void *h, int64_t run_id,
                            const aero_artifact_ref *ref,
                            const aero_output_desc *desc, aero_error *err) {
  int home = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (home < 0)
    return aeh_error_set(err, AERO_E_IO,
                         "declaring output '%s': cannot keep aerohost's "
                         "current folder: %s",
                         desc->name, strerror(errno));
  aero_status status;
  if (chdir(cwd) != 0)
    status = aeh_error_set(err, AERO_E_IO,
                           "declaring output '%s': cannot enter the action's "
                           "current folder %s: %s",
                           desc->name, cwd, strerror(errno));
  else
    status = vt->put_output(h, run_id, ref, desc, err);
  if (fchdir(home) != 0 && status == AERO_OK)
    status = aeh_error_set(err, AERO_E_IO,
                           "cannot return to aerohost's current folder: %s",
                           strerror(errno));
  close(home);
  return status;
}

static aero_status do_put_output(const aeh_relay_conn *c, aeh_wire_reader *r,
                                 const aero_backend_vtable *vt, void *h,
                                 aero_error *err) {
  int64_t run_id = aeh_wire_get_i64(r);
  aero_artifact_ref ref = get_ref(r);
  const char *cwd = aeh_wire_get_str(r);
  aero_output_desc desc = {.struct_size = sizeof desc};
  desc.name = aeh_wire_get_str(r);
  desc.file_count = aeh_wire_get_u32(r);
  if (r->bad || cwd == NULL || desc.file_count > r->left / 4)
    return AERO_E_INVALID;
  const char **files = calloc(desc.file_count + 1, sizeof *files);
  if (files == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  for (size_t i = 0; i < desc.file_count; i++)
    files[i] = aeh_wire_get_str(r);
  desc.files = files;
  desc.artifact_type = aeh_wire_get_str(r);
  desc.strip_prefix = aeh_wire_get_str(r);
  desc.metadata_count = aeh_wire_get_u32(r);
  bool has_metadata = aeh_wire_get_u32(r) != 0;
  size_t sent = has_metadata ? desc.metadata_count : 0;
  aero_kv *meta = NULL;
  aero_status status = AERO_OK;
  if (r->bad || sent > r->left / 8) {
    status = AERO_E_INVALID;
  } else if (sent > 0 && (meta = calloc(sent, sizeof *meta)) == NULL) {
    status = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  } else {
    for (size_t i = 0; i < sent; i++) {
      meta[i].key = aeh_wire_get_str(r);
      meta[i].value = aeh_wire_get_value(r);
    }
    desc.metadata = meta;
    if (r->bad)
      status = AERO_E_INVALID;
  }
  if (status == AERO_OK)
    status = own_run(c, run_id, err);
  if (status == AERO_OK)
    status = put_from(cwd, vt, h, run_id, &ref, &desc, err);
  free(meta);
  free(files);
  return status;
}

/* Gathers the metrics of one log call for the next flush. */
static bool take_metrics(aeh_relay_conn *c, aeh_wire_reader *r) {
  int64_t run_id = aeh_wire_get_i64(r);
  int64_t step = aeh_wire_get_i64(r);
  int64_t logged_ns = aeh_wire_get_i64(r);
  uint32_t count = aeh_wire_get_u32(r);
  if (r->bad || count > r->left / 12 || run_id != c->run_id)
    return false;
  for (uint32_t i = 0; i < count; i++) {
    const char *key = aeh_wire_get_str(r);
    double value = aeh_wire_get_f64(r);
    if (r->bad)
      return false;
    if (!add_row(c, key, value, step, logged_ns)) {
      aero_error err = AEH_ERROR_INIT;
      aeh_error_set(&err, AERO_E_NOMEM, "out of memory");
      unrecorded(c, count - i, "metrics", &err);
      break;
    }
  }
  return true;
}

static bool take_log_text(aeh_relay_conn *c, aeh_store *store,
                          aeh_wire_reader *r) {
  int64_t run_id = aeh_wire_get_i64(r);
  aero_log_level level = (aero_log_level)aeh_wire_get_u32(r);
  const char *message = aeh_wire_get_str(r);
  if (r->bad || run_id != c->run_id)
    return false;
  aero_error err = AEH_ERROR_INIT;
  void *h = NULL;
  const aero_backend_vtable *vt = aeh_store_backend(store);
  if (vt->log_text == NULL)
    return true;
  if (aeh_store_handle(store, &h, &err) != AERO_OK ||
      vt->log_text(h, run_id, level, message != NULL ? message : "", &err) !=
          AERO_OK)
    unrecorded(c, 1, "log line", &err);
  return true;
}

/* A frame this host's relay client did not write (plugin code scribbled
 * on the socket): nothing after it can be trusted, and no answer is
 * awaited. Returns false, for the caller to close the stream. */
static bool refuse(aeh_relay_conn *c, uint32_t op) {
  snprintf(c->broken, sizeof c->broken,
           "sent a tracker request aerohost cannot read (kind %u)", op);
  aeh_console_error("%s %s: its later tracker calls fail", c->label, c->broken);
  return false;
}

/* Serves one whole frame. Returns false when it cannot be understood. */
static bool serve_frame(aeh_relay_conn *c, aeh_store *store, const char *data,
                        size_t size) {
  aeh_wire_reader r = {.p = data, .left = size};
  uint32_t op = aeh_wire_get_u32(&r);
  if (op == AEH_RELAY_LOG_METRICS)
    return take_metrics(c, &r) || refuse(c, op);
  /* Whatever comes next is recorded after the metrics logged before it. */
  flush_rows(c, store);
  if (op == AEH_RELAY_LOG_TEXT)
    return take_log_text(c, store, &r) || refuse(c, op);
  if (op == AEH_RELAY_OUTPUT_REFUSED) {
    int64_t run_id = aeh_wire_get_i64(&r);
    if (r.bad || run_id != c->run_id)
      return refuse(c, op);
    c->output_refused = true;
    return true;
  }
  if (op == AEH_RELAY_RETURNED) {
    c->code = (int32_t)aeh_wire_get_i64(&r);
    const char *message = aeh_wire_get_str(&r);
    snprintf(c->message, sizeof c->message, "%s",
             message != NULL ? message : "");
    c->returned = !r.bad;
    return !r.bad || refuse(c, op);
  }
  aero_error err = AEH_ERROR_INIT;
  void *h = NULL;
  aeh_wire results = {0};
  aeh_wire_start(&results); /* the head goes in front, below */
  size_t head_len = results.len;
  aero_status status = aeh_store_handle(store, &h, &err);
  const aero_backend_vtable *vt = aeh_store_backend(store);
  if (status == AERO_OK) {
    switch (op) {
    case AEH_RELAY_RESOLVE:
      status = do_resolve(&r, vt, h, &results, &err);
      break;
    case AEH_RELAY_RECORD_INPUT: {
      int64_t run_id = aeh_wire_get_i64(&r);
      int64_t version_id = aeh_wire_get_i64(&r);
      status = r.bad ? AERO_E_INVALID : own_run(c, run_id, &err);
      if (status == AERO_OK)
        status = vt->record_input(h, run_id, version_id, &err);
      break;
    }
    case AEH_RELAY_REUSE_KEY: {
      int64_t run_id = aeh_wire_get_i64(&r);
      const char *key = aeh_wire_get_str(&r);
      const char *job = aeh_wire_get_str(&r);
      const char *parts = aeh_wire_get_str(&r);
      status = r.bad ? AERO_E_INVALID : own_run(c, run_id, &err);
      if (status == AERO_OK)
        status = vt->reuse_key != NULL
                     ? vt->reuse_key(h, run_id, key, job, parts, &err)
                     : aeh_error_set(&err, AERO_E_STATE,
                                     "backend %s keeps no reuse keys", vt->name);
      break;
    }
    case AEH_RELAY_MATERIALIZE:
      status = do_materialize(&r, vt, h, &results, &err);
      break;
    case AEH_RELAY_PUT_OUTPUT:
      c->outputs++;
      status = do_put_output(c, &r, vt, h, &err);
      if (aeh_store_refused(status))
        c->output_refused = true;
      break;
    default:
      r.bad = true;
      status = AERO_E_INVALID;
    }
  }
  if (r.bad) {
    aeh_wire_free(&results);
    return refuse(c, op);
  }
  aeh_wire reply = {0};
  reply_head(&reply, status, &err);
  if (status == AERO_OK && results.len > head_len)
    aeh_wire_bytes(&reply, results.data + head_len, results.len - head_len);
  if (results.failed)
    reply_head(&reply, aeh_error_set(&err, AERO_E_NOMEM, "out of memory"),
               &err);
  send_reply(c, &reply);
  aeh_wire_free(&reply);
  aeh_wire_free(&results);
  return true;
}

bool aeh_relay_conn_serve(aeh_relay_conn *c, aeh_store *store) {
  if (c->fd < 0)
    return false;
  for (;;) {
    /* At least 4 KiB free for the next recv. */
    char *grown = aeu_grow(c->buf, &c->cap, c->len + 4096, 1, 8192);
    if (grown == NULL)
      return false;
    c->buf = grown;
    ssize_t got = recv(c->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      /* All that has arrived is in: the action is busy or waiting. */
      flush_rows(c, store);
      return true;
    }
    if (got <= 0) {
      flush_rows(c, store);
      aeh_relay_conn_close(c);
      return false;
    }
    c->len += (size_t)got;
    size_t at = 0;
    const char *body;
    uint32_t size;
    aeh_frame_state state;
    while ((state = aeh_wire_next_frame(c->buf, c->len, &at, &body, &size)) !=
           AEH_FRAME_PARTIAL) {
      if (state == AEH_FRAME_TOO_LARGE) {
        snprintf(c->broken, sizeof c->broken,
                 "sent a tracker frame of %u bytes (at most %u)", size,
                 AEH_RELAY_FRAME_MAX);
        aeh_console_error("%s %s: its later tracker calls fail", c->label,
                          c->broken);
        flush_rows(c, store);
        aeh_relay_conn_close(c);
        return false;
      }
      if (!serve_frame(c, store, body, size)) {
        flush_rows(c, store);
        aeh_relay_conn_close(c);
        return false;
      }
    }
    memmove(c->buf, c->buf + at, c->len - at);
    c->len -= at;
  }
}
