/* The flow behind `aerohost run`, `list` and `graph`: load the plugin,
 * choose a builder, read defaults and flags, construct, build and validate
 * the graph; then print it, or run it in the store. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "console.h"
#include "ctor_call.h"
#include "exec/executor.h"
#include "exec/slurm_resources.h"
#include "graph.h"
#include "options.h"
#include "override_reads.h"
#include "runtime_env.h"
#include "tracker.h"

/* Splits "a,b" into an owned array of owned copies; "" is an error. */
static aero_status split_tags(const char *text, char ***out, size_t *count,
                              aero_error *err) {
  size_t n = 1;
  for (const char *p = text; *p != '\0'; p++)
    n += *p == ',';
  char **tags = calloc(n, sizeof *tags);
  if (tags == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
  const char *p = text;
  for (size_t i = 0; i < n; i++) {
    size_t len = strcspn(p, ",");
    if (len == 0) {
      for (size_t j = 0; j < i; j++)
        free(tags[j]);
      free(tags);
      return aeh_error_set(err, AERO_E_INVALID,
                           "--tags: empty tag in '%s' (expected a,b,c)", text);
    }
    tags[i] = strndup(p, len);
    if (tags[i] == NULL) {
      for (size_t j = 0; j < i; j++)
        free(tags[j]);
      free(tags);
      return aeh_error_set(err, AERO_E_NOMEM, "out of memory");
    }
    p += len + (p[len] == ',');
  }
  *out = tags;
  *count = n;
  return AERO_OK;
}

/* Everything one invocation holds, released in reverse order by
 * release(). */
typedef struct run_ctx {
  aeh_plugin *plugin;
  const aero_builder_vtable *builder; /* borrowed from plugin */
  aeh_option_values values;
  bool have_values;
  aeh_config cfg;
  bool have_cfg;
  void *self;
  bool constructed;
  aero_graph *graph;
  char **tags;
  size_t tag_count;
  aeh_runtime_env env;
  bool have_env;
  aeh_store *store;
  aeh_slurm_settings slurm_res;
} run_ctx;

static void release(run_ctx *c) {
  /* The actions' destroys, then the builder's; the plugin's code stays
   * mapped until after both (aeh_plugin_unload never unmaps it). */
  if (c->graph != NULL)
    aeh_graph_free(c->graph);
  if (c->constructed && c->builder->destroy != NULL)
    c->builder->destroy(c->self);
  if (c->store != NULL)
    aeh_store_close(c->store);
  if (c->have_env)
    aeh_runtime_env_free(&c->env);
  for (size_t i = 0; i < c->tag_count; i++)
    free(c->tags[i]);
  free(c->tags);
  aeh_slurm_settings_free(&c->slurm_res);
  if (c->have_cfg)
    aeh_config_free(&c->cfg);
  if (c->have_values)
    aeh_options_free(&c->values);
  aeh_plugin_unload(c->plugin);
}

/* True when -h or --help appears among the project flags at all. */
static bool help_word(const aeh_cli_args *a) {
  for (int i = 0; i < a->project_argc; i++) {
    if (strcmp(a->project_argv[i], "--help") == 0 ||
        strcmp(a->project_argv[i], "-h") == 0)
      return true;
  }
  return false;
}

/* Reads aeromancy.ini and the project flags into the option values. Sets
 * *help when the flags ask for it. */
static aero_status settle_values(run_ctx *c, const aeh_cli_args *a, bool *help,
                                 aero_error *err) {
  char cfg_path[4096];
  if (aeh_config_default_path(NULL, cfg_path, sizeof cfg_path, err) == NULL)
    return AERO_E_CONFIG;
  aero_status rc = aeh_config_load(cfg_path, 0, &c->cfg, err);
  if (rc != AERO_OK)
    return rc;
  c->have_cfg = true;
  rc = aeh_options_apply_config(&c->values, &c->cfg, err);
  if (rc != AERO_OK)
    return rc;
  return aeh_options_parse(&c->values, a->project_argc, a->project_argv, help,
                           err);
}

/* Loads the plugin, picks the builder and settles the option values.
 * Sets *help when help was asked for; help wins over a bad flag or a bad
 * aeromancy.ini, since it is how one finds the right flags. */
static aero_status prepare(run_ctx *c, const aeh_cli_args *a, bool *help,
                           aero_error *err) {
  aero_status rc =
      aeh_plugin_load(a->plugin, AERO_PLUGIN_PROJECT, &c->plugin, err);
  if (rc != AERO_OK)
    return rc;
  c->builder = aeh_cli_pick_builder(c->plugin, a->builder, err);
  if (c->builder == NULL)
    return AERO_E_INVALID;
  rc = aeh_options_init(c->builder->options, c->builder->option_count,
                        &c->values, err);
  if (rc != AERO_OK)
    return rc;
  c->have_values = true;
  if (*help)
    return AERO_OK;
  rc = settle_values(c, a, help, err);
  if (rc != AERO_OK && help_word(a)) {
    *help = true;
    return AERO_OK;
  }
  return rc;
}

/* Constructs the builder and builds, validates and filters its graph. */
/* In a Slurm job the executor submitted (placement_slurm.c), this aerohost
 * runs one action: the one at run-order position $AEROMANCY_SLURM_ACTION
 * (1-based, as in the banners) of the same graph. */
static const char *slurm_job_action(void) {
  const char *pos = getenv("AEROMANCY_SLURM_ACTION");
  return pos != NULL && pos[0] != '\0' ? pos : NULL;
}

static aero_status select_job_action(aero_graph *graph, aero_error *err) {
  const char *pos = slurm_job_action();
  if (pos == NULL)
    return AERO_OK;
  size_t n = aeh_graph_count(graph);
  char *end = NULL;
  unsigned long long want = strtoull(pos, &end, 10);
  if (*end != '\0' || want == 0 || want > n)
    return aeh_error_set(err, AERO_E_INVALID,
                         "AEROMANCY_SLURM_ACTION: '%s' is not a position "
                         "between 1 and %zu",
                         pos, n);
  for (size_t p = 0; p < n; p++)
    aeh_graph_at(graph, p)->selected = p + 1 == want;
  return AERO_OK;
}

static aero_status build(run_ctx *c, const aeh_cli_args *a, aero_error *err) {
  const char *path = aeh_plugin_path(c->plugin);
  const aero_builder_vtable *b = c->builder;
  aero_status rc = aeh_ctor_call(b->constructor, b->options, b->option_count,
                                 c->values.values, &c->self, err);
  if (rc != AERO_OK) {
    aeh_error_prefix(err, "%s: builder '%s': constructor failed", path,
                     b->project);
    return rc;
  }
  c->constructed = true;
  c->graph = aeh_graph_new(b->project);
  if (c->graph == NULL)
    return aeh_error_set(err, AERO_E_NOMEM, "out of memory for the graph");
  aero_error build_err = AEH_ERROR_INIT;
  rc = b->build_actions(c->self, c->graph, &build_err);
  if (rc != AERO_OK)
    return aeh_error_set(
        err, (int)rc > 0 ? AERO_E_INVALID : rc,
        "%s: builder '%s': build_actions failed: %s", path, b->project,
        build_err.message[0] ? build_err.message : aero_status_str(rc));
  rc = aeh_graph_validate(c->graph, err);
  if (rc != AERO_OK) {
    aeh_error_prefix(err, "%s: builder '%s'", path, b->project);
    return rc;
  }
  if (a->only != NULL && aeh_graph_select(c->graph, a->only, err) != AERO_OK)
    return err->code;
  if (a->force_only != NULL &&
      aeh_graph_force(c->graph, a->force_only, err) != AERO_OK)
    return err->code;
  return select_job_action(c->graph, err);
}

/* What each Slurm job asks for: aeromancy.ini [slurm], then the
 * --slurm-* flags. Checked on every run, so that a bad value is found
 * before a cluster is involved. */
static aero_status slurm_settings(run_ctx *c, const aeh_cli_args *a,
                                  aero_error *err) {
  static const char *const keys[] = {"cpus", "mem", "time", "gpus",
                                     "partition"};
  aero_status rc = aeh_slurm_settings_from_config(&c->slurm_res, &c->cfg, err);
  for (size_t i = 0; rc == AERO_OK && i < AERO_COUNT(keys); i++) {
    char where[64];
    snprintf(where, sizeof where, "--slurm-%s", keys[i]);
    if (a->slurm_res[i] != NULL)
      rc = aeh_slurm_settings_add(&c->slurm_res, NULL, keys[i], a->slurm_res[i],
                                  where, err);
  }
  return rc;
}

/* Opens the store and runs the validated graph; returns the exit code. */
static int execute(run_ctx *c, const aeh_cli_args *a, int argc, char **argv,
                   aero_error *err) {
  if (a->detach && !a->slurm) {
    aeh_error_set(err, AERO_E_INVALID,
                  "--detach needs --executor slurm (a local run cannot "
                  "outlive aerohost)");
    return AEH_EXIT_USAGE;
  }
  if (a->tags != NULL &&
      split_tags(a->tags, &c->tags, &c->tag_count, err) != AERO_OK)
    return AEH_EXIT_USAGE;
  const char *sha = aeh_plugin_sha256(c->plugin);
  if (sha == NULL) {
    aeh_error_set(err, AERO_E_IO, "%s: cannot read the plugin to hash it",
                  aeh_plugin_path(c->plugin));
    return AEH_EXIT_USAGE;
  }
  /* A dry run records nothing, so it does not need the runner's
   * environment even in production. */
  if (aeh_runtime_env_collect(a->dev || a->dry_run, aeh_plugin_path(c->plugin),
                              sha, argc, argv, &c->env, err) != AERO_OK)
    return AEH_EXIT_USAGE;
  c->have_env = true;
  /* Found here, connected by the executor (after it forks its fork
   * server) unless this is a dry run. Nothing ran yet: a store that
   * cannot be opened is exit 3, not 2. */
  if (aeh_store_prepare(a->backend, a->store, &c->store, err) != AERO_OK)
    return AEH_EXIT_USAGE;
  /* Each job's aerohost, on its node, records its run in this store. */
  if (a->slurm && !a->dry_run && slurm_job_action() == NULL &&
      aeh_store_location_check_shared(aeh_store_location(c->store), err) !=
          AERO_OK)
    return AEH_EXIT_USAGE;
  aeh_session session = {
      .entity = "",
      .project = c->builder->project,
      .dev = a->dev,
      .tags = (const char *const *)c->tags,
      .tag_count = c->tag_count,
      .overrides = a->overrides,
      .override_count = a->override_count,
      .environment = c->env.entries,
      .environment_count = c->env.count,
  };
  if (aeh_session_check_overrides(&session, err) != AERO_OK ||
      aeh_overrides_check_reads(&session, c->graph, err) != AERO_OK)
    return AEH_EXIT_USAGE;
  if (slurm_settings(c, a, err) != AERO_OK)
    return AEH_EXIT_USAGE;
  aeh_exec_options opts = {
      .jobs = a->jobs ? a->jobs : 1,
      .keep_going = a->keep_going,
      .timeout_s = a->timeout_s,
      .dry_run = a->dry_run,
      .isolate = !a->no_isolation,
      .debug = a->debug,
      /* In a job, reuse was decided by the host that submitted it. */
      .force = a->force || slurm_job_action() != NULL,
      .slurm = a->slurm && slurm_job_action() == NULL,
      .detach = a->detach && slurm_job_action() == NULL,
      .slurm_res = &c->slurm_res,
      .argc = argc,
      .argv = argv,
  };
  /* Children inherit unflushed buffers; flush so nothing prints twice. */
  fflush(stdout);
  fflush(stderr);
  return aeh_execute(c->graph, c->store, &session, &opts);
}

int aeh_cli_run(const aeh_cli_args *a, int argc, char **argv) {
  run_ctx c = {0};
  aero_error err = AEH_ERROR_INIT;
  int code = AEH_EXIT_USAGE;
  bool help = a->help;
  if (prepare(&c, a, &help, &err) != AERO_OK)
    goto report;
  if (help) {
    aeh_cli_print_help(stdout, a->command, c.plugin, c.builder);
    code = AEH_EXIT_OK;
    goto done;
  }
  if (build(&c, a, &err) != AERO_OK)
    goto report;
  if (a->command == AEH_CMD_LIST || a->list) {
    code = AEH_EXIT_OK;
    if (aeh_graph_write_list(c.graph, stdout, a->json) != 0) {
      aeh_console_error("cannot write the action list to stdout");
      code = AEH_EXIT_INFRA;
    }
  } else if (a->command == AEH_CMD_GRAPH || a->graph) {
    if (a->format != NULL && strcmp(a->format, "text") == 0)
      aeh_graph_write_text(c.graph, stdout);
    else
      aeh_graph_write_dot(c.graph, stdout);
    code = AEH_EXIT_OK;
  } else {
    code = execute(&c, a, argc, argv, &err);
    if (err.code != AERO_OK)
      goto report;
  }
  if (fflush(stdout) != 0 && code == AEH_EXIT_OK) {
    aeh_console_error("cannot write to stdout");
    code = AEH_EXIT_INFRA;
  }
  goto done;

report:
  aeh_console_error("%s", err.message);
done:
  release(&c);
  return code;
}
