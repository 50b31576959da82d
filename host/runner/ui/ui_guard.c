/* Request gates: Host header and URL parameter grammars (ui_guard.h). */
#include "ui_guard.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The names a browser on this machine uses for a loopback server. */
static const char *const loopback_names[] = {"127.0.0.1", "localhost", "[::1]"};

/* True when `host` is `name` followed by ":port", or by nothing when the
 * port is 80 (browsers leave the default port out). */
static bool host_is(const char *host, const char *name, unsigned port) {
  size_t n = strlen(name);
  if (n == 0 || strncasecmp(host, name, n) != 0)
    return false;
  const char *rest = host + n;
  if (*rest == '\0')
    return port == 80;
  char want[16];
  snprintf(want, sizeof want, ":%u", port);
  return strcmp(rest, want) == 0;
}

bool aeh_ui_host_allowed(const char *host, const char *bound, unsigned port) {
  if (host == NULL)
    return false;
  for (size_t i = 0; i < sizeof loopback_names / sizeof *loopback_names; i++)
    if (host_is(host, loopback_names[i], port))
      return true;
  if (bound == NULL || strcmp(bound, "0.0.0.0") == 0 ||
      strcmp(bound, "::") == 0)
    return false; /* a wildcard is no name a browser would send */
  if (strchr(bound, ':') != NULL) { /* an IPv6 literal is bracketed */
    char bracketed[80];
    if ((size_t)snprintf(bracketed, sizeof bracketed, "[%s]", bound) >=
        sizeof bracketed)
      return false;
    return host_is(host, bracketed, port);
  }
  return host_is(host, bound, port);
}

/* A whole decimal number of 1 to `max_digits` digits, no sign. */
static bool digits(const char *text, size_t max_digits, int64_t *out) {
  size_t n = text == NULL ? 0 : strlen(text);
  if (n == 0 || n > max_digits)
    return false;
  int64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (text[i] < '0' || text[i] > '9')
      return false;
    v = v * 10 + (text[i] - '0');
  }
  *out = v;
  return true;
}

bool aeh_ui_parse_id(const char *text, int64_t *id) {
  return digits(text, 18, id);
}

bool aeh_ui_parse_id_list(const char *text, int64_t *ids, size_t max,
                          size_t *count) {
  if (text == NULL)
    return false;
  size_t n = 0;
  const char *p = text;
  for (;;) {
    size_t len = strcspn(p, ",");
    char item[20];
    if (len == 0 || len >= sizeof item || n == max)
      return false;
    memcpy(item, p, len);
    item[len] = '\0';
    if (!aeh_ui_parse_id(item, &ids[n]))
      return false;
    n++;
    if (p[len] == '\0')
      break;
    p += len + 1;
  }
  *count = n;
  return true;
}

bool aeh_ui_is_digest(const char *text) {
  if (text == NULL || strlen(text) != 64)
    return false;
  for (size_t i = 0; i < 64; i++)
    if (!((text[i] >= '0' && text[i] <= '9') ||
          (text[i] >= 'a' && text[i] <= 'f')))
      return false;
  return true;
}

bool aeh_ui_is_text(const char *text) {
  size_t n = text == NULL ? 0 : strlen(text);
  if (n == 0 || n > AEH_UI_TEXT_MAX)
    return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)text[i];
    if (c < 0x20 || c == 0x7f)
      return false;
  }
  return true;
}

bool aeh_ui_parse_count(const char *text, long *out) {
  int64_t v;
  if (!digits(text, 9, &v))
    return false;
  *out = (long)v;
  return true;
}
