/* Finding what a user typed: a run id, an artifact reference. A wrong one
 * gets one line naming it and the nearest that exists, found through the
 * query members like everything else. */
#include "record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "artifact_ref.h"
#include "console.h"

static aero_status keep_first_id(void *ctx, const aero_run_info *run,
                                 aero_error *err) {
  (void)err;
  *(int64_t *)ctx = run->id;
  return AERO_OK;
}

/* The id of the run next to `id` on one side, or 0. */
static aero_status neighbour(const aeh_record *rec, int64_t id, bool above,
                             int64_t *out, aero_error *err) {
  aero_run_filter f = {.struct_size = sizeof f, .limit = 1};
  if (above) {
    f.after_id = id;
    f.oldest_first = true;
  } else {
    f.before_id = id + 1;
  }
  *out = 0;
  return rec->vt->query_runs(rec->handle, &f, keep_first_id, out, err);
}

aero_status aeh_record_find_run(const aeh_record *rec, const char *text,
                                int64_t *run_id, aero_error *err) {
  aero_status status = AEH_RECORD_NEED(rec, query_runs, err);
  if (status != AERO_OK)
    return status;
  char *end = NULL;
  errno = 0;
  long long id =
      text[0] >= '0' && text[0] <= '9' ? strtoll(text, &end, 10) : -1;
  bool valid = id > 0 && errno == 0 && end != NULL && *end == '\0';
  int64_t below = 0, above = 0;
  if (valid) {
    status = neighbour(rec, id, false, &below, err);
    if (status != AERO_OK)
      return status;
    if (below == id) {
      *run_id = id;
      return AERO_OK;
    }
    status = neighbour(rec, id, true, &above, err);
  } else {
    /* Nearest to nonsense: the newest run. */
    status = neighbour(rec, INT64_MAX - 1, false, &below, err);
  }
  if (status != AERO_OK)
    return status;
  int64_t nearest = below;
  if (valid && above != 0 && (below == 0 || above - id < id - below))
    nearest = above;
  char hint[64] = " (the store has no runs yet)";
  if (nearest != 0)
    snprintf(hint, sizeof hint, " (nearest: %lld)", (long long)nearest);
  if (!valid)
    return aeh_error_set(err, AERO_E_INVALID,
                         "'%.60s' is not a run id (a number, as `aeromancy "
                         "runs` shows)%s",
                         text, hint);
  char where[4096]; /* "~/..." as the run summary says it */
  return aeh_error_set(
      err, AERO_E_NOT_FOUND, "no run %lld in %s%s", id,
      aeh_console_path(aeh_record_location(rec), where, sizeof where), hint);
}

void aeh_version_copy(aeh_version *out, const aero_version_info *in) {
  memset(out, 0, sizeof *out);
  out->id = in->id;
  snprintf(out->entity, sizeof out->entity, "%s", in->entity ? in->entity : "");
  snprintf(out->project, sizeof out->project, "%s",
           in->project ? in->project : "");
  snprintf(out->name, sizeof out->name, "%s", in->name ? in->name : "");
  out->version = in->version;
  out->dev = in->dev;
  snprintf(out->digest, sizeof out->digest, "%s", in->digest ? in->digest : "");
  snprintf(out->type, sizeof out->type, "%s", in->type ? in->type : "");
  out->run_id = in->run_id;
  out->created_ns = in->created_ns;
  out->file_count = in->file_count;
  out->total_size = in->total_size;
}

void aeh_version_ref(const char *entity, const char *project, const char *name,
                     int64_t version, char *buf, size_t size) {
  if (entity != NULL && entity[0] != '\0')
    snprintf(buf, size, "%s/%s/%s:v%lld", entity, project, name,
             (long long)version);
  else
    snprintf(buf, size, "%s/%s:v%lld", project, name, (long long)version);
}

