/* zone.c -- resolving and reading the domains of a run on the source
 * panel, batched, once per command (zone.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dom.h"
#include "engine.h"
#include "exitcode.h"
#include "panel.h"
#include "pending.h"
#include "utf8.h"
#include "zone.h"

/* d->read while its answers are being taken (dom_by_site looks there) */
#define READING	2

int
zone_source(struct engine *e)
{
	struct mc_err err = { 0 };
	enum mc_result r;
	size_t i;

	if (e->src != NULL)
		return 1;
	if (e->panel_failed)
		return 0;
	if ((r = panel_open(&e->conf->source, &e->src, &err)) != MC_OK) {
		e->panel_failed = exit_panel(r);
		snprintf(e->panel_msg, sizeof(e->panel_msg), "%s", err.msg);
		for (i = 0; i < e->n; i++)
			if (!e->doms[i].skip)
				dom_fail(&e->doms[i], "%s", err.msg);
		return 0;
	}
	return 1;
}

/* the domain being read with this site-id (or site-alias-id) */
static struct dom *
dom_by_site(struct engine *e, unsigned long site, int alias)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (!e->doms[i].skip && e->doms[i].read == READING &&
		    e->doms[i].site_id == site && e->doms[i].alias == alias)
			return &e->doms[i];
	return NULL;
}

/* take what the panel said about one name (plesk_resolve) */
static void
resolved(struct dom *d, const struct site_ref *f)
{
	char show[600];

	d->kind = f->kind;
	d->alias = f->kind == SITE_ALIAS;
	if (strcmp(f->stored, d->name) != 0 && d->display[0] == '\0' &&
	    !dom_str_set(&d->display, f->stored)) {
		dom_fail(d, "out of memory");
		return;
	}
	if (d->alias && !f->manage_dns) {
		/* an alias without a zone of its own has nothing to
		   switch: its records are in its site's zone */
		dom_outcome(d, DR_REFUSED, "refused: %s is an alias of site %lu "
		    "without a DNS zone of its own (its records are in its "
		    "site's zone): migrate the site it belongs to",
		    dom_show(d, show, sizeof(show)), f->parent_id);
		return;
	}
	d->site_id = f->id;
	if (!dom_str_set(&d->zone, d->name) ||
	    !dom_str_set(&d->panel_ip, f->ip) ||
	    !dom_str_set(&d->panel_ip6, f->ip6)) {
		dom_fail(d, "out of memory");
		return;
	}
	dom_set(d, JK_KIND, site_kind_name(f->kind));
	dom_set(d, JK_ALIAS, d->alias ? "1" : "0");
}

/*
 * The site-id of each domain to read: from its journal (no request), or
 * from the panel by both forms of an IDN, with its kind and the panel's
 * addresses. Returns 0 when out of memory.
 */
static int
resolve_new(struct engine *e, struct dom **ds, size_t nd)
{
	struct mc_err err = { 0 };
	struct site_ref *refs;
	struct dom **who;
	size_t i, n = 0;
	enum mc_result r;
	unsigned long v;

	refs = calloc(nd + 1, sizeof(*refs));
	who = calloc(nd + 1, sizeof(*who));
	if (refs == NULL || who == NULL) {
		free(refs);
		free(who);
		return 0;
	}
	for (i = 0; i < nd; i++) {
		struct dom *d = ds[i];
		if (dom_ulong(d, JK_SITE_ID, &v) && v > 0) {
			d->site_id = v;
			d->alias = dom_get(d, JK_ALIAS) != NULL &&
			    strcmp(dom_get(d, JK_ALIAS), "1") == 0;
			dom_zone_init(d);
			continue;
		}
		refs[n].name = d->name;
		refs[n].alt = d->display[0] ? d->display : NULL;
		who[n++] = d;
	}
	r = n > 0 ? plesk_resolve(e->src, refs, n, &err) : MC_OK;
	for (i = 0; i < n; i++) {
		if (refs[i].result != MC_OK)
			dom_fail(who[i], "%s", r != MC_OK && refs[i].result ==
			    MC_E_NOTFOUND ? err.msg : refs[i].msg);
		else
			resolved(who[i], &refs[i]);
	}
	free(refs);
	free(who);
	return 1;
}

