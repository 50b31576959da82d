/* A plugin file's ELF headers, read before dlopen (elf_check.h says why).
 * Only what glibc relies on when it maps a library is checked: the header,
 * the program headers and the loadable and dynamic segments' extents.
 * Anything subtler is left to dlopen, whose crashes the load guard
 * (load_guard.h) catches. */
#include "elf_check.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__x86_64__)
#define HOST_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define HOST_MACHINE EM_AARCH64
#elif defined(__i386__)
#define HOST_MACHINE EM_386
#elif defined(__arm__)
#define HOST_MACHINE EM_ARM
#elif defined(__riscv)
#define HOST_MACHINE EM_RISCV
#elif defined(__powerpc64__)
#define HOST_MACHINE EM_PPC64
#elif defined(__s390x__)
#define HOST_MACHINE EM_S390
#else
#define HOST_MACHINE EM_NONE /* unknown here: the machine is not checked */
#endif

#define HOST_CLASS (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32)
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_DATA ELFDATA2LSB
#else
#define HOST_DATA ELFDATA2MSB
#endif

/* The name people know a machine by. */
static const char *machine_name(unsigned machine) {
  switch (machine) {
  case EM_X86_64:
    return "x86-64";
  case EM_386:
    return "x86 (i386)";
  case EM_AARCH64:
    return "AArch64 (arm64)";
  case EM_ARM:
    return "ARM (32-bit)";
  case EM_RISCV:
    return "RISC-V";
  case EM_PPC64:
    return "PowerPC 64";
  case EM_PPC:
    return "PowerPC";
  case EM_S390:
    return "IBM Z (s390)";
  case EM_MIPS:
    return "MIPS";
  case EM_SPARCV9:
    return "SPARC V9";
  case EM_LOONGARCH:
    return "LoongArch";
  default:
    return NULL;
  }
}

/* "x86-64, 64-bit" or "machine 4660, 32-bit, big-endian" into `buf`. */
static void describe(unsigned machine, int elf_class, int data, char *buf,
                     size_t size) {
  const char *name = machine_name(machine);
  char number[32];
  if (name == NULL) {
    snprintf(number, sizeof number, "ELF machine %u", machine);
    name = number;
  }
  snprintf(buf, size, "%s, %s%s", name,
           elf_class == ELFCLASS64   ? "64-bit"
           : elf_class == ELFCLASS32 ? "32-bit"
                                     : "unknown word size",
           data == ELFDATA2MSB ? ", big-endian" : "");
}

