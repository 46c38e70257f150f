/* authdns.c -- every authoritative server of a zone: find them, ask them
 * all, wait until they serve the change (the questions and the verdicts
 * are authjudge.c's, the rounds dnspoll.c's). */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "authdns.h"
#include "dnsprobe.h"
#include "dnsrate.h"
#include "dom.h"
#include "engine.h"

#define SERVERS_CHUNK	512	/* zones whose NS set is asked at once */

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

/* d's primary alone: srv[0] */
static int
primary_only(const struct engine *e, struct dom *d)
{
	struct srv *v;

	d->nsrv = 0;
	if ((v = dom_srv_add(d)) == NULL) {
		dom_fail(d, "out of memory");
		return 0;
	}
	snprintf(v->addr, sizeof(v->addr), "%s", e->cc->primary_dns);
	v->primary = 1;
	return 1;
}

/* one NS of d at addr: the primary named, or a new secondary */
static void
srv_add(const struct engine *e, struct dom *d, const char *name,
    const char *addr)
{
	struct srv *v;
	size_t s, i;

	if (strcmp(addr, e->cc->primary_dns) == 0) {
		if (!dom_str_set(&d->srv[0].name, name))
			dom_fail(d, "out of memory");
		return;
	}
	for (s = 1; s < d->nsrv; s++)
		if (strcmp(d->srv[s].addr, addr) == 0)
			return;
	if ((v = dom_srv_add(d)) == NULL) {
		dom_fail(d, "out of memory");
		return;
	}
	if (!dom_str_set(&v->name, name)) {
		dom_fail(d, "out of memory");
		return;
	}
	snprintf(v->addr, sizeof(v->addr), "%s", addr);
	for (i = 0; i < e->conf->nsecondaries; i++)
		if (strcmp(e->conf->secondaries[i].address, addr) == 0)
			v->sc = &e->conf->secondaries[i];
}

/* the IPv4 glue of NS answer q for name, into buf; NULL when none */
static const char *
glue(const struct dnsq *q, const char *name, char *buf, size_t sz)
{
	size_t k, len = strlen(name);

	for (k = 0; k < q->nglue; k++)
		if (q->glue[k] != NULL && strncasecmp(q->glue[k], name, len)
		    == 0 && q->glue[k][len] == ' ' &&
		    strchr(q->glue[k] + len + 1, ':') == NULL) {
			snprintf(buf, sz, "%s", q->glue[k] + len + 1);
			return buf;
		}
	return NULL;
}

/* the address of an NS name the glue did not give: the primary's answer
 * (in-zone), or the system resolver's for an out-of-zone name */
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

/* one chunk's NS answers: the servers with glue added, the A questions
 * for the others into qa (owner: the domain; names asked once) */
static void
ns_take(const struct engine *e, struct dom **ds, size_t n,
    const struct dnsq *q, struct dnsq *qa, size_t *owner, size_t *na)
{
	char buf[64];
	size_t i, k, m;

	for (i = 0; i < n; i++) {
		struct dom *d = ds[i];
		if (!dom_active(d) || !primary_only(e, d))
			continue;
		if (q[i].result != MC_OK) {
			/* no answer at all (a timeout): nothing is known to
			   be wrong with the zone; this run stops here and
			   waits */
			dom_wait(d, e->step, 0, "the primary name server %s "
			    "does not answer (%s); waiting: the next run asks "
			    "again", e->cc->primary_dns, q[i].msg);
			d->skip = 1;
			continue;
		}
		if (q[i].rcode != LDNS_RCODE_NOERROR || !q[i].aa ||
		    q[i].nanswers == 0) {
			dom_fail(d, "the primary name server %s does not serve "
			    "zone %s authoritatively (no NS records or not "
			    "authoritative)", e->cc->primary_dns, d->zone);
			continue;
		}
		for (k = 0; k < q[i].nanswers; k++) {
			if (glue(&q[i], q[i].answers[k], buf, sizeof(buf))) {
				srv_add(e, d, q[i].answers[k], buf);
				continue;
			}
			for (m = 0; m < *na; m++)
				if (owner[m] == i && strcmp(qa[m].name,
				    q[i].answers[k]) == 0)
					break;
			if (m < *na)
				continue;
			qset(&qa[*na], e->cc->primary_dns,
			    (unsigned)e->cc->dns_port, q[i].answers[k],
			    LDNS_RR_TYPE_A);
			owner[(*na)++] = i;
		}
	}
}