/* queue `kind` over ids[0..n) in operations of at most `chunk` ids */
static int
queue_ids(struct batch *b, enum op_kind kind, const unsigned long *ids,
    size_t n, size_t chunk, int alias)
{
	struct op *o;
	size_t i;

	for (i = 0; i < n; i += chunk) {
		if ((o = batch_add(b, kind)) == NULL ||
		    op_set_ids(o, ids + i, n - i < chunk ? n - i : chunk) !=
		    MC_OK)
			return 0;
		o->alias = alias;
		o->with_soa = kind == OP_DNS_GET;
	}
	return 1;
}

/* the records, then the SOA and zone status, of each chunk of ids */
static int
queue_zone(struct batch *b, const unsigned long *ids, size_t n, size_t chunk,
    int alias)
{
	size_t i, m;

	for (i = 0; i < n; i += chunk) {
		m = n - i < chunk ? n - i : chunk;
		if (!queue_ids(b, OP_DNS_GET_REC, ids + i, m, m, alias) ||
		    !queue_ids(b, OP_DNS_GET, ids + i, m, m, alias))
			return 0;
	}
	return 1;
}

/* an operation over several ids failed as a whole: fail its domains */
static void
fail_whole(struct engine *e, const struct op *o)
{
	struct dom *d;
	size_t i;

	for (i = 0; i < o->nids; i++)
		if ((d = dom_by_site(e, o->ids[i], o->alias)) != NULL)
			dom_fail(d, "reading %s %lu on the source panel (%s %s): "
			    "%s", o->alias ? "site alias" : "site", o->ids[i],
			    op_operator(o->kind), op_operation(o->kind), o->msg);
}

/* SOA and zone status, or mail preferences: one item per id */
static void
take_items(struct engine *e, const struct op *o)
{
	size_t i;

	for (i = 0; i < o->nitems; i++) {
		const struct op_item *it = &o->items[i];
		struct dom *d = dom_by_site(e, it->id, o->alias);
		const char *t = it->errtext ? it->errtext :
		    mc_strerror(it->result);
		if (d == NULL)
			continue;
		if (it->result != MC_OK) {
			dom_fail(d, "%s of %s %lu: error %u: %.*s",
			    o->kind == OP_DNS_GET ? "reading the SOA" :
			    "reading mail preferences", o->alias ?
			    "site alias" : "site", it->id, it->errcode,
			    (int)utf8_clip(t, 200), t);
			continue;
		}
		if (o->kind == OP_DNS_GET) {
			d->soa = it->soa;
			d->zone_enabled = it->zone_enabled;
			d->zone_master = it->zone_master;
		} else
			d->mailservice = it->mailservice;
	}
}

/*
 * Take the answers of a read batch. An operation over several ids that
 * failed as a whole (Plesk answers one 1015 without an id when one site
 * of a multi-site get_rec is unknown) is asked again one id per
 * operation, in `retry`, so that one bad object never fails the others.
 * Returns 0 on out of memory.
 */
static int
take_reads(struct engine *e, struct batch *b, struct batch *retry)
{
	size_t k, i;

	for (k = 0; k < b->n; k++) {
		struct op *o = b->ops[k];
		int whole = o->result != MC_OK &&
		    (o->kind == OP_DNS_GET_REC || o->nitems == 0);
		if (whole && retry != NULL && o->nids > 1) {
			for (i = 0; i < o->nids; i++)
				if (!queue_ids(retry, o->kind, &o->ids[i], 1, 1,
				    o->alias))
					return 0;
			continue;
		}
		if (whole) {
			fail_whole(e, o);
			continue;
		}
		if (o->kind != OP_DNS_GET_REC) {
			take_items(e, o);
			continue;
		}
		for (i = 0; i < o->nids; i++) {
			struct dom *d = dom_by_site(e, o->ids[i], o->alias);
			if (d != NULL)
				d->have_zone = 1;
		}
		for (i = 0; i < o->nrecs; i++) {
			struct dom *d = dom_by_site(e, o->recs[i].site_id,
			    o->recs[i].alias);
			if (d != NULL && !dom_record_add(d, &o->recs[i]))
				return 0;
		}
	}
	return 1;
}

