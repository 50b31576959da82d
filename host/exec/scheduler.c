#include "scheduler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "interrupt.h"
#include "made.h"
#include "placement.h"
#include "reuse.h"
#include "slurm_job.h"

static const char *result_verb(uint32_t result) {
  switch (result) {
  case AERO_RUN_CRASHED:
    return "crashed";
  case AERO_RUN_TIMED_OUT:
    return "timed out";
  case AERO_RUN_KILLED:
    return "was killed";
  default:
    return "failed";
  }
}

/* Reused runs recorded per transaction at most: bounds the memory a long
 * streak holds and the time another host waits for the write lock. */
#define AEH_REUSE_FLUSH_AT 4096

/* Lets the dependents of position `p` go once their other parents did
 * (once only: a placement may release them before `p` resolved). */
static void release(aeh_exec *ex, size_t p) {
  aeh_node *nd = &ex->nodes[p];
  if (nd->released)
    return;
  nd->released = true;
  for (size_t c = ex->child_start[p]; c < ex->child_start[p + 1]; c++) {
    aeh_node *child = &ex->nodes[ex->children[c]];
    if (--child->need == 0 && child->state == AEH_NODE_WAITING) {
      child->state = AEH_NODE_READY;
      aeh_minheap_push(&ex->ready, ex->children[c]);
    }
  }
}

/* Marks position `p` resolved and releases its dependents. */
static void resolve(aeh_exec *ex, size_t p, uint32_t result, bool bad) {
  aeh_node *nd = &ex->nodes[p];
  nd->state = AEH_NODE_DONE;
  nd->result = result;
  nd->bad = bad;
  for (size_t c = ex->child_start[p]; c < ex->child_start[p + 1]; c++) {
    aeh_node *child = &ex->nodes[ex->children[c]];
    if (bad && child->blame == AEH_EXEC_NONE) {
      /* Point at the action that actually failed, not at a skipped one. */
      child->blame = nd->blame != AEH_EXEC_NONE ? nd->blame : p;
      child->direct = nd->blame == AEH_EXEC_NONE;
    }
  }
  release(ex, p);
}

/* Without -k, the first failure stops everything not yet started. */
static void note_failure(aeh_exec *ex, size_t p) {
  if (!ex->stop && !ex->opts->keep_going) {
    ex->stop = true;
    ex->first_failure = p;
  }
}

/* Skips position `p` with a banner and, when `record`, a SKIPPED run. */
static void skip(aeh_exec *ex, size_t p, const char *why, bool record,
                 bool bad) {
  aeh_node *nd = &ex->nodes[p];
  char label[512];
  aeh_graph_label(nd->action, label, sizeof label);
  aeh_console_banner(AEH_BANNER_SKIPPED, p + 1, ex->n, label, why);
  if (record) {
    aeh_reuse_flush(ex);
    aero_error err = AEH_ERROR_INIT;
    int64_t id = 0;
    if (aeh_run_record_skipped(ex->store, ex->session, nd->action, why, &id,
                               &err) != AERO_OK) {
      aeh_console_error("recording the skipped run of %s: %s", label,
                        err.message);
      ex->infra = true;
    }
    /* The summary's "runs N-M" names every run recorded. */
    if (id != 0)
      aeh_exec_count_run(ex, id);
  }
  ex->skipped++;
  resolve(ex, p, AERO_RUN_SKIPPED, bad);
}

static void announce(aeh_exec *ex, size_t p, const aero_run_outcome *outcome,
                     int64_t run_id, double started);

