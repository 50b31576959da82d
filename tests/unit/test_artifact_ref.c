/* Artifact references: the parsing table (good and bad), defaults,
 * comparison and formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "artifact_ref.h"

typedef struct good_case {
  const char *text;
  const char *entity, *project, *name;
  int64_t version;
  bool has_version;
} good_case;

static void test_good_references(void **state) {
  (void)state;
  static const good_case cases[] = {
      {"data", "", "", "data", -1, false},
      {"data:v0", "", "", "data", 0, true},
      {"data:v12", "", "", "data", 12, true},
      {"data:latest", "", "", "data", -1, true},
      {"proj/data", "", "proj", "data", -1, false},
      {"me/proj/data:v3", "me", "proj", "data", 3, true},
      {"A-b_c.d/x.y-z_1", "", "A-b_c.d", "x.y-z_1", -1, false},
      {"...", "", "", "...", -1, false},
      {".hidden", "", "", ".hidden", -1, false},
      {"data:v9223372036854775807", "", "", "data", INT64_MAX, true},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const good_case *c = &cases[i];
    aeh_artifact_ref ref;
    aero_error err = AEH_ERROR_INIT;
    if (aeh_artifact_ref_parse(c->text, &ref, &err) != AERO_OK)
      fail_msg("'%s' rejected: %s", c->text, err.message);
    assert_string_equal(ref.entity, c->entity);
    assert_string_equal(ref.project, c->project);
    assert_string_equal(ref.name, c->name);
    assert_int_equal(ref.version, c->version);
    assert_int_equal(ref.has_version, c->has_version);
    assert_int_equal(ref.has_project, c->project[0] != '\0');
  }
}

typedef struct bad_case {
  const char *text;
  const char *why; /* part of the message */
} bad_case;

static void test_bad_references(void **state) {
  (void)state;
  static const bad_case cases[] = {
      {"", "empty"},
      {"../x", "'.' and '..'"},
      {"./x", "'.' and '..'"},
      {"..", "'.' and '..'"},
      {"a/b/c/d", "more than three"},
      {"x:v", "vN"},
      {"x:3", "vN"},
      {"x:v01", "vN"},
      {"x:V1", "vN"},
      {"x:v1a", "vN"},
      {"x:", "vN"},
      {"x:latest:v1", "more than one ':'"},
      {"x:v99999999999999999999", "too large"},
      {"a//b", "empty part"},
      {"/x", "empty part"},
      {"x/", "empty part"},
      {"my data", "spaces"},
      {"da$ta", "'$'"},
      {"tab\there", "0x09"},
      {"new\nline", "0x0a"},
      {"caf\xc3\xa9", "0xc3"},
      {":v1", "empty part"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const bad_case *c = &cases[i];
    aeh_artifact_ref ref;
    memset(&ref, 0x5a, sizeof ref);
    aero_error err = AEH_ERROR_INIT;
    aero_status status = aeh_artifact_ref_parse(c->text, &ref, &err);
    if (status != AERO_E_INVALID)
      fail_msg("'%s' accepted", c->text);
    if (strstr(err.message, c->why) == NULL)
      fail_msg("'%s': message lacks '%s': %s", c->text, c->why, err.message);
    /* One line, quoting the name, saying what is allowed. */
    assert_null(strchr(err.message, '\n'));
    assert_non_null(strstr(err.message, "invalid artifact name '"));
    assert_non_null(strstr(err.message, "A-Za-z0-9_.-"));
    /* Not written on failure. */
    assert_int_equal(((unsigned char *)&ref)[0], 0x5a);
  }
  aero_error err = AEH_ERROR_INIT;
  aeh_artifact_ref ref;
  assert_int_equal(aeh_artifact_ref_parse(NULL, &ref, &err), AERO_E_INVALID);
  char long_part[200];
  memset(long_part, 'a', sizeof long_part - 1);
  long_part[sizeof long_part - 1] = '\0';
  assert_int_equal(aeh_artifact_ref_parse(long_part, &ref, &err),
                   AERO_E_INVALID);
  assert_non_null(strstr(err.message, "longer than 127"));
  long_part[127] = '\0';
  assert_int_equal(aeh_artifact_ref_parse(long_part, &ref, &err), AERO_OK);
}

static void test_quoted_name_is_the_culprit(void **state) {
  (void)state;
  aeh_artifact_ref ref;
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_artifact_ref_parse("../etc/passwd", &ref, &err),
                   AERO_E_INVALID);
  assert_non_null(strstr(err.message, "'../etc/passwd'"));
}

static void test_defaults_and_same(void **state) {
  (void)state;
  aeh_artifact_ref a, b, c;
  assert_int_equal(aeh_artifact_ref_parse("data", &a, NULL), AERO_OK);
  assert_int_equal(aeh_artifact_ref_parse("proj/data:v2", &b, NULL), AERO_OK);
  assert_int_equal(aeh_artifact_ref_parse("other/data", &c, NULL), AERO_OK);
  aeh_artifact_ref_default(&a, "", "proj");
  aeh_artifact_ref_default(&b, "", "ignored");
  aeh_artifact_ref_default(&c, "", "proj");
  assert_string_equal(a.project, "proj");
  assert_string_equal(b.project, "proj");
  assert_true(aeh_artifact_ref_same(&a, &b)); /* versions do not matter */
  assert_false(aeh_artifact_ref_same(&a, &c));
  aeh_artifact_ref d;
  assert_int_equal(aeh_artifact_ref_parse("ent/proj/data", &d, NULL), AERO_OK);
  aeh_artifact_ref_default(&d, "", "proj");
  assert_false(aeh_artifact_ref_same(&a, &d)); /* entity differs */
}

static void test_format(void **state) {
  (void)state;
  char buf[256];
  aero_artifact_ref ref = {.entity = "", .project = "proj", .name = "data"};
  aeh_artifact_ref_format(&ref, 3, buf, sizeof buf);
  assert_string_equal(buf, "proj/data:v3");
  ref.entity = "me";
  aeh_artifact_ref_format(&ref, 0, buf, sizeof buf);
  assert_string_equal(buf, "me/proj/data:v0");
  aeh_artifact_ref_format(&ref, -1, buf, sizeof buf);
  assert_string_equal(buf, "me/proj/data");
  /* Formatting and parsing agree. */
  aeh_artifact_ref back;
  assert_int_equal(aeh_artifact_ref_parse("me/proj/data", &back, NULL),
                   AERO_OK);
  aero_artifact_ref view = aeh_artifact_ref_view(&back);
  char again[256];
  aeh_artifact_ref_format(&view, 7, again, sizeof again);
  assert_string_equal(again, "me/proj/data:v7");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good_references),
      cmocka_unit_test(test_bad_references),
      cmocka_unit_test(test_quoted_name_is_the_culprit),
      cmocka_unit_test(test_defaults_and_same),
      cmocka_unit_test(test_format),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
