/* `aerohost describe PLUGIN`: what a plugin is and what it accepts. Loads
 * the plugin and runs its init, but no constructor. */
#include <stdio.h>
#include <string.h>

#include <aeromancy/abi.h>

#include "cli.h"
#include "console.h"
#include "exec/executor.h"
#include "json_out.h"
#include "options.h"

/* The default as the command line would write it: a text whole (a buffer
 * cut it to 127 bytes), a number in `buf`. */
static const char *default_text(const aero_option *o, char *buf, size_t size) {
  if ((o->type == AERO_OPT_STRING || o->type == AERO_OPT_CHOICE) &&
      o->def.s != NULL)
    return o->def.s;
  aeh_options_format(o->type, o->def, buf, size);
  return buf;
}

static void describe_option(FILE *out, const aero_option *o) {
  char name[80], def[128];
  size_t n = 0;
  for (; o->name[n] != '\0' && n + 1 < sizeof name; n++)
    name[n] = o->name[n] == '_' ? '-' : o->name[n];
  name[n] = '\0';
  fprintf(out, "  --%s\n", name);
  fprintf(out, "      type:    %s\n", aeh_option_type_name(o->type));
  fprintf(out, "      default: %s\n", default_text(o, def, sizeof def));
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

/* The option as JSON: its command-line name (what completion offers), its
 * C name, type, default as the command line would write it, short letter,
 * choices and help. */
static json_t *option_json(const aero_option *o) {
  char name[80], def[128], letter[2] = {o->short_name, '\0'};
  size_t n = 0;
  for (; o->name[n] != '\0' && n + 1 < sizeof name; n++)
    name[n] = o->name[n] == '_' ? '-' : o->name[n];
  name[n] = '\0';
  bool none = (o->type == AERO_OPT_STRING || o->type == AERO_OPT_CHOICE) &&
              o->def.s == NULL;
  json_t *j = json_object();
  if (j == NULL)
    return NULL;
  int bad = 0;
  bad |= aeh_json_set(j, "name", aeh_json_text(name));
  bad |= aeh_json_set(j, "c_name", aeh_json_text(o->name));
  bad |= aeh_json_set(j, "type", aeh_json_text(aeh_option_type_name(o->type)));
  bad |= aeh_json_set(j, "default",
                      none ? json_null()
                           : aeh_json_text(default_text(o, def, sizeof def)));
  bad |= aeh_json_set(j, "short",
                      o->short_name ? aeh_json_text(letter) : json_null());
  bad |= aeh_json_set(j, "help", aeh_json_text(o->help));
  if (o->type == AERO_OPT_CHOICE) {
    json_t *choices = json_array();
    bad |= aeh_json_set(j, "choices", choices);
    for (size_t c = 0; !bad && o->choices[c] != NULL; c++)
      bad |= aeh_json_append(choices, aeh_json_text(o->choices[c]));
  }
  if (bad) {
    json_decref(j);
    return NULL;
  }
  return j;
}

/* `describe --json`: one object, the same facts as the text. */
static int describe_json(aeh_plugin *plugin) {
  size_t count = aeh_plugin_builder_count(plugin);
  json_t *doc = json_object(), *abi = json_object(), *builders = json_array();
  int bad = doc == NULL || abi == NULL || builders == NULL;
  if (bad) {
    json_decref(abi);
    json_decref(builders);
    json_decref(doc);
    aeh_console_error("out of memory");
    return AEH_EXIT_INFRA;
  }
  bad |= aeh_json_set(doc, "name", aeh_json_text(aeh_plugin_name(plugin)));
  bad |=
      aeh_json_set(doc, "version", aeh_json_text(aeh_plugin_version(plugin)));
  bad |= aeh_json_set(abi, "major", json_integer(aeh_plugin_abi_major(plugin)));
  bad |= aeh_json_set(abi, "minor", json_integer(aeh_plugin_abi_minor(plugin)));
  bad |= aeh_json_set(doc, "abi", abi);
  bad |= aeh_json_set(doc, "path", aeh_json_text(aeh_plugin_path(plugin)));
  bad |= aeh_json_set(doc, "sha256", aeh_json_text(aeh_plugin_sha256(plugin)));
  bad |= aeh_json_set(doc, "builders", builders);
  for (size_t i = 0; !bad && i < count; i++) {
    const aero_builder_vtable *b = aeh_plugin_builder(plugin, i);
    json_t *bj = json_object(), *options = json_array();
    if (bj == NULL || options == NULL) {
      json_decref(bj);
      json_decref(options);
      bad = 1;
      break;
    }
    bad |= aeh_json_append(builders, bj);
    bad |= aeh_json_set(bj, "project", aeh_json_text(b->project));
    bad |= aeh_json_set(bj, "description", aeh_json_text(b->description));
    bad |= aeh_json_set(bj, "options", options);
    for (size_t o = 0; !bad && o < b->option_count; o++)
      bad |= aeh_json_append(options, option_json(&b->options[o]));
  }
  int code = AEH_EXIT_OK;
  if (bad) {
    aeh_console_error("out of memory");
    code = AEH_EXIT_INFRA;
  } else if (aeh_json_write(stdout, doc) != 0 || fflush(stdout) != 0) {
    aeh_console_error("cannot write to stdout");
    code = AEH_EXIT_INFRA;
  }
  json_decref(doc);
  return code;
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
  if (a->json) {
    int code = describe_json(plugin);
    aeh_plugin_unload(plugin);
    return code;
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
