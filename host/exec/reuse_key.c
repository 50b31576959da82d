#include "reuse_key.h"
#include "aeu.h"

/* SHA256_*, not EVP: see loader.c (no provider tables to initialise). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
  PART_CODE,
  PART_BUILDER,
  PART_CONFIG,
  PART_INPUTS,
  PART_OUTPUTS,
  PART_MODE,
  PART_COUNT
};

static const char *const part_names[PART_COUNT] = {
    "code", "builder", "config", "inputs", "outputs", "mode"};

/* Each field is followed by a NUL, so that ("ab", "c") and ("a", "bc")
 * hash differently. */
static void field(SHA256_CTX *ctx, const char *s) {
  SHA256_Update(ctx, s != NULL ? s : "", (s != NULL ? strlen(s) : 0) + 1);
}

/* `v` in decimal, as "%" PRId64 writes it, without printf's machinery
 * (two per input of every reused action). */
static void field_i64(SHA256_CTX *ctx, int64_t v) {
  char buf[24];
  char *p = buf + sizeof buf;
  *--p = '\0';
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  do
    *--p = (char)('0' + u % 10);
  while ((u /= 10) != 0);
  if (v < 0)
    *--p = '-';
  field(ctx, p);
}

static const char *env_value(const aeh_session *session, const char *key) {
  for (size_t i = 0; i < session->environment_count; i++) {
    const aero_kv *kv = &session->environment[i];
    if (strcmp(kv->key, key) == 0 && kv->value.type == AERO_VALUE_STRING)
      return kv->value.as.s;
  }
  return NULL;
}

static int by_key(const void *a, const void *b) {
  const aero_kv *x = *(const aero_kv *const *)a;
  const aero_kv *y = *(const aero_kv *const *)b;
  return strcmp(x->key, y->key);
}

/* One config entry: its key, then its type and value. */
static void hash_entry(SHA256_CTX *ctx, const aero_kv *kv) {
  const aero_value *v = &kv->value;
  char buf[64];
  field(ctx, kv->key);
  switch (v->type) {
  case AERO_VALUE_BOOL:
    field(ctx, v->as.b ? "b:true" : "b:false");
    break;
  case AERO_VALUE_INT:
    snprintf(buf, sizeof buf, "i:%" PRId64, v->as.i);
    field(ctx, buf);
    break;
  case AERO_VALUE_DOUBLE:
    /* %a: exact, so that 0.1 and 0.10000000000000001 stay one value */
    snprintf(buf, sizeof buf, "d:%a", v->as.d);
    field(ctx, buf);
    break;
  default:
    field(ctx, "s:");
    field(ctx, v->as.s);
    break;
  }
}

/* Config entries sorted in place up to this many (no allocation). */
#define SORT_ON_STACK 64

static void hash_config(SHA256_CTX *ctx, const aeh_action *a) {
  const aero_kv *on_stack[SORT_ON_STACK];
  const aero_kv **sorted =
      a->config_count <= SORT_ON_STACK
          ? on_stack
          : malloc(a->config_count * sizeof *sorted);
  if (sorted == NULL) {
    /* Out of memory: every entry, values too, in declared order. The
     * same config declared in another order then hashes otherwise (a run
     * that could have been reused runs); values left out would let a
     * changed config be reused. */
    for (size_t i = 0; i < a->config_count; i++)
      hash_entry(ctx, &a->config[i]);
    return;
  }
  for (size_t i = 0; i < a->config_count; i++)
    sorted[i] = &a->config[i];
  aeu_sort(sorted, a->config_count, sizeof *sorted, by_key);
  for (size_t i = 0; i < a->config_count; i++)
    hash_entry(ctx, sorted[i]);
  if (sorted != on_stack)
    free(sorted);
}

static void hash_inputs(SHA256_CTX *ctx, const aeh_run *run) {
  /* In the order the run lists them: parents' order, fixed by the graph. */
  size_t n = aeh_run_input_count(run);
  for (size_t i = 0; i < n; i++) {
    const char *label;
    const aero_artifact_version *v;
    if (!aeh_run_input(run, i, &label, &v))
      continue;
    field(ctx, label);
    field_i64(ctx, v->version);
    field_i64(ctx, v->id);
    field(ctx, v->digest);
  }
}

