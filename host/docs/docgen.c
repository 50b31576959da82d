/* aero-docgen: writes the man pages and the bash completions' word lists
 * from the programs' own help tables, at build time (never installed).
 *
 *   aero-docgen man aerohost|aeromancy|aeromancy.ini OUT
 *   aero-docgen completion aerohost|aeromancy SCRIPT OUT
 *
 * `completion` writes the word lists, then SCRIPT (the completion logic)
 * after them. Exit 0, or 1 with one line on stderr. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "command.h"
#include "ini_doc.h"

static int copy_file(const char *path, FILE *out) {
  FILE *in = fopen(path, "r");
  if (in == NULL)
    return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0)
    fwrite(buf, 1, n, out);
  int bad = ferror(in);
  fclose(in);
  return bad ? -1 : 0;
}

int main(int argc, char **argv) {
  const char *kind = argc > 1 ? argv[1] : "";
  const char *what = argc > 2 ? argv[2] : "";
  int is_man = strcmp(kind, "man") == 0 && argc == 4;
  int is_completion = strcmp(kind, "completion") == 0 && argc == 5;
  if (!is_man && !is_completion) {
    fputs("usage: aero-docgen man aerohost|aeromancy|aeromancy.ini OUT\n"
          "       aero-docgen completion aerohost|aeromancy SCRIPT OUT\n",
          stderr);
    return 1;
  }
  const char *path = argv[argc - 1];
  FILE *out = fopen(path, "w");
  if (out == NULL) {
    perror(path);
    return 1;
  }
  int rc = 0;
  if (is_man && strcmp(what, "aerohost") == 0)
    aeh_cli_write_manual(out);
  else if (is_man && strcmp(what, "aeromancy") == 0)
    aeh_commands_write_manual(out);
  else if (is_man && strcmp(what, "aeromancy.ini") == 0)
    aeh_ini_write_manual(out);
  else if (is_completion &&
           (strcmp(what, "aerohost") == 0 || strcmp(what, "aeromancy") == 0)) {
    fputs("# bash completion for ", out);
    fputs(what, out);
    fputs(": generated from its option tables, do not edit.\n", out);
    if (strcmp(what, "aerohost") == 0)
      aeh_cli_write_completion(out);
    else
      aeh_commands_write_completion(out);
    if (copy_file(argv[3], out) != 0) {
      perror(argv[3]);
      rc = 1;
    }
  } else {
    fprintf(stderr, "aero-docgen: unknown page '%s'\n", what);
    rc = 1;
  }
  if (fclose(out) != 0) {
    perror(path);
    rc = 1;
  }
  if (rc != 0)
    remove(path);
  return rc;
}
