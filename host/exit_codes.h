/* The exit codes of aerohost and of the runner `aeromancy`, defined once:
 * they flow unchanged from the action through aerohost, the container and
 * the runner to the shell (README, docs/runner.md and both --help texts
 * document them).
 *
 * Owner: front-end.
 */
#ifndef AEH_EXIT_CODES_H
#define AEH_EXIT_CODES_H

enum {
  AEH_EXIT_OK = 0,       /* every selected action succeeded */
  AEH_EXIT_FAILED = 1,   /* an action failed, crashed or timed out */
  AEH_EXIT_INFRA = 2,    /* infrastructure error while running (store,
                            host, container engine) */
  AEH_EXIT_USAGE = 3,    /* error before anything ran */
  AEH_EXIT_SIGNAL = 128, /* + N when killed by signal N */
  /* The names the runner's code uses for the same two codes. */
  AEH_EXIT_ACTION_FAILED = AEH_EXIT_FAILED,
  AEH_EXIT_BEFORE_RUN = AEH_EXIT_USAGE,
};

#endif /* AEH_EXIT_CODES_H */
