/* The blob bucket: S3 requests with libcurl, signed with sigv4.c.
 *
 * Blobs are objects <prefix>blobs/aa/bbbb... named by the SHA-256 of their
 * content, so an object that exists with the right size and digest is the
 * right blob and uploading it twice is harmless. A single PUT carries the
 * file's SHA-256 as its signed payload hash (the server rejects a body
 * that does not match it); files of $AEROMANCY_S3_PART_MB (default 64)
 * MiB or more go up in parts, each read from the file by libcurl as it
 * sends, so memory stays flat whatever the size. Every blob is checked
 * with a HEAD (size and x-amz-meta-sha256) before its upload, which is
 * skipped when both match, and after it.
 *
 * Requests are path-style (endpoint/bucket/key), which every S3-compatible
 * server accepts. Failures that may pass (no connection, a reset, a
 * timeout, HTTP 5xx and 429) are retried with exponential backoff for up
 * to $AEROMANCY_S3_RETRY_SECONDS (default 30); others fail at once with one
 * line naming the server and what was asked.
 */
#include "tp.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#define EMPTY_SHA256                                                           \
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define RESPONSE_MAX ((size_t)64 << 10)

struct tp_s3 {
  char *bucket;
  char *prefix;   /* "" or ending in '/' */
  char *endpoint; /* scheme://host[:port], no trailing '/' */
  char *host;     /* host[:port], as signed */
  char *region;
  char *access_key;
  char *secret_key;
  char *token; /* AWS_SESSION_TOKEN, or NULL */
  char name[512];
  CURL *curl;
  double retry_seconds;
  uint64_t part_size;
};

typedef struct s3_req {
  const char *method;
  const char *key;   /* object key (unencoded), or NULL for the bucket */
  const char *query; /* canonical query string, "" for none */
  /* Body: `length` bytes of `fd` from `offset`, or `body`. */
  int fd;
  uint64_t offset, length, sent;
  const char *body;
  size_t body_len;
  const char *payload_hash;
  const char *meta_sha256; /* sent as x-amz-meta-sha256 when not NULL */
  /* Download sink (GET): fd and running hash. */
  int out_fd;
  bool hash_only; /* GET: hash the body, keep nothing */
  SHA256_CTX out_hash;
  uint64_t received;
  int out_errno;
  /* Progress of a large upload: bytes before this request, and in all. */
  const char *label;
  uint64_t progress_base, progress_total;
  /* Response. */
  long code;
  char etag[128];
  char meta[65];
  uint64_t content_length;
  bool has_length;
  char *resp;
  size_t resp_len;
  bool resp_cut; /* the reply was longer than RESPONSE_MAX: resp is cut */
} s3_req;

static char *env_dup(const char *name, const char *fallback) {
  const char *v = getenv(name);
  if (v == NULL || v[0] == '\0')
    v = fallback;
  return v != NULL ? strdup(v) : NULL;
}

void tp_s3_close(tp_s3 *s3) {
  if (s3 == NULL)
    return;
  if (s3->curl != NULL)
    curl_easy_cleanup(s3->curl);
  if (s3->secret_key != NULL)
    memset(s3->secret_key, 0, strlen(s3->secret_key));
  free(s3->bucket);
  free(s3->prefix);
  free(s3->endpoint);
  free(s3->host);
  free(s3->region);
  free(s3->access_key);
  free(s3->secret_key);
  free(s3->token);
  free(s3);
}

const char *tp_s3_name(const tp_s3 *s3) {
  return s3->name;
}

char *tp_s3_text(const tp_s3 *s3) {
  return pc_strdup_printf("S3 server %s (bucket %s)", s3->endpoint, s3->bucket);
}

