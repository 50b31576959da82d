/* Shared by fixture plugins: declare an output made of one small file,
 * NAME.txt in the action's scratch folder, holding NAME (or given
 * content). */
#ifndef FIXTURE_OUTPUT_H
#define FIXTURE_OUTPUT_H

#include <stdio.h>

#include <aeromancy/aeromancy.h>

/* Declares an output made of one file, NAME.txt in the action's scratch
 * folder, holding `content`. */
static inline aero_status fixture_declare_content(aero_tracker *tracker,
                                                  const char *name,
                                                  const char *content,
                                                  aero_error *err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.txt", aero_workdir(tracker), name);
  FILE *f = fopen(path, "w");
  if (f == NULL)
    return aero_fail(err, AERO_E_IO, "cannot create %s", path);
  fputs(content, f);
  if (ferror(f) | fclose(f))
    return aero_fail(err, AERO_E_IO, "cannot write %s", path);
  const char *files[] = {path};
  return aero_declare_output(
      tracker, &AERO_OUTPUT(.name = name, .files = files, .file_count = 1),
      err);
}

static inline aero_status
fixture_declare_file(aero_tracker *tracker, const char *name, aero_error *err) {
  char content[512];
  snprintf(content, sizeof content, "%s\n", name);
  return fixture_declare_content(tracker, name, content, err);
}

#endif /* FIXTURE_OUTPUT_H */
