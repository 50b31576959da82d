/* A growable, NULL-terminated vector of owned strings: the argument
 * vectors the runner builds for git, cmake and the container engine. */
#ifndef AEH_RUNNER_STRV_H
#define AEH_RUNNER_STRV_H

#include <stddef.h>

#include <aeromancy/status.h>

typedef struct aeh_strv {
  char **v; /* v[n] is always NULL once anything was pushed */
  size_t n;
  size_t cap;
} aeh_strv;

#define AEH_STRV_INIT                                                          \
  { NULL, 0, 0 }

/* Appends a copy of `s`. Returns AERO_E_NOMEM on failure (the vector is
 * unchanged). */
aero_status aeh_strv_push(aeh_strv *sv, const char *s);

/* Appends a formatted string. */
aero_status aeh_strv_pushf(aeh_strv *sv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends copies of every string of `other`. */
aero_status aeh_strv_extend(aeh_strv *sv, const aeh_strv *other);

/* Whether `s` is one of the strings. */
int aeh_strv_contains(const aeh_strv *sv, const char *s);

/* Sorts the strings (strcmp order) and drops duplicates. */
void aeh_strv_sort_unique(aeh_strv *sv);

/* Joins the strings with `sep` into a new string the caller frees; NULL
 * when out of memory. An empty vector gives "". */
char *aeh_strv_join(const aeh_strv *sv, const char *sep);

/* The NULL-terminated array, for posix_spawn; never NULL (an empty vector
 * gives a static empty array). Borrowed. */
char *const *aeh_strv_argv(const aeh_strv *sv);

void aeh_strv_free(aeh_strv *sv);

#endif /* AEH_RUNNER_STRV_H */