/* the NS sets of ds[0..n), one chunk */
static enum mc_result
servers_chunk(struct engine *e, struct dom **ds, size_t n,
    struct mc_err *err)
{
	struct dnsprobe_opts o;
	struct dnsq *q, *qa = NULL;
	size_t i, k, m = 0, na = 0, *owner = NULL;
	enum mc_result r = MC_E_NOMEM;
	char buf[64];
	const char *addr;

	opts_of(e, &o);
	if ((q = calloc(n, sizeof(*q))) == NULL)
		return mc_err_set(err, MC_E_NOMEM, "out of memory");
	for (i = 0; i < n; i++)
		qset(&q[i], e->cc->primary_dns, (unsigned)e->cc->dns_port,
		    ds[i]->zone, LDNS_RR_TYPE_NS);
	if ((r = dnsprobe_run(q, n, &o, err)) != MC_OK)
		goto out;
	for (i = 0; i < n; i++)
		m += q[i].nanswers;
	r = MC_E_NOMEM;
	if ((qa = calloc(m + 1, sizeof(*qa))) == NULL ||
	    (owner = calloc(m + 1, sizeof(*owner))) == NULL) {
		mc_err_set(err, MC_E_NOMEM, "out of memory");
		goto out;
	}
	ns_take(e, ds, n, q, qa, owner, &na);
	if (na > 0 && (r = dnsprobe_run(qa, na, &o, err)) != MC_OK)
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
	r = MC_OK;
out:
	dnsq_free_all(q, n);
	dnsq_free_all(qa, na);
	free(q);
	free(qa);
	free(owner);
	return r;
}

int
authdns_servers(struct engine *e, struct dom **ds, size_t n)
{
	struct mc_err err = { 0 };
	size_t i, c;

	if (n == 0)
		return 1;
	if (e->cc->primary_dns == NULL) {
		for (i = 0; i < n; i++)
			dom_fail(ds[i], "set primary_dns in [cutover]: the "
			    "address of the primary name server to ask");
		return 0;
	}
	for (i = 0; i < n; i += c) {
		c = n - i < SERVERS_CHUNK ? n - i : SERVERS_CHUNK;
		if (servers_chunk(e, ds + i, c, &err) == MC_OK)
			continue;
		for (i = 0; i < n; i++)
			if (dom_active(ds[i]))
				dom_fail(ds[i], "asking for the name servers "
				    "of %s: %s", ds[i]->zone, err.msg);
		return 0;
	}
	return 1;
}

/* ---- asking them ---- */

/*
 * Poll every server of every active domain of ds (the primary alone with
 * primary_only) through dnspoll until all are done or `deadline` (ms,
 * dnspoll_now; 0: one pass). Returns 1 when every server is ok.
 */
