/* dnsprobe.c -- many DNS questions in flight from one poll(2) loop; ldns builds and parses. */
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "dnsprobe.h"

/*
 * Design. Queries are started in order while fewer than max_inflight are
 * out. Each in-flight query holds a slot. UDP queries go out over a few
 * shared unconnected sockets per address family (kernel-chosen random
 * ports) with random ids that are unique per socket, so a reply is looked
 * up by (socket, id) in a small hash table, then checked against the
 * server address and port, QR, opcode and echoed question; anything else
 * is ignored. All tries share one timeout, so the timer list is a FIFO in
 * deadline order and stays O(1). A TC=1 answer moves the query to a TCP
 * queue; at most TCP_MAX connections run at once, in the same poll loop.
 */

#define NIL		((size_t)-1)
#define UDP_SOCKS_MAX	8	/* per address family */
#define TCP_MAX		64	/* TCP connections at once */
#define RECV_BATCH	32	/* datagrams per recvmmsg(2) */
#define RECV_BUFSZ	4096	/* no EDNS is sent: answers are <= 512 */
#define CNAME_HOPS	8
#define PENDING		MC__MAX	/* dnsq.result while a query is not done */

static atomic_ulong st_sent, st_received, st_retries, st_tcp, st_ignored;

union addr {
	struct sockaddr		 sa;
	struct sockaddr_in	 in;
	struct sockaddr_in6	 in6;
};

struct target {			/* the validated server of one query */
	union addr	 addr;
	socklen_t	 alen;
	int		 fam;		/* 0 IPv4, 1 IPv6 */
	size_t		 grp;		/* index of its server in probe.grps */
};

struct group {			/* the queries of one server:port */
	size_t		 start, end;	/* range of probe.order */
	size_t		 cursor;	/* next to start */
	int		 inflight;
	int		 queued;	/* in probe.gq */
};

enum phase { PH_UDP, PH_TCPWAIT, PH_TCP };

struct slot {
	size_t		 qi;		/* index into qs */
	enum phase	 phase;
	int		 attempts;	/* sends in this phase */
	int		 sock;		/* UDP socket index in its family */
	uint16_t	 id;
	ldns_pkt	*query;
	uint8_t		*wire;
	size_t		 wirelen;
	long long	 deadline;	/* ms, CLOCK_MONOTONIC */
	size_t		 tprev, tnext;	/* timer list */
	int		 timed, hashed;
	size_t		 hnext;		/* hash chain */
	/* TCP */
	int		 fd;
	int		 connected;
	size_t		 out;		/* bytes of length prefix + wire sent */
	uint8_t		 lenbuf[2];
	size_t		 lenhave;
	uint8_t		*in;
	size_t		 inlen, inhave;
};

struct probe {
	struct dnsq	*qs;
	size_t		 n;
	struct target	*tg;
	int		 opcode;	/* LDNS_PACKET_QUERY or LDNS_PACKET_NOTIFY */
	int		 timeout_ms, tries, rd;
	struct slot	*slots;
	size_t		 nslots;
	size_t		*freel;
	size_t		 nfree;
	size_t		*hash;
	size_t		 hmask;
	size_t		 thead, ttail;
	size_t		*tcpq;		/* ring of slots waiting for TCP */
	size_t		 tcpq_head, tcpq_len;
	size_t		 tcpact[TCP_MAX];
	size_t		 ntcp;
	int		 udp[2][UDP_SOCKS_MAX];
	int		 nudp[2];
	unsigned	 rr[2];
	int		 socks_per_fam;
	size_t		*order;		/* query indices grouped by server */
	struct group	*grps;
	size_t		 ngrps;
	size_t		*gq;		/* ring of groups that may start one */
	size_t		 gq_head, gq_len;
	int		 per_server;
	size_t		 done;
	long long	 now;
	struct pollfd	*pfds;
	struct mmsghdr	*mm;
	struct iovec	*iov;
	union addr	*from;
	uint8_t		*rbuf;
	uint8_t		 rnd[512];
	size_t		 rndpos;
};

static const struct {
	int		 type;
	const char	*name;
} types[] = {
	{ LDNS_RR_TYPE_A, "A" }, { LDNS_RR_TYPE_AAAA, "AAAA" },
	{ LDNS_RR_TYPE_SOA, "SOA" }, { LDNS_RR_TYPE_NS, "NS" },
	{ LDNS_RR_TYPE_MX, "MX" }, { LDNS_RR_TYPE_TXT, "TXT" },
	{ LDNS_RR_TYPE_PTR, "PTR" }, { LDNS_RR_TYPE_CNAME, "CNAME" },
};

static const char *
type_name(int type)
{
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == type)
			return types[i].name;
	return NULL;
}

static void
stat_add(atomic_ulong *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

void
dnsprobe_stats_get(struct dnsprobe_stats *s)
{
	s->sent = atomic_load(&st_sent);
	s->received = atomic_load(&st_received);
	s->retries = atomic_load(&st_retries);
	s->tcp = atomic_load(&st_tcp);
	s->ignored = atomic_load(&st_ignored);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- input validation: nothing is sent or changed before all passes ---- */

/*
 * A presentation-format owner name: "mail.example.com" or
 * "mail.example.com." or ".". Labels 1-63 printable non-space characters
 * without escapes, wire length <= 255.
 */
static int
valid_name(const char *s, size_t cap)
{
	size_t len, i, label = 0, wire = 1;

	if (memchr(s, '\0', cap) == NULL)
		return 0;
	len = strlen(s);
	if (len == 0)
		return 0;
	if (len == 1 && s[0] == '.')
		return 1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0)
				return 0;	/* empty label */
			wire += label + 1;
			label = 0;
			continue;
		}
		if (c <= ' ' || c >= 0x7f || c == '\\' || c == '"' ||
		    c == '(' || c == ')' || c == ';' || c == '@' || c == '$')
			return 0;
		if (++label > 63)
			return 0;
	}
	if (label > 0)
		wire += label + 1;
	return wire <= 255;
}

