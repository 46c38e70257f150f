/* authdns.c -- every authoritative server of a zone: find them, ask them
 * all at once, refresh the ones that lag; the verify step. */
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "dnsprobe.h"
#include "engine.h"
#include "host.h"
#include "idn.h"
#include "mailprobe.h"
#include "owner.h"
#include "panel.h"
#include "utf8.h"
#include "valid.h"


static int
active(const struct dom *d)
{
	return !d->skip && d->res != DR_FAILED;
}

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
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->type = type;
}

/*
 * Authoritative servers of each zone: the NS set as the primary name
 * server serves it, each NS name's address from the primary (in-zone
 * glue) or, failing that, from the system resolver. The primary is
 * [cutover] primary_dns.
 */
int
authdns_servers(struct engine *e, struct dom **ds, size_t n)
{
	const char *primary = e->cc->primary_dns;
	unsigned port = (unsigned)e->cc->dns_port;
	struct dnsprobe_opts o;
	struct dnsq *q = NULL, *qa = NULL;
	struct mc_err err = { 0 };
	size_t i, k, m, na = 0, *owner = NULL;
	int ok = 0;

	if (n == 0)
		return 1;
	if (primary == NULL) {
		for (i = 0; i < n; i++)
			dom_fail(ds[i], "set primary_dns in [cutover]: the "
			    "address of the primary name server to ask");
		return 0;
	}
	opts_of(e, &o);
	if ((q = calloc(n, sizeof(*q))) == NULL)
		goto out;
	for (i = 0; i < n; i++)
		qset(&q[i], primary, port, ds[i]->zone, LDNS_RR_TYPE_NS);
	if (dnsprobe_run(q, n, &o, &err) != MC_OK)
		goto out;
	for (i = 0, m = 0; i < n; i++)
		m += q[i].nanswers;
	if ((qa = calloc(m + 1, sizeof(*qa))) == NULL ||
	    (owner = calloc(m + 1, sizeof(*owner))) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		struct dom *d = ds[i];
		d->nsrv = 1;
		memset(&d->srv[0], 0, sizeof(d->srv[0]));
		snprintf(d->srv[0].addr, sizeof(d->srv[0].addr), "%s", primary);
		d->srv[0].primary = 1;
		if (q[i].result != MC_OK || q[i].rcode != LDNS_RCODE_NOERROR ||
		    !q[i].aa || q[i].nanswers == 0) {
			dom_fail(d, "the primary name server %s does not serve "
			    "zone %s authoritatively (%s)", primary, d->zone,
			    q[i].result != MC_OK ? q[i].msg :
			    "no NS records or not authoritative");
			continue;
		}
		for (k = 0; k < q[i].nanswers; k++) {
			qset(&qa[na], primary, port, q[i].answers[k],
			    LDNS_RR_TYPE_A);
			owner[na++] = i;
		}
	}
	if (na > 0 && dnsprobe_run(qa, na, &o, &err) != MC_OK)
		goto out;
	for (k = 0; k < na; k++) {
		struct dom *d = ds[owner[k]];
		const char *addr = NULL;
		size_t s;
		if (!active(d))
			continue;
		if (qa[k].result == MC_OK && qa[k].nanswers > 0)
			addr = qa[k].answers[0];
		else {
			/* out-of-zone NS name: ask the system resolver */
			struct addrinfo hints = { 0 }, *res = NULL;
			static char buf[64];
			hints.ai_family = AF_INET;
			if (getaddrinfo(qa[k].name, NULL, &hints, &res) == 0 &&
			    res != NULL && inet_ntop(AF_INET,
			    &((struct sockaddr_in *)res->ai_addr)->sin_addr,
			    buf, sizeof(buf)) != NULL)
				addr = buf;
			if (res != NULL)
				freeaddrinfo(res);
		}
		if (addr == NULL) {
			dom_note(d, NOTE_WARN, "name server %s has no address; "
			    "it cannot be checked", qa[k].name);
			continue;
		}
		if (strcmp(addr, primary) == 0) {
			snprintf(d->srv[0].name, sizeof(d->srv[0].name), "%s",
			    qa[k].name);
			continue;
		}
		for (s = 1; s < d->nsrv; s++)
			if (strcmp(d->srv[s].addr, addr) == 0)
				break;
		if (s < d->nsrv || d->nsrv == ENGINE_MAX_SERVERS)
			continue;
		memset(&d->srv[s], 0, sizeof(d->srv[s]));
		snprintf(d->srv[s].name, sizeof(d->srv[s].name), "%s",
		    qa[k].name);
		snprintf(d->srv[s].addr, sizeof(d->srv[s].addr), "%s", addr);
		for (i = 0; i < e->conf->nsecondaries; i++)
			if (strcmp(e->conf->secondaries[i].address, addr) == 0)
				d->srv[s].sc = &e->conf->secondaries[i];
		d->nsrv++;
	}
	ok = 1;
out:
	if (!ok)
		for (i = 0; i < n; i++)
			if (active(ds[i]))
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
		snprintf(out[n].label, sizeof(out[n].label), "%s", labels[i]);
		snprintf(out[n].type, sizeof(out[n].type), "A");
		out[n++].rrtype = LDNS_RR_TYPE_A;
		for (k = 0, six = 0; k < no; k++)
			six |= strcmp(orig[k].label, labels[i]) == 0 &&
			    strcmp(orig[k].type, "AAAA") == 0;
		if (six) {
			snprintf(out[n].label, sizeof(out[n].label), "%s",
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
	const char *drop = journal_get(d->j, "drop_aaaa");
	const char *n4 = journal_get(d->j, "new_ip");
	const char *n6 = journal_get(d->j, "new_ip6");
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
	struct dnsq *q = NULL;
	struct mc_err err = { 0 };
	struct lq lq[MAX_LQ];
	char fq[320];
	size_t i, s, k, nq = 0, cap = 0, nl, base;
	unsigned port = (unsigned)e->cc->dns_port;
	int all = 1;

	opts_of(e, &o);
	for (i = 0; i < n; i++)
		if (active(ds[i]))
			cap += ds[i]->nsrv * (1 + label_questions(ds[i], lq));
	if (cap == 0)
		return 1;
	if ((q = calloc(cap, sizeof(*q))) == NULL)
		return 0;
	for (i = 0; i < n; i++) {
		struct dom *d = ds[i];
		if (!active(d))
			continue;
		nl = label_questions(d, lq);
		for (s = 0; s < (primary_only ? 1 : d->nsrv); s++) {
			qset(&q[nq++], d->srv[s].addr, port, d->zone,
			    LDNS_RR_TYPE_SOA);
			for (k = 0; k < nl; k++) {
				snprintf(fq, sizeof(fq), "%s.%s", lq[k].label,
				    d->zone);
				qset(&q[nq++], d->srv[s].addr, port, fq,
				    lq[k].rrtype);
			}
		}
	}
	if (dnsprobe_run(q, nq, &o, &err) != MC_OK) {
		for (i = 0; i < n; i++)
			if (active(ds[i]))
				dom_fail(ds[i], "DNS: %s", err.msg);
		dnsq_free_all(q, nq);
		free(q);
		return 0;
	}
	base = 0;
	for (i = 0; i < n; i++) {
		struct dom *d = ds[i];
		struct own_rec *orig = NULL;
		unsigned long maxttl = e->cc->lowered_ttl, old = 0;
		size_t norig;
		if (!active(d))
			continue;
		if (journal_get_ulong(d->j, "prepare.old_ttl", &old) &&
		    old < maxttl)
			maxttl = old;
		nl = label_questions(d, lq);
		norig = dom_orig(d, &orig);
		for (s = 0; s < (primary_only ? 1 : d->nsrv); s++) {
			struct srv *v = &d->srv[s];
			struct dnsq *sq = &q[base];
			size_t used = 0;
			v->ok = 1;
			v->answered = sq->result == MC_OK && sq->aa &&
			    sq->rcode == LDNS_RCODE_NOERROR;
			v->has_serial = v->answered && sq->has_serial;
			v->serial = sq->serial;
			if (v->has_serial)
				used += (size_t)snprintf(v->seen,
				    sizeof(v->seen), "serial %lu", sq->serial);
			else
				used += (size_t)snprintf(v->seen,
				    sizeof(v->seen), "no SOA (%.100s)",
				    sq->result != MC_OK ? sq->msg : !sq->aa ?
				    "not authoritative" : "no answer");
			if (!v->has_serial)
				v->ok = 0;
			for (k = 0; k < nl; k++) {
				struct dnsq *aq = &q[base + 1 + k];
				size_t a;
				if (used < sizeof(v->seen))
					used += (size_t)snprintf(v->seen + used,
					    sizeof(v->seen) - used, ", %s%s=",
					    lq[k].label, lq[k].rrtype ==
					    LDNS_RR_TYPE_AAAA ? "/AAAA" : "");
				for (a = 0; a < aq->nanswers; a++)
					if (used < sizeof(v->seen))
						used += (size_t)snprintf(v->seen +
						    used, sizeof(v->seen) - used,
						    "%s%s", a ? "+" : "",
						    aq->answers[a]);
				if (aq->result != MC_OK || !aq->aa)
					v->ok = 0;
				else if (ex == EXPECT_SERIAL) {
					if (aq->nanswers > 0 && aq->ttl > maxttl)
						v->ok = 0;
				} else if (!answer_ok(d, orig, norig, ex, &lq[k],
				    aq->answers, aq->nanswers))
					v->ok = 0;
			}
			if (used >= sizeof(v->seen))
				utf8_trim(v->seen);
			base += 1 + nl;
		}
		free(orig);
		/* every server must serve the primary's serial */
		for (s = 1; !primary_only && s < d->nsrv; s++)
			if (!d->srv[0].has_serial || !d->srv[s].has_serial ||
			    d->srv[s].serial != d->srv[0].serial)
				d->srv[s].ok = 0;
		for (s = 0; s < (primary_only ? 1 : d->nsrv); s++)
			all &= d->srv[s].ok;
	}
	dnsq_free_all(q, nq);
	free(q);
	return all;
}

int
authdns_check(struct engine *e, struct dom **ds, size_t n, enum expect ex)
{
	return check(e, ds, n, ex, 0);
}

static void
pause_ms(int ms)
{
	poll(NULL, 0, ms);
}

static int
manual(const struct dom *d)
{
	const char *m = journal_get(d->j, "mode");

	return m != NULL && strcmp(m, "manual") == 0;
}

int
authdns_wait_primary(struct engine *e, struct dom **ds, size_t n,
    enum expect ex, unsigned long timeout_s)
{
	time_t deadline = time(NULL) + (time_t)timeout_s;
	size_t i, pending;
	int first = 1;

	if (!authdns_servers(e, ds, n))
		return 0;
	for (;;) {
		check(e, ds, n, ex, 1);
		for (i = 0, pending = 0; i < n; i++)
			if (active(ds[i]) && !ds[i]->srv[0].ok &&
			    (!manual(ds[i]) || first))
				pending += !manual(ds[i]);
		if (pending == 0 || time(NULL) >= deadline)
			break;
		first = 0;
		pause_ms(300);
	}
	for (i = 0; i < n; i++) {
		struct dom *d = ds[i];
		if (!active(d) || d->srv[0].ok)
			continue;
		if (manual(d))
			dom_wait(d, ex == EXPECT_ORIG ? "rollback" : "switch", 0,
			    "waiting for the primary name server %s to serve "
			    "the change (%s)", d->srv[0].addr, d->srv[0].seen);
		else
			dom_fail(d, "the primary name server %s still serves "
			    "%s after %lu s; the journal keeps the change "
			    "(run again to re-check, or rollback)",
			    d->srv[0].addr, d->srv[0].seen, timeout_s);
	}
	return 1;
}

/* ---- refreshing a lagging secondary ---- */

static int
run_rndc(const struct engine *e, const struct secondary_conf *sc,
    const char *zone, char *msg, size_t msgsz)
{
	char port[16];
	pid_t pid;
	int status = 0, waited = 0;
	const char *server = sc->rndc_server ? sc->rndc_server : sc->address;

	snprintf(port, sizeof(port), "%lu", sc->rndc_port);
	if (!valid_ip(server) || !valid_domain(zone)) {
		snprintf(msg, msgsz, "rndc: bad server or zone");
		return 0;
	}
	if ((pid = fork()) == -1) {
		snprintf(msg, msgsz, "rndc: fork: %s", strerror(errno));
		return 0;
	}
	if (pid == 0) {
		char *const argv[] = { "rndc", "-k", sc->rndc_key, "-s",
		    (char *)server, "-p", port, "refresh", (char *)zone, NULL };
		char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		    NULL };
		int fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execve("/usr/sbin/rndc", argv, envp);
		_exit(127);
	}
	(void)e;
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (waited++ > 150) {	/* 15 s */
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			snprintf(msg, msgsz, "rndc refresh %s on %s: timed out",
			    zone, server);
			return 0;
		}
		pause_ms(100);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(msg, msgsz, "rndc refresh %s on %s:%s failed (exit "
		    "%d)", zone, server, port, WIFEXITED(status) ?
		    WEXITSTATUS(status) : -1);
		return 0;
	}
	snprintf(msg, msgsz, "rndc refresh %s sent to %s", zone, server);
	return 1;
}

