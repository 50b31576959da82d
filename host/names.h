/* Names and untrusted text in messages.
 *
 * Every name in aeromancy (plugin, project, job type, artifact part,
 * backend) follows one rule, [A-Za-z0-9_.-]+ and not "." or "..", because
 * names end up in artifact references and store paths. Text that a plugin
 * or a user handed us is quoted before it goes into a one-line message, and
 * a mistyped name gets the nearest known one ("did you mean").
 */
#ifndef AEH_NAMES_H
#define AEH_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/* Longest name (one part of an artifact reference), in characters: names
 * become parts of artifact references and of store paths. */
#define AEH_NAME_MAX 127

/* True for the characters a name may hold. */
bool aeh_name_char(int c);

/* True when `name` is a whole valid name of at most `max_len` characters. */
bool aeh_name_valid(const char *name, size_t max_len);

/* Why the `len` bytes at `s` are not one valid name of at most
 * AEH_NAME_MAX characters ("it is empty", "'/' is not allowed", ...), or
 * NULL when they are. The text is either static or written into `buf`. */
const char *aeh_name_problem(const char *s, size_t len, char *buf, size_t size);

/* How much of a quoted text is kept before "..." (buffers of
 * AEH_QUOTE_MAX + 8 bytes hold any quote). */
#define AEH_QUOTE_MAX 60

/* Copies `text` into `buf` for a message: control characters become '?',
 * text past AEH_QUOTE_MAX characters is cut with "...", NULL reads as
 * "(null)". Returns `buf`. */
const char *aeh_quote(const char *text, char *buf, size_t size);

/* Damerau-Levenshtein distance (adjacent transpositions count as one edit)
 * of two strings, for "did you mean". */
size_t aeh_edit_distance(const char *a, const char *b);

/* The candidate nearest to `word`, when close enough to be a plausible typo
 * (at most a third of the word's length in edits, at least one); else NULL.
 * Ties go to the earlier candidate. Borrowed from `candidates`. */
const char *aeh_suggest(const char *word, const char *const *candidates,
                        size_t count);

#endif /* AEH_NAMES_H */
