/* One request to the UI, and the replies it may get. Every reply carries
 * the same protective headers (ui_http.c): a Content-Security-Policy that
 * allows scripts and styles from this server only (no inline script, so
 * text that slipped into a page could not run even if it were parsed as
 * HTML), nosniff, no framing, no referrer.
 */
#ifndef AEH_UI_HTTP_H
#define AEH_UI_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>

typedef struct aeh_ui_request {
  struct MHD_Connection *conn;
  const char *path; /* decoded URL path, without the query */
} aeh_ui_request;

/* The decoded value of query parameter `name`, or NULL. Borrowed from the
 * connection for the request. */
const char *aeh_ui_arg(const aeh_ui_request *rq, const char *name);

/* Queues a reply. `body` (`size` bytes) is copied when `mode` is
 * MHD_RESPMEM_MUST_COPY, taken (freed with free()) when MUST_FREE, and
 * borrowed for the server's life when PERSISTENT. `cache` lets the browser
 * keep it (the embedded assets); everything read from the store is
 * no-store, so that a reload shows what a live writer added. */
enum MHD_Result aeh_ui_reply(const aeh_ui_request *rq, unsigned status,
                             const char *type, const void *body, size_t size,
                             enum MHD_ResponseMemoryMode mode, int cache);

/* Queues the `size` bytes of open file `fd` (taken: closed by the server,
 * even on failure) as a download suggesting the file name `name`
 * (borrowed; reduced to [A-Za-z0-9._-]). */
enum MHD_Result aeh_ui_reply_fd(const aeh_ui_request *rq, int fd, uint64_t size,
                                const char *name);

/* Queues `doc` as compact JSON. Takes the reference to `doc`. */
enum MHD_Result aeh_ui_reply_json(const aeh_ui_request *rq, unsigned status,
                                  json_t *doc);

/* Queues an error: {"error": MESSAGE} under /api/, plain text elsewhere. */
enum MHD_Result aeh_ui_reply_error(const aeh_ui_request *rq, unsigned status,
                                   const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* AEH_UI_HTTP_H */