/* zone disable + enable on the secondary's own Plesk */
static int
plesk_refresh(struct engine *e, const struct secondary_conf *sc,
    const char *zone, char *msg, size_t msgsz)
{
	struct mc_err err = { 0 };
	struct plesk *p = NULL;
	struct site_ref ref;
	char uni[256];
	struct batch *b = NULL;
	struct op *o1, *o2;
	int ok = 0;

	(void)e;
	if (panel_open(&sc->panel, &p, &err) != MC_OK) {
		snprintf(msg, msgsz, "%s", err.msg);
		goto out;
	}
	memset(&ref, 0, sizeof(ref));
	ref.name = zone;
	idn_unicode(zone, uni, sizeof(uni));	/* Plesk 11/12: as entered */
	ref.alt = uni[0] ? uni : NULL;
	if (plesk_resolve(p, &ref, 1, &err) != MC_OK ||
	    ref.result != MC_OK) {
		snprintf(msg, msgsz, "%s: %s", sc->label, ref.result != MC_OK ?
		    ref.msg : err.msg);
		goto out;
	}
	/* two packets: the enable must follow a confirmed disable */
	if ((b = batch_new()) == NULL ||
	    (o1 = batch_add(b, OP_DNS_DISABLE)) == NULL ||
	    op_set_ids(o1, &ref.id, 1) != MC_OK)
		goto out;
	o1->alias = ref.kind == SITE_ALIAS;
	plesk_send(p, b, &err);
	if (o1->result != MC_OK) {
		snprintf(msg, msgsz, "%s: zone disable: %s", sc->label, o1->msg);
		goto out;
	}
	batch_free(b);
	if ((b = batch_new()) == NULL ||
	    (o2 = batch_add(b, OP_DNS_ENABLE)) == NULL ||
	    op_set_ids(o2, &ref.id, 1) != MC_OK)
		goto out;
	o2->alias = ref.kind == SITE_ALIAS;
	plesk_send(p, b, &err);
	if (o2->result != MC_OK) {
		snprintf(msg, msgsz, "%s: zone enable: %s (THE ZONE IS "
		    "DISABLED on that panel: enable it there)", sc->label,
		    o2->msg);
		goto out;
	}
	snprintf(msg, msgsz, "zone %s disabled and enabled on %s (%s)", zone,
	    sc->label, sc->panel.url);
	ok = 1;
out:
	batch_free(b);
	plesk_free(p);
	return ok;
}

