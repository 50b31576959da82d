/* tracker-postgres: reuse_find_batch (ABI 1.6). A streak of ready actions
 * is answered with one query for every key's candidates, the HEADs of all
 * their blobs at once (s3.c), and one query for the parts of the actions
 * that matched nothing: three round trips in all, where reuse_find costs
 * a query and a HEAD per blob for each action (each 1-4 ms here). The
 * answers are reuse_find's: the newest candidate whose outputs are all
 * published and whose every blob is whole in the bucket. A blob shared by
 * several candidates is asked for once per round. */
#include "tp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A query's key and index, sorted by key to find a row's queries; or a
 * parts row's job and row, sorted by job to find a query's parts. */
typedef struct keyed {
  const char *key;
  size_t index;
} keyed;

typedef struct batch {
  const aero_reuse_query **queries;
  size_t count;
  PGresult *candidates; /* (key, id, ended_at, declared, published, blobs,
                           project, job_type, entity, mode) */
  PGresult *parts;      /* (job, parts) */
  keyed *parts_order;   /* its rows by job (sort_parts) */
  char *keys;           /* the queries' keys, as an array */
  char *jobs;           /* the unmatched queries' jobs, as an array */
  /* Each query's candidates, newest first: rows[start[i] .. start[i+1]). */
  size_t *start, *rows;
} batch;

/* One blob to check: of candidate row `row`. */
typedef struct blob_ask {
  char hex[65];
  uint64_t size;
  size_t row;
} blob_ask;

static aero_status candidates_body(tp_store *store, void *ctx_,
                                   aero_error *err) {
  batch *b = ctx_;
  PQclear(b->candidates);
  b->candidates = NULL;
  tp_params p = {0};
  tp_param_text(&p, b->keys);
  /* As reuse.c's find_body, for every key at once: each candidate with
   * its declared outputs, its published versions, its blobs, and what the
   * query must match (compared here: matched in SQL against the queries
   * unnested as a table, the planner drove the join from runs, not from
   * the keys' index, and took 1.4 s for 1,000 keys). */
  return tp_exec(
      store,
      "SELECT k.key, " TP_CANDIDATE_COLUMNS
      ", r.project, r.job_type, r.entity, r.mode FROM run_keys k JOIN "
      "runs r ON r.id = k.run_id WHERE k.key = ANY($1::text[]) AND r.status "
      "= 'ok' ORDER BY k.key, r.id DESC",
      &p, &b->candidates, "finding runs to reuse", err);
}

static aero_status parts_body(tp_store *store, void *ctx_, aero_error *err) {
  batch *b = ctx_;
  PQclear(b->parts);
  b->parts = NULL;
  tp_params p = {0};
  tp_param_text(&p, b->jobs);
  /* reuse.c's parts_body for every job at once: the newest OK run's. */
  return tp_exec(store,
                 "SELECT DISTINCT ON (k.job) k.job, k.parts FROM run_keys k "
                 "JOIN runs r ON r.id = k.run_id WHERE k.job = "
                 "ANY($1::text[]) AND r.status = 'ok' ORDER BY k.job, "
                 "k.run_id DESC",
                 &p, &b->parts, "finding runs to reuse", err);
}

/* The queries' keys as a PostgreSQL array. */
static bool build_keys(batch *b) {
  size_t len = 0, cap = 0;
  bool ok = true;
  for (size_t i = 0; i < b->count && ok; i++)
    ok = tp_array_add(&b->keys, &len, &cap, b->queries[i]->key);
  return ok && tp_array_end(&b->keys, &len, &cap);
}

/* Whether candidate row `r` stands for query `q`: same key, project,
 * job type, entity and mode. */
static bool row_fits(const PGresult *res, int r, const aero_reuse_query *q) {
  return strcmp(PQgetvalue(res, r, 0), q->key) == 0 &&
         strcmp(PQgetvalue(res, r, 6), q->project) == 0 &&
         strcmp(PQgetvalue(res, r, 7), q->job_type) == 0 &&
         strcmp(PQgetvalue(res, r, 8), q->entity != NULL ? q->entity : "") ==
             0 &&
         strcmp(PQgetvalue(res, r, 9), q->dev ? "dev" : "prod") == 0;
}

static int by_key(const void *x, const void *y) {
  return strcmp(((const keyed *)x)->key, ((const keyed *)y)->key);
}

/* The first of `order` (count `n`, sorted by key) whose key is `key`, or
 * n. */
static size_t first_with_key(const keyed *order, size_t n, const char *key) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(order[mid].key, key) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* Sorts the candidate rows out to their queries (b->start, b->rows): rows
 * come grouped by key, newest first, and queries may share a key. */
