/* The console: messages on stderr, colour and redrawn lines only on a
 * terminal and never with NO_COLOR.
 *
 * Owner: engine (console.c).
 */
#ifndef AEH_CONSOLE_H
#define AEH_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

/* Decides once whether stderr gets colour and redraws. */
void aeh_console_init(void);
bool aeh_console_fancy(void);

/* "aerohost: error: ..." and friends, one line each on stderr. */
void aeh_console_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
void aeh_console_warn(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
void aeh_console_info(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* The host API's progress member. */
void aeh_console_progress(const char *label, uint64_t done, uint64_t total);

/* Appended by engine: the executor's banners. */
#include <stddef.h>

typedef enum aeh_banner_kind {
  AEH_BANNER_RUNNING, /* "[i/N] Running [job_type] output" */
  AEH_BANNER_OK,      /* "[i/N] OK [job_type] output (detail)" */
  AEH_BANNER_FAILED,  /* "[i/N] Failed [job_type] output: detail" */
  AEH_BANNER_SKIPPED, /* "[i/N] Skipped [job_type] output: detail" */
  AEH_BANNER_REUSED,  /* "[i/N] Reused [job_type] output (run 41, 2 h ago)" */
} aeh_banner_kind;

/* One banner line on stderr. `label` is "[job_type] output"; `detail` (the
 * duration, or the reason and run id) may be NULL. Both borrowed. */
void aeh_console_banner(aeh_banner_kind kind, size_t i, size_t n,
                        const char *label, const char *detail);

/* Banners of a streak of reused actions: from aeh_console_hold on, banner
 * lines are gathered in memory and written at once (one write instead of
 * one per reused action) by aeh_console_release, or before any other line
 * this console writes, so the order of lines never changes. */
void aeh_console_hold(void);
void aeh_console_release(void);

/* "N ok, N failed, N skipped in X.XX s; WHERE" on stderr, with ", N
 * reused" after "N ok" when some were. `where` says
 * where the record is ("runs 41-43 in ~/.local/share/aeromancy"); NULL or
 * "" leaves it out. Borrowed. */
void aeh_console_summary(size_t ok, size_t reused, size_t failed,
                         size_t skipped, double seconds, const char *where);

/* `path` as the console shows a store's place, into `buf` (`size` bytes),
 * which it returns: "~" for $HOME when the path is in it
 * ("~/.local/share/aeromancy"), else the path as it is. The run summary,
 * `aeromancy fsck` and `gc`, "no run N in ...", "no artifact 'X' in ..."
 * and `aeromancy ui`'s "serving ..." say the same. */
const char *aeh_console_path(const char *path, char *buf, size_t size);

/* Turns colour and redraws off from here on, in this process: an action's
 * process whose stderr is a pipe to the host (-j > 1). */
void aeh_console_set_plain(void);

/* True after aeh_console_set_plain: the host prefixes every line this
 * process writes to stderr with its action's "[job_type output]", so the
 * process's own messages leave that label out. */
bool aeh_console_captured(void);

#endif /* AEH_CONSOLE_H */
