#include "options.h"
#include "aeu.h"
#include "names.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Long enough for any option name a person would type; also bounds the
 * edit-distance work on hostile input. */
#define NAME_MAX_LEN 64
/* A value quoted in a message is cut here, so the message stays one line. */

const char *aeh_option_type_name(uint32_t type) {
  switch (type) {
  case AERO_OPT_BOOL:
    return "BOOL";
  case AERO_OPT_INT:
    return "INT";
  case AERO_OPT_DOUBLE:
    return "DOUBLE";
  case AERO_OPT_STRING:
    return "STRING";
  case AERO_OPT_CHOICE:
    return "CHOICE";
  default:
    return "?";
  }
}

static bool is_identifier(const char *name) {
  if (name == NULL || !(isalpha((unsigned char)name[0]) || name[0] == '_'))
    return false;
  size_t n = 0;
  for (const char *p = name; *p != '\0'; p++, n++) {
    if (!(isalnum((unsigned char)*p) || *p == '_') || n >= NAME_MAX_LEN)
      return false;
  }
  return true;
}

/* Compares a typed name with an option name, '_' and '-' alike. */
static bool name_matches(const char *typed, size_t typed_len,
                         const char *name) {
  size_t i = 0;
  for (; i < typed_len && name[i] != '\0'; i++) {
    char a = typed[i] == '_' ? '-' : typed[i];
    char b = name[i] == '_' ? '-' : name[i];
    if (a != b)
      return false;
  }
  return i == typed_len && name[i] == '\0';
}

/* The option's name as typed on the command line: '_' as '-'. */
static void dashed(const char *name, char *buf, size_t size) {
  size_t n = 0;
  for (; name[n] != '\0' && n + 1 < size; n++)
    buf[n] = name[n] == '_' ? '-' : name[n];
  buf[n] = '\0';
}

static bool starts_with_no(const char *name) {
  return strncmp(name, "no_", 3) == 0 || strncmp(name, "no-", 3) == 0;
}

aero_status aeh_options_check_table(const aero_option *options, size_t count,
                                    aero_error *err) {
  char q[AEH_QUOTE_MAX + 8];
  if (count > 0 && options == NULL)
    return aeh_error_set(err, AERO_E_INVALID,
                         "option_count is %zu but options is NULL", count);
  for (size_t i = 0; i < count; i++) {
    const aero_option *o = &options[i];
    if (o->name == NULL)
      return aeh_error_set(err, AERO_E_INVALID, "option %zu has no name", i);
    if (!is_identifier(o->name))
      return aeh_error_set(err, AERO_E_INVALID,
                           "option name '%s' is not a C identifier "
                           "(expected [A-Za-z_][A-Za-z0-9_]*, at most %d)",
                           aeh_quote(o->name, q, sizeof q), NAME_MAX_LEN);
    if (strcmp(o->name, "help") == 0)
      return aeh_error_set(err, AERO_E_INVALID,
                           "option name 'help' is reserved for --help");
    if (o->type < AERO_OPT_BOOL || o->type > AERO_OPT_CHOICE)
      return aeh_error_set(err, AERO_E_INVALID,
                           "option '%s' has unknown type %" PRIu32
                           " (expected 1..5: BOOL, INT, DOUBLE, STRING, "
                           "CHOICE)",
                           o->name, o->type);
    if (o->short_name != '\0') {
      if (!isalnum((unsigned char)o->short_name))
        return aeh_error_set(err, AERO_E_INVALID,
                             "option '%s' has short letter 0x%02x (expected "
                             "an ASCII letter or digit)",
                             o->name, (unsigned)(unsigned char)o->short_name);
      if (o->short_name == 'h')
        return aeh_error_set(err, AERO_E_INVALID,
                             "option '%s' uses short letter 'h', which is "
                             "reserved for -h (help)",
                             o->name);
    }
    if (o->type == AERO_OPT_DOUBLE && !isfinite(o->def.d))
      return aeh_error_set(err, AERO_E_INVALID,
                           "option '%s' has a default that is not a finite "
                           "number",
                           o->name);
    if (o->type == AERO_OPT_CHOICE) {
      if (o->choices == NULL || o->choices[0] == NULL)
        return aeh_error_set(err, AERO_E_INVALID,
                             "CHOICE option '%s' has no choices", o->name);
      bool default_found = o->def.s == NULL;
      for (size_t c = 0; o->choices[c] != NULL; c++) {
        if (o->choices[c][0] == '\0')
          return aeh_error_set(err, AERO_E_INVALID,
                               "CHOICE option '%s' has an empty choice",
                               o->name);
        if (o->def.s != NULL && strcmp(o->def.s, o->choices[c]) == 0)
          default_found = true;
      }
      if (!default_found)
        return aeh_error_set(err, AERO_E_INVALID,
                             "CHOICE option '%s' has default '%s', which is "
                             "not one of its choices",
                             o->name, aeh_quote(o->def.s, q, sizeof q));
    }
    for (size_t j = 0; j < i; j++) {
      const aero_option *p = &options[j];
      if (strcmp(p->name, o->name) == 0)
        return aeh_error_set(err, AERO_E_INVALID, "two options are named '%s'",
                             o->name);
      if (o->short_name != '\0' && p->short_name == o->short_name)
        return aeh_error_set(err, AERO_E_INVALID,
                             "options '%s' and '%s' share the short letter "
                             "'%c'",
                             p->name, o->name, o->short_name);
      /* --no-x would be ambiguous between "no_x" and the boolean "x". */
      const aero_option *pair[2][2] = {{p, o}, {o, p}};
      for (int k = 0; k < 2; k++) {
        const aero_option *neg = pair[k][0], *flag = pair[k][1];
        if (flag->type == AERO_OPT_BOOL && starts_with_no(neg->name) &&
            strcmp(neg->name + 3, flag->name) == 0)
          return aeh_error_set(err, AERO_E_INVALID,
                               "option '%s' clashes with --no-%s of the "
                               "boolean option '%s'",
                               neg->name, flag->name, flag->name);
      }
    }
  }
  return AERO_OK;
}