aero_status tp_s3_open(tp_s3 **out, aero_error *err) {
  const char *blobs = getenv("AEROMANCY_BLOBS");
  if (blobs == NULL || blobs[0] == '\0')
    return aero_fail(err, AERO_E_CONFIG,
                     "tracker-postgres: no blob bucket: set AEROMANCY_BLOBS "
                     "(or [store] blobs) to s3://bucket[/prefix]");
  if (strncmp(blobs, "s3://", 5) != 0 || blobs[5] == '\0' || blobs[5] == '/')
    return aero_fail(err, AERO_E_CONFIG,
                     "tracker-postgres: blob location '%.200s' is not "
                     "s3://bucket[/prefix]",
                     blobs);
  tp_s3 *s3 = calloc(1, sizeof *s3);
  if (s3 == NULL)
    return aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  const char *bucket = blobs + 5;
  const char *slash = strchr(bucket, '/');
  s3->bucket = slash != NULL ? strndup(bucket, (size_t)(slash - bucket))
                             : strdup(bucket);
  const char *prefix = slash != NULL ? slash + 1 : "";
  size_t plen = strlen(prefix);
  while (plen > 0 && prefix[plen - 1] == '/')
    plen--;
  s3->prefix =
      plen > 0 ? pc_strdup_printf("%.*s/", (int)plen, prefix) : strdup("");
  const char *region = getenv("AWS_DEFAULT_REGION");
  s3->region = env_dup(
      "AWS_REGION", region != NULL && region[0] != '\0' ? region : "us-east-1");
  s3->access_key = env_dup("AWS_ACCESS_KEY_ID", NULL);
  s3->secret_key = env_dup("AWS_SECRET_ACCESS_KEY", NULL);
  s3->token = env_dup("AWS_SESSION_TOKEN", NULL);
  char *endpoint = env_dup("AWS_ENDPOINT_URL_S3", NULL);
  if (endpoint == NULL)
    endpoint = env_dup("AWS_ENDPOINT_URL", NULL);
  if (endpoint == NULL && s3->region != NULL)
    endpoint = pc_strdup_printf("https://s3.%s.amazonaws.com", s3->region);
  s3->endpoint = endpoint;
  aero_status status = AERO_OK;
  if (s3->bucket == NULL || s3->prefix == NULL || s3->region == NULL ||
      s3->endpoint == NULL) {
    status = aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
    goto fail;
  }
  size_t elen = strlen(s3->endpoint);
  while (elen > 0 && s3->endpoint[elen - 1] == '/')
    s3->endpoint[--elen] = '\0';
  const char *authority = strstr(s3->endpoint, "://");
  if (authority == NULL || authority[3] == '\0' ||
      strchr(authority + 3, '/') != NULL ||
      strchr(authority + 3, '@') != NULL) {
    status = aero_fail(err, AERO_E_CONFIG,
                       "tracker-postgres: AWS_ENDPOINT_URL must be "
                       "scheme://host[:port] (no path, no user)");
    goto fail;
  }
  s3->host = strdup(authority + 3);
  snprintf(s3->name, sizeof s3->name, "S3 server %s (bucket %s)", s3->endpoint,
           s3->bucket);
  if (s3->access_key == NULL || s3->secret_key == NULL) {
    status = aero_fail(err, AERO_E_CONFIG,
                       "tracker-postgres: set AWS_ACCESS_KEY_ID and "
                       "AWS_SECRET_ACCESS_KEY for %s",
                       s3->name);
    goto fail;
  }
  /* At most a day of retries, and parts of at most 5 GiB, S3's largest. */
  double part_mb = 64;
  status = pc_env_number("tracker-postgres", "AEROMANCY_S3_RETRY_SECONDS", 30,
                         0, 86400, &s3->retry_seconds, err);
  if (status == AERO_OK)
    status = pc_env_number("tracker-postgres", "AEROMANCY_S3_PART_MB", 64, 0,
                           5120, &part_mb, err);
  if (status != AERO_OK)
    goto fail;
  if (part_mb < 5)
    part_mb = 5; /* S3's smallest part but the last */
  s3->part_size = (uint64_t)(part_mb * 1048576.0);
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
      (s3->curl = curl_easy_init()) == NULL) {
    status = aero_fail(err, AERO_E_NOMEM,
                       "tracker-postgres: cannot start "
                       "libcurl");
    goto fail;
  }
  *out = s3;
  return AERO_OK;
fail:
  tp_s3_close(s3);
  return status;
}

/* ---- one request ---- */

static size_t read_body(char *buf, size_t size, size_t n, void *ctx) {
  s3_req *r = ctx;
  uint64_t left = r->length - r->sent;
  size_t want = size * n < left ? size * n : (size_t)left;
  if (want == 0)
    return 0;
  ssize_t got;
  do
    got = pread(r->fd, buf, want, (off_t)(r->offset + r->sent));
  while (got < 0 && errno == EINTR);
  if (got <= 0)
    return CURL_READFUNC_ABORT; /* the file shrank or cannot be read */
  r->sent += (uint64_t)got;
  return (size_t)got;
}

/* libcurl rewinds the body when it resends on a new connection. */
static int seek_body(void *ctx, curl_off_t offset, int origin) {
  s3_req *r = ctx;
  if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > r->length)
    return CURL_SEEKFUNC_CANTSEEK;
  r->sent = (uint64_t)offset;
  return CURL_SEEKFUNC_OK;
}

static size_t write_body(char *buf, size_t size, size_t n, void *ctx) {
  s3_req *r = ctx;
  size_t len = size * n;
  if ((r->out_fd >= 0 || r->hash_only) && r->code / 100 == 2) {
    for (size_t off = 0; r->out_fd >= 0 && off < len;) {
      ssize_t w = write(r->out_fd, buf + off, len - off);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0) {
        r->out_errno = w < 0 ? errno : EIO;
        return 0;
      }
      off += (size_t)w;
    }
    SHA256_Update(&r->out_hash, buf, len);
    r->received += len;
    return len;
  }
  /* Error documents and small XML replies: kept, bounded. */
  size_t room = r->resp_len < RESPONSE_MAX ? RESPONSE_MAX - r->resp_len : 0;
  size_t keep = len < room ? len : room;
  if (keep < len)
    r->resp_cut = true;
  if (keep > 0) {
    char *grown = realloc(r->resp, r->resp_len + keep + 1);
    if (grown == NULL)
      return 0;
    memcpy(grown + r->resp_len, buf, keep);
    r->resp = grown;
    r->resp_len += keep;
    r->resp[r->resp_len] = '\0';
  }
  return len;
}

