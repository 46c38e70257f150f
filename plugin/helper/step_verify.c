/* step_verify.c -- runbook 4: DNS everywhere and mail on the new server;
 * after the disable, what the old server does with mail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authdns.h"
#include "dom.h"
#include "engine.h"
#include "mailbox.h"
#include "mailprobe.h"
#include "step_verify.h"
#include "zone.h"

/* the domains verify looks at now; 0 to leave d out */
static int
wanted(const struct engine *e, struct dom *d)
{
	int own = e->step == STEP_VERIFY;

	if (!dom_active(d) || d->res == DR_WAIT)
		return 0;
	if (dom_time(d, JK_VERIFY_DONE) && !own) {
		d->noop = 1;
		return 0;
	}
	if (!dom_time(d, JK_SYNC_DONE)) {
		if (own)
			dom_wait(d, STEP_SYNC, 0, "not synced yet");
		return 0;
	}
	/* migrate verifies after the disable */
	return own || dom_time(d, JK_DISABLE_DONE);
}

/* after the disable: what landed on the old server meanwhile */
static void
residual(struct engine *e, struct dom **ds, size_t n)
{
	struct dom **dd = calloc(n + 1, sizeof(*dd));
	size_t i, nd = 0;

	for (i = 0; dd != NULL && i < n; i++) {
		const char *rep = dom_get(ds[i], JK_RESIDUAL_REPORT);

		if (!dom_time(ds[i], JK_DISABLE_DONE))
			continue;
		if (dom_get(ds[i], JK_RESIDUAL_BASE) != NULL)
			dd[nd++] = ds[i];
		else if (rep != NULL && !strcmp(rep, "unknown"))
			/* the switch could not keep the sizes (mailbox.c) */
			dom_note(ds[i], NOTE_WARN, "residual mail could not be "
			    "seen: the old mailboxes' sizes were not kept at "
			    "the switch (more than a journal value holds); "
			    "copy every mailbox that may have received mail "
			    "after it");
	}
	if (nd > 0 && zone_read(e, NULL))
		mailbox_residual(e, dd, nd);
	free(dd);
}

/* SMTP, submission, IMAPS, POP3S on the new IP; 1 when all pass */
static int
probe_new(struct engine *e, struct dom *d)
{
	struct mailprobe probes[MP__MAX];
	struct mailprobe_opts mo;
	struct mc_err err = { 0 };
	const char *ip = dom_get(d, JK_NEW_IP);
	char host[320];
	size_t k;
	int ok = 1;

	memset(&mo, 0, sizeof(mo));
	mo.cafile = e->cc->mail_cafile;
	mo.timeout_ms = 10000;
	snprintf(host, sizeof(host), "mail.%s", d->zone);
	memset(probes, 0, sizeof(probes));
	for (k = 0; k < MP__MAX; k++)
		probes[k].kind = (enum mailprobe_kind)k;
	if (mailprobe_run(ip, host, probes, MP__MAX, &mo, &err) != MC_OK) {
		dom_note(d, NOTE_BLOCK, "mail probes: %s", err.msg);
		return 0;
	}
	for (k = 0; k < MP__MAX; k++) {
		dom_note(d, probes[k].result == MC_OK ? NOTE_CHECK : NOTE_BLOCK,
		    "%s %s:%u: %s", mailprobe_kind_name(probes[k].kind), ip,
		    probes[k].port, probes[k].result == MC_OK ?
		    probes[k].banner : probes[k].msg);
		ok &= probes[k].result == MC_OK;
	}
	return ok;
}

/* after the disable: the old server's answer to RCPT for the domain */
static void
probe_old(struct engine *e, struct dom *d)
{
	struct mailprobe_opts mo;
	struct mailprobe_rcpt rr;
	struct mc_err err = { 0 };
	const char *old = dom_get(d, JK_OLD_IP);
	char rcpt[320];

	memset(&mo, 0, sizeof(mo));
	mo.cafile = e->cc->mail_cafile;
	mo.timeout_ms = 10000;
	snprintf(rcpt, sizeof(rcpt), "postmaster@%s", d->zone);
	memset(&rr, 0, sizeof(rr));
	if (mailprobe_rcpt(old, 25, rcpt, &mo, &rr, &err) != MC_OK ||
	    rr.code == 0)
		dom_note(d, NOTE_INFO, "old server %s: no SMTP answer for %s "
		    "(%s)", old, rcpt, rr.msg[0] ? rr.msg : err.msg);
	else if (rr.code >= 500)
		dom_note(d, NOTE_WARN, "OLD SERVER BOUNCES: %s answers %d to "
		    "RCPT %s (\"%s\"): senders with a stale cache get a bounce "
		    "instead of retrying", old, rr.code, rcpt, rr.reply);
	else if (rr.code >= 400)
		dom_note(d, NOTE_CHECK, "old server %s answers %d to RCPT %s: "
		    "senders retry and reach the new server", old, rr.code,
		    rcpt);
	else
		dom_note(d, NOTE_WARN, "old server %s still accepts mail for %s "
		    "(%d): mail may land there", old, rcpt, rr.code);
}

/* the verdict on one domain */
static void
verify_one(struct engine *e, struct dom *d)
{
	size_t s;
	int ok = 1;

	for (s = 0; s < d->nsrv; s++) {
		dom_note(d, d->srv[s].ok ? NOTE_CHECK : NOTE_BLOCK, "DNS %s (%s): "
		    "%s", d->srv[s].name, d->srv[s].addr, d->srv[s].seen);
		ok &= d->srv[s].ok;
	}
	ok &= probe_new(e, d);
	if (dom_time(d, JK_DISABLE_DONE))
		probe_old(e, d);
	if (!ok) {
		dom_fail(d, "verify failed (see the checks); roll back with "
		    "`mailcutover rollback %s` if mail does not work on the new "
		    "server", d->name);
		dom_audit(e, d, "verify", "-", "-", "failed");
		return;
	}
	dom_stamp(e, d, JK_VERIFY_DONE);
	dom_save(e, d);
	dom_audit(e, d, "verify", "-", "-", "ok");
	dom_done(d, "verified: DNS and mail on %s", dom_get(d, JK_NEW_IP));
}

void
verify_check(struct engine *e, int own)
{
	struct dom **ds;
	size_t i, n = 0;

	(void)own;
	if ((ds = calloc(e->n + 1, sizeof(*ds))) == NULL)
		return;
	for (i = 0; i < e->n; i++)
		if (wanted(e, &e->doms[i])) {
			dom_zone_init(&e->doms[i]);
			ds[n++] = &e->doms[i];
		}
	if (n > 0 && authdns_servers(e, ds, n)) {
		authdns_check(e, ds, n, EXPECT_NEW);
		residual(e, ds, n);
		for (i = 0; i < n; i++)
			if (dom_active(ds[i]))
				verify_one(e, ds[i]);
	}
	free(ds);
}
