/* Pins the layout of every struct that crosses the plugin ABI to its
 * x86-64 values in ABI 1.7, and the numbers of every enum, so that an
 * accidental change (a reordered member, a changed type, a renumbered
 * status) fails here before it breaks plugins built against an older SDK.
 * Growing the ABI means appending members and updating these pins in the
 * same change as a new ABI minor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <aeromancy/aeromancy.h>

#include "api_table.h"

#define SIZE(type, n) assert_int_equal(sizeof(type), (n))
#define OFF(type, member, n) assert_int_equal(offsetof(type, member), (n))

/* Every struct and union of sdk/include/aeromancy, as pinned below. */
static const char *const pinned[] = {
    "aero_scalar",
    "aero_value",
    "aero_kv",
    "aero_metric",
    "aero_action_desc",
    "aero_input",
    "aero_output_desc",
    "aero_option",
    "aero_builder_vtable",
    "aero_backend_open_params",
    "aero_run_record",
    "aero_run_outcome",
    "aero_artifact_ref",
    "aero_artifact_version",
    "aero_metric_row",
    "aero_backend_vtable",
    "aero_host_api",
    "aero_plugin_info",
    "aero_run_filter",
    "aero_run_info",
    "aero_version_info",
    "aero_file_info",
    "aero_log_line",
    "aero_metric_summary",
    "aero_version_filter",
    "aero_metric_query",
    "aero_run_sink",
    "aero_problem",
    "aero_check_params",
    "aero_check_report",
    "aero_garbage",
    "aero_collect_params",
    "aero_reuse_query",
    "aero_reuse_match",
    "aero_reuse_item",
};

