/* tracker-postgres: the plugin entry, its backend vtable, open and close.
 *
 * The store location is a libpq connection string: a URI
 * (postgresql://user@host/db?...) or keywords (host=... dbname=...).
 * libpq's own variables apply (PGPASSFILE, PGSERVICE, PGHOST...), so a
 * password need never be on a command line. The blob bucket comes from
 * $AEROMANCY_BLOBS and the AWS_* variables (s3.c).
 */
#include "tp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void store_free(tp_store *store) {
  if (store->conninfo != NULL)
    memset(store->conninfo, 0, strlen(store->conninfo));
  free(store->conninfo);
  free(store->cache);
  tp_s3_close(store->s3);
  pthread_mutex_destroy(&store->lock);
  pthread_cond_destroy(&store->heartbeat_cond);
  free(store);
}

/* The oid of the connected database, as text into `ctx` (32 bytes). */
static aero_status database_oid(tp_store *store, void *ctx, aero_error *err) {
  PGresult *res = NULL;
  aero_status status = tp_exec(
      store, "SELECT oid::text FROM pg_database WHERE datname = current_database()",
      NULL, &res, "reading the database's oid", err);
  if (status != AERO_OK)
    return status;
  snprintf(ctx, 32, "%s", PQntuples(res) > 0 ? PQgetvalue(res, 0, 0) : "");
  PQclear(res);
  return AERO_OK;
}

static aero_status tp_open(const aero_backend_open_params *params, void **out,
                           aero_error *err) {
  if (params == NULL || params->location == NULL || params->location[0] == '\0')
    return aero_fail(err, AERO_E_INVALID,
                     "tracker-postgres: the store location (a PostgreSQL "
                     "connection string) is empty");
  const char *loc = params->location;
  if (strncmp(loc, "postgresql://", 13) != 0 &&
      strncmp(loc, "postgres://", 11) != 0 && strchr(loc, '=') == NULL)
    return aero_fail(err, AERO_E_INVALID,
                     "tracker-postgres: store location '%.*s' is not a "
                     "PostgreSQL connection string (postgresql://user@host/db)",
                     (int)strcspn(loc, "@:?"), loc);
  char *error = NULL;
  PQconninfoOption *opts = PQconninfoParse(loc, &error);
  if (opts == NULL) {
    /* libpq's message names the bad part, never a value. */
    aero_status status = aero_fail(
        err, AERO_E_INVALID, "tracker-postgres: bad connection string: %.*s",
        error != NULL ? (int)strcspn(error, "\n") : 7,
        error != NULL ? error : "invalid");
    PQfreemem(error);
    return status;
  }
  PQconninfoFree(opts);
  tp_store *store = calloc(1, sizeof *store);
  if (store == NULL)
    return aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  pthread_mutex_init(&store->lock, NULL);
  pthread_cond_init(&store->heartbeat_cond, NULL);
  store->pid = getpid();
  store->existing = pc_open_existing(params);
  store->conninfo = strdup(loc);
  aero_status status =
      store->conninfo != NULL
          ? AERO_OK
          : aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  if (status == AERO_OK)
    status = pc_env_number("tracker-postgres", "AEROMANCY_PG_RETRY_SECONDS", 30,
                           0, 86400, &store->retry_seconds, err);
  if (status == AERO_OK)
    status = tp_s3_open(&store->s3, err);
  if (status == AERO_OK)
    status = tp_cache_init(store, err);
  if (status == AERO_OK)
    status = tp_db_open(store, err);
  if (status != AERO_OK) {
    tp_db_close(store);
    store_free(store);
    return status;
  }
  /* Views are per database and bucket: their ids mean nothing elsewhere.
   * Named from the whole names, not the copies cut for messages (255 and
   * 511 bytes): two databases behind one long host list read each other's
   * views under the same version ids. And from the database's own oid: a
   * database dropped and made again under the same name numbers its
   * versions from 1 again, and read the views of the old one's (another
   * file served for a version, silently). */
  char oid[32] = "";
  status = tp_once(store, database_oid, oid, "reading the database's oid", err);
  if (status != AERO_OK) {
    tp_db_close(store);
    store_free(store);
    return status;
  }
  char *server = tp_server_text(store->conninfo);
  char *s3 = tp_s3_text(store->s3);
  char *ns_source = server != NULL && s3 != NULL
                        ? pc_strdup_printf("%s\n%s\n%s", server, s3, oid)
                        : NULL;
  free(server);
  free(s3);
  if (ns_source == NULL) {
    tp_db_close(store);
    store_free(store);
    return aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  }
  char ns[65];
  pc_sha256_buf(ns_source, strlen(ns_source), ns);
  free(ns_source);
  snprintf(store->view_ns, sizeof store->view_ns, "%.16s", ns);
  *out = store;
  return AERO_OK;
}

static void tp_close(void *handle) {
  tp_store *store = handle;
  if (store == NULL)
    return;
  /* A handle inherited over fork shares the parent's socket: closing it
   * here would end the parent's session. It is only forgotten. */
  if (store->pid == getpid()) {
    tp_lease_release(store);
    tp_db_close(store);
    store_free(store);
  }
}

static const aero_backend_vtable postgres_backend = {
    .struct_size = sizeof(aero_backend_vtable),
    .name = "postgres",
    .open = tp_open,
    .close = tp_close,
    .run_begin = tp_run_begin,
    .run_end = tp_run_end,
    .resolve = tp_resolve,
    .record_input = tp_record_input,
    .materialize = tp_materialize,
    .put_output = tp_put_output,
    .log_metrics = tp_log_metrics,
    .log_text = tp_log_text,
    .log_metric_rows = tp_log_metric_rows,
    .query_runs = tp_query_runs,
    .query_run = tp_query_run,
    .query_metrics = tp_query_metrics,
    .query_versions = tp_query_versions,
    .query_files = tp_query_files,
    .reuse_key = tp_reuse_key,
    .reuse_find = tp_reuse_find,
    .reuse_record = tp_reuse_record,
    .reuse_record_batch = tp_reuse_record_batch,
    .reuse_find_batch = tp_reuse_find_batch,
    .check = tp_check,
    .collect = tp_collect,
    .query_metadata = tp_query_metadata,
    .settle_dead = tp_settle_dead,
};

static aero_status postgres_init(aero_registrar *reg, aero_error *err) {
  if (!PQisthreadsafe())
    return aero_fail(err, AERO_E_UNSUPPORTED,
                     "tracker-postgres: libpq was built without thread "
                     "support");
  return aero_register_backend(reg, &postgres_backend, err);
}

AERO_PLUGIN(AERO_PLUGIN_BACKEND, "tracker-postgres", AERO_SDK_VERSION,
            postgres_init)