void aeh_sched_complete(aeh_exec *ex, size_t p, aeh_run *run,
                        aero_run_outcome *outcome, double started) {
  aeh_node *nd = &ex->nodes[p];
  char label[512];
  aeh_graph_label(nd->action, label, sizeof label);
  outcome->struct_size = sizeof *outcome;
  outcome->ended_ns = aeh_exec_wall_ns();
  aero_error err = AEH_ERROR_INIT;
  int64_t run_id = aeh_run_id(run);
  aero_status recorded = aeh_run_end(run, outcome, &err);
  aeh_run_free(run);
  if (recorded != AERO_OK) {
    /* Whatever the action did, its outcome (and outputs) are not in the
     * store: the host's failure, exit 2. */
    char detail[AERO_ERROR_MESSAGE_MAX + 96];
    snprintf(detail, sizeof detail, "recording the run failed: %s (run %lld)",
             err.message, (long long)run_id);
    aeh_console_banner(AEH_BANNER_FAILED, p + 1, ex->n, label, detail);
    ex->infra = true;
    ex->failed++;
    resolve(ex, p, AERO_RUN_FAILED, true);
    return;
  }

  announce(ex, p, outcome, run_id, started);
}

/* Prints the banner of the run of `p` (recorded, as `run_id`, or 0 when
 * recorded where it ran) and resolves it. */
static void announce(aeh_exec *ex, size_t p, const aero_run_outcome *outcome,
                     int64_t run_id, double started) {
  char label[512];
  aeh_graph_label(ex->nodes[p].action, label, sizeof label);
  uint32_t state = outcome->state;
  if (state == AERO_RUN_OK) {
    char took[64];
    snprintf(took, sizeof took, "%.2f s", aeh_exec_now() - started);
    aeh_console_banner(AEH_BANNER_OK, p + 1, ex->n, label, took);
    ex->ok++;
    if (run_id != 0)
      aeh_made_by(ex->made, ex->nodes[p].action, run_id);
    resolve(ex, p, state, false);
    return;
  }
  if (state == AERO_RUN_BAILED) {
    /* aero_bailout keeps its reason in the run's log; the action may also
     * have set one in its error. */
    bool reason = outcome->message != NULL &&
                  strcmp(outcome->message, AEH_EXEC_BAILED_NO_REASON) != 0;
    if (!ex->bailed && reason)
      snprintf(ex->bail_reason, sizeof ex->bail_reason, "%s: %s", label,
               outcome->message);
    else if (!ex->bailed)
      snprintf(ex->bail_reason, sizeof ex->bail_reason,
               "%s called aero_bailout", label);
    ex->bailed = true;
    resolve(ex, p, state, true);
    return;
  }
  char detail[AERO_ERROR_MESSAGE_MAX + 64];
  const char *why = outcome->message != NULL ? outcome->message : "failed";
  if (run_id != 0)
    snprintf(detail, sizeof detail, "%s (run %lld)", why, (long long)run_id);
  else
    snprintf(detail, sizeof detail, "%s", why);
  aeh_console_banner(AEH_BANNER_FAILED, p + 1, ex->n, label, detail);
  ex->failed++;
  note_failure(ex, p);
  resolve(ex, p, state, true);
}

/* The store itself failing is the host's problem (exit 2); anything else
 * aeh_run_begin refuses (an input that does not exist, a bad override) is
 * this action's failure. */
static bool infra_status(aero_status status) {
  return status == AERO_E_STORE || status == AERO_E_NOMEM ||
         status == AERO_E_IO || status == AERO_E_NOSPACE;
}

void aeh_sched_placed(aeh_exec *ex, size_t p) {
  release(ex, p);
}

bool aeh_sched_parents_resolved(const aeh_exec *ex, size_t p) {
  const aeh_action *a = ex->nodes[p].action;
  for (size_t k = 0; k < a->parent_count; k++) {
    const aeh_node *parent = &ex->nodes[ex->pos_of[a->parents[k]]];
    if (parent->state != AEH_NODE_DONE || parent->detached)
      return false;
  }
  return true;
}

void aeh_sched_submitted(aeh_exec *ex, size_t p) {
  ex->nodes[p].detached = true;
  ex->submitted++;
  resolve(ex, p, AERO_RUN_OK, false);
}

void aeh_sched_resolved(aeh_exec *ex, size_t p, aero_run_outcome *outcome,
                        int64_t run_id, double started) {
  if (run_id != 0)
    aeh_exec_count_run(ex, run_id);
  announce(ex, p, outcome, run_id, started);
}

