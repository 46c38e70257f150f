/* dnspoll.c -- the polite polling loop: rounds of due items within the
 * per-server rate, back-off per item (dnspoll.h says how). */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldns/ldns.h>

#include "dnspoll.h"
#include "dnsrate.h"

long long
dnspoll_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* one run: the items, their servers, the round being built */
struct poll {
	struct dnspoll_item	*it;
	size_t			 n;
	const struct dnspoll_judge *j;
	void			*ctx;
	size_t			 nsid;
	size_t			*budget;	/* per server, this round */
	long long		*progress;	/* per server */
	struct dnsq		*q;		/* the round's questions */
	size_t			*qit;		/* their items */
	unsigned char		*qnames;	/* 1: a name question */
	size_t			 nq, capq;
	struct dnsq		*scratch;	/* one item's names */
	size_t			 cursor;	/* round robin */
	size_t			 per_round;	/* questions per server */
	int			 once;
	long long		 deadline;
	int			 first, max;	/* the back-off, ms */
};

static int
server_cmp(const struct dnspoll_item *x, const struct dnspoll_item *y)
{
	int c = strcmp(x->server, y->server);

	if (c != 0)
		return c;
	return (x->port > y->port) - (x->port < y->port);
}

static const struct dnspoll_item *sort_items;

static int
by_server(const void *a, const void *b)
{
	return server_cmp(&sort_items[*(const size_t *)a],
	    &sort_items[*(const size_t *)b]);
}

/* each item's server index (sid): the same for the same server:port */
static int
servers_index(struct poll *P)
{
	size_t *ord, i;

	if ((ord = calloc(P->n, sizeof(*ord))) == NULL)
		return 0;
	for (i = 0; i < P->n; i++)
		ord[i] = i;
	sort_items = P->it;
	qsort(ord, P->n, sizeof(*ord), by_server);
	sort_items = NULL;
	for (i = 0; i < P->n; i++) {
		if (i > 0 && server_cmp(&P->it[ord[i - 1]], &P->it[ord[i]]) ==
		    0)
			P->it[ord[i]].sid = P->it[ord[i - 1]].sid;
		else
			P->it[ord[i]].sid = P->nsid++;
	}
	free(ord);
	return 1;
}

static enum mc_result
poll_setup(struct poll *P, struct mc_err *err)
{
	long long now = dnspoll_now();
	unsigned long rate = dnsrate_get();
	size_t i, most = P->n * (1 + DNSPOLL_MAX_NAMES);

	P->per_round = rate == 0 ? 512 : rate;
	P->capq = (most < DNSPOLL_ROUND_MAX ? most : DNSPOLL_ROUND_MAX) +
	    DNSPOLL_MAX_NAMES;
	if (!servers_index(P) ||
	    (P->budget = calloc(P->nsid, sizeof(*P->budget))) == NULL ||
	    (P->progress = calloc(P->nsid, sizeof(*P->progress))) == NULL ||
	    (P->q = calloc(P->capq, sizeof(*P->q))) == NULL ||
	    (P->qit = calloc(P->capq, sizeof(*P->qit))) == NULL ||
	    (P->qnames = calloc(P->capq, 1)) == NULL ||
	    (P->scratch = calloc(DNSPOLL_MAX_NAMES, sizeof(*P->scratch))) ==
	    NULL)
		return mc_err_set(err, MC_E_NOMEM, "dnspoll: out of memory");
	for (i = 0; i < P->nsid; i++)
		P->progress[i] = now;
	for (i = 0; i < P->n; i++) {
		struct dnspoll_item *it = &P->it[i];
		it->due = now;
		it->wait = P->first;
		it->polls = it->questions = 0;
		it->progress = &P->progress[it->sid];
	}
	return MC_OK;
}

static void
poll_free(struct poll *P)
{
	free(P->budget);
	free(P->progress);
	free(P->q);
	free(P->qit);
	free(P->qnames);
	free(P->scratch);
}

/* the item's next state, and when it is due */
static void
apply(struct poll *P, struct dnspoll_item *it, enum dnspoll_state st,
    long long now)
{
	if (st == DNSPOLL_NAMES && it->state == DNSPOLL_SOA) {
		P->progress[it->sid] = now;
		it->due = now;
	} else if (st != DNSPOLL_DONE) {
		st = DNSPOLL_SOA;
		it->due = now + it->wait;
		if (!P->once && it->due > P->deadline)
			it->due = P->deadline;	/* one last look then */
		if ((it->wait *= 2) > P->max)
			it->wait = P->max;
	}
	it->state = st;
}

/* item i's questions into the round when it is due and its server has
 * room (an untouched server takes one item whatever its size): 1 when
 * taken, 0 when not due, -1 when there was no room */