static void header_value(const char *line, size_t len, const char *name,
                         char *out, size_t size) {
  size_t nlen = strlen(name);
  if (len <= nlen + 1 || strncasecmp(line, name, nlen) != 0 ||
      line[nlen] != ':')
    return;
  const char *v = line + nlen + 1;
  const char *end = line + len;
  while (v < end && (*v == ' ' || *v == '\t'))
    v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
    end--;
  snprintf(out, size, "%.*s", (int)(end - v), v);
}

static size_t read_header(char *buf, size_t size, size_t n, void *ctx) {
  s3_req *r = ctx;
  size_t len = size * n;
  if (len > 5 && strncmp(buf, "HTTP/", 5) == 0) {
    /* A new response (after 100-continue or a redirect): start over. */
    r->etag[0] = r->meta[0] = '\0';
    r->has_length = false;
    const char *sp = memchr(buf, ' ', len);
    r->code = sp != NULL ? strtol(sp + 1, NULL, 10) : 0;
  }
  header_value(buf, len, "etag", r->etag, sizeof r->etag);
  header_value(buf, len, "x-amz-meta-sha256", r->meta, sizeof r->meta);
  char length[32] = "";
  header_value(buf, len, "content-length", length, sizeof length);
  if (length[0] != '\0') {
    r->content_length = strtoull(length, NULL, 10);
    r->has_length = true;
  }
  return len;
}

static int progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow,
                    curl_off_t ultotal, curl_off_t ulnow) {
  (void)dltotal, (void)dlnow, (void)ultotal;
  s3_req *r = ctx;
  static const uint64_t step = (uint64_t)32 << 20;
  uint64_t done = r->progress_base + (uint64_t)ulnow;
  if (done / step != (r->progress_base + r->sent) / step || ulnow == 0)
    pc_progress(r->label, done, r->progress_total);
  return 0;
}

static bool transient_curl(CURLcode rc) {
  switch (rc) {
  case CURLE_COULDNT_CONNECT:
  case CURLE_OPERATION_TIMEDOUT:
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_PARTIAL_FILE:
  case CURLE_SEND_FAIL_REWIND:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
    return true;
  default:
    return false;
  }
}

static void amz_now(char out[17]) {
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* Appends header line `line` (malloc'd; NULL when it could not be made)
 * to *headers, then wipes and frees it: it may hold the token or the
 * signature. False when the line is not in the list. */
static bool append_header(struct curl_slist **headers, char *line) {
  if (line == NULL)
    return false;
  struct curl_slist *grown = curl_slist_append(*headers, line);
  memset(line, 0, strlen(line));
  free(line);
  if (grown == NULL)
    return false;
  *headers = grown;
  return true;
}

/* Sets `c` up for `r` on `path`, signed now; the caller frees *headers
 * and *url once the transfer is over. */
static CURLcode setup(tp_s3 *s3, CURL *c, s3_req *r, const char *path,
                      struct curl_slist **headers_out, char **url_out) {
  char date[17];
  amz_now(date);
  const char *names[5], *values[5];
  size_t n = 0;
  names[n] = "host", values[n++] = s3->host;
  names[n] = "x-amz-content-sha256", values[n++] = r->payload_hash;
  names[n] = "x-amz-date", values[n++] = date;
  if (r->meta_sha256 != NULL)
    names[n] = "x-amz-meta-sha256", values[n++] = r->meta_sha256;
  if (s3->token != NULL)
    names[n] = "x-amz-security-token", values[n++] = s3->token;
  tp_sigv4 sig = {.method = r->method,
                  .path = path,
                  .query = r->query,
                  .names = names,
                  .values = values,
                  .header_count = n,
                  .payload_hash = r->payload_hash,
                  .amz_date = date,
                  .region = s3->region,
                  .service = "s3",
                  .access_key = s3->access_key,
                  .secret_key = s3->secret_key};
  /* Each line sized for its value: a session token of STS is often longer
   * than 1 KiB, and a line cut to a fixed buffer sent a token other than
   * the one signed (the server's 403 named neither). */
  char *auth = tp_sigv4_authorization(&sig);
  struct curl_slist *headers = NULL;
  bool whole = auth != NULL;
  for (size_t i = 0; whole && i < n; i++)
    whole = append_header(&headers,
                          pc_strdup_printf("%s: %s", names[i], values[i]));
  whole = whole &&
          append_header(&headers, pc_strdup_printf("Authorization: %s", auth));
  /* Empty values: curl adds none of its own (Expect: 100-continue before an
   * upload, a form's Content-Type on a POST). */
  whole = whole && append_header(&headers, strdup("Expect:"));
  whole = whole && append_header(&headers, strdup("Content-Type:"));
  if (auth != NULL) {
    memset(auth, 0, strlen(auth));
    free(auth);
  }
  if (!whole) {
    curl_slist_free_all(headers);
    headers = NULL;
  }

  char *url = pc_strdup_printf("%s%s%s%s", s3->endpoint, path,
                               r->query[0] != '\0' ? "?" : "", r->query);
  *headers_out = headers;
  *url_out = url;
  if (url == NULL || headers == NULL)
    return CURLE_OUT_OF_MEMORY;
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
  /* A server that stops answering mid-transfer counts as gone. */
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, read_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
  if (strcmp(r->method, "HEAD") == 0) {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (r->fd >= 0) {
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_body);
    curl_easy_setopt(c, CURLOPT_READDATA, r);
    curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, seek_body);
    curl_easy_setopt(c, CURLOPT_SEEKDATA, r);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->length);
    curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
    if (r->label != NULL) {
      curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
      curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress);
      curl_easy_setopt(c, CURLOPT_XFERINFODATA, r);
    }
  } else if (strcmp(r->method, "POST") == 0) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body != NULL ? r->body : "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
  } else if (strcmp(r->method, "GET") != 0) {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
  }
  if (strcmp(r->method, "GET") == 0)
    curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 512L * 1024);
  return CURLE_OK;
}

