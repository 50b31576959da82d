#include "ini_doc.h"

#include <string.h>

typedef struct ini_section {
  const char *name;
  bool strict; /* the runner's own: unknown keys are errors */
  const char *text;
} ini_section;

typedef struct ini_key {
  const char *section;
  const char *key;
  const char *value; /* what the value looks like */
  const char *text;
} ini_key;

static const ini_section sections[] = {
    {"project", false, "What the project is called."},
    {"build", true, "How the runner builds the project's plugin."},
    {"container", true,
     "The container `aeromancy go` runs in (production only)."},
    {"env", true, "What reaches the container from the caller's environment."},
    {"store", false, "Where runs and artifacts are recorded."},
    {"git", true, "What production runs require of the git tree."},
    {"flags", false,
     "Defaults for the project's own flags (aerohost reads these): key = "
     "option name (learning_rate or learning-rate), value as on the command "
     "line. The command line wins over them; an unknown key is an error."},
    {"slurm", false,
     "What each Slurm job asks for (aerohost run --executor slurm), over "
     "what the action declares: KEY for every action, JOB_TYPE.KEY for the "
     "actions of one job type (it wins over KEY); the --slurm-* flags win "
     "over both. An unknown key is an error."},
};

static const ini_key keys[] = {
    {"project", "name", "NAME",
     "the project's name for the runner (default: the project folder's "
     "name): its build folder, its containers' label, its messages; runs "
     "are recorded under the project the plugin's builder names"},
    {"build", "system", "cmake",
     "the only one: CMake with find_package(Aeromancy) and "
     "aeromancy_add_plugin"},
    {"build", "target", "TARGET",
     "the plugin's CMake target (default: the one target "
     "aeromancy_add_plugin makes; needed when the project makes several)"},
    {"container", "engine", "docker|podman",
     "the container engine (default: docker; AEROMANCY_ENGINE overrides)"},
    {"container", "image", "REPOSITORY",
     "repository of the host image (default: aeromancy-host); the tag is "
     "the recipe's hash"},
    {"container", "base_image", "IMAGE",
     "the Debian 12 image the host image starts from (default: the "
     "Dockerfile's; AEROMANCY_BASE_IMAGE overrides)"},
    {"container", "run_args", "ARGS",
     "more `docker run` arguments, shell-quoted, e.g. -v \"/data:/data:ro\""},
    {"container", "debian_packages", "PKG, PKG",
     "Debian packages installed in the host image (commas or blanks)"},
    {"env", "passthrough", "VAR, VAR",
     "names of variables whose values are passed into the container; "
     "names only are written anywhere, never values"},
    {"store", "path", "PATH",
     "the store (default: $XDG_DATA_HOME/aeromancy, else "
     "~/.local/share/aeromancy; relative paths are from the file's folder; "
     "AEROMANCY_STORE overrides)"},
    {"store", "backend", "NAME",
     "the tracker backend plugin, tracker-NAME.so (default: local; "
     "--backend overrides)"},
    {"store", "url", "URL",
     "the store of a backend that is not a folder, e.g. "
     "postgresql://user@host/db for backend postgres (used when [store] path "
     "is not set; AEROMANCY_STORE overrides)"},
    {"store", "blobs", "s3://BUCKET/PREFIX",
     "where the postgres backend keeps file contents (AEROMANCY_BLOBS "
     "overrides)"},
    {"git", "allow_main", "true|false",
     "allow production runs on main or master (default: false)"},
    {"slurm", "cpus", "N", "CPUs per job (--cpus-per-task)"},
    {"slurm", "mem", "SIZE",
     "memory per job: MiB, or a number with K, M, G or T (--mem)"},
    {"slurm", "time", "LIMIT",
     "time limit per job: minutes, M:S, [D-]H:M:S, or a number with s, m, "
     "h or d, rounded up to whole minutes (--time)"},
    {"slurm", "gpus", "N", "GPUs per job (--gpus)"},
    {"slurm", "partition", "NAME", "the partition jobs go to (--partition)"},
};

