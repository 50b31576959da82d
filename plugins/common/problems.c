/* One fsck/check problem handed to the caller's callback: the same for
 * every backend, so both count and report it alike. */
#include "plugin_common.h"

aero_status pc_report_problem(const pc_problem_sink *sink,
                              aero_check_report *counts, uint32_t kind,
                              const char *subject, const char *detail,
                              int64_t run_id, int64_t version_id,
                              bool repaired) {
  counts->problems++;
  if (sink->each == NULL)
    return AERO_OK;
  aero_problem p = {.struct_size = sizeof p,
                    .kind = kind,
                    .subject = subject,
                    .detail = detail,
                    .run_id = run_id,
                    .version_id = version_id,
                    .repaired = repaired};
  return sink->each(sink->ctx, &p, sink->err);
}
