/* Splitting shell-quoted option values (--extra-docker-run-args, the ini's
 * run_args) into words, the way a POSIX shell would but without any
 * expansion: no variables, no globs, no command substitution. */
#ifndef AEH_RUNNER_SHELL_WORDS_H
#define AEH_RUNNER_SHELL_WORDS_H

#include "error.h"
#include "strv.h"

/* Appends the words of `text` to `words`. Blanks (space, tab, newline)
 * separate words; '...' keeps its content literally; "..." keeps its content
 * but a backslash escapes ", \, $, ` and a newline; a backslash outside
 * quotes escapes the next character. "" and '' make an empty word. An
 * unterminated quote or a trailing backslash fails with AERO_E_INVALID and a
 * message naming the position; `words` then holds what came before. */
aero_status aeh_shell_words_split(const char *text, aeh_strv *words,
                                  aero_error *err);

#endif /* AEH_RUNNER_SHELL_WORDS_H */
