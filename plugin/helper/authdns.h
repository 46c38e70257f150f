/* authdns.h -- every authoritative server of a zone: find them, ask them
 * all at once, and wait -- the one DNS polling loop of the helper --
 * until they serve what the runbook needs, refreshing the laggards. */
#ifndef MC_AUTHDNS_H
#define MC_AUTHDNS_H

#include <stddef.h>

struct engine;
struct dom;

/* What every server must serve (owner.h own_expect says exactly what). */
enum expect {
	EXPECT_NEW,	/* the switch: the new addresses, none of the old */
	EXPECT_ORIG,	/* the rollback: the journaled records */
	EXPECT_SERIAL,	/* prepare: the lowered TTL (at most) */
};

/*
 * The authoritative servers of each zone into d->srv: the NS set as the
 * primary name server ([cutover] primary_dns, srv[0]) serves it, each NS
 * name's address from the primary (in-zone glue) or, failing that, from
 * the system resolver. A domain whose primary does not serve its zone
 * fails. Returns 0 when nothing could be asked (the domains failed).
 */
int	authdns_servers(struct engine *, struct dom **, size_t);

/* Ask every server of every domain once, all questions in one poll loop:
 * the SOA serial and the switched names; mark each server ok or not.
 * Returns 1 when every server is ok. */
int	authdns_check(struct engine *, struct dom **, size_t, enum expect);

/* The primary alone, until it serves the change or timeout_s; a domain
 * whose primary does not fails (or waits, in manual DNS mode). */
int	authdns_wait_primary(struct engine *, struct dom **, size_t,
	    enum expect, unsigned long timeout_s);

/*
 * Every server, until all agree or [cutover] sync_timeout: a round asks
 * again only the domains not done; from the third round on each laggard
 * is refreshed by its method (refresh.h), again every ~10 s. Leaves a
 * note per server. Returns 1 when every server of every domain agrees.
 */
int	authdns_converge(struct engine *, struct dom **, size_t, enum expect);

/* 1 when every server of d is ok; else `lag` names one that is not. */
int	authdns_all_ok(const struct dom *, char *lag, size_t);

#endif
