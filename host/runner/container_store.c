/* The store's part of a production container; see container_store.h. */
#include "container_store.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#ifdef AEH_HAVE_LIBPQ
#include <dlfcn.h>
#include <libpq-fe.h>
#endif

#include "console.h"
#include "locate.h"
#include "tracker.h"

/* Passed by name when set here: the object store's and libpq's
 * conventional variables (values the engine copies from the runner's
 * environment), and the team store's own tuning. */
static const char *const by_name[] = {
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "PGPASSWORD",
    "PGSERVICE",
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGUSER",
    "PGDATABASE",
    "PGOPTIONS",
    "PGAPPNAME",
    "PGSSLMODE",
    "PGREQUIRESSL",
    "PGGSSENCMODE",
    "PGCHANNELBINDING",
    "PGREQUIREAUTH",
    "PGCONNECT_TIMEOUT",
    "PGCLIENTENCODING",
    "PGTARGETSESSIONATTRS",
    "AEROMANCY_CACHE_MAX_MB",
    "AEROMANCY_LEASE_SECONDS",
    "AEROMANCY_PG_RETRY_SECONDS",
    "AEROMANCY_S3_RETRY_SECONDS",
    "AEROMANCY_S3_PART_MB",
    NULL,
};

/* Files libpq reads, named by a variable (or found at a default place in
 * $HOME): mounted read-only under AEH_IN_PG_FILES, the variable set to
 * the path there. Paths are no secrets; the files' contents never leave
 * them. */
static const struct {
  const char *var;
  const char *home_default; /* relative to $HOME, or NULL */
  const char *in_name;      /* its name under AEH_IN_PG_FILES */
} pg_files[] = {
    {"PGPASSFILE", ".pgpass", "pgpass"},
    {"PGSERVICEFILE", ".pg_service.conf", "pg_service.conf"},
    {"PGSSLROOTCERT", NULL, "root.crt"},
    {"PGSSLCERT", NULL, "postgresql.crt"},
    {"PGSSLKEY", NULL, "postgresql.key"},
    {"PGSSLCRL", NULL, "root.crl"},
};

/* Where Debian's libpq looks for the server's socket when no host is
 * named. */
#define PG_DEFAULT_SOCKET_DIR "/var/run/postgresql"

static aero_status nomem(aero_error *err) {
  return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
}

bool aeh_host_is_loopback(const char *host) {
  char buf[256];
  size_t n = strlen(host);
  if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
    host++;
    n -= 2;
  }
  if (n == 0 || n >= sizeof buf)
    return false;
  memcpy(buf, host, n);
  buf[n] = '\0';
  if (strcasecmp(buf, "localhost") == 0 ||
      strcasecmp(buf, "localhost.localdomain") == 0 ||
      strcasecmp(buf, "ip6-localhost") == 0 ||
      (n > 10 && strcasecmp(buf + n - 10, ".localhost") == 0))
    return true;
  struct in_addr a4;
  if (inet_pton(AF_INET, buf, &a4) == 1)
    return (ntohl(a4.s_addr) >> 24) == 127;
  struct in6_addr a6;
  if (inet_pton(AF_INET6, buf, &a6) == 1)
    return IN6_IS_ADDR_LOOPBACK(&a6) ||
           (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
  return false;
}

static aero_status push_mount(aeh_container_store *cs, const char *source,
                              const char *target, bool readonly,
                              aero_error *err) {
  for (size_t i = 0; i + 2 < cs->mounts.n; i += 3)
    if (strcmp(cs->mounts.v[i + 1], target) == 0)
      return AERO_OK;
  if (aeh_strv_push(&cs->mounts, source) != AERO_OK ||
      aeh_strv_push(&cs->mounts, target) != AERO_OK ||
      aeh_strv_push(&cs->mounts, readonly ? "ro" : "rw") != AERO_OK)
    return nomem(err);
  return AERO_OK;
}

/* A server on this machine's loopback: the container needs the host's
 * network to reach it. The first reason is kept for --debug. */
