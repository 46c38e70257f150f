/* walk.c -- from the root down to each zone's parent servers, one label
 * per round, every question asked once per run (walk.h). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dnsprobe.h"
#include "valid.h"
#include "walk.h"

#define NIL		((size_t)-1)
#define WALK_DEPTH	32	/* labels of a zone walked at most */

/* a zone cut: its name (lower case, no final dot, "" the root) and its
 * servers; naddr of them have an address */
struct cut {
	char			 name[256];
	struct walk_host	 host[WALK_SERVERS];
	size_t			 n, naddr;
};

enum mkind { M_PENDING, M_CUT, M_INZONE, M_NXDOMAIN, M_FAIL };

/* what asking a cut's servers for the NS of qname told */
struct memo {
	char		 qname[256];
	enum mkind	 kind;
	size_t		 from;		/* the cut asked */
	size_t		 to;		/* M_CUT: the cut learnt */
	int		 tries;
	size_t		 qi;		/* its question this round, or NIL */
	char		 why[200];
};

struct walk {
	struct cut	*cuts;
	size_t		 ncuts;
	struct memo	*memos;
	size_t		 nmemos;
	struct dnsq	*qs;
	size_t		 nq;
	size_t		*qmemo;		/* the memo of each question */
	size_t		 capq;
};

/* the canonical form: lower case, no final dot ("." and "" the root) */
static void
canon(const char *in, char *out, size_t sz)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i + 1 < sz; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	if (i > 0 && out[i - 1] == '.')
		i--;
	out[i] = '\0';
}

static size_t
labels(const char *z)
{
	size_t n = *z != '\0';

	for (; *z; z++)
		n += *z == '.';
	return n;
}

/* the last k labels of z (k <= labels(z)) */
static const char *
suffix(const char *z, size_t k)
{
	size_t n = labels(z);
	const char *p = z;

	while (n-- > k)
		p = strchr(p, '.') + 1;
	return p;
}

static void
whyf(struct memo *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->why, sizeof(m->why), fmt, ap);
	va_end(ap);
}

static void *
grow(void *p, size_t n, size_t size)
{
	/* one more element; the caller keeps the old block on failure */
	return realloc(p, (n + 1) * size);
}

static size_t
cut_new(struct walk *w, const char *name)
{
	struct cut *c;

	if ((c = grow(w->cuts, w->ncuts, sizeof(*c))) == NULL)
		return NIL;
	w->cuts = c;
	c = &w->cuts[w->ncuts];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	return w->ncuts++;
}

static void
cut_host(struct cut *c, const char *name, const char *addr)
{
	if (c->n == WALK_SERVERS)
		return;
	snprintf(c->host[c->n].name, sizeof(c->host[0].name), "%s", name);
	snprintf(c->host[c->n].addr, sizeof(c->host[0].addr), "%s", addr);
	c->naddr += addr[0] != '\0';
	c->n++;
}

/* the address of name in the glue: its first IPv4, else its first IPv6 */
static void
glue_addr(const struct dnsq *q, const char *name, char *addr, size_t sz)
{
	char g[256], a[64];
	size_t i;
	int v6;

	addr[0] = '\0';
	for (v6 = 0; v6 < 2 && addr[0] == '\0'; v6++)
		for (i = 0; i < q->nglue && addr[0] == '\0'; i++) {
			if (sscanf(q->glue[i], "%255s %63s", g, a) != 2)
				continue;
			canon(g, g, sizeof(g));
			if (strcmp(g, name) == 0 &&
			    (v6 ? valid_ipv6(a) : valid_ipv4(a)))
				snprintf(addr, sz, "%s", a);
		}
}

/* a new cut for qname, its servers from names[] and the glue of q */
static void
learn(struct walk *w, struct memo *m, const struct dnsq *q, char **names,
    size_t n)
{
	char nm[256], addr[64], srv[96];
	struct cut *c;
	size_t ci, i;

	if ((ci = cut_new(w, m->qname)) == NIL) {
		m->kind = M_FAIL;
		whyf(m, "out of memory");
		return;
	}
	c = &w->cuts[ci];
	for (i = 0; i < n; i++) {
		canon(names[i], nm, sizeof(nm));
		glue_addr(q, nm, addr, sizeof(addr));
		cut_host(c, nm, addr);
	}
	if (c->naddr == 0) {
		m->kind = M_FAIL;
		whyf(m, "the referral to %s from %s has no address (glue) for "
		    "its name servers: set parent_dns", m->qname,
		    dnsq_server_text(q, srv, sizeof(srv)));
		return;
	}
	m->kind = M_CUT;
	m->to = ci;
}

