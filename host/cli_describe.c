/* `aerohost describe PLUGIN`: what a plugin is and what it accepts. Loads
 * the plugin and runs its init, but no constructor. */
#include <stdio.h>
#include <string.h>

#include <aeromancy/abi.h>

#include "cli.h"
#include "console.h"
#include "exec/executor.h"
#include "options.h"

static void describe_option(FILE *out, const aero_option *o) {
  char name[80], def[128];
  size_t n = 0;
  for (; o->name[n] != '\0' && n + 1 < sizeof name; n++)
    name[n] = o->name[n] == '_' ? '-' : o->name[n];
  name[n] = '\0';
  aeh_options_format(o->type, o->def, def, sizeof def);
  fprintf(out, "  --%s\n", name);
  fprintf(out, "      type:    %s\n", aeh_option_type_name(o->type));
  fprintf(out, "      default: %s\n", def);
  if (o->short_name != '\0')
    fprintf(out, "      short:   -%c\n", o->short_name);
  if (o->type == AERO_OPT_BOOL)
    fprintf(out, "      negate:  --no-%s\n", name);
  if (o->type == AERO_OPT_CHOICE) {
    fprintf(out, "      choices:");
    for (size_t c = 0; o->choices[c] != NULL; c++)
      fprintf(out, "%s %s", c ? "," : "", o->choices[c]);
    fputc('\n', out);
  }
  if (o->help != NULL && o->help[0] != '\0')
    fprintf(out, "      help:    %s\n", o->help);
}

int aeh_cli_describe(const aeh_cli_args *a) {
  aero_error err = AEH_ERROR_INIT;
  aeh_plugin *plugin = NULL;
  if (aeh_plugin_load(a->plugin, AERO_PLUGIN_PROJECT, &plugin, &err) !=
      AERO_OK) {
    aeh_console_error("%s", err.message);
    return AEH_EXIT_USAGE;
  }
  if (a->help) {
    aeh_cli_print_help(stdout, AEH_CMD_DESCRIBE, plugin, NULL);
    aeh_plugin_unload(plugin);
    return AEH_EXIT_OK;
  }
  const char *sha = aeh_plugin_sha256(plugin);
  size_t count = aeh_plugin_builder_count(plugin);
  printf("name:     %s\n", aeh_plugin_name(plugin));
  printf("version:  %s\n", aeh_plugin_version(plugin));
  printf("abi:      %u.%u (this host: %d.%d)\n", aeh_plugin_abi_major(plugin),
         aeh_plugin_abi_minor(plugin), AERO_ABI_MAJOR, AERO_ABI_MINOR);
  printf("path:     %s\n", aeh_plugin_path(plugin));
  printf("sha256:   %s\n", sha ? sha : "(unreadable)");
  printf("builders:");
  for (size_t i = 0; i < count; i++)
    printf("%s %s", i ? "," : "", aeh_plugin_builder(plugin, i)->project);
  printf("\n");
  for (size_t i = 0; i < count; i++) {
    const aero_builder_vtable *b = aeh_plugin_builder(plugin, i);
    printf("\nbuilder %s%s%s\n", b->project,
           b->description && b->description[0] ? ": " : "",
           b->description ? b->description : "");
    if (b->option_count == 0)
      printf("  (no options)\n");
    for (size_t o = 0; o < b->option_count; o++)
      describe_option(stdout, &b->options[o]);
  }
  int code = AEH_EXIT_OK;
  if (fflush(stdout) != 0) {
    aeh_console_error("cannot write to stdout");
    code = AEH_EXIT_INFRA;
  }
  aeh_plugin_unload(plugin);
  return code;
}
