/* STUB: replaced by the tracking implementation. */
#include "tracker.h"
#define NYI(err) aeh_error_set(err, AERO_E_UNSUPPORTED, "tracker: not implemented yet")
aero_status aeh_store_open(const char *b, const char *l, aeh_store **out, aero_error *err) { (void)b; (void)l; (void)out; return NYI(err); }
void aeh_store_close(aeh_store *s) { (void)s; }
const char *aeh_store_location(const aeh_store *s) { (void)s; return ""; }
void aeh_store_after_fork(aeh_store *s) { (void)s; }
aero_status aeh_session_check_overrides(const aeh_session *s, aero_error *err) { (void)s; (void)err; return AERO_OK; }
aero_status aeh_run_begin(aeh_store *s, const aeh_session *se, const aero_graph *g, const aeh_action *a, aeh_run **out, aero_error *err) { (void)s; (void)se; (void)g; (void)a; (void)out; return NYI(err); }
int64_t aeh_run_id(const aeh_run *r) { (void)r; return 0; }
aero_tracker *aeh_run_tracker(aeh_run *r) { (void)r; return NULL; }
aero_status aeh_run_end(aeh_run *r, const aero_run_outcome *o, aero_error *err) { (void)r; (void)o; return NYI(err); }
void aeh_run_free(aeh_run *r) { (void)r; }
aero_status aeh_run_record_skipped(aeh_store *s, const aeh_session *se, const aeh_action *a, const char *why, aero_error *err) { (void)s; (void)se; (void)a; (void)why; return NYI(err); }
aero_status aeh_tracker_declare_input(aero_tracker *t, const char *a, aero_input *i, aero_error *err) { (void)t; (void)a; (void)i; return NYI(err); }
aero_status aeh_tracker_declare_output(aero_tracker *t, const aero_output_desc *d, aero_error *err) { (void)t; (void)d; return NYI(err); }
aero_status aeh_tracker_log_metrics(aero_tracker *t, const aero_metric *m, size_t c, int64_t s, aero_error *err) { (void)t; (void)m; (void)c; (void)s; return NYI(err); }
void aeh_tracker_log_text(aero_tracker *t, aero_log_level l, const char *m) { (void)t; (void)l; (void)m; }
aero_status aeh_tracker_bailout(aero_tracker *t, const char *r) { (void)t; (void)r; return AERO_E_BAILOUT; }
const char *aeh_tracker_workdir(aero_tracker *t) { (void)t; return "."; }
bool aeh_tracker_bailed(const aero_tracker *t) { (void)t; return false; }
