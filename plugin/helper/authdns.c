/* authdns.c -- every authoritative server of a zone: find them, ask them
 * all at once, wait until they serve the change. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "authdns.h"
#include "dnsprobe.h"
#include "dom.h"
#include "engine.h"
#include "refresh.h"
#include "utf8.h"

static void
opts_of(const struct engine *e, struct dnsprobe_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout_ms = (int)e->cc->dns_timeout_ms;
	o->tries = 2;
}

static void
qset(struct dnsq *q, const char *server, unsigned port, const char *name,
    int type)
{
	memset(q, 0, sizeof(*q));
	snprintf(q->server, sizeof(q->server), "%s", server);
	q->port = port;
	/* a DNS name is at most 253 characters: one longer cannot exist, so
	   its cut is never served either (an intended cut) */
	snprintf(q->name, sizeof(q->name), "%.255s", name);
	q->type = type;
}

/* ---- the servers of a zone ---- */

/*
 * The address of an NS name: the primary's answer (in-zone glue), or
 * the system resolver's for an out-of-zone name. NULL when neither.
 */
static const char *
ns_address(const struct dnsq *qa, char *buf, size_t sz)
{
	struct addrinfo hints, *res = NULL;
	const char *addr = NULL;

	if (qa->result == MC_OK && qa->nanswers > 0)
		return qa->answers[0];
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	if (getaddrinfo(qa->name, NULL, &hints, &res) == 0 && res != NULL &&
	    inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr,
	    buf, (socklen_t)sz) != NULL)
		addr = buf;
	if (res != NULL)
		freeaddrinfo(res);
	return addr;
}

/* one NS of d at addr: the primary named, or a new secondary */
static void
srv_add(const struct engine *e, struct dom *d, const char *name,
    const char *addr)
{
	size_t s, i;

	if (strcmp(addr, e->cc->primary_dns) == 0) {
		snprintf(d->srv[0].name, sizeof(d->srv[0].name), "%s", name);
		return;
	}
	for (s = 1; s < d->nsrv; s++)
		if (strcmp(d->srv[s].addr, addr) == 0)
			return;
	if (d->nsrv == DOM_MAX_SERVERS)
		return;
	memset(&d->srv[s], 0, sizeof(d->srv[s]));
	snprintf(d->srv[s].name, sizeof(d->srv[s].name), "%s", name);
	snprintf(d->srv[s].addr, sizeof(d->srv[s].addr), "%s", addr);
	for (i = 0; i < e->conf->nsecondaries; i++)
		if (strcmp(e->conf->secondaries[i].address, addr) == 0)
			d->srv[s].sc = &e->conf->secondaries[i];
	d->nsrv++;
}

/* the NS set of d as the primary answered q: the questions for their
 * addresses into qa (owner: the index of d) */
static void
ns_questions(const struct engine *e, struct dom *d, size_t i,
    const struct dnsq *q, struct dnsq *qa, size_t *owner, size_t *na)
{
	const char *primary = e->cc->primary_dns;
	size_t k;

	d->nsrv = 1;
	memset(&d->srv[0], 0, sizeof(d->srv[0]));
	snprintf(d->srv[0].addr, sizeof(d->srv[0].addr), "%s", primary);
	d->srv[0].primary = 1;
	if (q->result != MC_OK) {
		/* no answer at all (a timeout): nothing is known to be
		   wrong with the zone; this run stops here and waits */
		dom_wait(d, e->step, 0, "the primary name server %s does not "
		    "answer (%s); waiting: the next run asks again", primary,
		    q->msg);
		d->skip = 1;
		return;
	}
	if (q->rcode != LDNS_RCODE_NOERROR || !q->aa || q->nanswers == 0) {
		dom_fail(d, "the primary name server %s does not serve zone %s "
		    "authoritatively (%s)", primary, d->zone,
		    "no NS records or not authoritative");
		return;
	}
	for (k = 0; k < q->nanswers; k++) {
		qset(&qa[*na], primary, (unsigned)e->cc->dns_port,
		    q->answers[k], LDNS_RR_TYPE_A);
		owner[(*na)++] = i;
	}
}

