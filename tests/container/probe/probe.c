/* probe: actions that report what the container shows them.
 *   env_seen   length and SHA-256 of $<--env-var> (never the value)
 *   data_copy  a copy of --data-file (a file of a mounted folder)
 *   failure    fails when --fail is given
 *   hello      always: a fixed greeting, so every graph has an action
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <aeromancy/aeromancy.h>

#define PROBE_OPTIONS(X)                                                       \
  X(STRING, env_var, 0, NULL, "Variable whose value env_seen fingerprints")    \
  X(STRING, data_file, 0, NULL, "File data_copy copies into an artifact")      \
  X(BOOL, fail, 0, false, "Make the failure action fail")                      \
  X(STRING, greeting, 0, "hello", "What hello writes")

typedef struct probe {
  char *env_var;
  char *data_file;
  bool fail;
  char *greeting;
} probe;

static aero_status probe_new(void **self, const char *env_var,
                             const char *data_file, bool fail,
                             const char *greeting, aero_error *err) {
  probe *p = calloc(1, sizeof *p);
  if (p == NULL)
    return aero_fail(err, AERO_E_NOMEM, "out of memory");
  p->env_var = env_var ? strdup(env_var) : NULL;
  p->data_file = data_file ? strdup(data_file) : NULL;
  p->greeting = strdup(greeting ? greeting : "");
  p->fail = fail;
  *self = p;
  return AERO_OK;
}

static void probe_destroy(void *self) {
  probe *p = self;
  if (p) {
    free(p->env_var);
    free(p->data_file);
    free(p->greeting);
  }
  free(p);
}

/* Writes `text` to NAME in the run's scratch folder and declares it as the
 * output artifact NAME. */
static aero_status put(aero_tracker *t, const char *name, const char *text,
                       size_t len, aero_error *err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.txt", aero_workdir(t), name);
  FILE *f = fopen(path, "wb");
  if (f == NULL)
    return aero_fail(err, AERO_E_IO, "cannot create %s: %s", path,
                     strerror(errno));
  size_t wrote = fwrite(text, 1, len, f);
  if (fclose(f) != 0 || wrote != len)
    return aero_fail(err, AERO_E_IO, "cannot write %s", path);
  const char *files[] = {path};
  return aero_declare_output(
      t, &AERO_OUTPUT(.name = name, .files = files, .file_count = 1), err);
}

static aero_status run_env_seen(void *data, aero_tracker *t, aero_error *err) {
  probe *p = data;
  const char *value = getenv(p->env_var);
  char text[256];
  if (value == NULL) {
    snprintf(text, sizeof text, "unset\n");
  } else {
    unsigned char md[32];
    unsigned int mdlen = 0;
    if (!EVP_Digest(value, strlen(value), md, &mdlen, EVP_sha256(), NULL))
      return aero_fail(err, AERO_E_IO, "SHA-256 failed");
    int n = snprintf(text, sizeof text, "len=%zu sha256=", strlen(value));
    for (unsigned i = 0; i < mdlen; i++)
      n += snprintf(text + n, sizeof text - (size_t)n, "%02x", md[i]);
    snprintf(text + n, sizeof text - (size_t)n, "\n");
  }
  return put(t, "env_seen", text, strlen(text), err);
}

static aero_status run_data_copy(void *data, aero_tracker *t, aero_error *err) {
  probe *p = data;
  FILE *f = fopen(p->data_file, "rb");
  if (f == NULL)
    return aero_fail(err, AERO_E_IO, "cannot open %s: %s", p->data_file,
                     strerror(errno));
  char buf[65536];
  size_t len = fread(buf, 1, sizeof buf, f);
  fclose(f);
  return put(t, "data_copy", buf, len, err);
}

static aero_status run_failure(void *data, aero_tracker *t, aero_error *err) {
  probe *p = data;
  if (p->fail)
    return aero_fail(err, AERO_E_ACTION, "probe was asked to fail (--fail)");
  return put(t, "failure", "passed\n", 7, err);
}

static aero_status run_hello(void *data, aero_tracker *t, aero_error *err) {
  probe *p = data;
  return put(t, "hello", p->greeting, strlen(p->greeting), err);
}

static aero_status add(aero_graph *g, const char *job_type,
                       const char *const *output, aero_action_run_fn run,
                       probe *p, aero_error *err) {
  return aero_graph_add(g,
                        /* Its actions read the environment and files
                         * the container mounts: never reused. */
                        &AERO_ACTION(.job_type = job_type, .outputs = output,
                                     .output_count = 1, .run = run, .data = p,
                                     .is_volatile = true),
                        err);
}

static aero_status probe_build(void *self, aero_graph *g, aero_error *err) {
  probe *p = self;
  static const char *const hello[] = {"hello"};
  static const char *const env_seen[] = {"env_seen"};
  static const char *const data_copy[] = {"data_copy"};
  static const char *const failure[] = {"failure"};
  aero_status st = add(g, "probe", hello, run_hello, p, err);
  if (st == AERO_OK && p->env_var != NULL)
    st = add(g, "probe", env_seen, run_env_seen, p, err);
  if (st == AERO_OK && p->data_file != NULL)
    st = add(g, "probe", data_copy, run_data_copy, p, err);
  if (st == AERO_OK && p->fail)
    st = add(g, "probe", failure, run_failure, p, err);
  return st;
}

AERO_BUILDER(probe_builder, "probe", "What the container shows an action",
             PROBE_OPTIONS, probe_new, probe_build, probe_destroy);

static aero_status probe_init(aero_registrar *reg, aero_error *err) {
  return aero_register_builder(reg, &probe_builder, err);
}

AERO_PLUGIN(AERO_PLUGIN_PROJECT, "probe", "1.0.0", probe_init)