/* Reuses a past run for the action at `p` when one stands for it. */
static bool reuse(aeh_exec *ex, size_t p) {
  /* A parent placed and not yet ended (a Slurm job the placement chains
   * with afterok) has not made its outputs: what they will be is not
   * known, so neither is a past run that would stand for this one. */
  if (!aeh_sched_parents_resolved(ex, p) || !aeh_reuse_try(ex, p))
    return false;
  ex->nodes[p].state = AEH_NODE_RUNNING;
  ex->reused++;
  resolve(ex, p, AERO_RUN_REUSED, false);
  if (ex->pending_count >= AEH_REUSE_FLUSH_AT)
    aeh_reuse_flush(ex);
  return true;
}

/* Reuses a past run for the action at `p` or, when none stands for it,
 * announces it, begins its run and hands it to the placement. */
static void place(aeh_exec *ex, size_t p) {
  aeh_node *nd = &ex->nodes[p];
  if (reuse(ex, p))
    return;
  nd->state = AEH_NODE_RUNNING;
  aeh_reuse_flush(ex);
  if (ex->infra) {
    /* Quietly, as aeh_sched_run_ready does: the error is out. */
    ex->skipped++;
    resolve(ex, p, AERO_RUN_SKIPPED, false);
    return;
  }
  char label[512];
  aeh_graph_label(nd->action, label, sizeof label);
  aeh_console_banner(AEH_BANNER_RUNNING, p + 1, ex->n, label, NULL);
  double started = aeh_exec_now();
  if (ex->place->records_elsewhere) {
    ex->place->start(ex, p, NULL, started);
    return;
  }

  aeh_run *run = NULL;
  aero_error err = AEH_ERROR_INIT;
  aeh_reuse_key_ctx key = {.ex = ex, .p = p};
  int64_t failed_id = 0;
  aero_status status =
      aeh_run_begin(ex->store, ex->session, ex->graph, nd->action,
                    aeh_reuse_key_for, &key, &run, &failed_id, &err);
  if (status != AERO_OK) {
    /* Recorded FAILED (an input that does not exist): named, and in the
     * summary's range, as every other run. */
    char detail[AERO_ERROR_MESSAGE_MAX + 64], in_run[40] = "";
    if (failed_id != 0) {
      aeh_exec_count_run(ex, failed_id);
      snprintf(in_run, sizeof in_run, " (run %lld)", (long long)failed_id);
    }
    snprintf(detail, sizeof detail, "%s%s%s",
             infra_status(status) ? "recording the run failed: " : "",
             err.message, in_run);
    aeh_console_banner(AEH_BANNER_FAILED, p + 1, ex->n, label, detail);
    ex->infra |= infra_status(status);
    ex->failed++;
    note_failure(ex, p);
    resolve(ex, p, AERO_RUN_FAILED, true);
    return;
  }
  aeh_exec_count_run(ex, aeh_run_id(run));
  aeh_slurm_job_began(aeh_run_id(run));
  aeh_reuse_note(ex, p, run);
  ex->place->start(ex, p, run, started);
}

/* Whether position `p` must not run now: unselected, a failed parent, a
 * stop, an interrupt. */
static bool barred(const aeh_exec *ex, size_t p) {
  const aeh_node *nd = &ex->nodes[p];
  return !nd->action->selected || ex->interrupted || ex->bailed || ex->infra ||
         nd->blame != AEH_EXEC_NONE || ex->stop;
}