static void struct_layouts(void **state) {
  (void)state;
  SIZE(aero_scalar, 8);
  SIZE(aero_value, 16);
  OFF(aero_value, type, 0);
  OFF(aero_value, reserved, 4);
  OFF(aero_value, as, 8);
  SIZE(aero_kv, 24);
  OFF(aero_kv, key, 0);
  OFF(aero_kv, value, 8);
  SIZE(aero_metric, 16);
  OFF(aero_metric, key, 0);
  OFF(aero_metric, value, 8);
  SIZE(aero_action_desc, 136);
  OFF(aero_action_desc, struct_size, 0);
  OFF(aero_action_desc, job_type, 8);
  OFF(aero_action_desc, job_group, 16);
  OFF(aero_action_desc, outputs, 24);
  OFF(aero_action_desc, output_count, 32);
  OFF(aero_action_desc, parents, 40);
  OFF(aero_action_desc, parent_count, 48);
  OFF(aero_action_desc, config, 56);
  OFF(aero_action_desc, config_count, 64);
  OFF(aero_action_desc, run, 72);
  OFF(aero_action_desc, data, 80);
  OFF(aero_action_desc, destroy, 88);
  OFF(aero_action_desc, code_version, 96); /* since 1.3 */
  OFF(aero_action_desc, is_volatile, 104);
  OFF(aero_action_desc, cpus, 108); /* since 1.4 */
  OFF(aero_action_desc, gpus, 112);
  OFF(aero_action_desc, time_limit_s, 116);
  OFF(aero_action_desc, memory_mb, 120);
  OFF(aero_action_desc, partition, 128);
  SIZE(aero_input, 48);
  OFF(aero_input, struct_size, 0);
  OFF(aero_input, artifact, 8);
  OFF(aero_input, directory, 16);
  OFF(aero_input, paths, 24);
  OFF(aero_input, path_count, 32);
  OFF(aero_input, artifact_type, 40);
  SIZE(aero_output_desc, 64);
  OFF(aero_output_desc, struct_size, 0);
  OFF(aero_output_desc, name, 8);
  OFF(aero_output_desc, files, 16);
  OFF(aero_output_desc, file_count, 24);
  OFF(aero_output_desc, artifact_type, 32);
  OFF(aero_output_desc, strip_prefix, 40);
  OFF(aero_output_desc, metadata, 48);
  OFF(aero_output_desc, metadata_count, 56);
  SIZE(aero_option, 40);
  OFF(aero_option, type, 0);
  OFF(aero_option, short_name, 4);
  OFF(aero_option, name, 8);
  OFF(aero_option, help, 16);
  OFF(aero_option, def, 24);
  OFF(aero_option, choices, 32);
  SIZE(aero_builder_vtable, 64);
  OFF(aero_builder_vtable, struct_size, 0);
  OFF(aero_builder_vtable, project, 8);
  OFF(aero_builder_vtable, description, 16);
  OFF(aero_builder_vtable, options, 24);
  OFF(aero_builder_vtable, option_count, 32);
  OFF(aero_builder_vtable, constructor, 40);
  OFF(aero_builder_vtable, build_actions, 48);
  OFF(aero_builder_vtable, destroy, 56);
  SIZE(aero_backend_open_params, 24);
  OFF(aero_backend_open_params, struct_size, 0);
  OFF(aero_backend_open_params, location, 8);
  OFF(aero_backend_open_params, flags, 16);
  SIZE(aero_run_record, 160);
  OFF(aero_run_record, struct_size, 0);
  OFF(aero_run_record, entity, 8);
  OFF(aero_run_record, project, 16);
  OFF(aero_run_record, job_type, 24);
  OFF(aero_run_record, job_group, 32);
  OFF(aero_run_record, outputs, 40);
  OFF(aero_run_record, output_count, 48);
  OFF(aero_run_record, config, 56);
  OFF(aero_run_record, config_count, 64);
  OFF(aero_run_record, tags, 72);
  OFF(aero_run_record, tag_count, 80);
  OFF(aero_run_record, environment, 88);
  OFF(aero_run_record, environment_count, 96);
  OFF(aero_run_record, dev, 104);
  OFF(aero_run_record, started_ns, 112);
  OFF(aero_run_record, input_ids, 120);   /* since 1.5 */
  OFF(aero_run_record, input_count, 128); /* since 1.5 */
  OFF(aero_run_record, reuse_key, 136);   /* since 1.5 */
  OFF(aero_run_record, reuse_job, 144);   /* since 1.5 */
  OFF(aero_run_record, reuse_parts, 152); /* since 1.5 */
  SIZE(aero_run_outcome, 32);
  OFF(aero_run_outcome, struct_size, 0);
  OFF(aero_run_outcome, state, 4);
  OFF(aero_run_outcome, exit_code, 8);
  OFF(aero_run_outcome, signal, 12);
  OFF(aero_run_outcome, message, 16);
  OFF(aero_run_outcome, ended_ns, 24);
  SIZE(aero_artifact_ref, 32);
  OFF(aero_artifact_ref, entity, 0);
  OFF(aero_artifact_ref, project, 8);
  OFF(aero_artifact_ref, name, 16);
  OFF(aero_artifact_ref, version, 24);
  SIZE(aero_artifact_version, 160);
  OFF(aero_artifact_version, struct_size, 0);
  OFF(aero_artifact_version, id, 8);
  OFF(aero_artifact_version, version, 16);
  OFF(aero_artifact_version, dev, 24);
  OFF(aero_artifact_version, digest, 25);
  OFF(aero_artifact_version, type, 90);
  SIZE(aero_backend_vtable, 216);
  OFF(aero_backend_vtable, struct_size, 0);
  OFF(aero_backend_vtable, name, 8);
  OFF(aero_backend_vtable, open, 16);
  OFF(aero_backend_vtable, close, 24);
  OFF(aero_backend_vtable, run_begin, 32);
  OFF(aero_backend_vtable, run_end, 40);
  OFF(aero_backend_vtable, resolve, 48);
  OFF(aero_backend_vtable, record_input, 56);
  OFF(aero_backend_vtable, materialize, 64);
  OFF(aero_backend_vtable, put_output, 72);
  OFF(aero_backend_vtable, log_metrics, 80);
  OFF(aero_backend_vtable, log_text, 88);
  OFF(aero_backend_vtable, log_metric_rows, 96);
  OFF(aero_backend_vtable, query_runs, 104);
  OFF(aero_backend_vtable, query_run, 112);
  OFF(aero_backend_vtable, query_metrics, 120);
  OFF(aero_backend_vtable, query_versions, 128);
  OFF(aero_backend_vtable, query_files, 136);
  OFF(aero_backend_vtable, check, 144);
  OFF(aero_backend_vtable, collect, 152);
  OFF(aero_backend_vtable, reuse_key, 160); /* since 1.3 */
  OFF(aero_backend_vtable, reuse_find, 168);
  OFF(aero_backend_vtable, reuse_record, 176);
  OFF(aero_backend_vtable, query_metadata, 184); /* since 1.4 */
  OFF(aero_backend_vtable, reuse_record_batch, 192);
  OFF(aero_backend_vtable, reuse_find_batch, 200); /* since 1.6 */
  OFF(aero_backend_vtable, settle_dead, 208);      /* since 1.7 */
  SIZE(aero_reuse_item, 48);
  OFF(aero_reuse_item, struct_size, 0);
  OFF(aero_reuse_item, record, 8);
  OFF(aero_reuse_item, reused_run_id, 16);
  OFF(aero_reuse_item, input_ids, 24);
  OFF(aero_reuse_item, input_count, 32);
  OFF(aero_reuse_item, run_id, 40);
  SIZE(aero_reuse_query, 56);
  OFF(aero_reuse_query, struct_size, 0);
  OFF(aero_reuse_query, entity, 8);
  OFF(aero_reuse_query, project, 16);
  OFF(aero_reuse_query, job_type, 24);
  OFF(aero_reuse_query, key, 32);
  OFF(aero_reuse_query, dev, 40);
  OFF(aero_reuse_query, job, 48);
  SIZE(aero_reuse_match, 280);
  OFF(aero_reuse_match, struct_size, 0);
  OFF(aero_reuse_match, run_id, 8);
  OFF(aero_reuse_match, ended_ns, 16);
  OFF(aero_reuse_match, parts, 24);
  SIZE(aero_metric_row, 32);
  OFF(aero_metric_row, key, 0);
  OFF(aero_metric_row, value, 8);
  OFF(aero_metric_row, step, 16);
  OFF(aero_metric_row, logged_ns, 24);
  SIZE(aero_host_api, 104);
  OFF(aero_host_api, struct_size, 0);
  OFF(aero_host_api, abi_major, 4);
  OFF(aero_host_api, abi_minor, 6);
  OFF(aero_host_api, host_version, 8);
  OFF(aero_host_api, error_set, 16);
  OFF(aero_host_api, register_builder, 24);
  OFF(aero_host_api, register_backend, 32);
  OFF(aero_host_api, graph_add, 40);
  OFF(aero_host_api, declare_input, 48);
  OFF(aero_host_api, declare_output, 56);
  OFF(aero_host_api, log_metrics, 64);
  OFF(aero_host_api, log_text, 72);
  OFF(aero_host_api, bailout, 80);
  OFF(aero_host_api, workdir, 88);
  OFF(aero_host_api, progress, 96);
  SIZE(aero_plugin_info, 40);
  OFF(aero_plugin_info, magic, 0);
  OFF(aero_plugin_info, struct_size, 4);
  OFF(aero_plugin_info, abi_major, 8);
  OFF(aero_plugin_info, abi_minor, 10);
  OFF(aero_plugin_info, kind, 12);
  OFF(aero_plugin_info, name, 16);
  OFF(aero_plugin_info, version, 24);
  OFF(aero_plugin_info, init, 32);
}

