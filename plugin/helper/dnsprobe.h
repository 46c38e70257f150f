/* dnsprobe.h -- ask many DNS questions of authoritative servers at once (ldns). */
#ifndef MC_DNSPROBE_H
#define MC_DNSPROBE_H

#include <stddef.h>

#include "dnsq.h"
#include "err.h"

#define DNSPROBE_MAX_QUERIES	262144	/* n of one dnsprobe_run */
#define DNSPROBE_MAX_INFLIGHT	4096	/* opts.max_inflight */
#define DNSPROBE_MAX_TRIES	20	/* opts.tries */
#define DNSPROBE_MAX_TIMEOUT_MS	60000	/* opts.timeout_ms */
#define DNSPROBE_PER_SERVER	64	/* default opts.max_per_server */

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
