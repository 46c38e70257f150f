/* decide.c -- from a domain of the run to owner.h's facts, and the
 * identity written at its first change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "dom.h"
#include "engine.h"
#include "zone.h"

/* what the config may give fits, every time (no silent cut) */
_Static_assert(CONFIG_MAX_OLD_IPS <= OWN_MAX_GIVEN, "old_ip > OWN_MAX_GIVEN");
_Static_assert(CONFIG_MAX_RECORDS <= OWN_MAX_LABELS &&
    CONFIG_MAX_RECORDS <= DOM_MAX_LABELS, "records > the labels kept");

/* the journaled new IPv4, else --new-ip, the config's, the target's */
static const char *
new4_of(const struct engine *e, const struct dom *d)
{
	const char *v = dom_get(d, JK_NEW_IP);

	if (v != NULL && *v != '\0')
		return v;
	if (e->new_ip != NULL)
		return e->new_ip;
	if (e->cc->new_ip != NULL)
		return e->cc->new_ip;
	return d->target_ip[0] ? d->target_ip : NULL;
}

static const char *
new6_of(const struct engine *e, const struct dom *d)
{
	const char *v = dom_get(d, JK_NEW_IP6);

	if (dom_get(d, JK_OLD_IP) != NULL)	/* journaled: as decided then */
		return v != NULL && *v != '\0' ? v : NULL;
	if (e->new_ip6 != NULL)
		return e->new_ip6;
	if (e->cc->new_ip6 != NULL)
		return e->cc->new_ip6;
	return d->target_ip6[0] ? d->target_ip6 : NULL;
}

/*
 * Before the first change: the operator's addresses (--old-ip, else
 * old_ip), else the panel's; per family, so that giving the public IPv4
 * behind a NAT keeps the panel's IPv6.
 */
static void
old_of(const struct engine *e, const struct dom *d, struct own_facts *f)
{
	const char *const *op = e->nold_ip ? (const char *const *)e->old_ip :
	    (const char *const *)e->cc->old_ip;
	size_t nop = e->nold_ip ? e->nold_ip : e->cc->nold_ip, i;
	int has4 = 0, has6 = 0;

	for (i = 0; i < nop && f->nold < OWN_MAX_ADDRS; i++) {
		f->old[f->nold++] = op[i];
		*(strchr(op[i], ':') ? &has6 : &has4) = 1;
	}
	if (!has4 && d->panel_ip[0] && f->nold < OWN_MAX_ADDRS)
		f->old[f->nold++] = d->panel_ip;
	if (!has6 && d->panel_ip6[0] && f->nold < OWN_MAX_ADDRS)
		f->old[f->nold++] = d->panel_ip6;
	f->drop_aaaa = e->drop_aaaa || e->cc->drop_aaaa;
}

/*
 * Once a domain has an identity in its journal, the decision is made
 * from it, not from the options of this run: a later --old-ip or a
 * changed config must not change what a started cutover calls ours.
 */
int
decide_dom(struct engine *e, struct dom *d, enum own_dir dir,
    struct own_decision *out)
{
	struct own_facts f;
	struct own_rec *orig = NULL;
	struct mc_err err = { 0 };
	char buf[OWN_MAX_ADDRS][64];
	const char *drop;

	memset(&f, 0, sizeof(f));
	f.zone = d->zone;
	f.recs = d->recs;
	f.nrecs = d->nrecs;
	f.labels = e->cc->records;
	f.nlabels = e->cc->nrecords;
	f.new4 = new4_of(e, d);
	f.new6 = new6_of(e, d);
	if (dom_get(d, JK_OLD_IP) != NULL) {
		/* the identity decided at the first change, as journaled */
		f.nold = dom_old_ips(d, f.old, buf);
		drop = dom_get(d, JK_DROP_AAAA);
		f.drop_aaaa = drop != NULL && strcmp(drop, "yes") == 0;
	} else
		old_of(e, d, &f);
	if (dir == OWN_BACK)
		f.norig = dom_orig(d, &orig);
	f.orig = orig;
	if (own_decide(&f, dir, out, &err) != MC_OK) {
		free(orig);
		dom_fail(d, "%s", err.msg);
		return 0;
	}
	free(orig);
	return 1;
}