static bool assign_rows(batch *b) {
  const PGresult *res = b->candidates;
  int nrows = PQntuples(res);
  keyed *order = malloc((b->count + 1) * sizeof *order);
  b->start = calloc(b->count + 2, sizeof *b->start);
  if (order == NULL || b->start == NULL) {
    free(order);
    return false;
  }
  for (size_t i = 0; i < b->count; i++)
    order[i] = (keyed){b->queries[i]->key, i};
  aeu_sort(order, b->count, sizeof *order, by_key);
  size_t total = 0;
  /* Twice: count each query's rows, then place them. */
  for (int pass = 0; pass < 2; pass++) {
    size_t *fill = NULL;
    if (pass == 1) {
      for (size_t i = 0; i < b->count; i++)
        b->start[i + 1] += b->start[i];
      b->rows = malloc((total + 1) * sizeof *b->rows);
      fill = calloc(b->count + 1, sizeof *fill);
      if (b->rows == NULL || fill == NULL) {
        free(fill);
        free(order);
        return false;
      }
    }
    for (int r = 0; r < nrows; r++) {
      const char *key = PQgetvalue(res, r, 0);
      for (size_t k = first_with_key(order, b->count, key);
           k < b->count && strcmp(order[k].key, key) == 0; k++) {
        size_t i = order[k].index;
        if (!row_fits(res, r, b->queries[i]))
          continue;
        if (pass == 0) {
          b->start[i + 1]++;
          total++;
        } else {
          b->rows[b->start[i] + fill[i]++] = (size_t)r;
        }
      }
    }
    free(fill);
  }
  free(order);
  return true;
}

/* Appends candidate `row`'s blobs ("sha size,sha size") to *asks. */
static bool add_blobs(const PGresult *res, size_t row, blob_ask **asks,
                      size_t *count, size_t *cap) {
  for (const char *p = PQgetvalue(res, (int)row, 5); *p != '\0';) {
    blob_ask a = {.row = row};
    unsigned long long size = 0;
    if (sscanf(p, "%64s %llu", a.hex, &size) != 2)
      break;
    a.size = (uint64_t)size;
    blob_ask *grown = aeu_grow(*asks, cap, *count + 1, sizeof **asks, 64);
    if (grown == NULL)
      return false;
    *asks = grown;
    (*asks)[(*count)++] = a;
    p = strchr(p, ',');
    if (p == NULL)
      break;
    p++;
  }
  return true;
}

static int by_blob(const void *x, const void *y) {
  const blob_ask *a = x, *b = y;
  int c = strcmp(a->hex, b->hex);
  return c != 0 ? c : (a->size > b->size) - (a->size < b->size);
}

/* Settles, for each query, the newest candidate whose outputs are whole:
 * round after round, each undecided query's next published candidate has
 * its blobs checked, all of them at once. match_row[i] is the row, or -1. */
static aero_status settle(tp_store *store, batch *b, long *match_row,
                          aero_error *err) {
  const PGresult *res = b->candidates;
  size_t *cursor = malloc((b->count + 1) * sizeof *cursor);
  bool *missing = calloc((size_t)PQntuples(res) + 1, sizeof *missing);
  if (cursor == NULL || missing == NULL) {
    free(cursor);
    free(missing);
    return aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  }
  for (size_t i = 0; i < b->count; i++) {
    match_row[i] = -1;
    cursor[i] = b->start[i];
  }
  aero_status status = AERO_OK;
  blob_ask *asks = NULL;
  size_t cap = 0;
  const char **hexes = NULL;
  uint64_t *sizes = NULL;
  bool *present = NULL;
  for (;;) {
    bool open = false;
    size_t n = 0;
    for (size_t i = 0; i < b->count && status == AERO_OK; i++) {
      /* Past candidates holding fewer published versions than they
       * declared: not whole, whatever the bucket holds. */
      while (cursor[i] < b->start[i + 1] &&
             strtol(PQgetvalue(res, (int)b->rows[cursor[i]], 4), NULL, 10) <
                 strtol(PQgetvalue(res, (int)b->rows[cursor[i]], 3), NULL, 10))
        cursor[i]++;
      if (cursor[i] < b->start[i + 1]) {
        open = true;
        if (!add_blobs(res, b->rows[cursor[i]], &asks, &n, &cap))
          status =
              aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
      }
    }
    if (!open || status != AERO_OK)
      break;
    free(hexes);
    free(sizes);
    free(present);
    hexes = malloc((n + 1) * sizeof *hexes);
    sizes = malloc((n + 1) * sizeof *sizes);
    present = malloc((n + 1) * sizeof *present);
    if (hexes == NULL || sizes == NULL || present == NULL) {
      status = aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
      break;
    }
    /* Each blob once, however many candidates hold it. */
    aeu_sort(asks, n, sizeof *asks, by_blob);
    size_t unique = 0;
    for (size_t k = 0; k < n; k++)
      if (k == 0 || by_blob(&asks[k - 1], &asks[k]) != 0) {
        hexes[unique] = asks[k].hex;
        sizes[unique++] = asks[k].size;
      }
    status = tp_s3_has_blobs(store->s3, hexes, sizes, unique, present, err);
    if (status != AERO_OK)
      break;
    /* A candidate is whole when none of its blobs is missing. */
    for (size_t k = 0, u = 0; k < n; k++) {
      if (k > 0 && by_blob(&asks[k - 1], &asks[k]) != 0)
        u++;
      if (!present[u])
        missing[asks[k].row] = true;
    }
    for (size_t i = 0; i < b->count; i++) {
      if (cursor[i] >= b->start[i + 1])
        continue;
      if (missing[b->rows[cursor[i]]]) {
        cursor[i]++; /* an older run with the key is tried next */
      } else {
        match_row[i] = (long)b->rows[cursor[i]];
        cursor[i] = b->start[i + 1]; /* decided */
      }
    }
  }
  free(present);
  free(sizes);
  free(hexes);
  free(asks);
  free(missing);
  free(cursor);
  return status;
}

