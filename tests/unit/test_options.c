/* Project options: table checks, parsing of every flag form, aeromancy.ini
 * defaults, formatting and "did you mean". Table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "names.h"
#include "option_table.h"
#include "options.h"

typedef struct expect {
  double lr;
  int64_t epochs;
  const char *loss;
  bool shuffle;
  const char *notes; /* NULL: expect NULL */
  bool verbose;
} expect;

/* Every field spelled out: designated overrides would trip -Woverride-init. */
#define W(lr_, epochs_, loss_, shuffle_, notes_, verbose_)                     \
  {                                                                            \
    .lr = (lr_), .epochs = (epochs_), .loss = (loss_), .shuffle = (shuffle_),  \
    .notes = (notes_), .verbose = (verbose_)                                   \
  }

typedef struct parse_case {
  const char *argv[8];
  const char *error; /* exact message, or NULL for success */
  expect want;
  bool help;
} parse_case;

static const parse_case parse_cases[] = {
    {{NULL}, NULL, W(0.01, 10, "mse", true, NULL, false), false},
    {{"--learning-rate", "0.5"},
     NULL,
     W(0.5, 10, "mse", true, NULL, false),
     false},
    {{"--learning-rate=0.25"},
     NULL,
     W(0.25, 10, "mse", true, NULL, false),
     false},
    {{"--learning_rate", "5"}, NULL, W(5, 10, "mse", true, NULL, false), false},
    {{"--learning_rate=6"}, NULL, W(6, 10, "mse", true, NULL, false), false},
    {{"-l", "2"}, NULL, W(2, 10, "mse", true, NULL, false), false},
    {{"-l3"}, NULL, W(3, 10, "mse", true, NULL, false), false},
    {{"-l=4"}, NULL, W(4, 10, "mse", true, NULL, false), false},
    {{"--learning-rate", "1e-3"},
     NULL,
     W(1e-3, 10, "mse", true, NULL, false),
     false},
    {{"--learning-rate", "0e-400"}, /* an exact zero is no underflow */
     NULL,
     W(0, 10, "mse", true, NULL, false),
     false},
    {{"--learning-rate", "2.2250738585072014e-308"},
     NULL,
     W(DBL_MIN, 10, "mse", true, NULL, false),
     false},
    {{"--learning-rate", "-0.5"},
     NULL,
     W(-0.5, 10, "mse", true, NULL, false),
     false},
    {{"--epochs", "-3"}, NULL, W(0.01, -3, "mse", true, NULL, false), false},
    {{"--epochs=9223372036854775807"},
     NULL,
     W(0.01, INT64_MAX, "mse", true, NULL, false),
     false},
    {{"--epochs=-9223372036854775808"},
     NULL,
     W(0.01, INT64_MIN, "mse", true, NULL, false),
     false},
    {{"--epochs", "1", "--epochs", "2"},
     NULL,
     W(0.01, 2, "mse", true, NULL, false),
     false},
    {{"-e", "7"}, NULL, W(0.01, 7, "mse", true, NULL, false), false},
    {{"--loss", "mae"}, NULL, W(0.01, 10, "mae", true, NULL, false), false},
    {{"--loss=huber"}, NULL, W(0.01, 10, "huber", true, NULL, false), false},
    {{"--verbose"}, NULL, W(0.01, 10, "mse", true, NULL, true), false},
    {{"--no-shuffle"}, NULL, W(0.01, 10, "mse", false, NULL, false), false},
    {{"--no_shuffle"}, NULL, W(0.01, 10, "mse", false, NULL, false), false},
    {{"--shuffle=false"}, NULL, W(0.01, 10, "mse", false, NULL, false), false},
    {{"--shuffle=no", "--shuffle=ON"},
     NULL,
     W(0.01, 10, "mse", true, NULL, false),
     false},
    {{"--verbose=1"}, NULL, W(0.01, 10, "mse", true, NULL, true), false},
    {{"--no-shuffle", "-s"},
     NULL,
     W(0.01, 10, "mse", true, NULL, false),
     false},
    {{"-s=false"}, NULL, W(0.01, 10, "mse", false, NULL, false), false},
    /* A boolean takes no separate value: "false" is then a stray word. */
    {{"--verbose", "false"},
     "unexpected argument 'false' among project flags (they read --name "
     "value)",
     W(0.01, 10, "mse", true, NULL, false),
     false},
    {{"--notes", "hello world"},
     NULL,
     W(0.01, 10, "mse", true, "hello world", false),
     false},
    {{"--notes="}, NULL, W(0.01, 10, "mse", true, "", false), false},
    {{"--notes=a=b"}, NULL, W(0.01, 10, "mse", true, "a=b", false), false},
    {{"--notes", "-x"}, NULL, W(0.01, 10, "mse", true, "-x", false), false},
    {{"--help"}, NULL, W(0.01, 10, "mse", true, NULL, false), true},
    {{"-e", "5", "-h"}, NULL, W(0.01, 5, "mse", true, NULL, false), true},
    /* errors */
    {{"--learnin-rate", "1"},
     "unknown flag --learnin-rate (did you mean --learning-rate?)",
     W(0.01, 10, "mse", true, NULL, false),
     false},
    {{"--learnin_rate=1"},
     "unknown flag --learnin_rate (did you mean --learning-rate?)",
     W(0.01, 10, "mse", true, NULL, false),
     false},
    {{"--no-verbos"},
     "unknown flag --no-verbos (did you mean --no-verbose?)",
     W(0.01, 10, "mse", true, NULL, false),
     false},
    {{"--xyzzy"},
     "unknown flag --xyzzy",
     W(0.01, 10, "mse", true, NULL, false),
     false},
    {{"-q"}, "unknown flag -q", W(0.01, 10, "mse", true, NULL, false), false},
    {{"--epochs"},
     "--epochs needs a value (INT)",
     W(0.01, 10, "mse", true, NULL, false),
     false},
    {{"--epochs", "--verbose"},
     "--epochs needs a value (INT)",
     W(0.01, 10, "mse", true, NULL, false),
     false},
    {{"-e"},
     "-e needs a value (INT)",
     W(0.01, 10, "mse", true, NULL, false),
     false},
    {{"--loss"},
     "--loss needs a value (CHOICE: mse, mae, huber)",
     W(0.01, 10, "mse", true, NULL, false),
     false},
    {{"--epochs", "12abc"},
     "--epochs: '12abc' is not an integer",
     W(0.01, 10, "mse", true, NULL, false),
     false},
    {{"--epochs", " 12"},
     "--epochs: ' 12' is not an integer",
     W(0.01, 10, "mse", true, NULL, false),
     false},
    {{"--epochs="},
     "--epochs: '' is not an integer",
     W(0.01, 10, "mse", true, NULL, false),
     false},
    {{"--epochs", "1.5"},
     "--epochs: '1.5' is not an integer",
     W(0.01, 10, "mse", true, NULL, false),
     false},
    {{"--epochs", "9223372036854775808"},
     "--epochs: '9223372036854775808' is out of range (-9223372036854775808 "
     "to 9223372036854775807)",
     W(0.01, 10, "mse", true, NULL, false),
     false},
    {{"-l", "0.1x"},
     "-l: '0.1x' is not a number",
     W(0.01, 10, "mse", true, NULL, false),
     false},
    {{"--learning-rate", "inf"},
     "--learning-rate: 'inf' is not a finite number",
     W(0.01, 10, "mse", true, NULL, false),
     false},
    {{"--learning-rate", "nan"},
     "--learning-rate: 'nan' is not a finite number",
     W(0.01, 10, "mse", true, NULL, false),
     false},
    {{"--learning-rate", "1e999"},
     "--learning-rate: '1e999' is not a finite number",
     W(0.01, 10, "mse", true, NULL, false),
     false},
    {{"--learning-rate", "1e-400"},
     "--learning-rate: '1e-400' is too close to 0 for a double (its smallest "
     "magnitude is 2.2250738585072014e-308)",
     W(0.01, 10, "mse", true, NULL, false),
     false},
    {{"--learning-rate", "-1e-310"},
     "--learning-rate: '-1e-310' is too close to 0 for a double (its smallest "
     "magnitude is 2.2250738585072014e-308)",
     W(0.01, 10, "mse", true, NULL, false),
     false},
    {{"--loss", "MAE"},
     "--loss: 'MAE' is not one of: mse, mae, huber",
     W(0.01, 10, "mse", true, NULL, false),
     false},
    {{"--loss", "mea"},
     "--loss: 'mea' is not one of: mse, mae, huber (did you mean mae?)",
     W(0.01, 10, "mse", true, NULL, false),
     false},
    {{"--shuffle=maybe"},
     "--shuffle: 'maybe' is not a boolean (use true or false, yes or no, on "
     "or off, 1 or 0)",
     W(0.01, 10, "mse", true, NULL, false),
     false},
    {{"--no-shuffle=1"},
     "--no-shuffle takes no value",
     W(0.01, 10, "mse", true, NULL, false),
     false},
    {{"--no-epochs"},
     "--no-epochs: --epochs is not a boolean flag (it takes a value of type "
     "INT)",
     W(0.01, 10, "mse", true, NULL, false),
     false},
    {{"stray"},
     "unexpected argument 'stray' among project flags (they read --name "
     "value)",
     W(0.01, 10, "mse", true, NULL, false),
     false},
    {{"--"},
     "unexpected argument '--' among project flags",
     W(0.01, 10, "mse", true, NULL, false),
     false},
    {{"--=\r3"}, /* found by the fuzz target: quoted, one line */
     "unexpected argument '--=?3' among project flags",
     W(0.01, 10, "mse", true, NULL, false),
     false},
    {{"--=3"},
     "unexpected argument '--=3' among project flags",
     W(0.01, 10, "mse", true, NULL, false),
     false},
};