/* "127.0.54.1" or "::1" (no brackets, no scope) and port -> target. */
static int
valid_server(const char *s, size_t cap, unsigned port, struct target *t)
{
	memset(t, 0, sizeof(*t));
	if (memchr(s, '\0', cap) == NULL || port > 65535)
		return 0;
	if (port == 0)
		port = 53;
	if (inet_pton(AF_INET, s, &t->addr.in.sin_addr) == 1) {
		t->addr.in.sin_family = AF_INET;
		t->addr.in.sin_port = htons((uint16_t)port);
		t->alen = sizeof(t->addr.in);
		t->fam = 0;
		return 1;
	}
	if (inet_pton(AF_INET6, s, &t->addr.in6.sin6_addr) == 1) {
		t->addr.in6.sin6_family = AF_INET6;
		t->addr.in6.sin6_port = htons((uint16_t)port);
		t->alen = sizeof(t->addr.in6);
		t->fam = 1;
		return 1;
	}
	return 0;
}

static enum mc_result
opts_read(const struct dnsprobe_opts *o, struct probe *p, int *inflight,
    struct mc_err *err)
{
	struct dnsprobe_opts d = { 0, 0, 0, 0, 0 };

	if (o == NULL)
		o = &d;
	if (o->timeout_ms < 0 || o->timeout_ms > DNSPROBE_MAX_TIMEOUT_MS ||
	    o->tries < 0 || o->tries > DNSPROBE_MAX_TRIES ||
	    o->max_inflight < 0 || o->max_inflight > DNSPROBE_MAX_INFLIGHT ||
	    o->max_per_server < 0 ||
	    o->max_per_server > DNSPROBE_MAX_INFLIGHT)
		return mc_err_set(err, MC_E_USAGE, "dnsprobe: options out of "
		    "range (timeout_ms 0-%d, tries 0-%d, max_inflight and "
		    "max_per_server 0-%d)", DNSPROBE_MAX_TIMEOUT_MS,
		    DNSPROBE_MAX_TRIES, DNSPROBE_MAX_INFLIGHT);
	p->timeout_ms = o->timeout_ms ? o->timeout_ms : 1000;
	p->tries = o->tries ? o->tries : 3;
	p->rd = o->rd != 0;
	*inflight = o->max_inflight ? o->max_inflight : 512;
	p->per_server = o->max_per_server ? o->max_per_server :
	    DNSPROBE_PER_SERVER;
	return MC_OK;
}

/* ---- messages ---- */

