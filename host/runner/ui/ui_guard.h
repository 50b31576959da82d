/* The UI's request gates, pure functions of the request's text so that they
 * are unit-tested without a server: which Host headers are ours (DNS
 * rebinding), and which URL parameters are well formed. Nothing here touches
 * the file system: a parameter that names something (a run id, a digest, an
 * artifact reference) is checked against its grammar and then handed to the
 * query layer, never joined to a path.
 */
#ifndef AEH_UI_GUARD_H
#define AEH_UI_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when `host` (the request's Host header, borrowed) names this server:
 * one of 127.0.0.1, localhost, [::1] or `bound` (the --host given, may be
 * NULL), with `port` or (port 80 only) without it. Case-insensitive. A
 * missing header (NULL) is refused: a browser always sends one, and a page
 * on another origin rebound to 127.0.0.1 sends its own name. */
bool aeh_ui_host_allowed(const char *host, const char *bound, unsigned port);

/* Parses a run id: 1 to 18 decimal digits, no sign, no spaces. Writes *id
 * on success only. */
bool aeh_ui_parse_id(const char *text, int64_t *id);

/* Parses a comma-separated list of run ids ("3,7,12"), at most `max`, into
 * `ids`; writes *count on success only. Empty items are refused. */
bool aeh_ui_parse_id_list(const char *text, int64_t *ids, size_t max,
                          size_t *count);

/* True for a SHA-256 digest: exactly 64 lowercase hex digits. */
bool aeh_ui_is_digest(const char *text);

/* The longest text parameter the API takes, in bytes. A metric key may be
 * longer (the backends take any), but no request can name it: the
 * prefetch thread (ui_prefetch.c) asks aeh_ui_is_text too, and computes
 * no series of such a key. */
#define AEH_UI_TEXT_MAX 256

/* True for a metric key, a filter value or a search text: 1 to
 * AEH_UI_TEXT_MAX bytes without control characters. Such text only ever
 * reaches the query layer as a value to compare with (artifact references
 * are parsed by aeh_artifact_ref_parse instead). */
bool aeh_ui_is_text(const char *text);

/* Parses a non-negative decimal integer of at most 9 digits (limits,
 * offsets, point counts). Writes *out on success only. */
bool aeh_ui_parse_count(const char *text, long *out);

#endif /* AEH_UI_GUARD_H */
