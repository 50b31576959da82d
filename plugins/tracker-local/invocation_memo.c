/* tracker-local: the invocation a handle remembers (invocations.c), as
 * its transactions end: a row written in a transaction that was rolled
 * back is forgotten, and the close frees the copies. Apart from
 * invocations.c so that db.c, whose commit and rollback call it, needs
 * nothing above it. */
#include "local.h"

#include <stdlib.h>

void tl_invocation_forget(tl_store *store) {
  for (int i = 0; i < PC_ENV_COLUMN_COUNT; i++) {
    free(store->invocation.facts[i]);
    store->invocation.facts[i] = NULL;
  }
  store->invocation.id = 0;
  store->invocation.committed = false;
}

void tl_invocation_after(tl_store *store, bool committed) {
  store->invocation.seen = false;
  if (committed)
    store->invocation.committed = store->invocation.id != 0;
  else if (!store->invocation.committed)
    tl_invocation_forget(store); /* its row went with the rollback */
}
