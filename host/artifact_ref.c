#include "artifact_ref.h"
#include "names.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define FORM                                                                   \
  "use [entity/][project/]name[:vN|:latest], parts made of A-Za-z0-9_.- "      \
  "and not '.' or '..'"

static aero_status bad(const char *text, const char *why, aero_error *err) {
  char shown[128];
  aeh_quote(text, shown, sizeof shown);
  return aeh_error_set(err, AERO_E_INVALID,
                       "invalid artifact name '%s': %s; " FORM, shown, why);
}

/* Checks one part [start, start+len) and copies it into `dst`. */
static aero_status take_part(const char *text, const char *start, size_t len,
                             char *dst, aero_error *err) {
  char buf[64], why[80];
  const char *problem = aeh_name_problem(start, len, buf, sizeof buf);
  if (problem != NULL) {
    /* The rule's own words, about this part of the reference. */
    if (strcmp(problem, "it is empty") == 0)
      problem = "it has an empty part";
    else if (strncmp(problem, "it is longer", 12) == 0) {
      snprintf(why, sizeof why, "a part is longer than %d characters",
               AEH_NAME_MAX);
      problem = why;
    }
    return bad(text, problem, err);
  }
  /* The rule bounds len by AEH_NAME_MAX: it fits AEH_REF_PART_MAX. */
  memcpy(dst, start, len);
  dst[len] = '\0';
  return AERO_OK;
}

static aero_status parse_version(const char *text, const char *v, int64_t *out,
                                 aero_error *err) {
  if (strcmp(v, "latest") == 0) {
    *out = -1;
    return AERO_OK;
  }
  const char *why = "a version is vN (v0, v1, ...) or latest";
  if (v[0] != 'v' || v[1] < '0' || v[1] > '9' || (v[1] == '0' && v[2] != '\0'))
    return bad(text, why, err);
  int64_t n = 0;
  for (const char *p = v + 1; *p != '\0'; p++) {
    if (*p < '0' || *p > '9')
      return bad(text, why, err);
    if (n > (INT64_MAX - (*p - '0')) / 10)
      return bad(text, "the version number is too large", err);
    n = n * 10 + (*p - '0');
  }
  *out = n;
  return AERO_OK;
}

aero_status aeh_artifact_ref_parse(const char *text, aeh_artifact_ref *out,
                                   aero_error *err) {
  if (text == NULL)
    return aeh_error_set(err, AERO_E_INVALID,
                         "invalid artifact name: none given (NULL); " FORM);
  if (text[0] == '\0')
    return bad(text, "it is empty", err);
  aeh_artifact_ref ref = {.version = -1};
  const char *colon = strchr(text, ':');
  size_t path_len = colon != NULL ? (size_t)(colon - text) : strlen(text);
  if (colon != NULL) {
    if (strchr(colon + 1, ':') != NULL)
      return bad(text, "it has more than one ':'", err);
    aero_status status = parse_version(text, colon + 1, &ref.version, err);
    if (status != AERO_OK)
      return status;
    ref.has_version = true;
  }
  /* Split the path at '/': one to three parts, the last is the name. */
  const char *parts[3];
  size_t lens[3];
  size_t count = 0;
  const char *p = text, *end = text + path_len;
  for (;;) {
    const char *slash = memchr(p, '/', (size_t)(end - p));
    const char *stop = slash != NULL ? slash : end;
    if (count == 3)
      return bad(text, "it has more than three '/'-separated parts", err);
    parts[count] = p;
    lens[count] = (size_t)(stop - p);
    count++;
    if (slash == NULL)
      break;
    p = slash + 1;
  }
  char *dst[3];
  if (count == 3) {
    dst[0] = ref.entity;
    dst[1] = ref.project;
    dst[2] = ref.name;
    ref.has_entity = ref.has_project = true;
  } else if (count == 2) {
    dst[0] = ref.project;
    dst[1] = ref.name;
    ref.has_project = true;
  } else {
    dst[0] = ref.name;
  }
  for (size_t i = 0; i < count; i++) {
    aero_status status = take_part(text, parts[i], lens[i], dst[i], err);
    if (status != AERO_OK)
      return status;
  }
  *out = ref;
  return AERO_OK;
}

void aeh_artifact_ref_default(aeh_artifact_ref *ref, const char *entity,
                              const char *project) {
  if (!ref->has_entity && entity != NULL)
    snprintf(ref->entity, sizeof ref->entity, "%s", entity);
  if (!ref->has_project && project != NULL)
    snprintf(ref->project, sizeof ref->project, "%s", project);
}

bool aeh_artifact_ref_same(const aeh_artifact_ref *a,
                           const aeh_artifact_ref *b) {
  return strcmp(a->name, b->name) == 0 && strcmp(a->project, b->project) == 0 &&
         strcmp(a->entity, b->entity) == 0;
}

aero_artifact_ref aeh_artifact_ref_view(const aeh_artifact_ref *ref) {
  return (aero_artifact_ref){.entity = ref->entity,
                             .project = ref->project,
                             .name = ref->name,
                             .version = ref->version};
}

int aeh_artifact_ref_format(const aero_artifact_ref *ref, int64_t version,
                            char *buf, size_t size) {
  const char *entity = ref->entity != NULL ? ref->entity : "";
  const char *project = ref->project != NULL ? ref->project : "";
  char tail[32] = "";
  if (version >= 0)
    snprintf(tail, sizeof tail, ":v%lld", (long long)version);
  if (entity[0] != '\0')
    return snprintf(buf, size, "%s/%s/%s%s", entity, project, ref->name, tail);
  if (project[0] != '\0')
    return snprintf(buf, size, "%s/%s%s", project, ref->name, tail);
  return snprintf(buf, size, "%s%s", ref->name, tail);
}