/* Asks for the parts of each unmatched query's job (backend.h). */
static aero_status find_parts(tp_store *store, batch *b, const long *match_row,
                              aero_error *err) {
  size_t len = 0, cap = 0, asked = 0;
  bool ok = true;
  for (size_t i = 0; i < b->count && ok; i++)
    if (match_row[i] < 0 && b->queries[i]->job != NULL) {
      ok = tp_array_add(&b->jobs, &len, &cap, b->queries[i]->job);
      asked++;
    }
  ok = ok && tp_array_end(&b->jobs, &len, &cap);
  if (!ok)
    return aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  if (asked == 0)
    return AERO_OK;
  return tp_once(store, parts_body, b, "finding runs to reuse", err);
}

/* The parts rows by job, for answer() to find each query's by a binary
 * search (a scan of them per unmatched query was quadratic in the batch). */
static bool sort_parts(batch *b) {
  int n = b->parts != NULL ? PQntuples(b->parts) : 0;
  if (n == 0)
    return true;
  b->parts_order = malloc((size_t)n * sizeof *b->parts_order);
  if (b->parts_order == NULL)
    return false;
  for (int r = 0; r < n; r++)
    b->parts_order[r] = (keyed){PQgetvalue(b->parts, r, 0), (size_t)r};
  aeu_sort(b->parts_order, (size_t)n, sizeof *b->parts_order, by_key);
  return true;
}

static void answer(const batch *b, size_t i, long row,
                   aero_reuse_match *match) {
  match->run_id = 0;
  match->ended_ns = 0;
  match->parts[0] = '\0';
  if (row >= 0) {
    match->run_id = strtoll(PQgetvalue(b->candidates, (int)row, 1), NULL, 10);
    match->ended_ns = strtoll(PQgetvalue(b->candidates, (int)row, 2), NULL, 10);
    return;
  }
  const char *job = b->queries[i]->job;
  if (b->parts_order == NULL || job == NULL)
    return;
  size_t n = (size_t)PQntuples(b->parts);
  size_t at = first_with_key(b->parts_order, n, job);
  if (at < n && strcmp(b->parts_order[at].key, job) == 0)
    snprintf(match->parts, sizeof match->parts, "%s",
             PQgetvalue(b->parts, (int)b->parts_order[at].index, 1));
}

aero_status tp_reuse_find_batch(void *handle, const aero_reuse_query *queries,
                                size_t count, aero_reuse_match *matches,
                                aero_error *err) {
  tp_store *store = handle;
  if (count == 0)
    return AERO_OK;
  if (queries == NULL || matches == NULL ||
      queries->struct_size < sizeof *queries ||
      matches->struct_size < sizeof *matches)
    return aero_fail(err, AERO_E_INVALID,
                     "tracker-postgres: bad reuse queries");
  /* Stepped by the caller's struct_size: a newer host's are larger. */
  size_t qstride = queries->struct_size, mstride = matches->struct_size;
  batch b = {.count = count, .queries = malloc(count * sizeof *b.queries)};
  long *match_row = malloc(count * sizeof *match_row);
  aero_status status = AERO_OK;
  if (b.queries == NULL || match_row == NULL)
    status = aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  for (size_t i = 0; status == AERO_OK && i < count; i++) {
    const aero_reuse_query *q =
        (const aero_reuse_query *)(const void *)((const char *)queries +
                                                 i * qstride);
    if (q->key == NULL || q->project == NULL || q->job_type == NULL)
      status =
          aero_fail(err, AERO_E_INVALID, "tracker-postgres: bad reuse query");
    b.queries[i] = q;
  }
  if (status == AERO_OK && !build_keys(&b))
    status = aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  if (status == AERO_OK) {
    pthread_mutex_lock(&store->lock);
    status = tp_once(store, candidates_body, &b, "finding runs to reuse", err);
    if (status == AERO_OK && !assign_rows(&b))
      status = aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
    if (status == AERO_OK)
      status = settle(store, &b, match_row, err);
    if (status == AERO_OK)
      status = find_parts(store, &b, match_row, err);
    pthread_mutex_unlock(&store->lock);
    if (status == AERO_OK && !sort_parts(&b))
      status = aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  }
  for (size_t i = 0; status == AERO_OK && i < count; i++)
    answer(&b, i, match_row[i],
           (aero_reuse_match *)(void *)((char *)matches + i * mstride));
  PQclear(b.candidates);
  PQclear(b.parts);
  free(b.parts_order);
  free(b.keys);
  free(b.jobs);
  free(b.start);
  free(b.rows);
  free(match_row);
  free(b.queries);
  return status;
}