static const char *const environment[][2] = {
    {"AEROMANCY_STORE", "the store, over [store] path"},
    {"AEROMANCY_BACKEND", "the tracker backend, over [store] backend"},
    {"AEROMANCY_BLOBS", "the postgres backend's bucket, over [store] blobs"},
    {"AEROMANCY_INLINE_MAX",
     "the local backend's largest blob kept in the database, in bytes, 0 to "
     "65536 (default: 4096; 0: every blob a file)"},
    {"AEROMANCY_ENGINE", "the container engine, over [container] engine"},
    {"AEROMANCY_BASE_IMAGE", "the base image, over [container] base_image"},
    {"AEROMANCY_CONFIG",
     "another file to read instead of aeromancy.ini (it must exist; with "
     "[flags], --dev only: a production run's container reads the committed "
     "aeromancy.ini)"},
    {"AEROMANCY_DATA_DIR",
     "another image build context instead of the installed one"},
    {"XDG_CACHE_HOME", "parent of the plugin build folders (default: "
                       "~/.cache)"},
    {"AEROMANCY_CACHE",
     "a team store's blob cache, mounted into the container (default: "
     "$XDG_CACHE_HOME/aeromancy)"},
    {"NO_COLOR", "no colour on the terminal"},
};

#define COUNT(a) (sizeof(a) / sizeof *(a))

bool aeh_ini_section_strict(const char *section) {
  for (size_t i = 0; i < COUNT(sections); i++)
    if (strcmp(sections[i].name, section) == 0)
      return sections[i].strict;
  return false;
}

const char *aeh_ini_section_name(size_t i) {
  return i < COUNT(sections) ? sections[i].name : NULL;
}

bool aeh_ini_key_known(const char *section, const char *key) {
  for (size_t i = 0; i < COUNT(keys); i++)
    if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].key, key) == 0)
      return true;
  return false;
}

void aeh_ini_write_environment(const aeh_doc *d) {
  for (size_t i = 0; i < COUNT(environment); i++)
    aeh_doc_entry(d, environment[i][0], environment[i][1], 24);
}

static const char intro[] =
    "aeromancy.ini, at the root of a project, holds the settings of the "
    "runner (aeromancy), of aerohost and of the project's own flags. It is "
    "an INI file: [section] headers, key = value lines, ; or # comments. "
    "Precedence: the command line, then the environment, then this file, "
    "then built-in defaults. A project needs none: every key has a "
    "default. A section not listed here, a key given twice and an entry "
    "before the first section are errors.";

static void write_sections(const aeh_doc *d) {
  for (size_t s = 0; s < COUNT(sections); s++) {
    char title[48];
    snprintf(title, sizeof title, "[%s]", sections[s].name);
    if (d->format == AEH_DOC_MAN) {
      fprintf(d->out, ".SS \"[%s]\"\n", sections[s].name);
      aeh_doc_para(d, 0, sections[s].text);
    } else {
      fprintf(d->out, "\n%s\n", title);
      aeh_doc_para(d, 2, sections[s].text);
    }
    for (size_t k = 0; k < COUNT(keys); k++) {
      if (strcmp(keys[k].section, sections[s].name) != 0)
        continue;
      char left[80];
      snprintf(left, sizeof left, "%s = %s", keys[k].key, keys[k].value);
      aeh_doc_entry(d, left, keys[k].text, 0);
    }
    if (sections[s].strict) {
      if (d->format == AEH_DOC_TEXT)
        fputc('\n', d->out);
      aeh_doc_para(d, d->format == AEH_DOC_TEXT ? 2 : 0,
                   "Any other key here is an error.");
    }
  }
}

void aeh_ini_print_help(FILE *out) {
  aeh_doc d = {out, AEH_DOC_TEXT};
  aeh_doc_para(&d, 0, intro);
  write_sections(&d);
  aeh_doc_heading(&d, "Environment", 0);
  aeh_ini_write_environment(&d);
}

void aeh_ini_write_manual(FILE *out) {
  aeh_doc d = {out, AEH_DOC_MAN};
  aeh_doc_man_begin(&d, "aeromancy.ini", 5, "settings of an aeromancy project");
  aeh_doc_heading(&d, "Description", 1);
  aeh_doc_para(&d, 0, intro);
  aeh_doc_heading(&d, "Sections", 1);
  write_sections(&d);
  aeh_doc_heading(&d, "Example", 1);
  fputs(".PP\n.nf\n.RS\n[project]\nname = myproject\n\n[flags]\n"
        "learning_rate = 0.05\n\n[container]\n"
        "debian_packages = libgsl\\-dev\n.RE\n.fi\n",
        out);
  aeh_doc_heading(&d, "Environment", 1);
  aeh_ini_write_environment(&d);
  aeh_doc_heading(&d, "See also", 1);
  aeh_doc_para(&d, 0, "aeromancy(1), aerohost(1)");
}
