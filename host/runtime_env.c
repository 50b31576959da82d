#include "runtime_env.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <aeromancy/abi.h>

#include "tracker.h"

/* The package list is the image's `dpkg-query` output: a few hundred KiB.
 * Anything far larger is not a package list. */
#define PACKAGES_MAX ((size_t)16 << 20)

/* The runner's variables that become facts, in record order. */
static const struct {
  const char *var;
  const char *key;
  bool required_in_prod;
} runner_vars[] = {
    {"AEROMANCY_GIT_COMMIT", "git_commit", true},
    {"AEROMANCY_GIT_BRANCH", "git_branch", false},
    {"AEROMANCY_GIT_MESSAGE", "git_message", false},
    {"AEROMANCY_GIT_REMOTE", "git_remote", false},
    {"AEROMANCY_IMAGE_ID", "image_id", true},
};
#define RUNNER_VAR_COUNT (sizeof runner_vars / sizeof runner_vars[0])

/* Takes `value` (malloc'd; NULL means out of memory). */
static aero_status add(aeh_runtime_env *env, size_t cap, const char *key,
                       char *value, aero_error *err) {
  if (value == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  if (env->count == cap) {
    free(value);
    return aeh_error_set(err, AERO_E_NOMEM, "too many environment facts");
  }
  env->entries[env->count++] = (aero_kv){
      .key = key, .value = {.type = AERO_VALUE_STRING, .as.s = value}};
  return AERO_OK;
}

static char *dup_or_empty(const char *text) {
  return strdup(text != NULL ? text : "");
}

static aero_status read_packages(const char *path, char **out,
                                 aero_error *err) {
  FILE *file = fopen(path, "rb");
  if (file == NULL)
    return aeh_error_set(err, AERO_E_CONFIG,
                         "cannot read the package list "
                         "AEROMANCY_PACKAGES_FILE=%s: %s",
                         path, strerror(errno));
  aero_status status = AERO_OK;
  char *text = NULL;
  struct stat st;
  if (fstat(fileno(file), &st) != 0 || !S_ISREG(st.st_mode)) {
    status = aeh_error_set(err, AERO_E_CONFIG,
                           "the package list AEROMANCY_PACKAGES_FILE=%s is "
                           "not a regular file",
                           path);
    goto done;
  }
  if ((size_t)st.st_size > PACKAGES_MAX) {
    status = aeh_error_set(err, AERO_E_CONFIG,
                           "the package list AEROMANCY_PACKAGES_FILE=%s is "
                           "larger than %zu MiB",
                           path, PACKAGES_MAX >> 20);
    goto done;
  }
  text = malloc((size_t)st.st_size + 1);
  if (text == NULL) {
    status = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
    goto done;
  }
  size_t n = fread(text, 1, (size_t)st.st_size, file);
  if (ferror(file)) {
    status = aeh_error_set(err, AERO_E_CONFIG,
                           "cannot read the package list "
                           "AEROMANCY_PACKAGES_FILE=%s",
                           path);
    goto done;
  }
  text[n] = '\0';
  *out = text;
  text = NULL;
done:
  free(text);
  fclose(file);
  return status;
}

/* The passthrough names, cleaned: spaces trimmed, empty items dropped,
 * joined with ','. Only names: their values are never read here. */
static char *passthrough_names(const char *list) {
  size_t len = list != NULL ? strlen(list) : 0;
  char *out = malloc(len + 1);
  if (out == NULL)
    return NULL;
  size_t n = 0;
  const char *p = list != NULL ? list : "";
  while (*p != '\0') {
    size_t item = strcspn(p, ",");
    const char *start = p, *stop = p + item;
    while (start < stop && (*start == ' ' || *start == '\t'))
      start++;
    while (stop > start && (stop[-1] == ' ' || stop[-1] == '\t'))
      stop--;
    if (stop > start) {
      if (n > 0)
        out[n++] = ',';
      memcpy(out + n, start, (size_t)(stop - start));
      n += (size_t)(stop - start);
    }
    p += item;
    if (*p == ',')
      p++;
  }
  out[n] = '\0';
  return out;
}

static bool needs_quotes(const char *arg) {
  if (arg[0] == '\0')
    return true;
  for (const char *p = arg; *p != '\0'; p++)
    if (strchr(" \t\n'\"\\$`!*?[]{}()<>|&;#~", *p) != NULL)
      return true;
  return false;
}

/* argv[i], or a copy without its password when it is the store (the value
 * of --store, or --store=VALUE): credentials are never written to the
 * record (a password in a URL or a password=VALUE word). *copy is what to
 * free. */
static const char *without_password(char **argv, int i, char **copy) {
  *copy = NULL;
  const char *a = argv[i];
  if (i > 0 && strcmp(argv[i - 1], "--store") == 0) {
    *copy = aeh_store_location_shown(a);
  } else if (strncmp(a, "--store=", 8) == 0) {
    char *shown = aeh_store_location_shown(a + 8);
    if (shown != NULL && asprintf(copy, "--store=%s", shown) < 0)
      *copy = NULL;
    free(shown);
  }
  return *copy != NULL ? *copy : a;
}

/* argv joined with spaces, each argument shell-quoted when it needs it, so
 * that the line can be pasted back into a shell (the store's password left
 * out: without_password). */
static char *command_line(int argc, char **argv) {
  char **args = calloc((size_t)argc + 1, sizeof *args);
  char **copies = calloc((size_t)argc + 1, sizeof *copies);
  if (args == NULL || copies == NULL) {
    free(args);
    free(copies);
    return NULL;
  }
  for (int i = 0; i < argc; i++)
    args[i] = (char *)without_password(argv, i, &copies[i]);
  argv = args;
  size_t len = 1;
  for (int i = 0; i < argc; i++)
    len += 4 * strlen(argv[i]) + 3;
  char *out = malloc(len);
  if (out == NULL) {
    for (int i = 0; i < argc; i++)
      free(copies[i]);
    free(copies);
    free(args);
    return NULL;
  }
  size_t n = 0;
  for (int i = 0; i < argc; i++) {
    if (i > 0)
      out[n++] = ' ';
    if (!needs_quotes(argv[i])) {
      size_t k = strlen(argv[i]);
      memcpy(out + n, argv[i], k);
      n += k;
      continue;
    }
    out[n++] = '\'';
    for (const char *p = argv[i]; *p != '\0'; p++) {
      if (*p == '\'') {
        memcpy(out + n, "'\\''", 4);
        n += 4;
      } else {
        out[n++] = *p;
      }
    }
    out[n++] = '\'';
  }
  out[n] = '\0';
  for (int i = 0; i < argc; i++)
    free(copies[i]);
  free(copies);
  free(args);
  return out;
}

aero_status aeh_runtime_env_collect(bool dev, const char *plugin_path,
                                    const char *plugin_sha256, int argc,
                                    char **argv, aeh_runtime_env *out,
                                    aero_error *err) {
  if (!dev) {
    for (size_t i = 0; i < RUNNER_VAR_COUNT; i++) {
      const char *value = getenv(runner_vars[i].var);
      if (runner_vars[i].required_in_prod && (value == NULL || *value == '\0'))
        return aeh_error_set(err, AERO_E_CONFIG,
                             "production run needs the runner's environment "
                             "(%s is not set): run it with `aeromancy go`, or "
                             "pass --dev",
                             runner_vars[i].var);
    }
  }
  enum { CAP = RUNNER_VAR_COUNT + 8 };
  aeh_runtime_env env = {.entries = calloc(CAP, sizeof(aero_kv))};
  if (env.entries == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  aero_status status = AERO_OK;
  for (size_t i = 0; status == AERO_OK && i < RUNNER_VAR_COUNT; i++) {
    const char *value = getenv(runner_vars[i].var);
    if (value != NULL)
      status = add(&env, CAP, runner_vars[i].key, strdup(value), err);
  }
  const char *packages_file = getenv("AEROMANCY_PACKAGES_FILE");
  if (status == AERO_OK && packages_file != NULL && packages_file[0] != '\0') {
    char *packages = NULL;
    status = read_packages(packages_file, &packages, err);
    if (status == AERO_OK)
      status = add(&env, CAP, "packages", packages, err);
  }
  if (status == AERO_OK && plugin_path != NULL)
    status = add(&env, CAP, "plugin_path", strdup(plugin_path), err);
  if (status == AERO_OK && plugin_sha256 != NULL)
    status = add(&env, CAP, "plugin_sha256", strdup(plugin_sha256), err);
  if (status == AERO_OK)
    status = add(&env, CAP, "host_version", strdup(AERO_HOST_VERSION), err);
  if (status == AERO_OK) {
    char abi[32];
    snprintf(abi, sizeof abi, "%d.%d", AERO_ABI_MAJOR, AERO_ABI_MINOR);
    status = add(&env, CAP, "abi_version", strdup(abi), err);
  }
  if (status == AERO_OK) {
    char host[256] = "";
    if (gethostname(host, sizeof host) != 0)
      host[0] = '\0';
    host[sizeof host - 1] = '\0';
    status = add(&env, CAP, "hostname", dup_or_empty(host), err);
  }
  if (status == AERO_OK && argc > 0 && argv != NULL)
    status = add(&env, CAP, "command_line", command_line(argc, argv), err);
  if (status == AERO_OK)
    status = add(&env, CAP, "passthrough_env",
                 passthrough_names(getenv("AEROMANCY_PASSTHROUGH")), err);
  if (status != AERO_OK) {
    aeh_runtime_env_free(&env);
    return status;
  }
  *out = env;
  return AERO_OK;
}

void aeh_runtime_env_free(aeh_runtime_env *env) {
  if (env == NULL)
    return;
  for (size_t i = 0; i < env->count; i++)
    free((char *)env->entries[i].value.as.s);
  free(env->entries);
  env->entries = NULL;
  env->count = 0;
}
