/* AWS Signature Version 4 (sigv4.c) against the examples AWS publishes in
 * its S3 API reference ("Signature Calculations for the Authorization
 * Header"): the example credentials, bucket and date, and the signatures
 * AWS gives for them. s3rver does not check signatures, so these are what
 * shows the signing right. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tp.h"

/* The host table, which the plugin's entry would set; unused here. */
const aero_host_api *aero_api;

#define ACCESS "AKIAIOSFODNN7EXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define HOST "examplebucket.s3.amazonaws.com"
#define DATE "20130524T000000Z"

static void sign(const char *method, const char *path, const char *query,
                 const char *const *names, const char *const *values,
                 size_t count, const char *payload, char *out, size_t size) {
  tp_sigv4 req = {.method = method,
                  .path = path,
                  .query = query,
                  .names = names,
                  .values = values,
                  .header_count = count,
                  .payload_hash = payload,
                  .amz_date = DATE,
                  .region = "us-east-1",
                  .service = "s3",
                  .access_key = ACCESS,
                  .secret_key = SECRET};
  char *auth = tp_sigv4_authorization(&req);
  assert_non_null(auth);
  snprintf(out, size, "%s", auth);
  free(auth);
}

static void get_object_with_range(void **state) {
  (void)state;
  const char *names[] = {"host", "range", "x-amz-content-sha256", "x-amz-date"};
  const char *values[] = {HOST, "bytes=0-9", EMPTY, DATE};
  char auth[512];
  sign("GET", "/test.txt", "", names, values, 4, EMPTY, auth, sizeof auth);
  assert_string_equal(
      auth, "AWS4-HMAC-SHA256 "
            "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
            "aws4_request,SignedHeaders=host;range;x-amz-content-sha256;"
            "x-amz-date,Signature="
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb4"
            "1");
}

static void put_object(void **state) {
  (void)state;
  char payload[65];
  const char *body = "Welcome to Amazon S3.";
  pc_sha256_buf(body, strlen(body), payload);
  assert_string_equal(
      payload,
      "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  char *path = tp_uri_encode("/test$file.text", true);
  assert_string_equal(path, "/test%24file.text");
  const char *names[] = {"date", "host", "x-amz-content-sha256", "x-amz-date",
                         "x-amz-storage-class"};
  const char *values[] = {"Fri, 24 May 2013 00:00:00 GMT", HOST, payload, DATE,
                          "REDUCED_REDUNDANCY"};
  char auth[512];
  sign("PUT", path, "", names, values, 5, payload, auth, sizeof auth);
  free(path);
  assert_non_null(strstr(auth, "SignedHeaders=date;host;x-amz-content-sha256;"
                               "x-amz-date;x-amz-storage-class,"));
  assert_non_null(strstr(auth, "Signature=98ad721746da40c64f1a55b78f14c238d8"
                               "41ea1380cd77a1b5971af0ece108bd"));
}

static void get_bucket_lifecycle(void **state) {
  (void)state;
  const char *names[] = {"host", "x-amz-content-sha256", "x-amz-date"};
  const char *values[] = {HOST, EMPTY, DATE};
  char auth[512];
  sign("GET", "/", "lifecycle=", names, values, 3, EMPTY, auth, sizeof auth);
  assert_non_null(strstr(auth, "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0"
                               "d65c699e0f91ac7a200a0136783543"));
}

static void list_objects(void **state) {
  (void)state;
  const char *names[] = {"host", "x-amz-content-sha256", "x-amz-date"};
  const char *values[] = {HOST, EMPTY, DATE};
  char auth[512];
  sign("GET", "/", "max-keys=2&prefix=J", names, values, 3, EMPTY, auth,
       sizeof auth);
  assert_non_null(strstr(auth, "Signature=34b48302e7b5fa45bde8084f4b7868a86f"
                               "0a534bc59db6670ed5711ef69dc6f7"));
}

/* A 300-byte key id, a 200-byte region and a 2,000-byte session token
 * (STS's are often over 1 KiB): the header names them whole, signed as
 * Python's hmac signs them (checked against the examples above first).
 * Cut to fixed buffers, the header named a scope other than the one
 * signed. */
static void long_parts_signed_whole(void **state) {
  (void)state;
  char access[301], region[201], token[2001];
  memset(access, 'Y', sizeof access - 1);
  memcpy(access, "AK", 2);
  access[sizeof access - 1] = '\0';
  memset(region, 'r', sizeof region - 1);
  region[sizeof region - 1] = '\0';
  memset(token, 'T', sizeof token - 1);
  token[sizeof token - 1] = '\0';
  const char *names[] = {"host", "x-amz-content-sha256", "x-amz-date",
                         "x-amz-security-token"};
  const char *values[] = {HOST, EMPTY, DATE, token};
  tp_sigv4 req = {.method = "GET",
                  .path = "/test.txt",
                  .query = "",
                  .names = names,
                  .values = values,
                  .header_count = 4,
                  .payload_hash = EMPTY,
                  .amz_date = DATE,
                  .region = region,
                  .service = "s3",
                  .access_key = access,
                  .secret_key = SECRET};
  char *auth = tp_sigv4_authorization(&req);
  assert_non_null(auth);
  char want[1024];
  snprintf(want, sizeof want,
           "AWS4-HMAC-SHA256 Credential=%s/20130524/%s/s3/aws4_request,"
           "SignedHeaders=host;x-amz-content-sha256;x-amz-date;"
           "x-amz-security-token,Signature=cca38a143e4d2772ba1be735af4935fa7"
           "33e83c00b7c4023605ee9c8e7c6c1a1",
           access, region);
  assert_string_equal(auth, want);
  free(auth);
}

static void uri_encoding(void **state) {
  (void)state;
  char *a = tp_uri_encode("a b/c~d_e.f-g+h=", false);
  assert_string_equal(a, "a%20b%2Fc~d_e.f-g%2Bh%3D");
  free(a);
  char *b = tp_uri_encode("blobs/ab/cd", true);
  assert_string_equal(b, "blobs/ab/cd");
  free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(get_object_with_range),
      cmocka_unit_test(put_object),
      cmocka_unit_test(get_bucket_lifecycle),
      cmocka_unit_test(list_objects),
      cmocka_unit_test(uri_encoding),
      cmocka_unit_test(long_parts_signed_whole),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
