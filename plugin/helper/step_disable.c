/* step_disable.c -- runbook 3: the old server stops taking the domain's
 * mail, once senders have had time to learn the new address. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "change.h"
#include "dom.h"
#include "engine.h"
#include "gate.h"
#include "mailbox.h"
#include "pending.h"
#include "step_disable.h"
#include "step_rollback.h"
#include "zone.h"

/* disable.done without a panel change; verify comes next */
static void
disabled(struct engine *e, struct dom *d)
{
	dom_stamp(e, d, JK_DISABLE_DONE);
	dom_save(e, d);
	dom_next(d, STEP_VERIFY, 0);
}

/* --force: past every gate, loudly, journaled */
static int
forced(struct engine *e, struct dom *d, const char *what)
{
	fprintf(stderr, "mailcutover: WARNING: %s: disabling old mail before "
	    "its gate (--force)%s\n", d->name, what);
	dom_stamp(e, d, JK_DISABLE_FORCED);
	dom_audit(e, d, "disable-old-mail", "gate closed", "forced", "forced");
	return 1;
}

/* quiet_max passed while the old server still receives mail */
static int
capped(struct engine *e, struct dom *d, const struct quiet_view *v)
{
	char msg[400];

	gate_quiet_say(e, v, msg, sizeof(msg));
	if (e->force)
		return forced(e, d, " after quiet_max, confirmed by the "
		    "operator");
	if (!e->cc->quiet_force) {
		dom_wait(d, STEP_DISABLE, 0, "%s", msg);
		return 0;
	}
	fprintf(stderr, "mailcutover: WARNING: %s: old server still receives "
	    "mail after quiet_max (%lu s); quiet_force = yes: disabling it "
	    "anyway (senders with a stale cache get a bounce)\n", d->name,
	    e->cc->quiet_max);
	dom_note(d, NOTE_WARN, "quiet_max reached with mail still arriving on "
	    "the old server: disabled anyway (quiet_force = yes)");
	dom_stamp(e, d, JK_QUIET_CAPPED);
	dom_audit(e, d, "disable-old-mail", "still receiving", "quiet_max",
	    "quiet_force");
	return 1;
}

/* the disable gate for d (gate.h): 1 open (or forced), 0 it waits; read
 * is 1 when its mailbox usage was read just now */
static int
gate_open(struct engine *e, struct dom *d, int read)
{
	struct quiet_view v;
	char msg[400];

	gate_quiet_view(e, d, &v);
	if (v.state == QUIET_WAIT && !read && e->now >= v.opens_at) {
		/* no reading to confirm the quiet: the time is all we have */
		dom_note(d, NOTE_WARN, "quiet gate: mailbox usage could not be "
		    "read now; the quiet window is time-based this run");
		v.state = QUIET_OPEN;
		v.live = 0;
	}
	if (v.state == QUIET_CAPPED)
		return capped(e, d, &v);
	if (v.state == QUIET_OPEN || (v.state == QUIET_OFF &&
	    e->now >= v.opens_at)) {
		dom_note(d, NOTE_INFO, "quiet gate: %s", v.state == QUIET_OFF ?
		    "off (quiet_gate = off, test beds): time gate only" :
		    v.live ? "old server quiet for the window (mailbox usage, "
		    "fresh)" : v.why);
		return 1;
	}
	if (e->force)
		return forced(e, d, "");
	gate_quiet_say(e, &v, msg, sizeof(msg));
	dom_wait(d, STEP_DISABLE, gate_disable(e, d), "%s", msg);
	return 0;
}

/* the domains whose old mailboxes the quiet gate reads now */
static int
to_poll(const struct engine *e, const struct dom *d)
{
	return e->cc->quiet_gate && dom_active(d) && d->res != DR_WAIT &&
	    dom_time(d, JK_SYNC_DONE) && !dom_time(d, JK_DISABLE_DONE) &&
	    dom_mail_ours(d) && d->mailservice != 0 && d->site_id != 0;
}

/* one domain; 1 when a mail disable was queued into b */
static int
disable_one(struct engine *e, struct dom *d, struct batch *b,
    struct dom **own, int read)
{
	const char *om;