static void
refresh(struct engine *e, struct dom *d, struct srv *v)
{
	enum refresh_method m = v->sc ? v->sc->method : REFRESH_NOTIFY;
	struct dnsprobe_opts o;
	struct mc_err err = { 0 };
	char msg[400] = "";
	int ok = 0;

	opts_of(e, &o);
	switch (m) {
	case REFRESH_NOTIFY:
		/*
		 * The primary sends NOTIFY on every zone change; a lagging
		 * secondary missed it or the primary's notify is off. Send
		 * one ourselves (the secondary must allow-notify from this
		 * server), then wait and ask again.
		 */
		ok = dnsprobe_notify(v->addr, (unsigned)e->cc->dns_port,
		    d->zone, &o, &err) == MC_OK;
		snprintf(msg, sizeof(msg), "NOTIFY for %s to %s: %s", d->zone,
		    v->addr, ok ? "acknowledged" : err.msg);
		break;
	case REFRESH_RNDC:
		ok = run_rndc(e, v->sc, d->zone, msg, sizeof(msg));
		break;
	case REFRESH_PLESK:
		ok = plesk_refresh(e, v->sc, d->zone, msg, sizeof(msg));
		break;
	case REFRESH_MANUAL:
	default:
		snprintf(msg, sizeof(msg), "on secondary %s (%s) make zone %s "
		    "transfer again: `rndc retransfer %s` there, or disable "
		    "and enable the zone in its panel; this check keeps "
		    "running", v->sc ? v->sc->name : v->name, v->addr, d->zone,
		    d->zone);
		ok = 1;
		break;
	}
	v->refreshed = 1;
	dom_note(d, ok ? NOTE_INFO : NOTE_WARN, "refresh (%s): %s",
	    refresh_method_name(m), msg);
	dom_audit(e, d, "refresh", v->addr, refresh_method_name(m),
	    ok ? "sent" : "failed");
}

