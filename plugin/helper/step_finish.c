/* step_finish.c -- runbook 5-6: the delegation (registrar.h) and the
 * TTL, then done. */
#include <stdio.h>
#include <stdlib.h>

#include "change.h"
#include "dom.h"
#include "engine.h"
#include "pending.h"
#include "registrar.h"
#include "step_finish.h"
#include "zone.h"

/*
 * Whether finish takes d in this run (at most once: migrate's second
 * pass does not ask the parent again). A finished domain is a no-op; an
 * unverified one waits for verify when finish is the command (with
 * --force it goes on), and is left as it is under migrate and tick.
 */
static int
wanted(struct engine *e, struct dom *d)
{
	int own = e->step == STEP_FINISH;

	if (!dom_active(d) || (d->asked & (1u << STEP_FINISH)))
		return 0;
	if (dom_time(d, JK_FINISH_DONE)) {
		if (own)
			d->noop = 1;
		return 0;
	}
	if (!dom_time(d, JK_VERIFY_DONE) && !(own && e->force)) {
		if (own)
			dom_wait(d, STEP_VERIFY, 0, "not verified yet (run "
			    "verify)");
		return 0;
	}
	d->asked |= 1u << STEP_FINISH;
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

/* the TTL back to restored_ttl for the domains through step 5 (one
 * batch), then finish.done */
static void
restore(struct engine *e, struct dom **ds, const int *through, size_t n)
{
	struct batch *b = NULL;
	struct dom **own = NULL;
	size_t i;
	char buf[32];

	snprintf(buf, sizeof(buf), "%lu", e->cc->restored_ttl);
	if ((b = batch_new()) == NULL || (own = change_owners(n)) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		struct dom *d = ds[i];
		if (!through[i] || !dom_active(d))
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
	/* done: every domain still active got through step 5 and, if it
	   needed one, its TTL change (its audit line came with the change,
	   or with the reading that found it made) */
	for (i = 0; i < n; i++) {
		struct dom *d = ds[i];
		if (!through[i] || !dom_active(d) || d->res == DR_WAIT)
			continue;
		if (!d->acted)
			dom_audit(e, d, "finish", "-", "cutover finished",
			    "done");
		dom_stamp(e, d, JK_FINISH_DONE);
		dom_save(e, d);
		dom_note(d, NOTE_DIFF, "zone TTL -> %lu", e->cc->restored_ttl);
		d->noop = 0;	/* finished in this run (migrate, tick) */
		dom_done(d, "cutover finished");
	}
out:
	batch_free(b);
	free(own);
}

void
finish_act(struct engine *e)
{
	struct dom **ds;
	int *through;
	size_t i, n = 0;

	engine_act_clear(e);
	ds = calloc(e->n + 1, sizeof(*ds));
	through = calloc(e->n + 1, sizeof(*through));
	if (ds == NULL || through == NULL) {
		for (i = 0; i < e->n; i++)
			if (dom_active(&e->doms[i]))
				dom_fail(&e->doms[i], "out of memory");
		goto out;
	}
	for (i = 0; i < e->n; i++)
		if (wanted(e, &e->doms[i]))
			ds[n++] = &e->doms[i];
	if (n > 0) {
		registrar_run(e, ds, n, through);
		restore(e, ds, through, n);
	}
out:
	free(ds);
	free(through);
}
