/* The record read back: what every reader of a store (aeromancy's read
 * commands, the web page) shares. It opens a store that must exist, calls
 * the backend's query members (never SQL: any backend serves every
 * reader), finds what a user typed (a run id, an artifact reference, with
 * the nearest existing one when it is wrong), and turns results into the
 * one JSON schema of docs/json-schema.md (record_json.c).
 */
#ifndef AEH_RECORD_H
#define AEH_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include <aeromancy/backend.h>

#include "error.h"
#include "tracker.h"

/* An open store, for reading. */
typedef struct aeh_record {
  aeh_store *store;              /* owned */
  const aero_backend_vtable *vt; /* the backend's, borrowed from `store` */
  void *handle;                  /* this process's handle, from `store` */
} aeh_record;

/* Opens the store found by the one store rule (`location` NULL:
 * $AEROMANCY_STORE, [store] path of aeromancy.ini, then
 * ~/.local/share/aeromancy) with backend `backend` (NULL: "local"). A
 * store that does not exist is AERO_E_NOT_FOUND and is not created.
 * Writes *out on success only; close it with aeh_record_close. */
aero_status aeh_record_open(const char *backend, const char *location,
                            aeh_record *out, aero_error *err);
void aeh_record_close(aeh_record *rec);
/* The store's folder or address, for messages. Borrowed. */
const char *aeh_record_location(const aeh_record *rec);
/* Records as `killed` the runs left `running` by hosts that are gone
 * (the backend's settle_dead, ABI 1.7), so that what is read next does
 * not call them running. Best effort: a backend without the member, or a
 * store this process may not write, is read as it is. */
void aeh_record_settle_dead(const aeh_record *rec);

/* AERO_OK when the backend has query member `member`; else
 * AERO_E_UNSUPPORTED naming it and the backend. */
#define AEH_RECORD_NEED(rec, member, err)                                      \
  aeh_record_need((rec), (rec)->vt->member != NULL, #member, (err))
aero_status aeh_record_need(const aeh_record *rec, bool present,
                            const char *member, aero_error *err);

/* Parses a run id as typed and checks that the run exists. An unknown or
 * malformed id is AERO_E_NOT_FOUND / AERO_E_INVALID with one line naming
 * it and the nearest existing run ("no run 99 in STORE (nearest: 42)"). */
aero_status aeh_record_find_run(const aeh_record *rec, const char *text,
                                int64_t *run_id, aero_error *err);

/* A version found by reference: the fields of aero_version_info, copied. */
typedef struct aeh_version {
  int64_t id;
  char entity[128];
  char project[128];
  char name[128];
  int64_t version;
  bool dev;
  char digest[65];
  char type[64];
  int64_t run_id;
  int64_t created_ns;
  int64_t file_count;
  int64_t total_size;
} aeh_version;

/* Copies a backend row into an aeh_version. */
void aeh_version_copy(aeh_version *out, const aero_version_info *in);

/* Finds `[entity/][project/]name[:vN|:latest]`: without a version, the
 * highest (dev versions included: readers see everything). Without a
 * project, the name must belong to one project only. An unknown reference
 * is AERO_E_NOT_FOUND with one line naming it and the nearest existing
 * artifact. */
aero_status aeh_record_find_version(const aeh_record *rec, const char *text,
                                    aeh_version *out, aero_error *err);

/* "project/name:vN" or "entity/project/name:vN" into buf. */
void aeh_version_ref(const char *entity, const char *project, const char *name,
                     int64_t version, char *buf, size_t size);

#endif /* AEH_RECORD_H */
