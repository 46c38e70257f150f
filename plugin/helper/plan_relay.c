/* plan_relay.c -- plan's advice on step 3: a disabled domain gets what
 * a domain the old server never served gets. Postfix answers that with
 * 554 (reject_unauth_destination, Plesk's main.cf) or 454
 * (defer_unauth_destination, Postfix's own default since 2.10): a bounce
 * or a retry for every sender whose cache still holds the old address. */
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "mailprobe.h"
#include "plan_relay.h"

#define HOW_4XX "make it 4xx: smtpd_relay_restrictions = " \
	"permit_mynetworks, permit_sasl_authenticated, " \
	"defer_unauth_destination (postconf -e; postfix reload)"

void
plan_relay(const struct engine *e, const char *old_ip, struct relay_memo *m)
{
	struct mailprobe_opts mo;
	struct mailprobe_rcpt rr;
	struct mc_err err = { 0 };

	memset(m, 0, sizeof(*m));
	snprintf(m->ip, sizeof(m->ip), "%s", old_ip);
	memset(&mo, 0, sizeof(mo));
	mo.cafile = e->cc->mail_cafile;
	mo.timeout_ms = 10000;
	memset(&rr, 0, sizeof(rr));
	if (mailprobe_rcpt(old_ip, 25, PLAN_RELAY_RCPT, &mo, &rr, &err) !=
	    MC_OK || rr.code == 0) {
		m->kind = NOTE_INFO;
		snprintf(m->text, sizeof(m->text), "step 3: no SMTP answer from "
		    "the old server %s to RCPT %s (%.150s): whether a disabled "
		    "domain bounces is not known; the quiet gate holds step 3 "
		    "until the old server stops receiving mail either way",
		    old_ip, PLAN_RELAY_RCPT, rr.msg[0] ? rr.msg : err.msg);
		return;
	}
	m->code = rr.code;
	if (rr.code >= 500) {
		m->kind = NOTE_WARN;
		snprintf(m->text, sizeof(m->text), "step 3: the old server %s "
		    "answers %d to RCPT for a domain it does not serve, as it "
		    "will for this one once its mail is off: a bounce for "
		    "senders with a stale cache (the quiet gate waits for "
		    "quiet first); %s", old_ip, rr.code, HOW_4XX);
	} else if (rr.code >= 400) {
		m->kind = NOTE_CHECK;
		snprintf(m->text, sizeof(m->text), "step 3: the old server %s "
		    "answers %d to RCPT for a domain it does not serve: once "
		    "this domain's mail is off, senders with a stale cache "
		    "retry and reach the new server", old_ip, rr.code);
	} else {
		m->kind = NOTE_WARN;
		snprintf(m->text, sizeof(m->text), "step 3: the old server %s "
		    "accepts RCPT for a domain it does not serve (%d): it "
		    "relays for outside clients (an open relay?); once this "
		    "domain's mail is off it would pass the mail on by DNS",
		    old_ip, rr.code);
	}
}
