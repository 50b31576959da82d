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
