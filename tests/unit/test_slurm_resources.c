/* What a Slurm job asks for (host/exec/slurm_resources.c): the parsing of
 * time limits and memory sizes as Slurm writes them, and the precedence of
 * the action's own resources, [slurm] KEY, [slurm] JOB_TYPE.KEY and the
 * flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec/slurm_resources.h"

static void time_limits_as_slurm_writes_them(void **state) {
  (void)state;
  assert_int_equal(aeh_slurm_parse_time("30"), 30 * 60);
  assert_int_equal(aeh_slurm_parse_time("1:30"), 90);
  assert_int_equal(aeh_slurm_parse_time("2:00:05"), 7205);
  assert_int_equal(aeh_slurm_parse_time("1-2"), 86400 + 7200);
  assert_int_equal(aeh_slurm_parse_time("1-2:03"), 86400 + 7200 + 180);
  assert_int_equal(aeh_slurm_parse_time("1-0:0:9"), 86409);
  assert_int_equal(aeh_slurm_parse_time("90s"), 90);
  assert_int_equal(aeh_slurm_parse_time("10m"), 600);
  assert_int_equal(aeh_slurm_parse_time("2h"), 7200);
  assert_int_equal(aeh_slurm_parse_time("1d"), 86400);
  static const char *const bad[] = {"",     "0",   "0s",       "x",  "1x",
                                    "1:",   ":1",  "1:2:3:4",  "-1", "1-",
                                    "10 m", "1.5", "1-2:3:4:5"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    if (aeh_slurm_parse_time(bad[i]) != -1)
      fail_msg("'%s' read as a time limit", bad[i]);
}

static void memory_sizes_in_mib(void **state) {
  (void)state;
  assert_int_equal(aeh_slurm_parse_mem("512"), 512);
  assert_int_equal(aeh_slurm_parse_mem("512M"), 512);
  assert_int_equal(aeh_slurm_parse_mem("2G"), 2048);
  assert_int_equal(aeh_slurm_parse_mem("1T"), 1024 * 1024);
  assert_int_equal(aeh_slurm_parse_mem("1500K"), 2);
  static const char *const bad[] = {"", "0", "G", "1GB", "-1", "1.5G"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    if (aeh_slurm_parse_mem(bad[i]) != -1)
      fail_msg("'%s' read as a memory size", bad[i]);
}

static aeh_config *ini(const char *text) {
  static aeh_config cfg;
  char path[] = "/tmp/aero-test-slurm-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  aero_error err = AEH_ERROR_INIT;
  if (aeh_config_load(path, 1, &cfg, &err) != AERO_OK)
    fail_msg("%s", err.message);
  unlink(path);
  return &cfg;
}

static void precedence_action_key_job_type_flag(void **state) {
  (void)state;
  aeh_action train = {.job_type = "train",
                      .cpus = 4,
                      .memory_mb = 100,
                      .time_limit_s = 600,
                      .partition = "gpu"};
  aeh_action other = {.job_type = "ingest"};
  aeh_slurm_res res;
  aeh_slurm_resources(NULL, &train, &res);
  assert_int_equal(res.cpus, 4);
  assert_int_equal(res.memory_mb, 100);
  assert_int_equal(res.time_limit_s, 600);
  assert_int_equal(res.gpus, 0);
  assert_string_equal(res.partition, "gpu");

  /* JOB_TYPE.KEY first in the file still wins over KEY. */
  aeh_config *cfg = ini("[slurm]\ntrain.time = 1\ntime = 5\nmem = 2G\n"
                        "gpus = 1\n");
  aeh_slurm_settings s = {0};
  aero_error err = AEH_ERROR_INIT;
  assert_int_equal(aeh_slurm_settings_from_config(&s, cfg, &err), AERO_OK);
  aeh_config_free(cfg);
  assert_int_equal(
      aeh_slurm_settings_add(&s, NULL, "cpus", "2", "--slurm-cpus", &err),
      AERO_OK);
  aeh_slurm_resources(&s, &train, &res);
  assert_int_equal(res.time_limit_s, 60);
  assert_int_equal(res.memory_mb, 2048);
  assert_int_equal(res.gpus, 1);
  assert_int_equal(res.cpus, 2);
  assert_string_equal(res.partition, "gpu");
  aeh_slurm_resources(&s, &other, &res);
  assert_int_equal(res.time_limit_s, 300);
  assert_int_equal(res.cpus, 2);
  assert_null(res.partition);
  aeh_slurm_settings_free(&s);
}

static void bad_values_name_their_origin(void **state) {
  (void)state;
  aeh_slurm_settings s = {0};
  aero_error err = AEH_ERROR_INIT;
  aeh_config *cfg = ini("[slurm]\ncpus = 2\ntrain.time = soon\n");
  assert_int_equal(aeh_slurm_settings_from_config(&s, cfg, &err),
                   AERO_E_CONFIG);
  assert_non_null(strstr(err.message, ":3: [slurm] train.time: 'soon' is not "
                                      "a time limit"));
  aeh_config_free(cfg);
  cfg = ini("[slurm]\nnodes = 2\n");
  assert_int_equal(aeh_slurm_settings_from_config(&s, cfg, &err),
                   AERO_E_CONFIG);
  assert_non_null(strstr(err.message, ":2: [slurm] nodes: unknown key 'nodes' "
                                      "(one of: cpus, gpus, time, mem, "
                                      "partition)"));
  aeh_config_free(cfg);
  assert_int_equal(
      aeh_slurm_settings_add(&s, NULL, "mem", "lots", "--slurm-mem", &err),
      AERO_E_INVALID);
  assert_string_equal(err.message, "--slurm-mem: 'lots' is not a memory size "
                                   "(MiB, or a number with K, M, G or T)");
  assert_int_equal(aeh_slurm_settings_add(&s, NULL, "partition", "a b",
                                          "--slurm-partition", &err),
                   AERO_E_INVALID);
  assert_int_equal(
      aeh_slurm_settings_add(&s, NULL, "cpus", "0", "--slurm-cpus", &err),
      AERO_E_INVALID);
  aeh_slurm_settings_free(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(time_limits_as_slurm_writes_them),
      cmocka_unit_test(memory_sizes_in_mib),
      cmocka_unit_test(precedence_action_key_job_type_flag),
      cmocka_unit_test(bad_values_name_their_origin),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
