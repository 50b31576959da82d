#include "reuse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aeu.h"
#include "console.h"
#include "made.h"
#include "reuse_key.h"

const char *aeh_reuse_refused(const aeh_exec_options *opts,
                              const aeh_action *a) {
  if (a->is_volatile)
    return "volatile";
  if (opts->force)
    return "--force";
  if (a->forced)
    return "--force-only";
  return NULL;
}

bool aeh_reuse_allowed(const aeh_exec *ex, size_t p) {
  return ex->reuses && aeh_reuse_refused(ex->opts, ex->nodes[p].action) == NULL;
}

/* `n` rounded as printf's "%.0f" rounds it, then `unit`, into buf. */
static void put_age(double n, const char *unit, char *buf, size_t size) {
  char digits[24];
  size_t len = aeu_format_i64((int64_t)nearbyint(n), digits);
  size_t unit_len = strlen(unit);
  if (size > len + unit_len) {
    memcpy(buf, digits, len);
    memcpy(buf + len, unit, unit_len + 1);
  } else if (size > 0) {
    buf[0] = '\0';
  }
}

/* By hand, not snprintf: once per reused action (with the banner, 3% of
 * an unchanged re-run's CPU went to formatting). */
void aeh_reuse_age(int64_t ended_ns, char *buf, size_t size) {
  double s = (double)(aeh_exec_wall_ns() - ended_ns) / 1e9;
  if (s < 5)
    snprintf(buf, size, "%s", "just now");
  else if (s < 60)
    put_age(s, " s ago", buf, size);
  else if (s < 3600)
    put_age(s / 60, " min ago", buf, size);
  else if (s < 48 * 3600)
    put_age(s / 3600, " h ago", buf, size);
  else
    put_age(s / 86400, " days ago", buf, size);
}

/* Prepares the run that would record a reuse of `preview` in the slot
 * after ex->pending's last, without counting it: done before the lookup,
 * because a match keeps the backend's read transaction open until the
 * pending runs are recorded (tracker-local shares it with the streak's
 * next lookups), and a failure after the match would leave it open with
 * nothing pending to end it, past the next wait. */
