/* The HTTP server, its gates and the page routes (ui_server.h). */
#include "ui_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "artifact_ref.h"
#include "ui_api.h"
#include "ui_assets.h"
#include "ui_guard.h"
#include "ui_prefetch.h"

enum {
  MAX_CONNECTIONS = 64,
  MAX_HEADER_BYTES = 32 * 1024, /* the whole request head, per connection */
  MAX_URL_BYTES = 4096,
  IDLE_SECONDS = 30,
  MAX_COMPARED = 16, /* runs on one compare page */
};

struct aeh_ui_server {
  struct MHD_Daemon *daemon;
  char host[64]; /* as bound, for the Host check */
  unsigned port;
  void *store;
  int started;         /* libmicrohttpd's messages go to stderr from now */
  char start_log[256]; /* its last message while starting, for our error */
};

unsigned aeh_ui_server_port(const aeh_ui_server *server) {
  return server->port;
}

/* Serves an embedded file. */
static enum MHD_Result asset(const aeh_ui_request *rq, const char *name,
                             int cache) {
  const aeh_ui_asset *a = aeh_ui_asset_find(name);
  if (a == NULL)
    return aeh_ui_reply_error(rq, MHD_HTTP_NOT_FOUND, "no such page");
  return aeh_ui_reply(rq, MHD_HTTP_OK, aeh_ui_asset_type(a->name), a->data,
                      a->size, MHD_RESPMEM_PERSISTENT, cache);
}

/* The pages: HTML shells whose scripts fetch /api/. Their parameters are
 * checked here too, so that a bad link is a plain 404, not a page that
 * fails later. */
static enum MHD_Result page(const aeh_ui_request *rq) {
  const char *p = rq->path;
  if (strcmp(p, "/") == 0 || strcmp(p, "/runs") == 0)
    return asset(rq, "runs.html", 0);
  if (strncmp(p, "/run/", 5) == 0) {
    int64_t id;
    if (!aeh_ui_parse_id(p + 5, &id))
      return aeh_ui_reply_error(rq, MHD_HTTP_NOT_FOUND,
                                "a run is named by its number: /run/42");
    /* Its answers are computed while the browser loads the scripts. */
    aeh_ui_prefetch_run(id);
    return asset(rq, "run.html", 0);
  }
  if (strcmp(p, "/artifact") == 0) {
    aeh_artifact_ref ref;
    aero_error err = AEH_ERROR_INIT;
    const char *text = aeh_ui_arg(rq, "ref");
    if (text == NULL)
      return aeh_ui_reply_error(rq, MHD_HTTP_NOT_FOUND,
                                "no artifact named: /artifact?ref=NAME");
    if (aeh_artifact_ref_parse(text, &ref, &err) != AERO_OK)
      return aeh_ui_reply_error(rq, MHD_HTTP_NOT_FOUND, "%s", err.message);
    return asset(rq, "artifact.html", 0);
  }
  if (strcmp(p, "/compare") == 0) {
    int64_t ids[MAX_COMPARED];
    size_t n;
    if (!aeh_ui_parse_id_list(aeh_ui_arg(rq, "runs"), ids, MAX_COMPARED, &n))
      return aeh_ui_reply_error(
          rq, MHD_HTTP_NOT_FOUND,
          "compare takes 1 to %d run numbers: /compare?runs=3,7", MAX_COMPARED);
    return asset(rq, "compare.html", 0);
  }
  if (strncmp(p, "/static/", 8) == 0)
    return asset(rq, p + 8, 1);
  return aeh_ui_reply_error(rq, MHD_HTTP_NOT_FOUND, "no such page");
}

/* True when the request announces a body (we never read one). */
static int has_body(struct MHD_Connection *conn) {
  const char *len = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                MHD_HTTP_HEADER_CONTENT_LENGTH);
  const char *te = MHD_lookup_connection_value(
      conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
  return te != NULL || (len != NULL && strcmp(len, "0") != 0);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **state) {
  (void)version;
  (void)upload;
  (void)state;
  aeh_ui_server *s = cls;
  aeh_ui_request rq = {conn, url};
  if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
      strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
    return aeh_ui_reply_error(&rq, MHD_HTTP_METHOD_NOT_ALLOWED,
                              "read-only: only GET and HEAD are served");
  if (*upload_size != 0 || has_body(conn))
    return aeh_ui_reply_error(&rq, MHD_HTTP_CONTENT_TOO_LARGE,
                              "requests with a body are not served");
  const char *host =
      MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
  if (!aeh_ui_host_allowed(host, s->host, s->port))
    return aeh_ui_reply_error(&rq, MHD_HTTP_FORBIDDEN,
                              "this server answers to 127.0.0.1:%u and "
                              "localhost:%u only",
                              s->port, s->port);
  if (strlen(url) > MAX_URL_BYTES)
    return aeh_ui_reply_error(&rq, MHD_HTTP_URI_TOO_LONG, "URL too long");
  if (strncmp(url, "/api/", 5) == 0)
    return aeh_ui_api(&rq, s->store);
  return page(&rq);
}

/* libmicrohttpd's messages: kept while starting (a failure to bind becomes
 * part of our one error line), printed afterwards. */
static void mhd_log(void *cls, const char *fmt, va_list ap) {
  aeh_ui_server *s = cls;
  char line[sizeof s->start_log];
  vsnprintf(line, sizeof line, fmt, ap);
  line[strcspn(line, "\n")] = '\0';
  if (!s->started)
    snprintf(s->start_log, sizeof s->start_log, "%s", line);
  else
    fprintf(stderr, "aeromancy ui: %s\n", line);
}

aero_status aeh_ui_server_start(const aeh_ui_settings *settings,
                                aeh_ui_server **out, aero_error *err) {
  const char *host = settings->host ? settings->host : "127.0.0.1";
  struct sockaddr_storage addr = {0};
  unsigned flags =
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
  struct sockaddr_in *v4 = (struct sockaddr_in *)&addr;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&addr;
  if (strlen(host) >= sizeof((aeh_ui_server *)0)->host)
    return aeh_error_set(err, AERO_E_INVALID, "--host %.40s...: too long",
                         host);
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)settings->port);
  } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)settings->port);
    flags |= MHD_USE_IPv6;
  } else {
    return aeh_error_set(err, AERO_E_INVALID,
                         "--host %s: not a numeric IPv4 or IPv6 address "
                         "(e.g. 127.0.0.1, 0.0.0.0, ::1)",
                         host);
  }
  aeh_ui_server *s = calloc(1, sizeof *s);
  if (s == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  snprintf(s->host, sizeof s->host, "%s", host);
  s->store = settings->store;
  s->daemon = MHD_start_daemon(
      flags, (uint16_t)settings->port, NULL, NULL, on_request, s,
      MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s, /* first, or unused */
      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)MAX_HEADER_BYTES,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_SECONDS, MHD_OPTION_END);
  if (s->daemon == NULL) {
    aero_status st = aeh_error_set(
        err, AERO_E_IO, "cannot listen on %s port %u: %s", host, settings->port,
        s->start_log[0] ? s->start_log : "libmicrohttpd failed");
    free(s);
    return st;
  }
  s->started = 1;
  const union MHD_DaemonInfo *info =
      MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
  s->port = info != NULL ? info->port : settings->port;
  *out = s;
  return AERO_OK;
}

void aeh_ui_server_stop(aeh_ui_server *server) {
  if (server == NULL)
    return;
  MHD_stop_daemon(server->daemon);
  free(server);
}
