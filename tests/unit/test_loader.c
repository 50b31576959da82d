/* The loader against real fixture plugins (tests/plugins): real dlopen,
 * every check of the info block and of registrations, with the status code
 * and the one-line message each failure must give. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dlfcn.h>
#include <link.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctor_call.h"
#include "loader.h"

static char fixture_buf[4096];

/* $AERO_FIXTURES/NAME.so */
static const char *fixture(const char *name) {
  const char *dir = getenv("AERO_FIXTURES");
  assert_non_null(dir);
  snprintf(fixture_buf, sizeof fixture_buf, "%s/%s.so", dir, name);
  return fixture_buf;
}

/* Loads `path` expecting failure with `code`; checks the message is one
 * line that starts with the path and contains every `needles` entry. */
static void expect_failure(const char *path, aero_plugin_kind kind,
                           aero_status code, const char *needle1,
                           const char *needle2) {
  aero_error err = AEH_ERROR_INIT;
  aeh_plugin *p = (aeh_plugin *)0x1;
  aero_status rc = aeh_plugin_load(path, kind, &p, &err);
  if (rc != code)
    fail_msg("%s: expected %s, got %s: %s", path, aero_status_name(code),
             aero_status_name(rc), err.message);
  assert_int_equal(err.code, code);
  assert_ptr_equal(p, (aeh_plugin *)0x1); /* out written only on success */
  assert_null(strchr(err.message, '\n'));
  if (strncmp(err.message, path, strlen(path)) != 0 ||
      strncmp(err.message + strlen(path), ": ", 2) != 0)
    fail_msg("message does not start with the path: %s", err.message);
  if (needle1 != NULL && strstr(err.message, needle1) == NULL)
    fail_msg("expected '%s' in: %s", needle1, err.message);
  if (needle2 != NULL && strstr(err.message, needle2) == NULL)
    fail_msg("expected '%s' in: %s", needle2, err.message);
}

static aeh_plugin *expect_load(const char *path, aero_plugin_kind kind) {
  aero_error err = AEH_ERROR_INIT;
  aeh_plugin *p = NULL;
  aero_status rc = aeh_plugin_load(path, kind, &p, &err);
  if (rc != AERO_OK)
    fail_msg("%s: %s", path, err.message);
  assert_non_null(p);
  return p;
}

static void missing_file_is_not_found(void **state) {
  (void)state;
  expect_failure("/nonexistent/plugin.so", AERO_PLUGIN_PROJECT,
                 AERO_E_NOT_FOUND, "no such file", NULL);
}

static void directory_is_rejected(void **state) {
  (void)state;
  const char *dir = getenv("AERO_FIXTURES");
  expect_failure(dir, AERO_PLUGIN_PROJECT, AERO_E_INVALID, "is a directory",
                 NULL);
}

