/* Registration edge cases, chosen at init by $LDR_CASE, so that one fixture
 * covers every way a registration can be wrong (tests/unit/test_loader.c).
 */
#include <aeromancy/aeromancy.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static aero_registrar *saved_registrar;

static aero_status rg_nothing(void *data, aero_tracker *tracker,
                              aero_error *err) {
  (void)data, (void)tracker, (void)err;
  return AERO_OK;
}

static aero_status rg_new(void **self, aero_error *err) {
  (void)err;
  *self = NULL;
  return AERO_OK;
}

/* Registers after init returned: must get AERO_E_STATE. Fails with the
 * status it got, so the test can read it. */
static aero_status rg_late_new(void **self, aero_error *err);

static aero_status rg_build(void *self, aero_graph *graph, aero_error *err) {
  (void)self;
  const char *outputs[] = {"out"};
  return aero_graph_add(graph,
                        &AERO_ACTION(.job_type = "job", .outputs = outputs,
                                     .output_count = 1, .run = rg_nothing),
                        err);
}

AERO_BUILDER(good, "rg", "Registrar fixture", AERO_NO_OPTIONS, rg_new, rg_build,
             NULL);
AERO_BUILDER(late, "rglate", "Registers too late", AERO_NO_OPTIONS, rg_late_new,
             rg_build, NULL);

static aero_status rg_late_new(void **self, aero_error *err) {
  (void)self;
  aero_status rc = aero_register_builder(saved_registrar, &good, err);
  return aero_fail(err, AERO_E_INVALID, "late register_builder returned %s",
                   aero_status_name(rc));
}

/* A builder struct from a "newer" SDK: one more member at the end. */
typedef struct larger_builder {
  aero_builder_vtable vt;
  void (*future)(void);
} larger_builder;

static aero_status with_options(const aero_option *options, size_t count,
                                aero_registrar *reg, aero_error *err) {
  aero_builder_vtable vt = good;
  vt.options = options;
  vt.option_count = count;
  return aero_register_builder(reg, &vt, err);
}

static aero_status rg_init(aero_registrar *reg, aero_error *err) {
  const char *c = getenv("LDR_CASE");
  aero_builder_vtable vt = good;
  if (c == NULL)
    c = "";
  if (strcmp(c, "null_vtable") == 0)
    return aero_register_builder(reg, NULL, err);
  if (strcmp(c, "builder_size_zero") == 0) {
    vt.struct_size = 0;
    return aero_register_builder(reg, &vt, err);
  }
  if (strcmp(c, "builder_size_short") == 0) {
    vt.struct_size = 16;
    return aero_register_builder(reg, &vt, err);
  }
  if (strcmp(c, "builder_larger") == 0) {
    larger_builder big = {.vt = good, .future = NULL};
    big.vt.struct_size = sizeof big;
    return aero_register_builder(reg, &big.vt, err);
  }
  if (strcmp(c, "bad_project") == 0) {
    vt.project = "has space";
    return aero_register_builder(reg, &vt, err);
  }
  if (strcmp(c, "no_project") == 0) {
    vt.project = NULL;
    return aero_register_builder(reg, &vt, err);
  }
  if (strcmp(c, "dup_builder") == 0) {
    aero_status rc = aero_register_builder(reg, &good, err);
    return rc ? rc : aero_register_builder(reg, &good, err);
  }
  if (strcmp(c, "backend_in_project") == 0) {
    aero_backend_vtable b = {.struct_size = sizeof b, .name = "x"};
    return aero_register_backend(reg, &b, err);
  }
  if (strcmp(c, "ignored_failure") == 0) {
    vt.build_actions = NULL;
    (void)aero_register_builder(reg, &vt, err); /* ignored on purpose */
    return aero_register_builder(reg, &good, err);
  }
  if (strcmp(c, "late") == 0) {
    saved_registrar = reg;
    return aero_register_builder(reg, &late, err);
  }
  if (strcmp(c, "strings_copied") == 0) {
    /* Everything on the heap, scribbled over once registered. */
    char *project = strdup("heapproj");
    char *description = strdup("heap description");
    char *name = strdup("heap_option");
    char *help = strdup("heap help");
    char *choice_a = strdup("first"), *choice_b = strdup("second");
    const char **choices = calloc(3, sizeof *choices);
    aero_option *options = calloc(1, sizeof *options);
    if (!project || !description || !name || !help || !choice_a || !choice_b ||
        !choices || !options)
      return aero_fail(err, AERO_E_NOMEM, "out of memory");
    choices[0] = choice_a;
    choices[1] = choice_b;
    options[0] = (aero_option){.type = AERO_OPT_CHOICE,
                               .short_name = 'x',
                               .name = name,
                               .help = help,
                               .def = {.s = choice_b},
                               .choices = choices};
    vt.project = project;
    vt.description = description;
    vt.options = options;
    vt.option_count = 1;
    aero_status rc = aero_register_builder(reg, &vt, err);
    char *all[] = {project, description, name, help, choice_a, choice_b};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
      memset(all[i], 'Z', strlen(all[i]));
      free(all[i]);
    }
    free(choices);
    free(options);
    return rc;
  }
  if (strcmp(c, "options_dup_short") == 0) {
    static const aero_option o[] = {
        {.type = AERO_OPT_INT, .short_name = 'n', .name = "count"},
        {.type = AERO_OPT_INT, .short_name = 'n', .name = "number"}};
    return with_options(o, 2, reg, err);
  }
  if (strcmp(c, "options_bad_type") == 0) {
    static const aero_option o[] = {{.type = 42, .name = "weird"}};
    return with_options(o, 1, reg, err);
  }
  if (strcmp(c, "options_choice_empty") == 0) {
    static const aero_option o[] = {{.type = AERO_OPT_CHOICE, .name = "mode"}};
    return with_options(o, 1, reg, err);
  }
  if (strcmp(c, "options_null_table") == 0)
    return with_options(NULL, 3, reg, err);
  return aero_register_builder(reg, &good, err);
}

AERO_PLUGIN(AERO_PLUGIN_PROJECT, "ldr_registrar", "1", rg_init)