static aero_status need_network(aeh_container_store *cs, const char *what,
                                const char *host, aero_error *err) {
  if (cs->host_network)
    return AERO_OK;
  cs->host_network = true;
  if (asprintf(&cs->why_network, "%s on %s", what, host) < 0) {
    cs->why_network = NULL;
    return nomem(err);
  }
  return AERO_OK;
}

/* One host of libpq's comma-separated list: a socket folder (absolute
 * path) is mounted at the same path, a loopback address needs the host's
 * network, any other name is reached through the engine's network. */
static aero_status pg_host(aeh_container_store *cs, const char *host,
                           size_t len, aero_error *err) {
  char buf[4096];
  if (len >= sizeof buf)
    return aeh_error_set(err, AERO_E_CONFIG,
                         "the team store's database host is too long");
  memcpy(buf, host, len);
  buf[len] = '\0';
  if (buf[0] == '/') {
    struct stat sb;
    if (stat(buf, &sb) != 0 || !S_ISDIR(sb.st_mode))
      return aeh_error_set(err, AERO_E_CONFIG,
                           "the team store's database socket folder %s is "
                           "not a folder on this machine",
                           buf);
    return push_mount(cs, buf, buf, false, err);
  }
  if (buf[0] != '\0' && aeh_host_is_loopback(buf))
    return need_network(cs, "the database", buf, err);
  return AERO_OK;
}

static aero_status pg_host_list(aeh_container_store *cs, const char *list,
                                aero_error *err) {
  aero_status st = AERO_OK;
  for (const char *p = list; st == AERO_OK;) {
    size_t len = strcspn(p, ",");
    st = pg_host(cs, p, len, err);
    if (p[len] == '\0')
      break;
    p += len + 1;
  }
  return st;
}

/* Whether libpq reads `location`: a postgres URL, or key=value words. */
static bool is_pg_location(const char *location) {
  if (strncmp(location, "postgresql://", 13) == 0 ||
      strncmp(location, "postgres://", 11) == 0)
    return true;
  return strstr(location, "://") == NULL;
}

#ifdef AEH_HAVE_LIBPQ
/* The three libpq functions the runner uses. libpq (with Kerberos, LDAP,
 * GnuTLS...) is loaded here, when a production run reaches a team store,
 * and not linked: every other command (runs, show...) would otherwise pay
 * ~2 ms and ~200 page faults at start-up to map it (docs/performance.md).
 * Its soname has been libpq.so.5 since PostgreSQL 8.0. */
typedef struct pq_calls {
  PQconninfoOption *(*parse)(const char *conninfo, char **errmsg);
  void (*free_options)(PQconninfoOption *options);
  void (*free_mem)(void *ptr);
} pq_calls;

static aero_status pq_load(pq_calls *pq, aero_error *err) {
  static const char soname[] = "libpq.so.5";
  void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL)
    return aeh_error_set(err, AERO_E_CONFIG,
                         "cannot load %s to read the team store's URL: %s "
                         "(install libpq5)",
                         soname, dlerror());
  /* Kept loaded: the runner exits soon after, and dlclose promises
   * nothing. */
  void *parse = dlsym(lib, "PQconninfoParse");
  void *free_options = dlsym(lib, "PQconninfoFree");
  void *free_mem = dlsym(lib, "PQfreemem");
  /* POSIX lets a dlsym result be converted to a function pointer. */
  memcpy(&pq->parse, &parse, sizeof parse);
  memcpy(&pq->free_options, &free_options, sizeof free_options);
  memcpy(&pq->free_mem, &free_mem, sizeof free_mem);
  if (pq->parse == NULL || pq->free_options == NULL || pq->free_mem == NULL)
    return aeh_error_set(err, AERO_E_CONFIG,
                         "%s lacks PQconninfoParse, PQconninfoFree or "
                         "PQfreemem (install libpq5)",
                         soname);
  return AERO_OK;
}
#endif

/* The database's hosts: the URL's (host, hostaddr), else $PGHOST and
 * $PGHOSTADDR, else libpq's default socket folder. */