static void
msg_set(struct dnsq *q, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Format into q->msg; a message that does not fit ends in "...". */
static void
msg_set(struct dnsq *q, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(q->msg, sizeof(q->msg), fmt, ap);
	va_end(ap);
	if (r < 0)
		q->msg[0] = '\0';
	else if ((size_t)r >= sizeof(q->msg))
		memcpy(q->msg + sizeof(q->msg) - 4, "...", 4);
}

/* "127.0.54.9" for port 53, else "127.0.54.9 port 5353". */
static const char *
server_text(const struct dnsq *q, char *buf, size_t sz)
{
	unsigned port = q->port ? q->port : 53;

	if (port == 53)
		snprintf(buf, sz, "%s", q->server);
	else
		snprintf(buf, sz, "%s port %u", q->server, port);
	return buf;
}

/* The name without its trailing dot (unless it is the root). */
static const char *
name_text(const struct dnsq *q, char *buf, size_t sz)
{
	size_t len = strlen(q->name);

	if (len > 1 && q->name[len - 1] == '.')
		len--;
	snprintf(buf, sz, "%.*s", (int)len, q->name);
	return buf;
}

static void
msg_noanswer(struct probe *p, struct dnsq *q, const char *how)
{
	char srv[96], name[256];
	const char *t = type_name(q->type);

	server_text(q, srv, sizeof(srv));
	name_text(q, name, sizeof(name));
	if (p->opcode == LDNS_PACKET_NOTIFY)
		msg_set(q, "%s: no answer to NOTIFY for %s after %d tries "
		    "(timeout %d ms)", srv, name, q->tries, p->timeout_ms);
	else
		msg_set(q, "%s: no answer%s for %s/%s after %d tries "
		    "(timeout %d ms)", srv, how, name, t ? t : "?", q->tries,
		    p->timeout_ms);
}

/* ---- random ids ---- */

static int
rand16(struct probe *p, uint16_t *out)
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

/* ---- slot bookkeeping: hash by (socket, id), FIFO timer list ---- */

static size_t
hash_bucket(const struct probe *p, int sock, uint16_t id)
{
	return ((size_t)id ^ ((size_t)sock * 40503u)) & p->hmask;
}

static void
hash_add(struct probe *p, size_t si)
{
	struct slot *s = &p->slots[si];
	size_t b = hash_bucket(p, s->sock, s->id);

	s->hnext = p->hash[b];
	p->hash[b] = si;
	s->hashed = 1;
}

static void
hash_del(struct probe *p, size_t si)
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
static size_t
hash_find(const struct probe *p, int fam, int sock, uint16_t id)
{
	size_t si = p->hash[hash_bucket(p, sock, id)];

	for (; si != NIL; si = p->slots[si].hnext)
		if (p->slots[si].sock == sock && p->slots[si].id == id &&
		    p->tg[p->slots[si].qi].fam == fam)
			return si;
	return NIL;
}

/* Deadlines are now + the one timeout, so appending keeps the order. */
static void
timer_add(struct probe *p, size_t si)
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

static void
timer_del(struct probe *p, size_t si)
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

/* Queue g for the start loop if it has work and room. */
static void
group_ready(struct probe *p, struct group *g)
{
	if (g->queued || g->cursor == g->end ||
	    g->inflight >= p->per_server)
		return;
	g->queued = 1;
	p->gq[(p->gq_head + p->gq_len++) % p->ngrps] = (size_t)(g - p->grps);
}

static void
tcp_close(struct probe *p, size_t si)
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
static void
slot_release(struct probe *p, size_t si)
{
	struct slot *s = &p->slots[si];
	struct group *g = &p->grps[p->tg[s->qi].grp];

	hash_del(p, si);
	timer_del(p, si);
	tcp_close(p, si);
	g->inflight--;
	group_ready(p, g);
	ldns_pkt_free(s->query);
	free(s->wire);
	s->query = NULL;
	s->wire = NULL;
	p->freel[p->nfree++] = si;
	p->done++;
}

static void
slot_fail(struct probe *p, size_t si, const char *how)
{
	struct dnsq *q = &p->qs[p->slots[si].qi];

	q->result = MC_E_DNS;
	q->rcode = -1;
	msg_noanswer(p, q, how);
	slot_release(p, si);
}

/* ---- sockets ---- */

static int
udp_open(struct probe *p, int fam)
{
	int fd, sz = 1 << 20;

	fd = socket(fam ? AF_INET6 : AF_INET,
	    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	/* many answers may arrive between two polls; best effort */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	p->udp[fam][p->nudp[fam]++] = fd;
	return 0;
}

/* Send (or resend) the UDP query of slot si; a send error ends the query. */
static void
udp_send(struct probe *p, size_t si)
{
	struct slot *s = &p->slots[si];
	struct target *t = &p->tg[s->qi];
	struct dnsq *q = &p->qs[s->qi];
	ssize_t r;
	char srv[96];

	do
		r = sendto(p->udp[t->fam][s->sock], s->wire, s->wirelen, 0,
		    &t->addr.sa, t->alen);
	while (r == -1 && errno == EINTR);
	if (r == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != ENOBUFS) {
		q->result = MC_E_DNS;
		q->rcode = -1;
		msg_set(q, "%s: cannot send: %s",
		    server_text(q, srv, sizeof(srv)), strerror(errno));
		slot_release(p, si);
		return;
	}
	/* a full send buffer loses the datagram like the network would */
	if (s->attempts > 0)
		stat_add(&st_retries);
	stat_add(&st_sent);
	s->attempts++;
	q->tries++;
	timer_add(p, si);
}

/* Take a free slot for query qi, build its packet and send it. */
static enum mc_result
query_start(struct probe *p, size_t qi, struct mc_err *err)
{
	struct dnsq *q = &p->qs[qi];
	struct target *t = &p->tg[qi];
	struct slot *s;
	ldns_rdf *qname = NULL;
	size_t si;
	uint16_t id;
	int tries = 0;

	if (p->nudp[t->fam] < p->socks_per_fam && udp_open(p, t->fam) == -1 &&
	    p->nudp[t->fam] == 0)
		return mc_err_set(err, MC_E_IO, "dnsprobe: UDP socket: %s",
		    strerror(errno));
	si = p->freel[--p->nfree];
	s = &p->slots[si];
	memset(s, 0, sizeof(*s));
	s->qi = qi;
	s->fd = -1;
	s->tprev = s->tnext = s->hnext = NIL;
	s->sock = (int)(p->rr[t->fam]++ % (unsigned)p->nudp[t->fam]);
	/* ids are unique per socket among the queries in flight */
	do {
		if (rand16(p, &id) == -1) {
			p->freel[p->nfree++] = si;
			return mc_err_set(err, MC_E_IO, "dnsprobe: getrandom: "
			    "%s", strerror(errno));
		}
	} while (hash_find(p, t->fam, s->sock, id) != NIL && ++tries < 64);
	s->id = id;

	if ((qname = ldns_dname_new_frm_str(q->name)) == NULL ||
	    (s->query = ldns_pkt_query_new(qname, (ldns_rr_type)q->type,
	    LDNS_RR_CLASS_IN, (uint16_t)((p->rd ? LDNS_RD : 0) |
	    (p->opcode == LDNS_PACKET_NOTIFY ? LDNS_AA : 0)))) == NULL) {
		ldns_rdf_deep_free(qname);
		p->freel[p->nfree++] = si;
		return mc_err_set(err, MC_E_NOMEM, "dnsprobe: out of memory");
	}
	ldns_pkt_set_opcode(s->query, (ldns_pkt_opcode)p->opcode);
	ldns_pkt_set_id(s->query, id);
	if (ldns_pkt2wire(&s->wire, s->query, &s->wirelen) !=
	    LDNS_STATUS_OK) {
		ldns_pkt_free(s->query);
		free(s->wire);
		s->query = NULL;
		s->wire = NULL;
		p->freel[p->nfree++] = si;
		return mc_err_set(err, MC_E_NOMEM, "dnsprobe: out of memory");
	}
	hash_add(p, si);
	udp_send(p, si);
	return MC_OK;
}

/* ---- replies ---- */

enum verdict { V_BAD, V_OK, V_TC };

static int
addr_eq(const union addr *a, const struct target *t)
{
	if (a->sa.sa_family != t->addr.sa.sa_family)
		return 0;
	if (a->sa.sa_family == AF_INET)
		return a->in.sin_port == t->addr.in.sin_port &&
		    a->in.sin_addr.s_addr == t->addr.in.sin_addr.s_addr;
	return a->in6.sin6_port == t->addr.in6.sin6_port &&
	    memcmp(&a->in6.sin6_addr, &t->addr.in6.sin6_addr,
	    sizeof(a->in6.sin6_addr)) == 0;
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

/*
 * Check a reply to slot s: QR set, our id and opcode, our question
 * echoed (a NOTIFY answer may leave the question out). V_OK hands the
 * parsed packet to *out; V_TC asks for TCP.
 */
static enum verdict
reply_check(const struct probe *p, const struct slot *s, const uint8_t *buf,
    size_t len, int tcp, ldns_pkt **out)
{
	ldns_pkt *pkt = NULL;
	ldns_rr *qrr = NULL;
	size_t pos = LDNS_HEADER_SIZE;
	enum verdict v = V_BAD;
	int qd;

	*out = NULL;
	if (len < LDNS_HEADER_SIZE || LDNS_ID_WIRE(buf) != s->id ||
	    !LDNS_QR_WIRE(buf) || (int)LDNS_OPCODE_WIRE(buf) != p->opcode)
		return V_BAD;
	if (ldns_wire2pkt(&pkt, buf, len) != LDNS_STATUS_OK) {
		/*
		 * A truncated answer may end inside a record. Then only the
		 * question can be read, and it must still be ours.
		 */
		if (!tcp && LDNS_TC_WIRE(buf) && LDNS_QDCOUNT(buf) == 1 &&
		    p->opcode == LDNS_PACKET_QUERY &&
		    ldns_wire2rr(&qrr, buf, len, &pos,
		    LDNS_SECTION_QUESTION) == LDNS_STATUS_OK &&
		    question_eq(s, qrr))
			v = V_TC;
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
		return V_BAD;
	}
	if (!tcp && ldns_pkt_tc(pkt) && p->opcode == LDNS_PACKET_QUERY) {
		ldns_pkt_free(pkt);
		return V_TC;
	}
	*out = pkt;
	return V_OK;
}

/* TXT character-strings joined, unquoted; bytes outside ' '..'~' as \DDD. */
static char *
txt_text(const ldns_rr *rr)
{
	size_t i, k, total = 0, o = 0;
	char *s;

	for (i = 0; i < ldns_rr_rd_count(rr); i++)
		total += ldns_rdf_size(ldns_rr_rdf(rr, i));
	if ((s = malloc(total * 4 + 1)) == NULL)
		return NULL;
	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);
		const uint8_t *d = ldns_rdf_data(f);
		size_t sz = ldns_rdf_size(f), len;

		if (ldns_rdf_get_type(f) != LDNS_RDF_TYPE_STR || sz < 1 ||
		    (len = d[0]) + 1 > sz)
			continue;
		for (k = 1; k <= len; k++) {
			if (d[k] >= ' ' && d[k] <= '~')
				s[o++] = (char)d[k];
			else
				o += (size_t)snprintf(s + o, 5, "\\%03u", d[k]);
		}
	}
	s[o] = '\0';
	return s;
}

/* The rdata of rr as text, fields separated by one space (malloc'd). */
static char *
rdata_text(const ldns_rr *rr)
{
	ldns_buffer *b;
	char *s = NULL;
	size_t i;

	if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_TXT)
		return txt_text(rr);
	if ((b = ldns_buffer_new(128)) == NULL)
		return NULL;
	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		if (i > 0)
			ldns_buffer_printf(b, " ");
		if (ldns_rdf2buffer_str(b, ldns_rr_rdf(rr, i)) !=
		    LDNS_STATUS_OK)
			goto out;
	}
	if (ldns_buffer_status_ok(b))
		s = ldns_buffer_export2str(b);
