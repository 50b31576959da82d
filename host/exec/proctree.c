#include "proctree.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

void aeh_proctree_adopt_orphans(void) {
  (void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

static bool kept(pid_t pid, const pid_t *keep, size_t keep_count) {
  for (size_t i = 0; i < keep_count; i++)
    if (keep[i] == pid)
      return true;
  return false;
}

/* Kills the children listed in one task's `children` file. */
static int kill_listed(const char *path, const pid_t *keep, size_t keep_count) {
  FILE *f = fopen(path, "re");
  if (f == NULL)
    return -1;
  int killed = 0;
  long pid;
  while (fscanf(f, "%ld", &pid) == 1) {
    if (pid > 0 && !kept((pid_t)pid, keep, keep_count) &&
        kill((pid_t)pid, SIGKILL) == 0)
      killed++;
  }
  fclose(f);
  return killed;
}

int aeh_proctree_kill_children(pid_t parent, const pid_t *keep,
                               size_t keep_count) {
  char dir_path[64];
  snprintf(dir_path, sizeof dir_path, "/proc/%ld/task", (long)parent);
  DIR *dir = opendir(dir_path);
  if (dir == NULL)
    return -1;
  int killed = 0;
  bool listed = false;
  struct dirent *e;
  while ((e = readdir(dir)) != NULL) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9')
      continue;
    char path[sizeof dir_path + 256 + 16];
    snprintf(path, sizeof path, "%s/%s/children", dir_path, e->d_name);
    int k = kill_listed(path, keep, keep_count);
    if (k >= 0) {
      listed = true;
      killed += k;
    }
  }
  closedir(dir);
  return listed ? killed : -1;
}

void aeh_proctree_end_descendants(void) {
  for (;;) {
    pid_t r = waitpid(-1, NULL, WNOHANG);
    if (r > 0 || (r < 0 && errno == EINTR))
      continue;
    if (r < 0)
      return; /* no child left: the common case, one system call */
    /* Some still run. Each one killed hands its own children to this
     * process (a subreaper), so this goes on until none is left. */
    if (aeh_proctree_kill_children(getpid(), NULL, 0) < 0)
      return;
    while (waitpid(-1, NULL, 0) < 0 && errno == EINTR) {
    }
  }
}