static void check_values(const aeh_option_values *v, const expect *want,
                         size_t case_index) {
  if (v->values[0].d != want->lr || v->values[1].i != want->epochs ||
      strcmp(v->values[2].s, want->loss) != 0 ||
      v->values[3].b != want->shuffle || v->values[5].b != want->verbose)
    fail_msg("case %zu: got lr=%g epochs=%lld loss=%s shuffle=%d verbose=%d",
             case_index, v->values[0].d, (long long)v->values[1].i,
             v->values[2].s, v->values[3].b, v->values[5].b);
  if (want->notes == NULL)
    assert_null(v->values[4].s);
  else
    assert_string_equal(v->values[4].s, want->notes);
}

static void parse_table(void **state) {
  (void)state;
  for (size_t c = 0; c < sizeof parse_cases / sizeof parse_cases[0]; c++) {
    const parse_case *pc = &parse_cases[c];
    int argc = 0;
    while (argc < 8 && pc->argv[argc] != NULL)
      argc++;
    aeh_option_values v;
    aero_error err = AEH_ERROR_INIT;
    assert_int_equal(aeh_options_init(table, TABLE_COUNT, &v, &err), AERO_OK);
    bool help = false;
    aero_status rc =
        aeh_options_parse(&v, argc, (char *const *)pc->argv, &help, &err);
    if (pc->error == NULL) {
      if (rc != AERO_OK)
        fail_msg("case %zu (%s): unexpected error: %s", c, pc->argv[0],
                 err.message);
      check_values(&v, &pc->want, c);
      assert_int_equal(help, pc->help);
    } else {
      if (rc != AERO_E_INVALID)
        fail_msg("case %zu (%s): expected an error, got %d", c, pc->argv[0],
                 rc);
      if (strcmp(err.message, pc->error) != 0)
        fail_msg("case %zu: expected \"%s\"\n           got \"%s\"", c,
                 pc->error, err.message);
    }
    aeh_options_free(&v);
  }
}

