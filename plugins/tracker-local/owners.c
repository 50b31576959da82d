/* Runs whose aerohost died without recording how they ended.
 *
 * A host killed with SIGKILL (or a machine that stopped) leaves its runs
 * `running` for good: nothing is left to record the end. So every handle
 * that starts runs holds an exclusive flock on a file of its own,
 * `owners/<token>`, and records the token with each run (run_env key
 * "owner"). The kernel drops the lock when the owner dies, however it dies,
 * and on every filesystem that containers sharing the store see alike. The
 * next host that starts a run takes over every unlocked owner file, records
 * that owner's running runs as killed (their pending outputs discarded, as
 * for any run that did not succeed), removes what they left in tmp/ (their
 * scratch folders, with any half-written blob in them, and half-built
 * views), and removes the file.
 *
 * A host that could not record how one of its runs ended (the database
 * locked past its busy timeout, a full disk) leaves its owner file behind
 * when it closes the store, for the same reason: ownership outlives every
 * unrecorded run, and the next host records it.
 */
#include "local.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define OWNERS_DIR "owners"
/* How long a reader's settle_dead waits for the write lock. */
#define SETTLE_WAIT_MS 200

static const char *const VANISHED =
    "aerohost ended without recording how this run ended (killed with "
    "SIGKILL, the machine stopped, or the store could not be written)";

/* Removes the half-built views of owner `token` (tmp/view-<id>-<token>-*,
 * see views.c). */
static void remove_owner_views(tl_store *store, const char *token) {
  size_t len = strlen(token);
  char *dir = tl_strdup_printf("%s/tmp", store->root);
  DIR *d = dir != NULL ? opendir(dir) : NULL;
  struct dirent *e;
  while (d != NULL && (e = readdir(d)) != NULL) {
    const char *dash =
        strncmp(e->d_name, "view-", 5) == 0 ? strchr(e->d_name + 5, '-') : NULL;
    if (dash == NULL || strncmp(dash + 1, token, len) != 0 ||
        dash[1 + len] != '-')
      continue;
    char *path = tl_strdup_printf("%s/%s", dir, e->d_name);
    if (path != NULL)
      tl_remove_tree(path);
    free(path);
  }
  if (d != NULL)
    closedir(d);
  free(dir);
}

/* Ends the running runs of dead owner `token` as killed and removes what
 * its runs left in tmp/: also those of runs that ended, since the owner
 * may have died after recording a run's end but before removing its
 * scratch folder. A run another reaper ended first is no longer running.
 * Returns true when every run of the owner is recorded ended, so that the
 * owner file may go. */
static bool reap_owner(tl_store *store, const char *token) {
  sqlite3_stmt *st = NULL;
  aero_error *none = NULL;
  if (tl_prepare(
          store,
          "SELECT r.id, r.status = 'running' FROM run_records r JOIN run_env "
          "e ON e.run_id = r.id WHERE e.key = 'owner' AND e.value = ?",
          &st, none) != AERO_OK)
    return false;
  tl_bind_text(st, 1, token);
  struct owned_run {
    int64_t id;
    bool running;
  } *ids = NULL;
  size_t n = 0, cap = 0;
  bool all = true;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    struct owned_run *grown = aeu_grow(ids, &cap, n + 1, sizeof *grown, 16);
    if (grown == NULL)
      break; /* the rest are reaped by the next host */
    ids = grown;
    ids[n].id = sqlite3_column_int64(st, 0);
    ids[n++].running = sqlite3_column_int(st, 1) != 0;
  }
  if (rc != SQLITE_DONE)
    all = false;
  tl_finish(store, st);
  aero_run_outcome out = {.struct_size = sizeof out,
                          .state = AERO_RUN_KILLED,
                          .exit_code = -1,
                          .signal = 0,
                          .message = VANISHED};
  for (size_t i = 0; i < n; i++) {
    out.ended_ns = ids[i].running ? tl_run_last_sign(store, ids[i].id) : 0;
    aero_status status =
        ids[i].running ? tl_run_settle(store, ids[i].id, &out, none) : AERO_OK;
    if (status != AERO_OK && status != AERO_E_STATE) {
      all = false; /* still running: its scratch folder stays too */
      continue;
    }
    /* The run's scratch folder (the host names it tmp/run-<id>), with any
     * blob being written in it (blobs.c). */
    char *scratch =
        tl_strdup_printf("%s/tmp/run-%lld", store->root, (long long)ids[i].id);
    if (scratch != NULL)
      tl_remove_tree(scratch);
    free(scratch);
  }
  free(ids);
  if (all)
    remove_owner_views(store, token);
  return all;
}

