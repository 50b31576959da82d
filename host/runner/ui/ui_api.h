/* The JSON API under /api/ (ui_api.c), and the one of its routes that has
 * a file of its own: a file download (ui_file.c). */
#ifndef AEH_UI_API_H
#define AEH_UI_API_H

#include <stdint.h>

#include "record.h"
#include "ui_http.h"

/* Answers a request whose path starts with "/api/", reading `rec` (the
 * server's store: ui_server.c passes it down). */
enum MHD_Result aeh_ui_api(const aeh_ui_request *rq, aeh_record *rec);

/* Replies with the file of version `version_id` whose SHA-256 is `digest`
 * (64 lowercase hex digits, checked by the caller). The file's path comes
 * from the backend (its file list and its materialized view), never from
 * the request. */
enum MHD_Result aeh_ui_file(const aeh_ui_request *rq, const aeh_record *rec,
                            int64_t version_id, const char *digest);

#endif /* AEH_UI_API_H */
