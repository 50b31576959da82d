/* tracker-postgres: the libpq connection, retries, and the schema.
 *
 * Every change is one statement or one transaction. A transaction that
 * fails because the connection was lost (the server restarted, a network
 * cut) or lost a serialization race is rolled back and run again on a
 * fresh connection, with exponential backoff, for up to
 * $AEROMANCY_PG_RETRY_SECONDS (default 30): so a database restarted in the
 * middle of a run costs a pause, not the run. Bodies are written to be
 * safe to run twice (run_begin is keyed by a client token; the rest
 * either runs in a transaction that was rolled back or is idempotent).
 */
#include "tp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Schema version 1: the tables and columns of tracker-local's schema
 * (docs/store.md), so that the same queries read both, plus runs.lease and
 * runs.client_key (the lease of the handle that runs it, and run_begin's
 * idempotency key) and the leases table. */
static const char schema_v1[] =
    "CREATE TABLE runs ("
    " id BIGSERIAL PRIMARY KEY,"
    " entity TEXT NOT NULL DEFAULT '',"
    " project TEXT NOT NULL,"
    " job_type TEXT NOT NULL,"
    " job_group TEXT,"
    " outputs TEXT NOT NULL DEFAULT '',"
    " mode TEXT NOT NULL CHECK (mode IN ('dev', 'prod')),"
    " status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed',"
    "  'crashed', 'timed_out', 'killed', 'skipped', 'bailed')),"
    " exit_code INTEGER,"
    " signal INTEGER,"
    " message TEXT,"
    " started_at BIGINT NOT NULL,"
    " ended_at BIGINT,"
    " git_commit TEXT, git_branch TEXT, git_message TEXT, git_remote TEXT,"
    " image_id TEXT, packages TEXT, plugin_path TEXT, plugin_sha256 TEXT,"
    " host_version TEXT, abi_version TEXT, hostname TEXT, command_line TEXT,"
    " passthrough_env TEXT,"
    " lease TEXT,"
    " client_key TEXT UNIQUE);"
    "CREATE INDEX runs_by_job ON runs (project, job_type);"
    "CREATE INDEX runs_running ON runs (lease) WHERE status = 'running';"
    "CREATE TABLE run_env ("
    " run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    " key TEXT NOT NULL, value TEXT,"
    " PRIMARY KEY (run_id, key));"
    "CREATE TABLE run_config ("
    " run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    " key TEXT NOT NULL,"
    " type TEXT NOT NULL CHECK (type IN ('bool', 'int', 'double', 'string')),"
    " value TEXT,"
    " PRIMARY KEY (run_id, key));"
    "CREATE TABLE run_tags ("
    " run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    " tag TEXT NOT NULL,"
    " PRIMARY KEY (run_id, tag));"
    "CREATE TABLE metrics ("
    " id BIGSERIAL PRIMARY KEY,"
    " run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    " key TEXT NOT NULL,"
    " value DOUBLE PRECISION NOT NULL,"
    " step BIGINT CHECK (step IS NULL OR step >= 0),"
    " logged_at BIGINT NOT NULL);"
    "CREATE INDEX metrics_by_run ON metrics (run_id, key, step);"
    "CREATE TABLE run_logs ("
    " id BIGSERIAL PRIMARY KEY,"
    " run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    " level TEXT NOT NULL CHECK (level IN ('error', 'warn', 'info', 'debug')),"
    " message TEXT NOT NULL,"
    " logged_at BIGINT NOT NULL);"
    "CREATE INDEX run_logs_by_run ON run_logs (run_id);"
    "CREATE TABLE artifacts ("
    " id BIGSERIAL PRIMARY KEY,"
    " entity TEXT NOT NULL DEFAULT '',"
    " project TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " UNIQUE (entity, project, name));"
    "CREATE TABLE versions ("
    " id BIGSERIAL PRIMARY KEY,"
    " artifact_id BIGINT NOT NULL REFERENCES artifacts (id),"
    " version BIGINT CHECK (version IS NULL OR version >= 0),"
    " digest TEXT NOT NULL,"
    " type TEXT NOT NULL DEFAULT '',"
    " mode TEXT NOT NULL CHECK (mode IN ('dev', 'prod')),"
    " run_id BIGINT NOT NULL REFERENCES runs (id),"
    " created_at BIGINT NOT NULL,"
    " published INTEGER NOT NULL DEFAULT 0 CHECK (published IN (0, 1)),"
    " UNIQUE (artifact_id, version),"
    " CHECK ((published = 1) = (version IS NOT NULL)));"
    "CREATE INDEX versions_pending ON versions (run_id) WHERE published = 0;"
    "CREATE TABLE version_files ("
    " version_id BIGINT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,"
    " path TEXT NOT NULL,"
    " sha256 TEXT NOT NULL,"
    " size BIGINT NOT NULL,"
    " PRIMARY KEY (version_id, path));"
    "CREATE INDEX version_files_by_blob ON version_files (sha256);"
    "CREATE TABLE version_metadata ("
    " version_id BIGINT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,"
    " key TEXT NOT NULL,"
    " type TEXT NOT NULL CHECK (type IN ('bool', 'int', 'double', 'string')),"
    " value TEXT,"
    " PRIMARY KEY (version_id, key));"
    "CREATE TABLE run_inputs ("
    " run_id BIGINT NOT NULL REFERENCES runs (id),"
    " version_id BIGINT NOT NULL REFERENCES versions (id),"
    " PRIMARY KEY (run_id, version_id));"
    "CREATE TABLE run_outputs ("
    " run_id BIGINT NOT NULL REFERENCES runs (id),"
    " version_id BIGINT NOT NULL REFERENCES versions (id),"
    " PRIMARY KEY (run_id, version_id));"
    "CREATE INDEX run_outputs_by_version ON run_outputs (version_id);"
    "CREATE TABLE leases ("
    " token TEXT PRIMARY KEY,"
    " hostname TEXT, pid INTEGER,"
    " expires_at TIMESTAMPTZ NOT NULL);"
    "CREATE VIEW artifact_versions AS"
    " SELECT v.id AS version_id, a.entity, a.project, a.name, v.version,"
    "  v.mode, v.digest, v.type, v.run_id, v.created_at"
    " FROM versions v JOIN artifacts a ON a.id = v.artifact_id"
    " WHERE v.published = 1;";

