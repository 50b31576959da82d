/* The JSON API under /api/ (ui_server.h). */
#include "ui_server.h"

enum MHD_Result aeh_ui_api(const aeh_ui_request *rq) {
  return aeh_ui_reply_error(rq, MHD_HTTP_NOT_FOUND, "no such API: %s",
                            rq->path);
}
