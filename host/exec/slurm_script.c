#include "slurm_script.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Appends `arg` single-quoted for sh. */
static void put_quoted(FILE *f, const char *arg) {
  fputc('\'', f);
  for (; *arg; arg++)
    if (*arg == '\'')
      fputs("'\\''", f);
    else
      fputc(*arg, f);
  fputc('\'', f);
}

bool aeh_slurm_script_write(const char *dir, size_t position,
                            char *const *command, int argc, char *const *argv,
                            char *path, size_t size, char *why,
                            size_t why_size) {
  char exe[PATH_MAX];
  int first = 1;
  if (command != NULL) {
    /* The command replaces `aerohost run PLUGIN`: on any other command
     * line the options kept after it would not be the run's. */
    if (argc < 3 || strcmp(argv[1], "run") != 0) {
      snprintf(why, why_size,
               "the jobs' command ($AEROMANCY_SLURM_JOB_COMMAND) stands for "
               "'aerohost run PLUGIN', but this aerohost was started as "
               "'%.200s%s%.200s', not 'run PLUGIN ...'",
               argc > 0 ? argv[0] : "aerohost", argc > 1 ? " " : "",
               argc > 1 ? argv[1] : "");
      return false;
    }
    first = 3;
  } else {
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) {
      snprintf(why, why_size,
               "cannot find this aerohost's executable (/proc/self/exe): %s",
               strerror(errno));
      return false;
    }
    exe[len] = '\0';
  }
  int w = snprintf(path, size, "%s/action-%zu.sh", dir, position);
  if (w < 0 || (size_t)w >= size) {
    snprintf(why, why_size, "the job script's path under %.300s is too long",
             dir);
    return false;
  }
  FILE *f = fopen(path, "w");
  if (f == NULL) {
    snprintf(why, why_size, "cannot write its job script %.300s: %s", path,
             strerror(errno));
    return false;
  }
  fputs("#!/bin/sh\nexec", f);
  for (size_t i = 0; command != NULL && command[i] != NULL; i++) {
    fputc(' ', f);
    put_quoted(f, command[i]);
  }
  if (command == NULL) {
    fputc(' ', f);
    put_quoted(f, exe);
  }
  for (int i = first; i < argc; i++) {
    fputc(' ', f);
    put_quoted(f, argv[i]);
  }
  fputc('\n', f);
  bool written = !ferror(f);
  if (fclose(f) != 0)
    written = false;
  if (!written) {
    snprintf(why, why_size, "cannot write its job script %.300s: %s", path,
             strerror(errno != 0 ? errno : EIO));
    unlink(path);
  }
  return written;
}