/* Lowercase hex of `n` bytes and a terminator: by table, as every reused
 * action computes several (snprintf per byte was a tenth of a re-run). */
static void hex(const unsigned char *d, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[d[i] >> 4];
    out[2 * i + 1] = digits[d[i] & 15];
  }
  out[2 * n] = '\0';
}

void aeh_reuse_key_of(const aeh_session *session, const aeh_action *action,
                      const aeh_run *run, aeh_reuse_key *out) {
  unsigned char digests[PART_COUNT][SHA256_DIGEST_LENGTH];
  for (int p = 0; p < PART_COUNT; p++) {
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    switch (p) {
    case PART_CODE:
      if (action->code_version != NULL) {
        field(&ctx, "code_version");
        field(&ctx, action->code_version);
      } else {
        field(&ctx, "plugin_sha256");
        field(&ctx, env_value(session, "plugin_sha256"));
      }
      break;
    case PART_BUILDER:
      field(&ctx, session->entity);
      field(&ctx, session->project);
      field(&ctx, action->job_type);
      break;
    case PART_CONFIG:
      hash_config(&ctx, action);
      break;
    case PART_INPUTS:
      hash_inputs(&ctx, run);
      break;
    case PART_OUTPUTS:
      for (size_t i = 0; i < action->output_count; i++)
        field(&ctx, action->outputs[i]);
      break;
    default:
      field(&ctx, session->dev ? "dev" : "prod");
      break;
    }
    SHA256_Final(digests[p], &ctx);
  }
  /* SHA256_Init..Final, not the one-shot SHA256(): in OpenSSL 3 that one
   * goes through EVP, which loads openssl.cnf and fetches an algorithm
   * at every call (3% of an unchanged re-run). */
  unsigned char key[SHA256_DIGEST_LENGTH];
  SHA256_CTX all;
  SHA256_Init(&all);
  SHA256_Update(&all, digests, sizeof digests);
  SHA256_Final(key, &all);
  hex(key, sizeof key, out->key);
  SHA256_CTX job;
  SHA256_Init(&job);
  SHA256_Update(&job, digests[PART_BUILDER], SHA256_DIGEST_LENGTH);
  SHA256_Update(&job, digests[PART_OUTPUTS], SHA256_DIGEST_LENGTH);
  SHA256_Update(&job, digests[PART_MODE], SHA256_DIGEST_LENGTH);
  SHA256_Final(key, &job);
  hex(key, sizeof key, out->job);
  /* "code=<16 hex> builder=<16 hex> ...", put together by hand: six
   * snprintf calls were 3% of an unchanged re-run. 141 bytes. */
  _Static_assert(sizeof out->parts > 141, "parts holds the six parts");
  char *at = out->parts;
  for (int p = 0; p < PART_COUNT; p++) {
    size_t len = strlen(part_names[p]);
    if (p > 0)
      *at++ = ' ';
    memcpy(at, part_names[p], len);
    at += len;
    *at++ = '=';
    hex(digests[p], 8, at);
    at += 16;
  }
  *at = '\0';
}

/* The value of `name=` in a parts text, into `buf`; false when absent. */
static bool part_value(const char *parts, const char *name, char *buf,
                       size_t size) {
  size_t len = strlen(name);
  for (const char *p = parts; p != NULL && *p;) {
    if (strncmp(p, name, len) == 0 && p[len] == '=') {
      const char *v = p + len + 1;
      size_t n = strcspn(v, " ");
      snprintf(buf, size, "%.*s", (int)n, v);
      return true;
    }
    p = strchr(p, ' ');
    if (p != NULL)
      p++;
  }
  return false;
}

void aeh_reuse_key_diff(const char *old, const char *now, char *buf,
                        size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  for (int p = 0; p < PART_COUNT && old != NULL && old[0]; p++) {
    char a[32], b[32];
    bool in_old = part_value(old, part_names[p], a, sizeof a);
    bool in_now = part_value(now, part_names[p], b, sizeof b);
    if (in_old && in_now && strcmp(a, b) == 0)
      continue;
    if (used < size)
      used += (size_t)snprintf(buf + used, size - used, "%s%s",
                               used > 0 ? ", " : "", part_names[p]);
  }
}
