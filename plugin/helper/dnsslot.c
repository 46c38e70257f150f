/* dnsslot.c -- the queries in flight of one dnsprobe_run: their groups
 * by server, slots, their lookup by (socket, id), their deadlines, the
 * replies they accept. */
#include <sys/random.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dnsprobe.h"
#include "dnsrate.h"
#include "dnsslot.h"

static atomic_ulong counters[DNS__MAX];

void
dnsslot_count(enum dnsstat s)
{
	atomic_fetch_add_explicit(&counters[s], 1, memory_order_relaxed);
}

unsigned long
dnsslot_counter(enum dnsstat s)
{
	return atomic_load(&counters[s]);
}

static void
msg_noanswer(struct probe *p, struct dnsq *q, const char *how)
{
	char srv[96], name[256];
	const char *t = dnsq_type_name(q->type);

	dnsq_server_text(q, srv, sizeof(srv));
	dnsq_name_text(q, name, sizeof(name));
	if (p->opcode == LDNS_PACKET_NOTIFY)
		dnsq_msg(q, "%s: no answer to NOTIFY for %s after %d tries "
		    "(timeout %d ms)", srv, name, q->tries, p->timeout_ms);
	else
		dnsq_msg(q, "%s: no answer%s for %s/%s after %d tries "
		    "(timeout %d ms)", srv, how, name, t ? t : "?", q->tries,
		    p->timeout_ms);
}

int
dnsslot_rand16(struct probe *p, uint16_t *out)
{
	ssize_t r;

	if (p->rndpos + 2 > sizeof(p->rnd)) {
		do
			r = getrandom(p->rnd, sizeof(p->rnd), 0);
		while (r == -1 && errno == EINTR);
		if (r != (ssize_t)sizeof(p->rnd))
			return -1;
		p->rndpos = 0;
	}
	*out = (uint16_t)(p->rnd[p->rndpos] << 8 | p->rnd[p->rndpos + 1]);
	p->rndpos += 2;
	return 0;
}

static size_t
hash_bucket(const struct probe *p, int sock, uint16_t id)
{
	return ((size_t)id ^ ((size_t)sock * 40503u)) & p->hmask;
}

void
dnsslot_hash_add(struct probe *p, size_t si)
{
	struct slot *s = &p->slots[si];
	size_t b = hash_bucket(p, s->sock, s->id);

	s->hnext = p->hash[b];
	p->hash[b] = si;
	s->hashed = 1;
}

void
dnsslot_hash_del(struct probe *p, size_t si)
{
	struct slot *s = &p->slots[si];
	size_t *pp = &p->hash[hash_bucket(p, s->sock, s->id)];

	if (!s->hashed)
		return;
	while (*pp != NIL && *pp != si)
		pp = &p->slots[*pp].hnext;
	if (*pp == si)
		*pp = s->hnext;
	s->hashed = 0;
}

/* The UDP slot of family fam waiting on socket sock with this id. */
size_t
dnsslot_hash_find(const struct probe *p, int fam, int sock, uint16_t id)
{
	size_t si = p->hash[hash_bucket(p, sock, id)];

	for (; si != NIL; si = p->slots[si].hnext)
		if (p->slots[si].sock == sock && p->slots[si].id == id &&
		    p->tg[p->slots[si].qi].fam == fam)
			return si;
	return NIL;
}

/* Deadlines are now + the one timeout, so appending keeps the order. */
void
dnsslot_timer_add(struct probe *p, size_t si)
{
	struct slot *s = &p->slots[si];

	s->deadline = p->now + p->timeout_ms;
	s->tnext = NIL;
	s->tprev = p->ttail;
	if (p->ttail != NIL)
		p->slots[p->ttail].tnext = si;
	else
		p->thead = si;
	p->ttail = si;
	s->timed = 1;
}

void
dnsslot_timer_del(struct probe *p, size_t si)
{
	struct slot *s = &p->slots[si];

	if (!s->timed)
		return;
	if (s->tprev != NIL)
		p->slots[s->tprev].tnext = s->tnext;
	else
		p->thead = s->tnext;
	if (s->tnext != NIL)
		p->slots[s->tnext].tprev = s->tprev;
	else
		p->ttail = s->tprev;
	s->timed = 0;
}