out:
	ldns_buffer_free(b);
	return s;
}

static int
rr_matches(const ldns_rr *rr, const ldns_rdf *owner, int type)
{
	return (int)ldns_rr_get_type(rr) == type &&
	    ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
	    ldns_dname_compare(ldns_rr_owner(rr), owner) == 0;
}

/* Fill q from an accepted answer. MC_E_NOMEM is the only failure. */
static enum mc_result
answer_take(struct probe *p, struct slot *s, const ldns_pkt *pkt, int tcp)
{
	struct dnsq *q = &p->qs[s->qi];
	const ldns_rr_list *an = ldns_pkt_answer(pkt);
	const ldns_rdf *owner = ldns_rr_owner(ldns_rr_list_rr(
	    ldns_pkt_question(s->query), 0));
	const ldns_rr *rr;
	const ldns_rdf *f;
	size_t i, cnt = 0, nan = ldns_rr_list_rr_count(an);
	int hop;

	q->result = MC_OK;
	q->rcode = (int)ldns_pkt_get_rcode(pkt);
	q->aa = ldns_pkt_aa(pkt);
	q->tcp = tcp;
	q->msg[0] = '\0';
	/* follow a CNAME chain inside the answer section */
	for (hop = 0; q->type != LDNS_RR_TYPE_CNAME && hop < CNAME_HOPS;
	    hop++) {
		for (i = 0; i < nan; i++) {
			rr = ldns_rr_list_rr(an, i);
			if (rr_matches(rr, owner, LDNS_RR_TYPE_CNAME) &&
			    ldns_rr_rd_count(rr) == 1 &&
			    ldns_rdf_get_type(ldns_rr_rdf(rr, 0)) ==
			    LDNS_RDF_TYPE_DNAME)
				break;
		}
		if (i == nan)
			break;
		owner = ldns_rr_rdf(ldns_rr_list_rr(an, i), 0);
	}
	for (i = 0; i < nan; i++)
		cnt += rr_matches(ldns_rr_list_rr(an, i), owner, q->type);
	if (cnt == 0)
		return MC_OK;
	if ((q->answers = calloc(cnt, sizeof(*q->answers))) == NULL)
		return MC_E_NOMEM;
	for (i = 0; i < nan; i++) {
		rr = ldns_rr_list_rr(an, i);
		if (!rr_matches(rr, owner, q->type))
			continue;
		if ((q->answers[q->nanswers] = rdata_text(rr)) == NULL)
			return MC_E_NOMEM;
		if (q->nanswers++ > 0)
			continue;
		q->ttl = ldns_rr_ttl(rr);
		if (q->type == LDNS_RR_TYPE_SOA && ldns_rr_rd_count(rr) == 7 &&
		    (f = ldns_rr_rdf(rr, 2)) != NULL &&
		    ldns_rdf_get_type(f) == LDNS_RDF_TYPE_INT32) {
			q->serial = ldns_rdf2native_int32(f);
			q->has_serial = 1;
		}
	}
	return MC_OK;
}

