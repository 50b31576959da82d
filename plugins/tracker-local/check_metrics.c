/* tracker-local: fsck's check of the metric points (check.c calls it).
 *
 * Every metric block decodes (arrays of `count` points, steps in order,
 * finite values, first and last step its own), and every key's summary
 * counts the points its blocks hold. Nothing here can be repaired: the
 * points are reported, never dropped.
 *
 * One pass over the blocks, in table order, does both: each block is
 * decoded, and its key's point count noted. The counts are then sorted by
 * (run, key) and merged with the summaries read in their primary key's
 * order. Counting with SQL instead (a sum over each key's blocks, and the
 * blocks no summary covers) read every block twice more, once through the
 * index in random order: two thirds of fsck's time on a store of 10 M
 * points (docs/performance.md). Both passes share one snapshot, so a host
 * recording meanwhile (a block and its summary in one transaction) is
 * never half seen.
 */
#include "local.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The points one or more blocks of a key hold. */
typedef struct key_count {
  int64_t run_id;
  char *key;      /* owned */
  uint64_t count; /* wraps rather than overflows on absurd counts: any
                     mismatch is still one */
} key_count;

typedef struct key_counts {
  key_count *list;
  size_t n, cap;
} key_counts;

static void counts_free(key_counts *kc) {
  for (size_t i = 0; i < kc->n; i++)
    free(kc->list[i].key);
  free(kc->list);
}

/* Adds a block's points to its key: to the last entry when the block
 * continues it (the usual case: a key's blocks are mostly recorded in a
 * row), else to a new one. False when out of memory. */
static bool counts_add(key_counts *kc, int64_t run_id, const char *key,
                       int64_t count) {
  key_count *last = kc->n > 0 ? &kc->list[kc->n - 1] : NULL;
  if (last != NULL && last->run_id == run_id && strcmp(last->key, key) == 0) {
    last->count += (uint64_t)count;
    return true;
  }
  key_count *grown =
      aeu_grow(kc->list, &kc->cap, kc->n + 1, sizeof *grown, 1024);
  if (grown == NULL)
    return false;
  kc->list = grown;
  char *copy = strdup(key);
  if (copy == NULL)
    return false;
  kc->list[kc->n++] = (key_count){run_id, copy, (uint64_t)count};
  return true;
}

/* (run, key) order: SQLite's BINARY collation, which is strcmp's for text
 * without NUL bytes (a key is a C string). */
static int compare_key(int64_t run_a, const char *key_a, int64_t run_b,
                       const char *key_b) {
  if (run_a != run_b)
    return run_a < run_b ? -1 : 1;
  return strcmp(key_a, key_b);
}

static int compare_counts(const void *a, const void *b) {
  const key_count *x = a, *y = b;
  return compare_key(x->run_id, x->key, y->run_id, y->key);
}

/* Sorts the counts by (run, key) and adds up the entries of one key. */
static void counts_settle(key_counts *kc) {
  aeu_sort(kc->list, kc->n, sizeof *kc->list, compare_counts);
  size_t kept = 0;
  for (size_t i = 0; i < kc->n; i++) {
    key_count *k = &kc->list[i];
    if (kept > 0 && compare_counts(&kc->list[kept - 1], k) == 0) {
      kc->list[kept - 1].count += k->count;
      free(k->key);
    } else {
      kc->list[kept++] = *k;
    }
  }
  kc->n = kept;
}

/* Decodes every block, reporting the damaged ones, and notes each key's
 * points in `kc`. */
static aero_status check_blocks(tl_store *store, const pc_problem_sink *sink,
                                aero_check_report *counts, key_counts *kc) {
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(
      store,
      "SELECT id, run_id, key, first_step, last_step, count, steps, vals, "
      "times FROM metric_blocks ORDER BY id",
      &st, sink->err);
  if (status != AERO_OK)
    return status;
  int rc = SQLITE_DONE;
  while (status == AERO_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t run = sqlite3_column_int64(st, 1);
    const char *key = (const char *)sqlite3_column_text(st, 2);
    if (!counts_add(kc, run, key != NULL ? key : "",
                    sqlite3_column_int64(st, 5))) {
      status =
          aero_fail(sink->err, AERO_E_NOMEM, "tracker-local: out of memory");
      break;
    }
    tl_block b;
    const char *problem = "its arrays do not hold `count` points";
    if (tl_block_view(st, 5, &b))
      problem = tl_block_check(&b, sqlite3_column_type(st, 3) != SQLITE_NULL,
                               sqlite3_column_int64(st, 3),
                               sqlite3_column_type(st, 4) != SQLITE_NULL,
                               sqlite3_column_int64(st, 4));
    if (problem == NULL)
      continue;
    int64_t id = sqlite3_column_int64(st, 0);
    char subject[40], detail[512];
    snprintf(subject, sizeof subject, "metric-block-%lld", (long long)id);
    snprintf(detail, sizeof detail,
             "metric block %lld of run %lld (key '%.200s') is damaged: %s",
             (long long)id, (long long)run, key != NULL ? key : "", problem);
    status = pc_report_problem(sink, counts, AERO_PROBLEM_OTHER, subject,
                               detail, run, 0, false);
  }
  if (status == AERO_OK && rc != SQLITE_DONE)
    status = tl_db_fail(store, rc, "reading metric blocks", sink->err);
  tl_finish(store, st);
  return status;
}

