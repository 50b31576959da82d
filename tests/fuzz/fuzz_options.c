/* The project flag parser (options.c): the input is an argument vector,
 * arguments separated by NUL bytes, parsed against a table with an option
 * of every type. Accepted values must format back; refusals must be one
 * line. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz_check.h"
#include "option_table.h"
#include "options.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_text(data, size);
  char *argv[MAX_ARGS + 1];
  int argc = 0;
  for (char *p = text; argc < MAX_ARGS && p <= text + size; p += strlen(p) + 1)
    argv[argc++] = p;
  argv[argc] = NULL;

  aeh_option_values v;
  aero_error err = AEH_ERROR_INIT;
  if (aeh_options_init(table, TABLE_COUNT, &v, &err) != AERO_OK)
    abort();
  bool help = false;
  if (aeh_options_parse(&v, argc, argv, &help, &err) != AERO_OK) {
    fuzz_check_one_line(&err);
  } else {
    for (size_t i = 0; i < TABLE_COUNT; i++) {
      char shown[256];
      aeh_options_format(table[i].type, v.values[i], shown, sizeof shown);
    }
  }
  aeh_options_free(&v);
  free(text);
  return 0;
}
