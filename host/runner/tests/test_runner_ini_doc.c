/* aeromancy.ini's documented sections (ini_doc.c) are exactly the sections
 * the file may hold (config.c): a section added to one and not the other
 * would be documented but refused, or accepted but undocumented. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "config.h"
#include "ini_doc.h"

static void documented_sections_are_the_accepted_ones(void **state) {
  (void)state;
  size_t documented = 0;
  for (const char *name; (name = aeh_ini_section_name(documented)) != NULL;
       documented++) {
    if (!aeh_config_section_known(name))
      fail_msg("[%s] is documented but config.c refuses it", name);
  }
  size_t accepted = 0;
  while (aeh_config_sections[accepted] != NULL)
    accepted++;
  assert_int_equal(documented, accepted);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(documented_sections_are_the_accepted_ones),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