/* Version 2 (reuse, ABI 1.3): the status `reused`, the run a reused run
 * stands for, and the reuse keys of runs, as tracker-local keeps them. A
 * version 1 database is migrated in place, in the transaction that opens
 * it; a new database is created at version 1 and migrated the same way,
 * so the migration is exercised on every new store. */
static const char schema_v2[] =
    "ALTER TABLE runs DROP CONSTRAINT runs_status_check;"
    "ALTER TABLE runs ADD CONSTRAINT runs_status_check CHECK (status IN "
    "('running', 'ok', 'failed', 'crashed', 'timed_out', 'killed', "
    "'skipped', 'bailed', 'reused'));"
    "ALTER TABLE runs ADD COLUMN reused_run BIGINT REFERENCES runs (id);"
    "CREATE TABLE run_keys ("
    " run_id BIGINT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,"
    " key TEXT NOT NULL,"
    " job TEXT NOT NULL DEFAULT '',"
    " parts TEXT NOT NULL);"
    "CREATE INDEX run_keys_by_key ON run_keys (key);"
    "CREATE INDEX run_keys_by_job ON run_keys (job, run_id);"
    "UPDATE aero_schema SET version = 2;";

/* Version 3 (tracker-local's schema 9): a reused run's outputs are those
 * of the run it reuses, no longer copied rows. The table run_outputs
 * becomes run_own_outputs (the pairs each run recorded itself: publish
 * writes there), the copies the reused runs held are deleted from it
 * (exactly the pairs the view gives back: a reused run's row that its
 * reused run does not also hold stays), and the view run_outputs gives
 * every run's outputs as the table did, so every SELECT on it reads as
 * before. A reused run reuses an `ok` run, never another reused one
 * (reuse.c checks it under FOR SHARE), so one join is the whole chain, as
 * in tracker-local's view. Each copy was a row and an entry of
 * run_outputs_by_version per reused output: the table and its index grew
 * with every unchanged re-run. Asked by run_id (show, lineage,
 * query_versions) the view reads two primary keys; asked by version_id
 * its second half looks up runs by reused_run (indexed since version 4),
 * which gc does not ask (collect.c). */