/*
 * Runbook 2: every authoritative server serves the primary's serial and
 * the expected records. after_prepare: the check that confirms the
 * lowered TTL everywhere (opens the switch gate); otherwise after the
 * switch (opens the disable gate).
 */
int
authdns_converge(struct engine *e, struct dom **ds, size_t n, enum expect ex)
{
	time_t deadline = time(NULL) + (time_t)e->cc->sync_timeout;
	struct dom **pend;
	size_t i, k, s, np = n;
	int rounds = 0, all = 0, ok;

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
		if (all || time(NULL) >= deadline)
			break;
		for (i = 0, k = 0; i < np; i++) {
			struct dom *d = pend[i];
			for (s = 0, ok = 1; active(d) && s < d->nsrv; s++)
				ok &= d->srv[s].ok;
			if (active(d) && !ok)
				pend[k++] = d;
		}
		np = k;
		/*
		 * Give the primary's own NOTIFY a second to work, then
		 * refresh each laggard by its method, again every ~10 s.
		 */
		for (i = 0; rounds >= 2 && i < np; i++)
			for (s = 1; active(pend[i]) && s < pend[i]->nsrv; s++)
				if (!pend[i]->srv[s].ok && pend[i]->srv[0].ok &&
				    (!pend[i]->srv[s].refreshed ||
				    rounds % 20 == 19))
					refresh(e, pend[i], &pend[i]->srv[s]);
		rounds++;
		pause_ms(500);
	}
	if (pend != ds)
		free(pend);
	for (i = 0; i < n; i++)
		for (s = 0; active(ds[i]) && s < ds[i]->nsrv; s++)
			dom_note(ds[i], ds[i]->srv[s].ok ? NOTE_CHECK :
			    NOTE_WARN, "%s %s (%s): %s", ds[i]->srv[s].primary ?
			    "primary" : "secondary", ds[i]->srv[s].name,
			    ds[i]->srv[s].addr, ds[i]->srv[s].seen);
	return all;
}

