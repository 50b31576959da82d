/* aeromancy.ini through inih: entries with their real line numbers, the
 * default path, malformed files named with file and line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

static char ini_path[64];

static const char *write_ini(const char *text) {
  snprintf(ini_path, sizeof ini_path, "/tmp/aero-test-config-XXXXXX");
  int fd = mkstemp(ini_path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  return ini_path;
}

static void load_ok(const char *text, aeh_config *cfg) {
  aero_error err = AEH_ERROR_INIT;
  const char *path = write_ini(text);
  if (aeh_config_load(path, 1, cfg, &err) != AERO_OK)
    fail_msg("%s", err.message);
  assert_string_equal(cfg->path, path);
  unlink(path);
}

/* Loads `text` expecting AERO_E_CONFIG with "PATH:<rest>". */
static void load_fails(const char *text, const char *rest) {
  aero_error err = AEH_ERROR_INIT;
  aeh_config cfg = {.count = 99};
  const char *path = write_ini(text);
  aero_status rc = aeh_config_load(path, 1, &cfg, &err);
  char want[512];
  snprintf(want, sizeof want, "%s:%s", path, rest);
  unlink(path);
  if (rc != AERO_E_CONFIG || strcmp(err.message, want) != 0)
    fail_msg("expected %s \"%s\"\n got %s \"%s\"", "E_CONFIG", want,
             aero_status_name(rc), err.message);
  assert_int_equal(cfg.count, 99); /* out untouched on failure */
  assert_null(strchr(err.message, '\n'));
}

static void entries_keep_sections_values_and_lines(void **state) {
  (void)state;
  aeh_config cfg;
  load_ok("[store]\n"              /* 1 */
          "; a comment\n"          /* 2 */
          "# another comment\n"    /* 3 */
          "\n"                     /* 4 */
          "path = /s\n"            /* 5 */
          "[project]\n"            /* 6 */
          "name = aerodemo\n"      /* 7 */
          "[flags]\n"              /* 8 */
          "epochs=3\n"             /* 9 */
          "learning-rate : 0.5\n"  /* 10 */
          "notes = a b ; inline\n" /* 11 */
          "  indented = yes\n"     /* 12 */
          "[store]\n"              /* 13: a section again is fine */
          "backend = local\n",     /* 14 */
          &cfg);
  assert_int_equal(cfg.count, 7);
  assert_string_equal(cfg.entries[0].section, "store");
  assert_string_equal(cfg.entries[0].key, "path");
  assert_int_equal(cfg.entries[0].line, 5);
  assert_string_equal(cfg.entries[1].section, "project");
  assert_int_equal(cfg.entries[1].line, 7);
  assert_string_equal(aeh_config_get(&cfg, "flags", "learning-rate"), "0.5");
  assert_string_equal(aeh_config_get(&cfg, "flags", "notes"), "a b");
  assert_string_equal(aeh_config_get(&cfg, "flags", "indented"), "yes");
  assert_int_equal(aeh_config_find(&cfg, "flags", "indented")->line, 12);
  assert_string_equal(aeh_config_get(&cfg, "flags", "epochs"), "3");
  assert_int_equal(aeh_config_find(&cfg, "store", "backend")->line, 14);
  assert_null(aeh_config_get(&cfg, "flags", "name"));
  assert_null(aeh_config_find(&cfg, "nosuch", "epochs"));
  aeh_config_free(&cfg);
  assert_int_equal(cfg.count, 0);
  assert_null(cfg.entries);
}

/* A typo in a section or a key set twice would otherwise be ignored or
 * silently overridden. */