void aeh_options_free_table(aero_option *options, size_t count) {
  if (options == NULL)
    return;
  for (size_t i = 0; i < count; i++) {
    aero_option *o = &options[i];
    free((char *)o->name);
    free((char *)o->help);
    if (o->type == AERO_OPT_STRING || o->type == AERO_OPT_CHOICE)
      free((char *)o->def.s);
    if (o->choices != NULL) {
      for (size_t c = 0; o->choices[c] != NULL; c++)
        free((char *)o->choices[c]);
      free((void *)o->choices);
    }
  }
  free(options);
}

aero_status aeh_options_copy_table(const aero_option *options, size_t count,
                                   aero_option **out, aero_error *err) {
  aero_option *copy = calloc(count ? count : 1, sizeof *copy);
  if (copy == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  bool failed = false;
  for (size_t i = 0; i < count && !failed; i++) {
    const aero_option *o = &options[i];
    aero_option *c = &copy[i];
    c->type = o->type;
    c->short_name = o->short_name;
    c->name = aeu_strdup_or_null(o->name, &failed);
    c->help = aeu_strdup_or_null(o->help ? o->help : "", &failed);
    c->def = o->def;
    if (o->type == AERO_OPT_STRING || o->type == AERO_OPT_CHOICE)
      c->def.s = aeu_strdup_or_null(o->def.s, &failed);
    if (o->type == AERO_OPT_CHOICE && o->choices != NULL) {
      size_t n = 0;
      while (o->choices[n] != NULL)
        n++;
      const char **choices = calloc(n + 1, sizeof *choices);
      if (choices == NULL) {
        failed = true;
        break;
      }
      c->choices = choices;
      for (size_t k = 0; k < n && !failed; k++)
        choices[k] = aeu_strdup_or_null(o->choices[k], &failed);
      /* A CHOICE's default is its first choice unless it names another. */
      if (c->def.s == NULL && !failed)
        c->def.s = aeu_strdup_or_null(o->choices[0], &failed);
    }
  }
  if (failed) {
    aeh_options_free_table(copy, count);
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  }
  *out = copy;
  return AERO_OK;
}

void aeh_options_free(aeh_option_values *values) {
  if (values->owned != NULL) {
    for (size_t i = 0; i < values->count; i++)
      free(values->owned[i]);
  }
  free(values->owned);
  free(values->values);
  free(values->source);
  *values = (aeh_option_values){0};
}

aero_status aeh_options_init(const aero_option *options, size_t count,
                             aeh_option_values *out, aero_error *err) {
  size_t n = count ? count : 1;
  aeh_option_values v = {
      .options = options,
      .count = count,
      .values = calloc(n, sizeof *v.values),
      .owned = calloc(n, sizeof *v.owned),
      .source = calloc(n, sizeof *v.source),
  };
  if (v.values == NULL || v.owned == NULL || v.source == NULL) {
    aeh_options_free(&v);
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  }
  for (size_t i = 0; i < count; i++) {
    v.values[i] = options[i].def;
    if (options[i].type == AERO_OPT_CHOICE && v.values[i].s == NULL &&
        options[i].choices != NULL)
      v.values[i].s = options[i].choices[0];
  }
  *out = v;
  return AERO_OK;
}

/* Lists the choices of `o` as "a, b, c" into buf. */
static void list_choices(const aero_option *o, char *buf, size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t c = 0; o->choices != NULL && o->choices[c] != NULL; c++) {
    int n =
        snprintf(buf + used, size - used, "%s%s", c ? ", " : "", o->choices[c]);
    if (n < 0 || (size_t)n >= size - used)
      break;
    used += (size_t)n;
  }
}