static const char schema_v3[] =
    "ALTER TABLE run_outputs RENAME TO run_own_outputs;"
    "DELETE FROM run_own_outputs c WHERE EXISTS (SELECT 1 FROM runs r JOIN "
    "run_own_outputs o ON o.run_id = r.reused_run WHERE r.id = c.run_id AND "
    "o.version_id = c.version_id);"
    "CREATE VIEW run_outputs (run_id, version_id) AS"
    " SELECT run_id, version_id FROM run_own_outputs UNION ALL"
    " SELECT r.id, o.version_id FROM runs r JOIN run_own_outputs o"
    " ON o.run_id = r.reused_run;"
    "UPDATE aero_schema SET version = 3;";

/* Version 4: an index on runs.reused_run, of the reused runs only. The
 * foreign key reused_run -> runs (id) has every DELETE FROM runs look for
 * runs reusing each deleted one: without an index, a scan of runs per
 * deleted run, so gc's time grew with the product of the two. Measured on
 * PostgreSQL 15 (121,000 runs, 100,000 of them reused): deleting 20,000
 * dev runs took 188 s without it, 0.55 s with it; the price, 100 unchanged
 * re-runs of 1,000 actions wrote 17% more WAL (46 MB against 39), in the
 * same time. */
static const char schema_v4[] =
    "CREATE INDEX runs_by_reused_run ON runs (reused_run) WHERE reused_run "
    "IS NOT NULL;"
    "UPDATE aero_schema SET version = 4;";

/* Version 5: run_inputs by version and versions by run, for the foreign
 * keys of gc's deletes (collect.c). run_inputs is keyed by run, and
 * versions_pending holds only pending versions: without these, each
 * deleted version had run_inputs scanned for a reader, each deleted run
 * versions for a version it made, so gc's time grew with the product of
 * what it deletes and what stays. Measured on PostgreSQL 15 (4,000 old
 * dev runs of a chain deleted, 16,000 newer ones staying, docs/
 * team-store.md): see there. tracker-local builds the same two for gc
 * alone and drops them (store.md); here an index built in gc's
 * transaction would hold off every host recording an input meanwhile
 * (CREATE INDEX locks the table against writes). */
static const char schema_v5[] =
    "CREATE INDEX run_inputs_by_version ON run_inputs (version_id);"
    "CREATE INDEX versions_by_run ON versions (run_id);"
    "UPDATE aero_schema SET version = 5;";

int64_t tp_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void tp_param_text(tp_params *p, const char *text) {
  if (p->count < TP_MAX_PARAMS)
    p->values[p->count++] = text;
}

void tp_param_int(tp_params *p, int64_t value) {
  if (p->count >= TP_MAX_PARAMS)
    return;
  snprintf(p->buf[p->count], sizeof p->buf[p->count], "%lld", (long long)value);
  p->values[p->count] = p->buf[p->count];
  p->count++;
}

static bool array_add(char **buf, size_t *len, size_t *cap, const char *text);

bool tp_array_add(char **buf, size_t *len, size_t *cap, const char *text_in) {
  /* Escaped before the array's own quoting, so that its backslashes are
   * quoted too. */
  char *escaped = text_in != NULL ? tp_utf8_escaped(text_in) : NULL;
  const char *text = escaped != NULL ? escaped : text_in;
  bool ok = array_add(buf, len, cap, text);
  free(escaped);
  return ok;
}