static int
target_cmp(const struct target *a, const struct target *b)
{
	int c;

	if (a->fam != b->fam)
		return a->fam - b->fam;
	if (a->fam == 0)
		c = memcmp(&a->addr.in.sin_addr, &b->addr.in.sin_addr,
		    sizeof(a->addr.in.sin_addr));
	else
		c = memcmp(&a->addr.in6.sin6_addr, &b->addr.in6.sin6_addr,
		    sizeof(a->addr.in6.sin6_addr));
	if (c != 0)
		return c;
	return (int)ntohs(a->addr.in.sin_port) -
	    (int)ntohs(b->addr.in.sin_port);	/* same offset in both */
}

struct pair {
	const struct target	*t;
	size_t			 qi;
};

static int
pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = target_cmp(x->t, y->t);

	if (c != 0)
		return c;
	return x->qi < y->qi ? -1 : x->qi > y->qi;
}

/*
 * Group the queries by server:port, keeping their order within a
 * server, so that each server gets at most per_server of them at once: a
 * burst larger than the server's socket buffer is dropped by its kernel.
 */
enum mc_result
dnsslot_groups(struct probe *p, struct mc_err *err)
{
	struct pair *pr;
	size_t i;

	if ((pr = calloc(p->n, sizeof(*pr))) == NULL ||
	    (p->order = calloc(p->n, sizeof(*p->order))) == NULL ||
	    (p->grps = calloc(p->n, sizeof(*p->grps))) == NULL ||
	    (p->gq = calloc(p->n, sizeof(*p->gq))) == NULL) {
		free(pr);
		return mc_err_set(err, MC_E_NOMEM, "dnsprobe: out of memory");
	}
	for (i = 0; i < p->n; i++) {
		pr[i].t = &p->tg[i];
		pr[i].qi = i;
	}
	qsort(pr, p->n, sizeof(*pr), pair_cmp);
	for (i = 0; i < p->n; i++) {
		if (i == 0 || target_cmp(pr[i - 1].t, pr[i].t) != 0) {
			if (i > 0)
				p->grps[p->ngrps++].end = i;
			p->grps[p->ngrps].start = p->grps[p->ngrps].cursor = i;
		}
		p->order[i] = pr[i].qi;
		p->tg[pr[i].qi].grp = p->ngrps;
	}
	p->grps[p->ngrps++].end = p->n;
	free(pr);
	for (i = 0; i < p->ngrps; i++) {
		struct target *t = &p->tg[p->order[p->grps[i].start]];

		p->grps[i].rhead = p->grps[i].rtail = NIL;
		if ((p->grps[i].rate = dnsrate_slot(&t->addr.sa, t->alen)) < 0)
			return mc_err_set(err, MC_E_NOMEM, "dnsprobe: out of "
			    "memory");
		dnsslot_group_ready(p, &p->grps[i]);
	}
	return MC_OK;
}

/* Queue g for the start loop if it has work and room. */
void
dnsslot_group_ready(struct probe *p, struct group *g)
{
	if (g->queued || (g->rhead == NIL && (g->cursor == g->end ||
	    g->inflight >= p->per_server)))
		return;
	g->queued = 1;
	p->gq[(p->gq_head + p->gq_len++) % p->ngrps] = (size_t)(g - p->grps);
}

void
dnsslot_resend_push(struct probe *p, size_t si)
{
	struct slot *s = &p->slots[si];
	struct group *g = &p->grps[p->tg[s->qi].grp];

	s->resend = 1;
	s->rnext = NIL;
	if (g->rtail != NIL)
		p->slots[g->rtail].rnext = si;
	else
		g->rhead = si;
	g->rtail = si;
	dnsslot_group_ready(p, g);
}

size_t
dnsslot_resend_pop(struct probe *p, struct group *g)
{
	size_t si = g->rhead;

	if (si == NIL)
		return NIL;
	g->rhead = p->slots[si].rnext;
	if (g->rhead == NIL)
		g->rtail = NIL;
	p->slots[si].resend = 0;
	return si;
}

