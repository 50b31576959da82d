/* tracker-local: small outputs declared by a run this handle began, kept
 * in memory and recorded in the commit that records the run's end.
 *
 * A declared output is only ever seen once its run ended `ok` (pending
 * versions and links are read by nobody but run_end), so its rows need not
 * be committed before: a commit of their own cost a fresh action a third
 * of its WAL frames and a write lock round (issue 10). What must be
 * durable before the declaration returns is what the action may delete
 * afterwards, its bytes: a blob file is synced as before, and a small
 * blob's bytes are kept here and written as a row with the version. If the
 * host dies in between, the run was never recorded ended, and the next
 * host records it killed (owners.c): no version was promised.
 *
 * Only a declaration of a run this handle began is kept (its run_end comes
 * to this handle), only a small one (its bytes are held), and only while
 * no other handle declared outputs for the run: the action's own process
 * records a large output on a handle of its own, committed at once, and a
 * later declaration of the same artifact must win. So while this handle
 * keeps declarations of a run, any row another handle wrote for it came
 * later, and replaces the kept declaration of its artifact.
 */
#include "local.h"

#include <stdlib.h>
#include <string.h>

/* Held bytes of small blobs above which a declaration is recorded at once,
 * and files above which too: a run declaring many of them keeps no more
 * than this many in memory per declaration. */
#define KEEP_BYTES ((size_t)64 << 10)
#define KEEP_FILES 64

struct tl_declared {
  int64_t run_id;
  char *entity, *project, *name; /* the artifact */
  char *type;                    /* artifact_type, or NULL */
  aero_kv *metadata;             /* keys and string values copied */
  size_t metadata_count;
  pc_file_list files; /* names, hashes, sizes */
  void **contents;    /* per file: the small blob's bytes, or NULL */
  char digest[65];
};

/* Whether two parts of artifact references name different things, NULL
 * counting as "": the store records a reference without an entity under
 * entity '' (output.c, versions.c), so both name the same artifact. Not
 * invocations.c's same_text_or_both_null, where NULL and "" differ. */
static bool differs_null_as_empty(const char *a, const char *b) {
  return strcmp(a != NULL ? a : "", b != NULL ? b : "") != 0;
}

static void declared_free(tl_declared *d) {
  if (d == NULL)
    return;
  free(d->entity);
  free(d->project);
  free(d->name);
  free(d->type);
  for (size_t i = 0; i < d->metadata_count; i++) {
    free((char *)d->metadata[i].key);
    if (d->metadata[i].value.type == AERO_VALUE_STRING)
      free((char *)d->metadata[i].value.as.s);
  }
  free(d->metadata);
  for (size_t i = 0; d->contents != NULL && i < d->files.count; i++)
    free(d->contents[i]);
  free(d->contents);
  pc_file_list_free(&d->files);
  free(d);
}

/* Removes entry `i` of the handle's list, keeping the others in order. */
static void remove_at(tl_store *store, size_t i) {
  declared_free(store->declared[i]);
  memmove(&store->declared[i], &store->declared[i + 1],
          (store->declared_count - i - 1) * sizeof *store->declared);
  store->declared_count--;
}

bool tl_declared_mine(const tl_store *store, int64_t run_id) {
  for (size_t i = 0; i < store->begun_count; i++)
    if (store->begun[i] == run_id)
      return true;
  return false;
}

aero_status tl_declared_begun(tl_store *store, int64_t run_id,
                              aero_error *err) {
  int64_t *grown = aeu_grow(store->begun, &store->begun_cap,
                            store->begun_count + 1, sizeof *grown, 8);
  if (grown == NULL)
    return aero_fail(err, AERO_E_NOMEM, "tracker-local: out of memory");
  store->begun = grown;
  store->begun[store->begun_count++] = run_id;
  return AERO_OK;
}

