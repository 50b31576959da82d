/* Replies and their headers (ui_http.h). */
#include "ui_http.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json_out.h"

/* Scripts, styles, images and fetches from this server only; nothing
 * inline, no plugins, no frames, no forms posting anywhere. */
static const char csp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

const char *aeh_ui_arg(const aeh_ui_request *rq, const char *name) {
  const char *value = NULL;
  size_t size = 0;
  if (MHD_lookup_connection_value_n(rq->conn, MHD_GET_ARGUMENT_KIND, name,
                                    strlen(name), &value,
                                    &size) != MHD_YES)
    return NULL;
  /* A %00 inside: the C string would end there ("q=%00" read as no q
   * at all). A control character instead, which every parameter's check
   * refuses. */
  return value != NULL && strlen(value) != size ? "\x01" : value;
}

/* Adds the headers every reply carries, queues it and drops our
 * reference. */
static enum MHD_Result queue(const aeh_ui_request *rq, unsigned status,
                             struct MHD_Response *r, const char *type,
                             int cache) {
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  MHD_add_response_header(r, "Content-Security-Policy", csp);
  MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(r, "X-Frame-Options", "DENY");
  MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
  MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
  MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
                          cache ? "max-age=3600" : "no-store");
  if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
    MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
  enum MHD_Result ret = MHD_queue_response(rq->conn, status, r);
  MHD_destroy_response(r);
  return ret;
}

enum MHD_Result aeh_ui_reply(const aeh_ui_request *rq, unsigned status,
                             const char *type, const void *body, size_t size,
                             enum MHD_ResponseMemoryMode mode, int cache) {
  struct MHD_Response *r =
      MHD_create_response_from_buffer(size, (void *)body, mode);
  if (r == NULL) {
    if (mode == MHD_RESPMEM_MUST_FREE)
      free((void *)body);
    return MHD_NO;
  }
  return queue(rq, status, r, type, cache);
}

enum MHD_Result aeh_ui_reply_fd(const aeh_ui_request *rq, int fd, uint64_t size,
                                const char *name) {
  struct MHD_Response *r = MHD_create_response_from_fd64(size, fd);
  if (r == NULL) {
    close(fd);
    return MHD_NO;
  }
  /* The name only as a suggestion: `filename` in characters that need no
   * quoting (anything else '_'), for old clients, and the name itself in
   * `filename*` (RFC 6266: UTF-8, percent-encoded), which browsers take
   * instead, when it is valid UTF-8 ("naïve.txt" was "na__ve.txt"). */
  char disposition[1200] = "attachment; filename=\"";
  size_t n = strlen(disposition);
  for (const char *c = name; *c != '\0' && n + 3 < 160; c++)
    disposition[n++] =
        (isalnum((unsigned char)*c) || strchr("._-", *c)) ? *c : '_';
  disposition[n++] = '"';
  disposition[n] = '\0';
  json_t *utf8 = strlen(name) <= 255 ? json_string(name) : NULL;
  if (utf8 != NULL) { /* jansson takes valid UTF-8 only */
    static const char hex[] = "0123456789ABCDEF";
    n += (size_t)snprintf(disposition + n, sizeof disposition - n,
                          "; filename*=UTF-8''");
    for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
      if (isalnum(*c) || strchr("!#$&+-.^_`|~", *c)) {
        disposition[n++] = (char)*c;
      } else {
        disposition[n++] = '%';
        disposition[n++] = hex[*c >> 4];
        disposition[n++] = hex[*c & 15];
      }
    }
    disposition[n] = '\0';
    json_decref(utf8);
  }
  MHD_add_response_header(r, "Content-Disposition", disposition);
  return queue(rq, MHD_HTTP_OK, r, "application/octet-stream", 0);
}

enum MHD_Result aeh_ui_reply_json(const aeh_ui_request *rq, unsigned status,
                                  json_t *doc) {
  /* Escaping "/" keeps "</script>" out of any JSON text, wherever it
   * ends up. */
  char *text = aeh_json_dumps(doc, JSON_COMPACT | JSON_ESCAPE_SLASH);
  json_decref(doc);
  if (text == NULL)
    return aeh_ui_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR,
                              "out of memory");
  return aeh_ui_reply(rq, status, "application/json", text, strlen(text),
                      MHD_RESPMEM_MUST_FREE, 0);
}

enum MHD_Result aeh_ui_reply_error(const aeh_ui_request *rq, unsigned status,
                                   const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (strncmp(rq->path, "/api/", 5) == 0) {
    /* The message may quote what the request named, in any bytes: not
     * valid UTF-8 is escaped (aeh_json_text), so the answer stays the
     * documented {"error": ...} JSON. */
    json_t *doc = json_object();
    if (doc != NULL && aeh_json_set(doc, "error", aeh_json_text(msg)) != 0) {
      json_decref(doc);
      doc = NULL;
    }
    char *text = doc == NULL ? NULL : json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (text != NULL)
      return aeh_ui_reply(rq, status, "application/json", text, strlen(text),
                          MHD_RESPMEM_MUST_FREE, 0);
  }
  /* Plain text: the browser never parses it as HTML. */
  size_t n = strlen(msg);
  if (n + 1 < sizeof msg)
    msg[n++] = '\n';
  return aeh_ui_reply(rq, status, "text/plain; charset=utf-8", msg, n,
                      MHD_RESPMEM_MUST_COPY, 0);
}