static int
poll_all(struct engine *e, struct dom **ds, size_t n, enum expect ex,
    int primary_only, long long deadline)
{
	struct authjudge J = { e, ex, primary_only, deadline != 0 &&
	    !primary_only, NULL };
	struct dnspoll_opts o;
	struct authitem *ai = NULL;
	struct mc_err err = { 0 };
	size_t i, s, ni = 0, cap = 0;
	int all = 1;

	for (i = 0; i < n; i++)
		if (dom_active(ds[i]))
			cap += primary_only ? 1 : ds[i]->nsrv;
	if (cap == 0)
		return 1;
	if ((J.items = calloc(cap, sizeof(*J.items))) == NULL ||
	    (ai = calloc(cap, sizeof(*ai))) == NULL) {
		mc_err_set(&err, MC_E_NOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < n; i++) {
		size_t first = ni;
		for (s = 0; dom_active(ds[i]) && s < (primary_only ? 1 :
		    ds[i]->nsrv); s++, ni++) {
			ai[ni] = (struct authitem){ ds[i], s, first };
			J.items[ni].server = ds[i]->srv[s].addr;
			J.items[ni].port = (unsigned)e->cc->dns_port;
			J.items[ni].zone = ds[i]->zone;
			J.items[ni].lead = s == 0;
			J.items[ni].arg = &ai[ni];
		}
	}
	memset(&o, 0, sizeof(o));
	opts_of(e, &o.probe);
	o.deadline = deadline;
	if (dnspoll_run(J.items, ni, &authjudge_ops, &J, &o, &err) != MC_OK)
		goto fail;
	for (i = 0; i < ni; i++)
		all &= !dom_active(ai[i].d) || ai[i].d->srv[ai[i].s].ok;
	free(J.items);
	free(ai);
	return all;
fail:
	for (i = 0; i < n; i++)
		if (dom_active(ds[i]))
			dom_fail(ds[i], "DNS: %s", err.msg);
	free(J.items);
	free(ai);
	return 0;
}

int
authdns_check(struct engine *e, struct dom **ds, size_t n, enum expect ex)
{
	return poll_all(e, ds, n, ex, 0, 0);
}

/* ---- waiting for them ---- */

unsigned long
authdns_timeout(const struct engine *e, size_t n, unsigned long timeout_s,
    int timeout_set, size_t per_zone, char *why, size_t whysz)
{
	unsigned long rate = dnsrate_get(), ask;

	why[0] = '\0';
	if (timeout_set || rate == 0)
		return timeout_s;
	ask = (unsigned long)((n * per_zone + rate - 1) / rate);
	if (ask * 10 <= timeout_s)
		return timeout_s;
	snprintf(why, whysz, "the default %lu s + %lu s to ask %zu zones at "
	    "dns_rate %lu", timeout_s, ask, n, rate);
	(void)e;
	return timeout_s + ask;
}

/* each zone's questions at its busiest server: NS, SOA, the names, a
 * poll or two more */
static size_t
per_zone(const struct engine *e, int primary_only)
{
	return (primary_only ? 2 : 4) + e->cc->nrecords;
}

int
authdns_wait_primary(struct engine *e, struct dom **ds, size_t n,
    enum expect ex, unsigned long timeout_s, int timeout_set)
{
	char why[160];
	size_t i;
	unsigned long t = authdns_timeout(e, n, timeout_s, timeout_set,
	    per_zone(e, 1), why, sizeof(why));

	if (n == 0)
		return 1;
	if (e->cc->primary_dns == NULL)
		return authdns_servers(e, ds, n);	/* fails them */
	for (i = 0; i < n; i++)
		if (dom_active(ds[i]))
			primary_only(e, ds[i]);
	poll_all(e, ds, n, ex, 1, dnspoll_now() + (long long)t * 1000);
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
			    "%s after %lu s%s%s%s; the journal keeps the change "
			    "(run again to re-check, or rollback)",
			    d->srv[0].addr, d->srv[0].seen, t, why[0] ? " (" :
			    "", why, why[0] ? ")" : "");
	}
	return 1;
}

int
authdns_converge(struct engine *e, struct dom **ds, size_t n, enum expect ex)
{
	char why[160];
	unsigned long t = authdns_timeout(e, n, e->cc->sync_timeout,
	    e->cc->sync_timeout_set, per_zone(e, 0), why, sizeof(why));
	size_t i, s;
	int all;

	if (n == 0 || !authdns_servers(e, ds, n))
		return 0;
	all = poll_all(e, ds, n, ex, 0, dnspoll_now() + (long long)t * 1000);
	for (i = 0; i < n; i++) {
		for (s = 0; dom_active(ds[i]) && s < ds[i]->nsrv; s++)
			dom_note(ds[i], ds[i]->srv[s].ok ? NOTE_CHECK :
			    NOTE_WARN, "%s %s (%s): %s", ds[i]->srv[s].primary ?
			    "primary" : "secondary", ds[i]->srv[s].name,
			    ds[i]->srv[s].addr, ds[i]->srv[s].seen);
		if (!all && why[0] && dom_active(ds[i]) &&
		    !authdns_all_ok(ds[i], NULL, 0))
			dom_note(ds[i], NOTE_INFO, "waited %lu s: sync_timeout is "
			    "%s", t, why);
	}
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
			if (lag != NULL)
				snprintf(lag, lagsz, "%.60s (%s) serves %.200s",
				    d->srv[s].name, d->srv[s].addr,
				    d->srv[s].seen);
		}
	return ok;
}
