/* Artifact references (artifact_ref.c): the input is the text of a
 * reference. A reference that parses formats back to text that parses to
 * the same reference; one that does not is refused in one line. */
#include <stddef.h>
#include <stdint.h>

#include "artifact_ref.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_text(data, size);
  aeh_artifact_ref ref;
  aero_error err = AEH_ERROR_INIT;
  if (aeh_artifact_ref_parse(text, &ref, &err) != AERO_OK) {
    fuzz_check_one_line(&err);
    free(text);
    return 0;
  }
  aeh_artifact_ref_default(&ref, "entity", "project");
  aero_artifact_ref view = aeh_artifact_ref_view(&ref);
  char formatted[4 * AEH_REF_PART_MAX + 32];
  int n =
      aeh_artifact_ref_format(&view, ref.version, formatted, sizeof formatted);
  if (n < 0 || (size_t)n >= sizeof formatted)
    abort();
  aeh_artifact_ref again;
  if (aeh_artifact_ref_parse(formatted, &again, &err) != AERO_OK ||
      !aeh_artifact_ref_same(&ref, &again) ||
      (ref.version >= 0 && again.version != ref.version)) {
    fprintf(stderr, "fuzz: '%s' formats as '%s', which reads back otherwise\n",
            text, formatted);
    abort();
  }
  free(text);
  return 0;
}
