/* STUB: replaced by the engine's implementation. */
#include "executor.h"
int aeh_execute(aero_graph *g, aeh_store *s, const aeh_session *se, const aeh_exec_options *o) { (void)g; (void)s; (void)se; (void)o; return AEH_EXIT_INFRA; }
