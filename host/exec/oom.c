#include "oom.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The file `name` of this process's memory cgroup into `path`: under
 * cgroup v2 (`0::PATH`) in /sys/fs/cgroup/PATH, under v1 (`N:memory:PATH`)
 * in /sys/fs/cgroup/memory/PATH. Inside a container the cgroup is mounted
 * at the root of the hierarchy while /proc/self/cgroup still names the
 * host's path: when PATH has no such file, the mount's root is the
 * process's own cgroup. */
static FILE *open_cgroup_file(const char *v2_name, const char *v1_name) {
  FILE *f = fopen("/proc/self/cgroup", "r");
  if (f == NULL)
    return NULL;
  char line[4096], path[4200];
  FILE *found = NULL;
  while (found == NULL && fgets(line, sizeof line, f) != NULL) {
    line[strcspn(line, "\n")] = '\0';
    const char *rel = NULL, *base = NULL, *name = NULL;
    if (strncmp(line, "0::", 3) == 0) {
      rel = line + 3, base = "/sys/fs/cgroup", name = v2_name;
    } else {
      char *ctl = strchr(line, ':'), *end = ctl ? strchr(ctl + 1, ':') : NULL;
      if (end == NULL)
        continue;
      *end = '\0';
      char *save = NULL;
      for (char *c = strtok_r(ctl + 1, ",", &save); c != NULL;
           c = strtok_r(NULL, ",", &save))
        if (strcmp(c, "memory") == 0)
          rel = end + 1, base = "/sys/fs/cgroup/memory", name = v1_name;
    }
    if (rel == NULL)
      continue;
    snprintf(path, sizeof path, "%s%s/%s", base, rel, name);
    found = fopen(path, "r");
    if (found == NULL) {
      snprintf(path, sizeof path, "%s/%s", base, name);
      found = fopen(path, "r");
    }
  }
  fclose(f);
  return found;
}

uint64_t aeh_oom_kills(void) {
  FILE *f = open_cgroup_file("memory.events", "memory.oom_control");
  if (f == NULL)
    return 0;
  char line[256];
  uint64_t n = 0;
  while (fgets(line, sizeof line, f) != NULL)
    if (sscanf(line, "oom_kill %" SCNu64, &n) == 1)
      break;
  fclose(f);
  return n;
}

uint64_t aeh_oom_limit(void) {
  FILE *f = open_cgroup_file("memory.max", "memory.limit_in_bytes");
  if (f == NULL)
    return 0;
  uint64_t n = 0;
  if (fscanf(f, "%" SCNu64, &n) != 1)
    n = 0; /* "max" */
  fclose(f);
  /* cgroup v1 says "no limit" as the largest multiple of the page size. */
  return n >= (UINT64_C(1) << 62) ? 0 : n;
}

void aeh_oom_message(char *msg, size_t size) {
  uint64_t limit = aeh_oom_limit();
  if (limit > 0)
    snprintf(msg, size,
             "out of memory: the kernel killed it at its memory limit (%" PRIu64
             " MiB)",
             limit >> 20);
  else
    snprintf(msg, size, "out of memory: the kernel's OOM killer killed it");
}