/* a slot answered late while its next try waited: out of the FIFO */
static void
resend_unlink(struct probe *p, struct group *g, size_t si)
{
	size_t *pp = &g->rhead, prev = NIL;

	while (*pp != NIL && *pp != si) {
		prev = *pp;
		pp = &p->slots[*pp].rnext;
	}
	if (*pp != si)
		return;
	*pp = p->slots[si].rnext;
	if (g->rtail == si)
		g->rtail = prev;
	p->slots[si].resend = 0;
}

void
dnsslot_tcp_close(struct probe *p, size_t si)
{
	struct slot *s = &p->slots[si];
	size_t i;

	if (s->fd == -1)
		return;
	close(s->fd);
	s->fd = -1;
	for (i = 0; i < p->ntcp; i++)
		if (p->tcpact[i] == si) {
			p->tcpact[i] = p->tcpact[--p->ntcp];
			break;
		}
	free(s->in);
	s->in = NULL;
}

/* Release a slot whose query is done; the dnsq is already filled. */
void
dnsslot_release(struct probe *p, size_t si)
{
	struct slot *s = &p->slots[si];
	struct group *g = &p->grps[p->tg[s->qi].grp];

	dnsslot_hash_del(p, si);
	dnsslot_timer_del(p, si);
	dnsslot_tcp_close(p, si);
	if (s->resend)
		resend_unlink(p, g, si);
	g->inflight--;
	dnsslot_group_ready(p, g);
	ldns_pkt_free(s->query);
	free(s->wire);
	s->query = NULL;
	s->wire = NULL;
	p->freel[p->nfree++] = si;
	p->done++;
}

void
dnsslot_fail(struct probe *p, size_t si, const char *how)
{
	struct dnsq *q = &p->qs[p->slots[si].qi];

	q->result = MC_E_DNS;
	q->rcode = -1;
	msg_noanswer(p, q, how);
	dnsslot_release(p, si);
}

/* Is rr the question we asked (name case-insensitively, type, class)? */
static int
question_eq(const struct slot *s, const ldns_rr *rr)
{
	const ldns_rr *mine = ldns_rr_list_rr(ldns_pkt_question(s->query), 0);

	return rr != NULL && mine != NULL &&
	    ldns_rr_get_type(rr) == ldns_rr_get_type(mine) &&
	    ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
	    ldns_dname_compare(ldns_rr_owner(rr), ldns_rr_owner(mine)) == 0;
}

/* the offset after the (possibly compressed) name at off; 0 when it runs
 * past len or uses a reserved label type */
static size_t
skip_name(const uint8_t *b, size_t len, size_t off)
{
	while (off < len) {
		if (b[off] == 0)
			return off + 1;
		if ((b[off] & 0xc0) == 0xc0)
			return off + 2 <= len ? off + 2 : 0;
		if (b[off] & 0xc0)
			return 0;
		off += 1 + (size_t)b[off];
	}
	return 0;
}

/* how many TSIG records the additional section holds, as far as the
 * packet can be walked (RFC 1035 4.1) */
static unsigned
tsig_count(const uint8_t *b, size_t len)
{
	size_t off = LDNS_HEADER_SIZE, i, sect, n;
	unsigned tsig = 0;

	for (i = 0; i < LDNS_QDCOUNT(b); i++)
		if ((off = skip_name(b, len, off)) == 0 || (off += 4) > len)
			return 0;
	for (sect = 0; sect < 3; sect++) {
		n = sect == 0 ? LDNS_ANCOUNT(b) : sect == 1 ? LDNS_NSCOUNT(b) :
		    LDNS_ARCOUNT(b);
		for (i = 0; i < n; i++) {
			if ((off = skip_name(b, len, off)) == 0 || off + 10 > len)
				return tsig;
			tsig += sect == 2 && ((b[off] << 8) | b[off + 1]) ==
			    LDNS_RR_TYPE_TSIG;
			off += 10 + (size_t)((b[off + 8] << 8) | b[off + 9]);
		}
	}
	return tsig;
}

/*
 * Parse a reply. libldns leaks when a reply carries two TSIG records in
 * its additional section (ldns_wire2pkt -> ldns_pkt_set_tsig replaces the
 * first without freeing it; tests/fuzz/regress/dns/leak-two-tsig-records):
 * such a reply (no server sends one) is parsed without its additional
 * section, from a copy with ARCOUNT zeroed. Any other keeps it: the
 * walk to the parent reads the glue there (walk.c).
 */
