/* step_sync.c -- runbook 2: the secondaries in sync with the primary. */
#include <stdlib.h>

#include "authdns.h"
#include "dom.h"
#include "engine.h"
#include "gate.h"
#include "step_sync.h"

/* the domains sync_run asks about; 0 to leave d out */
static int
wanted(struct engine *e, struct dom *d, int after_prepare)
{
	if (!dom_active(d))
		return 0;
	/* the lowered TTL: asked at most once per run, so that migrate's
	   later steps do not wait sync_timeout for it again */
	if (after_prepare) {
		if (!dom_time(d, JK_PREPARE_DONE) ||
		    dom_time(d, JK_PREPARE_CONFIRMED) ||
		    (d->asked & (1u << STEP_PREPARE)))
			return 0;
		d->asked |= 1u << STEP_PREPARE;
		return 1;
	}
	if (d->res == DR_WAIT)
		return 0;
	if (dom_time(d, JK_SYNC_DONE)) {
		if (e->step == STEP_SYNC)
			d->noop = 1;
		return 0;
	}
	if (!dom_time(d, JK_SWITCH_DONE)) {
		if (e->step == STEP_SYNC)
			dom_wait(d, STEP_SWITCH, 0, "not switched yet");
		return 0;
	}
	return 1;
}

/* every server agrees: stamp the mark, say what comes next */
static void
agreed(struct engine *e, struct dom *d, int after_prepare)
{
	dom_stamp(e, d, after_prepare ? JK_PREPARE_CONFIRMED : JK_SYNC_DONE);
	if (!after_prepare)
		dom_setf(d, JK_SYNC_SERIAL, "%lu", d->srv[0].serial);
	if (dom_save(e, d) && !after_prepare) {
		dom_audit(e, d, "sync", "-", d->srv[0].seen,
		    "all servers agree");
		dom_done(d, "all %zu name servers serve serial %lu and %s",
		    d->nsrv, d->srv[0].serial, dom_get(d, JK_NEW_IP));
		dom_next(d, STEP_DISABLE, gate_disable(e, d));
	}
}

void
sync_run(struct engine *e, int after_prepare)
{
	struct dom **ds;
	size_t i, n = 0;
	char lag[400];

	if ((ds = calloc(e->n + 1, sizeof(*ds))) == NULL)
		return;
	for (i = 0; i < e->n; i++)
		if (wanted(e, &e->doms[i], after_prepare)) {
			dom_zone_init(&e->doms[i]);
			ds[n++] = &e->doms[i];
		}
	authdns_converge(e, ds, n, after_prepare ? EXPECT_SERIAL : EXPECT_NEW);
	for (i = 0; i < n; i++) {
		struct dom *d = ds[i];
		lag[0] = '\0';
		if (!dom_active(d))
			continue;
		if (authdns_all_ok(d, lag, sizeof(lag)))
			agreed(e, d, after_prepare);
		else if (after_prepare)
			dom_wait(d, STEP_SWITCH, 0, "the switch gate opens once "
			    "every name server serves the lowered TTL: %s", lag);
		else
			dom_wait(d, STEP_SYNC, 0, "not every name server serves "
			    "the new records yet: %s", lag);
	}
	free(ds);
}

void
sync_check(struct engine *e, int own)
{
	(void)own;
	sync_run(e, 0);
}
