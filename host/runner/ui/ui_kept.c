/* A finished run's answers as kept (ui_kept.h). */
#include "ui_kept.h"

#include <stdio.h>
#include <string.h>

#include "record_json.h"

static aero_status on_state(void *ctx, const aero_run_info *run,
                            aero_error *err) {
  (void)err;
  *(uint32_t *)ctx = run->state;
  return AERO_OK;
}

/* Asks the backend every time, so a run that is gone is never answered
 * from memory. */
void aeh_ui_kept_key(const aeh_record *rec, int64_t id, const char *what,
                     char *key, size_t size) {
  uint32_t state = 0;
  aero_error err = AEH_ERROR_INIT;
  aero_run_sink sink = {.struct_size = sizeof sink, .run = on_state};
  key[0] = '\0';
  if (rec->vt->query_run(rec->handle, id, &sink, &state, &err) == AERO_OK &&
      state != 0 && state != AERO_RUN_RUNNING &&
      (size_t)snprintf(key, size, "%lld/%s", (long long)id, what) >= size)
    key[0] = '\0';
}

char *aeh_ui_kept_text(json_t *doc, size_t *len) {
  char *text = aeh_json_dumps(doc, JSON_COMPACT | JSON_ESCAPE_SLASH);
  json_decref(doc);
  if (text != NULL)
    *len = strlen(text);
  return text;
}
