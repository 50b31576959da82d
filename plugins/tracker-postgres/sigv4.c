/* AWS Signature Version 4 for S3 requests: the canonical request, the
 * string to sign and the derived signing key, as AWS documents them. Pure
 * functions of their inputs (the date is an input), so that a unit test
 * checks them against AWS's published examples. HMAC-SHA256 is built on
 * OpenSSL's SHA256_* (RFC 2104), which plugins/common already links,
 * rather than on EVP, whose provider start-up costs milliseconds.
 */
#include "tp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

static void hmac_sha256(const void *key, size_t key_len, const void *msg,
                        size_t msg_len, unsigned char out[32]) {
  unsigned char block[64] = {0};
  if (key_len > sizeof block)
    aeu_sha256_buf(key, key_len, block); /* no one-shot SHA256(): EVP */
  else
    memcpy(block, key, key_len);
  unsigned char pad[64];
  SHA256_CTX ctx;
  for (size_t i = 0; i < 64; i++)
    pad[i] = block[i] ^ 0x36;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, pad, sizeof pad);
  SHA256_Update(&ctx, msg, msg_len);
  unsigned char inner[32];
  SHA256_Final(inner, &ctx);
  for (size_t i = 0; i < 64; i++)
    pad[i] = block[i] ^ 0x5c;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, pad, sizeof pad);
  SHA256_Update(&ctx, inner, sizeof inner);
  SHA256_Final(out, &ctx);
}

static void hmac_str(const unsigned char key[32], const char *msg,
                     unsigned char out[32]) {
  hmac_sha256(key, 32, msg, strlen(msg), out);
}

char *tp_uri_encode(const char *in, bool keep_slash) {
  size_t len = strlen(in);
  char *out = malloc(3 * len + 1);
  if (out == NULL)
    return NULL;
  char *p = out;
  for (const unsigned char *c = (const unsigned char *)in; *c != '\0'; c++) {
    if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
        (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.' ||
        *c == '~' || (keep_slash && *c == '/')) {
      *p++ = (char)*c;
    } else {
      sprintf(p, "%%%02X", *c);
      p += 3;
    }
  }
  *p = '\0';
  return out;
}

/* SHA-256 of the canonical request, streamed: method, path, query, the
 * headers as "name:value\n", a blank line, the signed header list and the
 * payload hash, one per line. */
static void canonical_hash(const tp_sigv4 *req, const char *signed_headers,
                           char hex[65]) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  const char *parts[] = {req->method, "\n", req->path, "\n", req->query, "\n"};
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
    SHA256_Update(&ctx, parts[i], strlen(parts[i]));
  for (size_t i = 0; i < req->header_count; i++) {
    SHA256_Update(&ctx, req->names[i], strlen(req->names[i]));
    SHA256_Update(&ctx, ":", 1);
    SHA256_Update(&ctx, req->values[i], strlen(req->values[i]));
    SHA256_Update(&ctx, "\n", 1);
  }
  SHA256_Update(&ctx, "\n", 1);
  SHA256_Update(&ctx, signed_headers, strlen(signed_headers));
  SHA256_Update(&ctx, "\n", 1);
  SHA256_Update(&ctx, req->payload_hash, strlen(req->payload_hash));
  unsigned char digest[32];
  SHA256_Final(digest, &ctx);
  pc_sha256_hex(digest, hex);
}

char *tp_sigv4_authorization(const tp_sigv4 *req) {
  /* Every part sized for its input: cut, the header would name another
   * scope or key than the one signed. */
  size_t names_len = 0;
  for (size_t i = 0; i < req->header_count; i++)
    names_len += strlen(req->names[i]) + 1;
  char *signed_headers = malloc(names_len + 1);
  if (signed_headers == NULL)
    return NULL;
  size_t used = 0;
  signed_headers[0] = '\0';
  for (size_t i = 0; i < req->header_count; i++) {
    size_t len = strlen(req->names[i]);
    if (i > 0)
      signed_headers[used++] = ';';
    memcpy(signed_headers + used, req->names[i], len + 1);
    used += len;
  }
  char request_hash[65];
  canonical_hash(req, signed_headers, request_hash);

  char day[9];
  snprintf(day, sizeof day, "%.8s", req->amz_date);
  char *scope =
      pc_strdup_printf("%s/%s/%s/aws4_request", day, req->region, req->service);
  char *to_sign = scope != NULL
                      ? pc_strdup_printf("AWS4-HMAC-SHA256\n%s\n%s\n%s",
                                         req->amz_date, scope, request_hash)
                      : NULL;
  char *secret = pc_strdup_printf("AWS4%s", req->secret_key);
  char *out = NULL;
  if (to_sign != NULL && secret != NULL) {
    /* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, day), region),
     * service), "aws4_request"). */
    unsigned char key[32], next[32];
    hmac_sha256(secret, strlen(secret), day, strlen(day), key);
    hmac_str(key, req->region, next);
    hmac_str(next, req->service, key);
    hmac_str(key, "aws4_request", next);
    unsigned char signature[32];
    hmac_str(next, to_sign, signature);
    char hex[65];
    pc_sha256_hex(signature, hex);
    out = pc_strdup_printf(
        "AWS4-HMAC-SHA256 Credential=%s/%s,SignedHeaders=%s,Signature=%s",
        req->access_key, scope, signed_headers, hex);
  }
  if (secret != NULL) {
    memset(secret, 0, strlen(secret));
    free(secret);
  }
  free(to_sign);
  free(scope);
  free(signed_headers);
  return out;
}