void tl_declared_ended(tl_store *store, int64_t run_id) {
  for (size_t i = 0; i < store->begun_count; i++)
    if (store->begun[i] == run_id) {
      store->begun[i] = store->begun[--store->begun_count];
      break;
    }
  tl_declared_drop(store, run_id, NULL);
}

void tl_declared_drop(tl_store *store, int64_t run_id,
                      const aero_artifact_ref *ref) {
  for (size_t i = store->declared_count; i-- > 0;) {
    const tl_declared *d = store->declared[i];
    if (d->run_id != run_id ||
        (ref != NULL && (differs_null_as_empty(d->entity, ref->entity) ||
                         differs_null_as_empty(d->project, ref->project) ||
                         differs_null_as_empty(d->name, ref->name))))
      continue;
    remove_at(store, i);
  }
}

void tl_declared_forget(tl_store *store) {
  while (store->declared_count > 0)
    remove_at(store, store->declared_count - 1);
  free(store->declared);
  store->declared = NULL;
  store->declared_cap = 0;
  free(store->begun);
  store->begun = NULL;
  store->begun_count = store->begun_cap = 0;
}

/* Whether another handle recorded an output of run `run_id` (a pending
 * version or a link), or, with `artifact` > 0, one of that artifact. */
static aero_status other_rows(tl_store *store, int64_t run_id,
                              int64_t artifact, bool *found, aero_error *err) {
  static const char *const sql[] = {
      "SELECT EXISTS (SELECT 1 FROM versions WHERE run_id = ?1 AND "
      "published = 0) OR EXISTS (SELECT 1 FROM output_links WHERE run_id = "
      "?1)",
      "SELECT EXISTS (SELECT 1 FROM versions WHERE run_id = ?1 AND "
      "published = 0 AND artifact_id = ?2) OR EXISTS (SELECT 1 FROM "
      "output_links WHERE run_id = ?1 AND artifact_id = ?2)"};
  sqlite3_stmt *st = NULL;
  aero_status status = tl_prepare(store, sql[artifact > 0], &st, err);
  if (status != AERO_OK)
    return status;
  sqlite3_bind_int64(st, 1, run_id);
  if (artifact > 0)
    sqlite3_bind_int64(st, 2, artifact);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    *found = sqlite3_column_int(st, 0) != 0;
  else
    status = tl_db_fail(store, rc, "looking up a run's outputs", err);
  tl_finish(store, st);
  return status;
}

aero_status tl_declared_keep(tl_store *store, int64_t run_id,
                             const aero_artifact_ref *ref,
                             const aero_output_desc *desc, pc_file_list *list,
                             void **contents, const char *digest, bool *kept,
                             aero_error *err) {
  *kept = false;
  if (!tl_declared_mine(store, run_id) || list->count > KEEP_FILES)
    return AERO_OK;
  size_t held = 0;
  for (size_t i = 0; i < list->count; i++)
    if (contents[i] != NULL)
      held += (size_t)list->items[i].size;
  if (held > KEEP_BYTES)
    return AERO_OK;
  bool others = false;
  aero_status status = tl_read_begin(store, err);
  if (status != AERO_OK)
    return status;
  status = other_rows(store, run_id, 0, &others, err);
  tl_read_end(store);
  if (status != AERO_OK || others)
    return status;

  tl_declared *d = calloc(1, sizeof *d);
  bool ok = d != NULL;
  if (ok) {
    d->run_id = run_id;
    d->entity = aeu_strdup_or_null(ref->entity, NULL);
    d->project = aeu_strdup_or_null(ref->project, NULL);
    d->name = aeu_strdup_or_null(ref->name, NULL);
    d->type = aeu_strdup_or_null(desc->artifact_type, NULL);
    ok = d->project != NULL && d->name != NULL &&
         (ref->entity == NULL) == (d->entity == NULL) &&
         (desc->artifact_type == NULL) == (d->type == NULL);
  }
  if (ok && desc->metadata_count > 0) {
    d->metadata = calloc(desc->metadata_count, sizeof *d->metadata);
    ok = d->metadata != NULL;
    for (size_t i = 0; ok && i < desc->metadata_count; i++) {
      const aero_kv *kv = &desc->metadata[i];
      aero_kv *copy = &d->metadata[i];
      d->metadata_count = i + 1;
      copy->value = kv->value;
      if (kv->value.type == AERO_VALUE_STRING) {
        copy->value.as.s = aeu_strdup_or_null(kv->value.as.s, NULL);
        ok = (kv->value.as.s == NULL) == (copy->value.as.s == NULL);
      }
      copy->key = aeu_strdup_or_null(kv->key, NULL);
      ok = ok && copy->key != NULL;
    }
  }
  if (ok) {
    tl_declared **grown = aeu_grow(store->declared, &store->declared_cap,
                                   store->declared_count + 1, sizeof *grown, 8);
    ok = grown != NULL;
    if (ok)
      store->declared = grown;
  }
  if (!ok) {
    declared_free(d);
    return aero_fail(err, AERO_E_NOMEM, "tracker-local: out of memory");
  }
  snprintf(d->digest, sizeof d->digest, "%s", digest);
  /* The list and the bytes change hands. */
  d->files = *list;
  *list = (pc_file_list){0};
  d->contents = contents;
  /* A second declaration of the artifact replaces the first, and comes
   * after the run's other declarations, as a new pending version would. */
  tl_declared_drop(store, run_id, ref);
  store->declared[store->declared_count++] = d;
  *kept = true;
  return AERO_OK;
}