/* Takes over every owner file whose lock nobody holds. */
static void reap_dead_owners(tl_store *store, const char *dir) {
  DIR *d = opendir(dir);
  if (d == NULL)
    return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' || strcmp(e->d_name, store->owner_token) == 0)
      continue;
    char *path = tl_strdup_printf("%s/%s", dir, e->d_name);
    int fd = path ? open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW) : -1;
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 &&
        reap_owner(store, e->d_name))
      unlink(path);
    if (fd >= 0)
      close(fd);
    free(path);
  }
  closedir(d);
}

aero_status tl_owner_claim(tl_store *store, aero_error *err) {
  if (store->owner_fd >= 0)
    return AERO_OK;
  unsigned char raw[8];
  if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
    return aero_fail(err, AERO_E_IO, "%s: no randomness for an owner token",
                     store->root);
  for (size_t i = 0; i < sizeof raw; i++)
    snprintf(store->owner_token + 2 * i, 3, "%02x", raw[i]);
  char *dir = tl_strdup_printf("%s/" OWNERS_DIR, store->root);
  char *tmp = tl_strdup_printf("%s/.%s", dir ? dir : "", store->owner_token);
  char *path = tl_strdup_printf("%s/%s", dir ? dir : "", store->owner_token);
  aero_status status = AERO_OK;
  int fd = -1;
  if (dir == NULL || tmp == NULL || path == NULL) {
    status = aero_fail(err, AERO_E_NOMEM, "tracker-local: out of memory");
    goto done;
  }
  /* Locked under a hidden name first, then renamed: a reaper never sees an
   * owner file that is not yet locked. */
  if (tl_mkdirs(dir) != 0 ||
      (fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 ||
      flock(fd, LOCK_EX) != 0 || rename(tmp, path) != 0) {
    status =
        aero_fail(err, errno == ENOSPC ? AERO_E_NOSPACE : AERO_E_IO,
                  "%s: cannot create an owner lock: %s", dir, strerror(errno));
    if (fd >= 0) {
      unlink(tmp);
      close(fd);
    }
    goto done;
  }
  store->owner_fd = fd;
  reap_dead_owners(store, dir);
done:
  free(path);
  free(tmp);
  free(dir);
  return status;
}

void tl_owner_release(tl_store *store) {
  if (store->owner_fd < 0)
    return;
  char *path =
      tl_strdup_printf("%s/" OWNERS_DIR "/%s", store->root, store->owner_token);
  if (path != NULL && store->unended == 0)
    unlink(path);
  free(path);
  close(store->owner_fd);
  store->owner_fd = -1;
}

aero_status tl_settle_dead(void *handle, aero_error *err) {
  tl_store *store = handle;
  char *dir = tl_strdup_printf("%s/" OWNERS_DIR, store->root);
  /* An owner file this process may not lock for writing (another user's;
   * a store mounted read-only) is skipped, and so is a run the database
   * refuses to record: a reader leaves such a store as it is. */
  if (dir == NULL)
    return aero_fail(err, AERO_E_NOMEM, "tracker-local: out of memory");
  /* A reader does not wait out a writer's 10 s for this: while another
   * process holds the write lock, the dead hosts' runs are read as they
   * are, and the next reader or host settles them. SETTLE_WAIT_MS bounds
   * all the waits together (a dead host leaves a running run per slot,
   * each settled in a transaction of its own): past it, every wait for the
   * lock gives up at once. */
  clock_gettime(CLOCK_MONOTONIC, &store->busy_deadline);
  store->busy_deadline.tv_nsec += SETTLE_WAIT_MS * 1000000L;
  store->busy_deadline.tv_sec += store->busy_deadline.tv_nsec / 1000000000L;
  store->busy_deadline.tv_nsec %= 1000000000L;
  store->busy_deadline_on = true;
  reap_dead_owners(store, dir);
  store->busy_deadline_on = false;
  free(dir);
  return AERO_OK;
}
