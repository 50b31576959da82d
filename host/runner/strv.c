#include "strv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aeu.h"

static aero_status push_owned(aeh_strv *sv, char *s) {
  /* The string and the NULL that ends the vector. */
  char **grown = aeu_grow(sv->v, &sv->cap, sv->n + 2, sizeof *grown, 8);
  if (grown == NULL)
    return AERO_E_NOMEM;
  sv->v = grown;
  sv->v[sv->n++] = s;
  sv->v[sv->n] = NULL;
  return AERO_OK;
}

aero_status aeh_strv_push(aeh_strv *sv, const char *s) {
  char *copy = strdup(s);
  if (copy == NULL)
    return AERO_E_NOMEM;
  aero_status st = push_owned(sv, copy);
  if (st != AERO_OK)
    free(copy);
  return st;
}

aero_status aeh_strv_pushf(aeh_strv *sv, const char *fmt, ...) {
  char *s = NULL;
  va_list ap;
  va_start(ap, fmt);
  int len = vasprintf(&s, fmt, ap);
  va_end(ap);
  if (len < 0)
    return AERO_E_NOMEM;
  aero_status st = push_owned(sv, s);
  if (st != AERO_OK)
    free(s);
  return st;
}

aero_status aeh_strv_extend(aeh_strv *sv, const aeh_strv *other) {
  for (size_t i = 0; i < other->n; i++) {
    aero_status st = aeh_strv_push(sv, other->v[i]);
    if (st != AERO_OK)
      return st;
  }
  return AERO_OK;
}

int aeh_strv_contains(const aeh_strv *sv, const char *s) {
  for (size_t i = 0; i < sv->n; i++)
    if (strcmp(sv->v[i], s) == 0)
      return 1;
  return 0;
}

static int compare_strings(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

void aeh_strv_sort_unique(aeh_strv *sv) {
  if (sv->n < 2) /* nothing to sort or to drop */
    return;
  aeu_sort(sv->v, sv->n, sizeof *sv->v, compare_strings);
  size_t kept = 1;
  for (size_t i = 1; i < sv->n; i++) {
    if (strcmp(sv->v[i], sv->v[kept - 1]) == 0)
      free(sv->v[i]);
    else
      sv->v[kept++] = sv->v[i];
  }
  sv->n = kept;
  sv->v[kept] = NULL;
}

char *aeh_strv_join(const aeh_strv *sv, const char *sep) {
  size_t seplen = strlen(sep);
  size_t len = 1;
  for (size_t i = 0; i < sv->n; i++)
    len += strlen(sv->v[i]) + (i ? seplen : 0);
  char *out = malloc(len);
  if (out == NULL)
    return NULL;
  char *p = out;
  for (size_t i = 0; i < sv->n; i++) {
    if (i) {
      memcpy(p, sep, seplen);
      p += seplen;
    }
    size_t l = strlen(sv->v[i]);
    memcpy(p, sv->v[i], l);
    p += l;
  }
  *p = '\0';
  return out;
}

char *const *aeh_strv_argv(const aeh_strv *sv) {
  static char *const empty[] = {NULL};
  return sv->v ? sv->v : empty;
}

void aeh_strv_free(aeh_strv *sv) {
  for (size_t i = 0; i < sv->n; i++)
    free(sv->v[i]);
  free(sv->v);
  *sv = (aeh_strv)AEH_STRV_INIT;
}
