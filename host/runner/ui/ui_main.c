/* aeromancy-ui (in libexecdir): the program behind `aeromancy ui`. The runner parses the
 * command line (cmd_ui.c: options, help, usage errors) and execs this
 * program with the parsed values, so that libmicrohttpd and GnuTLS are
 * mapped by the web app only, never by the runner's other commands
 * (docs/performance.md). Not meant to be run by hand: its arguments are
 * the runner's private protocol, STORE HOST PORT, "" for a default. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aeu.h"
#include "ui.h"

int main(int argc, char **argv) {
  aeu_guard_std_fds();
  char *end = NULL;
  unsigned long port = argc == 4 ? strtoul(argv[3], &end, 10) : 0;
  if (argc != 4 || end == argv[3] || *end != '\0' || port > 65535) {
    fputs("aeromancy-ui: started by `aeromancy ui`, not by hand (see "
          "aeromancy ui --help)\n",
          stderr);
    return 3;
  }
  aeh_ui_options o = {argv[1][0] ? argv[1] : NULL, argv[2][0] ? argv[2] : NULL,
                      (unsigned)port};
  return aeh_ui_serve(&o);
}