/* A struct added to the SDK without a pin here fails this test. */
static void every_sdk_struct_is_pinned(void **state) {
  (void)state;
  const char *src = getenv("AERO_SOURCE_DIR");
  assert_non_null(src);
  char dir_path[4096];
  snprintf(dir_path, sizeof dir_path, "%s/sdk/include/aeromancy", src);
  DIR *dir = opendir(dir_path);
  assert_non_null(dir);
  size_t found = 0;
  struct dirent *entry;
  while ((entry = readdir(dir)) != NULL) {
    size_t len = strlen(entry->d_name);
    if (len < 3 || strcmp(entry->d_name + len - 2, ".h") != 0)
      continue;
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir_path, entry->d_name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[512];
    while (fgets(line, sizeof line, f) != NULL) {
      char kind[16], name[128], brace[4];
      /* "typedef struct NAME {" defines a layout; opaque typedefs
       * ("typedef struct NAME NAME;") do not. */
      if (sscanf(line, "typedef %15s %127s %3s", kind, name, brace) != 3 ||
          (strcmp(kind, "struct") != 0 && strcmp(kind, "union") != 0) ||
          strcmp(brace, "{") != 0)
        continue;
      bool known = false;
      for (size_t i = 0; i < sizeof pinned / sizeof pinned[0]; i++)
        known = known || strcmp(pinned[i], name) == 0;
      if (!known)
        fail_msg("%s: %s %s crosses the ABI but its layout is not pinned "
                 "in test_abi_layout.c",
                 entry->d_name, kind, name);
      found++;
    }
    fclose(f);
  }
  closedir(dir);
  assert_int_equal(found, sizeof pinned / sizeof pinned[0]);
}

