/* tracker-local: streaming a run's metric points (query_metrics) in
 * batches: `aeromancy metrics` on a run of millions of points holds one
 * batch of rows and the blocks whose steps overlap, not the whole run.
 *
 * Points are stored in blocks (metric_blocks.c), each sorted by step and
 * then logging order, read in index order (metric_blocks_by_run: run,
 * key, first step, then id, which is logging order). The points of one
 * key come out by step, then logging order: a merge of that key's blocks.
 * A block joins the merge once no point still to come can sort before its
 * first point; blocks of a run logged in step order never overlap, so the
 * merge then holds one block at a time and copies its points out in a
 * plain loop. Consecutive points share their key: a batch copies a key
 * once per change into its own buffer, and is handed over when either
 * fills.
 */
#include "local.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_ROWS 2048
#define BATCH_KEYS (64 * 1024)

typedef struct batch {
  aero_metric_row rows[BATCH_ROWS];
  size_t count;
  char keys[BATCH_KEYS];
  size_t keys_used;
  const char *last_key; /* in `keys`; NULL after a flush */
} batch;

static aero_status flush(batch *b, aero_metric_rows_fn each, void *ctx,
                         aero_error *err) {
  aero_status status =
      b->count > 0 ? each(ctx, b->rows, b->count, err) : AERO_OK;
  b->count = 0;
  b->keys_used = 0;
  b->last_key = NULL;
  return status;
}

/* A block in the merge: its own copy of the arrays, and the next point. */
typedef struct active {
  int64_t id; /* logging order of the block */
  size_t next, n;
  unsigned char *data; /* steps, then vals, then times: 8 * n bytes each */
} active;

typedef struct merge {
  tl_store *store;
  sqlite3_stmt *st;
  bool pending;  /* st holds a block not yet in the heap */
  active **heap; /* min-heap by (step of the next point, id) */
  size_t used, cap;
} merge;

static int64_t next_step(const active *a) {
  return tl_get_i64(a->data + 8 * a->next);
}

static bool before(const active *a, const active *b) {
  int64_t sa = next_step(a), sb = next_step(b);
  return sa != sb ? sa < sb : a->id < b->id;
}

static void sift_down(merge *m, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, least = i;
    if (l < m->used && before(m->heap[l], m->heap[least]))
      least = l;
    if (r < m->used && before(m->heap[r], m->heap[least]))
      least = r;
    if (least == i)
      return;
    active *t = m->heap[i];
    m->heap[i] = m->heap[least];
    m->heap[least] = t;
    i = least;
  }
}

static void sift_up(merge *m, size_t i) {
  while (i > 0 && before(m->heap[i], m->heap[(i - 1) / 2])) {
    active *t = m->heap[i];
    m->heap[i] = m->heap[(i - 1) / 2];
    m->heap[(i - 1) / 2] = t;
    i = (i - 1) / 2;
  }
}

/* Columns of the statements below. */
enum { C_KEY, C_ID, C_FIRST, C_COUNT };

/* The step the pending block's first point sorts at. */
static int64_t pending_first(const merge *m) {
  return sqlite3_column_type(m->st, C_FIRST) == SQLITE_NULL
             ? AERO_NO_STEP
             : sqlite3_column_int64(m->st, C_FIRST);
}

static aero_status advance(merge *m, aero_error *err) {
  int rc = sqlite3_step(m->st);
  m->pending = rc == SQLITE_ROW;
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return tl_db_fail(m->store, rc, "reading metrics", err);
  return AERO_OK;
}

