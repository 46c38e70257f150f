/* delegation.c -- every parent server of every zone asked for the
 * zone's NS records, in one dnsprobe run (delegation.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "delegation.h"
#include "dnsprobe.h"
#include "walk.h"

int
delegation_add(struct delegation *d, const char *name, const char *addr)
{
	struct delegation_server *p;

	if (d->nsrv == DELEGATION_MAX_SERVERS ||
	    (p = realloc(d->srv, (d->nsrv + 1) * sizeof(*p))) == NULL)
		return 0;
	d->srv = p;
	p = &d->srv[d->nsrv++];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->addr, sizeof(p->addr), "%s", addr);
	if (addr[0] == '\0')
		snprintf(p->why, sizeof(p->why), "no address known (no glue)");
	else
		snprintf(p->why, sizeof(p->why), "not asked");
	return 1;
}

void
delegation_free(struct delegation *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nsrv; i++)
		nsset_free(&d->srv[i].ns);
	free(d->srv);
	d->srv = NULL;
	d->nsrv = 0;
}

/* the same name, any case, with or without the final dot */
static int
name_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 1 && a[la - 1] == '.')
		la--;
	if (lb > 1 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* the NS names of an answer or a referral, as a set */
static void
take_ns(struct delegation_server *s, char **names, size_t n)
{
	size_t i;

	s->status = DELEG_LISTS;
	s->why[0] = '\0';
	for (i = 0; i < n; i++)
		if (!nsset_add(&s->ns, names[i], 0))
			snprintf(s->why, sizeof(s->why), "an NS name left out "
			    "(odd, or more than %d)", NSSET_MAX);
}

/* what the answer of one parent server to "zone NS?" says */
static void
parent_answer(struct delegation_server *s, const char *zone, const struct dnsq *q)
{
	const ldns_lookup_table *lt;

	s->status = DELEG_UNASKED;
	if (q->result != MC_OK) {
		snprintf(s->why, sizeof(s->why), "%s", q->msg);
		return;
	}
	lt = ldns_lookup_by_id(ldns_rcodes, q->rcode);
	if (q->rcode == LDNS_RCODE_NXDOMAIN && q->aa) {
		s->status = DELEG_NONE;
		snprintf(s->why, sizeof(s->why), "not delegated (NXDOMAIN)");
	} else if (q->rcode != LDNS_RCODE_NOERROR)
		snprintf(s->why, sizeof(s->why), "answered %s", lt ? lt->name :
		    "an unknown rcode");
	else if (q->cut != NULL && q->nauth > 0 && name_eq(q->cut, zone))
		take_ns(s, q->auth, q->nauth);
	else if (q->aa && q->nanswers > 0)
		take_ns(s, q->answers, q->nanswers);
	else if (q->aa) {
		s->status = DELEG_NONE;
		snprintf(s->why, sizeof(s->why), "not delegated (no NS "
		    "records)");
	} else
		snprintf(s->why, sizeof(s->why), "not authoritative for the "
		    "parent zone (%s%s)", q->cut ? "a referral to " :
		    "no referral", q->cut ? q->cut : "");
}

/* by name, then address: the same order in every run */
static int
srv_cmp(const void *a, const void *b)
{
	const struct delegation_server *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : strcmp(x->addr, y->addr);
}

/* the parent servers of each zone: parent_dns, or the walk */
static enum mc_result
parents(struct delegation *ds, size_t n, const struct delegation_opts *o,
    struct mc_err *err)
{
	struct walk_zone *zs;
	enum mc_result r;
	size_t i, k;

	if (o->nparents > 0) {
		for (i = 0; i < n; i++)
			for (k = 0; k < o->nparents; k++)
				if (!delegation_add(&ds[i], "", o->parents[k]))
					return mc_err_set(err, MC_E_NOMEM,
					    "out of memory");
		return MC_OK;
	}
	if ((zs = calloc(n + 1, sizeof(*zs))) == NULL)
		return mc_err_set(err, MC_E_NOMEM, "out of memory");
	for (i = 0; i < n; i++)
		zs[i].zone = ds[i].zone;
	r = walk_run(zs, n, o->roots, o->nroots, o->timeout_ms, err);
	for (i = 0; i < n; i++) {
		snprintf(ds[i].parent, sizeof(ds[i].parent), "%s",
		    zs[i].parent);
		snprintf(ds[i].msg, sizeof(ds[i].msg), "%s", zs[i].msg);
		for (k = 0; k < zs[i].nhosts; k++)
			if (!delegation_add(&ds[i], zs[i].hosts[k].name,
			    zs[i].hosts[k].addr) && r == MC_OK)
				r = mc_err_set(err, MC_E_NOMEM, "out of memory");
		walk_zone_free(&zs[i]);
		if (ds[i].nsrv > 1)
			qsort(ds[i].srv, ds[i].nsrv, sizeof(*ds[i].srv),
			    srv_cmp);
	}
	free(zs);
	return r;
}

enum mc_result
delegation_run(struct delegation *ds, size_t n,
    const struct delegation_opts *o, struct mc_err *err)
{
	struct dnsprobe_opts po = { o->timeout_ms, 2, 0, 0, 0 };
	struct dnsq *qs = NULL;
	enum mc_result r;
	size_t i, k, nq = 0;

	if ((r = parents(ds, n, o, err)) != MC_OK)
		goto out;
	for (i = 0; i < n; i++)
		nq += ds[i].nsrv;
	if (nq == 0 || (qs = calloc(nq, sizeof(*qs))) == NULL) {
		r = nq == 0 ? MC_OK : mc_err_set(err, MC_E_NOMEM, "out of "
		    "memory");
		goto out;
	}
	nq = 0;
	for (i = 0; i < n; i++)
		for (k = 0; k < ds[i].nsrv; k++) {
			struct dnsq *q = &qs[nq];
			if (ds[i].srv[k].addr[0] == '\0')
				continue;
			snprintf(q->server, sizeof(q->server), "%s",
			    ds[i].srv[k].addr);
			q->port = 53;
			snprintf(q->name, sizeof(q->name), "%s.", ds[i].zone);
			q->type = LDNS_RR_TYPE_NS;
			nq++;
		}
	r = dnsprobe_run(qs, nq, &po, err);
	nq = 0;
	for (i = 0; i < n; i++)
		for (k = 0; k < ds[i].nsrv; k++) {
			struct delegation_server *s = &ds[i].srv[k];
			if (s->addr[0] == '\0')
				continue;
			if (r == MC_OK)
				parent_answer(s, ds[i].zone, &qs[nq]);
			else
				snprintf(s->why, sizeof(s->why), "%.159s",
				    err->msg);	/* a note's part: cut */
			nq++;
		}
out:
	dnsq_free_all(qs, nq);
	free(qs);
	for (i = 0; r != MC_OK && i < n; i++)
		if (ds[i].nsrv == 0 && ds[i].msg[0] == '\0')
			snprintf(ds[i].msg, sizeof(ds[i].msg), "%.255s",
			    err->msg);
	return r;
}