/* send b (and the retries its answers ask for); 0 when out of memory */
static int
send_reads(struct engine *e, struct batch *b, enum mc_result *r,
    struct mc_err *err)
{
	struct batch *retry;
	enum mc_result r2;
	int ok;

	if ((retry = batch_new()) == NULL)
		return 0;
	*r = plesk_send(e->src, b, err);
	ok = take_reads(e, b, retry);
	if (ok && retry->n > 0) {
		r2 = plesk_send(e->src, retry, err);
		if (*r == MC_OK)
			*r = r2;
		ok = take_reads(e, retry, NULL);
	}
	batch_free(retry);
	return ok;
}

/*
 * Each kind of operation with up to batch_max ids in its filter, sites
 * and aliases apart (separate id spaces), all in as few packets as the
 * batch allows. Mail preferences only where the mail is the domain's
 * own (not for an alias or a subdomain). `kinds`: 1 zone and SOA, 2 mail.
 */
static int
read_round(struct engine *e, struct dom **ds, size_t n, int kinds)
{
	struct mc_err err = { 0 };
	struct batch *b = NULL;
	unsigned long *ids = NULL, *aids = NULL, *mids = NULL;
	size_t i, nids = 0, naids = 0, nmids = 0, chunk = e->src->batch_max;
	enum mc_result r = MC_OK;
	int ok = 0;

	ids = calloc(n + 1, sizeof(*ids));
	aids = calloc(n + 1, sizeof(*aids));
	mids = calloc(n + 1, sizeof(*mids));
	if (ids == NULL || aids == NULL || mids == NULL ||
	    (b = batch_new()) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		struct dom *d = ds[i];
		if (d->skip)
			continue;
		d->read = READING;
		if (kinds & 1) {
			if (d->alias)
				aids[naids++] = d->site_id;
			else
				ids[nids++] = d->site_id;
			dom_zone_clear(d);
			d->zone_enabled = -1;
		}
		if ((kinds & 2) && dom_mail_ours(d))
			mids[nmids++] = d->site_id;
		d->mailservice = -1;
	}
	/* sites and aliases are separate id spaces: never in one filter */
	if (!queue_zone(b, ids, nids, chunk, 0) ||
	    !queue_zone(b, aids, naids, chunk, 1) ||
	    !queue_ids(b, OP_MAIL_GET_PREFS, mids, nmids, chunk, 0))
		goto out;
	if (b->n > 0 && !send_reads(e, b, &r, &err))
		goto out;
	/* a packet that failed leaves its domains without a zone: they
	   fail with the packet's reason rather than act on nothing */
	for (i = 0; i < n; i++)
		if (!ds[i]->skip && ds[i]->read == READING &&
		    (kinds & 1) && !ds[i]->have_zone && r != MC_OK)
			dom_fail(ds[i], "%s", err.msg);
	/* what the panel shows now settles the changes whose answer was
	   lost (by this run or an earlier one): each gets its audit line */
	for (i = 0; i < n; i++)
		if (ds[i]->read == READING)
			pending_reconcile(e, ds[i], kinds & 1, (kinds & 2) != 0);
	ok = 1;
out:
	for (i = 0; i < n; i++) {
		if (ds[i]->read == READING)
			ds[i]->read = 1;
		if (!ok && !ds[i]->skip)
			dom_fail(ds[i], "out of memory");
	}
	batch_free(b);
	free(ids);
	free(aids);
	free(mids);
	return ok;
}