/* Accept pkt for slot si and release the slot. */
static enum mc_result
slot_answer(struct probe *p, size_t si, ldns_pkt *pkt, int tcp,
    struct mc_err *err)
{
	enum mc_result result;
	struct dnsq *q = &p->qs[p->slots[si].qi];

	stat_add(&st_received);
	result = answer_take(p, &p->slots[si], pkt, tcp);
	ldns_pkt_free(pkt);
	slot_release(p, si);
	if (result != MC_OK) {
		dnsq_clear(q);
		q->result = result;
		msg_set(q, "out of memory storing the answer");
		return mc_err_set(err, result, "dnsprobe: out of memory");
	}
	return MC_OK;
}

/* ---- TCP fallback ---- */

static void
tcp_queue(struct probe *p, size_t si)
{
	struct slot *s = &p->slots[si];

	s->phase = PH_TCPWAIT;
	p->tcpq[(p->tcpq_head + p->tcpq_len++) % p->nslots] = si;
}

/* One TCP try failed (why): try again while tries are left. */
static void
tcp_retry(struct probe *p, size_t si, const char *why)
{
	struct slot *s = &p->slots[si];
	char how[96];

	tcp_close(p, si);
	timer_del(p, si);
	if (s->attempts < p->tries) {
		tcp_queue(p, si);
		return;
	}
	snprintf(how, sizeof(how), " over TCP (%s)", why);
	slot_fail(p, si, how);
}

static void
tcp_start(struct probe *p, size_t si)
{
	struct slot *s = &p->slots[si];
	struct target *t = &p->tg[s->qi];
	int r;

	s->phase = PH_TCP;
	s->connected = 0;
	s->out = s->lenhave = s->inhave = s->inlen = 0;
	if (s->attempts > 0)
		stat_add(&st_retries);
	stat_add(&st_sent);
	s->attempts++;
	p->qs[s->qi].tries++;
	s->fd = socket(t->addr.sa.sa_family,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd == -1) {
		tcp_retry(p, si, strerror(errno));
		return;
	}
	p->tcpact[p->ntcp++] = si;
	timer_add(p, si);
	do
		r = connect(s->fd, &t->addr.sa, t->alen);
	while (r == -1 && errno == EINTR);
	if (r == 0)
		s->connected = 1;
	else if (errno != EINPROGRESS)
		tcp_retry(p, si, strerror(errno));
}