static void sources_are_tracked(void **state) {
  (void)state;
  aeh_option_values v;
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_options_init(table, TABLE_COUNT, &v, &err), AERO_OK);
  char *argv[] = {"--epochs", "3"};
  bool help = false;
  assert_int_equal(aeh_options_parse(&v, 2, argv, &help, &err), AERO_OK);
  assert_int_equal(v.source[0], AEH_FROM_DEFAULT);
  assert_int_equal(v.source[1], AEH_FROM_CLI);
  aeh_options_free(&v);
}

/* Writes `text` as an ini file and loads it. */
static void load_ini(const char *text, char *path, size_t size,
                     aeh_config *cfg) {
  snprintf(path, size, "/tmp/aero-test-options-XXXXXX.ini");
  int fd = mkstemps(path, 4);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  aero_error err = AEH_ERROR_INIT;
  if (aeh_config_load(path, 1, cfg, &err) != AERO_OK)
    fail_msg("%s", err.message);
}

static void config_defaults_then_command_line(void **state) {
  (void)state;
  char path[64];
  aeh_config cfg;
  load_ini("[store]\n"
           "path = /elsewhere\n"
           "[flags]\n"
           "epochs = 7\n"
           "learning-rate = 0.3\n"
           "loss = huber\n"
           "shuffle = no\n"
           "notes = from the ini file\n",
           path, sizeof path, &cfg);
  aeh_option_values v;
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_options_init(table, TABLE_COUNT, &v, &err), AERO_OK);
  assert_int_equal(aeh_options_apply_config(&v, &cfg, &err), AERO_OK);
  expect from_ini = {.lr = 0.3,
                     .epochs = 7,
                     .loss = "huber",
                     .shuffle = false,
                     .notes = "from the ini file"};
  check_values(&v, &from_ini, 0);
  assert_int_equal(v.source[1], AEH_FROM_CONFIG);
  assert_int_equal(v.source[5], AEH_FROM_DEFAULT);
  char *argv[] = {"--epochs", "8", "--shuffle", "--notes=cli"};
  bool help = false;
  assert_int_equal(aeh_options_parse(&v, 4, argv, &help, &err), AERO_OK);
  expect overridden = {
      .lr = 0.3, .epochs = 8, .loss = "huber", .shuffle = true, .notes = "cli"};
  check_values(&v, &overridden, 1);
  assert_int_equal(v.source[1], AEH_FROM_CLI);
  assert_int_equal(v.source[0], AEH_FROM_CONFIG);
  aeh_options_free(&v);
  aeh_config_free(&cfg);
  unlink(path);
}

