/* dnsprobe.c -- many DNS questions in flight from one poll(2) loop
 * (dnsslot.h says how); ldns builds and parses the packets. */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "dnsprobe.h"
#include "dnsrate.h"
#include "dnsslot.h"
#include "dnstcp.h"

static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

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
		dnsq_msg(q, "%s: cannot send: %s",
		    dnsq_server_text(q, srv, sizeof(srv)), strerror(errno));
		dnsslot_release(p, si);
		return;
	}
	/* a full send buffer loses the datagram like the network would */
	if (s->attempts > 0)
		dnsslot_count(DNS_RETRIES);
	dnsslot_count(DNS_SENT);
	dnsrate_sent(p->grps[t->grp].rate, now_us());
	s->attempts++;
	q->tries++;
	dnsslot_timer_add(p, si);
}

/* Take a free slot for query qi, build its packet and send it. */
static enum mc_result
query_start(struct probe *p, size_t qi, struct mc_err *err)
{
	struct dnsq *q = &p->qs[qi];
	struct target *t = &p->tg[qi];
	struct slot *s;
	ldns_rdf *qname = NULL;
	uint8_t *w;
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
	s->tprev = s->tnext = s->hnext = s->rnext = NIL;
	s->sock = (int)(p->rr[t->fam]++ % (unsigned)p->nudp[t->fam]);
	/* ids are unique per socket among the queries in flight */
	do {
		if (dnsslot_rand16(p, &id) == -1) {
			p->freel[p->nfree++] = si;
			return mc_err_set(err, MC_E_IO, "dnsprobe: getrandom: "
			    "%s", strerror(errno));
		}
	} while (dnsslot_hash_find(p, t->fam, s->sock, id) != NIL && ++tries < 64);
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
	/* ldns hands over its 64 KiB buffer: keep what the message needs
	   (a question is kept while in flight, for its retries) */
	if ((w = realloc(s->wire, s->wirelen)) != NULL)
		s->wire = w;
	dnsslot_hash_add(p, si);
	udp_send(p, si);
	return MC_OK;
}

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

