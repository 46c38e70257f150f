/* dnspoll.h -- the polite polling loop under authdns: many (zone,
 * server) items, each asked its SOA serial first and its names only once
 * the serial matches, backing off per item, in rounds that fit the
 * per-server rate (dnsrate.h). What matches and what is right is the
 * caller's (struct dnspoll_judge). */
#ifndef MC_DNSPOLL_H
#define MC_DNSPOLL_H

#include <stddef.h>

#include "dnsprobe.h"
#include "err.h"

#define DNSPOLL_FIRST_MS	500	/* the first back-off ... */
#define DNSPOLL_MAX_MS		8000	/* ... doubling up to this */
#define DNSPOLL_MAX_NAMES	16	/* name questions of one item */
#define DNSPOLL_ROUND_MAX	4096	/* questions in one round at most */

enum dnspoll_state {
	DNSPOLL_SOA,	/* its SOA is asked (again, after the back-off) */
	DNSPOLL_NAMES,	/* its serial matches: its names are asked next */
	DNSPOLL_DONE,	/* finished (right, or given up): not asked again */
};

struct dnspoll_item {
	/* the caller's */
	const char	*server;	/* IP literal */
	unsigned	 port;		/* 0 -> 53 */
	const char	*zone;
	int		 lead;		/* its SOA answer is taken before the
					   others' of the same round */
	void		*arg;
	/* the loop's */
	enum dnspoll_state state;
	long long	 due;		/* ms (CLOCK_MONOTONIC): asked then */
	int		 wait;		/* ms: the next back-off */
	unsigned	 polls;		/* SOA questions asked */
	unsigned	 questions;	/* every question asked */
	size_t		 sid;		/* its server's index in the run */
	const long long	*progress;	/* ms: its server's last match */
};

struct dnspoll_judge {
	/* the name questions of item (name and type of each out[k]; the
	 * loop sets the server): their count, at most max */
	size_t	(*names)(void *ctx, struct dnspoll_item *, struct dnsq *out,
		    size_t max);
	/* its SOA answer: DNSPOLL_NAMES (the serial matches), DNSPOLL_SOA
	 * (not yet: back off) or DNSPOLL_DONE */
	enum dnspoll_state (*soa)(void *ctx, struct dnspoll_item *,
		    const struct dnsq *);
	/* the answers to its names: DNSPOLL_DONE (right, or given up) or
	 * DNSPOLL_SOA (not right yet: the SOA again after the back-off) */
	enum dnspoll_state (*took)(void *ctx, struct dnspoll_item *,
		    const struct dnsq *, size_t n);
};

struct dnspoll_opts {
	struct dnsprobe_opts probe;
	/* until when (ms, CLOCK_MONOTONIC); 0: one pass, each item's SOA
	 * once and its names once if it matched, no waiting */
	long long	 deadline;
	/* the back-off: first_ms doubling up to max_ms (0: the defaults,
	 * DNSPOLL_FIRST_MS and DNSPOLL_MAX_MS) */
	int		 first_ms, max_ms;
};

/*
 * Ask until every item is done or the deadline passes. A round takes
 * the items that are due, the names of matched items first, then the
 * SOA polls, round robin, at most one second's worth of questions per
 * server (its dns_rate; 512 without a cap) and DNSPOLL_ROUND_MAX in
 * all; then the loop sleeps until the next item is due. An item that
 * is behind is asked again after 0.5 s, 1 s, 2 s ... 8 s.
 * MC_E_NOMEM or MC_E_IO when the system failed (dnsprobe_run);
 * unanswered questions are answers too (the judge sees their result).
 */
enum mc_result	 dnspoll_run(struct dnspoll_item *, size_t n,
		    const struct dnspoll_judge *, void *ctx,
		    const struct dnspoll_opts *, struct mc_err *);

/* CLOCK_MONOTONIC in ms: the clock of due, progress and deadline. */
long long	 dnspoll_now(void);

#endif