/* The rows and filters of the query members (query.h), since ABI 1.2. */
static void query_layouts(void **state) {
  (void)state;
  SIZE(aero_run_filter, 88);
  OFF(aero_run_filter, struct_size, 0);
  OFF(aero_run_filter, state, 4);
  OFF(aero_run_filter, project, 8);
  OFF(aero_run_filter, job_type, 16);
  OFF(aero_run_filter, tag, 24);
  OFF(aero_run_filter, branch, 32);
  OFF(aero_run_filter, mode, 40);
  OFF(aero_run_filter, limit, 44);
  OFF(aero_run_filter, since_ns, 48);
  OFF(aero_run_filter, before_id, 56);
  OFF(aero_run_filter, after_id, 64);
  OFF(aero_run_filter, input_version_id, 72);
  OFF(aero_run_filter, oldest_first, 80);
  SIZE(aero_run_info, 120);
  OFF(aero_run_info, struct_size, 0);
  OFF(aero_run_info, state, 4);
  OFF(aero_run_info, id, 8);
  OFF(aero_run_info, entity, 16);
  OFF(aero_run_info, project, 24);
  OFF(aero_run_info, job_type, 32);
  OFF(aero_run_info, job_group, 40);
  OFF(aero_run_info, outputs, 48);
  OFF(aero_run_info, dev, 56);
  OFF(aero_run_info, exit_code, 60);
  OFF(aero_run_info, signal, 64);
  OFF(aero_run_info, message, 72);
  OFF(aero_run_info, started_ns, 80);
  OFF(aero_run_info, ended_ns, 88);
  OFF(aero_run_info, git_commit, 96);
  OFF(aero_run_info, git_branch, 104);
  OFF(aero_run_info, reused_run, 112);
  SIZE(aero_version_info, 96);
  OFF(aero_version_info, struct_size, 0);
  OFF(aero_version_info, dev, 4);
  OFF(aero_version_info, id, 8);
  OFF(aero_version_info, entity, 16);
  OFF(aero_version_info, project, 24);
  OFF(aero_version_info, name, 32);
  OFF(aero_version_info, version, 40);
  OFF(aero_version_info, digest, 48);
  OFF(aero_version_info, type, 56);
  OFF(aero_version_info, run_id, 64);
  OFF(aero_version_info, created_ns, 72);
  OFF(aero_version_info, file_count, 80);
  OFF(aero_version_info, total_size, 88);
  SIZE(aero_file_info, 32);
  OFF(aero_file_info, path, 8);
  OFF(aero_file_info, sha256, 16);
  OFF(aero_file_info, size, 24);
  SIZE(aero_log_line, 24);
  OFF(aero_log_line, level, 4);
  OFF(aero_log_line, message, 8);
  OFF(aero_log_line, logged_ns, 16);
  OFF(aero_file_info, struct_size, 0);
  SIZE(aero_metric_summary, 56);
  OFF(aero_metric_summary, key, 8);
  OFF(aero_metric_summary, count, 16);
  OFF(aero_metric_summary, last, 24);
  OFF(aero_metric_summary, min, 32);
  OFF(aero_metric_summary, max, 40);
  OFF(aero_metric_summary, last_step, 48);
  SIZE(aero_version_filter, 56);
  OFF(aero_version_filter, mode, 4);
  OFF(aero_version_filter, entity, 8);
  OFF(aero_version_filter, project, 16);
  OFF(aero_version_filter, name, 24);
  OFF(aero_version_filter, version, 32);
  OFF(aero_version_filter, run_id, 40);
  OFF(aero_version_filter, version_id, 48);
  SIZE(aero_metric_query, 32);
  OFF(aero_metric_query, run_id, 8);
  OFF(aero_metric_query, keys, 16);
  OFF(aero_metric_query, key_count, 24);
  SIZE(aero_run_sink, 72);
  OFF(aero_run_sink, run, 8);
  OFF(aero_run_sink, environment, 16);
  OFF(aero_run_sink, config, 24);
  OFF(aero_run_sink, tag, 32);
  OFF(aero_run_sink, input, 40);
  OFF(aero_run_sink, output, 48);
  OFF(aero_run_sink, log_line, 56);
  OFF(aero_run_sink, metric_summary, 64);
  SIZE(aero_problem, 48);
  OFF(aero_problem, kind, 4);
  OFF(aero_problem, subject, 8);
  OFF(aero_problem, detail, 16);
  OFF(aero_problem, run_id, 24);
  OFF(aero_problem, version_id, 32);
  OFF(aero_problem, repaired, 40);
  SIZE(aero_check_params, 8);
  OFF(aero_check_params, repair, 4);
  SIZE(aero_check_report, 48);
  OFF(aero_check_report, blobs_checked, 8);
  OFF(aero_check_report, bytes_hashed, 16);
  OFF(aero_check_report, files_checked, 24);
  OFF(aero_check_report, orphans, 32);
  OFF(aero_check_report, problems, 40);
  SIZE(aero_garbage, 24);
  OFF(aero_garbage, kind, 4);
  OFF(aero_garbage, subject, 8);
  OFF(aero_garbage, bytes, 16);
  SIZE(aero_collect_params, 16);
  OFF(aero_collect_params, dry_run, 4);
  OFF(aero_collect_params, keep_dev_ns, 8);
}

