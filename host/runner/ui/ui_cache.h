/* Answers about finished runs, kept in memory.
 *
 * A run's record stops changing when it ends (its metrics, logs and
 * outputs are written while it runs; publication happens in the same
 * transaction that ends it), so the JSON of a finished run's page and
 * charts can be kept and served again: reading a 1,000,000-point series
 * from the backend costs hundreds of milliseconds, a kept answer nothing.
 * The routes ask the backend, on every request, whether the run still
 * exists and how it stands (one row), and keep nothing for a run that is
 * still running. At most AEH_UI_CACHE_BYTES are kept; the least recently
 * used answers go first. Two threads use it, under its own lock: the
 * server's, and the one that computes a run page's answers ahead
 * (ui_prefetch.h).
 */
#ifndef AEH_UI_CACHE_H
#define AEH_UI_CACHE_H

#include <stddef.h>

#define AEH_UI_CACHE_BYTES (64u << 20)
#define AEH_UI_CACHE_ENTRIES 64

/* A copy of the answer kept under `key` (the caller frees it), or NULL
 * (nothing kept, or out of memory). Writes its length to *len. */
char *aeh_ui_cache_copy(const char *key, size_t *len);

/* Whether an answer is kept under `key`. */
int aeh_ui_cache_has(const char *key);

/* Keeps `text` (`len` bytes, taken: freed by the cache, even when it is
 * too large to keep) under `key` (copied). */
void aeh_ui_cache_put(const char *key, char *text, size_t len);

/* How many answers are kept. */
size_t aeh_ui_cache_count(void);

/* Frees everything kept. */
void aeh_ui_cache_clear(void);

#endif /* AEH_UI_CACHE_H */