/* one more server of the cut for this question, or the walk fails */
static void
retry(struct walk *w, struct memo *m, const char *why)
{
	const struct cut *c = &w->cuts[m->from];
	size_t limit = c->naddr < WALK_TRIES ? c->naddr : WALK_TRIES;

	if (++m->tries < (int)limit)
		return;
	m->kind = M_FAIL;
	whyf(m, "asking the servers of %s for %s: %s", c->name[0] ?
	    c->name : "the root", m->qname, why);
}

/* what the answer to "qname NS?" from a server of the cut says */
static void
walk_answer(struct walk *w, struct memo *m, const struct dnsq *q)
{
	char srv[96], cut[256], why[200];
	const ldns_lookup_table *lt;

	dnsq_server_text(q, srv, sizeof(srv));
	if (q->result != MC_OK) {
		retry(w, m, q->msg);
		return;
	}
	if (q->rcode == LDNS_RCODE_NXDOMAIN && q->aa) {
		m->kind = M_NXDOMAIN;
		return;
	}
	if (q->rcode != LDNS_RCODE_NOERROR) {
		lt = ldns_lookup_by_id(ldns_rcodes, q->rcode);
		snprintf(why, sizeof(why), "%s answered %s", srv, lt ?
		    lt->name : "an unknown rcode");
		retry(w, m, why);
		return;
	}
	canon(q->cut ? q->cut : "", cut, sizeof(cut));
	if (q->cut != NULL && q->nauth > 0 && strcmp(cut, m->qname) == 0)
		learn(w, m, q, q->auth, q->nauth);
	else if (q->aa && q->nanswers > 0)
		learn(w, m, q, q->answers, q->nanswers);
	else if (q->aa)
		m->kind = M_INZONE;
	else {
		/* a note's part: the names cut explicitly */
		snprintf(why, sizeof(why), "%.50s is not authoritative for %.50s "
		    "(%s%.50s)",
		    srv, w->cuts[m->from].name[0] ? w->cuts[m->from].name :
		    "the root", q->cut ? "a referral to " : "no referral",
		    q->cut ? (cut[0] ? cut : ".") : "");
		retry(w, m, why);
	}
}

static size_t
memo_get(struct walk *w, const char *qname, size_t from)
{
	struct memo *m;
	size_t i;

	for (i = 0; i < w->nmemos; i++)
		if (strcmp(w->memos[i].qname, qname) == 0)
			return i;
	if ((m = grow(w->memos, w->nmemos, sizeof(*m))) == NULL)
		return NIL;
	w->memos = m;
	m = &w->memos[w->nmemos];
	memset(m, 0, sizeof(*m));
	snprintf(m->qname, sizeof(m->qname), "%s", qname);
	m->from = from;
	m->qi = NIL;
	return w->nmemos++;
}

/* queue the question of memo mi: the next addressed server of its cut */
static int
ask(struct walk *w, size_t mi)
{
	struct memo *m = &w->memos[mi];
	const struct cut *c = &w->cuts[m->from];
	size_t i, k, h = 5381;
	struct dnsq *q;
	size_t *qm;

	if (w->nq == w->capq) {
		size_t cap = w->capq ? w->capq * 2 : 16;
		if ((q = realloc(w->qs, cap * sizeof(*q))) == NULL)
			return 0;
		w->qs = q;
		if ((qm = realloc(w->qmemo, cap * sizeof(*qm))) == NULL)
			return 0;
		w->qmemo = qm;
		w->capq = cap;
	}
	/* spread the questions over the servers: start where the name
	   hashes to, then the next one for each try */
	for (i = 0; m->qname[i]; i++)
		h = h * 33 + (unsigned char)m->qname[i];
	k = (h + (size_t)m->tries) % c->naddr;
	for (i = 0; i < c->n; i++)
		if (c->host[i].addr[0] != '\0' && k-- == 0)
			break;
	q = &w->qs[w->nq];
	memset(q, 0, sizeof(*q));
	snprintf(q->server, sizeof(q->server), "%s", c->host[i].addr);
	q->port = 53;
	/* a DNS name is at most 253 bytes: the precision never cuts one */
	snprintf(q->name, sizeof(q->name), "%.254s.", m->qname);
	q->type = LDNS_RR_TYPE_NS;
	w->qmemo[w->nq] = mi;
	m->qi = w->nq++;
	return 1;
}