typedef struct ini_case {
  const char *text;
  const char *error; /* after "PATH:" */
} ini_case;

static void config_errors_name_file_and_line(void **state) {
  (void)state;
  static const ini_case cases[] = {
      {"[flags]\nepochs = many\n",
       "2: [flags] epochs: 'many' is not an integer"},
      {"; comment\n[flags]\n\nlearnin_rate = 1\n",
       "4: [flags] unknown key 'learnin_rate' (did you mean learning_rate?)"},
      {"[flags]\nlearnin-rate = 1\n",
       "2: [flags] unknown key 'learnin-rate' (did you mean learning_rate?)"},
      {"[flags]\nepochs = 1\nfrobnicate = yes\n",
       "3: [flags] unknown key 'frobnicate' (not an option of this project)"},
      {"[flags]\nloss = l1\n",
       "2: [flags] loss: 'l1' is not one of: mse, mae, huber"},
      {"[flags]\nshuffle = perhaps\n",
       "2: [flags] shuffle: 'perhaps' is not a boolean (use true or false, "
       "yes or no, on or off, 1 or 0)"},
      {"[flags]\nlearning_rate = inf\n",
       "2: [flags] learning_rate: 'inf' is not a finite number"},
      {"[flags]\nlearning_rate = 1\nepochs = 2\nlearning-rate = 3\n",
       "4: [flags] 'learning-rate' sets learning_rate again (first set on "
       "line 2)"},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    char path[64];
    aeh_config cfg;
    load_ini(cases[c].text, path, sizeof path, &cfg);
    aeh_option_values v;
    aero_error err = AEH_ERROR_INIT;
    assert_int_equal(aeh_options_init(table, TABLE_COUNT, &v, &err), AERO_OK);
    assert_int_equal(aeh_options_apply_config(&v, &cfg, &err), AERO_E_CONFIG);
    char want[256];
    snprintf(want, sizeof want, "%s:%s", path, cases[c].error);
    if (strcmp(err.message, want) != 0)
      fail_msg("case %zu: expected \"%s\"\n           got \"%s\"", c, want,
               err.message);
    aeh_options_free(&v);
    aeh_config_free(&cfg);
    unlink(path);
  }
}

typedef struct table_case {
  aero_option options[3];
  size_t count;
  const char *error; /* substring; NULL for a valid table */
} table_case;

static const char *const empty_choices[] = {NULL};
static const char *const blank_choice[] = {"a", "", NULL};
static const char *const ab_choices[] = {"a", "b", NULL};