static CURLcode perform_once(tp_s3 *s3, s3_req *r, const char *path) {
  CURL *c = s3->curl;
  curl_easy_reset(c);
  struct curl_slist *headers = NULL;
  char *url = NULL;
  CURLcode rc = setup(s3, c, r, path, &headers, &url);
  if (rc == CURLE_OK)
    rc = curl_easy_perform(c);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  if (code != 0)
    r->code = code;
  curl_slist_free_all(headers);
  free(url);
  return rc;
}

/* Runs `r`, retrying what may pass. Fails with one line naming the
 * server unless the reply is 2xx, or 404 when `allow_404`. */
/* The request's path, "/bucket/key" (key URI-encoded), malloc'd. */
static char *request_path(const tp_s3 *s3, const s3_req *r) {
  char *key = r->key != NULL ? tp_uri_encode(r->key, true) : NULL;
  char *path =
      r->key != NULL && key != NULL
          ? pc_strdup_printf("/%s/%s", s3->bucket, key)
          : (r->key == NULL ? pc_strdup_printf("/%s", s3->bucket) : NULL);
  free(key);
  return path;
}

static aero_status perform(tp_s3 *s3, s3_req *r, const char *what,
                           bool allow_404, aero_error *err) {
  char *path = request_path(s3, r);
  if (path == NULL)
    return aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  aero_status status = AERO_OK;
  double delay = 0.1;
  for (int attempt = 1;; attempt++) {
    r->sent = 0;
    r->code = 0;
    r->received = 0;
    r->out_errno = 0;
    free(r->resp);
    r->resp = NULL;
    r->resp_len = 0;
    r->resp_cut = false;
    if (r->out_fd >= 0 || r->hash_only) {
      if (r->out_fd >= 0 && (ftruncate(r->out_fd, 0) != 0 ||
                             lseek(r->out_fd, 0, SEEK_SET) != 0)) {
        status = aero_fail(err, AERO_E_IO, "cannot reset a download: %s",
                           strerror(errno));
        break;
      }
      SHA256_Init(&r->out_hash);
    }
    CURLcode rc = perform_once(s3, r, path);
    bool transient = false, no_bucket = false;
    char detail[256];
    if (rc == CURLE_OK && r->out_errno != 0) {
      status = aero_fail(err, pc_errno_status(r->out_errno, AERO_E_IO),
                         "%s: %s: cannot write the download: %s", s3->name,
                         what, strerror(r->out_errno));
      break;
    }
    if (rc == CURLE_ABORTED_BY_CALLBACK && r->fd >= 0) {
      status = aero_fail(err, AERO_E_IO,
                         "%s: %s: the file being uploaded changed or could "
                         "not be read",
                         s3->name, what);
      break;
    }
    if (rc != CURLE_OK) {
      transient = transient_curl(rc);
      snprintf(detail, sizeof detail, "%s", curl_easy_strerror(rc));
    } else if (r->code / 100 == 2 || (allow_404 && r->code == 404)) {
      status = AERO_OK;
      break;
    } else {
      transient = r->code >= 500 || r->code == 429 || r->code == 408;
      char code[80];
      tp_s3_error_code(r->resp, code, sizeof code);
      /* Not an object missing: the bucket itself, so nothing can be kept
       * there (a store failure, exit 2), not a blob to report missing. */
      no_bucket = strstr(code, "NoSuchBucket") != NULL;
      if (code[0] == '\0' && r->code == 403) /* a HEAD has no body */
        snprintf(code, sizeof code,
                 " (access denied: check "
                 "AWS_ACCESS_KEY_ID and "
                 "AWS_SECRET_ACCESS_KEY)");
      snprintf(detail, sizeof detail, "HTTP %ld%s", r->code, code);
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    double waited = (double)(now.tv_sec - start.tv_sec) +
                    (double)(now.tv_nsec - start.tv_nsec) / 1e9;
    if (!transient || waited + delay > s3->retry_seconds) {
      status = aero_fail(err,
                         r->code == 404 && !no_bucket ? AERO_E_NOT_FOUND
                                                      : AERO_E_STORE,
                         "%s: %s: %s%s", s3->name, what, detail,
                         attempt > 1 ? " (gave up retrying)" : "");
      break;
    }
    struct timespec pause = {(time_t)delay,
                             (long)((delay - (double)(time_t)delay) * 1e9)};
    nanosleep(&pause, NULL);
    delay = delay * 2 < 2.0 ? delay * 2 : 2.0;
  }
  free(path);
  return status;
}

static void req_init(s3_req *r, const char *method, const char *key,
                     const char *query) {
  memset(r, 0, sizeof *r);
  r->method = method;
  r->key = key;
  r->query = query;
  r->fd = -1;
  r->out_fd = -1;
  r->payload_hash = EMPTY_SHA256;
}

static char *blob_key(const tp_s3 *s3, const char *hex) {
  return pc_strdup_printf("%sblobs/%.2s/%s", s3->prefix, hex, hex + 2);
}

/* Whether the HEAD `r` of blob `hex` found it whole: of its size and put
 * there by an upload of ours (below). */
static bool blob_whole(const s3_req *r, const char *hex, uint64_t size) {
  return r->code == 200 && r->has_length && r->content_length == size &&
         strcmp(r->meta, hex) == 0;
}

aero_status tp_s3_has_blob(tp_s3 *s3, const char *hex, uint64_t size,
                           bool *present, aero_error *err) {
  char *key = blob_key(s3, hex);
  if (key == NULL)
    return aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  s3_req r;
  req_init(&r, "HEAD", key, "");
  char what[128];
  snprintf(what, sizeof what, "looking up blob %.16s", hex);
  aero_status status = perform(s3, &r, what, true, err);
  /* Present only when whole and put there by an upload of ours: every
   * upload carries the blob's SHA-256 as x-amz-meta-sha256, and any PUT
   * replaces an object's metadata with its content. An object of the right
   * size without it (or with another digest) was written by someone else
   * and may hold other bytes: it is uploaded again, which costs what the
   * upload costs, never a download. */
  *present = status == AERO_OK && blob_whole(&r, hex, size);
  free(r.resp);
  free(key);
  return status;
}

/* ---- many HEADs at once ---- */

/* HEADs in flight at most: a streak's checks overlap their round trips
 * without opening a connection per blob. */
#define HEADS_AT_ONCE 16

typedef struct head_slot {
  CURL *curl;
  s3_req r;
  size_t index; /* into the caller's blobs */
  char *key, *path, *url;
  struct curl_slist *headers;
} head_slot;

static void head_done(head_slot *h) {
  curl_slist_free_all(h->headers);
  free(h->url);
  free(h->path);
  free(h->key);
  free(h->r.resp);
  h->headers = NULL;
  h->url = h->path = h->key = h->r.resp = NULL;
}

/* Starts the HEAD of blob `i` on slot `h`; false when it could not be
 * set up (then asked alone). */
static bool head_start(tp_s3 *s3, CURLM *multi, head_slot *h, size_t i,
                       const char *hex) {
  h->index = i;
  h->key = blob_key(s3, hex);
  if (h->key == NULL)
    return false;
  req_init(&h->r, "HEAD", h->key, "");
  h->path = request_path(s3, &h->r);
  curl_easy_reset(h->curl);
  if (h->path == NULL ||
      setup(s3, h->curl, &h->r, h->path, &h->headers, &h->url) != CURLE_OK ||
      curl_easy_setopt(h->curl, CURLOPT_PRIVATE, (char *)h) != CURLE_OK ||
      curl_multi_add_handle(multi, h->curl) != CURLM_OK) {
    head_done(h);
    return false;
  }
  return true;
}

aero_status tp_s3_has_blobs(tp_s3 *s3, const char *const *hexes,
                            const uint64_t *sizes, size_t count, bool *present,
                            aero_error *err) {
  /* Each blob not answered 200 or 404 at once (a transfer failed, 5xx,
   * 403...) is asked again alone, with tp_s3_has_blob's retries and its
   * one-line error. */
  bool *again = calloc(count > 0 ? count : 1, sizeof *again);
  CURLM *multi = count > 1 ? curl_multi_init() : NULL;
  head_slot slots[HEADS_AT_ONCE];
  size_t slot_count = 0;
  for (; multi != NULL && slot_count < HEADS_AT_ONCE && slot_count < count;
       slot_count++)
    if ((slots[slot_count] = (head_slot){.curl = curl_easy_init()}).curl ==
        NULL)
      break;
  bool batched = again != NULL && multi != NULL && slot_count > 0;
  for (size_t i = 0; i < count; i++) {
    present[i] = false;
    if (again != NULL)
      again[i] = !batched;
  }
  head_slot *idle[HEADS_AT_ONCE];
  size_t idle_count = 0, next = 0, active = 0;
  for (size_t k = 0; batched && k < slot_count; k++)
    idle[idle_count++] = &slots[k];
  while (batched && (next < count || active > 0)) {
    while (idle_count > 0 && next < count) {
      head_slot *h = idle[--idle_count];
      if (head_start(s3, multi, h, next, hexes[next]))
        active++;
      else
        again[next] = true, idle[idle_count++] = h;
      next++;
    }
    int running = 0;
    if (curl_multi_perform(multi, &running) != CURLM_OK ||
        (running > 0 &&
         curl_multi_poll(multi, NULL, 0, 1000, NULL) != CURLM_OK)) {
      batched = false; /* what is left is asked alone */
      break;
    }
    CURLMsg *msg;
    int queued = 0;
    while ((msg = curl_multi_info_read(multi, &queued)) != NULL) {
      if (msg->msg != CURLMSG_DONE)
        continue;
      char *private = NULL;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &private);
      head_slot *h = (head_slot *)(void *)private;
      long code = 0;
      curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &code);
      h->r.code = code != 0 ? code : h->r.code;
      bool answered = msg->data.result == CURLE_OK &&
                      (h->r.code == 200 || h->r.code == 404);
      if (answered)
        present[h->index] = blob_whole(&h->r, hexes[h->index], sizes[h->index]);
      else
        again[h->index] = true;
      curl_multi_remove_handle(multi, h->curl);
      head_done(h);
      active--;
      idle[idle_count++] = h;
    }
  }
  for (size_t k = 0; k < slot_count; k++) {
    if (multi != NULL && slots[k].url != NULL) { /* left in flight */
      curl_multi_remove_handle(multi, slots[k].curl);
      again[slots[k].index] = true;
      head_done(&slots[k]);
    }
    curl_easy_cleanup(slots[k].curl);
  }
  if (!batched && again != NULL)
    for (size_t i = next; i < count; i++)
      again[i] = true;
  if (multi != NULL)
    curl_multi_cleanup(multi);
  aero_status status = AERO_OK;
  for (size_t i = 0; i < count && status == AERO_OK; i++)
    if (again == NULL || again[i])
      status = tp_s3_has_blob(s3, hexes[i], sizes[i], &present[i], err);
  free(again);
  return status;
}

