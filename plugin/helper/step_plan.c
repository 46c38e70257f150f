/* step_plan.c -- the preflight: the exact diff, blockers and warnings,
 * the mail checks and the name servers. It changes nothing, not even the
 * journal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authdns.h"
#include "decide.h"
#include "dnsask.h"
#include "dom.h"
#include "engine.h"
#include "host.h"
#include "plan_cert.h"
#include "plan_dkim.h"
#include "plan_parity.h"
#include "plan_ptr.h"
#include "plan_relay.h"
#include "plan_spf.h"
#include "spf.h"
#include "step_plan.h"
#include "valid.h"
#include "zone.h"

#define MAX_AT 16

static int
is_label(const struct engine *e, const char *rel)
{
	size_t i;

	for (i = 0; i < e->cc->nrecords; i++)
		if (strcmp(rel, e->cc->records[i]) == 0)
			return 1;
	return 0;
}

/* step 3's advice: what the old MX answers, once per old address */
static void
relay_advice(struct engine *e, struct dom **ds, size_t n,
    const char **old_ips)
{
	struct relay_memo *memo;
	size_t i, k, nmemo = 0;

	if ((memo = calloc(n + 1, sizeof(*memo))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		const char *ip = old_ips[i];
		if (ip == NULL || !valid_ip(ip) || !dom_mail_ours(ds[i]) ||
		    ds[i]->mailservice == 0)
			continue;
		for (k = 0; k < nmemo && strcmp(memo[k].ip, ip); k++)
			;
		if (k == nmemo)
			plan_relay(e, ip, &memo[nmemo++]);
		dom_note(ds[i], memo[k].kind, "%s", memo[k].text);
	}
	free(memo);
}

static void
mail_preflight(struct engine *e, struct dom **ds, size_t n,
    const char **new_ips, const char **old_ips)
{
	struct dnsask c;
	struct ptr_memo *memo;
	size_t i, k, nmemo = 0;

	dnsask_init(&c, e->cc);
	plan_parity(e, ds, n);
	relay_advice(e, ds, n, old_ips);
	if ((memo = calloc(n + 1, sizeof(*memo))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		struct dom *d = ds[i];
		const char *ip = new_ips[i];
		char banner[256] = "";

		if (ip == NULL || !valid_ip(ip))
			continue;
		plan_cert(e, d, ip, banner, sizeof(banner));
		for (k = 0; k < nmemo && strcmp(memo[k].ip, ip); k++)
			;
		if (k == nmemo)
			plan_ptr(&c, ip, &memo[nmemo++]);
		dom_note(d, memo[k].kind, "%s", memo[k].text);
		plan_ptr_helo(d, &memo[k], banner);
		plan_dkim(e, &c, d);
		plan_spf(e, &c, d, ip);
	}
	free(memo);
}


/* what else in the zone points at an old address: not switched */
static void
plan_elsewhere(struct engine *e, struct dom *d,
    const struct own_decision *dec, const char *new_ip)
{
	const struct dns_record *t[MAX_AT];
	struct own_facts f;
	char rel[256], trel[256], mx[256], canon[64];
	size_t i, k, q, m;

	memset(&f, 0, sizeof(f));
	for (k = 0; k < dec->nold; k++)
		f.old[f.nold++] = dec->old[k];
	for (i = 0; i < d->nrecs; i++) {
		const struct dns_record *r = &d->recs[i];
		if (!host_relative(r->host, d->zone, rel, sizeof(rel)))
			snprintf(rel, sizeof(rel), "%s", r->host);
		if (own_classify(&f, r->type, r->value, canon, sizeof(canon)) ==
		    OWN_OLD && !is_label(e, rel))
			dom_note(d, NOTE_WARN, "%s%s%s %s %s also points at the "
			    "old server and is not switched", rel, rel[0] ?
			    "." : "", d->zone, r->type, canon);
		if (!strcasecmp(r->type, "CNAME") && host_relative(r->value,
		    d->zone, trel, sizeof(trel)) && !is_label(e, trel)) {
			m = dom_records_at(d, trel, t, MAX_AT);
			for (q = 0; q < m; q++)
				if (own_classify(&f, t[q]->type, t[q]->value,
				    canon, sizeof(canon)) == OWN_OLD)
					dom_note(d, NOTE_WARN, "%s.%s CNAME %s "
					    "leads to the old server", rel,
					    d->zone, r->value);
		}
		if (!strcasecmp(r->type, "MX")) {
			host_norm(r->value, mx, sizeof(mx));
			if (!host_relative(mx, d->zone, rel, sizeof(rel)) ||
			    !is_label(e, rel))
				dom_note(d, NOTE_WARN, "MX %s %s is not one of "
				    "the switched names: inbound mail does not "
				    "follow the switch", r->opt, r->value);
		}
		if (!strcasecmp(r->type, "TXT") && new_ip != NULL &&
		    !strncasecmp(r->value, "v=spf1", 6))
			for (k = 0; k < dec->nold; k++)
				if (spf_lists(r->value, dec->old[k]) &&
				    !spf_lists(r->value, new_ip))
					dom_note(d, NOTE_WARN, "SPF \"%s\" lists "
					    "ip%c:%s but not the new IP %s: mail "
					    "sent from the new server may fail "
					    "SPF; add it before the switch",
					    r->value, valid_ipv6(dec->old[k]) ?
					    '6' : '4', dec->old[k], new_ip);
	}
}

/* one note per record at the switched names: what the switch does */
static size_t
plan_names(struct engine *e, struct dom *d, const struct own_decision *dec)
{
	const struct dns_record *at[MAX_AT];
	size_t i, k, n = 0;
	int seen;

	for (i = 0; i < e->cc->nrecords; i++) {
		const char *l = e->cc->records[i];
		seen = dom_records_at(d, l, at, MAX_AT) > 0;
		for (k = 0; k < dec->nmanaged; k++) {
			const struct own_rec *r = &dec->managed[k];
			int six = strcmp(r->type, "AAAA") == 0;
			const char *nw = six ? dec->new6 : dec->new4;
			if (strcmp(r->label, l) != 0)
				continue;
			if (r->cls == OWN_NEW)
				dom_note(d, NOTE_INFO, "%s.%s %s %s: already "
				    "switched", l, d->zone, r->type, r->value);
			else if (nw[0] != '\0') {
				dom_note(d, NOTE_DIFF, "%s.%s %s %s -> %s "
				    "(record %lu)", l, d->zone, r->type,
				    r->value, nw, r->id);
				n++;
			} else if (six && dec->drop_aaaa) {
				dom_note(d, NOTE_DIFF, "%s.%s AAAA %s: removed, "
				    "no new IPv6 (--drop-aaaa; rollback puts it "
				    "back)", l, d->zone, r->value);
				n++;
			}
		}
		for (k = 0; k < dec->nothers; k++) {
			const struct own_rec *r = &dec->others[k];
			if (strcmp(r->label, l) != 0)
				continue;
			if (r->cls == OWN_BAD)
				dom_note(d, NOTE_WARN, "%s.%s %s \"%s\" is not an "
				    "IP address: left alone", l, d->zone,
				    r->type, r->value);
			else
				dom_note(d, NOTE_INFO, "%s.%s %s %s is not the "
				    "old server's: left alone", l, d->zone,
				    r->type, r->value);
		}
		if (!seen)
			dom_note(d, NOTE_WARN, "%s.%s has no A or AAAA record; "
			    "it will not be switched", l, d->zone);
	}
	return n;
}

/* plan's outcome of a decision with nothing to do; 1: something to do.
 * decide_outcome() as the steps say it, plus a block note for a refusal
 * and, for a skip, why nothing is moved. */
static int
verdict_plan(struct dom *d, const struct own_decision *dec)
{
	switch (dec->verdict) {
	case OWN_REFUSED:
		dom_note(d, NOTE_BLOCK, "%s", dec->reason);
		break;
	case OWN_SKIP:
		dom_outcome(d, DR_SKIPPED, "skipped: %s; nothing here is the "
		    "old server's to move", dec->reason);
		return 0;
	case OWN_ALREADY:
	case OWN_SWITCH:
		break;
	}
	return decide_outcome(d, dec);
}

/*
 * Plan one domain: the shared decision (owner.h), said in notes; the
 * same decision prepare, switch and rollback will act on.
 */
static void
plan_one(struct engine *e, struct dom *d, char new_ip[64], char old_ip[64])
{
	struct own_decision dec;
	char olds[OWN_MAX_ADDRS * 66] = "";
	size_t i, used = 0, n;

	new_ip[0] = old_ip[0] = '\0';
	if (!decide_dom(e, d, OWN_FORWARD, &dec))
		return;
	snprintf(new_ip, 64, "%s", dec.new4);
	for (i = dec.nold; i-- > 0; )	/* the first IPv4, else the last */
		if (!old_ip[0] || !valid_ipv6(dec.old[i]))
			snprintf(old_ip, 64, "%s", dec.old[i]);
	for (i = 0; i < dec.nold && used < sizeof(olds); i++)
		used += (size_t)snprintf(olds + used, sizeof(olds) - used,
		    "%s%s", i ? " " : "", dec.old[i]);
	dom_note(d, NOTE_INFO, "%s %lu on the source panel; zone %s is %s, "
	    "%s; the old server's addresses for it: %s (%s)",
	    d->kind != SITE_NONE ? site_kind_name(d->kind) : "site",
	    d->site_id, d->zone, d->zone_enabled == 1 ? "enabled" :
	    "disabled", d->zone_master ? "master" : "slave", olds[0] ? olds :
	    "none", e->nold_ip || e->cc->nold_ip ? "as given" :
	    "as the panel reports them");
	n = plan_names(e, d, &dec);
	if (!verdict_plan(d, &dec)) {
		own_decision_clear(&dec);
		return;
	}
	if (d->soa.ttl > e->cc->lowered_ttl)
		dom_note(d, NOTE_DIFF, "zone TTL %lu -> %lu (switch possible "
		    "%lu s after every name server serves it; restored to %lu "
		    "at the end)", d->soa.ttl, e->cc->lowered_ttl, d->soa.ttl,
		    e->cc->restored_ttl);
	else
		dom_note(d, NOTE_INFO, "zone TTL %lu is already at or below "
		    "%lu: no change, no wait", d->soa.ttl, e->cc->lowered_ttl);
	if (!dom_mail_ours(d))
		dom_note(d, NOTE_INFO, "mail: the mail of %s %s is its site's "
		    "mail: not disabled at step 3 (migrate the site for that)",
		    site_kind_name(d->kind), d->name);
	else
		dom_note(d, NOTE_INFO, "mail on the old server: %s%s",
		    d->mailservice == 0 ? "off" : "on", d->mailservice == 0 ?
		    " (step 3 has nothing to do)" : " (disabled at step 3)");
	plan_elsewhere(e, d, &dec, dec.new4[0] ? dec.new4 : NULL);
	if (d->zone_enabled != 1)
		dom_note(d, NOTE_WARN, "the zone is disabled on the source "
		    "panel: manual DNS mode");
	dom_done(d, "%zu record%s to switch from %s to %s%s%s", n,
	    n == 1 ? "" : "s", olds, dec.new4[0] ? dec.new4 : "",
	    dec.new4[0] && dec.new6[0] ? " and " : "", dec.new6);
	d->next = STEP_PREPARE;
	own_decision_clear(&dec);
}

void
plan_act(struct engine *e)
{
	struct dom **ds;
	const char **nips, **oips;
	char (*buf)[64], (*obuf)[64];
	size_t i, s, n = 0;

	buf = calloc(e->n + 1, sizeof(*buf));
	obuf = calloc(e->n + 1, sizeof(*obuf));
	ds = calloc(e->n + 1, sizeof(*ds));
	nips = calloc(e->n + 1, sizeof(*nips));
	oips = calloc(e->n + 1, sizeof(*oips));
	if (buf == NULL || obuf == NULL || ds == NULL || nips == NULL ||
	    oips == NULL)
		goto out;
	zone_targets(e, NULL);
	for (i = 0; i < e->n; i++) {
		struct dom *d = &e->doms[i];
		if (d->skip || d->res == DR_FAILED)
			continue;
		plan_one(e, d, buf[n], obuf[n]);
		if (d->res == DR_DONE && !d->skip) {
			nips[n] = buf[n][0] ? buf[n] : NULL;
			oips[n] = obuf[n][0] ? obuf[n] : NULL;
			ds[n++] = d;
		}
	}
	/* mail preflight; a blocker found there stops the domain too */
	mail_preflight(e, ds, n, nips, oips);
	for (i = 0; i < n; i++) {
		struct dom *d = ds[i];
		struct note nt = { 0 };
		int blocked = 0;
		while (!blocked && dom_note_next(d, &nt))
			blocked = nt.kind == NOTE_BLOCK;
		if (blocked && d->res != DR_FAILED) {
			dom_fail(d, "blocked (see the notes); nothing was "
			    "changed");
			d->next = STEP__MAX;
		}
	}
	/* the name servers as they answer now, and who is primary */
	if (n > 0 && authdns_servers(e, ds, n)) {
		authdns_check(e, ds, n, EXPECT_SERIAL);
		for (i = 0; i < n; i++) {
			struct dom *d = ds[i];
			if (d->res == DR_FAILED)
				continue;
			for (s = 0; s < d->nsrv; s++)
				dom_note(d, NOTE_INFO, "%s name server %s (%s): "
				    "%s; refresh by %s", d->srv[s].primary ?
				    "primary" : "secondary", d->srv[s].name,
				    d->srv[s].addr, d->srv[s].seen,
				    d->srv[s].primary ? "-" : d->srv[s].sc ?
				    refresh_method_name(d->srv[s].sc->method) :
				    "notify");
			dom_note(d, NOTE_INFO, "%s", d->zone_enabled == 1 &&
			    d->zone_master ? "primary DNS is this panel: the "
			    "helper changes the records" : "primary DNS is "
			    "elsewhere (manual DNS mode): the helper shows the "
			    "changes and checks them by DNS");
		}
	}
out:
	/* plan writes nothing: the journal keys reading set stay in memory */
	free(buf);
	free(obuf);
	free(ds);
	free(nips);
	free(oips);
}