/* Reports a key whose summary and blocks disagree; `summary` or `blocks`
 * NULL when that side is missing. */
static aero_status report_summary(const pc_problem_sink *sink,
                                  aero_check_report *counts, int64_t run,
                                  const char *key, const int64_t *summary,
                                  const uint64_t *blocks) {
  char subject[256], detail[512];
  /* The key too: two bad summaries of one run are two subjects. */
  snprintf(subject, sizeof subject, "metric-summary-%lld-%.200s",
           (long long)run, key);
  /* A missing row is said as such: "0 points" would read as a summary
   * that exists and counts none. */
  if (summary == NULL)
    snprintf(detail, sizeof detail,
             "run %lld, metric '%.200s': its blocks hold %lld points and "
             "it has no summary",
             (long long)run, key, (long long)*blocks);
  else if (blocks == NULL)
    snprintf(detail, sizeof detail,
             "run %lld, metric '%.200s': its summary counts %lld points and "
             "it has no blocks",
             (long long)run, key, (long long)*summary);
  else
    snprintf(detail, sizeof detail,
             "run %lld, metric '%.200s': its summary counts %lld points, "
             "its blocks hold %lld",
             (long long)run, key, (long long)*summary, (long long)*blocks);
  return pc_report_problem(sink, counts, AERO_PROBLEM_OTHER, subject, detail,
                           run, 0, false);
}

/* Merges the summaries, in (run, key) order, with the sorted counts of
 * the blocks. Every entry on either side is either paired with its equal
 * on the other (and the counts compared) or reported alone. */
static aero_status check_summaries(tl_store *store, const pc_problem_sink *sink,
                                   aero_check_report *counts,
                                   const key_counts *kc) {
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(store,
                                  "SELECT run_id, key, count FROM "
                                  "metric_summaries ORDER BY run_id, key",
                                  &st, sink->err);
  if (status != AERO_OK)
    return status;
  size_t i = 0;
  int rc = SQLITE_DONE;
  while (status == AERO_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t run = sqlite3_column_int64(st, 0);
    const char *text = (const char *)sqlite3_column_text(st, 1);
    const char *key = text != NULL ? text : "";
    int64_t counted = sqlite3_column_int64(st, 2);
    /* Keys with blocks and no summary, before this one. */
    while (status == AERO_OK && i < kc->n &&
           compare_key(kc->list[i].run_id, kc->list[i].key, run, key) < 0) {
      status = report_summary(sink, counts, kc->list[i].run_id, kc->list[i].key,
                              NULL, &kc->list[i].count);
      i++;
    }
    if (status != AERO_OK)
      break;
    if (i < kc->n &&
        compare_key(kc->list[i].run_id, kc->list[i].key, run, key) == 0) {
      if (kc->list[i].count != (uint64_t)counted)
        status = report_summary(sink, counts, run, key, &counted,
                                &kc->list[i].count);
      i++;
    } else {
      status = report_summary(sink, counts, run, key, &counted, NULL);
    }
  }
  if (status == AERO_OK && rc != SQLITE_DONE)
    status = tl_db_fail(store, rc, "reading metric summaries", sink->err);
  tl_finish(store, st);
  for (; status == AERO_OK && i < kc->n; i++)
    status = report_summary(sink, counts, kc->list[i].run_id, kc->list[i].key,
                            NULL, &kc->list[i].count);
  return status;
}

aero_status tl_check_metrics(tl_store *store, const pc_problem_sink *sink,
                             aero_check_report *counts) {
  key_counts kc = {0};
  aero_status status = tl_read_begin(store, sink->err);
  if (status != AERO_OK)
    return status;
  status = check_blocks(store, sink, counts, &kc);
  if (status == AERO_OK) {
    counts_settle(&kc);
    status = check_summaries(store, sink, counts, &kc);
  }
  tl_read_end(store);
  counts_free(&kc);
  return status;
}
