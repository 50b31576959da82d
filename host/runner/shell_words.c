#include "shell_words.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n';
}

aero_status aeh_shell_words_split(const char *text, aeh_strv *words,
                                  aero_error *err) {
  aero_status st = AERO_OK;
  /* A word is never longer than the text it comes from. */
  char *word = malloc(strlen(text) + 1);
  if (word == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  const char *p = text;
  for (;;) {
    while (is_blank(*p))
      p++;
    if (*p == '\0')
      break;
    size_t len = 0;
    while (*p != '\0' && !is_blank(*p)) {
      const char *start = p;
      if (*p == '\'') {
        const char *end = strchr(p + 1, '\'');
        if (end == NULL) {
          st = aeh_error_set(err, AERO_E_INVALID,
                             "unterminated single quote at offset %zu in '%s'",
                             (size_t)(start - text), text);
          goto done;
        }
        memcpy(word + len, p + 1, (size_t)(end - p - 1));
        len += (size_t)(end - p - 1);
        p = end + 1;
      } else if (*p == '"') {
        p++;
        while (*p != '"') {
          if (*p == '\0') {
            st =
                aeh_error_set(err, AERO_E_INVALID,
                              "unterminated double quote at offset %zu in '%s'",
                              (size_t)(start - text), text);
            goto done;
          }
          if (*p == '\\' && p[1] != '\0' && strchr("\"\\$`\n", p[1])) {
            if (p[1] != '\n')
              word[len++] = p[1];
            p += 2;
          } else {
            word[len++] = *p++;
          }
        }
        p++;
      } else if (*p == '\\') {
        if (p[1] == '\0') {
          st = aeh_error_set(err, AERO_E_INVALID, "trailing backslash in '%s'",
                             text);
          goto done;
        }
        if (p[1] != '\n') /* backslash-newline joins lines */
          word[len++] = p[1];
        p += 2;
      } else {
        word[len++] = *p++;
      }
    }
    word[len] = '\0';
    if (aeh_strv_push(words, word) != AERO_OK) {
      st = aeh_error_set(err, AERO_E_NOMEM, "out of memory");
      goto done;
    }
  }
done:
  free(word);
  return st;
}