/* Writes `size` bytes of `data` to a fresh temp file; returns its path. */
static const char *temp_file(char *path, size_t size_path, const void *data,
                             size_t size) {
  snprintf(path, size_path, "/tmp/aero-test-loader-XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, data, size), (ssize_t)size);
  close(fd);
  return path;
}

static void empty_file_is_rejected(void **state) {
  (void)state;
  char path[64];
  temp_file(path, sizeof path, "", 0);
  expect_failure(path, AERO_PLUGIN_PROJECT, AERO_E_INVALID, "empty file", NULL);
  unlink(path);
}

static void text_file_is_rejected_before_dlopen(void **state) {
  (void)state;
  char path[64];
  const char text[] = "#!/bin/sh\necho not a plugin\n";
  temp_file(path, sizeof path, text, sizeof text - 1);
  expect_failure(path, AERO_PLUGIN_PROJECT, AERO_E_INVALID,
                 "not a shared library (no ELF header; is it a text file?)",
                 NULL);
  unlink(path);
}

static void truncated_elf_reports_dlerror_on_one_line(void **state) {
  (void)state;
  char path[64];
  const char elf[] = "\x7f"
                     "ELF\x02\x01\x01 truncated";
  temp_file(path, sizeof path, elf, sizeof elf - 1);
  expect_failure(path, AERO_PLUGIN_PROJECT, AERO_E_INVALID,
                 "cannot load: ", NULL);
  unlink(path);
}

static void library_without_entry_is_not_a_plugin(void **state) {
  (void)state;
  expect_failure(fixture("ldr_noentry"), AERO_PLUGIN_PROJECT, AERO_E_INVALID,
                 "not an aeromancy plugin (no aero_plugin_entry symbol; "
                 "declare it with AERO_PLUGIN)",
                 NULL);
}

static void system_library_is_not_a_plugin(void **state) {
  (void)state;
  /* Find where libz really is, wherever this distribution keeps it. */
  void *h = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    skip();
  struct link_map *map = NULL;
  assert_int_equal(dlinfo(h, RTLD_DI_LINKMAP, &map), 0);
  char path[4096];
  snprintf(path, sizeof path, "%s", map->l_name);
  expect_failure(path, AERO_PLUGIN_PROJECT, AERO_E_INVALID,
                 "not an aeromancy plugin", NULL);
  dlclose(h);
}

static void unresolved_symbol_is_named(void **state) {
  (void)state;
  expect_failure(fixture("nodefs_unresolved"), AERO_PLUGIN_PROJECT,
                 AERO_E_INVALID, "cannot load: ", "ldr_missing_function");
}

static void info_block_checks(void **state) {
  (void)state;
  expect_failure(fixture("ldr_null_info"), AERO_PLUGIN_PROJECT, AERO_E_ABI,
                 "no info block", NULL);
  expect_failure(fixture("ldr_bad_magic"), AERO_PLUGIN_PROJECT, AERO_E_ABI,
                 "bad magic 0x12345678", "expected 0x4F524541");
  expect_failure(fixture("ldr_abi_major"), AERO_PLUGIN_PROJECT, AERO_E_ABI,
                 "plugin built for ABI 2.0, but this host speaks ABI 1.7",
                 "rebuild the plugin against SDK 1.x");
  expect_failure(fixture("ldr_abi_minor"), AERO_PLUGIN_PROJECT, AERO_E_ABI,
                 "ABI 1.14, newer than this host's ABI 1.7", NULL);
  expect_failure(fixture("ldr_size_zero"), AERO_PLUGIN_PROJECT, AERO_E_ABI,
                 "struct_size 0", "at least 40");
  expect_failure(fixture("ldr_size_short"), AERO_PLUGIN_PROJECT, AERO_E_ABI,
                 "struct_size 16", "at least 40");
  expect_failure(fixture("ldr_bad_name"), AERO_PLUGIN_PROJECT, AERO_E_INVALID,
                 "plugin name '../bad name' is invalid", NULL);
  expect_failure(fixture("ldr_no_init"), AERO_PLUGIN_PROJECT, AERO_E_INVALID,
                 "has no init function", NULL);
}

static void larger_info_block_is_accepted(void **state) {
  (void)state;
  aeh_plugin *p = expect_load(fixture("ldr_info_larger"), AERO_PLUGIN_PROJECT);
  assert_string_equal(aeh_plugin_name(p), "ldr_info_larger");
  aeh_plugin_unload(p);
}

static void wrong_kind_is_rejected_both_ways(void **state) {
  (void)state;
  expect_failure(fixture("ldr_backend"), AERO_PLUGIN_PROJECT, AERO_E_INVALID,
                 "kind 2 (backend)", "expected a project plugin");
  expect_failure(fixture("ldr_good"), AERO_PLUGIN_BACKEND, AERO_E_INVALID,
                 "kind 1 (project)", "expected a backend plugin");
}

static void init_failure_keeps_its_message_and_status(void **state) {
  (void)state;
  expect_failure(fixture("ldr_init_fails"), AERO_PLUGIN_PROJECT, AERO_E_CONFIG,
                 "init failed: ldr_init_fails: license file /nonexistent "
                 "missing",
                 NULL);
}

static void builder_checks(void **state) {
  (void)state;
  expect_failure(fixture("ldr_no_builder"), AERO_PLUGIN_PROJECT, AERO_E_INVALID,
                 "registered no builder", NULL);
  expect_failure(fixture("ldr_no_build"), AERO_PLUGIN_PROJECT, AERO_E_INVALID,
                 "builder 'nobuild' has no build_actions", NULL);
  expect_failure(fixture("ldr_no_ctor"), AERO_PLUGIN_PROJECT, AERO_E_INVALID,
                 "builder 'noctor' has no constructor", NULL);
}

static void good_plugin_is_copied(void **state) {
  (void)state;
  aeh_plugin *p = expect_load(fixture("ldr_good"), AERO_PLUGIN_PROJECT);
  assert_string_equal(aeh_plugin_path(p), fixture("ldr_good"));
  assert_string_equal(aeh_plugin_name(p), "ldr_good");
  assert_string_equal(aeh_plugin_version(p), "1.2.3");
  assert_int_equal(aeh_plugin_abi_major(p), AERO_ABI_MAJOR);
  assert_int_equal(aeh_plugin_abi_minor(p), AERO_ABI_MINOR);
  assert_int_equal(aeh_plugin_builder_count(p), 1);
  assert_null(aeh_plugin_builder(p, 1));
  assert_null(aeh_plugin_backend(p));
  const aero_builder_vtable *b = aeh_plugin_builder(p, 0);
  assert_int_equal(b->struct_size, sizeof(aero_builder_vtable));
  assert_string_equal(b->project, "ldrgood");
  assert_string_equal(b->description, "Fixture: every option type");
  assert_int_equal(b->option_count, 6);
  assert_string_equal(b->options[0].name, "learning_rate");
  assert_int_equal(b->options[0].short_name, 'l');
  assert_true(b->options[0].def.d == 0.01);
  assert_int_equal(b->options[2].type, AERO_OPT_CHOICE);
  assert_string_equal(b->options[2].def.s, "mse");
  assert_string_equal(b->options[2].choices[2], "huber");
  assert_null(b->options[2].choices[3]);
  assert_null(b->options[4].def.s);
  assert_non_null(b->constructor);
  assert_non_null(b->build_actions);
  assert_non_null(b->destroy);
  aeh_plugin_unload(p);
}

static void sha256_matches_the_file(void **state) {
  (void)state;
  const char *path = fixture("ldr_good");
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  rewind(f);
  unsigned char *data = malloc((size_t)size);
  assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
  fclose(f);
  unsigned char md[32];
  unsigned int len = 0;
  assert_int_equal(EVP_Digest(data, (size_t)size, md, &len, EVP_sha256(), NULL),
                   1);
  free(data);
  char hex[65];
  for (int i = 0; i < 32; i++)
    snprintf(hex + 2 * i, 3, "%02x", md[i]);
  aeh_plugin *p = expect_load(path, AERO_PLUGIN_PROJECT);
  const char *sha = aeh_plugin_sha256(p);
  assert_non_null(sha);
  assert_string_equal(sha, hex);
  assert_ptr_equal(aeh_plugin_sha256(p), sha); /* computed once */
  aeh_plugin_unload(p);
}

static void relative_path_without_slash_loads_that_file(void **state) {
  (void)state;
  char cwd[4096];
  assert_non_null(getcwd(cwd, sizeof cwd));
  assert_int_equal(chdir(getenv("AERO_FIXTURES")), 0);
  aeh_plugin *p = expect_load("ldr_good.so", AERO_PLUGIN_PROJECT);
  assert_string_equal(aeh_plugin_path(p), "ldr_good.so");
  aeh_plugin_unload(p);
  expect_failure("ldr_nonexistent.so", AERO_PLUGIN_PROJECT, AERO_E_NOT_FOUND,
                 "no such file", NULL);
  assert_int_equal(chdir(cwd), 0);
}

static void each_load_is_independent(void **state) {
  (void)state;
  aeh_plugin *a = expect_load(fixture("ldr_two"), AERO_PLUGIN_PROJECT);
  aeh_plugin *b = expect_load(fixture("ldr_two"), AERO_PLUGIN_PROJECT);
  assert_ptr_not_equal(a, b);
  assert_int_equal(aeh_plugin_builder_count(a), 2);
  assert_string_equal(aeh_plugin_builder(a, 1)->project, "beta");
  aeh_plugin_unload(a);
  assert_string_equal(aeh_plugin_builder(b, 0)->project, "alpha");
  aeh_plugin_unload(b);
}

static void backend_plugin_registers_its_vtable(void **state) {
  (void)state;
  unsetenv("LDR_BACKEND_CASE");
  aeh_plugin *p = expect_load(fixture("ldr_backend"), AERO_PLUGIN_BACKEND);
  const aero_backend_vtable *vt = aeh_plugin_backend(p);
  assert_non_null(vt);
  assert_string_equal(vt->name, "ldrnull");
  assert_int_equal(vt->struct_size, sizeof(aero_backend_vtable));
  assert_non_null(vt->resolve);
  assert_null(vt->log_text);
  assert_int_equal(aeh_plugin_builder_count(p), 0);
  aeh_plugin_unload(p);
}

static void backend_checks(void **state) {
  (void)state;
  setenv("LDR_BACKEND_CASE", "no_resolve", 1);
  expect_failure(fixture("ldr_backend"), AERO_PLUGIN_BACKEND, AERO_E_INVALID,
                 "backend 'ldrnull' has no resolve", NULL);
  setenv("LDR_BACKEND_CASE", "twice", 1);
  expect_failure(fixture("ldr_backend"), AERO_PLUGIN_BACKEND, AERO_E_INVALID,
                 "one backend, not two", NULL);
  setenv("LDR_BACKEND_CASE", "none", 1);
  expect_failure(fixture("ldr_backend"), AERO_PLUGIN_BACKEND, AERO_E_INVALID,
                 "registered no backend", NULL);
  unsetenv("LDR_BACKEND_CASE");
}

/* ldr_registrar picks its behaviour from $LDR_CASE. */
static void registrar_case(const char *name, aero_status code,
                           const char *needle) {
  setenv("LDR_CASE", name, 1);
  expect_failure(fixture("ldr_registrar"), AERO_PLUGIN_PROJECT, code, needle,
                 NULL);
  unsetenv("LDR_CASE");
}

static void registrations_are_checked(void **state) {
  (void)state;
  registrar_case("null_vtable", AERO_E_INVALID, "vtable is NULL");
  registrar_case("builder_size_zero", AERO_E_ABI,
                 "builder vtable has struct_size 0");
  registrar_case("builder_size_short", AERO_E_ABI,
                 "builder vtable has struct_size 16");
  registrar_case("bad_project", AERO_E_INVALID,
                 "builder project name 'has space' is invalid");
  registrar_case("no_project", AERO_E_INVALID, "builder has no project name");
  registrar_case("dup_builder", AERO_E_INVALID, "two builders are named 'rg'");
  registrar_case("backend_in_project", AERO_E_INVALID,
                 "a project plugin cannot register a tracker backend");
  registrar_case("options_dup_short", AERO_E_INVALID,
                 "builder 'rg': options 'count' and 'number' share the short "
                 "letter 'n'");
  registrar_case("options_bad_type", AERO_E_INVALID,
                 "option 'weird' has unknown type 42");
  registrar_case("options_choice_empty", AERO_E_INVALID,
                 "CHOICE option 'mode' has no choices");
  registrar_case("options_null_table", AERO_E_INVALID,
                 "option_count is 3 but options is NULL");
}

static void ignored_rejection_still_fails_the_load(void **state) {
  (void)state;
  registrar_case("ignored_failure", AERO_E_INVALID,
                 "builder 'rg' has no build_actions");
}

static void larger_builder_vtable_is_accepted(void **state) {
  (void)state;
  setenv("LDR_CASE", "builder_larger", 1);
  aeh_plugin *p = expect_load(fixture("ldr_registrar"), AERO_PLUGIN_PROJECT);
  unsetenv("LDR_CASE");
  const aero_builder_vtable *b = aeh_plugin_builder(p, 0);
  assert_int_equal(b->struct_size, sizeof(aero_builder_vtable));
  assert_string_equal(b->project, "rg");
  aeh_plugin_unload(p);
}

static void registered_strings_are_copied(void **state) {
  (void)state;
  setenv("LDR_CASE", "strings_copied", 1);
  aeh_plugin *p = expect_load(fixture("ldr_registrar"), AERO_PLUGIN_PROJECT);
  unsetenv("LDR_CASE");
  const aero_builder_vtable *b = aeh_plugin_builder(p, 0);
  assert_string_equal(b->project, "heapproj");
  assert_string_equal(b->description, "heap description");
  assert_int_equal(b->option_count, 1);
  assert_string_equal(b->options[0].name, "heap_option");
  assert_string_equal(b->options[0].help, "heap help");
  assert_string_equal(b->options[0].def.s, "second");
  assert_string_equal(b->options[0].choices[0], "first");
  assert_string_equal(b->options[0].choices[1], "second");
  assert_null(b->options[0].choices[2]);
  aeh_plugin_unload(p);
}

static void registering_after_init_is_a_state_error(void **state) {
  (void)state;
  setenv("LDR_CASE", "late", 1);
  aeh_plugin *p = expect_load(fixture("ldr_registrar"), AERO_PLUGIN_PROJECT);
  unsetenv("LDR_CASE");
  const aero_builder_vtable *b = aeh_plugin_builder(p, 0);
  void *self = NULL;
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_ctor_call(b->constructor, b->options, b->option_count,
                                 NULL, &self, &err),
                   AERO_E_INVALID);
  assert_string_equal(err.message, "late register_builder returned E_STATE");
  assert_int_equal(aeh_plugin_builder_count(p), 1); /* nothing added */
  aeh_plugin_unload(p);
}