int
authdns_servers(struct engine *e, struct dom **ds, size_t n)
{
	struct dnsprobe_opts o;
	struct dnsq *q = NULL, *qa = NULL;
	struct mc_err err = { 0 };
	size_t i, k, m, na = 0, *owner = NULL;
	char buf[64];
	const char *addr;
	int ok = 0;

	if (n == 0)
		return 1;
	if (e->cc->primary_dns == NULL) {
		for (i = 0; i < n; i++)
			dom_fail(ds[i], "set primary_dns in [cutover]: the "
			    "address of the primary name server to ask");
		return 0;
	}
	opts_of(e, &o);
	if ((q = calloc(n, sizeof(*q))) == NULL)
		goto out;
	for (i = 0; i < n; i++)
		qset(&q[i], e->cc->primary_dns, (unsigned)e->cc->dns_port,
		    ds[i]->zone, LDNS_RR_TYPE_NS);
	if (dnsprobe_run(q, n, &o, &err) != MC_OK)
		goto out;
	for (i = 0, m = 0; i < n; i++)
		m += q[i].nanswers;
	if ((qa = calloc(m + 1, sizeof(*qa))) == NULL ||
	    (owner = calloc(m + 1, sizeof(*owner))) == NULL)
		goto out;
	for (i = 0; i < n; i++)
		ns_questions(e, ds[i], i, &q[i], qa, owner, &na);
	if (na > 0 && dnsprobe_run(qa, na, &o, &err) != MC_OK)
		goto out;
	for (k = 0; k < na; k++) {
		struct dom *d = ds[owner[k]];
		if (!dom_active(d))
			continue;
		if ((addr = ns_address(&qa[k], buf, sizeof(buf))) == NULL)
			dom_note(d, NOTE_WARN, "name server %s has no address; "
			    "it cannot be checked", qa[k].name);
		else
			srv_add(e, d, qa[k].name, addr);
	}
	ok = 1;
out:
	if (!ok)
		for (i = 0; i < n; i++)
			if (dom_active(ds[i]))
				dom_fail(ds[i], "asking for the name servers of "
				    "%s: %s", ds[i]->zone, err.msg[0] ? err.msg :
				    "out of memory");
	if (q != NULL)
		dnsq_free_all(q, n);
	if (qa != NULL)
		dnsq_free_all(qa, na);
	free(q);
	free(qa);
	free(owner);
	return ok;
}

/* ---- asking them ---- */

/* one question about a switched name: its A or its AAAA records */
struct lq {
	char	 label[64];
	char	 type[8];
	int	 rrtype;
};

#define MAX_LQ	(2 * DOM_MAX_LABELS)

/* A for every switched name; AAAA where the journal has any */
static size_t
label_questions(const struct dom *d, struct lq *out)
{
	char labels[DOM_MAX_LABELS][64];
	struct own_rec *orig = NULL;
	size_t nl = dom_labels(d, labels), no = dom_orig(d, &orig), i, k, n = 0;
	int six;

	for (i = 0; i < nl; i++) {
		snprintf(out[n].label, sizeof(out[n].label), "%.63s", labels[i]);
		snprintf(out[n].type, sizeof(out[n].type), "A");
		out[n++].rrtype = LDNS_RR_TYPE_A;
		for (k = 0, six = 0; k < no; k++)
			six |= strcmp(orig[k].label, labels[i]) == 0 &&
			    strcmp(orig[k].type, "AAAA") == 0;
		if (six) {
			snprintf(out[n].label, sizeof(out[n].label), "%.63s",
			    labels[i]);
			snprintf(out[n].type, sizeof(out[n].type), "AAAA");
			out[n++].rrtype = LDNS_RR_TYPE_AAAA;
		}
	}
	free(orig);
	return n;
}

/*
 * Whether one answer is what the change needs (owner.h own_expect): every
 * address that must be served is, and none that must be gone is.
 */