static bool array_add(char **buf, size_t *len, size_t *cap, const char *text) {
  size_t need = *len + 4 + (text != NULL ? 2 * strlen(text) : 4);
  if (need > *cap) {
    size_t grown_cap = need * 2 + 64;
    char *grown = realloc(*buf, grown_cap);
    if (grown == NULL)
      return false;
    *buf = grown;
    *cap = grown_cap;
  }
  char *p = *buf + *len;
  *p++ = *len == 0 ? '{' : ',';
  if (text == NULL) {
    memcpy(p, "NULL", 4);
    p += 4;
  } else {
    *p++ = '"';
    for (const char *c = text; *c != '\0'; c++) {
      if (*c == '"' || *c == '\\')
        *p++ = '\\';
      *p++ = *c;
    }
    *p++ = '"';
  }
  *len = (size_t)(p - *buf);
  return true;
}

bool tp_array_end(char **buf, size_t *len, size_t *cap) {
  if (*len + 3 > *cap) {
    char *grown = realloc(*buf, *len + 3);
    if (grown == NULL)
      return false;
    *buf = grown;
    *cap = *len + 3;
  }
  if (*len == 0)
    (*buf)[(*len)++] = '{';
  (*buf)[(*len)++] = '}';
  (*buf)[*len] = '\0';
  return true;
}

/* The first line of libpq's message, which never holds a password. */
static void first_line(const char *msg, char *out, size_t size) {
  if (msg == NULL)
    msg = "";
  if (strncmp(msg, "ERROR:  ", 8) == 0)
    msg += 8;
  size_t len = strcspn(msg, "\n");
  snprintf(out, size, "%.*s", (int)len, msg);
}

/* Set when the last failure was a lost connection or a lost race. */
static bool retryable(tp_store *store, const PGresult *res) {
  if (store->db == NULL || PQstatus(store->db) == CONNECTION_BAD)
    return true;
  const char *state =
      res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  /* 40001 serialization failure, 40P01 deadlock, 57P01 admin shutdown,
   * 08xxx connection exceptions. */
  return state != NULL &&
         (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
          strcmp(state, "57P01") == 0 || strncmp(state, "08", 2) == 0);
}

