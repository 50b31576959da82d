/* JSON documents on stdout (`list --json`, the query commands), built with
 * jansson so that escaping is never hand-written. Text that aeromancy does
 * not control (flags, names, messages from plugins) may hold any bytes;
 * these helpers turn it into valid JSON text without losing it.
 */
#ifndef AEH_JSON_OUT_H
#define AEH_JSON_OUT_H

#include <jansson.h>
#include <stdio.h>

/* A new JSON string for `s` (a new reference, owned by the caller). Bytes
 * that are not valid UTF-8 become the four characters "\xNN" (as Python's
 * "backslashreplace" does), so the output is always valid JSON and the
 * reader still sees which bytes were there. NULL `s` gives JSON null.
 * Returns NULL only when memory runs out. */
json_t *aeh_json_text(const char *s);

/* A JSON number for `d`; NaN and infinities, which JSON cannot hold,
 * become null. A new reference; NULL only when memory runs out. */
json_t *aeh_json_number(double d);

/* object[key] = value, with `key` made valid the same way as
 * aeh_json_text. Takes `value` (a new reference, even on failure; NULL is
 * accepted and fails). Returns 0, or -1 when memory ran out. */
int aeh_json_set(json_t *object, const char *key, json_t *value);

/* Appends `value` to `array`; takes `value` like aeh_json_set. */
int aeh_json_append(json_t *array, json_t *value);

/* Writes `doc` to `out`, indented by 2, in insertion order, followed by a
 * newline. `doc` is borrowed. Returns 0, or -1 when it could not be
 * encoded or written. */
int aeh_json_write(FILE *out, const json_t *doc);

/* json_dump_callback and json_dumps (flags JSON_INDENT(n), JSON_COMPACT,
 * JSON_ESCAPE_SLASH; keys in insertion order; `doc` any value), but with
 * real numbers in the shortest form that reads back as the same double, as
 * `aeromancy metrics` prints them (0.1, not jansson's 0.10000000000000001),
 * still with a '.' or an exponent (3.0). json_dump.c. */
int aeh_json_dump(const json_t *doc, size_t flags, json_dump_callback_t put,
                  void *data);
char *aeh_json_dumps(const json_t *doc, size_t flags);

#endif /* AEH_JSON_OUT_H */