static int
answer_ok(const struct dom *d, const struct own_rec *orig, size_t norig,
    enum expect ex, const struct lq *q, char **got, size_t ngot)
{
	const char *must[16], *mustnot[16], *old[OWN_MAX_ADDRS];
	char buf[OWN_MAX_ADDRS][64];
	const char *drop = dom_get(d, JK_DROP_AAAA);
	const char *n4 = dom_get(d, JK_NEW_IP);
	const char *n6 = dom_get(d, JK_NEW_IP6);
	size_t nm, nn, nold = dom_old_ips(d, old, buf), i, k;

	/* the journal keeps "" for an address that was not known */
	own_expect(orig, norig, ex == EXPECT_ORIG ? OWN_BACK : OWN_FORWARD,
	    old, nold, n4 && *n4 ? n4 : NULL, n6 && *n6 ? n6 : NULL,
	    drop != NULL && strcmp(drop, "yes") == 0, q->label, q->type, must,
	    &nm, mustnot, &nn, 16);
	for (i = 0; i < nm; i++) {
		for (k = 0; k < ngot; k++)
			if (own_addr_equal(got[k], must[i]))
				break;
		if (k == ngot)
			return 0;
	}
	for (i = 0; i < nn; i++)
		for (k = 0; k < ngot; k++)
			if (own_addr_equal(got[k], mustnot[i]))
				return 0;
	return 1;
}

/* the questions of one run of check(); *nq set, NULL when none or OOM */
static struct dnsq *
questions(const struct engine *e, struct dom **ds, size_t n, int primary_only,
    size_t *nq, int *oom)
{
	struct dnsq *q;
	struct lq lq[MAX_LQ];
	char fq[64 + 1 + 256];	/* label.zone */
	size_t i, s, k, nl, cap = 0;

	*nq = 0;
	*oom = 0;
	for (i = 0; i < n; i++)
		if (dom_active(ds[i]))
			cap += ds[i]->nsrv * (1 + label_questions(ds[i], lq));
	if (cap == 0)
		return NULL;
	if ((q = calloc(cap, sizeof(*q))) == NULL) {
		*oom = 1;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		struct dom *d = ds[i];
		if (!dom_active(d))
			continue;
		nl = label_questions(d, lq);
		for (s = 0; s < (primary_only ? 1 : d->nsrv); s++) {
			qset(&q[(*nq)++], d->srv[s].addr,
			    (unsigned)e->cc->dns_port, d->zone,
			    LDNS_RR_TYPE_SOA);
			for (k = 0; k < nl; k++) {
				snprintf(fq, sizeof(fq), "%.63s.%.255s",
				    lq[k].label, d->zone);
				qset(&q[(*nq)++], d->srv[s].addr,
				    (unsigned)e->cc->dns_port, fq,
				    lq[k].rrtype);
			}
		}
	}
	return q;
}

/* what one server answered (sq: its SOA, then one per label question) */
struct heard {
	const struct lq		*lq;
	size_t			 nl;
	const struct own_rec	*orig;
	size_t			 norig;
	unsigned long		 maxttl;
	enum expect		 ex;
};

static void
take_server(const struct dom *d, struct srv *v, const struct dnsq *sq,
    const struct heard *h)
{
	size_t used = 0, k, a;

	v->ok = 1;
	v->answered = sq->result == MC_OK && sq->aa &&
	    sq->rcode == LDNS_RCODE_NOERROR;
	v->has_serial = v->answered && sq->has_serial;
	v->serial = sq->serial;
	if (v->has_serial)
		used += (size_t)snprintf(v->seen, sizeof(v->seen), "serial %lu",
		    sq->serial);
	else
		used += (size_t)snprintf(v->seen, sizeof(v->seen), "no SOA "
		    "(%.100s)", sq->result != MC_OK ? sq->msg : !sq->aa ?
		    "not authoritative" : "no answer");
	if (!v->has_serial)
		v->ok = 0;
	for (k = 0; k < h->nl; k++) {
		const struct dnsq *aq = &sq[1 + k];
		if (used < sizeof(v->seen))
			used += (size_t)snprintf(v->seen + used,
			    sizeof(v->seen) - used, ", %s%s=", h->lq[k].label,
			    h->lq[k].rrtype == LDNS_RR_TYPE_AAAA ? "/AAAA" : "");
		for (a = 0; a < aq->nanswers; a++)
			if (used < sizeof(v->seen))
				used += (size_t)snprintf(v->seen + used,
				    sizeof(v->seen) - used, "%s%s", a ? "+" : "",
				    aq->answers[a]);
		if (aq->result != MC_OK || !aq->aa)
			v->ok = 0;
		else if (h->ex == EXPECT_SERIAL) {
			if (aq->nanswers > 0 && aq->ttl > h->maxttl)
				v->ok = 0;
		} else if (!answer_ok(d, h->orig, h->norig, h->ex, &h->lq[k],
		    aq->answers, aq->nanswers))
			v->ok = 0;
	}
	if (used >= sizeof(v->seen))
		utf8_trim(v->seen);
}