/* The length of the valid UTF-8 sequence at `s`, or 0. */
static size_t utf8_char(const unsigned char *s) {
  if (s[0] < 0x80)
    return 1;
  size_t n = s[0] >= 0xc2 && s[0] <= 0xdf   ? 2
             : s[0] >= 0xe0 && s[0] <= 0xef ? 3
             : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4
                                            : 0;
  for (size_t i = 1; i < n; i++)
    if ((s[i] & 0xc0) != 0x80)
      return 0;
  /* Overlong forms, surrogates and code points past U+10FFFF. */
  if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
      (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
    return 0;
  return n;
}

/* PostgreSQL text is UTF-8 and refuses anything else, where SQLite keeps
 * the bytes: a byte that is not part of valid UTF-8 is written as the four
 * characters \xNN, the form the readers show such bytes in anyway.
 * Returns NULL when `text` is valid as it is (or out of memory). */
char *tp_utf8_escaped(const char *text) {
  const unsigned char *s = (const unsigned char *)text;
  size_t bad = 0, n;
  for (size_t i = 0; s[i] != '\0'; i += n ? n : 1)
    if ((n = utf8_char(s + i)) == 0)
      bad++;
  if (bad == 0)
    return NULL;
  char *out = malloc(strlen(text) + 3 * bad + 1);
  if (out == NULL)
    return NULL;
  char *o = out;
  for (size_t i = 0; s[i] != '\0'; i += n ? n : 1) {
    n = utf8_char(s + i);
    if (n == 0) {
      o += sprintf(o, "\\x%02x", s[i]);
    } else {
      memcpy(o, s + i, n);
      o += n;
    }
  }
  *o = '\0';
  return out;
}

/* Fails with the one line `res` (or the connection) says, naming `what`
 * and the server; notes whether a retry may pass. Clears `res`. */
static aero_status result_failed(tp_store *store, PGresult *res,
                                 const char *what, aero_error *err) {
  store->last_retryable = retryable(store, res);
  char line[512];
  first_line(res != NULL && PQresultErrorMessage(res)[0] != '\0'
                 ? PQresultErrorMessage(res)
                 : PQerrorMessage(store->db),
             line, sizeof line);
  const char *state =
      res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  aero_status code = state != NULL && strcmp(state, "53100") == 0
                         ? AERO_E_NOSPACE
                         : AERO_E_STORE;
  PQclear(res);
  if (store->notice[0] != '\0' && strstr(line, store->notice) == NULL)
    return aero_fail(err, code, "%s: %s: %s (the server said: %s)",
                     store->server, what, line, store->notice);
  return aero_fail(err, code, "%s: %s: %s", store->server, what, line);
}

aero_status tp_exec(tp_store *store, const char *sql, const tp_params *p,
                    PGresult **out, const char *what, aero_error *err) {
  if (p != NULL) {
    /* Parameters with bytes that are not UTF-8: the same call with them
     * escaped (a rare path; the copies live for this call). */
    char *escaped[TP_MAX_PARAMS] = {0};
    bool any = false;
    for (int i = 0; i < p->count; i++)
      if (p->values[i] != NULL && (escaped[i] = tp_utf8_escaped(p->values[i])))
        any = true;
    if (any) {
      tp_params copy = *p;
      for (int i = 0; i < p->count; i++)
        copy.values[i] = escaped[i] != NULL          ? escaped[i]
                         : p->values[i] == p->buf[i] ? copy.buf[i]
                                                     : p->values[i];
      aero_status status = tp_exec(store, sql, &copy, out, what, err);
      for (int i = 0; i < p->count; i++)
        free(escaped[i]);
      return status;
    }
  }
  if (store->db == NULL || PQstatus(store->db) == CONNECTION_BAD) {
    store->last_retryable = true;
    return aero_fail(err, AERO_E_STORE, "%s: %s: the connection is lost",
                     store->server, what);
  }
  store->notice[0] = '\0';
  /* Without parameters, PQexec: it takes several statements at once. */
  PGresult *res = p == NULL ? PQexec(store->db, sql)
                            : PQexecParams(store->db, sql, p->count, NULL,
                                           p->values, NULL, NULL, 0);
  ExecStatusType st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
    if (out != NULL)
      *out = res;
    else
      PQclear(res);
    return AERO_OK;
  }
  return result_failed(store, res, what, err);
}

/* Statements of tp_exec_ids in flight at most: their answers must fit the
 * socket's buffers while the rest is sent (libpq's pipeline mode, used in
 * blocking mode, would otherwise wait on a server waiting on us). */
#define TP_PIPELINE_MAX 128

/* One chunk of tp_exec_ids, pipelined. */
static aero_status exec_ids_chunk(tp_store *store, const char *sql,
                                  tp_params *const *sets, size_t n,
                                  int64_t *ids, const char *what,
                                  aero_error *err) {
  PGconn *db = store->db;
  aero_status status = AERO_OK;
  size_t sent = 0;
  for (; sent < n; sent++)
    if (!PQsendQueryParams(db, sql, sets[sent]->count, NULL, sets[sent]->values,
                           NULL, NULL, 0))
      break;
  bool synced = PQpipelineSync(db) == 1;
  if (sent < n || !synced) {
    store->last_retryable = PQstatus(db) == CONNECTION_BAD;
    char line[512];
    first_line(PQerrorMessage(db), line, sizeof line);
    status =
        aero_fail(err, AERO_E_STORE, "%s: %s: %s", store->server, what, line);
  }
  /* Every answer is read up to the sync's (each statement's followed by
   * NULL), whatever failed: the pipeline must be empty to leave it. Two
   * NULLs in a row: nothing more comes (a lost connection). */
  bool was_null = false;
  for (size_t i = 0; synced;) {
    PGresult *res = PQgetResult(db);
    if (res == NULL) {
      if (was_null)
        break;
      was_null = true;
      continue;
    }
    was_null = false;
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_PIPELINE_SYNC) {
      PQclear(res);
      break;
    }
    if (st == PGRES_TUPLES_OK && PQntuples(res) > 0 && i < n) {
      ids[i] = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
      PQclear(res);
    } else if (st == PGRES_PIPELINE_ABORTED || status != AERO_OK) {
      PQclear(res);
    } else {
      status = result_failed(store, res, what, err);
    }
    i++;
  }
  return status;
}