static void unknown_sections_and_duplicates_are_errors(void **state) {
  (void)state;
  load_fails("[flags]\nepochs = 3\nlearning_rate = 1\nepochs = 4\n",
             "4: duplicate key 'epochs' in [flags] (first set on line 2)");
  load_fails("[flags]\nepochs = 3\n[store]\npath = x\n[flags]\nepochs = 4\n",
             "6: duplicate key 'epochs' in [flags] (first set on line 2)");
  /* Named on the header's line, and also with no key under it. */
  load_fails("[project]\nname = x\n\n[FLAGS]\nepochs = 3\n",
             "4: unknown section [FLAGS] (did you mean [flags]?)");
  load_fails("[flags]\n  [FLAGS]  ; typo\n",
             "2: unknown section [FLAGS] (did you mean [flags]?)");
  load_fails("\xEF\xBB\xBF[FLAGS]\n",
             "1: unknown section [FLAGS] (did you mean [flags]?)");
  load_fails("[contianer]\nimage = x\n",
             "1: unknown section [contianer] (did you mean [container]?)");
  load_fails("[zzz]\na = 1\n",
             "1: unknown section [zzz] (sections: project, build, container, "
             "env, store, git, flags, slurm)");
  load_fails("top = level\n[flags]\n", "1: 'top' is outside any [section]");
  /* Found by the fuzz target: what the file holds is quoted, so a control
   * character cannot break the one line. */
  load_fails("[fl\rags]\na = 1\n",
             "1: unknown section [fl?ags] (did you mean [flags]?)");
  load_fails("[flags]\na\x01 = 1\na\x01 = 2\n",
             "3: duplicate key 'a?' in [flags] (first set on line 2)");
  /* The same key in two sections is two keys. */
  aeh_config cfg;
  load_ok("[project]\nname = a\n[store]\nname = b\n", &cfg);
  assert_int_equal(cfg.count, 2);
  aeh_config_free(&cfg);
  for (size_t i = 0; aeh_config_sections[i] != NULL; i++)
    assert_true(aeh_config_section_known(aeh_config_sections[i]));
  assert_false(aeh_config_section_known("Flags"));
}

/* Indented keys are common style; inih reads the second one as a
 * continuation of the first, which would silently change its value. */
static void indented_keys_stay_keys(void **state) {
  (void)state;
  aeh_config cfg;
  load_ok("[flags]\n"
          "    epochs = 3\n"
          "    learning_rate = 0.1\n"
          "    notes: x ; comment\n",
          &cfg);
  assert_int_equal(cfg.count, 3);
  assert_string_equal(aeh_config_get(&cfg, "flags", "epochs"), "3");
  assert_string_equal(aeh_config_get(&cfg, "flags", "learning_rate"), "0.1");
  assert_int_equal(aeh_config_find(&cfg, "flags", "learning_rate")->line, 3);
  assert_string_equal(aeh_config_get(&cfg, "flags", "notes"), "x");
  assert_int_equal(aeh_config_find(&cfg, "flags", "notes")->line, 4);
  aeh_config_free(&cfg);
}

static void continuation_lines_are_rejected(void **state) {
  (void)state;
  load_fails("[container]\n"
             "run_args = -v /a:/a\n"
             "    -v /b:/b\n",
             "3: indented line continues the value of 'run_args' "
             "(multi-line values are not supported: write the value on one "
             "line)");
}

static void malformed_lines_name_file_and_line(void **state) {
  (void)state;
  load_fails("[flags]\nepochs = 3\n[unclosed\n",
             "3: malformed line (expected [section], key = value, or a ; "
             "comment)");
  load_fails("; fine\n\n[flags]\njust some words\n",
             "4: malformed line (expected [section], key = value, or a ; "
             "comment)");
  /* The first bad line is the one reported. */
  load_fails("[store]\nbad one\nbad two\n",
             "2: malformed line (expected [section], key = value, or a ; "
             "comment)");
}

static void long_lines_are_an_error_not_a_split(void **state) {
  (void)state;
  char text[1200];
  char value[1000];
  memset(value, 'v', sizeof value - 1);
  value[sizeof value - 1] = '\0';
  snprintf(text, sizeof text, "[store]\n\npath = %s\nnext = 1\n", value);
  aero_error err = AEH_ERROR_INIT;
  aeh_config cfg;
  const char *path = write_ini(text);
  assert_int_equal(aeh_config_load(path, 1, &cfg, &err), AERO_E_CONFIG);
  char want[128];
  snprintf(want, sizeof want, "%s:3: line too long (at most ", path);
  if (strncmp(err.message, want, strlen(want)) != 0)
    fail_msg("got: %s", err.message);
  unlink(path);
}

static void line_of_exact_buffer_length_is_fine(void **state) {
  (void)state;
  /* 199 characters and a newline: the longest line inih's buffer of 200
   * holds; the newline must not count as another line. */
  char text[400];
  char value[200];
  size_t prefix = strlen("key = ");
  memset(value, 'x', 199 - prefix);
  value[199 - prefix] = '\0';
  snprintf(text, sizeof text, "[store]\nkey = %s\nafter = 2\n", value);
  aeh_config cfg;
  load_ok(text, &cfg);
  assert_int_equal(cfg.count, 2);
  assert_int_equal(strlen(aeh_config_get(&cfg, "store", "key")), 199 - prefix);
  assert_int_equal(aeh_config_find(&cfg, "store", "after")->line, 3);
  aeh_config_free(&cfg);
}