/* Progress on one TCP connection after poll(2) said revents. */
static enum mc_result
tcp_step(struct probe *p, size_t si, short revents, struct mc_err *err)
{
	struct slot *s = &p->slots[si];
	uint8_t pfx[2];
	struct iovec iov[2];
	struct msghdr mh;
	ldns_pkt *pkt;
	socklen_t sl = sizeof(int);
	ssize_t r;
	size_t total = s->wirelen + 2;
	int e = 0;

	if (!s->connected) {
		if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
			return MC_OK;
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &e, &sl) == -1)
			e = errno;
		if (e != 0) {
			tcp_retry(p, si, strerror(e));
			return MC_OK;
		}
		s->connected = 1;
	}
	if (s->out < total) {
		/* RFC 7766: two-octet length, then the message */
		pfx[0] = (uint8_t)(s->wirelen >> 8);
		pfx[1] = (uint8_t)s->wirelen;
		memset(&mh, 0, sizeof(mh));
		if (s->out < 2) {
			iov[0].iov_base = pfx + s->out;
			iov[0].iov_len = 2 - s->out;
			iov[1].iov_base = s->wire;
			iov[1].iov_len = s->wirelen;
			mh.msg_iovlen = 2;
		} else {
			iov[0].iov_base = s->wire + (s->out - 2);
			iov[0].iov_len = total - s->out;
			mh.msg_iovlen = 1;
		}
		mh.msg_iov = iov;
		r = sendmsg(s->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR) {
			tcp_retry(p, si, strerror(errno));
			return MC_OK;
		}
		if (r > 0)
			s->out += (size_t)r;
		if (s->out < total)
			return MC_OK;
	}
	for (;;) {
		if (s->lenhave < 2)
			r = recv(s->fd, s->lenbuf + s->lenhave,
			    2 - s->lenhave, MSG_DONTWAIT);
		else
			r = recv(s->fd, s->in + s->inhave,
			    s->inlen - s->inhave, MSG_DONTWAIT);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return MC_OK;
		if (r == -1) {
			tcp_retry(p, si, strerror(errno));
			return MC_OK;
		}
		if (r == 0) {
			tcp_retry(p, si, "connection closed");
			return MC_OK;
		}
		if (s->lenhave < 2) {
			s->lenhave += (size_t)r;
			if (s->lenhave < 2)
				continue;
			s->inlen = (size_t)s->lenbuf[0] << 8 | s->lenbuf[1];
			if (s->inlen < LDNS_HEADER_SIZE) {
				tcp_retry(p, si, "short message");
				return MC_OK;
			}
			if ((s->in = malloc(s->inlen)) == NULL)
				return mc_err_set(err, MC_E_NOMEM,
				    "dnsprobe: out of memory");
			continue;
		}
		s->inhave += (size_t)r;
		if (s->inhave < s->inlen)
			continue;
		break;
	}
	if (reply_check(p, s, s->in, s->inlen, 1, &pkt) != V_OK) {
		stat_add(&st_ignored);
		tcp_retry(p, si, "reply does not match the question");
		return MC_OK;
	}
	return slot_answer(p, si, pkt, 1, err);
}

/* ---- UDP receive ---- */

static enum mc_result
udp_datagram(struct probe *p, int fam, int sock, const uint8_t *buf,
    size_t len, const union addr *from, int flags, struct mc_err *err)
{
	struct slot *s;
	ldns_pkt *pkt;
	size_t si;

	if ((flags & MSG_TRUNC) || len < LDNS_HEADER_SIZE ||
	    (si = hash_find(p, fam, sock, LDNS_ID_WIRE(buf))) == NIL ||
	    !addr_eq(from, &p->tg[p->slots[si].qi])) {
		stat_add(&st_ignored);
		return MC_OK;
	}
	s = &p->slots[si];
	switch (reply_check(p, s, buf, len, 0, &pkt)) {
	case V_OK:
		return slot_answer(p, si, pkt, 0, err);
	case V_TC:
		stat_add(&st_received);
		stat_add(&st_tcp);
		hash_del(p, si);
		timer_del(p, si);
		s->attempts = 0;
		tcp_queue(p, si);
		return MC_OK;
	case V_BAD:
	default:
		stat_add(&st_ignored);
		return MC_OK;
	}
}

static enum mc_result
udp_drain(struct probe *p, int fam, int sock, struct mc_err *err)
{
	enum mc_result result;
	int fd = p->udp[fam][sock], r, i;

	for (;;) {
		for (i = 0; i < RECV_BATCH; i++) {
			p->mm[i].msg_hdr.msg_namelen = sizeof(union addr);
			p->mm[i].msg_hdr.msg_flags = 0;
		}
		r = recvmmsg(fd, p->mm, RECV_BATCH, MSG_DONTWAIT, NULL);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return MC_OK;	/* EAGAIN, or an ICMP error report */
		for (i = 0; i < r; i++) {
			result = udp_datagram(p, fam, sock,
			    p->rbuf + (size_t)i * RECV_BUFSZ, p->mm[i].msg_len,
			    &p->from[i], p->mm[i].msg_hdr.msg_flags, err);
			if (result != MC_OK)
				return result;
		}
		if (r < RECV_BATCH)
			return MC_OK;
	}
}

/* ---- the loop ---- */

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
static enum mc_result
probe_group(struct probe *p, struct mc_err *err)
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
	for (i = 0; i < p->ngrps; i++)
		group_ready(p, &p->grps[i]);
	return MC_OK;
}

static enum mc_result
probe_setup(struct probe *p, size_t inflight, struct mc_err *err)
{
	size_t i, hsz = 16;

	p->nslots = inflight;
	while (hsz < inflight * 2)
		hsz <<= 1;
	p->hmask = hsz - 1;
	p->socks_per_fam = (int)((inflight + 63) / 64);
	if (p->socks_per_fam > UDP_SOCKS_MAX)
		p->socks_per_fam = UDP_SOCKS_MAX;
	p->rndpos = sizeof(p->rnd);
	p->thead = p->ttail = NIL;
	if ((p->slots = calloc(inflight, sizeof(*p->slots))) == NULL ||
	    (p->freel = calloc(inflight, sizeof(*p->freel))) == NULL ||
	    (p->tcpq = calloc(inflight, sizeof(*p->tcpq))) == NULL ||
	    (p->hash = calloc(hsz, sizeof(*p->hash))) == NULL ||
	    (p->pfds = calloc(2 * UDP_SOCKS_MAX + TCP_MAX,
	    sizeof(*p->pfds))) == NULL ||
	    (p->mm = calloc(RECV_BATCH, sizeof(*p->mm))) == NULL ||
	    (p->iov = calloc(RECV_BATCH, sizeof(*p->iov))) == NULL ||
	    (p->from = calloc(RECV_BATCH, sizeof(*p->from))) == NULL ||
	    (p->rbuf = malloc((size_t)RECV_BATCH * RECV_BUFSZ)) == NULL)
		return mc_err_set(err, MC_E_NOMEM, "dnsprobe: out of memory");
	for (i = 0; i < inflight; i++) {
		p->slots[i].fd = -1;
		p->freel[i] = inflight - 1 - i;
	}
	p->nfree = inflight;
	for (i = 0; i < hsz; i++)
		p->hash[i] = NIL;
	for (i = 0; i < RECV_BATCH; i++) {
		p->iov[i].iov_base = p->rbuf + i * RECV_BUFSZ;
		p->iov[i].iov_len = RECV_BUFSZ;
		p->mm[i].msg_hdr.msg_iov = &p->iov[i];
		p->mm[i].msg_hdr.msg_iovlen = 1;
		p->mm[i].msg_hdr.msg_name = &p->from[i];
	}
	return MC_OK;
}

