/* aeromancy.ini (config.c through inih, then options.c's [flags]): the
 * input is the file. Whatever it holds, it is read or refused with one
 * line naming the file and line, and the [flags] it gives are applied or
 * refused the same way. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "fuzz_check.h"
#include "option_table.h"
#include "options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* The file lives in memory; config.c opens it by path like any other. */
  int fd = memfd_create("aeromancy.ini", 0);
  if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size))
    abort();
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);

  aeh_config cfg;
  aero_error err = AEH_ERROR_INIT;
  if (aeh_config_load(path, 1, &cfg, &err) != AERO_OK) {
    fuzz_check_one_line(&err);
    if (strncmp(err.message, path, strlen(path)) != 0)
      abort(); /* the message names the file */
  } else {
    for (size_t i = 0; i < cfg.count; i++) {
      const aeh_config_entry *e = &cfg.entries[i];
      if (e->line < 1 || aeh_config_find(&cfg, e->section, e->key) != e)
        abort(); /* every key once per section, on a real line */
    }
    aeh_option_values v;
    if (aeh_options_init(table, TABLE_COUNT, &v, &err) != AERO_OK)
      abort();
    if (aeh_options_apply_config(&v, &cfg, &err) != AERO_OK)
      fuzz_check_one_line(&err);
    aeh_options_free(&v);
    aeh_config_free(&cfg);
  }
  close(fd);
  return 0;
}
