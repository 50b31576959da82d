/* The relay's host side end to end (relay_server.c): the input is what an
 * action's process wrote on its tracker channel before it died, any bytes
 * a buggy action may send. aeh_relay_conn_serve reads it from a socket
 * and serves every whole frame on a store whose calls check what they are
 * handed as a backend reads it: each string is read whole (AddressSanitizer
 * catches one not NUL-terminated or outside the frame), each array to its
 * count. The stream ends in a closed connection, and a stream refused as
 * malformed says why in one line. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "console.h"
#include "fuzz_check.h"
#include "relay.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a backend reads of a string: all of it. */
static size_t touch(const char *s) {
  return s != NULL ? strlen(s) : 0;
}

static size_t touched; /* keeps the reads from being optimised away */

static aero_status stub_resolve(void *store, const aero_artifact_ref *ref,
                                bool dev, aero_artifact_version *out,
                                aero_error *err) {
  (void)store, (void)dev, (void)err;
  touched += touch(ref->entity) + touch(ref->project) + touch(ref->name);
  out->id = 1;
  out->version = 1;
  snprintf(out->digest, sizeof out->digest, "%064d", 0);
  snprintf(out->type, sizeof out->type, "dataset");
  return AERO_OK;
}

static aero_status stub_record_input(void *store, int64_t run_id,
                                     int64_t version_id, aero_error *err) {
  (void)store, (void)run_id, (void)version_id, (void)err;
  return AERO_OK;
}

static aero_status stub_materialize(void *store, int64_t version_id,
                                    aero_backend_file_fn each, void *ctx,
                                    char *directory, size_t directory_size,
                                    aero_error *err) {
  (void)store, (void)version_id, (void)err;
  snprintf(directory, directory_size, "/nowhere");
  each(ctx, "/nowhere/a");
  each(ctx, "/nowhere/b");
  return AERO_OK;
}

static aero_status stub_put_output(void *store, int64_t run_id,
                                   const aero_artifact_ref *ref,
                                   const aero_output_desc *desc,
                                   aero_error *err) {
  (void)store, (void)run_id, (void)err;
  touched += touch(ref->entity) + touch(ref->project) + touch(ref->name);
  touched += touch(desc->name) + touch(desc->artifact_type) +
             touch(desc->strip_prefix);
  for (size_t i = 0; desc->files != NULL && i < desc->file_count; i++)
    touched += touch(desc->files[i]);
  /* The backends refuse a count without metadata (pc_check_desc). */
  for (size_t i = 0; desc->metadata != NULL && i < desc->metadata_count; i++) {
    touched += touch(desc->metadata[i].key);
    if (desc->metadata[i].value.type == AERO_VALUE_STRING)
      touched += touch(desc->metadata[i].value.as.s);
  }
  return AERO_OK;
}

static aero_status stub_log_metrics(void *store, int64_t run_id,
                                    const aero_metric *metrics, size_t count,
                                    int64_t step, aero_error *err) {
  (void)store, (void)run_id, (void)step, (void)err;
  for (size_t i = 0; i < count; i++)
    touched += touch(metrics[i].key);
  return AERO_OK;
}

static aero_status stub_log_text(void *store, int64_t run_id,
                                 aero_log_level level, const char *message,
                                 aero_error *err) {
  (void)store, (void)run_id, (void)level, (void)err;
  touched += touch(message);
  return AERO_OK;
}

static aero_status stub_log_metric_rows(void *store, int64_t run_id,
                                        const aero_metric_row *rows,
                                        size_t count, aero_error *err) {
  (void)store, (void)run_id, (void)err;
  for (size_t i = 0; i < count; i++)
    touched += touch(rows[i].key);
  return AERO_OK;
}

static const aero_backend_vtable stub_backend = {
    .resolve = stub_resolve,
    .record_input = stub_record_input,
    .materialize = stub_materialize,
    .put_output = stub_put_output,
    .log_metrics = stub_log_metrics,
    .log_text = stub_log_text,
    .log_metric_rows = stub_log_metric_rows,
};

/* The host's store, reduced to the stub backend. */
const aero_backend_vtable *aeh_store_backend(const aeh_store *store) {
  (void)store;
  return &stub_backend;
}

aero_status aeh_store_handle(aeh_store *store, void **handle, aero_error *err) {
  (void)err;
  *handle = store;
  return AERO_OK;
}

/* Error lines are checked (one line each), not printed. */
void aeh_console_error(const char *fmt, ...) {
  char line[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (line[0] == '\0' || strchr(line, '\n') != NULL) {
    fprintf(stderr, "fuzz: an error that is not one line: \"%s\"\n", line);
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    abort();
  /* Replies nobody reads must not block the host: they are dropped. */
  int big = 1 << 20;
  setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  /* The action wrote its bytes and died. */
  for (size_t off = 0; off < size;) {
    ssize_t w = write(fds[1], data + off, size - off);
    if (w <= 0)
      abort(); /* max_len keeps the input within the socket's buffer */
    off += (size_t)w;
  }
  shutdown(fds[1], SHUT_WR);
  aeh_relay_conn c;
  aeh_relay_conn_open(&c, fds[0], 7, "[fuzz output]");
  static int store; /* any address: the stubs take no state */
  int rounds = 0;
  while (aeh_relay_conn_serve(&c, (aeh_store *)&store))
    if (++rounds > 1000) {
      fprintf(stderr, "fuzz: the stream never ended\n");
      abort();
    }
  if (c.fd != -1 || c.buf != NULL || c.row_count != 0)
    abort(); /* closed with all its metrics flushed */
  if (c.broken[0] != '\0' && strchr(c.broken, '\n') != NULL)
    abort();
  aeh_relay_conn_close(&c);
  close(fds[1]);
  return 0;
}