static int
all_ok(const struct dom *d, char *lag, size_t lagsz)
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

/*
 * Runbook 2: every authoritative server serves the primary's serial and
 * the expected records. after_prepare: the check that confirms the
 * lowered TTL everywhere (opens the switch gate); otherwise after the
 * switch (opens the disable gate).
 */
void
step_sync(struct engine *e, int after_prepare)
{
	struct dom **ds;
	size_t i, n = 0;

	if ((ds = calloc(e->n + 1, sizeof(*ds))) == NULL)
		return;
	for (i = 0; i < e->n; i++) {
		struct dom *d = &e->doms[i];
		if (!active(d))
			continue;
		if (after_prepare) {
			if (!dom_time(d, "prepare.done") ||
			    dom_time(d, "prepare.confirmed"))
				continue;
		} else {
			if (d->res == DR_WAIT)
				continue;
			if (dom_time(d, "sync.done")) {
				if (!strcmp(e->cmd, "sync"))
					d->noop = 1;
				continue;
			}
			if (!dom_time(d, "switch.done")) {
				if (!strcmp(e->cmd, "sync"))
					dom_wait(d, "switch", 0, "not switched "
					    "yet");
				continue;
			}
		}
		if (d->zone[0] == '\0')
			snprintf(d->zone, sizeof(d->zone), "%s",
			    journal_get(d->j, "zone") ? journal_get(d->j,
			    "zone") : d->name);
		ds[n++] = d;
	}
	authdns_converge(e, ds, n, after_prepare ? EXPECT_SERIAL : EXPECT_NEW);
	for (i = 0; i < n; i++) {
		struct dom *d = ds[i];
		char lag[400] = "";
		if (!active(d))
			continue;
		if (all_ok(d, lag, sizeof(lag))) {
			dom_setf(e, d, after_prepare ? "prepare.confirmed" :
			    "sync.done", "%lld", (long long)time(NULL));
			if (!after_prepare) {
				dom_setf(e, d, "sync.serial", "%lu",
				    d->srv[0].serial);
				dom_set(e, d, "state", "synced");
			}
			if (dom_save(e, d) && !after_prepare) {
				dom_audit(e, d, "sync", "-", d->srv[0].seen,
				    "all servers agree");
				dom_done(d, "all %zu name servers serve serial "
				    "%lu and %s", d->nsrv, d->srv[0].serial,
				    journal_get(d->j, "new_ip"));
				d->next_at = gate_disable(e, d);
				snprintf(d->next, sizeof(d->next),
				    "disable-old-mail");
			}
			continue;
		}
		if (after_prepare)
			dom_wait(d, "switch", 0, "the switch gate opens once "
			    "every name server serves the lowered TTL: %s",
			    lag);
		else
			dom_wait(d, "sync", 0, "not every name server serves "
			    "the new records yet: %s", lag);
	}
	free(ds);
}