/* Checks that blob `hex` is whole in the bucket right after its upload.
 * S3 answers a read after a write with what was written; a compatible
 * server may take a moment (s3rver answers a small PUT before its file is
 * written: a HEAD right after it saw a short or missing object about once
 * in a few thousand uploads here, and failed a run that had stored its
 * blob). So a blob not seen whole is asked for again, for up to
 * VERIFY_SETTLE_S (the retry budget, AEROMANCY_S3_RETRY_SECONDS, if
 * smaller), before the upload counts as failed: on S3 itself the first
 * answer holds and this costs nothing. */
#define VERIFY_SETTLE_S 2.0

static aero_status verify(tp_s3 *s3, const char *hex, uint64_t size,
                          aero_error *err) {
  double budget =
      s3->retry_seconds < VERIFY_SETTLE_S ? s3->retry_seconds : VERIFY_SETTLE_S;
  double waited = 0, delay = 0.02;
  int checks = 0;
  for (;;) {
    bool present = false;
    aero_status status = tp_s3_has_blob(s3, hex, size, &present, err);
    checks++;
    if (status != AERO_OK || present)
      return status;
    if (waited + delay > budget)
      break;
    struct timespec pause = {0, (long)(delay * 1e9)};
    nanosleep(&pause, NULL);
    waited += delay;
    delay = delay * 2 < 0.5 ? delay * 2 : 0.5;
  }
  return aero_fail(err, AERO_E_STORE,
                   "%s: blob %.16s... is not complete in the bucket after "
                   "its upload (%d checks over %.1f s)",
                   s3->name, hex, checks, waited);
}