/*
 * The domains in rounds, each about one packet's worth (per domain a read
 * of each kind asked, batch_max ids each: with 100, 3,300 domains for
 * zone, SOA and mail, 10,000 for mail alone): a round's answer and the
 * records it carries are let go before the next is asked. Ten thousand
 * zones in one go held a 27 MB answer, its copy and 110,000 parsed
 * records at once (issue 14); the packets sent stay as few, give or take
 * the last round's.
 */
static int
read_doms(struct engine *e, struct dom **ds, size_t n, int kinds)
{
	size_t per = e->src->batch_max ? e->src->batch_max : 1;
	size_t nk = ((kinds & 1) ? 2 : 0) + ((kinds & 2) ? 1 : 0);
	size_t round = per * (nk && per / nk ? per / nk : 1), at, k;
	int ok = 1;

	for (at = 0; at < n; at += k) {
		k = n - at < round ? n - at : round;
		if (!read_round(e, ds + at, k, kinds))
			ok = 0;
	}
	return ok;
}

int
zone_read(struct engine *e, int (*want)(const struct dom *))
{
	struct dom **ds;
	size_t i, n = 0;
	int ok;

	if (!zone_source(e))
		return 0;
	if ((ds = calloc(e->n + 1, sizeof(*ds))) == NULL)
		goto nomem;
	for (i = 0; i < e->n; i++)
		if (!e->doms[i].skip && !e->doms[i].read &&
		    (want == NULL || want(&e->doms[i])))
			ds[n++] = &e->doms[i];
	if (n == 0) {
		free(ds);
		return 1;
	}
	if (!resolve_new(e, ds, n)) {
		free(ds);
		goto nomem;
	}
	ok = read_doms(e, ds, n, 1 | 2);
	free(ds);
	return ok;
nomem:
	for (i = 0; i < e->n; i++)
		if (!e->doms[i].skip)
			dom_fail(&e->doms[i], "out of memory");
	return 0;
}

/* forget the reading of these domains; zone_read then reads them alone */
int
zone_reread(struct engine *e, struct dom **ds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!ds[i]->skip)
			ds[i]->read = 0;
	return zone_read(e, NULL);
}

/* only the mail preferences: the zone as read stays as it is */
int
zone_read_mail(struct engine *e, struct dom **ds, size_t n)
{
	if (!zone_source(e))
		return 0;
	return read_doms(e, ds, n, 2);
}

/* the target panel's addresses of each domain it knows; the others keep
 * none */
static void
take_targets(struct site_ref *refs, struct dom **who, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (refs[i].result != MC_OK)
			continue;
		if (!dom_str_set(&who[i]->target_ip, refs[i].ip) ||
		    !dom_str_set(&who[i]->target_ip6, refs[i].ip6))
			dom_fail(who[i], "out of memory");
	}
}

void
zone_targets(struct engine *e, int (*want)(const struct dom *))
{
	struct mc_err err = { 0 };
	struct site_ref *refs;
	struct dom **who;
	size_t i, n = 0;

	if (e->targets_read || !e->conf->target.present ||
	    ((e->new_ip || e->cc->new_ip) && (e->new_ip6 || e->cc->new_ip6)))
		return;
	e->targets_read = 1;
	if (e->tgt == NULL && panel_open(&e->conf->target, &e->tgt, &err)) {
		fprintf(stderr, "mailcutover: target panel: %s\n", err.msg);
		return;
	}
	refs = calloc(e->n + 1, sizeof(*refs));
	who = calloc(e->n + 1, sizeof(*who));
	if (refs == NULL || who == NULL)
		goto out;
	for (i = 0; i < e->n; i++) {
		if (e->doms[i].skip || (want != NULL && !want(&e->doms[i])))
			continue;
		refs[n].name = e->doms[i].name;
		refs[n].alt = e->doms[i].display[0] ? e->doms[i].display : NULL;
		who[n++] = &e->doms[i];
	}
	plesk_resolve(e->tgt, refs, n, &err);
	take_targets(refs, who, n);
out:
	free(refs);
	free(who);
}
