/* The UI's HTTP server: libmicrohttpd on one internal thread, every request
 * through the same gates before any route sees it.
 *
 * Gates, in order: the method (GET and HEAD only: 405 otherwise), a request
 * body (413), the Host header (403 unless it names this server: a page on
 * another site whose name was rebound to 127.0.0.1 cannot read the store),
 * the URL's length (414). libmicrohttpd itself bounds the header size
 * (431), the connections (64 at once) and idle time (30 s).
 *
 * One thread answers every request in turn, so the store handle and the
 * query layer are only ever used from that thread.
 */
#ifndef AEH_UI_SERVER_H
#define AEH_UI_SERVER_H

#include "error.h"
#include "ui_http.h"

typedef struct aeh_ui_server aeh_ui_server;

typedef struct aeh_ui_settings {
  const char *host; /* numeric address to bind; NULL: 127.0.0.1 */
  unsigned port;    /* 0: any free port */
  void *store;      /* the query layer's store, borrowed */
} aeh_ui_settings;

/* Starts serving. The caller owns *out (aeh_ui_server_stop); written on
 * success only. A bad address or a port in use is AERO_E_INVALID /
 * AERO_E_IO with one line naming it. */
aero_status aeh_ui_server_start(const aeh_ui_settings *settings,
                                aeh_ui_server **out, aero_error *err);

/* The port actually bound (the chosen one when 0 was asked for). */
unsigned aeh_ui_server_port(const aeh_ui_server *server);

/* Stops serving (waits for the request in progress) and frees `server`. */
void aeh_ui_server_stop(aeh_ui_server *server);

#endif /* AEH_UI_SERVER_H */
