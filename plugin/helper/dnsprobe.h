/* dnsprobe.h -- ask many DNS questions of authoritative servers at once (ldns). */
#ifndef MC_DNSPROBE_H
#define MC_DNSPROBE_H

#include <stddef.h>

#include "err.h"

#define DNSPROBE_MAX_QUERIES	262144	/* n of one dnsprobe_run */
#define DNSPROBE_MAX_INFLIGHT	4096	/* opts.max_inflight */
#define DNSPROBE_MAX_TRIES	20	/* opts.tries */
#define DNSPROBE_MAX_TIMEOUT_MS	60000	/* opts.timeout_ms */
#define DNSPROBE_PER_SERVER	64	/* default opts.max_per_server */

/*
 * One question to one server. The caller zeroes the struct and fills the
 * inputs; dnsprobe_run fills the results. answers and its strings are
 * owned by the struct and released by dnsq_clear (or by the next
 * dnsprobe_run on it, which clears the old results first).
 */
struct dnsq {
	char		 server[64];	/* IPv4 or IPv6 literal */
	unsigned	 port;		/* 0 -> 53 */
	char		 name[256];	/* owner name, trailing dot optional */
	int		 type;		/* ldns_rr_type: A AAAA SOA NS MX TXT PTR CNAME */
	/* results */
	enum mc_result	 result;	/* MC_OK when an answer (any rcode) arrived */
	int		 rcode;		/* LDNS_RCODE_*; -1 when no answer */
	int		 aa;		/* authoritative answer flag */
	/*
	 * rdata of the answer RRs of the asked type as text: "127.0.3.20",
	 * MX "10 mail.example.com.", TXT content unquoted (strings joined,
	 * bytes outside printable ASCII as \DDD), SOA the whole rdata.
	 * A CNAME chain inside the answer section is followed.
	 */
	char		**answers;
	size_t		 nanswers;
	unsigned long	 ttl;		/* TTL of the first matching answer RR */
	unsigned long	 serial;	/* SOA: serial */
	int		 has_serial;
	int		 tries;		/* how many sends it took (UDP and TCP) */
	int		 tcp;		/* answered over TCP (after TC) */
	char		 msg[160];	/* on failure: what went wrong */
};

struct dnsprobe_opts {
	int	 timeout_ms;	/* per try, 0 -> 1000 */
	int	 tries;		/* 0 -> 3; over TCP again as many */
	int	 max_inflight;	/* 0 -> 512 */
	int	 rd;		/* recursion desired bit, default 0 */
	int	 max_per_server; /* in flight to one server:port, 0 -> 64 */
};

/*
 * Ask all n questions concurrently from one poll(2) loop over a few
 * shared non-blocking UDP sockets with random ids; a reply counts only
 * when its source address and port, id, opcode, QR bit and echoed
 * question all match. A query answered with TC=1 is asked again over
 * TCP. opts may be NULL (all defaults).
 *
 * Returns MC_OK even if some questions failed: each dnsq says (result
 * MC_E_DNS and msg). Returns MC_E_USAGE for invalid input (bad server
 * literal, port, name or type, bad opts, n too large), detected before
 * anything is sent or changed; MC_E_NOMEM or MC_E_IO for a system
 * failure, in which case questions not finished carry that result.
 */
enum mc_result	 dnsprobe_run(struct dnsq *qs, size_t n,
		    const struct dnsprobe_opts *opts, struct mc_err *err);

/* Free answers and reset the results; keep the inputs. NULL is a no-op. */
void		 dnsq_clear(struct dnsq *);

/* dnsq_clear on each of n. */
void		 dnsq_free_all(struct dnsq *, size_t n);

/*
 * Send a DNS NOTIFY (opcode NOTIFY, AA, question zone/SOA/IN) to
 * server:port (0 -> 53) and wait for the matching reply (same id, opcode
 * NOTIFY, QR set); retries per opts (NULL: defaults). MC_OK when it is
 * acknowledged with NOERROR; MC_E_DNS with a message naming the rcode
 * (REFUSED, NOTAUTH, ...) or the timeout otherwise; MC_E_USAGE for a bad
 * server, port or zone.
 */
enum mc_result	 dnsprobe_notify(const char *server, unsigned port,
		    const char *zone, const struct dnsprobe_opts *opts,
		    struct mc_err *err);

/* Process-wide counters (atomic), for the benchmark and the tests. */
struct dnsprobe_stats {
	unsigned long	 sent;		/* UDP datagrams and TCP queries sent */
	unsigned long	 received;	/* replies accepted */
	unsigned long	 retries;	/* sends after the first, per transport */
	unsigned long	 tcp;		/* TCP fallbacks started */
	unsigned long	 ignored;	/* datagrams that matched no query */
};

void		 dnsprobe_stats_get(struct dnsprobe_stats *);

#endif
