/* runbook.c -- the table and the walker: which steps run, in which
 * order, for which command; the status and state of a domain. */
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "dom.h"
#include "engine.h"
#include "gate.h"
#include "journal.h"
#include "journaldir.h"
#include "runbook.h"
#include "step_disable.h"
#include "step_finish.h"
#include "step_plan.h"
#include "step_prepare.h"
#include "step_rollback.h"
#include "step_switch.h"
#include "step_sync.h"
#include "step_verify.h"
#include "zone.h"

static void	runbook_undo(struct engine *);
static int	mail_was_on(const struct dom *);

/*
 * The rows: { id, label, mark, state, waiting, unknown, gate, applies,
 * act, check, undo, needs, flags, quiet, why } (runbook.h). Rows without a
 * label (plan, rollback) are not on the checklist.
 */
const struct step runbook[STEP__MAX] = {
	[STEP_PLAN] = { STEP_PLAN, NULL, JK__MAX, NULL, NULL, NULL,
	    NULL, NULL, plan_act, NULL, NULL,
	    STEP__MAX, STEP_PANEL, NULL, NULL },
	[STEP_PREPARE] = { STEP_PREPARE, "0.2 lower TTL", JK_PREPARE_DONE,
	    "prepared", "TTL not lowered yet", NULL,
	    NULL, NULL, prepare_act, prepare_check, prepare_undo,
	    STEP__MAX, STEP_PANEL | STEP_MIGRATE, NULL, NULL },
	[STEP_SWITCH] = { STEP_SWITCH, "1 switch records", JK_SWITCH_DONE,
	    "switched", "waiting for the old TTL to expire",
	    "waiting for every name server to serve the lowered TTL",
	    gate_switch, NULL, switch_act, switch_check, switch_undo,
	    STEP_PREPARE, STEP_PANEL | STEP_MIGRATE | STEP_QUIET,
	    "outside the quiet-hours window", NULL },
	[STEP_SYNC] = { STEP_SYNC, "2 secondaries in sync", JK_SYNC_DONE,
	    "synced", "secondaries not confirmed yet", NULL,
	    NULL, NULL, NULL, sync_check, NULL,
	    STEP_PREPARE, STEP_MIGRATE | STEP_STARTED, NULL, NULL },
	[STEP_DISABLE] = { STEP_DISABLE, "3 old mail disabled",
	    JK_DISABLE_DONE, "mail_disabled",
	    "waiting before old mail is disabled", NULL,
	    gate_disable, mail_was_on, disable_act, disable_check,
	    disable_undo,
	    STEP__MAX, STEP_PANEL | STEP_MIGRATE | STEP_QUIET | STEP_STARTED,
	    NULL, disable_why },
	[STEP_VERIFY] = { STEP_VERIFY, "4 verified", JK_VERIFY_DONE,
	    "verified", "not verified yet", NULL,
	    NULL, NULL, NULL, verify_check, NULL,
	    STEP__MAX, STEP_MIGRATE | STEP_STARTED, NULL, NULL },
	[STEP_FINISH] = { STEP_FINISH, "5-6 finished, TTL restored",
	    JK_FINISH_DONE, "done", "registrar check and TTL restore", NULL,
	    NULL, NULL, finish_act, NULL, NULL,
	    STEP__MAX, STEP_PANEL | STEP_MIGRATE | STEP_STARTED, NULL, NULL },
	[STEP_ROLLBACK] = { STEP_ROLLBACK, NULL, JK_ROLLBACK_DONE,
	    "rolled_back", NULL, NULL,
	    NULL, NULL, runbook_undo, rollback_check, NULL,
	    STEP__MAX, STEP_PANEL, NULL, NULL },
};

/* status: old mail is disabled only where it was on */
static int
mail_was_on(const struct dom *d)
{
	const char *om = dom_get(d, JK_ORIG_MAIL);

	return om != NULL && strcmp(om, "on") == 0;
}

/* the rollback's act: each step undoes its own change, last step first */
static void
runbook_undo(struct engine *e)
{
	struct undo u;
	unsigned k;

	if (rollback_begin(e, &u)) {
		for (k = STEP__MAX; k-- > 0; )
			if (runbook[k].undo != NULL)
				runbook[k].undo(e, &u);
		rollback_send(e, &u);
	}
	rollback_end(&u);
}

/* one row: the panel read, what it needs re-asked, its act, its check */
static void
run_row(struct engine *e, const struct step *s)
{
	engine_tick(e);
	if ((s->flags & STEP_PANEL) && !zone_read(e, NULL))
		return;
	if (s->needs != STEP__MAX && runbook[s->needs].check != NULL)
		runbook[s->needs].check(e, 0);
	if (s->act != NULL)
		s->act(e);
	if (s->check != NULL)
		s->check(e, 1);
}

static int
unstarted_one(const struct dom *d)
{
	return dom_get(d, JK_OLD_IP) == NULL;
}

/*
 * sync, disable-old-mail, verify and finish act on domains in progress.
 * A domain named there that never started gets the same outcome as plan
 * would give it (already, skipped, refused), or is told to start with
 * prepare; one panel read, only when there is such a domain.
 */