static aero_status pg_hosts(aeh_container_store *cs, const char *location,
                            aero_error *err) {
#ifdef AEH_HAVE_LIBPQ
  pq_calls pq = {NULL, NULL, NULL};
  aero_status loaded = pq_load(&pq, err);
  if (loaded != AERO_OK)
    return loaded;
  char *message = NULL;
  PQconninfoOption *opts = pq.parse(location, &message);
  if (opts == NULL) {
    if (message != NULL)
      pq.free_mem(message);
    /* libpq's message may quote the string, password and all. */
    char *shown = aeh_store_location_shown(location);
    aero_status st = aeh_error_set(err, AERO_E_CONFIG,
                                   "the team store %s is not a libpq "
                                   "connection URL or key=value string",
                                   shown ? shown : "(unreadable)");
    free(shown);
    return st;
  }
  const char *host = NULL, *hostaddr = NULL;
  for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
    if (o->val == NULL || o->val[0] == '\0')
      continue;
    if (strcmp(o->keyword, "host") == 0)
      host = o->val;
    else if (strcmp(o->keyword, "hostaddr") == 0)
      hostaddr = o->val;
  }
  if (host == NULL)
    host = getenv("PGHOST");
  if (hostaddr == NULL)
    hostaddr = getenv("PGHOSTADDR");
  aero_status st = AERO_OK;
  if (host != NULL && host[0] != '\0')
    st = pg_host_list(cs, host, err);
  if (st == AERO_OK && hostaddr != NULL && hostaddr[0] != '\0')
    st = pg_host_list(cs, hostaddr, err);
  /* No host at all: libpq's default socket folder (a service file may
   * name a host instead; it is not read here). */
  struct stat sb;
  if (st == AERO_OK && (host == NULL || host[0] == '\0') &&
      (hostaddr == NULL || hostaddr[0] == '\0') &&
      stat(PG_DEFAULT_SOCKET_DIR, &sb) == 0 && S_ISDIR(sb.st_mode))
    st = push_mount(cs, PG_DEFAULT_SOCKET_DIR, PG_DEFAULT_SOCKET_DIR, false,
                    err);
  pq.free_options(opts);
  return st;
#else
  (void)cs;
  (void)location;
  return aeh_error_set(err, AERO_E_CONFIG,
                       "this aeromancy was built without libpq, so it cannot "
                       "read the team store's URL to reach it from the "
                       "container (install libpq-dev and build it again)");
#endif
}

/* The object store's endpoint (AWS_ENDPOINT_URL_S3, else
 * AWS_ENDPOINT_URL: scheme://host[:port]); AWS itself needs nothing. */
static aero_status s3_endpoint(aeh_container_store *cs, aero_error *err) {
  const char *url = getenv("AWS_ENDPOINT_URL_S3");
  if (url == NULL || url[0] == '\0')
    url = getenv("AWS_ENDPOINT_URL");
  const char *auth = url != NULL ? strstr(url, "://") : NULL;
  if (auth == NULL)
    return AERO_OK;
  auth += 3;
  size_t len = strcspn(auth, "/?#");
  const char *at = memchr(auth, '@', len);
  if (at != NULL) {
    len -= (size_t)(at + 1 - auth);
    auth = at + 1;
  }
  char host[256];
  if (len == 0 || len >= sizeof host)
    return AERO_OK;
  memcpy(host, auth, len);
  host[len] = '\0';
  char *end = host[0] == '[' ? strchr(host, ']') : strrchr(host, ':');
  if (host[0] == '[' && end != NULL)
    end[1] = '\0';
  else if (host[0] != '[' && end != NULL)
    *end = '\0';
  return aeh_host_is_loopback(host)
             ? need_network(cs, "the object store", host, err)
             : AERO_OK;
}

/* Each of pg_files that is set (or at its default place) and a regular
 * file: mounted read-only, its variable set to the path inside. */
