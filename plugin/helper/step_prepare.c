/* step_prepare.c -- runbook 0.2: the zone TTL lowered before the switch,
 * so that caches hold the old address for the lowered TTL at most. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "change.h"
#include "decide.h"
#include "dom.h"
#include "engine.h"
#include "gate.h"
#include "pending.h"
#include "step_prepare.h"
#include "step_rollback.h"
#include "step_sync.h"
#include "zone.h"

/* prepare.done with its note and journal; nothing was sent */
static void
prepared(struct engine *e, struct dom *d)
{
	dom_stamp(e, d, JK_PREPARE_DONE);
	dom_save(e, d);
}

/*
 * One domain: its identity first (decide_capture), then what its TTL
 * needs. Returns 1 when a TTL change was queued into b (owner in own).
 */
static int
prepare_one(struct engine *e, struct dom *d, struct batch *b,
    struct dom **own)
{
	unsigned long old_ttl = 0, low = e->cc->lowered_ttl;
	char olds[32], lows[32];

	/* prepared before: nothing to change (the check may still confirm) */
	if (dom_time(d, JK_PREPARE_DONE)) {
		d->noop = 1;
		return 0;
	}
	if (!decide_capture(e, d))
		return 0;
	dom_ulong(d, JK_ORIG_TTL, &old_ttl);
	if (dom_manual(d)) {
		dom_note(d, NOTE_DIFF, "at the primary DNS (not this panel): "
		    "set the TTL of zone %s from %lu to %lu", d->zone, old_ttl,
		    low);
		dom_setf(d, JK_PREPARE_OLD_TTL, "%lu", old_ttl);
		prepared(e, d);
		return 0;
	}
	/* a lost answer last time: the panel may already have it */
	if (dom_time(d, JK_PREPARE_INTENT) && d->soa.ttl == low) {
		dom_note(d, NOTE_INFO, "reconciled: the panel already has TTL "
		    "%lu", d->soa.ttl);
		prepared(e, d);
		return 0;
	}
	if (old_ttl <= low) {
		dom_note(d, NOTE_INFO, "TTL %lu is already at or below %lu: no "
		    "change, no wait", old_ttl, low);
		dom_setf(d, JK_PREPARE_OLD_TTL, "%lu", old_ttl);
		prepared(e, d);
		return 0;
	}
	/* the intent and the TTL caches may hold are on disk before the
	   panel is asked: a crash after it still leaves the gate right */
	dom_setf(d, JK_PREPARE_OLD_TTL, "%lu", old_ttl);
	dom_stamp(e, d, JK_PREPARE_INTENT);
	snprintf(olds, sizeof(olds), "%lu", old_ttl);
	snprintf(lows, sizeof(lows), "%lu", low);
	if (!pending_add(e, d, PEND_TTL, lows, "prepare", olds, lows, "ok") ||
	    !dom_save(e, d))
		return 0;
	own[b->n] = d;
	if (change_ttl(b, d, low) == NULL) {
		own[b->n] = NULL;
		pending_settle(e, d, PEND_TTL, lows, PEND_NOT_MADE);
		return 0;
	}
	return 1;
}

/* the panel's answer to one TTL change */
static void
prepare_took(struct engine *e, const struct op *o, struct dom *d)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lu", e->cc->lowered_ttl);
	if (o->result == MC_OK) {
		d->soa.ttl = e->cc->lowered_ttl;
		pending_settle(e, d, PEND_TTL, buf, PEND_MADE);
		prepared(e, d);
		dom_note(d, NOTE_DIFF, "zone TTL %s -> %lu",
		    dom_get(d, JK_PREPARE_OLD_TTL), e->cc->lowered_ttl);
		return;
	}
	pending_settle(e, d, PEND_TTL, buf, change_unknown(o) ? PEND_UNKNOWN :
	    PEND_FAILED);
	dom_fail(d, "lowering the TTL: %s%s", o->msg, change_unknown(o) ?
	    " (run again: the zone is read first)" : "");
}

void
prepare_act(struct engine *e)
{
	struct batch *b = NULL;
	struct dom **own = NULL;
	size_t i;

	if ((b = batch_new()) == NULL || (own = change_owners(e->n)) == NULL)
		goto out;
	for (i = 0; i < e->n; i++)
		if (dom_active(&e->doms[i]))
			prepare_one(e, &e->doms[i], b, own);
	change_send(e, b, own);
	for (i = 0; i < b->n; i++)
		prepare_took(e, b->ops[i], own[i]);
out:
	batch_free(b);
	free(own);
}

void
prepare_check(struct engine *e, int own)
{
	char buf[32];
	size_t i;
	time_t g;

	/* every authoritative server must serve the lowered TTL */
	sync_run(e, 1);
	for (i = 0; own && i < e->n; i++) {
		struct dom *d = &e->doms[i];
		if (!dom_active(d) || d->res == DR_WAIT)
			continue;
		if ((g = gate_switch(e, d)) >= 0) {
			gate_human(gate_left(e, g), buf, sizeof(buf));
			dom_next(d, STEP_SWITCH, g);
			dom_done(d, "TTL lowered; the switch is possible %s%s",
			    g <= e->now ? "now" : "in ", g <= e->now ? "" : buf);
		}
	}
}

void
prepare_undo(struct engine *e, struct undo *u)
{
	unsigned long ttl;
	char buf[32];
	size_t k;

	for (k = 0; k < u->n; k++) {
		struct dom *d = u->list[k];
		if (!dom_active(d) || !dom_ulong(d, JK_ORIG_TTL, &ttl) ||
		    d->soa.ttl == ttl || dom_manual(d))
			continue;
		snprintf(buf, sizeof(buf), "%lu", ttl);
		if (!pending_add(e, d, PEND_TTL, buf, "rollback", "TTL", buf,
		    "ok") || !dom_save(e, d))
			continue;
		u->own[u->b->n] = d;
		if (change_ttl(u->b, d, ttl) == NULL) {
			u->own[u->b->n] = NULL;
			pending_settle(e, d, PEND_TTL, buf, PEND_NOT_MADE);
		}
	}
}