/* Skips position `p` as barred() says it must be; false when it may run. */
static bool skip_if_barred(aeh_exec *ex, size_t p) {
  aeh_node *nd = &ex->nodes[p];
  char why[1100], label[512];
  if (!barred(ex, p))
    return false;
  if (!nd->action->selected) {
    skip(ex, p,
         "not selected by --only (its outputs resolve to the latest "
         "version)",
         false, false);
    return true;
  }
  if (ex->interrupted || ex->bailed || ex->infra) {
    /* Quietly: the one line saying why comes at the end. */
    ex->skipped++;
    resolve(ex, p, AERO_RUN_SKIPPED, false);
    return true;
  }
  if (nd->blame != AEH_EXEC_NONE) {
    const aeh_node *culprit = &ex->nodes[nd->blame];
    aeh_graph_label(culprit->action, label, sizeof label);
    snprintf(why, sizeof why, "%s %s %s", nd->direct ? "parent" : "ancestor",
             label, result_verb(culprit->result));
    skip(ex, p, why, true, true);
    return true;
  }
  /* ex->stop */
  aeh_graph_label(ex->nodes[ex->first_failure].action, label, sizeof label);
  snprintf(why, sizeof why, "not started after %s %s (-k keeps going)", label,
           result_verb(ex->nodes[ex->first_failure].result));
  skip(ex, p, why, true, false);
  return true;
}

bool aeh_sched_never_started(aeh_exec *ex, size_t p) {
  return skip_if_barred(ex, p);
}

/* Ready actions looked up at once at most: bounds one query's size. */
#define AEH_LOOK_AHEAD_MAX 1024

/* Whether position `p` may be looked up for reuse now. */
static bool may_look(const aeh_exec *ex, size_t p) {
  return !barred(ex, p) && !aeh_reuse_looked(ex, p) &&
         aeh_reuse_allowed(ex, p) && aeh_sched_parents_resolved(ex, p);
}

/* With a backend that batches lookups, asks for the ready actions that
 * may be reused at once, before placing the first of them: the next ones
 * to be placed, in order, taken off the heap and put back. The first
 * entries of the heap's array are not those: a batch taken from them
 * missed some of the next actions, each of which then made a batch of its
 * own, and the answers of the rest waited, holding their previews (at
 * 100,000 ready actions, 3,000 more page faults than no batching). */
static void look_ahead(aeh_exec *ex, size_t first) {
  if (!aeh_reuse_batches(ex) || !may_look(ex, first))
    return;
  size_t batch[AEH_LOOK_AHEAD_MAX], taken[AEH_LOOK_AHEAD_MAX], n = 0, m = 0;
  while (ex->ready.count > 0 && m < AEH_LOOK_AHEAD_MAX) {
    size_t p = aeh_minheap_pop(&ex->ready);
    taken[m++] = p;
    if (may_look(ex, p))
      batch[n++] = p;
  }
  for (size_t i = 0; i < m; i++)
    aeh_minheap_push(&ex->ready, taken[i]);
  aeh_reuse_look_ahead(ex, batch, n);
}

void aeh_sched_run_ready(aeh_exec *ex) {
  while (ex->ready.count > 0) {
    aeh_interrupt_check(ex); /* one may have come during the last record */
    size_t p = aeh_minheap_peek(&ex->ready);
    if (barred(ex, p)) {
      aeh_minheap_pop(&ex->ready);
      skip_if_barred(ex, p);
      continue;
    }
    look_ahead(ex, p);
    if (ex->place->has_room != NULL && !ex->place->has_room(ex)) {
      /* An action a past run stands for takes no slot: a batching backend
       * answered above; any other is asked now, for this action alone
       * (its answer kept until it is placed: previews of every ready
       * action at once would cost an unchanged re-run their memory). */
      if (!aeh_reuse_batches(ex) && may_look(ex, p))
        aeh_reuse_look_ahead(ex, &p, 1);
      if (!aeh_reuse_found(ex, p))
        break;
      aeh_minheap_pop(&ex->ready);
      if (!reuse(ex, p)) {
        aeh_minheap_push(&ex->ready, p); /* it runs when a slot frees */
        break;
      }
      continue;
    }
    aeh_minheap_pop(&ex->ready);
    place(ex, p);
  }
  aeh_reuse_flush(ex);
}

