/* tracker-postgres: what an S3 server answers in XML (s3.c asks).
 *
 * The replies come from a server the store does not control (or from
 * anything between it and us): listing pages, continuation tokens,
 * multipart upload ids, error documents. Reading them needs no curl
 * handle, so that they can be fuzzed on their own
 * (tests/fuzz/fuzz_s3_xml.c). A reply is NUL-terminated text as s3.c
 * keeps it (at most 64 KiB; a NUL inside ends it).
 */
#ifndef TP_S3_XML_H
#define TP_S3_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <aeromancy/aeromancy.h>

/* The blob objects the bucket lists: `hex` names the blob (its SHA-256),
 * `size` is the object's size in bytes. */
typedef aero_status (*tp_s3_blob_fn)(void *ctx, const char *hex, uint64_t size,
                                     aero_error *err);

/* The text between the first <tag> and the </tag> after it in `xml`,
 * with XML's entities and character references replaced by what they
 * stand for ("p&amp;q" is "p&q"), malloc'd; NULL when there is none (or
 * no memory). */
char *tp_s3_xml_text(const char *xml, const char *tag);

/* The error code of an S3 error document as " (Code)", e.g.
 * " (NoSuchBucket)", for a message; "" when `xml` holds none. */
void tp_s3_error_code(const char *xml, char *out, size_t size);

/* The blob an object key names: <prefix>blobs/aa/bbbb... under `prefix`
 * ("" or ending in '/'), its 64 hex digits in `hex`; false for any other
 * key. */
bool tp_s3_key_blob(const char *prefix, const char *key, char hex[65]);

/* Reads one page of a ListObjectsV2 reply for the objects under
 * <prefix>blobs/: calls `each` for every blob object on it, in the page's
 * order, then sets *next to the token of the next page (malloc'd, the
 * token itself, unescaped) when the reply says it is truncated, NULL when
 * it is the last page. `name` names the bucket in messages. */
aero_status tp_s3_list_page(const char *xml, const char *name,
                            const char *prefix, tp_s3_blob_fn each, void *ctx,
                            char **next, aero_error *err);

#endif /* TP_S3_XML_H */
