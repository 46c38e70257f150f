/* report.c -- the run's result as text or JSON, and its exit code. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dom.h"
#include "engine.h"
#include "gate.h"
#include "json.h"
#include "mailbox.h"
#include "registrar.h"
#include "report.h"
#include "runbook.h"

/* UTC, ISO 8601: the UI and the audit log read the same form; "-" none */
static void
fmt_time(time_t t, char *buf, size_t n)
{
	struct tm tm;

	if (t <= 0) {
		snprintf(buf, n, "-");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* status and list only report: the checklist is theirs, and they never
 * wait or fail (exit 0) */
static int
reports_only(const struct engine *e)
{
	return !strcmp(e->cmd, "status") || !strcmp(e->cmd, "list");
}

/* the residual report's copy commands */
static void
text_residual(const struct dom *d)
{
	struct mailbox_copy c;
	const char *pos = NULL;

	while (mailbox_copy_next(d, &pos, &c))
		printf("  copy %s: %s\n", c.address, c.command);
}

/* "example.com: waiting: ..." then the notes, the checklist, what next */
void
report_text_domain(const struct engine *e, const struct dom *d)
{
	char show[600], t1[32];
	struct note nt = { 0 };
	unsigned k;
	time_t t;

	printf("%s: %s%s", dom_show(d, show, sizeof(show)), d->noop &&
	    d->res == DR_DONE ? "nothing to do" : dres_name(d->res),
	    d->msg[0] ? ": " : "");
	printf("%s%s\n", d->msg, dom_manual(d) ? " (manual DNS)" : "");
	while (dom_note_next(d, &nt))
		printf("  [%s] %s\n", note_kind_name(nt.kind), nt.text);
	/* the checklist */
	for (k = 0; reports_only(e) && d->j != NULL && k < STEP__MAX; k++) {
		if (runbook[k].label == NULL)
			continue;
		t = dom_time(d, runbook[k].mark);
		fmt_time(t, t1, sizeof(t1));
		printf("  [%c] %-28s %s\n", t ? 'x' : ' ', runbook[k].label,
		    t ? t1 : "");
		if (k == STEP_FINISH)
			registrar_text(d);
	}
	if (reports_only(e) && d->j != NULL)
		text_residual(d);
	if (d->next != STEP__MAX) {
		fmt_time(d->next_at, t1, sizeof(t1));
		printf("  next: %s%s%s\n", step_name(d->next),
		    d->next_at > 0 ? " at " : "", d->next_at > 0 ? t1 : "");
	}
}

/* next, steps, servers and notes of one domain */
static void
json_lists(const struct engine *e, const struct dom *d, struct json *j)
{
	char t1[32];
	struct note nt = { 0 };
	unsigned k;
	size_t s;

	json_obj_open(j, "next");
	json_str(j, "step", step_name(d->next));
	fmt_time(d->next_at, t1, sizeof(t1));
	json_str(j, "at", d->next_at > 0 ? t1 : NULL);
	json_num(j, "in_s", d->next_at > e->now ?
	    (long long)(d->next_at - e->now) : 0);
	json_obj_close(j);
	json_arr_open(j, "steps");
	for (k = 0; k < STEP__MAX; k++) {
		if (runbook[k].label == NULL)
			continue;
		json_obj_open(j, NULL);
		json_str(j, "step", runbook[k].label);
		fmt_time(dom_time(d, runbook[k].mark), t1, sizeof(t1));
		json_str(j, "done_at", dom_time(d, runbook[k].mark) ? t1 : NULL);
		json_obj_close(j);
	}
	json_arr_close(j);
	json_arr_open(j, "servers");
	for (s = 0; s < d->nsrv; s++) {
		json_obj_open(j, NULL);
		json_str(j, "name", d->srv[s].name);
		json_str(j, "address", d->srv[s].addr);
		json_bool(j, "primary", d->srv[s].primary);
		if (d->srv[s].has_serial)
			json_num(j, "serial", (long long)d->srv[s].serial);
		json_bool(j, "ok", d->srv[s].ok);
		json_str(j, "serves", d->srv[s].seen);
		json_obj_close(j);
	}
	json_arr_close(j);
	json_arr_open(j, "notes");
	while (dom_note_next(d, &nt)) {
		json_obj_open(j, NULL);
		json_str(j, "kind", note_kind_name(nt.kind));
		json_str(j, "text", nt.text);
		json_obj_close(j);
	}
	json_arr_close(j);
}

/* step 3's quiet gate (gate.h): state, signal, times */
static void
json_quiet(const struct engine *e, const struct dom *d, struct json *j)
{
	struct quiet_view v;
	char t1[32], why[400];

	gate_quiet_view(e, d, &v);
	if (v.state == QUIET_NONE)
		return;
	json_obj_open(j, "quiet");
	json_str(j, "state", quiet_state_name(v.state));
	json_str(j, "signal", v.state == QUIET_OFF ? "off" : v.live ? "live" :
	    "time");
	json_str(j, "usage_signal", usage_signal_name(e->cc->usage_signal));
	json_str(j, "why", v.why);
	gate_quiet_say(e, &v, why, sizeof(why));
	json_str(j, "text", why);
	fmt_time(v.last_growth, t1, sizeof(t1));
	json_str(j, "last_growth", v.last_growth ? t1 : NULL);
	fmt_time(v.last_reading, t1, sizeof(t1));
	json_str(j, "last_reading", v.last_reading ? t1 : NULL);
	fmt_time(v.opens_at, t1, sizeof(t1));
	json_str(j, "opens_at", t1);
	json_num(j, "in_s", gate_left(e, v.opens_at));
	json_num(j, "window_s", (long long)v.window);
	fmt_time(v.cap_at, t1, sizeof(t1));
	json_str(j, "cap_at", t1);
	json_num(j, "max_s", (long long)e->cc->quiet_max);
	json_bool(j, "capped", v.state == QUIET_CAPPED);
	json_obj_close(j);
}

/* the residual report of verify, with a copy command per mailbox */
static void
json_residual(const struct dom *d, struct json *j)
{
	struct mailbox_copy c;
	const char *rep = dom_get(d, JK_RESIDUAL_REPORT), *pos = NULL;

	if (rep == NULL)
		return;
	json_obj_open(j, "residual");
	json_str(j, "state", !strcmp(rep, "none") ? "none" :
	    !strcmp(rep, "unknown") ? "unknown" : "grew");
	json_arr_open(j, "mailboxes");
	while (mailbox_copy_next(d, &pos, &c)) {
		json_obj_open(j, NULL);
		json_str(j, "address", c.address);
		json_num(j, "grew_bytes", (long long)c.grew);
		json_str(j, "command", c.command);
		json_obj_close(j);
	}
	json_arr_close(j);
	json_obj_close(j);
}

/*
 * One domain for the UI (plugin/plib reads every field): "kind" from the
 * journal when there is one, else as the panel answered; "noop" is a
 * step that was already done; "state" is derived from the marks.
 */
void
report_json_domain(const struct engine *e, const struct dom *d,
    struct json *j)
{
	json_obj_open(j, NULL);
	json_str(j, "domain", d->name);
	json_str(j, "display", d->display[0] ? d->display : d->name);
	json_str(j, "kind", dom_get(d, JK_KIND) ? dom_get(d, JK_KIND) :
	    d->kind != SITE_NONE ? site_kind_name(d->kind) : NULL);
	json_bool(j, "mail_ours", dom_mail_ours(d));
	json_str(j, "result", d->noop && d->res == DR_DONE ? "noop" :
	    dres_name(d->res));
	json_str(j, "state", runbook_state(d));
	json_str(j, "message", d->msg);
	if (d->site_id)
		json_num(j, "site_id", (long long)d->site_id);
	json_str(j, "mode", dom_get(d, JK_MODE));
	json_str(j, "old_ip", dom_get(d, JK_OLD_IP));
	json_str(j, "new_ip", dom_get(d, JK_NEW_IP));
	json_str(j, "new_ip6", dom_get(d, JK_NEW_IP6));
	json_str(j, "old_ips", dom_get(d, JK_OLD_IPS));
	if (d->j != NULL) {
		json_quiet(e, d, j);
		json_residual(d, j);
	}
	registrar_json(d, j);
	json_lists(e, d, j);
	json_obj_close(j);
}

void
report_json_head(const struct engine *e, struct json *j)
{
	char t1[32];

	json_str(j, "command", e->cmd);
	fmt_time(e->now, t1, sizeof(t1));
	json_str(j, "now", t1);
	if (e->panel_failed)
		json_str(j, "panel_error", e->panel_msg);
	json_num(j, "requests", e->src ? e->src->requests : 0);
}

void
report_print(struct engine *e)
{
	struct json j;
	size_t i;

	if (!e->json) {
		for (i = 0; i < e->n; i++)
			report_text_domain(e, &e->doms[i]);
		return;
	}
	json_init(&j, stdout);
	json_obj_open(&j, NULL);
	report_json_head(e, &j);
	json_arr_open(&j, "domains");
	for (i = 0; i < e->n; i++)
		report_json_domain(e, &e->doms[i], &j);
	json_arr_close(&j);
	json_obj_close(&j);
	json_end(&j);
}

enum exit_code
report_exit(const struct engine *e)
{
	int failed = 0, waiting = 0;
	size_t i;

	if (e->panel_failed)
		return (enum exit_code)e->panel_failed;
	/* status and list report; nothing of theirs waits or fails */
	if (reports_only(e))
		return EXIT_DONE;
	for (i = 0; i < e->n; i++) {
		failed |= e->doms[i].res == DR_FAILED;
		waiting |= e->doms[i].res == DR_WAIT ||
		    e->doms[i].res == DR_BUSY;
	}
	return failed ? EXIT_FAILED : waiting ? EXIT_WAIT : EXIT_DONE;
}