static ldns_status
parse_reply(ldns_pkt **pkt, const uint8_t *buf, size_t len)
{
	uint8_t *copy;
	ldns_status st;

	if (len < LDNS_HEADER_SIZE)
		return LDNS_STATUS_PACKET_OVERFLOW;
	if (tsig_count(buf, len) < 2)
		return ldns_wire2pkt(pkt, buf, len);
	if ((copy = malloc(len)) == NULL)
		return LDNS_STATUS_MEM_ERR;
	memcpy(copy, buf, len);
	copy[10] = copy[11] = 0;	/* ARCOUNT, RFC 1035 4.1.1 */
	st = ldns_wire2pkt(pkt, copy, len);
	free(copy);
	return st;
}

/*
 * Check a reply to slot s: QR set, our id and opcode, our question
 * echoed (a NOTIFY answer may leave the question out). DNSSLOT_OK hands the
 * parsed packet to *out; DNSSLOT_TC asks for TCP.
 */
enum dnsslot_verdict
dnsslot_reply(const struct probe *p, const struct slot *s, const uint8_t *buf,
    size_t len, int tcp, ldns_pkt **out)
{
	ldns_pkt *pkt = NULL;
	ldns_rr *qrr = NULL;
	size_t pos = LDNS_HEADER_SIZE;
	enum dnsslot_verdict v = DNSSLOT_BAD;
	int qd;

	*out = NULL;
	if (len < LDNS_HEADER_SIZE || LDNS_ID_WIRE(buf) != s->id ||
	    !LDNS_QR_WIRE(buf) || (int)LDNS_OPCODE_WIRE(buf) != p->opcode)
		return DNSSLOT_BAD;
	if (parse_reply(&pkt, buf, len) != LDNS_STATUS_OK) {
		/*
		 * A truncated answer may end inside a record. Then only the
		 * question can be read, and it must still be ours.
		 */
		if (!tcp && LDNS_TC_WIRE(buf) && LDNS_QDCOUNT(buf) == 1 &&
		    p->opcode == LDNS_PACKET_QUERY &&
		    ldns_wire2rr(&qrr, buf, len, &pos,
		    LDNS_SECTION_QUESTION) == LDNS_STATUS_OK &&
		    question_eq(s, qrr))
			v = DNSSLOT_TC;
		ldns_rr_free(qrr);
		return v;
	}
	qd = (int)ldns_rr_list_rr_count(ldns_pkt_question(pkt));
	if (!ldns_pkt_qr(pkt) || ldns_pkt_id(pkt) != s->id ||
	    (int)ldns_pkt_get_opcode(pkt) != p->opcode ||
	    qd != (int)ldns_pkt_qdcount(pkt) || qd > 1 ||
	    (qd == 0 && p->opcode != LDNS_PACKET_NOTIFY) ||
	    (qd == 1 && !question_eq(s,
	    ldns_rr_list_rr(ldns_pkt_question(pkt), 0)))) {
		ldns_pkt_free(pkt);
		return DNSSLOT_BAD;
	}
	if (!tcp && ldns_pkt_tc(pkt) && p->opcode == LDNS_PACKET_QUERY) {
		ldns_pkt_free(pkt);
		return DNSSLOT_TC;
	}
	*out = pkt;
	return DNSSLOT_OK;
}

/* Accept pkt for slot si and release the slot. */
enum mc_result
dnsslot_answer(struct probe *p, size_t si, ldns_pkt *pkt, int tcp,
    struct mc_err *err)
{
	enum mc_result result;
	struct dnsq *q = &p->qs[p->slots[si].qi];

	dnsslot_count(DNS_RECEIVED);
	result = dnsq_take(q, p->slots[si].query, pkt, tcp);
	ldns_pkt_free(pkt);
	dnsslot_release(p, si);
	if (result != MC_OK) {
		dnsq_clear(q);
		q->result = result;
		dnsq_msg(q, "out of memory storing the answer");
		return mc_err_set(err, result, "dnsprobe: out of memory");
	}
	return MC_OK;
}
