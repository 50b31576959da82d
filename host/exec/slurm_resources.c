#include "slurm_resources.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

#define SLURM_SECTION "slurm"

/* Reads the decimal digits at *p (at least one) and advances past them;
 * -1 when there are none or the number is absurdly large. */
static int64_t digits(const char **p) {
  int64_t n = 0;
  const char *s = *p;
  if (*s < '0' || *s > '9')
    return -1;
  for (; *s >= '0' && *s <= '9'; s++) {
    n = n * 10 + (*s - '0');
    if (n > (int64_t)1 << 40)
      return -1;
  }
  *p = s;
  return n;
}

int64_t aeh_slurm_parse_time(const char *text) {
  const char *p = text;
  int64_t first = digits(&p), total = -1;
  if (first < 0)
    return -1;
  if (*p == '\0') {
    total = first * 60; /* Slurm's plain number: minutes */
  } else if (p[1] == '\0' && strchr("smhd", *p) != NULL) {
    total = first * (*p == 's' ? 1 : *p == 'm' ? 60 : *p == 'h' ? 3600 : 86400);
  } else {
    /* [D-]H:M:S and the shorter forms: D-H, D-H:M, M:S. */
    int64_t days = 0, part[3] = {0};
    size_t n = 0;
    bool dashed = *p == '-';
    if (dashed) {
      days = first;
      p++;
      if ((part[n++] = digits(&p)) < 0)
        return -1;
    } else {
      part[n++] = first;
    }
    while (*p == ':' && n < 3) {
      p++;
      if ((part[n++] = digits(&p)) < 0)
        return -1;
    }
    if (*p != '\0' || (!dashed && n < 2))
      return -1;
    if (dashed)
      total = days * 86400 + part[0] * 3600 + part[1] * 60 + part[2];
    else if (n == 2)
      total = part[0] * 60 + part[1];
    else
      total = part[0] * 3600 + part[1] * 60 + part[2];
  }
  return total > 0 && total <= UINT32_MAX ? total : -1;
}

int64_t aeh_slurm_parse_mem(const char *text) {
  const char *p = text;
  int64_t n = digits(&p);
  if (n <= 0)
    return -1;
  if (*p == '\0')
    return n;
  if (p[1] != '\0')
    return -1;
  switch (*p) {
  case 'K':
  case 'k':
    return (n + 1023) / 1024;
  case 'M':
  case 'm':
    return n;
  case 'G':
  case 'g':
    return n * 1024;
  case 'T':
  case 't':
    return n * 1024 * 1024;
  default:
    return -1;
  }
}

/* A count of CPUs or GPUs: 1 to 100000 (0 for GPUs, "none"). */
static int64_t parse_count(const char *text, int64_t least) {
  const char *p = text;
  int64_t n = digits(&p);
  return *p == '\0' && n >= least && n <= 100000 ? n : -1;
}

static const char *const keys[] = {"cpus", "gpus",      "time",
                                   "mem",  "partition", NULL};

/* Sets `key` of `rule` from `value`; NULL, or why the value is bad. */
static const char *set_member(aeh_slurm_rule *rule, const char *key,
                              const char *value) {
  int64_t n;
  if (strcmp(key, "cpus") == 0) {
    if ((n = parse_count(value, 1)) < 0)
      return "not a number of CPUs (1 or more)";
    rule->res.cpus = (uint32_t)n;
    rule->set |= AEH_SLURM_CPUS;
  } else if (strcmp(key, "gpus") == 0) {
    if ((n = parse_count(value, 0)) < 0)
      return "not a number of GPUs";
    rule->res.gpus = (uint32_t)n;
    rule->set |= AEH_SLURM_GPUS;
  } else if (strcmp(key, "time") == 0) {
    if ((n = aeh_slurm_parse_time(value)) < 0)
      return "not a time limit (minutes, M:S, [D-]H:M:S, or a number with "
             "s, m, h or d)";
    rule->res.time_limit_s = (uint32_t)n;
    rule->set |= AEH_SLURM_TIME;
  } else if (strcmp(key, "mem") == 0) {
    if ((n = aeh_slurm_parse_mem(value)) < 0)
      return "not a memory size (MiB, or a number with K, M, G or T)";
    rule->res.memory_mb = (uint64_t)n;
    rule->set |= AEH_SLURM_MEM;
  } else {
    char buf[64];
    if (aeh_name_problem(value, strlen(value), buf, sizeof buf) != NULL)
      return "not a partition name ([A-Za-z0-9_.-], at most 127)";
    rule->res.partition = strdup(value);
    if (rule->res.partition == NULL)
      return "too much for the memory left";
    rule->set |= AEH_SLURM_PARTITION;
  }
  return NULL;
}