/* Reads exactly `size` bytes at `offset`; false on a short read. */
static bool read_at(int fd, void *buf, size_t size, off_t offset) {
  size_t done = 0;
  while (done < size) {
    ssize_t n =
        pread(fd, (char *)buf + done, size - done, offset + (off_t)done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    done += (size_t)n;
  }
  return true;
}

/* The byte range [offset, offset + size) lies inside a file of `file`
 * bytes (without overflowing). */
static bool inside(uint64_t offset, uint64_t size, uint64_t file) {
  return offset <= file && size <= file - offset;
}

static aero_status check_segments(const char *path, int fd, uint64_t file,
                                  const ElfW(Ehdr) * eh, aero_error *err) {
  if (eh->e_phnum == 0 || eh->e_phentsize != sizeof(ElfW(Phdr)))
    return aeh_error_set(err, AERO_E_INVALID,
                         "%s: cannot load: corrupt ELF file (%u program "
                         "headers of %u bytes)",
                         path, (unsigned)eh->e_phnum,
                         (unsigned)eh->e_phentsize);
  uint64_t table = (uint64_t)eh->e_phnum * sizeof(ElfW(Phdr));
  if (!inside(eh->e_phoff, table, file))
    return aeh_error_set(err, AERO_E_INVALID,
                         "%s: cannot load: truncated or corrupt ELF file "
                         "(its program headers end past its %llu bytes)",
                         path, (unsigned long long)file);
  /* One read for the whole table (at most 65535 entries). */
  ElfW(Phdr) *table_buf = malloc(table);
  if (table_buf == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "%s: out of memory", path);
  if (!read_at(fd, table_buf, table, (off_t)eh->e_phoff)) {
    free(table_buf);
    return aeh_error_set(err, AERO_E_IO, "%s: cannot read: %s", path,
                         errno != 0 ? strerror(errno) : "short read");
  }
  aero_status status = AERO_OK;
  unsigned loads = 0;
  for (unsigned i = 0; i < eh->e_phnum && status == AERO_OK; i++) {
    const ElfW(Phdr) ph = table_buf[i];
    if (ph.p_type != PT_LOAD && ph.p_type != PT_DYNAMIC)
      continue;
    loads += ph.p_type == PT_LOAD;
    if (!inside(ph.p_offset, ph.p_filesz, file) ||
        (ph.p_type == PT_LOAD && ph.p_filesz > ph.p_memsz))
      status = aeh_error_set(
          err, AERO_E_INVALID,
          "%s: cannot load: truncated or corrupt ELF file (its %s segment "
          "at bytes %llu-%llu ends past its %llu bytes)",
          path, ph.p_type == PT_LOAD ? "loadable" : "dynamic",
          (unsigned long long)ph.p_offset,
          (unsigned long long)ph.p_offset + (unsigned long long)ph.p_filesz,
          (unsigned long long)file);
  }
  free(table_buf);
  if (status == AERO_OK && loads == 0)
    status = aeh_error_set(err, AERO_E_INVALID,
                           "%s: cannot load: corrupt ELF file (no loadable "
                           "segment)",
                           path);
  return status;
}

aero_status aeh_elf_check(const char *path, aero_error *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return aeh_error_set(err, AERO_E_IO, "%s: cannot read: %s", path,
                         strerror(errno));
  aero_status status = AERO_OK;
  struct stat st;
  unsigned char ident[EI_NIDENT + 4] = {0};
  ElfW(Ehdr) eh;
  if (fstat(fd, &st) != 0) {
    status = aeh_error_set(err, AERO_E_IO, "%s: cannot read: %s", path,
                           strerror(errno));
    goto done;
  }
  uint64_t file = (uint64_t)st.st_size;
  /* e_type and e_machine follow the identification in both word sizes. */
  if (!read_at(fd, ident, sizeof ident, 0)) {
    status = aeh_error_set(err, AERO_E_INVALID,
                           "%s: cannot load: truncated ELF file (%llu bytes)",
                           path, (unsigned long long)file);
    goto done;
  }
  int elf_class = ident[EI_CLASS], data = ident[EI_DATA];
  unsigned machine =
      data == ELFDATA2MSB
          ? (unsigned)ident[EI_NIDENT + 2] << 8 | ident[EI_NIDENT + 3]
          : (unsigned)ident[EI_NIDENT + 3] << 8 | ident[EI_NIDENT + 2];
  if (elf_class != HOST_CLASS || data != HOST_DATA ||
      (HOST_MACHINE != EM_NONE && machine != HOST_MACHINE)) {
    char theirs[96], ours[96];
    describe(machine, elf_class, data, theirs, sizeof theirs);
    describe(HOST_MACHINE, HOST_CLASS, HOST_DATA, ours, sizeof ours);
    status = aeh_error_set(err, AERO_E_INVALID,
                           "%s: cannot load: built for %s, but this aerohost "
                           "runs on %s (rebuild the plugin for this machine)",
                           path, theirs, ours);
    goto done;
  }
  if (!read_at(fd, &eh, sizeof eh, 0)) {
    status = aeh_error_set(err, AERO_E_INVALID,
                           "%s: cannot load: truncated ELF file (%llu bytes)",
                           path, (unsigned long long)file);
    goto done;
  }
  if (eh.e_type != ET_DYN) {
    status = aeh_error_set(
        err, AERO_E_INVALID, "%s: cannot load: %s, not a shared library", path,
        eh.e_type == ET_EXEC   ? "an executable"
        : eh.e_type == ET_REL  ? "an object file (.o)"
        : eh.e_type == ET_CORE ? "a core dump"
                               : "an ELF file of unknown type");
    goto done;
  }
  status = check_segments(path, fd, file, &eh, err);
done:
  close(fd);
  return status;
}