int
decide_outcome(struct dom *d, const struct own_decision *dec)
{
	switch (dec->verdict) {
	case OWN_REFUSED:
		dom_outcome(d, DR_REFUSED, "refused: %s", dec->reason);
		return 0;
	case OWN_SKIP:
		dom_outcome(d, DR_SKIPPED, "skipped: %s", dec->reason);
		return 0;
	case OWN_ALREADY:
		dom_outcome(d, DR_ALREADY, "already on the new IP %s: nothing "
		    "to do", dec->new4[0] ? dec->new4 : dec->new6);
		return 0;
	case OWN_SWITCH:
		break;
	}
	return 1;
}

/* the journal form of a decision's old addresses: "1.2.3.4 fd00::1" */
static void
join_old(const struct own_decision *dec, char *buf, size_t n)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < dec->nold && used < n; i++)
		used += (size_t)snprintf(buf + used, n - used, "%s%s",
		    i ? " " : "", dec->old[i]);
}

/* journal every A/AAAA record at the switched names: orig.rec.N */
static int
journal_records(struct dom *d, const struct own_decision *dec)
{
	char key[32], val[200];
	size_t i, n = 0;
	struct mc_err err = { 0 };

	for (i = 0; i < dec->nmanaged + dec->nothers; i++) {
		const struct own_rec *r = i < dec->nmanaged ?
		    &dec->managed[i] : &dec->others[i - dec->nmanaged];
		jkey_rec(n++, key, sizeof(key));
		if (!own_rec_format(r, val, sizeof(val))) {
			dom_fail(d, "record %lu at %s.%s cannot be journaled",
			    r->id, r->label, d->zone);
			return 0;
		}
		if (journal_set(d->j, key, val, &err) != MC_OK) {
			dom_fail(d, "journal: %s", err.msg);
			return 0;
		}
	}
	return dom_setf(d, JK_ORIG_COUNT, "%zu", n);
}

/* the identity and the prior values of a decision, into the journal */
static int
journal_identity(struct dom *d, const struct own_decision *dec)
{
	char olds[OWN_MAX_ADDRS * 64], soa[160];

	join_old(dec, olds, sizeof(olds));
	snprintf(soa, sizeof(soa), "%lu %lu %lu %lu %lu", d->soa.ttl,
	    d->soa.refresh, d->soa.retry, d->soa.expire, d->soa.minimum);
	return journal_records(d, dec) &&
	    dom_setf(d, JK_SITE_ID, "%lu", d->site_id) &&
	    dom_set(d, JK_ALIAS, d->alias ? "1" : "0") &&
	    dom_set(d, JK_ZONE, d->zone) &&
	    (d->display[0] == '\0' || dom_set(d, JK_DISPLAY, d->display)) &&
	    dom_set(d, JK_MODE, d->zone_enabled == 1 && d->zone_master ?
	    "panel" : "manual") &&
	    dom_set(d, JK_OLD_IP, dec->old[0]) &&
	    dom_set(d, JK_OLD_IPS, olds) &&
	    dom_set(d, JK_NEW_IP, dec->new4) &&
	    dom_set(d, JK_NEW_IP6, dec->new6) &&
	    dom_set(d, JK_DROP_AAAA, dec->drop_aaaa ? "yes" : "no") &&
	    dom_set(d, JK_NAMES, dec->names) &&
	    dom_setf(d, JK_ORIG_TTL, "%lu", d->soa.ttl) &&
	    dom_set(d, JK_ORIG_SOA, soa) &&
	    dom_set(d, JK_ORIG_MAIL, !dom_mail_ours(d) ? "parent" :
	    d->mailservice == 0 ? "off" : "on");
}

int
decide_capture(struct engine *e, struct dom *d)
{
	struct own_decision dec;
	int ok;

	if (dom_get(d, JK_OLD_IP) != NULL && dom_get(d, JK_NAMES) != NULL)
		return 1;
	zone_targets(e, NULL);
	if (!decide_dom(e, d, OWN_FORWARD, &dec))
		return 0;
	if (!decide_outcome(d, &dec)) {
		own_decision_clear(&dec);
		return 0;
	}
	ok = journal_identity(d, &dec);
	if (ok && dec.drop_aaaa)
		dom_audit(e, d, "decide", "AAAA on the old server",
		    "dropped (--drop-aaaa)", "chosen by operator");
	own_decision_clear(&dec);
	return ok && dom_save(e, d);
}