static aero_status reserve_pending(aeh_exec *ex, const aeh_run *preview,
                                   aero_error *err) {
  aeh_reused *grown = aeu_grow(ex->pending, &ex->pending_cap,
                               ex->pending_count + 1, sizeof *grown, 64);
  if (grown == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  ex->pending = grown;
  aeh_reused *slot = &ex->pending[ex->pending_count];
  aero_status status = aeh_reused_prepare(preview, 0, slot, err);
  if (status != AERO_OK)
    aeh_reused_release(slot);
  return status;
}

bool aeh_reuse_try(aeh_exec *ex, size_t p) {
  if (!aeh_reuse_allowed(ex, p))
    return false;
  const aeh_action *a = ex->nodes[p].action;
  aeh_run *preview = NULL;
  aero_error err = AEH_ERROR_INIT;
  aero_reuse_match match = {.run_id = 0};
  /* A streak's lookup may have answered already (reuse_batch.c). */
  bool answered = aeh_reuse_take(ex, p, &preview, &match);
  if (answered && match.run_id == 0) {
    aeh_run_free(preview);
    return false;
  }
  /* An input that cannot be resolved is not reusable: the action's run
   * begins as usual and records why it failed. */
  if (!answered && aeh_run_preview(ex->store, ex->session, ex->graph, a,
                                   &preview, &err) != AERO_OK)
    return false;
  aeh_reuse_key key;
  if (!answered)
    aeh_reuse_key_of(ex->session, a, preview, &key);
  aero_status status = reserve_pending(ex, preview, &err);
  aeh_run_free(preview);
  if (status == AERO_OK) {
    /* Nothing may fail from here on once a run matched. */
    aeh_reused *slot = &ex->pending[ex->pending_count];
    if (!answered)
      status = aeh_reuse_find(ex->store, ex->session, a, key.key, key.job,
                              &match, &err);
    if (status == AERO_OK && match.run_id > 0) {
      slot->reused_run_id = match.run_id;
      ex->pending_count++;
      aeh_made_by(ex->made, a, match.run_id); /* its dependents read them */
    } else {
      aeh_reused_release(slot);
    }
  }
  char label[512];
  aeh_graph_label(a, label, sizeof label);
  if (status != AERO_OK) {
    aeh_console_warn("%s: looking for a run to reuse failed, running it: %s",
                     label, err.message);
    return false;
  }
  if (match.run_id == 0)
    return false;
  char age[64] = "", detail[128];
  aeh_reuse_age(match.ended_ns, age, sizeof age);
  /* "run N, AGE" */
  memcpy(detail, "run ", 4);
  size_t used = 4 + aeu_format_i64(match.run_id, detail + 4);
  size_t age_len = strnlen(age, sizeof detail - used - 3);
  memcpy(detail + used, ", ", 2);
  memcpy(detail + used + 2, age, age_len);
  detail[used + 2 + age_len] = '\0';
  /* Written with the streak's other banners (aeh_reuse_flush). */
  aeh_console_hold();
  aeh_console_banner(AEH_BANNER_REUSED, p + 1, ex->n, label, detail);
  return true;
}

void aeh_reuse_flush(aeh_exec *ex) {
  aeh_console_release();
  if (ex->pending_count == 0)
    return;
  aero_error err = AEH_ERROR_INIT;
  aero_status status =
      aeh_reused_record(ex->store, ex->pending, ex->pending_count, &err);
  size_t recorded = 0;
  for (size_t i = 0; i < ex->pending_count; i++) {
    if (ex->pending[i].run_id != 0) {
      aeh_exec_count_run(ex, ex->pending[i].run_id);
      recorded++;
    }
    aeh_reused_release(&ex->pending[i]);
  }
  if (status != AERO_OK) {
    /* Their banners are out: the record is what failed, the host's. */
    size_t lost = ex->pending_count - recorded;
    aeh_console_error("recording %zu reused run%s failed: %s", lost,
                      lost == 1 ? "" : "s", err.message);
    ex->reused -= lost < ex->reused ? lost : ex->reused;
    ex->infra = true;
  }
  ex->pending_count = 0;
}

void aeh_reuse_free(aeh_exec *ex) {
  aeh_console_release();
  for (size_t i = 0; i < ex->pending_count; i++)
    aeh_reused_release(&ex->pending[i]);
  free(ex->pending);
  ex->pending = NULL;
  ex->pending_count = ex->pending_cap = 0;
}

bool aeh_reuse_key_for(void *ctx_, const aeh_run *run, const char **key,
                       const char **job, const char **parts) {
  aeh_reuse_key_ctx *ctx = ctx_;
  const aeh_action *a = ctx->ex->nodes[ctx->p].action;
  /* A volatile action's runs are never reused: no key for them. */
  if (!ctx->ex->reuses || a->is_volatile)
    return false;
  aeh_reuse_key_of(ctx->ex->session, a, run, &ctx->key);
  *key = ctx->key.key;
  *job = ctx->key.job;
  *parts = ctx->key.parts;
  return true;
}

void aeh_reuse_note(aeh_exec *ex, size_t p, aeh_run *run) {
  const aeh_action *a = ex->nodes[p].action;
  /* A volatile action's runs are never reused: no key for them. */
  if (!ex->reuses || a->is_volatile || aeh_run_keyed(run))
    return;
  aeh_reuse_key key;
  aeh_reuse_key_of(ex->session, a, run, &key);
  aero_error err = AEH_ERROR_INIT;
  if (aeh_run_note_key(run, key.key, key.job, key.parts, &err) != AERO_OK) {
    char label[512];
    aeh_graph_label(a, label, sizeof label);
    aeh_console_warn("%s: its reuse key was not recorded (%s): a later run "
                     "will not reuse it",
                     label, err.message);
  }
}
