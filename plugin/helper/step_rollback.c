/* step_rollback.c -- rollback: the begin and the end around the steps'
 * own undo (runbook.c walks them backwards). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authdns.h"
#include "change.h"
#include "dom.h"
#include "engine.h"
#include "pending.h"
#include "step_rollback.h"
#include "zone.h"

int
rollback_begin(struct engine *e, struct undo *u)
{
	size_t i;

	memset(u, 0, sizeof(*u));
	engine_act_clear(e);
	if ((u->list = calloc(e->n + 1, sizeof(*u->list))) == NULL ||
	    (u->b = batch_new()) == NULL ||
	    (u->own = change_owners(e->n * 2)) == NULL)
		return 0;
	for (i = 0; i < e->n; i++) {
		struct dom *d = &e->doms[i];
		d->next = STEP__MAX;
		if (!dom_active(d))
			continue;
		if (dom_get(d, JK_OLD_IP) == NULL) {
			d->noop = 1;
			dom_done(d, "nothing to roll back");
			continue;
		}
		/* the intent makes the state rolling_back until it is done */
		if (!dom_time(d, JK_ROLLBACK_INTENT))
			dom_stamp(e, d, JK_ROLLBACK_INTENT);
		if (!dom_save(e, d))
			continue;
		if (dom_manual(d))
			dom_note(d, NOTE_DIFF, "at the primary DNS: set %s A of %s "
			    "back to %s", dom_get(d, JK_NAMES), d->zone,
			    dom_get(d, JK_OLD_IP));
		d->acted = 1;
		u->list[u->n++] = d;
	}
	return 1;
}

void
rollback_send(struct engine *e, struct undo *u)
{
	size_t i;
	char ttl[32];

	change_send(e, u->b, u->own);
	for (i = 0; i < u->b->n; i++) {
		struct op *o = u->b->ops[i];
		struct dom *d = u->own[i];
		int mail = o->kind == OP_MAIL_ENABLE;
		if (d == NULL)
			continue;
		snprintf(ttl, sizeof(ttl), "%lu", o->soa.ttl);
		pending_settle(e, d, mail ? PEND_MAIL_ON : PEND_TTL, mail ? "" :
		    ttl, o->result == MC_OK ? PEND_MADE : change_unknown(o) ?
		    PEND_UNKNOWN : PEND_FAILED);
		if (o->result != MC_OK) {
			dom_fail(d, "rollback: %s: %s", op_operation(o->kind),
			    o->msg);
		} else if (mail) {
			d->mailservice = 1;
			dom_note(d, NOTE_DIFF, "mail on the old server: off -> on");
		} else {
			d->soa.ttl = o->soa.ttl;
			dom_note(d, NOTE_DIFF, "zone TTL -> %s",
			    dom_get(d, JK_ORIG_TTL));
		}
	}
}

void
rollback_end(struct undo *u)
{
	batch_free(u->b);
	free(u->own);
	free(u->list);
	memset(u, 0, sizeof(*u));
}

/* the marks of the cutover removed: the domain starts over from here */
static void
rolled_back(struct engine *e, struct dom *d)
{
	unsigned k;

	for (k = 0; k < JK__MAX; k++)
		if (jkey_progress((enum jkey)k))
			dom_unset(d, (enum jkey)k);
	dom_unset(d, JK_ROLLBACK_INTENT);
	dom_stamp(e, d, JK_ROLLBACK_DONE);
	if (!dom_save(e, d))
		return;
	dom_audit(e, d, "rollback", dom_get(d, JK_NEW_IP),
	    dom_get(d, JK_OLD_IP), "done");
	dom_done(d, "rolled back: %s serve %s again; TTL %s; mail %s",
	    dom_get(d, JK_NAMES), dom_get(d, JK_OLD_IP),
	    dom_get(d, JK_ORIG_TTL), dom_get(d, JK_ORIG_MAIL));
}

void
rollback_check(struct engine *e, int own)
{
	struct dom **list;
	size_t i, n;

	(void)own;
	if ((list = engine_acted(e, &n)) == NULL)
		return;
	authdns_wait_primary(e, list, n, EXPECT_ORIG, e->cc->switch_timeout,
	    e->cc->switch_timeout_set);
	/* the secondaries too; a laggard is reported, not a failure */
	authdns_converge(e, list, n, EXPECT_ORIG);
	for (i = 0; i < n; i++)
		if (dom_active(list[i]) && list[i]->res != DR_WAIT)
			rolled_back(e, list[i]);
	free(list);
}
