/* How a production container reaches the store (`aeromancy go`).
 *
 * A store that is a folder (tracker-local) is mounted at /aeromancy/store.
 * A team store (a URL or connection string: tracker-postgres) is not a
 * folder: the container gets its settings (backend, URL, bucket) as
 * variables, the credentials by NAME only (their values stay in the
 * runner's environment, from which the engine copies them: never on a
 * command line, never in a file), the files libpq reads (password and
 * service files) mounted read-only, the database's unix socket folder
 * mounted, the host's network when a server listens on this machine's
 * loopback, and the local blob cache mounted at /aeromancy/cache so that
 * it outlives the container.
 */
#ifndef AEH_RUNNER_CONTAINER_STORE_H
#define AEH_RUNNER_CONTAINER_STORE_H

#include <stdbool.h>

#include "error.h"
#include "strv.h"

/* Where things are inside the container. */
#define AEH_IN_STORE "/aeromancy/store"
#define AEH_IN_CACHE "/aeromancy/cache"
#define AEH_IN_PG_FILES "/aeromancy/pg"

typedef struct aeh_container_store {
  bool team;         /* a URL, not a folder: nothing mounted at IN_STORE */
  aeh_strv sets;     /* NAME=VALUE the runner sets for the engine, whose
                        names go in the env file (the URL may hold a
                        password: it is a value, never an argument) */
  aeh_strv names;    /* credentials and settings set here, passed by NAME */
  aeh_strv mounts;   /* bind mounts, three entries each: source, target,
                        "ro" or "rw" */
  bool host_network; /* a server on this machine's loopback */
  char *why_network; /* which one, for --debug; NULL when none */
} aeh_container_store;

/* Plans the store's part of `docker run`. `location` is the store as
 * chosen on this machine (aeh_store_choose_location: an absolute folder,
 * or a URL as written); `backend` the backend's name or NULL (aerohost's
 * default); `blobs` the bucket or NULL; `cache` the blob cache folder on
 * this machine (created here when the store is a team store). Reads the
 * environment (credentials, PGHOST, AWS_ENDPOINT_URL...). On success the
 * caller frees *out with aeh_container_store_free; on failure *out is
 * untouched and `err` says why. */
aero_status aeh_container_store_plan(const char *location, const char *backend,
                                     const char *blobs, const char *cache,
                                     aeh_container_store *out, aero_error *err);

void aeh_container_store_free(aeh_container_store *cs);

/* Whether `host` (a name or a numeric address, IPv6 with or without
 * brackets) is this machine's loopback: localhost, 127.0.0.0/8, ::1. */
bool aeh_host_is_loopback(const char *host);

#endif /* AEH_RUNNER_CONTAINER_STORE_H */
