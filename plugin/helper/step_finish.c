/* step_finish.c -- runbook 5-6: the delegation and the TTL, then done. */
#include <stdio.h>
#include <stdlib.h>

#include "change.h"
#include "dom.h"
#include "engine.h"
#include "pending.h"
#include "step_finish.h"
#include "zone.h"

/* one domain; 0 when it does not go on to the TTL */
static int
registrar(struct engine *e, struct dom *d)
{
	if (dom_time(d, JK_FINISH_DONE)) {
		d->noop = 1;
		return 0;
	}
	if (!dom_time(d, JK_VERIFY_DONE) && !e->force) {
		dom_wait(d, STEP_VERIFY, 0, "not verified yet (run verify)");
		return 0;
	}
	if (dom_manual(d))
		return 1;
	dom_note(d, NOTE_INFO, "the old server was the primary DNS of %s: at "
	    "the registrar, change the name servers of %s to the new "
	    "server's, and keep the old server serving the zone for at least "
	    "the delegation TTL", d->zone, d->zone);
	if (!e->confirm_registrar) {
		dom_wait(d, STEP_FINISH, 0, "confirm the registrar change: "
		    "mailcutover finish --confirm-registrar %s", d->name);
		return 0;
	}
	dom_audit(e, d, "registrar", "-", "confirmed", "confirmed by operator");
	return 1;
}

/* the TTL change of d into b (with its pending entry, saved first) */
static void
restore_ttl(struct engine *e, struct dom *d, struct batch *b,
    struct dom **own, const char *ttl)
{
	if (!pending_add(e, d, PEND_TTL, ttl, "finish",
	    dom_get(d, JK_PREPARE_OLD_TTL) ? "lowered TTL" : "-", ttl, "ok") ||
	    !dom_save(e, d))
		return;
	own[b->n] = d;
	d->acted = 1;
	if (change_ttl(b, d, e->cc->restored_ttl) == NULL) {
		own[b->n] = NULL;
		pending_settle(e, d, PEND_TTL, ttl, PEND_NOT_MADE);
	}
}

void
finish_act(struct engine *e)
{
	struct batch *b = NULL;
	struct dom **own = NULL;
	size_t i;
	char buf[32];

	engine_act_clear(e);
	snprintf(buf, sizeof(buf), "%lu", e->cc->restored_ttl);
	if ((b = batch_new()) == NULL || (own = change_owners(e->n)) == NULL)
		goto out;
	for (i = 0; i < e->n; i++) {
		struct dom *d = &e->doms[i];
		if (!dom_active(d) || !registrar(e, d))
			continue;
		if (d->soa.ttl != e->cc->restored_ttl && !dom_manual(d))
			restore_ttl(e, d, b, own, buf);
	}
	change_send(e, b, own);
	for (i = 0; i < b->n; i++) {
		const struct op *o = b->ops[i];
		if (own[i] == NULL)
			continue;
		pending_settle(e, own[i], PEND_TTL, buf, o->result == MC_OK ?
		    PEND_MADE : change_unknown(o) ? PEND_UNKNOWN : PEND_FAILED);
		if (o->result != MC_OK)
			dom_fail(own[i], "restoring the TTL: %s", o->msg);
		else
			own[i]->soa.ttl = e->cc->restored_ttl;
	}
	/* done: every domain still active got through the registrar and,
	   if it needed one, its TTL change (its audit line came with the
	   change, or with the reading that found it made) */
	for (i = 0; i < e->n; i++) {
		struct dom *d = &e->doms[i];
		if (!dom_active(d) || d->res == DR_WAIT || d->noop)
			continue;
		if (!d->acted)
			dom_audit(e, d, "finish", "-", "cutover finished",
			    "done");
		dom_stamp(e, d, JK_FINISH_DONE);
		dom_save(e, d);
		dom_note(d, NOTE_DIFF, "zone TTL -> %lu", e->cc->restored_ttl);
		dom_done(d, "cutover finished");
	}
out:
	batch_free(b);
	free(own);
}