static enum mc_result
udp_datagram(struct probe *p, int fam, int sock, const uint8_t *buf,
    size_t len, const union addr *from, int flags, struct mc_err *err)
{
	struct slot *s;
	ldns_pkt *pkt;
	size_t si;

	if ((flags & MSG_TRUNC) || len < LDNS_HEADER_SIZE ||
	    (si = dnsslot_hash_find(p, fam, sock, LDNS_ID_WIRE(buf))) == NIL ||
	    !addr_eq(from, &p->tg[p->slots[si].qi])) {
		dnsslot_count(DNS_IGNORED);
		return MC_OK;
	}
	s = &p->slots[si];
	switch (dnsslot_reply(p, s, buf, len, 0, &pkt)) {
	case DNSSLOT_OK:
		return dnsslot_answer(p, si, pkt, 0, err);
	case DNSSLOT_TC:
		dnsslot_count(DNS_RECEIVED);
		dnsslot_count(DNS_TCP);
		dnsslot_hash_del(p, si);
		dnsslot_timer_del(p, si);
		s->attempts = 0;
		dnstcp_queue(p, si);
		return MC_OK;
	case DNSSLOT_BAD:
	default:
		dnsslot_count(DNS_IGNORED);
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

	dnsslot_timer_del(p, si);
	if (s->phase == PH_TCP) {
		dnstcp_retry(p, si, "timeout");
		return;
	}
	if (s->attempts >= p->tries)
		dnsslot_fail(p, si, "");
	else if (dnsrate_wait(p->grps[p->tg[s->qi].grp].rate, now_us()) > 0)
		dnsslot_resend_push(p, si);	/* the pace first */
	else
		udp_send(p, si);
}

/* 1 when group g may send now; else remember when it may */
static int
paced(struct probe *p, const struct group *g)
{
	long long w;

	p->now_us = now_us();
	if ((w = dnsrate_wait(g->rate, p->now_us)) == 0)
		return 1;
	if (p->wake_us == 0 || p->now_us + w < p->wake_us)
		p->wake_us = p->now_us + w;
	return 0;
}

/* one pass over the groups queued now: each sends at most one (a try
 * that waited for the pace first, else its next query); the count */
static enum mc_result
start_groups(struct probe *p, size_t *started, struct mc_err *err)
{
	enum mc_result result;
	size_t k, si;

	for (k = p->gq_len; k > 0 && p->gq_len > 0; k--) {
		struct group *g = &p->grps[p->gq[p->gq_head]];

		p->gq_head = (p->gq_head + 1) % p->ngrps;
		p->gq_len--;
		g->queued = 0;
		if (g->rhead == NIL && (g->cursor == g->end ||
		    g->inflight >= p->per_server))
			continue;
		if (!paced(p, g) || (g->rhead == NIL && p->nfree == 0)) {
			g->queued = 1;	/* again in a later pass */
			p->gq[(p->gq_head + p->gq_len++) % p->ngrps] =
			    (size_t)(g - p->grps);
			continue;
		}
		if ((si = dnsslot_resend_pop(p, g)) != NIL)
			udp_send(p, si);
		else {
			g->inflight++;
			if ((result = query_start(p, p->order[g->cursor++],
			    err)) != MC_OK)
				return result;
		}
		(*started)++;
		dnsslot_group_ready(p, g);
	}
	return MC_OK;
}

/* start what may start: queries round robin over the servers with work,
 * room and pace, queued TCP connections; then the timeouts that are due.
 * Returns once nothing more can start now. */
static enum mc_result
start_work(struct probe *p, struct mc_err *err)
{
	enum mc_result result;
	size_t si, started;

	do {
		started = 0;
		p->wake_us = 0;
		if ((result = start_groups(p, &started, err)) != MC_OK)
			return result;
		while (p->tcpq_len > 0 && p->ntcp < TCP_MAX) {
			si = p->tcpq[p->tcpq_head];
			if (!paced(p, &p->grps[p->tg[p->slots[si].qi].grp]))
				break;
			p->tcpq_head = (p->tcpq_head + 1) % p->nslots;
			p->tcpq_len--;
			dnstcp_start(p, si);
			dnsrate_sent(p->grps[p->tg[p->slots[si].qi].grp].rate,
			    now_us());
			started++;
		}
		while (p->thead != NIL && p->slots[p->thead].deadline <=
		    p->now) {
			on_timeout(p, p->thead);
			started++;
		}
	} while (started > 0 && p->done < p->n);
	return MC_OK;
}

/* the descriptors to poll: UDP sockets first (*nu of them), then TCP */
static size_t
poll_set(struct probe *p, size_t *nu)
{
	size_t i, npfd = 0;
	int f, k;

	for (f = 0; f < 2; f++)
		for (k = 0; k < p->nudp[f]; k++) {
			p->pfds[npfd].fd = p->udp[f][k];
			p->pfds[npfd].events = POLLIN;
			p->pfds[npfd++].revents = 0;
		}
	*nu = npfd;
	for (i = 0; i < p->ntcp; i++) {
		struct slot *s = &p->slots[p->tcpact[i]];

		p->pfds[npfd].fd = s->fd;
		p->pfds[npfd].events = (short)(!s->connected ||
		    s->out < s->wirelen + 2 ? POLLOUT : POLLIN);
		p->pfds[npfd++].revents = 0;
	}
	return npfd;
}

/* what poll(2) reported: TCP first, then every UDP socket with data */
static enum mc_result
dispatch(struct probe *p, size_t nu, struct mc_err *err)
{
	enum mc_result result;
	size_t snap[TCP_MAX], i, nsnap = p->ntcp, npfd = 0;
	short rev[TCP_MAX];
	int f, k;

	/* dnstcp_step may reorder tcpact, so snapshot it */
	for (i = 0; i < nsnap; i++) {
		snap[i] = p->tcpact[i];
		rev[i] = p->pfds[nu + i].revents;
	}
	for (i = 0; i < nsnap; i++) {
		if (rev[i] == 0 || p->slots[snap[i]].phase != PH_TCP)
			continue;
		if ((result = dnstcp_step(p, snap[i], rev[i], err)) != MC_OK)
			return result;
	}
	for (f = 0; f < 2; f++)
		for (k = 0; k < p->nudp[f]; k++)
			if (p->pfds[npfd++].revents != 0 &&
			    (result = udp_drain(p, f, k, err)) != MC_OK)
				return result;
	return MC_OK;
}

static enum mc_result
probe_loop(struct probe *p, struct mc_err *err)
{
	enum mc_result result;
	size_t npfd, nu;
	int timeout, r;

	for (;;) {
		p->now_us = now_us();
		p->now = p->now_us / 1000;
		if ((result = start_work(p, err)) != MC_OK)
			return result;
		if (p->done == p->n)
			return MC_OK;
		npfd = poll_set(p, &nu);
		timeout = 1000;
		if (p->thead != NIL)
			timeout = (int)(p->slots[p->thead].deadline - p->now);
		/* the pace: wake when the next send may leave (rounded up) */
		if (p->wake_us > 0 && (p->wake_us - p->now_us + 999) / 1000 <
		    timeout)
			timeout = (int)((p->wake_us - p->now_us + 999) / 1000);
		if (timeout < 0)
			timeout = 0;
		r = poll(p->pfds, (nfds_t)npfd, timeout);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return mc_err_set(err, MC_E_IO, "dnsprobe: poll: %s",
			    strerror(errno));
		if (r > 0 && (result = dispatch(p, nu, err)) != MC_OK)
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
		if (!notify && dnsq_type_name(q->type) == NULL)
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
	    n, err)) != MC_OK || (result = dnsslot_groups(&p, err)) != MC_OK)
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
				dnsq_msg(&qs[i], "not finished: %s", err != NULL &&
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
	dnsq_server_text(&q, srv, sizeof(srv));
	dnsq_name_text(&q, name, sizeof(name));
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
dnsprobe_stats_get(struct dnsprobe_stats *s)
{
	s->sent = dnsslot_counter(DNS_SENT);
	s->received = dnsslot_counter(DNS_RECEIVED);
	s->retries = dnsslot_counter(DNS_RETRIES);
	s->tcp = dnsslot_counter(DNS_TCP);
	s->ignored = dnsslot_counter(DNS_IGNORED);
}