aero_status tp_exec_ids(tp_store *store, const char *sql,
                        tp_params *const *sets, size_t n, int64_t *ids,
                        const char *what, aero_error *err) {
  /* A parameter that is not UTF-8 takes tp_exec's escaping path. */
  bool plain = store->db != NULL && PQstatus(store->db) == CONNECTION_OK;
  for (size_t i = 0; plain && i < n; i++)
    for (int k = 0; plain && k < sets[i]->count; k++) {
      char *escaped = sets[i]->values[k] != NULL
                          ? tp_utf8_escaped(sets[i]->values[k])
                          : NULL;
      plain = escaped == NULL;
      free(escaped);
    }
  if (!plain || PQenterPipelineMode(store->db) != 1) {
    aero_status status = AERO_OK;
    for (size_t i = 0; i < n && status == AERO_OK; i++) {
      PGresult *res = NULL;
      status = tp_exec(store, sql, sets[i], &res, what, err);
      if (status == AERO_OK) {
        ids[i] =
            PQntuples(res) > 0 ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
        PQclear(res);
      }
    }
    return status;
  }
  store->notice[0] = '\0';
  aero_status status = AERO_OK;
  for (size_t at = 0; at < n && status == AERO_OK; at += TP_PIPELINE_MAX)
    status = exec_ids_chunk(store, sql, sets + at,
                            n - at < TP_PIPELINE_MAX ? n - at : TP_PIPELINE_MAX,
                            ids + at, what, err);
  if (PQexitPipelineMode(store->db) != 1 && status == AERO_OK)
    status = aero_fail(err, AERO_E_STORE, "%s: %s: %s", store->server, what,
                       "the pipeline did not end");
  return status;
}