static void
probe_cleanup(struct probe *p)
{
	size_t i;
	int f, k;

	if (p->slots != NULL)
		for (i = 0; i < p->nslots; i++) {
			if (p->slots[i].fd != -1)
				close(p->slots[i].fd);
			free(p->slots[i].in);
			ldns_pkt_free(p->slots[i].query);
			free(p->slots[i].wire);
		}
	for (f = 0; f < 2; f++)
		for (k = 0; k < p->nudp[f]; k++)
			close(p->udp[f][k]);
	free(p->order);
	free(p->grps);
	free(p->gq);
	free(p->slots);
	free(p->freel);
	free(p->tcpq);
	free(p->hash);
	free(p->pfds);
	free(p->mm);
	free(p->iov);
	free(p->from);
	free(p->rbuf);
}

static void
on_timeout(struct probe *p, size_t si)
{
	struct slot *s = &p->slots[si];

	timer_del(p, si);
	if (s->phase == PH_TCP) {
		tcp_retry(p, si, "timeout");
		return;
	}
	if (s->attempts < p->tries)
		udp_send(p, si);
	else
		slot_fail(p, si, "");
}

static enum mc_result
probe_loop(struct probe *p, struct mc_err *err)
{
	enum mc_result result;
	size_t si, i, npfd, nu, qi;
	int f, k, timeout, r;

	for (;;) {
		p->now = now_ms();
		/* round robin over the servers with work and room */
		while (p->gq_len > 0 && p->nfree > 0) {
			struct group *g = &p->grps[p->gq[p->gq_head]];

			p->gq_head = (p->gq_head + 1) % p->ngrps;
			p->gq_len--;
			g->queued = 0;
			if (g->cursor == g->end || g->inflight >= p->per_server)
				continue;
			qi = p->order[g->cursor++];
			g->inflight++;
			if ((result = query_start(p, qi, err)) != MC_OK)
				return result;
			group_ready(p, g);
		}
		while (p->tcpq_len > 0 && p->ntcp < TCP_MAX) {
			si = p->tcpq[p->tcpq_head];
			p->tcpq_head = (p->tcpq_head + 1) % p->nslots;
			p->tcpq_len--;
			tcp_start(p, si);
		}
		while (p->thead != NIL && p->slots[p->thead].deadline <= p->now)
			on_timeout(p, p->thead);
		if (p->done == p->n)
			return MC_OK;
		/* timeouts may have freed slots or queued TCP work */
		if ((p->gq_len > 0 && p->nfree > 0) ||
		    (p->tcpq_len > 0 && p->ntcp < TCP_MAX))
			continue;

		npfd = 0;
		for (f = 0; f < 2; f++)
			for (k = 0; k < p->nudp[f]; k++) {
				p->pfds[npfd].fd = p->udp[f][k];
				p->pfds[npfd].events = POLLIN;
				p->pfds[npfd++].revents = 0;
			}
		nu = npfd;
		for (i = 0; i < p->ntcp; i++) {
			struct slot *s = &p->slots[p->tcpact[i]];

			p->pfds[npfd].fd = s->fd;
			p->pfds[npfd].events = (short)(!s->connected ||
			    s->out < s->wirelen + 2 ? POLLOUT : POLLIN);
			p->pfds[npfd++].revents = 0;
		}
		timeout = 1000;
		if (p->thead != NIL)
			timeout = (int)(p->slots[p->thead].deadline - p->now);
		if (timeout < 0)
			timeout = 0;
		r = poll(p->pfds, (nfds_t)npfd, timeout);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return mc_err_set(err, MC_E_IO, "dnsprobe: poll: %s",
			    strerror(errno));
		if (r == 0)
			continue;
		/* TCP first: tcp_step may reorder tcpact, so snapshot it */
		{
			size_t snap[TCP_MAX];
			short rev[TCP_MAX];
			size_t nsnap = p->ntcp;

			for (i = 0; i < nsnap; i++) {
				snap[i] = p->tcpact[i];
				rev[i] = p->pfds[nu + i].revents;
			}
			for (i = 0; i < nsnap; i++) {
				if (rev[i] == 0 ||
				    p->slots[snap[i]].phase != PH_TCP)
					continue;
				if ((result = tcp_step(p, snap[i], rev[i],
				    err)) != MC_OK)
					return result;
			}
		}
		npfd = 0;
		for (f = 0; f < 2; f++)
			for (k = 0; k < p->nudp[f]; k++)
				if (p->pfds[npfd++].revents != 0 &&
				    (result = udp_drain(p, f, k, err)) != MC_OK)
					return result;
	}
}