/* Records kept declaration `d` as an output of its run, as a pending
 * version published at once would be: the latest version its mode sees
 * when that has the same content, else a new version. */
static aero_status publish(tl_store *store, const tl_declared *d, bool dev,
                           aero_error *err) {
  aero_artifact_ref ref = {.entity = d->entity,
                           .project = d->project,
                           .name = d->name,
                           .version = -1};
  int64_t art = 0;
  aero_status status = tl_artifact_id(store, &ref, &art, err);
  bool later = false;
  if (status == AERO_OK)
    status = other_rows(store, d->run_id, art, &later, err);
  if (status != AERO_OK || later)
    return status; /* another handle's declaration, made after this one */
  /* Every small blob, as put_output does: an intact row is left as it is,
   * a damaged one is replaced by the declared bytes. */
  for (size_t i = 0; status == AERO_OK && i < d->files.count; i++)
    if (d->contents[i] != NULL)
      status = tl_inline_put(store, d->files.items[i].hash, d->contents[i],
                             (size_t)d->files.items[i].size, err);
  aero_artifact_version latest = {.struct_size = sizeof latest};
  bool found = false;
  if (status == AERO_OK)
    status = tl_version_latest(store, art, dev, &latest, &found, err);
  if (status != AERO_OK)
    return status;
  int64_t output = latest.id;
  if (!found || strcmp(latest.digest, d->digest) != 0) {
    int64_t number = -1;
    if (status == AERO_OK)
      status = tl_version_next(store, art, &number, err);
    aero_output_desc desc = {.struct_size = sizeof desc,
                             .name = d->name,
                             .artifact_type = d->type,
                             .metadata = d->metadata,
                             .metadata_count = d->metadata_count};
    if (status == AERO_OK)
      status = tl_version_insert(store, art, d->run_id, dev, &desc, &d->files,
                                 d->digest, number, &output, err);
  }
  if (status == AERO_OK)
    status = tl_exec2(store,
                      "INSERT OR IGNORE INTO run_own_outputs (run_id, version_id) "
                      "VALUES (?, ?)",
                      d->run_id, output, "recording an output", err);
  return status;
}

aero_status tl_declared_publish(tl_store *store, int64_t run_id, bool dev,
                                aero_error *err) {
  aero_status status = AERO_OK;
  for (size_t i = 0; status == AERO_OK && i < store->declared_count; i++)
    if (store->declared[i]->run_id == run_id)
      status = publish(store, store->declared[i], dev, err);
  return status;
}