static void table_checks(void **state) {
  (void)state;
  static const table_case cases[] = {
      {{{.type = AERO_OPT_INT, .name = "n"}}, 1, NULL},
      {{{.type = AERO_OPT_INT, .name = "_private9"}}, 1, NULL},
      {{{.type = AERO_OPT_INT, .name = NULL}}, 1, "option 0 has no name"},
      {{{.type = AERO_OPT_INT, .name = "9lives"}},
       1,
       "option name '9lives' is not a C identifier"},
      {{{.type = AERO_OPT_INT, .name = "has-dash"}},
       1,
       "option name 'has-dash' is not a C identifier"},
      {{{.type = AERO_OPT_INT,
         .name = "a234567890123456789012345678901234567890123456789012345678"
                 "9012345"}},
       1,
       "is not a C identifier"},
      {{{.type = AERO_OPT_BOOL, .name = "help"}}, 1, "reserved for --help"},
      {{{.type = 0, .name = "zero"}}, 1, "option 'zero' has unknown type 0"},
      {{{.type = 6, .name = "six"}}, 1, "option 'six' has unknown type 6"},
      {{{.type = AERO_OPT_INT, .name = "n", .short_name = '-'}},
       1,
       "short letter 0x2d"},
      {{{.type = AERO_OPT_INT, .name = "height", .short_name = 'h'}},
       1,
       "reserved for -h"},
      {{{.type = AERO_OPT_DOUBLE, .name = "x", .def = {.d = NAN}}},
       1,
       "option 'x' has a default that is not a finite number"},
      {{{.type = AERO_OPT_CHOICE, .name = "c"}},
       1,
       "CHOICE option 'c' has no choices"},
      {{{.type = AERO_OPT_CHOICE, .name = "c", .choices = empty_choices}},
       1,
       "CHOICE option 'c' has no choices"},
      {{{.type = AERO_OPT_CHOICE, .name = "c", .choices = blank_choice}},
       1,
       "CHOICE option 'c' has an empty choice"},
      {{{.type = AERO_OPT_CHOICE,
         .name = "c",
         .def = {.s = "z"},
         .choices = ab_choices}},
       1,
       "CHOICE option 'c' has default 'z', which is not one of its choices"},
      {{{.type = AERO_OPT_CHOICE,
         .name = "c",
         .def = {.s = "b"},
         .choices = ab_choices}},
       1,
       NULL},
      {{{.type = AERO_OPT_INT, .name = "n"},
        {.type = AERO_OPT_BOOL, .name = "n"}},
       2,
       "two options are named 'n'"},
      {{{.type = AERO_OPT_INT, .name = "a", .short_name = 'x'},
        {.type = AERO_OPT_BOOL, .name = "b", .short_name = 'x'}},
       2,
       "options 'a' and 'b' share the short letter 'x'"},
      {{{.type = AERO_OPT_BOOL, .name = "cache"},
        {.type = AERO_OPT_STRING, .name = "no_cache"}},
       2,
       "option 'no_cache' clashes with --no-cache of the boolean option "
       "'cache'"},
      {{{.type = AERO_OPT_STRING, .name = "no_cache"},
        {.type = AERO_OPT_BOOL, .name = "cache"}},
       2,
       "option 'no_cache' clashes with --no-cache"},
      {{{.type = AERO_OPT_INT, .name = "cache"},
        {.type = AERO_OPT_STRING, .name = "no_cache"}},
       2,
       NULL},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    aero_error err = AEH_ERROR_INIT;
    aero_status rc =
        aeh_options_check_table(cases[c].options, cases[c].count, &err);
    if (cases[c].error == NULL) {
      if (rc != AERO_OK)
        fail_msg("case %zu: unexpected error: %s", c, err.message);
    } else if (rc != AERO_E_INVALID ||
               strstr(err.message, cases[c].error) == NULL) {
      fail_msg("case %zu: expected '%s', got %d: %s", c, cases[c].error, rc,
               err.message);
    }
  }
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_options_check_table(NULL, 0, &err), AERO_OK);
  assert_int_equal(aeh_options_check_table(NULL, 1, &err), AERO_E_INVALID);
  assert_int_equal(aeh_options_check_table(table, TABLE_COUNT, &err), AERO_OK);
}

static void copy_is_deep_and_fills_choice_default(void **state) {
  (void)state;
  char name[] = "mode";
  char first[] = "fast", second[] = "slow";
  const char *choices[] = {first, second, NULL};
  aero_option src[] = {{.type = AERO_OPT_CHOICE,
                        .name = name,
                        .help = NULL,
                        .choices = choices}};
  aero_option *copy = NULL;
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_options_copy_table(src, 1, &copy, &err), AERO_OK);
  memset(name, 'x', 4);
  memset(first, 'x', 4);
  assert_string_equal(copy[0].name, "mode");
  assert_string_equal(copy[0].help, "");
  assert_string_equal(copy[0].def.s, "fast");
  assert_string_equal(copy[0].choices[0], "fast");
  assert_string_equal(copy[0].choices[1], "slow");
  assert_null(copy[0].choices[2]);
  aeh_options_free_table(copy, 1);
}