/* ---- verify (runbook 4) ---- */

void
step_verify(struct engine *e)
{
	struct dom **ds;
	struct mailprobe probes[MP__MAX];
	struct mailprobe_opts mo;
	struct mailprobe_rcpt rr;
	struct mc_err err = { 0 };
	char host[320], rcpt[320];
	size_t i, k, n = 0;

	if ((ds = calloc(e->n + 1, sizeof(*ds))) == NULL)
		return;
	for (i = 0; i < e->n; i++) {
		struct dom *d = &e->doms[i];
		if (!active(d) || d->res == DR_WAIT)
			continue;
		if (dom_time(d, "verify.done") && strcmp(e->cmd, "verify")) {
			d->noop = 1;
			continue;
		}
		if (!dom_time(d, "sync.done")) {
			if (!strcmp(e->cmd, "verify"))
				dom_wait(d, "sync", 0, "not synced yet");
			continue;
		}
		if (!dom_time(d, "disable.done") && strcmp(e->cmd, "verify"))
			continue;	/* migrate verifies after the disable */
		if (d->zone[0] == '\0')
			snprintf(d->zone, sizeof(d->zone), "%s",
			    journal_get(d->j, "zone"));
		ds[n++] = d;
	}
	if (n == 0 || !authdns_servers(e, ds, n))
		goto out;
	check(e, ds, n, EXPECT_NEW, 0);
	/* after the disable: what landed on the old server meanwhile */
	{
		struct dom **dd = calloc(n + 1, sizeof(*dd));
		size_t nd = 0;
		for (i = 0; dd != NULL && i < n; i++)
			if (dom_time(ds[i], "disable.done") &&
			    dom_get(ds[i], "residual.base") != NULL)
				dd[nd++] = ds[i];
		if (nd > 0 && engine_read(e))
			step_residual(e, dd, nd);
		free(dd);
	}
	memset(&mo, 0, sizeof(mo));
	mo.cafile = e->cc->mail_cafile;
	mo.timeout_ms = 10000;
	for (i = 0; i < n; i++) {
		struct dom *d = ds[i];
		int ok = 1;
		size_t s;
		if (!active(d))
			continue;
		for (s = 0; s < d->nsrv; s++) {
			dom_note(d, d->srv[s].ok ? NOTE_CHECK : NOTE_BLOCK,
			    "DNS %s (%s): %s", d->srv[s].name, d->srv[s].addr,
			    d->srv[s].seen);
			ok &= d->srv[s].ok;
		}
		snprintf(host, sizeof(host), "mail.%s", d->zone);
		memset(probes, 0, sizeof(probes));
		for (k = 0; k < MP__MAX; k++)
			probes[k].kind = (enum mailprobe_kind)k;
		if (mailprobe_run(journal_get(d->j, "new_ip"), host, probes,
		    MP__MAX, &mo, &err) != MC_OK) {
			dom_note(d, NOTE_BLOCK, "mail probes: %s", err.msg);
			ok = 0;
		} else
			for (k = 0; k < MP__MAX; k++) {
				dom_note(d, probes[k].result == MC_OK ?
				    NOTE_CHECK : NOTE_BLOCK, "%s %s:%u: %s",
				    mailprobe_kind_name(probes[k].kind),
				    journal_get(d->j, "new_ip"),
				    probes[k].port, probes[k].result == MC_OK ?
				    probes[k].banner : probes[k].msg);
				ok &= probes[k].result == MC_OK;
			}
		if (dom_time(d, "disable.done")) {
			snprintf(rcpt, sizeof(rcpt), "postmaster@%s", d->zone);
			memset(&rr, 0, sizeof(rr));
			if (mailprobe_rcpt(journal_get(d->j, "old_ip"), 25, rcpt,
			    &mo, &rr, &err) != MC_OK || rr.code == 0)
				dom_note(d, NOTE_INFO, "old server %s: no SMTP "
				    "answer for %s (%s)", journal_get(d->j,
				    "old_ip"), rcpt, rr.msg[0] ? rr.msg :
				    err.msg);
			else if (rr.code >= 500)
				dom_note(d, NOTE_WARN, "OLD SERVER BOUNCES: %s "
				    "answers %d to RCPT %s (\"%s\"): senders "
				    "with a stale cache get a bounce instead of "
				    "retrying", journal_get(d->j, "old_ip"),
				    rr.code, rcpt, rr.reply);
			else if (rr.code >= 400)
				dom_note(d, NOTE_CHECK, "old server %s answers "
				    "%d to RCPT %s: senders retry and reach the "
				    "new server", journal_get(d->j, "old_ip"),
				    rr.code, rcpt);
			else
				dom_note(d, NOTE_WARN, "old server %s still "
				    "accepts mail for %s (%d): mail may land "
				    "there", journal_get(d->j, "old_ip"), rcpt,
				    rr.code);
		}
		if (!ok) {
			dom_fail(d, "verify failed (see the checks); roll back "
			    "with `mailcutover rollback %s` if mail does not "
			    "work on the new server", d->name);
			dom_audit(e, d, "verify", "-", "-", "failed");
			continue;
		}
		dom_setf(e, d, "verify.done", "%lld", (long long)time(NULL));
		dom_set(e, d, "state", "verified");
		dom_save(e, d);
		dom_audit(e, d, "verify", "-", "-", "ok");
		dom_done(d, "verified: DNS and mail on %s",
		    journal_get(d->j, "new_ip"));
	}
out:
	free(ds);
}