static double since(const struct timespec *start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - start->tv_sec) +
         (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static void pause_for(double seconds) {
  struct timespec ts = {(time_t)seconds,
                        (long)((seconds - (double)(time_t)seconds) * 1e9)};
  nanosleep(&ts, NULL);
}

static aero_status with_retries(tp_store *store, tp_txn_fn fn, void *ctx,
                                const char *what, bool transaction,
                                aero_error *err) {
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  double limit = store->retry_seconds, delay = 0.05;
  for (int attempt = 1;; attempt++) {
    store->last_retryable = false;
    aero_status status =
        transaction ? tp_exec(store, "BEGIN", NULL, NULL, what, err) : AERO_OK;
    if (status == AERO_OK)
      status = fn(store, ctx, err);
    if (status == AERO_OK && transaction)
      status = tp_exec(store, "COMMIT", NULL, NULL, what, err);
    if (status == AERO_OK)
      return AERO_OK;
    bool again = store->last_retryable;
    if (store->db != NULL && PQstatus(store->db) == CONNECTION_OK &&
        PQtransactionStatus(store->db) != PQTRANS_IDLE) {
      PGresult *res = PQexec(store->db, "ROLLBACK");
      PQclear(res);
    }
    if (!again || since(&start) + delay > limit)
      return status;
    pause_for(delay);
    delay = delay * 2 < 2.0 ? delay * 2 : 2.0;
    if (store->db == NULL || PQstatus(store->db) == CONNECTION_BAD) {
      /* The server may still be starting: PQreset fails until it is up. */
      while (PQreset(store->db), PQstatus(store->db) != CONNECTION_OK) {
        if (since(&start) + delay > limit) {
          char line[512];
          first_line(PQerrorMessage(store->db), line, sizeof line);
          return aero_fail(err, AERO_E_STORE,
                           "%s: %s: the connection was lost and could not "
                           "be made again in %.0f s: %s",
                           store->server, what, limit, line);
        }
        pause_for(delay);
        delay = delay * 2 < 2.0 ? delay * 2 : 2.0;
      }
      PGresult *res = PQexec(store->db, "SET client_min_messages = warning");
      PQclear(res);
    }
    (void)attempt;
  }
}

aero_status tp_txn(tp_store *store, tp_txn_fn fn, void *ctx, const char *what,
                   aero_error *err) {
  return with_retries(store, fn, ctx, what, true, err);
}

aero_status tp_once(tp_store *store, tp_txn_fn fn, void *ctx, const char *what,
                    aero_error *err) {
  return with_retries(store, fn, ctx, what, false, err);
}

typedef struct schema_ctx {
  int version;
} schema_ctx;

static aero_status create_schema(tp_store *store, void *ctx_, aero_error *err) {
  schema_ctx *ctx = ctx_;
  /* One creator at a time, however many hosts open a new database. */
  aero_status status = tp_exec(store, "SELECT pg_advisory_xact_lock(7303)",
                               NULL, NULL, "locking the schema", err);
  PGresult *res = NULL;
  if (status == AERO_OK)
    status = tp_exec(store, "SELECT to_regclass('aero_schema') IS NOT NULL",
                     NULL, &res, "reading the schema version", err);
  if (status != AERO_OK)
    return status;
  bool exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
  PQclear(res);
  /* A reader never makes a store, as tracker-local's does not: an empty
   * database (a team store nobody has recorded in yet, or the wrong
   * database named) is said to be so, not listed as a store with no runs. */
  if (!exists && store->existing)
    return aero_fail(err, AERO_E_NOT_FOUND,
                     "no store at %s: its database holds no aeromancy "
                     "record (nothing recorded there yet)",
                     store->server);
  if (!exists) {
    status = tp_exec(store, schema_v1, NULL, NULL, "creating the schema", err);
    if (status == AERO_OK)
      status = tp_exec(store,
                       "CREATE TABLE aero_schema (version INTEGER NOT NULL);"
                       "INSERT INTO aero_schema VALUES (1)",
                       NULL, NULL, "creating the schema", err);
    if (status != AERO_OK)
      return status;
  }
  status = tp_exec(store, "SELECT max(version) FROM aero_schema", NULL, &res,
                   "reading the schema version", err);
  if (status == AERO_OK) {
    ctx->version = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
  }
  if (status == AERO_OK && ctx->version == 1) {
    status = tp_exec(store, schema_v2, NULL, NULL,
                     "migrating the schema to version 2", err);
    if (status == AERO_OK)
      ctx->version = 2;
  }
  if (status == AERO_OK && ctx->version == 2) {
    status = tp_exec(store, schema_v3, NULL, NULL,
                     "migrating the schema to version 3", err);
    if (status == AERO_OK)
      ctx->version = 3;
  }
  if (status == AERO_OK && ctx->version == 3) {
    status = tp_exec(store, schema_v4, NULL, NULL,
                     "migrating the schema to version 4", err);
    if (status == AERO_OK)
      ctx->version = 4;
  }
  if (status == AERO_OK && ctx->version == 4) {
    status = tp_exec(store, schema_v5, NULL, NULL,
                     "migrating the schema to version 5", err);
    if (status == AERO_OK)
      ctx->version = 5;
  }
  return status;
}

char *tp_server_text(const char *conninfo) {
  const char *host = "", *port = "", *db = "";
  PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
  for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++) {
    if (o->val == NULL)
      continue;
    if (strcmp(o->keyword, "host") == 0)
      host = o->val;
    else if (strcmp(o->keyword, "port") == 0)
      port = o->val;
    else if (strcmp(o->keyword, "dbname") == 0)
      db = o->val;
  }
  char *text = pc_strdup_printf("postgres %s%s%s/%s",
                                host[0] != '\0' ? host : "localhost",
                                port[0] != '\0' ? ":" : "", port, db);
  PQconninfoFree(opts);
  return text;
}