/* the answers for d's servers at q[*base...]; 1 when all are ok */
static int
take_dom(const struct engine *e, struct dom *d, const struct dnsq *q,
    size_t *base, enum expect ex, int primary_only)
{
	struct lq lq[MAX_LQ];
	struct own_rec *orig = NULL;
	struct heard h;
	unsigned long old = 0;
	size_t s;
	int all = 1;

	memset(&h, 0, sizeof(h));
	h.lq = lq;
	h.ex = ex;
	h.maxttl = e->cc->lowered_ttl;
	if (dom_ulong(d, JK_PREPARE_OLD_TTL, &old) && old < h.maxttl)
		h.maxttl = old;
	h.nl = label_questions(d, lq);
	h.norig = dom_orig(d, &orig);
	h.orig = orig;
	for (s = 0; s < (primary_only ? 1 : d->nsrv); s++) {
		take_server(d, &d->srv[s], &q[*base], &h);
		*base += 1 + h.nl;
	}
	free(orig);
	/* every server must serve the primary's serial */
	for (s = 1; !primary_only && s < d->nsrv; s++)
		if (!d->srv[0].has_serial || !d->srv[s].has_serial ||
		    d->srv[s].serial != d->srv[0].serial)
			d->srv[s].ok = 0;
	for (s = 0; s < (primary_only ? 1 : d->nsrv); s++)
		all &= d->srv[s].ok;
	return all;
}

/*
 * Ask every server of every domain (all questions in one poll loop) for
 * the SOA serial and the switched names; mark each server ok or not.
 * primary_only: ask srv[0] only. Returns 1 if every server is ok.
 */
static int
check(struct engine *e, struct dom **ds, size_t n, enum expect ex,
    int primary_only)
{
	struct dnsprobe_opts o;
	struct dnsq *q;
	struct mc_err err = { 0 };
	size_t i, nq, base = 0;
	int all = 1, oom;

	opts_of(e, &o);
	if ((q = questions(e, ds, n, primary_only, &nq, &oom)) == NULL)
		return !oom;
	if (dnsprobe_run(q, nq, &o, &err) != MC_OK) {
		for (i = 0; i < n; i++)
			if (dom_active(ds[i]))
				dom_fail(ds[i], "DNS: %s", err.msg);
		dnsq_free_all(q, nq);
		free(q);
		return 0;
	}
	for (i = 0; i < n; i++)
		if (dom_active(ds[i]))
			all &= take_dom(e, ds[i], q, &base, ex, primary_only);
	dnsq_free_all(q, nq);
	free(q);
	return all;
}

int
authdns_check(struct engine *e, struct dom **ds, size_t n, enum expect ex)
{
	return check(e, ds, n, ex, 0);
}

/* ---- waiting for them ---- */

static void
pause_ms(int ms)
{
	poll(NULL, 0, ms);
}

int
authdns_wait_primary(struct engine *e, struct dom **ds, size_t n,
    enum expect ex, unsigned long timeout_s)
{
	time_t deadline = engine_tick(e) + (time_t)timeout_s;
	size_t i, pending;
	int first = 1;

