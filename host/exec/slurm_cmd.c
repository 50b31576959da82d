#include "slurm_cmd.h"

#include <stdio.h>

bool aeh_slurm_run(char *const argv[], char *const envp[], aeh_spawn_out *out,
                   char *why, size_t size) {
  aero_error err = AEH_ERROR_INIT;
  *out = (aeh_spawn_out){0};
  why[0] = '\0';
  if (aeh_spawn_capture(argv, envp, out, &err) != AERO_OK) {
    snprintf(why, size, "%s", err.message);
    *out = (aeh_spawn_out){0};
    return false;
  }
  if (out->code == 0)
    return true;
  aeh_spawn_first_line(out->err[0] != '\0' ? out->err : out->out, why, size);
  if (why[0] == '\0')
    snprintf(why, size, "%s exited with code %d", argv[0], out->code);
  return false;
}