/* Parses `text` as a value of option `o` and stores it in slot `i`.
 * `label` names where the value came from ("--epochs", "aeromancy.ini:3:
 * [flags] epochs"). */
static aero_status set_value(aeh_option_values *v, size_t i, const char *text,
                             const char *label, aeh_option_source source,
                             aero_status code, aero_error *err) {
  const aero_option *o = &v->options[i];
  char q[AEH_QUOTE_MAX + 8];
  aero_scalar value = {0};
  char *owned = NULL;
  switch (o->type) {
  case AERO_OPT_BOOL: {
    int b;
    if (aeh_config_parse_bool(text, &b) != 0)
      return aeh_error_set(err, code,
                           "%s: '%s' is not a boolean (use true or false, "
                           "yes or no, on or off, 1 or 0)",
                           label, aeh_quote(text, q, sizeof q));
    value.b = b != 0;
    break;
  }
  case AERO_OPT_INT: {
    char *end = NULL;
    errno = 0;
    long long parsed = strtoll(text, &end, 10);
    if (text[0] == '\0' || isspace((unsigned char)text[0]) || *end != '\0')
      return aeh_error_set(err, code, "%s: '%s' is not an integer", label,
                           aeh_quote(text, q, sizeof q));
    if (errno == ERANGE)
      return aeh_error_set(
          err, code, "%s: '%s' is out of range (%" PRId64 " to %" PRId64 ")",
          label, aeh_quote(text, q, sizeof q), INT64_MIN, INT64_MAX);
    value.i = (int64_t)parsed;
    break;
  }
  case AERO_OPT_DOUBLE: {
    char *end = NULL;
    errno = 0;
    double parsed = strtod(text, &end);
    if (text[0] == '\0' || isspace((unsigned char)text[0]) || *end != '\0')
      return aeh_error_set(err, code, "%s: '%s' is not a number", label,
                           aeh_quote(text, q, sizeof q));
    if (!isfinite(parsed))
      return aeh_error_set(err, code, "%s: '%s' is not a finite number", label,
                           aeh_quote(text, q, sizeof q));
    /* strtod's ERANGE on a finite result is underflow: the value came back
     * as 0 or lost its precision, which is no more the user's number than
     * infinity is. */
    if (errno == ERANGE)
      return aeh_error_set(err, code,
                           "%s: '%s' is too close to 0 for a double (its "
                           "smallest magnitude is %.17g)",
                           label, aeh_quote(text, q, sizeof q), DBL_MIN);
    value.d = parsed;
    break;
  }
  case AERO_OPT_CHOICE: {
    const char *match = NULL;
    size_t n = 0;
    for (; o->choices[n] != NULL; n++) {
      if (strcmp(o->choices[n], text) == 0)
        match = o->choices[n];
    }
    if (match == NULL) {
      char choices[512];
      list_choices(o, choices, sizeof choices);
      const char *near = aeh_suggest(text, o->choices, n);
      return aeh_error_set(err, code, "%s: '%s' is not one of: %s%s%s%s", label,
                           aeh_quote(text, q, sizeof q), choices,
                           near ? " (did you mean " : "", near ? near : "",
                           near ? "?)" : "");
    }
    value.s = match; /* borrowed from the table, which outlives us */
    break;
  }
  case AERO_OPT_STRING:
    owned = strdup(text);
    if (owned == NULL)
      return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
    value.s = owned;
    break;
  default:
    return aeh_error_set(err, AERO_E_INVALID, "%s: option has unknown type",
                         label);
  }
  free(v->owned[i]);
  v->owned[i] = owned;
  v->values[i] = value;
  v->source[i] = source;
  return AERO_OK;
}