	if (!authdns_servers(e, ds, n))
		return 0;
	for (;;) {
		check(e, ds, n, ex, 1);
		for (i = 0, pending = 0; i < n; i++)
			if (dom_active(ds[i]) && !ds[i]->srv[0].ok &&
			    (!dom_manual(ds[i]) || first))
				pending += !dom_manual(ds[i]);
		if (pending == 0 || engine_tick(e) >= deadline)
			break;
		first = 0;
		pause_ms(300);
	}
	for (i = 0; i < n; i++) {
		struct dom *d = ds[i];
		if (!dom_active(d) || d->srv[0].ok)
			continue;
		if (dom_manual(d))
			dom_wait(d, ex == EXPECT_ORIG ? STEP_ROLLBACK :
			    STEP_SWITCH, 0, "waiting for the primary name "
			    "server %s to serve the change (%s)", d->srv[0].addr,
			    d->srv[0].seen);
		else
			dom_fail(d, "the primary name server %s still serves "
			    "%s after %lu s; the journal keeps the change "
			    "(run again to re-check, or rollback)",
			    d->srv[0].addr, d->srv[0].seen, timeout_s);
	}
	return 1;
}

/* the domains of pend[0..np) not done yet, kept in place; the count */
static size_t
laggards(struct dom **pend, size_t np)
{
	size_t i, k, s;
	int ok;

	for (i = 0, k = 0; i < np; i++) {
		struct dom *d = pend[i];
		for (s = 0, ok = 1; dom_active(d) && s < d->nsrv; s++)
			ok &= d->srv[s].ok;
		if (dom_active(d) && !ok)
			pend[k++] = d;
	}
	return k;
}

int
authdns_converge(struct engine *e, struct dom **ds, size_t n, enum expect ex)
{
	time_t deadline = engine_tick(e) + (time_t)e->cc->sync_timeout;
	struct dom **pend;
	size_t i, s, np = n;
	int rounds = 0, all = 0;

	if (n == 0 || !authdns_servers(e, ds, n))
		return 0;
	/*
	 * Ask again only the domains that are not done: a domain whose
	 * servers all agree keeps its result (nothing changes it during the
	 * wait), so a round costs questions for the laggards alone.
	 */
	if ((pend = calloc(n, sizeof(*pend))) == NULL)
		pend = ds;	/* out of memory: ask all, as before */
	else
		memcpy(pend, ds, n * sizeof(*pend));
	for (;;) {
		all = check(e, pend, np, ex, 0);
		if (all || engine_tick(e) >= deadline)
			break;
		np = laggards(pend, np);
		/*
		 * Give the primary's own NOTIFY a second to work, then
		 * refresh each laggard by its method, again every ~10 s.
		 */
		for (i = 0; rounds >= 2 && i < np; i++)
			for (s = 1; dom_active(pend[i]) && s < pend[i]->nsrv;
			    s++)
				if (!pend[i]->srv[s].ok && pend[i]->srv[0].ok &&
				    (!pend[i]->srv[s].refreshed ||
				    rounds % 20 == 19))
					refresh_server(e, pend[i],
					    &pend[i]->srv[s]);
		rounds++;
		pause_ms(500);
	}
	if (pend != ds)
		free(pend);
	for (i = 0; i < n; i++)
		for (s = 0; dom_active(ds[i]) && s < ds[i]->nsrv; s++)
			dom_note(ds[i], ds[i]->srv[s].ok ? NOTE_CHECK :
			    NOTE_WARN, "%s %s (%s): %s", ds[i]->srv[s].primary ?
			    "primary" : "secondary", ds[i]->srv[s].name,
			    ds[i]->srv[s].addr, ds[i]->srv[s].seen);
	return all;
}

int
authdns_all_ok(const struct dom *d, char *lag, size_t lagsz)
{
	size_t s;
	int ok = 1;

	for (s = 0; s < d->nsrv; s++)
		if (!d->srv[s].ok) {
			ok = 0;
			snprintf(lag, lagsz, "%.60s (%s) serves %.200s",
			    d->srv[s].name, d->srv[s].addr, d->srv[s].seen);
		}
	return ok;
}