static bool known_key(const char *key) {
  for (size_t i = 0; keys[i] != NULL; i++)
    if (strcmp(key, keys[i]) == 0)
      return true;
  return false;
}

aero_status aeh_slurm_settings_add(aeh_slurm_settings *s, const char *job_type,
                                   const char *key, const char *value,
                                   const char *where, aero_error *err) {
  if (!known_key(key))
    return aeh_error_set(err, AERO_E_INVALID,
                         "%s: unknown key '%s' (one of: cpus, gpus, time, "
                         "mem, partition)",
                         where, key);
  aeh_slurm_rule *grown = realloc(s->rules, (s->count + 1) * sizeof *grown);
  if (grown == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  s->rules = grown;
  aeh_slurm_rule *rule = &s->rules[s->count];
  *rule = (aeh_slurm_rule){0};
  if (job_type != NULL && (rule->job_type = strdup(job_type)) == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  s->count++;
  const char *why = set_member(rule, key, value);
  if (why != NULL)
    return aeh_error_set(err, AERO_E_INVALID, "%s: '%s' is %s", where, value,
                         why);
  return AERO_OK;
}

/* Adds the [slurm] entries with (`typed`) or without a JOB_TYPE. prefix. */
static aero_status add_entries(aeh_slurm_settings *s, const aeh_config *cfg,
                               bool typed, aero_error *err) {
  for (size_t e = 0; e < cfg->count; e++) {
    const aeh_config_entry *entry = &cfg->entries[e];
    if (strcmp(entry->section, SLURM_SECTION) != 0)
      continue;
    /* Job types may hold dots: the key is what follows the last one. */
    const char *dot = strrchr(entry->key, '.');
    if ((dot != NULL) != typed)
      continue;
    char where[4400], job[256];
    snprintf(where, sizeof where, "%s:%d: [%s] %s",
             cfg->path ? cfg->path : "aeromancy.ini", entry->line,
             SLURM_SECTION, entry->key);
    snprintf(job, sizeof job, "%.*s", dot != NULL ? (int)(dot - entry->key) : 0,
             entry->key);
    aero_status rc = aeh_slurm_settings_add(s, typed ? job : NULL,
                                            typed ? dot + 1 : entry->key,
                                            entry->value, where, err);
    if (rc != AERO_OK)
      return rc == AERO_E_INVALID ? (err->code = AERO_E_CONFIG) : rc;
  }
  return AERO_OK;
}

aero_status aeh_slurm_settings_from_config(aeh_slurm_settings *s,
                                           const aeh_config *cfg,
                                           aero_error *err) {
  aero_status rc = add_entries(s, cfg, false, err);
  return rc != AERO_OK ? rc : add_entries(s, cfg, true, err);
}

void aeh_slurm_settings_free(aeh_slurm_settings *s) {
  for (size_t i = 0; i < s->count; i++) {
    free(s->rules[i].job_type);
    free((char *)s->rules[i].res.partition);
  }
  free(s->rules);
  *s = (aeh_slurm_settings){0};
}

void aeh_slurm_resources(const aeh_slurm_settings *s, const aeh_action *a,
                         aeh_slurm_res *out) {
  *out = (aeh_slurm_res){.cpus = a->cpus,
                         .gpus = a->gpus,
                         .time_limit_s = a->time_limit_s,
                         .memory_mb = a->memory_mb,
                         .partition = a->partition};
  for (size_t i = 0; s != NULL && i < s->count; i++) {
    const aeh_slurm_rule *r = &s->rules[i];
    if (r->job_type != NULL && strcmp(r->job_type, a->job_type) != 0)
      continue;
    if (r->set & AEH_SLURM_CPUS)
      out->cpus = r->res.cpus;
    if (r->set & AEH_SLURM_GPUS)
      out->gpus = r->res.gpus;
    if (r->set & AEH_SLURM_TIME)
      out->time_limit_s = r->res.time_limit_s;
    if (r->set & AEH_SLURM_MEM)
      out->memory_mb = r->res.memory_mb;
    if (r->set & AEH_SLURM_PARTITION)
      out->partition = r->res.partition;
  }
}