static void
unstarted(struct engine *e)
{
	struct own_decision dec;
	size_t i, n = 0;

	for (i = 0; i < e->n; i++)
		n += !e->doms[i].skip && unstarted_one(&e->doms[i]);
	if (n == 0 || !zone_read(e, unstarted_one))
		return;
	zone_targets(e, unstarted_one);
	for (i = 0; i < e->n; i++) {
		struct dom *d = &e->doms[i];
		if (d->skip || !unstarted_one(d) ||
		    !decide_dom(e, d, OWN_FORWARD, &dec))
			continue;
		if (decide_outcome(d, &dec)) {
			dom_wait(d, STEP_PREPARE, 0, "not started: run prepare "
			    "(or migrate) first");
			d->skip = 1;
		}
		own_decision_clear(&dec);
	}
}

/* the quiet-hours rule of a row under tick; 1 when the row may run */
static int
quiet_ok(struct engine *e, const struct step *s)
{
	size_t i;

	if (!(s->flags & STEP_QUIET) || gate_quiet(e))
		return 1;
	for (i = 0; s->quiet != NULL && i < e->n; i++)
		if (!e->doms[i].skip && e->doms[i].res != DR_FAILED &&
		    !dom_time(&e->doms[i], s->mark))
			dom_wait(&e->doms[i], s->id, 0, "%s", s->quiet);
	return 0;
}

/* after a first pass: did a switch gate open meanwhile? */
static int
again(struct engine *e)
{
	size_t i;
	time_t g;

	engine_tick(e);
	for (i = 0; i < e->n; i++) {
		struct dom *d = &e->doms[i];
		if (d->res == DR_DONE && !d->skip &&
		    !dom_time(d, JK_VERIFY_DONE) &&
		    !dom_time(d, JK_SWITCH_DONE) &&
		    (g = runbook[STEP_SWITCH].gate(e, d)) >= 0 && g <= e->now)
			return 1;
	}
	return 0;
}

/* advance each active domain as far as its gates allow */
static void
migrate(struct engine *e, int scheduled)
{
	unsigned k;
	size_t i;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		for (k = 0; k < STEP__MAX; k++) {
			if (!(runbook[k].flags & STEP_MIGRATE))
				continue;
			engine_tick(e);
			if (!scheduled || quiet_ok(e, &runbook[k]))
				run_row(e, &runbook[k]);
		}
		/* a second pass only if a gate opened meanwhile */
		if (pass > 0 || !again(e))
			break;
	}
	for (i = 0; i < e->n; i++) {
		struct dom *d = &e->doms[i];
		if (d->res == DR_DONE && dom_time(d, JK_VERIFY_DONE) &&
		    !dom_time(d, JK_FINISH_DONE))
			dom_wait(d, STEP_FINISH, 0, "verified; finish when the "
			    "registrar change is done (mailcutover finish)");
	}
}

/* tick: migrate the domains in progress; the finished ones rest */
static void
tick(struct engine *e)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		struct dom *d = &e->doms[i];
		if (!d->skip && (dom_time(d, JK_FINISH_DONE) ||
		    (dom_time(d, JK_ROLLBACK_DONE) &&
		    !dom_time(d, JK_PREPARE_INTENT)))) {
			d->skip = 1;
			d->noop = 1;
			dom_done(d, "nothing to do");
		}
	}
	migrate(e, 1);
}

/* status: the first step of the checklist not marked is what it waits for */
static void
status(struct engine *e, struct dom *d)
{
	const struct step *s;
	char why[400];
	unsigned k;
	time_t g;

	if (!journal_exists(e->cc->state_dir, d->name)) {
		dom_wait(d, STEP_PLAN, 0, "no cutover started");
		return;
	}
	if (dom_time(d, JK_FINISH_DONE)) {
		dom_done(d, "finished");
		return;
	}
	if (dom_time(d, JK_ROLLBACK_DONE) && !dom_time(d, JK_PREPARE_INTENT)) {
		dom_done(d, "rolled back");
		return;
	}
	for (k = 0; k < STEP__MAX; k++) {
		s = &runbook[k];
		if (s->label == NULL || dom_time(d, s->mark) ||
		    (s->applies != NULL && !s->applies(d)))
			continue;
		g = s->gate != NULL ? s->gate(e, d) : 0;
		why[0] = '\0';
		if (s->why != NULL)
			s->why(e, d, why, sizeof(why));
		dom_wait(d, s->id, g > 0 ? g : 0, "%s", why[0] ? why :
		    g < 0 && s->unknown ? s->unknown : s->waiting);
		return;
	}
}

void
runbook_run(struct engine *e)
{
	size_t i;

	if (!strcmp(e->cmd, "status") || !strcmp(e->cmd, "list")) {
		for (i = 0; i < e->n; i++)
			if (!e->doms[i].skip)
				status(e, &e->doms[i]);
	} else if (!strcmp(e->cmd, "migrate"))
		migrate(e, 0);
	else if (!strcmp(e->cmd, "tick"))
		tick(e);
	else if (e->step != STEP__MAX) {
		if (runbook[e->step].flags & STEP_STARTED)
			unstarted(e);
		run_row(e, &runbook[e->step]);
	}
}

const char *
runbook_state(const struct dom *d)
{
	unsigned k;

	if (d->j == NULL)
		return "unknown";
	if (dom_time(d, JK_ROLLBACK_INTENT))
		return "rolling_back";
	for (k = STEP__MAX; k-- > 0; )
		if (runbook[k].label != NULL && dom_time(d, runbook[k].mark))
			return runbook[k].state;
	if (dom_time(d, JK_ROLLBACK_DONE))
		return "rolled_back";
	if (dom_get(d, JK_OLD_IP) != NULL)
		return "planned";
	return "new";
}