static aero_status put_parts(tp_s3 *s3, const char *key, const char *hex,
                             int fd, uint64_t size, const char *label,
                             aero_error *err) {
  s3_req r;
  req_init(&r, "POST", key, "uploads=");
  r.meta_sha256 = hex;
  aero_status status =
      perform(s3, &r, "starting a multipart upload", false, err);
  char *upload_id =
      status == AERO_OK ? tp_s3_xml_text(r.resp, "UploadId") : NULL;
  free(r.resp);
  if (status != AERO_OK)
    return status;
  if (upload_id == NULL)
    return aero_fail(err, AERO_E_STORE,
                     "%s: starting a multipart upload: no UploadId in the "
                     "reply",
                     s3->name);
  char *encoded_id = tp_uri_encode(upload_id, false);
  size_t parts = (size_t)((size + s3->part_size - 1) / s3->part_size);
  /* Each part: <Part><PartNumber>N</PartNumber><ETag>...</ETag></Part>. */
  size_t cap = 64 + parts * 200, len = 0;
  char *done = malloc(cap);
  if (encoded_id == NULL || done == NULL) {
    status = aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
    goto abort;
  }
  len += (size_t)snprintf(done, cap, "<CompleteMultipartUpload>");
  pc_progress(label, 0, size);
  for (size_t i = 0; i < parts; i++) {
    char query[512];
    /* Canonical order: partNumber sorts before uploadId. */
    snprintf(query, sizeof query, "partNumber=%zu&uploadId=%s", i + 1,
             encoded_id);
    req_init(&r, "PUT", key, query);
    r.fd = fd;
    r.offset = (uint64_t)i * s3->part_size;
    r.length =
        size - r.offset < s3->part_size ? size - r.offset : s3->part_size;
    r.payload_hash = "UNSIGNED-PAYLOAD";
    r.label = label;
    r.progress_base = r.offset;
    r.progress_total = size;
    char what[64];
    snprintf(what, sizeof what, "uploading part %zu of %zu", i + 1, parts);
    status = perform(s3, &r, what, false, err);
    free(r.resp);
    if (status == AERO_OK && r.etag[0] == '\0')
      status = aero_fail(err, AERO_E_STORE, "%s: %s: no ETag in the reply",
                         s3->name, what);
    if (status != AERO_OK)
      goto abort;
    len += (size_t)snprintf(done + len, cap - len,
                            "<Part><PartNumber>%zu</PartNumber><ETag>%s</ETag>"
                            "</Part>",
                            i + 1, r.etag);
  }
  len += (size_t)snprintf(done + len, cap - len, "</CompleteMultipartUpload>");
  pc_progress(label, size, size);
  char query[512];
  snprintf(query, sizeof query, "uploadId=%s", encoded_id);
  char body_hash[65];
  pc_sha256_buf(done, len, body_hash);
  req_init(&r, "POST", key, query);
  r.body = done;
  r.body_len = len;
  r.payload_hash = body_hash;
  status = perform(s3, &r, "completing a multipart upload", false, err);
  /* S3 may answer 200 with an error document. */
  if (status == AERO_OK && r.resp != NULL && strstr(r.resp, "<Error>") != NULL)
    status = aero_fail(err, AERO_E_STORE,
                       "%s: completing a multipart upload failed", s3->name);
  free(r.resp);
  if (status != AERO_OK)
    goto abort;
  free(done);
  free(encoded_id);
  free(upload_id);
  return AERO_OK;
abort:
  if (encoded_id != NULL) {
    /* Best effort: the server would otherwise keep the parts. */
    char abort_query[512];
    snprintf(abort_query, sizeof abort_query, "uploadId=%s", encoded_id);
    req_init(&r, "DELETE", key, abort_query);
    double keep = s3->retry_seconds;
    s3->retry_seconds = 0;
    perform(s3, &r, "aborting a multipart upload", true, NULL);
    s3->retry_seconds = keep;
    free(r.resp);
  }
  free(done);
  free(encoded_id);
  free(upload_id);
  return status;
}