/* The option named `name` (its first `len` characters), '_' and '-'
 * alike; or -1. */
static long find_long(const aeh_option_values *v, const char *name,
                      size_t len) {
  for (size_t i = 0; i < v->count; i++) {
    if (name_matches(name, len, v->options[i].name))
      return (long)i;
  }
  return -1;
}

static long find_short(const aeh_option_values *v, char letter) {
  for (size_t i = 0; i < v->count; i++) {
    if (v->options[i].short_name != '\0' && v->options[i].short_name == letter)
      return (long)i;
  }
  return -1;
}

/* Fills `names` with every spelling a long flag can take ("learning-rate",
 * "no-shuffle") into `storage`; returns how many. */
static size_t flag_spellings(const aeh_option_values *v, char (*storage)[80],
                             const char **names, size_t cap) {
  size_t n = 0;
  for (size_t i = 0; i < v->count && n < cap; i++) {
    dashed(v->options[i].name, storage[n], 80);
    names[n] = storage[n];
    n++;
    if (v->options[i].type == AERO_OPT_BOOL && n < cap) {
      char d[76];
      dashed(v->options[i].name, d, sizeof d);
      snprintf(storage[n], 80, "no-%s", d);
      names[n] = storage[n];
      n++;
    }
  }
  return n;
}

/* "unknown flag --x (did you mean --y?)". */
static aero_status unknown_flag(const aeh_option_values *v, const char *typed,
                                aero_error *err) {
  char q[AEH_QUOTE_MAX + 8];
  size_t cap = 2 * v->count;
  char(*storage)[80] = calloc(cap ? cap : 1, sizeof *storage);
  const char **names = calloc(cap ? cap : 1, sizeof *names);
  const char *near = NULL;
  if (storage != NULL && names != NULL) {
    char d[80];
    dashed(typed, d, sizeof d);
    near = aeh_suggest(d, names, flag_spellings(v, storage, names, cap));
  }
  char hint[128] = "";
  if (near != NULL)
    snprintf(hint, sizeof hint, " (did you mean --%s?)", near);
  aeh_error_set(err, AERO_E_INVALID, "unknown flag --%s%s",
                aeh_quote(typed, q, sizeof q), hint);
  free(names);
  free(storage);
  return AERO_E_INVALID;
}

/* True when `arg` reads as a flag rather than as a value: "--x" (values
 * such as "-3" or "-" are taken). */
static bool looks_like_flag(const char *arg) {
  return arg[0] == '-' && arg[1] == '-';
}

static aero_status missing_value(const aero_option *o, const char *label,
                                 aero_error *err) {
  char choices[512] = "";
  if (o->type == AERO_OPT_CHOICE)
    list_choices(o, choices, sizeof choices);
  /* e.g. "--loss needs a value (CHOICE: mse, mae)" */
  return aeh_error_set(err, AERO_E_INVALID, "%s needs a value (%s%s%s)", label,
                       aeh_option_type_name(o->type),
                       o->type == AERO_OPT_CHOICE ? ": " : "", choices);
}

