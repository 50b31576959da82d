/* The floor under one isolated action: fork a child that exits at once and
 * wait for it, N times, from a process that has the same libraries mapped
 * as aerohost while it runs actions (SQLite, through tracker-local; libffi;
 * inih; its SHA-256 is linked in). Prints the median cost of
 * one fork + exit + wait in milliseconds over 5 rounds.
 * Usage: forkwait N */
#define _POSIX_C_SOURCE 200809L

#include <ffi.h>
#include <ini.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 200;
  if (n < 1)
    return 2;
  /* Touch each library so that it is loaded and initialised, as in
   * aerohost. */
  sqlite3 *db;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK)
    return 2;
  ffi_cif cif;
  ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 0, &ffi_type_void, NULL);
  (void)ini_parse_string("", NULL, NULL);

  double rounds[5];
  for (int r = 0; r < 5; r++) {
    double start = now();
    for (int i = 0; i < n; i++) {
      pid_t pid = fork();
      if (pid < 0)
        return 2;
      if (pid == 0)
        _exit(0);
      int status;
      if (waitpid(pid, &status, 0) != pid)
        return 2;
    }
    rounds[r] = (now() - start) / n;
  }
  qsort(rounds, 5, sizeof rounds[0], cmp);
  printf("%.4f\n", rounds[2] * 1000);
  sqlite3_close(db);
  return 0;
}