static aero_status pg_file_mounts(aeh_container_store *cs, aero_error *err) {
  const char *home = getenv("HOME");
  for (size_t i = 0; i < sizeof pg_files / sizeof pg_files[0]; i++) {
    const char *path = getenv(pg_files[i].var);
    char dflt[4096];
    if ((path == NULL || path[0] == '\0') && pg_files[i].home_default &&
        home != NULL && home[0] == '/') {
      snprintf(dflt, sizeof dflt, "%s/%s", home, pg_files[i].home_default);
      path = dflt;
    }
    struct stat sb;
    if (path == NULL || path[0] == '\0' || stat(path, &sb) != 0 ||
        !S_ISREG(sb.st_mode))
      continue;
    char *abs = realpath(path, NULL);
    char target[256];
    snprintf(target, sizeof target, AEH_IN_PG_FILES "/%s", pg_files[i].in_name);
    aero_status st =
        abs == NULL ? aeh_error_set(err, AERO_E_CONFIG, "%s: cannot resolve %s",
                                    pg_files[i].var, path)
                    : push_mount(cs, abs, target, true, err);
    free(abs);
    if (st != AERO_OK)
      return st;
    if (aeh_strv_pushf(&cs->sets, "%s=%s", pg_files[i].var, target) != AERO_OK)
      return nomem(err);
  }
  return AERO_OK;
}

static aero_status plan_team(aeh_container_store *cs, const char *location,
                             const char *blobs, const char *cache,
                             aero_error *err) {
  if (aeh_strv_pushf(&cs->sets, "AEROMANCY_STORE=%s", location) != AERO_OK ||
      (blobs != NULL &&
       aeh_strv_pushf(&cs->sets, "AEROMANCY_BLOBS=%s", blobs) != AERO_OK) ||
      aeh_strv_pushf(&cs->sets, "AEROMANCY_CACHE=%s", AEH_IN_CACHE) != AERO_OK)
    return nomem(err);
  aero_status st = aeh_mkdirs(cache, 0700, err);
  if (st == AERO_OK)
    st = push_mount(cs, cache, AEH_IN_CACHE, false, err);
  for (size_t i = 0; st == AERO_OK && by_name[i] != NULL; i++) {
    const char *v = getenv(by_name[i]);
    if (v != NULL && aeh_strv_push(&cs->names, by_name[i]) != AERO_OK)
      st = nomem(err);
  }
  if (st == AERO_OK)
    st = pg_file_mounts(cs, err);
  if (st == AERO_OK && is_pg_location(location))
    st = pg_hosts(cs, location, err);
  if (st == AERO_OK)
    st = s3_endpoint(cs, err);
  return st;
}

aero_status aeh_container_store_plan(const char *location, const char *backend,
                                     const char *blobs, const char *cache,
                                     aeh_container_store *out,
                                     aero_error *err) {
  aeh_container_store cs = {
      .sets = AEH_STRV_INIT, .names = AEH_STRV_INIT, .mounts = AEH_STRV_INIT};
  aero_status st = AERO_OK;
  if (backend != NULL &&
      aeh_strv_pushf(&cs.sets, "AEROMANCY_BACKEND=%s", backend) != AERO_OK)
    st = nomem(err);
  cs.team = aeh_store_location_is_url(location);
  if (st == AERO_OK && cs.team) {
    st = plan_team(&cs, location, blobs, cache, err);
  } else if (st == AERO_OK) {
    st = aeh_mkdirs(location, 0755, err);
    if (st == AERO_OK)
      st = push_mount(&cs, location, AEH_IN_STORE, false, err);
    if (st == AERO_OK &&
        aeh_strv_pushf(&cs.sets, "AEROMANCY_STORE=%s", AEH_IN_STORE) != AERO_OK)
      st = nomem(err);
    /* What aerohost's summary names: the store where the user finds it,
     * not its mount point in the container. */
    char shown[4096];
    if (st == AERO_OK &&
        aeh_strv_pushf(&cs.sets, "AEROMANCY_STORE_SHOWN=%s",
                       aeh_console_path(location, shown, sizeof shown)) !=
            AERO_OK)
      st = nomem(err);
  }
  if (st != AERO_OK) {
    aeh_container_store_free(&cs);
    return st;
  }
  *out = cs;
  return AERO_OK;
}

void aeh_container_store_free(aeh_container_store *cs) {
  aeh_strv_free(&cs->sets);
  aeh_strv_free(&cs->names);
  aeh_strv_free(&cs->mounts);
  free(cs->why_network);
  *cs = (aeh_container_store){0};
}
