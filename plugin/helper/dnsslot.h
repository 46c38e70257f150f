/* dnsslot.h -- inside dnsprobe: the state of one dnsprobe_run (struct
 * probe) and its queries in flight (struct slot), shared by dnsprobe.c
 * (the loop, UDP), dnstcp.c (the TCP fallback) and dnsslot.c. */
#ifndef MC_DNSSLOT_H
#define MC_DNSSLOT_H

#include <sys/socket.h>

#include <netinet/in.h>

#include <poll.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "dnsq.h"

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
 * Every send to a server (first try, retry, TCP) waits for its server's
 * pace (dnsrate.h): a retry the pace holds back waits in its group's
 * FIFO, still hashed, so a late answer to the earlier try still counts.
 */

#define NIL		((size_t)-1)
#define UDP_SOCKS_MAX	8	/* per address family */
#define TCP_MAX		64	/* TCP connections at once */
#define RECV_BATCH	32	/* datagrams per recvmmsg(2) */
#define RECV_BUFSZ	4096	/* no EDNS is sent: answers are <= 512 */
#define PENDING		MC__MAX	/* dnsq.result while a query is not done */

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
	long		 rate;		/* its dnsrate slot */
	size_t		 rhead, rtail;	/* slots whose next try waits for
					   the rate (FIFO through rnext) */
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
	int		 resend;	/* in its group's rate FIFO */
	size_t		 rnext;
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
	long long	 now;		/* ms */
	long long	 now_us;
	long long	 wake_us;	/* the earliest send the rate held
					   back, or 0 */
	struct pollfd	*pfds;
	struct mmsghdr	*mm;
	struct iovec	*iov;
	union addr	*from;
	uint8_t		*rbuf;
	uint8_t		 rnd[512];
	size_t		 rndpos;
};

/* the process-wide counters (dnsprobe_stats_get) */
enum dnsstat {
	DNS_SENT,	/* UDP datagrams and TCP queries sent */
	DNS_RECEIVED,	/* replies accepted */
	DNS_RETRIES,	/* sends after the first, per transport */
	DNS_TCP,	/* TCP fallbacks started */
	DNS_IGNORED,	/* datagrams that matched no query */
	DNS__MAX
};

void		 dnsslot_count(enum dnsstat);
unsigned long	 dnsslot_counter(enum dnsstat);

/* A random query id from the probe's getrandom(2) pool; -1 on failure. */
int		 dnsslot_rand16(struct probe *, uint16_t *);

/* The (socket, id) lookup of the UDP slots in flight. */
void		 dnsslot_hash_add(struct probe *, size_t si);
void		 dnsslot_hash_del(struct probe *, size_t si);
/* The UDP slot of family fam waiting on socket sock with this id, or NIL. */
size_t		 dnsslot_hash_find(const struct probe *, int fam, int sock,
		    uint16_t id);

/* Deadlines are now + the one timeout, so appending keeps the order. */
void		 dnsslot_timer_add(struct probe *, size_t si);
void		 dnsslot_timer_del(struct probe *, size_t si);

/* Group the queries by server:port (each group's dnsrate slot too) and
 * queue every group; MC_E_NOMEM. */
enum mc_result	 dnsslot_groups(struct probe *, struct mc_err *);

/* Queue g for the start loop if it has work and room. */
void		 dnsslot_group_ready(struct probe *, struct group *);

/* Slot si's next try waits for its server's pace (not timed meanwhile). */
void		 dnsslot_resend_push(struct probe *, size_t si);
/* The oldest slot of g waiting for the pace, taken off; NIL when none. */
size_t		 dnsslot_resend_pop(struct probe *, struct group *);

/* Close the TCP connection of a slot (if any). */
void		 dnsslot_tcp_close(struct probe *, size_t si);

/* Release a slot whose query is done; the dnsq is already filled. */
void		 dnsslot_release(struct probe *, size_t si);

/* The query of slot si got no answer (how: " over TCP (...)" or ""). */
void		 dnsslot_fail(struct probe *, size_t si, const char *how);

enum dnsslot_verdict { DNSSLOT_BAD, DNSSLOT_OK, DNSSLOT_TC };

/*
 * Check a reply to slot s: QR set, our id and opcode, our question
 * echoed (a NOTIFY answer may leave the question out). DNSSLOT_OK hands
 * the parsed packet to *out; DNSSLOT_TC asks for TCP.
 */
enum dnsslot_verdict dnsslot_reply(const struct probe *, const struct slot *,
		    const uint8_t *buf, size_t len, int tcp, ldns_pkt **out);

/* Accept pkt for slot si (freed) and release the slot. */
enum mc_result	 dnsslot_answer(struct probe *, size_t si, ldns_pkt *pkt,
		    int tcp, struct mc_err *);

#endif
