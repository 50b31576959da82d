#include "names.h"

#include <stdio.h>
#include <string.h>

bool aeh_name_char(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

bool aeh_name_valid(const char *name, size_t max_len) {
  if (name == NULL || name[0] == '\0' || strcmp(name, ".") == 0 ||
      strcmp(name, "..") == 0)
    return false;
  size_t n = 0;
  for (const char *p = name; *p != '\0'; p++, n++)
    if (n >= max_len || !aeh_name_char((unsigned char)*p))
      return false;
  return true;
}

const char *aeh_name_problem(const char *s, size_t len, char *buf,
                             size_t size) {
  if (len == 0)
    return "it is empty";
  if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
    return "'.' and '..' are not names";
  if (len > AEH_NAME_MAX) {
    snprintf(buf, size, "it is longer than %d characters", AEH_NAME_MAX);
    return buf;
  }
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (aeh_name_char(c))
      continue;
    if (c == ' ')
      snprintf(buf, size, "spaces are not allowed");
    else if (c > 0x20 && c < 0x7f)
      snprintf(buf, size, "'%c' is not allowed", c);
    else
      snprintf(buf, size, "character 0x%02x is not allowed", c);
    return buf;
  }
  return NULL;
}

const char *aeh_quote(const char *text, char *buf, size_t size) {
  if (size == 0)
    return buf;
  if (text == NULL) {
    snprintf(buf, size, "(null)");
    return buf;
  }
  size_t n = 0;
  for (const char *p = text; *p != '\0' && n + 1 < size; p++) {
    if (n == AEH_QUOTE_MAX && size > AEH_QUOTE_MAX + 4) {
      memcpy(buf + n, "...", 3);
      n += 3;
      break;
    }
    unsigned char c = (unsigned char)*p;
    buf[n++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
  }
  buf[n] = '\0';
  return buf;
}

/* Longer words are compared with nothing: no typo of a name is that long,
 * and the table below stays small on the stack. */
#define SUGGEST_MAX_LEN 128

size_t aeh_edit_distance(const char *a, const char *b) {
  size_t n = strlen(a), m = strlen(b);
  if (n > SUGGEST_MAX_LEN || m > SUGGEST_MAX_LEN)
    return (size_t)-1;
  /* Three rows of the optimal-string-alignment table. */
  size_t rows[3][SUGGEST_MAX_LEN + 1];
  size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
  for (size_t j = 0; j <= m; j++)
    prev[j] = j;
  for (size_t i = 1; i <= n; i++) {
    cur[0] = i;
    for (size_t j = 1; j <= m; j++) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      size_t best = prev[j] + 1;
      if (cur[j - 1] + 1 < best)
        best = cur[j - 1] + 1;
      if (prev[j - 1] + cost < best)
        best = prev[j - 1] + cost;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
          prev2[j - 2] + 1 < best)
        best = prev2[j - 2] + 1;
      cur[j] = best;
    }
    size_t *t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  return prev[m];
}

const char *aeh_suggest(const char *word, const char *const *candidates,
                        size_t count) {
  size_t len = strlen(word);
  size_t limit = len / 3 > 1 ? len / 3 : 1;
  const char *best = NULL;
  size_t best_distance = (size_t)-1;
  for (size_t i = 0; i < count; i++) {
    size_t d = aeh_edit_distance(word, candidates[i]);
    if (d < best_distance) {
      best = candidates[i];
      best_distance = d;
    }
  }
  /* Suggesting "ab" for "xy" helps no one: the nearest must also share most
   * of the word. */
  if (best == NULL || best_distance > limit || best_distance >= len)
    return NULL;
  return best;
}
