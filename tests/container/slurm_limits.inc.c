/* test_go_slurm.sh puts this into `aeromancy new`'s aeromain.c, after its
 * includes, and calls it first in prepare: the action reports, as metrics,
 * what its container was given (cgroup v1 or v2), or with --verbose takes
 * 512 MiB. GPU0 and GPU1 are defined by the test:
 * the test cluster's GPU device files. */
#include <sys/stat.h>

/* The first number of `path`, -1 when it has none ("max"). */
static double probe_number(const char *path, double *second) {
  double v = -1;
  FILE *f = fopen(path, "r");
  if (f != NULL) {
    char word[64] = "";
    if (fscanf(f, "%63s", word) == 1 && sscanf(word, "%lf", &v) != 1)
      v = -1;
    if (second != NULL && fscanf(f, "%lf", second) != 1)
      *second = -1;
    fclose(f);
  }
  return v;
}

static double probe_device(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISCHR(st.st_mode);
}

static aero_status probe(aero_tracker *t, bool eat, aero_error *err) {
  if (eat) {
    /* 512 MiB at most: without a limit this must not starve the machine. */
    for (int i = 0; i < 32; i++) {
      char *p = malloc(16 << 20);
      if (p == NULL)
        break;
      memset(p, i + 1, 16 << 20);
    }
    return aero_fail(err, AERO_E_ACTION, "took 512 MiB: no memory limit");
  }
  double period = -1, quota = -1;
  double memory = probe_number("/sys/fs/cgroup/memory.max", NULL);
  if (memory < 0)
    memory = probe_number("/sys/fs/cgroup/memory/memory.limit_in_bytes", NULL);
  quota = probe_number("/sys/fs/cgroup/cpu.max", &period);
  if (period < 0) {
    quota = probe_number("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", NULL);
    period = probe_number("/sys/fs/cgroup/cpu/cpu.cfs_period_us", NULL);
  }
  aero_metric m[] = {
      {"memory_mib", memory >= 0 ? memory / 1048576 : -1},
      {"cpus", quota > 0 && period > 0 ? quota / period : -1},
      {"gpu0", probe_device(GPU0)},
      {"gpu1", probe_device(GPU1)},
  };
  return aero_log_metrics(t, m, sizeof m / sizeof *m, AERO_NO_STEP, err);
}
