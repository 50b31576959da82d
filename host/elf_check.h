/* Checking a plugin file's ELF headers before dlopen sees it.
 *
 * Owner: loading (loader.c). glibc's dlopen trusts the headers: a file cut
 * short maps segments past its end, and the first touch of one kills the
 * process with SIGBUS; a library for another machine is reported as "No
 * such file or directory" or "wrong ELF class". Reading the headers first
 * turns both into one clear line.
 */
#ifndef AEH_ELF_CHECK_H
#define AEH_ELF_CHECK_H

#include <aeromancy/status.h>

#include "error.h"

/* Checks that `path` (a regular file starting with the ELF magic) is a
 * shared library for this machine whose program headers and loadable
 * segments lie inside the file. AERO_E_INVALID naming what is wrong (the
 * machine and word size it was built for, the segment that ends past the
 * end of the file) otherwise; AERO_E_IO when it cannot be read. */
aero_status aeh_elf_check(const char *path, aero_error *err);

#endif /* AEH_ELF_CHECK_H */