/* A NUL byte ends the line for fgets' reader (strlen): the rest of the
 * value was dropped without a word ("notes = a\0b" gave "a"), or, with a
 * line after it, called "too long". It is an error naming file and line,
 * on the last line too. */
static void nul_bytes_are_an_error(void **state) {
  (void)state;
#define TEXT(s)                                                                \
  { s, sizeof s - 1 }
  static const struct {
    const char *text;
    size_t length;
  } texts[] = {
      TEXT("[flags]\nnotes = a\0b\n"),            /* the last line */
      TEXT("[flags]\nnotes = a\0b\nother = 1\n"), /* a line after it */
      TEXT("[flags]\nnotes = a\0b"),              /* no newline at the end */
  };
#undef TEXT
  for (size_t i = 0; i < 3; i++) {
    snprintf(ini_path, sizeof ini_path, "/tmp/aero-test-config-XXXXXX");
    int fd = mkstemp(ini_path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, texts[i].text, texts[i].length),
                     (ssize_t)texts[i].length);
    close(fd);
    aero_error err = AEH_ERROR_INIT;
    aeh_config cfg;
    aero_status rc = aeh_config_load(ini_path, 1, &cfg, &err);
    char want[128];
    snprintf(want, sizeof want, "%s:2: a NUL byte in the line", ini_path);
    unlink(ini_path);
    if (rc != AERO_E_CONFIG || strncmp(err.message, want, strlen(want)) != 0)
      fail_msg("text %zu: got %s \"%s\"", i, aero_status_name(rc), err.message);
  }
}

static void last_line_without_newline(void **state) {
  (void)state;
  aeh_config cfg;
  load_ok("[store]\na = 1\nb = 2", &cfg);
  assert_string_equal(aeh_config_get(&cfg, "store", "b"), "2");
  assert_int_equal(aeh_config_find(&cfg, "store", "b")->line, 3);
  aeh_config_free(&cfg);
}

static void missing_file(void **state) {
  (void)state;
  aero_error err = AEH_ERROR_INIT;
  aeh_config cfg = {.count = 5};
  assert_int_equal(aeh_config_load("/nonexistent/aeromancy.ini", 0, &cfg, &err),
                   AERO_OK);
  assert_int_equal(cfg.count, 0);
  assert_null(cfg.path);
  aeh_config_free(&cfg);
  assert_int_equal(aeh_config_load("/nonexistent/aeromancy.ini", 1, &cfg, &err),
                   AERO_E_NOT_FOUND);
  assert_string_equal(err.message, "/nonexistent/aeromancy.ini: cannot read "
                                   "configuration: No such file or directory");
}

/* A file named in AEROMANCY_CONFIG is required even where aeromancy.ini
 * is optional: a typo in the variable would drop every setting. */
static void missing_file_named_by_environment(void **state) {
  (void)state;
  aero_error err = AEH_ERROR_INIT;
  aeh_config cfg = {.count = 5};
  char buf[256];
  setenv("AEROMANCY_CONFIG", "/nonexistent/custom.ini", 1);
  const char *path = aeh_config_default_path(NULL, buf, sizeof buf, &err);
  assert_int_equal(aeh_config_load(path, 0, &cfg, &err), AERO_E_CONFIG);
  assert_string_equal(err.message, "/nonexistent/custom.ini: no such file "
                                   "(named by AEROMANCY_CONFIG)");
  assert_int_equal(cfg.count, 5);
  unsetenv("AEROMANCY_CONFIG");
}

static void directory_is_an_error(void **state) {
  (void)state;
  char dir[] = "/tmp/aero-test-config-dir-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char path[128];
  snprintf(path, sizeof path, "%s/aeromancy.ini", dir);
  assert_int_equal(mkdir(path, 0700), 0);
  aero_error err = AEH_ERROR_INIT;
  aeh_config cfg;
  assert_int_equal(aeh_config_load(path, 0, &cfg, &err), AERO_E_IO);
  char want[256];
  snprintf(want, sizeof want, "%s: cannot read configuration: Is a directory",
           path);
  assert_string_equal(err.message, want);
  rmdir(path);
  rmdir(dir);
}