aero_status tp_s3_put_blob(tp_s3 *s3, const char *hex, int fd, uint64_t size,
                           const char *label, aero_error *err) {
  char *key = blob_key(s3, hex);
  if (key == NULL)
    return aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  aero_status status;
  if (size >= s3->part_size) {
    status = put_parts(s3, key, hex, fd, size, label, err);
  } else {
    s3_req r;
    req_init(&r, "PUT", key, "");
    r.fd = fd;
    r.length = size;
    r.payload_hash = hex; /* the blob's name is its body's SHA-256 */
    r.meta_sha256 = hex;
    char what[128];
    snprintf(what, sizeof what, "uploading blob %.16s", hex);
    status = perform(s3, &r, what, false, err);
    free(r.resp);
  }
  if (status == AERO_OK)
    status = verify(s3, hex, size, err);
  free(key);
  return status;
}

/* GETs blob `hex` into `fd` (or, when fd < 0, only hashes it as it streams
 * past): *found false on 404, else its SHA-256 in `digest_hex` and size. */
static aero_status get_hashed(tp_s3 *s3, const char *hex, int fd,
                              const char *verb, bool *found,
                              char digest_hex[65], uint64_t *bytes,
                              aero_error *err) {
  *found = false;
  *bytes = 0;
  digest_hex[0] = '\0';
  char *key = blob_key(s3, hex);
  if (key == NULL)
    return aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  s3_req r;
  req_init(&r, "GET", key, "");
  if (fd < 0)
    r.hash_only = true;
  else
    r.out_fd = fd;
  char what[128];
  snprintf(what, sizeof what, "%s blob %.16s", verb, hex);
  aero_status status = perform(s3, &r, what, true, err);
  *found = status == AERO_OK && r.code != 404;
  *bytes = r.received;
  if (*found) {
    unsigned char digest[32];
    SHA256_Final(digest, &r.out_hash);
    pc_sha256_hex(digest, digest_hex);
  }
  free(r.resp);
  free(key);
  return status;
}

