/* tracker-postgres: the blobs the versions refer to, read once and sorted
 * for look-ups: what fsck compares the bucket with (check.c) and what gc
 * must not delete (collect.c). */
#include "tp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tp_cmp_hex(const void *a, const void *b) {
  return strcmp((const char *)a, (const char *)b);
}

aero_status tp_blob_refs_load(tp_store *store, tp_blob_refs *refs,
                              aero_error *err) {
  PGresult *res = NULL;
  aero_status status =
      tp_exec(store,
              "SELECT sha256, max(size), min(version_id), count(*) FROM "
              "version_files GROUP BY sha256",
              NULL, &res, "listing the blobs versions refer to", err);
  if (status != AERO_OK)
    return status;
  size_t n = (size_t)PQntuples(res);
  tp_blob_ref *v = calloc(n + 1, sizeof *v);
  if (v == NULL) {
    PQclear(res);
    return aero_fail(err, AERO_E_NOMEM, "tracker-postgres: out of memory");
  }
  for (size_t i = 0; i < n; i++) {
    snprintf(v[i].hex, sizeof v[i].hex, "%s", PQgetvalue(res, (int)i, 0));
    v[i].size = strtoll(PQgetvalue(res, (int)i, 1), NULL, 10);
    v[i].version_id = strtoll(PQgetvalue(res, (int)i, 2), NULL, 10);
    v[i].files = strtoll(PQgetvalue(res, (int)i, 3), NULL, 10);
  }
  PQclear(res);
  /* Byte order for bsearch, whatever the database's collation. */
  aeu_sort(v, n, sizeof *v, tp_cmp_hex);
  tp_blob_refs_free(refs);
  refs->v = v;
  refs->n = n;
  return AERO_OK;
}

tp_blob_ref *tp_blob_refs_find(const tp_blob_refs *refs, const char *hex) {
  return refs->n > 0
             ? bsearch(hex, refs->v, refs->n, sizeof *refs->v, tp_cmp_hex)
             : NULL;
}

void tp_blob_refs_free(tp_blob_refs *refs) {
  free(refs->v);
  refs->v = NULL;
  refs->n = 0;
}
