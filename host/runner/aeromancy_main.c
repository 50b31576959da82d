/* aeromancy: the runner. Finds the command in the command table
 * (command.c) and runs it. */
#include <stdio.h>
#include <string.h>

#include <aeromancy/abi.h>

#include "aeu.h"
#include "command.h"
#include "go.h"

/* The exit code of --help and --version: 2 when stdout took not all. */
static int written(void) {
  if (fflush(stdout) == 0 && !ferror(stdout))
    return AEH_EXIT_OK;
  fprintf(stderr, "aeromancy: cannot write to standard output\n");
  return AEH_EXIT_INFRA;
}

int main(int argc, char **argv) {
  aeu_guard_std_fds();
  if (argc < 2)
    return aeh_command_usage_error(NULL, "no command given (aeromancy "
                                         "COMMAND [options])");
  const char *word = argv[1];
  if (strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0) {
    aeh_commands_print_help(stdout);
    return written();
  }
  if (strcmp(word, "--version") == 0) {
    printf("aeromancy %s (plugin ABI %d.%d, SDK %s)\n", AERO_HOST_VERSION,
           AERO_ABI_MAJOR, AERO_ABI_MINOR, AERO_SDK_VERSION);
    return written();
  }
  const aeh_command *cmd = aeh_command_find(word);
  if (cmd == NULL) {
    char names[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < aeh_command_count && used < sizeof names; i++)
      used += (size_t)snprintf(names + used, sizeof names - used, "%s%s",
                               i ? ", " : "", aeh_commands[i]->name);
    return aeh_command_usage_error(NULL, "unknown command '%s' (commands: %s)",
                                   word, names);
  }
  return aeh_command_finish(cmd, cmd->run(cmd, argc - 1, argv + 1));
}