static int
take(struct poll *P, size_t i, long long now)
{
	struct dnspoll_item *it = &P->it[i];
	size_t m = 1, k;

	if (it->state == DNSPOLL_DONE || it->due > now ||
	    (P->once && it->state == DNSPOLL_SOA && it->polls > 0))
		return 0;
	if (P->budget[it->sid] == 0)
		return -1;	/* its server's second is full */
	if (it->state == DNSPOLL_NAMES) {
		memset(P->scratch, 0, DNSPOLL_MAX_NAMES * sizeof(*P->scratch));
		if ((m = P->j->names(P->ctx, it, P->scratch,
		    DNSPOLL_MAX_NAMES)) == 0) {
			apply(P, it, P->j->took(P->ctx, it, NULL, 0), now);
			return 0;
		}
	}
	if ((P->budget[it->sid] < m && P->budget[it->sid] < P->per_round) ||
	    P->budget[it->sid] == 0 || P->nq + m > P->capq)
		return -1;
	P->budget[it->sid] -= P->budget[it->sid] < m ? P->budget[it->sid] : m;
	for (k = 0; k < m; k++) {
		struct dnsq *q = &P->q[P->nq];
		if (it->state == DNSPOLL_NAMES) {
			*q = P->scratch[k];
		} else {
			memset(q, 0, sizeof(*q));
			strncpy(q->name, it->zone, sizeof(q->name) - 1);
			q->type = LDNS_RR_TYPE_SOA;
		}
		strncpy(q->server, it->server, sizeof(q->server) - 1);
		q->port = it->port;
		P->qnames[P->nq] = it->state == DNSPOLL_NAMES;
		P->qit[P->nq++] = i;
	}
	return 1;
}

/* the round: the names of matched items first, then the SOA polls,
 * round robin from the cursor */
static void
round_build(struct poll *P, long long now)
{
	size_t i, k, first = (size_t)-1;
	int pass, r;

	P->nq = 0;
	for (i = 0; i < P->nsid; i++)
		P->budget[i] = P->per_round;
	for (pass = 0; pass < 2; pass++)
		for (k = 0; k < P->n && P->nq < P->capq; k++) {
			i = (P->cursor + k) % P->n;
			if ((P->it[i].state == DNSPOLL_NAMES) != (pass == 0))
				continue;
			if ((r = take(P, i, now)) < 0 && first == (size_t)-1)
				first = i;
		}
	if (first != (size_t)-1)
		P->cursor = first;	/* first in line next round */
}

/* the answers: SOA of lead items first (their serial is the others'
 * target), then the other SOAs, then the names */
static void
round_take(struct poll *P, long long now)
{
	size_t k, m;
	int pass, names, lead;

	for (pass = 0; pass < 3; pass++)
		for (k = 0; k < P->nq; k += m) {
			struct dnspoll_item *it = &P->it[P->qit[k]];
			for (m = 1; k + m < P->nq && P->qit[k + m] == P->qit[k];
			    m++)
				;
			names = P->qnames[k];
			lead = it->lead != 0;
			if (pass != (names ? 2 : lead ? 0 : 1))
				continue;
			it->questions += (unsigned)m;
			if (names)
				apply(P, it, P->j->took(P->ctx, it, &P->q[k],
				    m), now);
			else {
				it->polls++;
				apply(P, it, P->j->soa(P->ctx, it, &P->q[k]),
				    now);
			}
		}
}

/* ms until the next item is due (at most until the deadline); -1 when
 * every item is done */
static long long
next_due(const struct poll *P, long long now)
{
	long long next = -1;
	size_t i;

	for (i = 0; i < P->n; i++)
		if (P->it[i].state != DNSPOLL_DONE &&
		    (next < 0 || P->it[i].due < next))
			next = P->it[i].due;
	if (next < 0)
		return -1;
	if (next > P->deadline)
		next = P->deadline;
	return next > now ? next - now : 0;
}

enum mc_result
dnspoll_run(struct dnspoll_item *items, size_t n,
    const struct dnspoll_judge *j, void *ctx, const struct dnspoll_opts *o,
    struct mc_err *err)
{
	struct poll P;
	enum mc_result result = MC_OK;
	long long now, wait;
	int last;

	memset(&P, 0, sizeof(P));
	if (n == 0)
		return MC_OK;
	P.it = items;
	P.n = n;
	P.j = j;
	P.ctx = ctx;
	P.once = o->deadline == 0;
	P.deadline = o->deadline;
	P.first = o->first_ms > 0 ? o->first_ms : DNSPOLL_FIRST_MS;
	P.max = o->max_ms > 0 ? o->max_ms : DNSPOLL_MAX_MS;
	if ((result = poll_setup(&P, err)) != MC_OK)
		goto out;
	for (;;) {
		now = dnspoll_now();
		last = !P.once && now >= P.deadline;
		round_build(&P, now);
		if (P.nq > 0) {
			result = dnsprobe_run(P.q, P.nq, &o->probe, err);
			if (result != MC_OK) {
				dnsq_free_all(P.q, P.nq);
				goto out;
			}
			round_take(&P, dnspoll_now());
			dnsq_free_all(P.q, P.nq);
			if (!last)
				continue;
		}
		if (last || P.once ||
		    (wait = next_due(&P, dnspoll_now())) < 0)
			break;
		if (wait > 0)
			poll(NULL, 0, (int)(wait > 60000 ? 60000 : wait));
	}
out:
	poll_free(&P);
	return result;
}