static void init_uses_first_choice_without_default(void **state) {
  (void)state;
  aero_option o[] = {{.type = AERO_OPT_CHOICE,
                      .name = "mode",
                      .choices = (const char *const[]){"fast", "slow", NULL}}};
  aeh_option_values v;
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_options_init(o, 1, &v, &err), AERO_OK);
  assert_string_equal(v.values[0].s, "fast");
  aeh_options_free(&v);
}

static void format_round_trips(void **state) {
  (void)state;
  char buf[64];
  aeh_options_format(AERO_OPT_DOUBLE, (aero_scalar){.d = 0.1}, buf, sizeof buf);
  assert_string_equal(buf, "0.1");
  aeh_options_format(AERO_OPT_DOUBLE, (aero_scalar){.d = 1e-7}, buf,
                     sizeof buf);
  assert_string_equal(buf, "1e-07");
  aeh_options_format(AERO_OPT_DOUBLE, (aero_scalar){.d = 1.0 / 3}, buf,
                     sizeof buf);
  assert_true(strtod(buf, NULL) == 1.0 / 3);
  aeh_options_format(AERO_OPT_INT, (aero_scalar){.i = -42}, buf, sizeof buf);
  assert_string_equal(buf, "-42");
  aeh_options_format(AERO_OPT_BOOL, (aero_scalar){.b = true}, buf, sizeof buf);
  assert_string_equal(buf, "true");
  aeh_options_format(AERO_OPT_STRING, (aero_scalar){.s = NULL}, buf,
                     sizeof buf);
  assert_string_equal(buf, "(none)");
  aeh_options_format(AERO_OPT_CHOICE, (aero_scalar){.s = "mae"}, buf,
                     sizeof buf);
  assert_string_equal(buf, "mae");
  assert_string_equal(aeh_option_type_name(AERO_OPT_CHOICE), "CHOICE");
  assert_string_equal(aeh_option_type_name(99), "?");
}

static void edit_distance_table(void **state) {
  (void)state;
  static const struct {
    const char *a, *b;
    size_t d;
  } cases[] = {
      {"", "", 0},
      {"", "abc", 3},
      {"abc", "abc", 0},
      {"kitten", "sitting", 3},
      {"ab", "ba", 1},
      {"learnin-rate", "learning-rate", 1},
      {"lerning-rate", "learning-rate", 1},
      {"laerning-rate", "learning-rate", 1},
      {"dry-urn", "dry-run", 1},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    size_t got = aeh_edit_distance(cases[c].a, cases[c].b);
    if (got != cases[c].d)
      fail_msg("d(%s, %s) = %zu, expected %zu", cases[c].a, cases[c].b, got,
               cases[c].d);
    assert_int_equal(aeh_edit_distance(cases[c].b, cases[c].a), cases[c].d);
  }
}

static void suggest_only_when_close(void **state) {
  (void)state;
  const char *names[] = {"learning-rate", "epochs", "loss", "dry-run"};
  assert_string_equal(aeh_suggest("learnin-rate", names, 4), "learning-rate");
  assert_string_equal(aeh_suggest("epoch", names, 4), "epochs");
  assert_string_equal(aeh_suggest("dyr-run", names, 4), "dry-run");
  assert_null(aeh_suggest("xyzzy", names, 4));
  assert_null(aeh_suggest("l", names, 4));
  assert_null(aeh_suggest("anything", names, 0));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(parse_table),
      cmocka_unit_test(sources_are_tracked),
      cmocka_unit_test(config_defaults_then_command_line),
      cmocka_unit_test(config_errors_name_file_and_line),
      cmocka_unit_test(table_checks),
      cmocka_unit_test(copy_is_deep_and_fills_choice_default),
      cmocka_unit_test(init_uses_first_choice_without_default),
      cmocka_unit_test(format_round_trips),
      cmocka_unit_test(edit_distance_table),
      cmocka_unit_test(suggest_only_when_close),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
