/* A run page's answers computed ahead.
 *
 * When the browser asks for a run's page (/run/ID), it fetches the run
 * (/api/runs/ID) and then each chart's series only once its scripts have
 * loaded and the run's answer has come: the first time, the server then
 * reads the points from the backend (tens of milliseconds for a
 * 1,000,000-point metric) while the browser waits. A thread of its own,
 * with its own handle on the store, computes those answers as soon as
 * the page is asked for and keeps them (ui_cache.h), so that they are
 * ready, or nearly, when they are asked for. Only a finished run's
 * answers are kept, as the routes keep them.
 */
#ifndef AEH_UI_PREFETCH_H
#define AEH_UI_PREFETCH_H

#include <stdint.h>

#include "record.h"

/* Starts the thread, reading through `rec` (borrowed until
 * aeh_ui_prefetch_stop; no other thread may use it). 0, or an errno value:
 * the server then works without it. */
int aeh_ui_prefetch_start(aeh_record *rec);

/* Asks for run `id`'s answers to be computed ahead; replaces an earlier
 * request the thread has not taken up yet. Does nothing unless started. */
void aeh_ui_prefetch_run(int64_t id);

/* Waits while the thread computes the answer kept under `key`; 1 when it
 * did (the answer may now be kept), 0 when it was not computing it. */
int aeh_ui_prefetch_wait(const char *key);

/* Ends the thread (what it computes is finished first). */
void aeh_ui_prefetch_stop(void);

#endif /* AEH_UI_PREFETCH_H */
