/* tracker-local: who uses the store at which schema version.
 *
 * A connection opened at one schema version keeps working only while the
 * store stays at it: an upgrade by a newer aeromancy changes tables under
 * it (schema 5 made `metrics` a view, so an older host's next metric write
 * failed and its run ended as a store failure). So every connection holds
 * a shared flock on schema.lock in the store for as long as it is open,
 * taken once the schema is the one it understands, and an upgrade first
 * takes that lock exclusively without waiting: held shared, the store is
 * in use at its current version by another process, and the upgrade is
 * refused with one line rather than break that process's writes. A
 * connection opening while an upgrade runs waits for it (the exclusive
 * lock lasts until the upgrade committed), then reads the version again.
 */
#include "local.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* Opens schema.lock once per handle: for writing, so that it is created
 * when missing, else read-only: flock needs no write access, and a reader
 * of a store it cannot write (mounted read-only, or a schema.lock of
 * another user's) must still hold the lock shared, or an upgrade by a
 * process that can write would run under it. -1 when it cannot be opened
 * at all (a read-only store without one: nothing is locked). */
static int lock_fd(tl_store *store) {
  if (store->schema_fd >= 0)
    return store->schema_fd;
  char *path = tl_strdup_printf("%s/schema.lock", store->root);
  if (path == NULL)
    return -1;
  store->schema_fd =
      open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (store->schema_fd < 0)
    store->schema_fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  free(path);
  return store->schema_fd;
}

aero_status tl_schema_claim(tl_store *store, int version, aero_error *err) {
  int fd = lock_fd(store);
  if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) == 0)
    return AERO_OK;
  if (errno != EWOULDBLOCK)
    return AERO_OK; /* no lock to be had: as before there was one */
  return aero_fail(err, AERO_E_STORE,
                   "%s: schema version %d is in use by another process (an "
                   "older aerohost, aeromancy or aeromancy ui): this one needs "
                   "version %d, and upgrading now would break that process's "
                   "writes; run again once it has ended",
                   store->db_path, version, TL_SCHEMA_VERSION);
}

void tl_schema_share(tl_store *store) {
  int fd = lock_fd(store);
  /* Waits for an upgrade running in another process (it holds the lock
   * exclusively until it committed); turns this handle's own exclusive
   * lock, after its upgrade, into a shared one. */
  while (fd >= 0 && flock(fd, LOCK_SH) != 0 && errno == EINTR)
    ;
}

void tl_schema_release(tl_store *store) {
  if (store->schema_fd >= 0)
    close(store->schema_fd);
  store->schema_fd = -1;
}

/* A schema upgrade holds the write lock while it rewrites the store:
 * seconds on a large one, maybe longer than BUSY_TIMEOUT_MS, after which
 * a concurrent host's write would fail although nothing is wrong. So the
 * upgrading connection also holds an flock on upgrade.lock in the store,
 * and the others keep waiting while it is held (up to UPGRADE_WAIT_MS). */
static char *upgrade_lock_path(const tl_store *store) {
  return pc_strdup_printf("%s/upgrade.lock", store->root);
}

bool tl_upgrade_running(const tl_store *store) {
  char *path = upgrade_lock_path(store);
  int fd = path != NULL ? open(path, O_RDONLY | O_CLOEXEC) : -1;
  free(path);
  if (fd < 0)
    return false; /* never upgraded here */
  bool held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  close(fd); /* drops the shared lock, if taken */
  return held;
}

/* Takes upgrade.lock for the upgrade about to run (-1 when another
 * process holds it: it upgrades, and this one waits for its write lock). */
int tl_upgrade_lock(const tl_store *store) {
  char *path = upgrade_lock_path(store);
  int fd = path != NULL
               ? open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644)
               : -1;
  free(path);
  if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    fd = -1;
  }
  return fd;
}
