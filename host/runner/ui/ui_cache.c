/* Finished runs' answers, least recently used first out (ui_cache.h). */
#include "ui_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
  char *key; /* NULL: free */
  char *text;
  size_t len;
  unsigned long used; /* the clock when last read or written */
} entry;

static entry entries[AEH_UI_CACHE_ENTRIES];
static size_t bytes;
static unsigned long clock_;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void drop(entry *e) {
  bytes -= e->len;
  free(e->key);
  free(e->text);
  memset(e, 0, sizeof *e);
}

static entry *find(const char *key) {
  for (size_t i = 0; i < AEH_UI_CACHE_ENTRIES; i++)
    if (entries[i].key != NULL && strcmp(entries[i].key, key) == 0)
      return &entries[i];
  return NULL;
}

char *aeh_ui_cache_copy(const char *key, size_t *len) {
  pthread_mutex_lock(&lock);
  entry *e = find(key);
  char *copy = e != NULL ? malloc(e->len + 1) : NULL;
  if (copy != NULL) {
    memcpy(copy, e->text, e->len);
    copy[e->len] = '\0';
    e->used = ++clock_;
    *len = e->len;
  }
  pthread_mutex_unlock(&lock);
  return copy;
}

int aeh_ui_cache_has(const char *key) {
  pthread_mutex_lock(&lock);
  int has = find(key) != NULL;
  pthread_mutex_unlock(&lock);
  return has;
}

/* The least recently used entry that holds something, or NULL. */
static entry *oldest(void) {
  entry *o = NULL;
  for (size_t i = 0; i < AEH_UI_CACHE_ENTRIES; i++)
    if (entries[i].key != NULL && (o == NULL || entries[i].used < o->used))
      o = &entries[i];
  return o;
}

void aeh_ui_cache_put(const char *key, char *text, size_t len) {
  char *k = strdup(key);
  if (k == NULL || len > AEH_UI_CACHE_BYTES / 4) {
    free(k);
    free(text);
    return;
  }
  pthread_mutex_lock(&lock);
  entry *e = find(key);
  if (e != NULL)
    drop(e);
  e = NULL;
  for (entry *o; bytes + len > AEH_UI_CACHE_BYTES && (o = oldest()) != NULL;)
    drop(o);
  for (size_t i = 0; e == NULL && i < AEH_UI_CACHE_ENTRIES; i++)
    if (entries[i].key == NULL)
      e = &entries[i];
  if (e == NULL) {
    e = oldest();
    drop(e);
  }
  *e = (entry){k, text, len, ++clock_};
  bytes += len;
  pthread_mutex_unlock(&lock);
}

size_t aeh_ui_cache_count(void) {
  size_t n = 0;
  pthread_mutex_lock(&lock);
  for (size_t i = 0; i < AEH_UI_CACHE_ENTRIES; i++)
    n += entries[i].key != NULL;
  pthread_mutex_unlock(&lock);
  return n;
}

void aeh_ui_cache_clear(void) {
  pthread_mutex_lock(&lock);
  for (size_t i = 0; i < AEH_UI_CACHE_ENTRIES; i++)
    if (entries[i].key != NULL)
      drop(&entries[i]);
  pthread_mutex_unlock(&lock);
}
