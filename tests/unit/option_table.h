/* An option table with an option of every type, the same as
 * tests/plugins/ldr_good.c's: parsed by test_options.c and by the fuzz
 * targets of the flag parser and aeromancy.ini (tests/fuzz/). Include it
 * once per program. */
#ifndef AERO_TEST_OPTION_TABLE_H
#define AERO_TEST_OPTION_TABLE_H

#include <aeromancy/builder.h>

static const char *const loss_choices[] = {"mse", "mae", "huber", NULL};

static const aero_option table[] = {
    {.type = AERO_OPT_DOUBLE,
     .short_name = 'l',
     .name = "learning_rate",
     .help = "Step size",
     .def = {.d = 0.01}},
    {.type = AERO_OPT_INT,
     .short_name = 'e',
     .name = "epochs",
     .help = "Passes",
     .def = {.i = 10}},
    {.type = AERO_OPT_CHOICE,
     .name = "loss",
     .help = "Loss",
     .def = {.s = "mse"},
     .choices = loss_choices},
    {.type = AERO_OPT_BOOL,
     .short_name = 's',
     .name = "shuffle",
     .help = "Shuffle",
     .def = {.b = true}},
    {.type = AERO_OPT_STRING, .name = "notes", .help = "Notes"},
    {.type = AERO_OPT_BOOL, .name = "verbose", .help = "More"},
};
#define TABLE_COUNT (sizeof table / sizeof table[0])

#endif /* AERO_TEST_OPTION_TABLE_H */