/* take one zone as far as the answers so far go; 0 when out of memory */
static int
advance(struct walk *w, struct walk_zone *z, size_t *cut, size_t *depth,
    int *done)
{
	size_t mi, total = labels(z->zone);
	struct memo *m;

	while (!*done) {
		if (*depth >= total) {
			*done = 1;
			return 1;
		}
		if (*depth > WALK_DEPTH) {
			snprintf(z->msg, sizeof(z->msg), "%s: more than %d "
			    "labels", z->zone, WALK_DEPTH);
			*done = 2;
			return 1;
		}
		if ((mi = memo_get(w, suffix(z->zone, *depth), *cut)) == NIL)
			return 0;
		m = &w->memos[mi];
		switch (m->kind) {
		case M_CUT:
			*cut = m->to;
			/* FALLTHROUGH */
		case M_INZONE:
			(*depth)++;
			break;
		case M_NXDOMAIN:
			*depth = total;
			break;
		case M_FAIL:
			snprintf(z->msg, sizeof(z->msg), "%s", m->why);
			*done = 2;
			return 1;
		case M_PENDING:
		default:
			return m->qi != NIL || ask(w, mi);
		}
	}
	return 1;
}

/* the parent found: the servers of the cut reached */
static int
found(struct walk_zone *z, const struct cut *c)
{
	snprintf(z->parent, sizeof(z->parent), "%s", c->name[0] ? c->name :
	    ".");
	if ((z->hosts = calloc(c->n, sizeof(*z->hosts))) == NULL)
		return 0;
	memcpy(z->hosts, c->host, c->n * sizeof(*z->hosts));
	z->nhosts = c->n;
	return 1;
}

struct walker {
	size_t	 cut, depth;
	int	 done;		/* 1 found, 2 failed */
};

/* one round: every zone as far as it goes, then the questions asked */
static enum mc_result
round_run(struct walk *w, struct walk_zone *zs, struct walker *wk, size_t n,
    int timeout_ms, struct mc_err *err)
{
	struct dnsprobe_opts o = { timeout_ms, 2, 0, 0, 0 };
	enum mc_result r;
	size_t i;

	w->nq = 0;
	for (i = 0; i < n; i++) {
		if (wk[i].done)
			continue;
		if (!advance(w, &zs[i], &wk[i].cut, &wk[i].depth, &wk[i].done))
			return mc_err_set(err, MC_E_NOMEM, "out of memory");
		if (wk[i].done == 1 && !found(&zs[i], &w->cuts[wk[i].cut]))
			return mc_err_set(err, MC_E_NOMEM, "out of memory");
	}
	if (w->nq == 0)
		return MC_OK;
	r = dnsprobe_run(w->qs, w->nq, &o, err);
	for (i = 0; i < w->nq; i++) {
		struct memo *m = &w->memos[w->qmemo[i]];
		m->qi = NIL;
		if (r == MC_OK)
			walk_answer(w, m, &w->qs[i]);
	}
	dnsq_free_all(w->qs, w->nq);
	return r;
}

enum mc_result
walk_run(struct walk_zone *zs, size_t n, const char *const *roots,
    size_t nroots, int timeout_ms, struct mc_err *err)
{
	struct walk w;
	struct walker *wk;
	enum mc_result r = MC_OK;
	size_t i, rounds;

	memset(&w, 0, sizeof(w));
	if ((wk = calloc(n + 1, sizeof(*wk))) == NULL ||
	    cut_new(&w, "") == NIL) {
		free(wk);
		free(w.cuts);
		return mc_err_set(err, MC_E_NOMEM, "out of memory");
	}
	for (i = 0; i < nroots; i++)
		cut_host(&w.cuts[0], "", roots[i]);
	for (i = 0; i < n; i++)
		wk[i].depth = 1;
	if (w.cuts[0].naddr == 0)
		r = mc_err_set(err, MC_E_USAGE, "no root server address");
	/* each round settles a question or tries its next server */
	for (rounds = 0; r == MC_OK && rounds <= WALK_DEPTH * WALK_TRIES;
	    rounds++)
		if ((r = round_run(&w, zs, wk, n, timeout_ms, err)) != MC_OK ||
		    w.nq == 0)
			break;
	for (i = 0; i < n; i++)
		if (zs[i].nhosts == 0 && zs[i].msg[0] == '\0')
			snprintf(zs[i].msg, sizeof(zs[i].msg), "%.255s",
			    r != MC_OK ? err->msg : "the walk did not end");
	free(w.qs);
	free(w.qmemo);
	free(w.memos);
	free(w.cuts);
	free(wk);
	return r;
}

void
walk_zone_free(struct walk_zone *z)
{
	if (z == NULL)
		return;
	free(z->hosts);
	z->hosts = NULL;
	z->nhosts = 0;
}
