/* Finished runs' answers, least recently used first out (ui_cache.h). */
#include "ui_cache.h"

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

static void drop(entry *e) {
  bytes -= e->len;
  free(e->key);
  free(e->text);
  memset(e, 0, sizeof *e);
}

const char *aeh_ui_cache_get(const char *key, size_t *len) {
  for (size_t i = 0; i < AEH_UI_CACHE_ENTRIES; i++)
    if (entries[i].key != NULL && strcmp(entries[i].key, key) == 0) {
      entries[i].used = ++clock_;
      *len = entries[i].len;
      return entries[i].text;
    }
  return NULL;
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
  entry *e = NULL;
  for (size_t i = 0; i < AEH_UI_CACHE_ENTRIES; i++)
    if (entries[i].key != NULL && strcmp(entries[i].key, key) == 0)
      drop(&entries[i]);
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
}

void aeh_ui_cache_clear(void) {
  for (size_t i = 0; i < AEH_UI_CACHE_ENTRIES; i++)
    if (entries[i].key != NULL)
      drop(&entries[i]);
}