/* Parses one "--name[=value]" at argv[*i], consuming a separate value. */
static aero_status parse_long(aeh_option_values *v, int argc, char *const *argv,
                              int *i, aero_error *err) {
  const char *arg = argv[*i];
  const char *name = arg + 2;
  const char *eq = strchr(name, '=');
  size_t len = eq ? (size_t)(eq - name) : strlen(name);
  const char *inline_value = eq ? eq + 1 : NULL;
  char label[104], typed[96];
  snprintf(typed, sizeof typed, "%.*s", (int)(len < 90 ? len : 90), name);
  if (len == 0) {
    char q[AEH_QUOTE_MAX + 8];
    return aeh_error_set(err, AERO_E_INVALID,
                         "unexpected argument '%s' among project flags",
                         aeh_quote(arg, q, sizeof q));
  }
  long idx = find_long(v, name, len);
  bool negated = false;
  if (idx < 0 && len > 3 && starts_with_no(name)) {
    idx = find_long(v, name + 3, len - 3);
    if (idx >= 0 && v->options[idx].type != AERO_OPT_BOOL) {
      char d[80];
      dashed(v->options[idx].name, d, sizeof d);
      return aeh_error_set(err, AERO_E_INVALID,
                           "--%s: --%s is not a boolean flag (it takes a "
                           "value of type %s)",
                           typed, d,
                           aeh_option_type_name(v->options[idx].type));
    }
    negated = idx >= 0;
  }
  if (idx < 0)
    return unknown_flag(v, typed, err);
  const aero_option *o = &v->options[idx];
  snprintf(label, sizeof label, "--%s", typed);
  if (o->type == AERO_OPT_BOOL) {
    if (negated) {
      if (inline_value != NULL)
        return aeh_error_set(err, AERO_E_INVALID, "%s takes no value", label);
      return set_value(v, (size_t)idx, "false", label, AEH_FROM_CLI,
                       AERO_E_INVALID, err);
    }
    return set_value(v, (size_t)idx, inline_value ? inline_value : "true",
                     label, AEH_FROM_CLI, AERO_E_INVALID, err);
  }
  if (inline_value == NULL) {
    if (*i + 1 >= argc || looks_like_flag(argv[*i + 1]))
      return missing_value(o, label, err);
    inline_value = argv[++*i];
  }
  return set_value(v, (size_t)idx, inline_value, label, AEH_FROM_CLI,
                   AERO_E_INVALID, err);
}

/* Parses one "-x", "-x value", "-xVALUE" or "-x=VALUE" at argv[*i]. */
static aero_status parse_short(aeh_option_values *v, int argc,
                               char *const *argv, int *i, aero_error *err) {
  const char *arg = argv[*i];
  char label[8];
  char q[AEH_QUOTE_MAX + 8];
  long idx = find_short(v, arg[1]);
  if (idx < 0) {
    if (isprint((unsigned char)arg[1]) && arg[2] == '\0')
      return aeh_error_set(err, AERO_E_INVALID, "unknown flag -%c", arg[1]);
    return aeh_error_set(err, AERO_E_INVALID, "unknown flag %s",
                         aeh_quote(arg, q, sizeof q));
  }
  const aero_option *o = &v->options[idx];
  snprintf(label, sizeof label, "-%c", arg[1]);
  const char *value = arg + 2;
  if (*value == '=')
    value++;
  else if (*value == '\0')
    value = NULL;
  if (o->type == AERO_OPT_BOOL)
    return set_value(v, (size_t)idx, value ? value : "true", label,
                     AEH_FROM_CLI, AERO_E_INVALID, err);
  if (value == NULL) {
    if (*i + 1 >= argc || looks_like_flag(argv[*i + 1]))
      return missing_value(o, label, err);
    value = argv[++*i];
  }
  return set_value(v, (size_t)idx, value, label, AEH_FROM_CLI, AERO_E_INVALID,
                   err);
}

aero_status aeh_options_parse(aeh_option_values *v, int argc, char *const *argv,
                              bool *help, aero_error *err) {
  char q[AEH_QUOTE_MAX + 8];
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    aero_status rc;
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
      *help = true;
      continue;
    }
    if (arg[0] == '-' && arg[1] == '-')
      rc = parse_long(v, argc, argv, &i, err);
    else if (arg[0] == '-' && arg[1] != '\0')
      rc = parse_short(v, argc, argv, &i, err);
    else
      rc = aeh_error_set(err, AERO_E_INVALID,
                         "unexpected argument '%s' among project flags "
                         "(they read --name value)",
                         aeh_quote(arg, q, sizeof q));
    if (rc != AERO_OK)
      return rc;
  }
  return AERO_OK;
}

/* "PATH:LINE: [flags] unknown key 'x' (did you mean y?)": keys are option
 * names, so the suggestion is one too. */