/* What matching a reference against every version found. */
typedef struct matching {
  const aeh_artifact_ref *ref;
  aeh_version best; /* the highest matching version */
  bool found;
  bool ambiguous; /* same name in two projects, none given */
  char other_project[128];
  /* The nearest artifact name, for the error. */
  char nearest[400];
  size_t nearest_distance;
} matching;

/* Levenshtein distance, capped: names are short. */
static size_t distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 127 || lb > 127)
    return (size_t)-1;
  size_t row[128];
  for (size_t j = 0; j <= lb; j++)
    row[j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t up = row[j];
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      size_t best = diag + cost;
      if (up + 1 < best)
        best = up + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[lb];
}

static aero_status match_version(void *ctx, const aero_version_info *v,
                                 aero_error *err) {
  (void)err;
  matching *m = ctx;
  const aeh_artifact_ref *ref = m->ref;
  bool same_name = strcmp(v->name, ref->name) == 0;
  bool same_project =
      !ref->has_project || strcmp(v->project, ref->project) == 0;
  bool same_entity = !ref->has_entity || strcmp(v->entity, ref->entity) == 0;
  /* Candidates for "nearest": versions of the same artifact when only the
   * version is wrong, else other artifacts by name. */
  bool artifact_matches = same_name && same_project && same_entity;
  size_t d = ((size_t)1 << 20) + distance(v->name, ref->name) +
             (same_project ? 0 : 1) + (same_entity ? 0 : 1);
  /* The same artifact always comes nearer than another one. */
  if (artifact_matches && ref->version >= 0) {
    long long gap = llabs((long long)(v->version - ref->version));
    d = gap < (1 << 20) ? (size_t)gap : ((size_t)1 << 20) - 1;
  }
  if (d < m->nearest_distance ||
      (artifact_matches && d == m->nearest_distance)) {
    m->nearest_distance = d;
    aeh_version_ref(v->entity, v->project, v->name, v->version, m->nearest,
                    sizeof m->nearest);
  }
  if (!artifact_matches || (ref->version >= 0 && v->version != ref->version))
    return AERO_OK;
  if (m->found && strcmp(m->best.project, v->project) != 0) {
    m->ambiguous = true;
    snprintf(m->other_project, sizeof m->other_project, "%s", v->project);
  }
  if (!m->found || v->version > m->best.version ||
      strcmp(m->best.project, v->project) != 0) {
    aeh_version_copy(&m->best, v);
    m->found = true;
  }
  return AERO_OK;
}

aero_status aeh_record_find_version(const aeh_record *rec, const char *text,
                                    aeh_version *out, aero_error *err) {
  aero_status status = AEH_RECORD_NEED(rec, query_versions, err);
  if (status != AERO_OK)
    return status;
  aeh_artifact_ref ref;
  status = aeh_artifact_ref_parse(text, &ref, err);
  if (status != AERO_OK)
    return status;
  matching *m = calloc(1, sizeof *m);
  if (m == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  m->ref = &ref;
  m->nearest_distance = (size_t)-1;
  /* Every version: artifacts are few next to runs, and the nearest name
   * needs them all. */
  aero_version_filter f = {.struct_size = sizeof f, .version = -1};
  status = rec->vt->query_versions(rec->handle, &f, match_version, m, err);
  if (status == AERO_OK) {
    char hint[440] = " (the store has no artifacts yet)";
    if (m->nearest[0] != '\0')
      snprintf(hint, sizeof hint, " (nearest: %s)", m->nearest);
    if (m->ambiguous)
      status = aeh_error_set(err, AERO_E_INVALID,
                             "artifact '%s' exists in projects %s and %s: "
                             "write project/name",
                             text, m->best.project, m->other_project);
    else if (!m->found) {
      char where[4096]; /* "~/..." as the run summary says it */
      status = aeh_error_set(
          err, AERO_E_NOT_FOUND, "no artifact '%s' in %s%s", text,
          aeh_console_path(aeh_record_location(rec), where, sizeof where),
          hint);
    } else
      *out = m->best;
  }
  free(m);
  return status;
}
