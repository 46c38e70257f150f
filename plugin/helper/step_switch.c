/* step_switch.c -- runbook 1: add the new A/AAAA records, delete the old
 * ones, and wait for the primary name server to serve them. */
#include <stdio.h>
#include <stdlib.h>

#include "authdns.h"
#include "decide.h"
#include "dom.h"
#include "engine.h"
#include "gate.h"
#include "mailbox.h"
#include "records.h"
#include "step_rollback.h"
#include "step_switch.h"
#include "zone.h"

/*
 * A domain that was never prepared: what is ours decides its outcome;
 * only --force captures it now. Returns 1 when it may go on.
 */
static int
unprepared(struct engine *e, struct dom *d)
{
	struct own_decision dec;
	int ours;

	zone_targets(e, NULL);
	if (!decide_dom(e, d, OWN_FORWARD, &dec))
		return 0;
	ours = decide_outcome(d, &dec);
	own_decision_clear(&dec);
	if (!ours)
		return 0;
	if (!e->force) {
		dom_wait(d, STEP_PREPARE, 0, "the TTL was not lowered yet: run "
		    "prepare first");
		return 0;
	}
	return decide_capture(e, d);
}

/* the switch gate for d: 1 open (or forced), 0 it waits */
static int
gate_open(struct engine *e, struct dom *d)
{
	time_t g = gate_switch(e, d);
	char buf[32];

	if (g >= 0 && g <= e->now)
		return 1;
	if (!e->force) {
		if (g < 0) {
			dom_wait(d, STEP_SWITCH, 0, "not every name server "
			    "serves the lowered TTL yet (run prepare or sync "
			    "again)");
			return 0;
		}
		gate_human(gate_left(e, g), buf, sizeof(buf));
		dom_wait(d, STEP_SWITCH, g, "TTL gate: caches may still hold the "
		    "old TTL for %s (%ld s)", buf, gate_left(e, g));
		return 0;
	}
	fprintf(stderr, "mailcutover: WARNING: %s: switching before the TTL "
	    "gate (--force): resolvers may keep the old address for up to %s "
	    "s\n", d->name, dom_get(d, JK_PREPARE_OLD_TTL) ?
	    dom_get(d, JK_PREPARE_OLD_TTL) : "?");
	dom_stamp(e, d, JK_SWITCH_FORCED);
	dom_audit(e, d, "switch", "gate closed", "forced", "forced");
	return 1;
}

void
switch_act(struct engine *e)
{
	struct dom **list;
	size_t i, n = 0;

	engine_act_clear(e);
	if ((list = calloc(e->n + 1, sizeof(*list))) == NULL)
		return;
	for (i = 0; i < e->n; i++) {
		struct dom *d = &e->doms[i];
		if (!dom_active(d) || d->res == DR_WAIT)
			continue;
		d->next = STEP__MAX;
		if (dom_time(d, JK_SWITCH_DONE)) {
			d->noop = 1;
			continue;
		}
		if ((dom_get(d, JK_OLD_IP) == NULL && !unprepared(e, d)) ||
		    !gate_open(e, d))
			continue;
		/* the first intent stays: a rerun after a crash is the same
		   switch, reconciled with the zone as read */
		if (!dom_time(d, JK_SWITCH_INTENT))
			dom_stamp(e, d, JK_SWITCH_INTENT);
		if (!dom_save(e, d))
			continue;
		d->acted = 1;
		list[n++] = d;
	}
	records_converge(e, list, n, "switch", OWN_FORWARD);
	free(list);
}

void
switch_check(struct engine *e, int own)
{
	struct dom **list;
	size_t i, n;
	const char *n6;

	(void)own;
	if ((list = engine_acted(e, &n)) == NULL)
		return;
	/* the runbook's "Update" check: the primary serves the new records */
	authdns_wait_primary(e, list, n, EXPECT_NEW, e->cc->switch_timeout,
	    e->cc->switch_timeout_set);
	/* how full the old mailboxes are now: the base of the residual report */
	mailbox_base(e, list, n);
	for (i = 0; i < n; i++) {
		struct dom *d = list[i];
		if (!dom_active(d) || d->res == DR_WAIT)
			continue;
		dom_stamp(e, d, JK_SWITCH_DONE);
		if (!dom_save(e, d))
			continue;
		n6 = dom_get(d, JK_NEW_IP6);
		dom_next(d, STEP_SYNC, 0);
		dom_done(d, "the primary serves %s%s%s for %s",
		    dom_get(d, JK_NEW_IP), n6 && *n6 ? " and " : "",
		    n6 ? n6 : "", dom_get(d, JK_NAMES));
		dom_audit(e, d, "switch", dom_get(d, JK_OLD_IP),
		    dom_get(d, JK_NEW_IP), "done");
	}
	free(list);
}

void
switch_undo(struct engine *e, struct undo *u)
{
	/* records: the originals back first, then the new ones out */
	records_converge(e, u->list, u->n, "rollback", OWN_BACK);
}