bool aeh_sched_any_selected(const aeh_exec *ex) {
  for (size_t p = 0; p < ex->n; p++)
    if (ex->nodes[p].action->selected)
      return true;
  return false;
}

bool aeh_sched_init(aeh_exec *ex) {
  size_t n = ex->n;
  ex->nodes = calloc(n + 1, sizeof *ex->nodes);
  ex->pos_of = malloc((n + 1) * sizeof *ex->pos_of);
  ex->child_start = calloc(n + 2, sizeof *ex->child_start);
  ex->ready.items = malloc((n + 1) * sizeof *ex->ready.items);
  ex->slot_count = ex->opts->jobs > 0 ? ex->opts->jobs : 1;
  if (!ex->opts->isolate)
    ex->slot_count = 1;
  if (ex->place->records_elsewhere)
    ex->slot_count = n > 0 ? n : 1;
  ex->slots = calloc(ex->slot_count, sizeof *ex->slots);
  size_t max_fds = 3 * ex->slot_count + 2;
  ex->pfds = malloc(max_fds * sizeof *ex->pfds);
  ex->pfd_buf = malloc(max_fds * sizeof *ex->pfd_buf);
  ex->pfd_slot = malloc(max_fds * sizeof *ex->pfd_slot);
  if (ex->nodes == NULL || ex->pos_of == NULL || ex->child_start == NULL ||
      ex->ready.items == NULL || ex->slots == NULL || ex->pfds == NULL ||
      ex->pfd_buf == NULL || ex->pfd_slot == NULL)
    return false;
  size_t edges = 0;
  for (size_t p = 0; p < n; p++) {
    aeh_action *a = aeh_graph_at(ex->graph, p);
    ex->pos_of[a->index] = p;
    edges += a->parent_count;
  }
  ex->children = malloc((edges + 1) * sizeof *ex->children);
  if (ex->children == NULL)
    return false;
  for (size_t p = 0; p < n; p++) {
    aeh_action *a = aeh_graph_at(ex->graph, p);
    ex->nodes[p] = (aeh_node){.action = a, .blame = AEH_EXEC_NONE};
    for (size_t k = 0; k < a->parent_count; k++)
      ex->child_start[ex->pos_of[a->parents[k]] + 2]++;
  }
  for (size_t i = 2; i < n + 2; i++)
    ex->child_start[i] += ex->child_start[i - 1];
  for (size_t p = 0; p < n; p++) {
    aeh_action *a = aeh_graph_at(ex->graph, p);
    for (size_t k = 0; k < a->parent_count; k++)
      ex->children[ex->child_start[ex->pos_of[a->parents[k]] + 1]++] = p;
  }
  /* An unselected action waits for nothing: its outputs resolve to what
   * already exists. Everything else waits for all of its parents. */
  for (size_t p = 0; p < n; p++) {
    aeh_node *nd = &ex->nodes[p];
    nd->need = nd->action->parent_count; /* counted down by resolve() */
    if (!nd->action->selected || nd->need == 0) {
      nd->state = AEH_NODE_READY;
      aeh_minheap_push(&ex->ready, p);
    }
  }
  for (size_t i = 0; i < ex->slot_count; i++) {
    ex->slots[i].relay.fd = -1;
    if (!aeh_linebuf_init(&ex->slots[i].out) ||
        !aeh_linebuf_init(&ex->slots[i].err))
      return false;
  }
  return true;
}

void aeh_sched_free(aeh_exec *ex) {
  if (ex->slots != NULL)
    for (size_t i = ex->slot_count; i-- > 0;) {
      aeh_linebuf_free(&ex->slots[i].err);
      aeh_linebuf_free(&ex->slots[i].out);
    }
  aeh_reuse_free(ex);
  aeh_reuse_batch_free(ex);
  free(ex->children);
  free(ex->pfd_slot);
  free(ex->pfd_buf);
  free(ex->pfds);
  free(ex->slots);
  free(ex->ready.items);
  free(ex->child_start);
  free(ex->pos_of);
  free(ex->nodes);
}
