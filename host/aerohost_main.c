/* aerohost: loads a project plugin and builds, lists, draws or runs its
 * action graph. The command line is read by cli.c; the command it names
 * runs in cli_run.c (run, list, graph) or cli_describe.c (describe). */
#include "aeu.h"
#include "cli.h"
#include "console.h"

int main(int argc, char **argv) {
  aeu_guard_std_fds();
  aeh_console_init();
  aeh_cli_args args;
  int code;
  if (aeh_cli_parse(argc, argv, &args, &code))
    code = args.command == AEH_CMD_DESCRIBE ? aeh_cli_describe(&args)
                                            : aeh_cli_run(&args, argc, argv);
  aeh_cli_args_free(&args);
  return code;
}
