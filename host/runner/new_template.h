/* The files `aeromancy new` writes, embedded at build time from
 * host/runner/template/ (cmake/embed_files.cmake). "@NAME@" in a file's
 * text is the project's name. */
#ifndef AEH_RUNNER_NEW_TEMPLATE_H
#define AEH_RUNNER_NEW_TEMPLATE_H

#include <stddef.h>

typedef struct aeh_template_file {
  const char *path;          /* relative to the project folder */
  const unsigned char *text; /* NUL-terminated */
  size_t size;               /* without the NUL */
} aeh_template_file;

extern const aeh_template_file aeh_new_template[];
extern const size_t aeh_new_template_count;

#endif /* AEH_RUNNER_NEW_TEMPLATE_H */
