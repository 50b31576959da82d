/* A valid shared library that is not a plugin: no aero_plugin_entry. */
int ldr_noentry_answer(void);
int ldr_noentry_answer(void) {
  return 42;
}
