/* Leaf helpers with one copy for the host, the runner and the backend
 * plugins: aero_util, a static, position-independent library with hidden
 * symbols that each links (so a plugin still exports its one entry). They
 * depend on libc only, and report errors as errno values, leaving the
 * message to the caller's own error style.
 *
 * Owner: front-end.
 */
#ifndef AEU_H
#define AEU_H

/* mkdir -p: creates `path` and every missing folder above it, each with
 * `mode`. Returns 0 when `path` is a folder afterwards (also when it was
 * already), else an errno value: ENOTDIR when a part is not a folder,
 * ENAMETOOLONG past PATH_MAX. */
int aeu_mkdirs(const char *path, unsigned mode);

/* aeu_mkdirs of the folder holding `path` (nothing for a bare name). */
int aeu_mkdirs_parent(const char *path, unsigned mode);

#endif /* AEU_H */
