/* dnstcp.c -- the TCP fallback of a query answered with TC=1 (RFC 7766),
 * in dnsprobe's poll loop: non-blocking connect, length-prefixed
 * message out, length-prefixed answer in, a retry per failed try. */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dnsslot.h"
#include "dnstcp.h"

void
dnstcp_queue(struct probe *p, size_t si)
{
	struct slot *s = &p->slots[si];

	s->phase = PH_TCPWAIT;
	p->tcpq[(p->tcpq_head + p->tcpq_len++) % p->nslots] = si;
}

/* One TCP try failed (why): try again while tries are left. */
void
dnstcp_retry(struct probe *p, size_t si, const char *why)
{
	struct slot *s = &p->slots[si];
	char how[96];

	dnsslot_tcp_close(p, si);
	dnsslot_timer_del(p, si);
	if (s->attempts < p->tries) {
		dnstcp_queue(p, si);
		return;
	}
	snprintf(how, sizeof(how), " over TCP (%s)", why);
	dnsslot_fail(p, si, how);
}

void
dnstcp_start(struct probe *p, size_t si)
{
	struct slot *s = &p->slots[si];
	struct target *t = &p->tg[s->qi];
	int r;

	s->phase = PH_TCP;
	s->connected = 0;
	s->out = s->lenhave = s->inhave = s->inlen = 0;
	if (s->attempts > 0)
		dnsslot_count(DNS_RETRIES);
	dnsslot_count(DNS_SENT);
	s->attempts++;
	p->qs[s->qi].tries++;
	s->fd = socket(t->addr.sa.sa_family,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd == -1) {
		dnstcp_retry(p, si, strerror(errno));
		return;
	}
	p->tcpact[p->ntcp++] = si;
	dnsslot_timer_add(p, si);
	do
		r = connect(s->fd, &t->addr.sa, t->alen);
	while (r == -1 && errno == EINTR);
	if (r == 0)
		s->connected = 1;
	else if (errno != EINPROGRESS)
		dnstcp_retry(p, si, strerror(errno));
}

/*
 * Send what is left of the query: RFC 7766's two-octet length, then the
 * message. 1 when all of it is out, 0 when not yet (or the try failed).
 */
static int
tcp_send(struct probe *p, size_t si)
{
	struct slot *s = &p->slots[si];
	size_t total = s->wirelen + 2;
	uint8_t pfx[2];
	struct iovec iov[2];
	struct msghdr mh;
	ssize_t r;

	if (s->out >= total)
		return 1;
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
		dnstcp_retry(p, si, strerror(errno));
		return 0;
	}
	if (r > 0)
		s->out += (size_t)r;
	return s->out == total;
}

/*
 * Read the length, then the message. 1 when the whole message is in,
 * 0 when not yet (or the try failed), -1 when out of memory.
 */
static int
tcp_recv(struct probe *p, size_t si)
{
	struct slot *s = &p->slots[si];
	ssize_t r;

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
			return 0;
		if (r <= 0) {
			dnstcp_retry(p, si, r == 0 ? "connection closed" :
			    strerror(errno));
			return 0;
		}
		if (s->lenhave < 2) {
			s->lenhave += (size_t)r;
			if (s->lenhave < 2)
				continue;
			s->inlen = (size_t)s->lenbuf[0] << 8 | s->lenbuf[1];
			if (s->inlen < LDNS_HEADER_SIZE) {
				dnstcp_retry(p, si, "short message");
				return 0;
			}
			if ((s->in = malloc(s->inlen)) == NULL)
				return -1;
			continue;
		}
		s->inhave += (size_t)r;
		if (s->inhave == s->inlen)
			return 1;
	}
}

enum mc_result
dnstcp_step(struct probe *p, size_t si, short revents, struct mc_err *err)
{
	struct slot *s = &p->slots[si];
	ldns_pkt *pkt;
	socklen_t sl = sizeof(int);
	int e = 0, r;

	if (!s->connected) {
		if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
			return MC_OK;
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &e, &sl) == -1)
			e = errno;
		if (e != 0) {
			dnstcp_retry(p, si, strerror(e));
			return MC_OK;
		}
		s->connected = 1;
	}
	if (!tcp_send(p, si))
		return MC_OK;
	if ((r = tcp_recv(p, si)) < 0)
		return mc_err_set(err, MC_E_NOMEM, "dnsprobe: out of memory");
	if (r == 0)
		return MC_OK;
	if (dnsslot_reply(p, s, s->in, s->inlen, 1, &pkt) != DNSSLOT_OK) {
		dnsslot_count(DNS_IGNORED);
		dnstcp_retry(p, si, "reply does not match the question");
		return MC_OK;
	}
	return dnsslot_answer(p, si, pkt, 1, err);
}
