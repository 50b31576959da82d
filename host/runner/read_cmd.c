/* Shared by the read commands; see read_cmd.h. */
#include "read_cmd.h"

#include <errno.h>

#include "go.h"
#include "json_out.h"

int aeh_read_fail(const aeh_command *cmd, aero_status status,
                  const aero_error *err) {
  fprintf(stderr, "aeromancy %s: %s\n", cmd->name,
          err->message[0] != '\0' ? err->message : aero_status_str(status));
  switch (status) {
  case AERO_E_NOT_FOUND:
  case AERO_E_INVALID:
  case AERO_E_CONFIG:
    return AEH_EXIT_USAGE;
  default:
    return AEH_EXIT_INFRA;
  }
}

static int apply_read(void *ctx, const aeh_option *op, const char *value) {
  aeh_read_opts *o = ctx;
  if (op->id == AEH_READ_O_STORE) {
    o->store = value;
    return 0;
  }
  return o->apply != NULL ? o->apply(ctx, op, value) : 0;
}

int aeh_read_start(const aeh_command *cmd, int argc, char **argv,
                   aeh_read_opts *opts, aeh_args *args, aeh_record *rec) {
  int rc = aeh_command_parse(cmd, argc, argv, apply_read, opts, args);
  if (rc >= 0)
    return rc;
  if (opts->check != NULL && (rc = opts->check(cmd, opts, args)) >= 0)
    return rc;
  aero_error err = AEH_ERROR_INIT;
  aero_status status = aeh_record_open(NULL, opts->store, rec, &err);
  if (status != AERO_OK)
    return aeh_read_fail(cmd, status, &err);
  if (!opts->as_found)
    aeh_record_settle_dead(rec);
  return -1;
}

int aeh_read_write_json(const aeh_command *cmd, const json_t *doc) {
  if (aeh_json_write(stdout, doc) == 0)
    return AEH_EXIT_OK;
  return aeh_command_write_failed(cmd, 0);
}

int aeh_read_finish(const aeh_command *cmd, aero_status status,
                    const aero_error *err, json_t *doc, bool json,
                    void (*print_text)(const json_t *doc), aeh_record *rec) {
  int rc = AEH_EXIT_OK;
  if (status != AERO_OK) {
    rc = aeh_read_fail(cmd, status, err);
  } else if (json) {
    rc = aeh_read_write_json(cmd, doc);
  } else {
    print_text(doc);
    if (fflush(stdout) != 0)
      rc = aeh_command_write_failed(cmd, errno);
  }
  json_decref(doc);
  aeh_record_close(rec);
  return rc;
}