aero_status tp_s3_get_blob(tp_s3 *s3, const char *hex, int fd,
                           aero_error *err) {
  bool found;
  char got[65];
  uint64_t bytes;
  aero_status status =
      get_hashed(s3, hex, fd, "downloading", &found, got, &bytes, err);
  if (status == AERO_OK && !found)
    status = aero_fail(err, AERO_E_NOT_FOUND,
                       "%s: blob %.16s... is missing from the bucket "
                       "(deleted from outside?)",
                       s3->name, hex);
  if (status == AERO_OK && strcmp(got, hex) != 0)
    status = aero_fail(err, AERO_E_STORE,
                       "%s: blob %.16s... in the bucket is damaged (its "
                       "SHA-256 is %.16s...)",
                       s3->name, hex, got);
  return status;
}

aero_status tp_s3_hash_blob(tp_s3 *s3, const char *hex, bool *found,
                            char digest_hex[65], uint64_t *bytes,
                            aero_error *err) {
  return get_hashed(s3, hex, -1, "re-hashing", found, digest_hex, bytes, err);
}

aero_status tp_s3_delete_blob(tp_s3 *s3, const char *hex, aero_error *err) {
  char *key = blob_key(s3, hex);
  if (key == NULL)
    return aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  s3_req r;
  req_init(&r, "DELETE", key, "");
  char what[128];
  snprintf(what, sizeof what, "deleting blob %.16s", hex);
  aero_status status = perform(s3, &r, what, true, err);
  free(r.resp);
  free(key);
  return status;
}

aero_status tp_s3_list_blobs(tp_s3 *s3, tp_s3_blob_fn each, void *ctx,
                             aero_error *err) {
  char *prefix = pc_strdup_printf("%sblobs/", s3->prefix);
  char *enc_prefix = prefix != NULL ? tp_uri_encode(prefix, false) : NULL;
  free(prefix);
  if (enc_prefix == NULL)
    return aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  char *token = NULL; /* the continuation token, URI-encoded */
  char *sent = NULL;  /* the token of the page just asked for */
  aero_status status = AERO_OK;
  do {
    /* Pages of 100 keep a reply well under RESPONSE_MAX. */
    char *query =
        token != NULL
            ? pc_strdup_printf("continuation-token=%s&list-type=2&max-keys="
                               "100&prefix=%s",
                               token, enc_prefix)
            : pc_strdup_printf("list-type=2&max-keys=100&prefix=%s",
                               enc_prefix);
    free(sent);
    sent = token;
    token = NULL;
    if (query == NULL) {
      status = aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
      break;
    }
    s3_req r;
    req_init(&r, "GET", NULL, query);
    status = perform(s3, &r, "listing the blobs", false, err);
    free(query);
    /* Read cut, the page would lose its last keys without a word: fsck
     * then called their blobs missing. */
    if (status == AERO_OK && r.resp_cut)
      status = aero_fail(err, AERO_E_STORE,
                         "%s: listing the blobs: a reply of more than %zu "
                         "KiB for a page of 100 keys",
                         s3->name, RESPONSE_MAX >> 10);
    char *next = NULL;
    if (status == AERO_OK)
      status =
          tp_s3_list_page(r.resp, s3->name, s3->prefix, each, ctx, &next, err);
    if (next != NULL) {
      token = tp_uri_encode(next, false);
      if (token == NULL)
        status =
            aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
      /* A server that hands back the token it was given would be asked
       * for the same page for ever. */
      else if (sent != NULL && strcmp(token, sent) == 0)
        status = aero_fail(err, AERO_E_STORE,
                           "%s: listing the blobs: the server answered a "
                           "page with its own continuation token again",
                           s3->name);
    }
    free(next);
    free(r.resp);
  } while (status == AERO_OK && token != NULL);
  free(sent);
  free(token);
  free(enc_prefix);
  return status;
}