	if (dom_time(d, JK_DISABLE_DONE)) {
		d->noop = 1;
		return 0;
	}
	if (!dom_time(d, JK_SYNC_DONE)) {
		dom_wait(d, STEP_SYNC, 0, "old mail stays on until every name "
		    "server serves the new records (run sync)");
		return 0;
	}
	if (!dom_mail_ours(d)) {
		/* never the parent's mail for an alias or subdomain */
		dom_note(d, NOTE_INFO, "the mail of %s %s is its site's mail: "
		    "not disabled here (it goes off when the site itself is "
		    "migrated)", dom_get(d, JK_KIND), d->name);
		disabled(e, d);
		return 0;
	}
	if (!gate_open(e, d, read))
		return 0;
	/* off already: it was off before the cutover, or a lost answer last
	   time was applied; either way nothing is sent */
	if (d->mailservice == 0) {
		om = dom_get(d, JK_ORIG_MAIL);
		dom_note(d, NOTE_INFO, "%s", om && !strcmp(om, "off") ?
		    "mail was already off on the old server" :
		    "reconciled: mail is already off on the old server");
		disabled(e, d);
		return 0;
	}
	dom_stamp(e, d, JK_DISABLE_INTENT);
	if (!pending_add(e, d, PEND_MAIL_OFF, "", "disable-old-mail", "on",
	    "off", "ok") || !dom_save(e, d))
		return 0;
	own[b->n] = d;
	if (change_mail(b, d, OP_MAIL_DISABLE) == NULL) {
		pending_settle(e, d, PEND_MAIL_OFF, "", PEND_NOT_MADE);
		dom_fail(d, "out of memory");
		return 0;
	}
	d->acted = 1;
	return 1;
}

void
disable_act(struct engine *e)
{
	struct batch *b = NULL;
	struct dom **own = NULL, **poll = NULL;
	int *read = NULL, *got = NULL;
	size_t i, np = 0;

	engine_act_clear(e);
	if ((b = batch_new()) == NULL || (own = change_owners(e->n)) == NULL ||
	    (poll = calloc(e->n + 1, sizeof(*poll))) == NULL ||
	    (read = calloc(e->n + 1, sizeof(*read))) == NULL ||
	    (got = calloc(e->n + 1, sizeof(*got))) == NULL)
		goto out;
	/* the quiet gate: one reading of the old mailboxes for all */
	for (i = 0; i < e->n; i++)
		if (to_poll(e, &e->doms[i]))
			poll[np++] = &e->doms[i];
	if (np > 0)
		mailbox_poll(e, poll, np, got);
	for (i = 0; i < np; i++)
		read[poll[i] - e->doms] = got[i];
	engine_tick(e);
	for (i = 0; i < e->n; i++)
		if (dom_active(&e->doms[i]) && e->doms[i].res != DR_WAIT)
			disable_one(e, &e->doms[i], b, own, read[i]);
	change_send(e, b, own);
	/* the read-back of disable_check settles what the panel said ok */
	for (i = 0; i < b->n; i++) {
		const struct op *o = b->ops[i];
		pending_settle(e, own[i], PEND_MAIL_OFF, "", o->result == MC_OK ?
		    PEND_ANSWERED : change_unknown(o) ? PEND_UNKNOWN :
		    PEND_FAILED);
		if (o->result != MC_OK && !change_unknown(o))
			dom_fail(own[i], "mail disable: %s", o->msg);
	}
out:
	batch_free(b);
	free(own);
	free(poll);
	free(read);
	free(got);
}

void
disable_check(struct engine *e, int own)
{
	struct dom **list;
	size_t i, n;

	(void)own;
	if ((list = engine_acted(e, &n)) == NULL)
		return;
	/* read the preferences back: the only proof that counts (the
	   reading writes the audit line of what it shows made) */
	if (n > 0 && zone_read_mail(e, list, n))
		for (i = 0; i < n; i++) {
			struct dom *d = list[i];
			if (!dom_active(d))
				continue;
			if (d->mailservice != 0) {
				dom_audit(e, d, "disable-old-mail", "on", "off",
				    "not confirmed");
				dom_fail(d, "mail disable not confirmed: the "
				    "panel still reports mail on");
				continue;
			}
			disabled(e, d);
			dom_note(d, NOTE_DIFF, "mail on the old server: on -> off");
			dom_done(d, "old mail disabled (confirmed by get_prefs)");
		}
	free(list);
}

void
disable_undo(struct engine *e, struct undo *u)
{
	const char *om;
	size_t k;

	for (k = 0; k < u->n; k++) {
		struct dom *d = u->list[k];
		om = dom_get(d, JK_ORIG_MAIL);
		if (!dom_active(d) || om == NULL || strcmp(om, "on") != 0 ||
		    d->mailservice != 0)
			continue;
		if (!pending_add(e, d, PEND_MAIL_ON, "", "rollback", "mail off",
		    "mail on", "ok") || !dom_save(e, d))
			continue;
		u->own[u->b->n] = d;
		if (change_mail(u->b, d, OP_MAIL_ENABLE) == NULL) {
			u->own[u->b->n] = NULL;
			pending_settle(e, d, PEND_MAIL_ON, "", PEND_NOT_MADE);
			dom_fail(d, "out of memory");
		}
	}
}

void
disable_why(const struct engine *e, const struct dom *d, char *buf, size_t n)
{
	struct quiet_view v;

	gate_quiet_view(e, d, &v);
	if (v.state == QUIET_NONE || v.state == QUIET_OFF)
		buf[0] = '\0';
	else
		gate_quiet_say(e, &v, buf, n);
}