static void default_path(void **state) {
  (void)state;
  char buf[256];
  unsetenv("AEROMANCY_CONFIG");
  assert_string_equal(aeh_config_default_path(NULL, buf, sizeof buf, NULL),
                      "aeromancy.ini");
  assert_string_equal(aeh_config_default_path("/proj", buf, sizeof buf, NULL),
                      "/proj/aeromancy.ini");
  assert_string_equal(aeh_config_default_path("", buf, sizeof buf, NULL),
                      "aeromancy.ini");
  setenv("AEROMANCY_CONFIG", "/etc/custom.ini", 1);
  assert_string_equal(aeh_config_default_path("/proj", buf, sizeof buf, NULL),
                      "/etc/custom.ini");
  setenv("AEROMANCY_CONFIG", "", 1);
  assert_string_equal(aeh_config_default_path("/proj", buf, sizeof buf, NULL),
                      "/proj/aeromancy.ini");
  unsetenv("AEROMANCY_CONFIG");
}

/* A path that does not fit is an error, never a cut one: cut, it named
 * another file, and that one missing read as an empty configuration (every
 * setting dropped without a word, even the file AEROMANCY_CONFIG names). */
static void default_path_too_long(void **state) {
  (void)state;
  char buf[64], dir[64], named[80];
  aero_error err = AEH_ERROR_INIT;
  unsetenv("AEROMANCY_CONFIG");
  memset(dir, 'd', sizeof dir - 1);
  dir[0] = '/';
  dir[sizeof dir - 1] = '\0';
  assert_null(aeh_config_default_path(dir, buf, sizeof buf, &err));
  assert_int_equal(err.code, AERO_E_CONFIG);
  assert_non_null(strstr(err.message, "the configuration file's path "
                                      "(aeromancy.ini in the project folder) "
                                      "is longer than 63 bytes"));
  /* 49 bytes of folder and "/aeromancy.ini" fill buf exactly. */
  dir[49] = '\0';
  assert_string_equal(aeh_config_default_path(dir, buf, sizeof buf, &err) + 49,
                      "/aeromancy.ini");
  memset(named, 'n', sizeof named - 1);
  named[0] = '/';
  named[sizeof named - 1] = '\0';
  setenv("AEROMANCY_CONFIG", named, 1);
  err = (aero_error)AEH_ERROR_INIT;
  assert_null(aeh_config_default_path(NULL, buf, sizeof buf, &err));
  assert_non_null(strstr(err.message, "(AEROMANCY_CONFIG) is longer than 63 "
                                      "bytes"));
  unsetenv("AEROMANCY_CONFIG");
}

static void parse_bool_table(void **state) {
  (void)state;
  static const struct {
    const char *text;
    int rc, value;
  } cases[] = {
      {"1", 0, 1},      {"true", 0, 1}, {"TRUE", 0, 1},  {"Yes", 0, 1},
      {"on", 0, 1},     {"0", 0, 0},    {"false", 0, 0}, {"no", 0, 0},
      {"OFF", 0, 0},    {"", -1, 7},    {"2", -1, 7},    {"truthy", -1, 7},
      {" true", -1, 7}, {"y", -1, 7},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    int value = 7;
    int rc = aeh_config_parse_bool(cases[c].text, &value);
    if (rc != cases[c].rc || value != cases[c].value)
      fail_msg("'%s': rc %d value %d", cases[c].text, rc, value);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(entries_keep_sections_values_and_lines),
      cmocka_unit_test(unknown_sections_and_duplicates_are_errors),
      cmocka_unit_test(indented_keys_stay_keys),
      cmocka_unit_test(continuation_lines_are_rejected),
      cmocka_unit_test(malformed_lines_name_file_and_line),
      cmocka_unit_test(long_lines_are_an_error_not_a_split),
      cmocka_unit_test(line_of_exact_buffer_length_is_fine),
      cmocka_unit_test(last_line_without_newline),
      cmocka_unit_test(missing_file),
      cmocka_unit_test(missing_file_named_by_environment),
      cmocka_unit_test(directory_is_an_error),
      cmocka_unit_test(default_path),
      cmocka_unit_test(default_path_too_long),
      cmocka_unit_test(nul_bytes_are_an_error),
      cmocka_unit_test(parse_bool_table),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