/* Validate qs[0..n) into tg; changes nothing in qs. */
static enum mc_result
probe_validate(const struct dnsq *qs, size_t n, struct target *tg,
    int notify, struct mc_err *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct dnsq *q = &qs[i];

		if (!valid_server(q->server, sizeof(q->server), q->port,
		    &tg[i]))
			return mc_err_set(err, MC_E_USAGE, "dnsprobe: "
			    "question %zu: server is not an IP address "
			    "literal or port is out of range (\"%.64s\" "
			    "port %u)", i, memchr(q->server, '\0',
			    sizeof(q->server)) ? q->server : "?", q->port);
		if (!valid_name(q->name, sizeof(q->name)))
			return mc_err_set(err, MC_E_USAGE, "dnsprobe: "
			    "question %zu: not a valid domain name", i);
		if (!notify && type_name(q->type) == NULL)
			return mc_err_set(err, MC_E_USAGE, "dnsprobe: "
			    "question %zu: unsupported type %d", i, q->type);
	}
	return MC_OK;
}

static enum mc_result
probe_run(struct dnsq *qs, size_t n, int opcode,
    const struct dnsprobe_opts *opts, struct mc_err *err)
{
	struct probe p;
	enum mc_result result;
	int inflight = 0;
	size_t i;

	memset(&p, 0, sizeof(p));
	if (n == 0)
		return MC_OK;
	if (qs == NULL || n > DNSPROBE_MAX_QUERIES)
		return mc_err_set(err, MC_E_USAGE, "dnsprobe: %zu questions "
		    "(at most %d)", n, DNSPROBE_MAX_QUERIES);
	if ((result = opts_read(opts, &p, &inflight, err)) != MC_OK)
		return result;
	if ((p.tg = calloc(n, sizeof(*p.tg))) == NULL)
		return mc_err_set(err, MC_E_NOMEM, "dnsprobe: out of memory");
	if ((result = probe_validate(qs, n, p.tg,
	    opcode == LDNS_PACKET_NOTIFY, err)) != MC_OK)
		goto out;
	p.n = n;
	p.opcode = opcode;
	if ((result = probe_setup(&p, (size_t)inflight < n ? (size_t)inflight :
	    n, err)) != MC_OK || (result = probe_group(&p, err)) != MC_OK)
		goto out;
	/* from here on the questions change */
	p.qs = qs;
	for (i = 0; i < n; i++) {
		dnsq_clear(&qs[i]);
		qs[i].result = PENDING;
		qs[i].rcode = -1;
	}
	result = probe_loop(&p, err);
out:
	/* after a system failure, say so on every unfinished question */
	if (p.qs != NULL)
		for (i = 0; i < n; i++)
			if (qs[i].result == PENDING) {
				dnsq_clear(&qs[i]);
				qs[i].result = result != MC_OK ? result :
				    MC_E_IO;
				msg_set(&qs[i], "not finished: %s", err != NULL &&
				    err->msg[0] ? err->msg :
				    mc_strerror(qs[i].result));
			}
	probe_cleanup(&p);
	free(p.tg);
	return result;
}

enum mc_result
dnsprobe_run(struct dnsq *qs, size_t n, const struct dnsprobe_opts *opts,
    struct mc_err *err)
{
	return probe_run(qs, n, LDNS_PACKET_QUERY, opts, err);
}

enum mc_result
dnsprobe_notify(const char *server, unsigned port, const char *zone,
    const struct dnsprobe_opts *opts, struct mc_err *err)
{
	struct dnsq q;
	enum mc_result result;
	const ldns_lookup_table *lt;
	char srv[96], name[256];

	memset(&q, 0, sizeof(q));
	if (server == NULL || zone == NULL ||
	    strlen(server) >= sizeof(q.server) || strlen(zone) >= sizeof(q.name))
		return mc_err_set(err, MC_E_USAGE, "notify: server or zone "
		    "missing or too long");
	memcpy(q.server, server, strlen(server) + 1);
	memcpy(q.name, zone, strlen(zone) + 1);
	q.port = port;
	q.type = LDNS_RR_TYPE_SOA;
	if ((result = probe_run(&q, 1, LDNS_PACKET_NOTIFY, opts, err)) !=
	    MC_OK)
		goto out;
	server_text(&q, srv, sizeof(srv));
	name_text(&q, name, sizeof(name));
	if (q.result != MC_OK) {
		result = mc_err_set(err, MC_E_DNS, "%s", q.msg);
		goto out;
	}
	if (q.rcode != LDNS_RCODE_NOERROR) {
		lt = ldns_lookup_by_id(ldns_rcodes, q.rcode);
		result = mc_err_set(err, MC_E_DNS, "%s: NOTIFY for %s answered "
		    "%s", srv, name, lt != NULL ? lt->name : "unknown rcode");
		goto out;
	}
	result = MC_OK;
out:
	dnsq_clear(&q);
	return result;
}

void
dnsq_clear(struct dnsq *q)
{
	size_t i;

	if (q == NULL)
		return;
	for (i = 0; i < q->nanswers; i++)
		free(q->answers[i]);
	free(q->answers);
	q->answers = NULL;
	q->nanswers = 0;
	q->result = MC_OK;
	q->rcode = 0;
	q->aa = 0;
	q->ttl = 0;
	q->serial = 0;
	q->has_serial = 0;
	q->tries = 0;
	q->tcp = 0;
	q->msg[0] = '\0';
}

void
dnsq_free_all(struct dnsq *qs, size_t n)
{
	size_t i;

	if (qs == NULL)
		return;
	for (i = 0; i < n; i++)
		dnsq_clear(&qs[i]);
}