/* Moves the pending block into the heap and reads the next one. */
static aero_status take_pending(merge *m, aero_error *err) {
  tl_block b;
  if (!tl_block_view(m->st, C_COUNT, &b))
    return aero_fail(
        err, AERO_E_STORE, "%s: metric block %lld is damaged (aeromancy fsck)",
        m->store->db_path, (long long)sqlite3_column_int64(m->st, C_ID));
  active **heap = aeu_grow(m->heap, &m->cap, m->used + 1, sizeof *heap, 16);
  if (heap == NULL)
    return aero_fail(err, AERO_E_NOMEM, "tracker-local: out of memory");
  m->heap = heap;
  active *a = malloc(sizeof *a + 24 * b.n);
  if (a == NULL)
    return aero_fail(err, AERO_E_NOMEM, "tracker-local: out of memory");
  *a = (active){.id = sqlite3_column_int64(m->st, C_ID),
                .n = b.n,
                .data = (unsigned char *)(a + 1)};
  memcpy(a->data, b.steps, 8 * b.n);
  memcpy(a->data + 8 * b.n, b.vals, 8 * b.n);
  memcpy(a->data + 16 * b.n, b.times, 8 * b.n);
  m->heap[m->used++] = a;
  sift_up(m, m->used - 1);
  return advance(m, err);
}

/* Starts the batch's rows of `key`, copying it into the batch. */
static aero_status use_key(batch *b, const char *key, size_t key_len,
                           tl_store *store, aero_metric_rows_fn each, void *ctx,
                           aero_error *err) {
  if (key_len + 1 > BATCH_KEYS - b->keys_used) {
    aero_status status = flush(b, each, ctx, err);
    if (status != AERO_OK)
      return status;
    if (key_len + 1 > BATCH_KEYS)
      return aero_fail(err, AERO_E_STORE, "%s: a metric key of %zu bytes",
                       store->db_path, key_len);
  }
  char *copy = b->keys + b->keys_used;
  memcpy(copy, key, key_len + 1);
  b->keys_used += key_len + 1;
  b->last_key = copy;
  return AERO_OK;
}

/* Hands over the points of the heap's first block up to (not including)
 * the first that sorts at or after `bound` (all of them when `all`). */
static aero_status emit_top(merge *m, batch *b, char *key, size_t key_len,
                            int64_t bound, bool all, aero_metric_rows_fn each,
                            void *ctx, aero_error *err) {
  active *a = m->heap[0];
  const unsigned char *steps = a->data, *vals = a->data + 8 * a->n,
                      *times = a->data + 16 * a->n;
  do {
    if (b->last_key == NULL) {
      aero_status status = use_key(b, key, key_len, m->store, each, ctx, err);
      if (status != AERO_OK)
        return status;
    }
    size_t i = a->next;
    aero_metric_row *row = &b->rows[b->count++];
    row->key = b->last_key;
    row->step = tl_get_i64(steps + 8 * i);
    row->value = tl_get_f64(vals + 8 * i);
    row->logged_ns = tl_get_i64(times + 8 * i);
    a->next++;
    if (b->count == BATCH_ROWS) {
      aero_status status = flush(b, each, ctx, err);
      if (status != AERO_OK)
        return status;
    }
  } while (a->next < a->n && (all || next_step(a) < bound));
  if (a->next == a->n) {
    free(a);
    m->heap[0] = m->heap[--m->used];
  }
  if (m->used > 0)
    sift_down(m, 0);
  return AERO_OK;
}