static void enum_values_and_constants(void **state) {
  (void)state;
  assert_int_equal(AERO_ABI_MAJOR, 1);
  assert_int_equal(AERO_ABI_MINOR, 7);
  assert_int_equal(AERO_PLUGIN_MAGIC, 0x4F524541u);
  assert_memory_equal(&(uint32_t){AERO_PLUGIN_MAGIC}, "AERO", 4);
  assert_string_equal(AERO_ENTRY_SYMBOL, "aero_plugin_entry");
  assert_int_equal(AERO_ERROR_MESSAGE_MAX, 1024);
  assert_int_equal(AERO_NO_STEP, -1);

  static const struct {
    aero_status status;
    int value;
    const char *name;
  } statuses[] = {
      {AERO_OK, 0, "OK"},
      {AERO_E_INVALID, -1, "E_INVALID"},
      {AERO_E_NOMEM, -2, "E_NOMEM"},
      {AERO_E_IO, -3, "E_IO"},
      {AERO_E_NOT_FOUND, -4, "E_NOT_FOUND"},
      {AERO_E_ABI, -5, "E_ABI"},
      {AERO_E_STORE, -6, "E_STORE"},
      {AERO_E_ACTION, -7, "E_ACTION"},
      {AERO_E_BAILOUT, -8, "E_BAILOUT"},
      {AERO_E_EXISTS, -9, "E_EXISTS"},
      {AERO_E_UNSUPPORTED, -10, "E_UNSUPPORTED"},
      {AERO_E_STATE, -11, "E_STATE"},
      {AERO_E_NOSPACE, -12, "E_NOSPACE"},
      {AERO_E_INTERRUPTED, -13, "E_INTERRUPTED"},
      {AERO_E_GRAPH, -14, "E_GRAPH"},
      {AERO_E_CONFIG, -15, "E_CONFIG"},
  };
  for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
    assert_int_equal(statuses[i].status, statuses[i].value);
    assert_string_equal(aero_status_name(statuses[i].status), statuses[i].name);
  }
  assert_string_equal(aero_status_str((aero_status)-999), "unknown status");
  assert_int_equal(sizeof(aero_status), 4);

  assert_int_equal(AERO_PLUGIN_PROJECT, 1);
  assert_int_equal(AERO_PLUGIN_BACKEND, 2);
  assert_int_equal(AERO_VALUE_BOOL, 1);
  assert_int_equal(AERO_VALUE_INT, 2);
  assert_int_equal(AERO_VALUE_DOUBLE, 3);
  assert_int_equal(AERO_VALUE_STRING, 4);
  assert_int_equal(AERO_OPT_BOOL, 1);
  assert_int_equal(AERO_OPT_INT, 2);
  assert_int_equal(AERO_OPT_DOUBLE, 3);
  assert_int_equal(AERO_OPT_STRING, 4);
  assert_int_equal(AERO_OPT_CHOICE, 5);
  assert_int_equal(AERO_LOG_ERROR, 1);
  assert_int_equal(AERO_LOG_WARN, 2);
  assert_int_equal(AERO_LOG_INFO, 3);
  assert_int_equal(AERO_LOG_DEBUG, 4);
  assert_int_equal(AERO_RUN_RUNNING, 1);
  assert_int_equal(AERO_RUN_OK, 2);
  assert_int_equal(AERO_RUN_FAILED, 3);
  assert_int_equal(AERO_RUN_CRASHED, 4);
  assert_int_equal(AERO_RUN_TIMED_OUT, 5);
  assert_int_equal(AERO_RUN_KILLED, 6);
  assert_int_equal(AERO_RUN_SKIPPED, 7);
  assert_int_equal(AERO_RUN_BAILED, 8);
  assert_int_equal(AERO_RUN_REUSED, 9);
  assert_int_equal(AERO_OPEN_EXISTING, 1);
  assert_int_equal(AERO_MODE_ANY, 0);
  assert_int_equal(AERO_MODE_DEV, 1);
  assert_int_equal(AERO_MODE_PROD, 2);
  assert_int_equal(AERO_PROBLEM_BLOB_DAMAGED, 1);
  assert_int_equal(AERO_PROBLEM_BLOB_MISSING, 2);
  assert_int_equal(AERO_PROBLEM_SIZE, 3);
  assert_int_equal(AERO_PROBLEM_RUN_ABANDONED, 4);
  assert_int_equal(AERO_PROBLEM_OTHER, 5);
  assert_int_equal(AERO_GARBAGE_BLOB, 1);
  assert_int_equal(AERO_GARBAGE_SCRATCH, 2);
  assert_int_equal(AERO_GARBAGE_TEMP, 3);
  assert_int_equal(AERO_GARBAGE_DEV_RUN, 4);
}

