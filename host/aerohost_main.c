/* aerohost: loads a project plugin and builds, lists, draws or runs its
 * action graph. Everything but the console setup lives in cli.c. */
#include "cli.h"
#include "console.h"

int main(int argc, char **argv) {
  aeh_console_init();
  return aeh_cli_main(argc, argv);
}