/* Streams every point of the blocks `st` reads, key by key. */
static aero_status stream(tl_store *store, sqlite3_stmt *st, batch *b,
                          aero_metric_rows_fn each, void *ctx,
                          aero_error *err) {
  merge m = {.store = store, .st = st};
  char *key = NULL;
  size_t key_len = 0;
  aero_status status = advance(&m, err);
  while (status == AERO_OK && m.pending) {
    /* A new key: its first block, then the merge until its blocks end. */
    free(key);
    key_len = (size_t)sqlite3_column_bytes(st, C_KEY);
    key = strdup((const char *)sqlite3_column_text(st, C_KEY));
    if (key == NULL) {
      status = aero_fail(err, AERO_E_NOMEM, "tracker-local: out of memory");
      break;
    }
    b->last_key = NULL; /* the batch copies the new key at its first row */
    status = take_pending(&m, err);
    while (status == AERO_OK && m.used > 0) {
      bool same =
          m.pending &&
          strcmp((const char *)sqlite3_column_text(st, C_KEY), key) == 0;
      int64_t bound = same ? pending_first(&m) : INT64_MAX;
      if (same && bound <= next_step(m.heap[0])) {
        status = take_pending(&m, err);
        continue;
      }
      /* The first block's points before `bound` sort before every other
       * point still to come: the heap's second point is in one of its
       * children. */
      bool all = !same;
      for (size_t c = 1; c <= 2 && c < m.used; c++) {
        all = false;
        if (next_step(m.heap[c]) < bound)
          bound = next_step(m.heap[c]);
      }
      status = emit_top(&m, b, key, key_len, bound, all, each, ctx, err);
    }
  }
  for (size_t i = 0; i < m.used; i++)
    free(m.heap[i]);
  free(m.heap);
  free(key);
  return status;
}

static int by_key(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

aero_status tl_query_metrics(void *handle, const aero_metric_query *query,
                             aero_metric_rows_fn each, void *ctx,
                             aero_error *err) {
  tl_store *store = handle;
  if (query == NULL || each == NULL ||
      query->struct_size < sizeof(aero_metric_query) ||
      (query->key_count > 0 && query->keys == NULL))
    return aero_fail(err, AERO_E_INVALID,
                     "tracker-local: query_metrics needs a query and a "
                     "callback");
  batch *b = malloc(sizeof *b);
  /* The keys asked for, sorted as the points are streamed without keys
   * (ORDER BY key: bytes, as strcmp and tracker-postgres's COLLATE "C"). */
  const char **keys =
      query->key_count > 0 ? malloc(query->key_count * sizeof *keys) : NULL;
  if (b == NULL || (query->key_count > 0 && keys == NULL)) {
    free(b);
    return aero_fail(err, AERO_E_NOMEM, "tracker-local: out of memory");
  }
  if (keys != NULL) {
    memcpy(keys, query->keys, query->key_count * sizeof *keys);
    aeu_sort(keys, query->key_count, sizeof *keys, by_key);
  }
  b->count = 0;
  b->keys_used = 0;
  b->last_key = NULL;
  sqlite3_stmt *st = NULL;
  aero_status status = tl_read_begin(store, err);
  if (status != AERO_OK)
    goto done;
  if (query->key_count == 0) {
    status = tl_prepare(store,
                        "SELECT key, id, first_step, count, steps, vals, "
                        "times FROM metric_blocks WHERE run_id = ? "
                        "ORDER BY key, first_step, id",
                        &st, err);
    if (status == AERO_OK) {
      sqlite3_bind_int64(st, 1, query->run_id);
      status = stream(store, st, b, each, ctx, err);
      tl_finish(store, st);
    }
  } else {
    /* One index range per key, in key order whatever the order asked
     * (query.h). The keys are a set, as tracker-postgres's `key =
     * ANY(keys)` reads them: a key given again is skipped, not streamed
     * twice. */
    for (size_t i = 0; status == AERO_OK && i < query->key_count; i++) {
      if (i > 0 && strcmp(keys[i - 1], keys[i]) == 0)
        continue;
      status = tl_prepare(store,
                          "SELECT key, id, first_step, count, steps, vals, "
                          "times FROM metric_blocks WHERE run_id = ? AND "
                          "key = ? ORDER BY first_step, id",
                          &st, err);
      if (status != AERO_OK)
        break;
      sqlite3_bind_int64(st, 1, query->run_id);
      tl_bind_text(st, 2, keys[i]);
      status = stream(store, st, b, each, ctx, err);
      tl_finish(store, st);
    }
  }
  if (status == AERO_OK)
    status = flush(b, each, ctx, err);
  tl_read_end(store);
done:
  free(keys);
  free(b);
  return status;
}
