/* `aeromancy ui`: the local, read-only web app over the store. The
 * command's options and help live with the runner's other commands
 * (cmd_ui.c); this is what it calls. */
#ifndef AEH_UI_H
#define AEH_UI_H

typedef struct aeh_ui_options {
  const char *store; /* --store, or NULL for the usual store rule */
  const char *host;  /* --host, or NULL for 127.0.0.1 */
  unsigned port;     /* --port; 0: any free port */
} aeh_ui_options;

/* The default --port. */
#define AEH_UI_DEFAULT_PORT 8765

/* Serves until SIGINT or SIGTERM, then returns 0; a missing store, a bad
 * address or a port in use is one line on stderr and 3. */
int aeh_ui_serve(const aeh_ui_options *options);

#endif /* AEH_UI_H */