static void api_has_follows_struct_size(void **state) {
  (void)state;
  aero_host_api api = {.struct_size = sizeof(aero_host_api)};
  assert_true(AERO_API_HAS(&api, error_set));
  assert_true(AERO_API_HAS(&api, progress));
  /* A table from a host that predates `progress`. */
  api.struct_size = offsetof(aero_host_api, progress);
  assert_false(AERO_API_HAS(&api, progress));
  assert_true(AERO_API_HAS(&api, workdir));
  api.struct_size = offsetof(aero_host_api, workdir) + 4;
  assert_false(AERO_API_HAS(&api, workdir));
  assert_true(AERO_API_HAS(&api, bailout));
  api.struct_size = 0;
  assert_false(AERO_API_HAS(&api, error_set));
}

/* The table the host hands to every plugin fills every member. */
static void host_table_is_complete(void **state) {
  (void)state;
  const aero_host_api *api = aeh_host_api();
  assert_ptr_equal(api, aeh_host_api());
  assert_int_equal(api->struct_size, sizeof(aero_host_api));
  assert_int_equal(api->abi_major, AERO_ABI_MAJOR);
  assert_int_equal(api->abi_minor, AERO_ABI_MINOR);
  assert_string_equal(api->host_version, AERO_HOST_VERSION);
  assert_true(AERO_API_HAS(api, progress));
  /* Every function pointer after host_version is set. */
  const unsigned char *base = (const unsigned char *)api;
  for (size_t off = offsetof(aero_host_api, error_set);
       off < sizeof(aero_host_api); off += sizeof(void (*)(void))) {
    void (*fn)(void);
    memcpy(&fn, base + off, sizeof fn);
    if (fn == NULL)
      fail_msg("host API member at offset %zu is NULL", off);
  }
}

static void sdk_macros_fill_struct_size(void **state) {
  (void)state;
  aero_action_desc action = AERO_ACTION(.job_type = "x");
  assert_int_equal(action.struct_size, sizeof(aero_action_desc));
  aero_output_desc output = AERO_OUTPUT(.name = "x");
  assert_int_equal(output.struct_size, sizeof(aero_output_desc));
  aero_kv kv = AERO_KV_DOUBLE("lr", 0.5);
  assert_int_equal(kv.value.type, AERO_VALUE_DOUBLE);
  assert_int_equal(kv.value.reserved, 0);
  assert_true(kv.value.as.d == 0.5);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(struct_layouts),
      cmocka_unit_test(query_layouts),
      cmocka_unit_test(every_sdk_struct_is_pinned),
      cmocka_unit_test(enum_values_and_constants),
      cmocka_unit_test(api_has_follows_struct_size),
      cmocka_unit_test(host_table_is_complete),
      cmocka_unit_test(sdk_macros_fill_struct_size),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