/* store->server, for messages: tp_server_text cut to fit. */
static void server_name(tp_store *store) {
  char *text = tp_server_text(store->conninfo);
  snprintf(store->server, sizeof store->server, "%s",
           text != NULL ? text : "postgres");
  free(text);
}

/* libpq's default prints what the server says outside a result to stderr:
 * a WARNING, or the FATAL of a connection cut between two statements
 * (which waits in the socket until the next one). That would be a second
 * line beside our own one-line error. A handle's own connection keeps the
 * first line instead, and tp_exec says it in the error of the statement
 * it came with; other connections (the heartbeat's) drop it. */
static void on_notice(void *arg, const char *message) {
  tp_store *keeper = arg;
  if (keeper != NULL)
    first_line(message, keeper->notice, sizeof keeper->notice);
}

PGconn *tp_connect(const char *conninfo, tp_store *keeper) {
  PGconn *conn = PQconnectdb(conninfo);
  if (conn != NULL) /* kept by PQreset */
    PQsetNoticeProcessor(conn, on_notice, keeper);
  return conn;
}

/* The oldest server the SQL here runs on: gc's `SET LOCAL jit = off`
 * (collect.c) needs 11, an older server's error naming a setting it does
 * not know ("unrecognized configuration parameter"). Said when the store
 * is opened, before anything is written, rather than by gc later. */
#define TP_SERVER_VERSION_MIN 110000

static aero_status check_server_version(tp_store *store, aero_error *err) {
  int v = PQserverVersion(store->db);
  if (v >= TP_SERVER_VERSION_MIN)
    return AERO_OK;
  /* 10 and later: major * 10000 + minor; before: 9.6.24 is 90624. */
  char name[48]; /* three ints and two dots, whatever their values */
  if (v >= 100000)
    snprintf(name, sizeof name, "%d.%d", v / 10000, v % 10000);
  else
    snprintf(name, sizeof name, "%d.%d.%d", v / 10000, v / 100 % 100, v % 100);
  return aero_fail(err, AERO_E_STORE,
                   "%s: the server is PostgreSQL %s; tracker-postgres needs "
                   "PostgreSQL %d or newer",
                   store->server, name, TP_SERVER_VERSION_MIN / 10000);
}

aero_status tp_db_open(tp_store *store, aero_error *err) {
  server_name(store);
  store->db = tp_connect(store->conninfo, store);
  if (store->db == NULL)
    return aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  if (PQstatus(store->db) != CONNECTION_OK) {
    char line[512];
    first_line(PQerrorMessage(store->db), line, sizeof line);
    return aero_fail(err, AERO_E_STORE, "%s: cannot connect: %s", store->server,
                     line);
  }
  aero_status status = check_server_version(store, err);
  if (status != AERO_OK)
    return status;
  PGresult *res = PQexec(store->db, "SET client_min_messages = warning");
  PQclear(res);
  schema_ctx ctx = {0};
  status = tp_txn(store, create_schema, &ctx, "creating the schema", err);
  if (status == AERO_OK && ctx.version != TP_SCHEMA_VERSION)
    status = aero_fail(err, AERO_E_STORE,
                       "%s: schema version %d is not the one this "
                       "tracker-postgres understands (%d): use the aeromancy "
                       "that wrote it",
                       store->server, ctx.version, TP_SCHEMA_VERSION);
  return status;
}

void tp_db_close(tp_store *store) {
  if (store->db != NULL)
    PQfinish(store->db);
  store->db = NULL;
}