static aero_status unknown_key(const aeh_option_values *v,
                               const aeh_config *cfg,
                               const aeh_config_entry *entry, aero_error *err) {
  char q[AEH_QUOTE_MAX + 8], key[80];
  size_t n = 0;
  for (; entry->key[n] != '\0' && n + 1 < sizeof key; n++)
    key[n] = entry->key[n] == '-' ? '_' : entry->key[n];
  key[n] = '\0';
  const char **names = calloc(v->count ? v->count : 1, sizeof *names);
  const char *near = NULL;
  if (names != NULL) {
    for (size_t i = 0; i < v->count; i++)
      names[i] = v->options[i].name;
    near = aeh_suggest(key, names, v->count);
  }
  aeh_error_set(err, AERO_E_CONFIG, "%s:%d: [%s] unknown key '%s' (%s%s%s)",
                cfg->path ? cfg->path : "aeromancy.ini", entry->line,
                AEH_FLAGS_SECTION, aeh_quote(entry->key, q, sizeof q),
                near ? "did you mean " : "not an option of this project",
                near ? near : "", near ? "?" : "");
  free(names);
  return AERO_E_CONFIG;
}

/* "[flags] learning-rate sets learning_rate again (first on line N)". */
static aero_status twice(const aeh_option_values *v, const aeh_config *cfg,
                         size_t at, size_t idx, aero_error *err) {
  const aeh_config_entry *entry = &cfg->entries[at];
  int first = 0;
  for (size_t e = 0; e < at && first == 0; e++) {
    const aeh_config_entry *earlier = &cfg->entries[e];
    if (strcmp(earlier->section, AEH_FLAGS_SECTION) == 0 &&
        find_long(v, earlier->key, strlen(earlier->key)) == (long)idx)
      first = earlier->line;
  }
  char q[AEH_QUOTE_MAX + 8];
  return aeh_error_set(err, AERO_E_CONFIG,
                       "%s:%d: [%s] '%s' sets %s again (first set on line %d)",
                       cfg->path ? cfg->path : "aeromancy.ini", entry->line,
                       AEH_FLAGS_SECTION, aeh_quote(entry->key, q, sizeof q),
                       v->options[idx].name, first);
}

aero_status aeh_options_apply_config(aeh_option_values *v,
                                     const aeh_config *cfg, aero_error *err) {
  char label[1200];
  for (size_t e = 0; e < cfg->count; e++) {
    const aeh_config_entry *entry = &cfg->entries[e];
    if (strcmp(entry->section, AEH_FLAGS_SECTION) != 0)
      continue;
    snprintf(label, sizeof label, "%s:%d: [%s] %s",
             cfg->path ? cfg->path : "aeromancy.ini", entry->line,
             AEH_FLAGS_SECTION, entry->key);
    long idx = find_long(v, entry->key, strlen(entry->key));
    if (idx < 0)
      return unknown_key(v, cfg, entry, err);
    /* learning_rate and learning-rate are one option: config.c sees two
     * keys, so the second setting is caught here. */
    if (v->source[idx] == AEH_FROM_CONFIG)
      return twice(v, cfg, e, (size_t)idx, err);
    aero_status rc = set_value(v, (size_t)idx, entry->value, label,
                               AEH_FROM_CONFIG, AERO_E_CONFIG, err);
    if (rc != AERO_OK)
      return rc;
  }
  return AERO_OK;
}

void aeh_options_format(uint32_t type, aero_scalar value, char *buf,
                        size_t size) {
  switch (type) {
  case AERO_OPT_BOOL:
    snprintf(buf, size, "%s", value.b ? "true" : "false");
    break;
  case AERO_OPT_INT:
    snprintf(buf, size, "%" PRId64, value.i);
    break;
  case AERO_OPT_DOUBLE:
    /* Shortest text that reads back as the same double. */
    for (int precision = 1; precision <= 17; precision++) {
      snprintf(buf, size, "%.*g", precision, value.d);
      if (strtod(buf, NULL) == value.d)
        break;
    }
    break;
  case AERO_OPT_STRING:
  case AERO_OPT_CHOICE:
    snprintf(buf, size, "%s", value.s ? value.s : "(none)");
    break;
  default:
    snprintf(buf, size, "?");
  }
}
