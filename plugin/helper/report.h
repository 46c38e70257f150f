/* report.h -- what a run says: one JSON document (--json, the UI's only
 * input) or readable text on stdout, and the exit code. */
#ifndef MC_REPORT_H
#define MC_REPORT_H

#include "exitcode.h"

struct engine;

/*
 * Every domain of the run: its result (done, noop, already, skipped,
 * refused, waiting, failed), state, message, next step and when, the
 * checklist (the runbook's rows and when each was done), the name
 * servers and the notes; at the top the command, the run's clock, the
 * requests sent and a panel error.
 */
void		 report_print(struct engine *);

struct dom;
struct json;

/* one domain as report_print writes it: as text, or as a JSON object
 * (listing.c writes a page of them) */
void		 report_text_domain(const struct engine *, const struct dom *);
void		 report_json_domain(const struct engine *, const struct dom *,
		    struct json *);
/* the top of the JSON document: command, now, panel_error, requests */
void		 report_json_head(const struct engine *, struct json *);

/*
 * The exit code of the run (design.md section 4): the panel's when it
 * could not be used, 0 for status and list (they report), else 1 when a
 * domain failed, 3 when one waits, 0.
 */
enum exit_code	 report_exit(const struct engine *);

#endif