static void empty_path_is_invalid(void **state) {
  (void)state;
  aero_error err = AEH_ERROR_INIT;
  aeh_plugin *p = NULL;
  assert_int_equal(aeh_plugin_load("", AERO_PLUGIN_PROJECT, &p, &err),
                   AERO_E_INVALID);
  assert_null(p);
  aeh_plugin_unload(NULL); /* a no-op */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(missing_file_is_not_found),
      cmocka_unit_test(directory_is_rejected),
      cmocka_unit_test(empty_file_is_rejected),
      cmocka_unit_test(text_file_is_rejected_before_dlopen),
      cmocka_unit_test(truncated_elf_reports_dlerror_on_one_line),
      cmocka_unit_test(library_without_entry_is_not_a_plugin),
      cmocka_unit_test(system_library_is_not_a_plugin),
      cmocka_unit_test(unresolved_symbol_is_named),
      cmocka_unit_test(info_block_checks),
      cmocka_unit_test(larger_info_block_is_accepted),
      cmocka_unit_test(wrong_kind_is_rejected_both_ways),
      cmocka_unit_test(init_failure_keeps_its_message_and_status),
      cmocka_unit_test(builder_checks),
      cmocka_unit_test(good_plugin_is_copied),
      cmocka_unit_test(sha256_matches_the_file),
      cmocka_unit_test(relative_path_without_slash_loads_that_file),
      cmocka_unit_test(each_load_is_independent),
      cmocka_unit_test(backend_plugin_registers_its_vtable),
      cmocka_unit_test(backend_checks),
      cmocka_unit_test(registrations_are_checked),
      cmocka_unit_test(ignored_rejection_still_fails_the_load),
      cmocka_unit_test(larger_builder_vtable_is_accepted),
      cmocka_unit_test(registered_strings_are_copied),
      cmocka_unit_test(registering_after_init_is_a_state_error),
      cmocka_unit_test(empty_path_is_invalid),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
