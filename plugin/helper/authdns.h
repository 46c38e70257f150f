/* authdns.h -- every authoritative server of a zone: find them, ask them
 * all, and wait -- the one DNS polling loop of the helper (dnspoll.h,
 * judged by authjudge.h) -- until they serve what the runbook needs,
 * refreshing the laggards. */
#ifndef MC_AUTHDNS_H
#define MC_AUTHDNS_H

#include <stddef.h>

#include "authjudge.h"

struct engine;
struct dom;

/*
 * The authoritative servers of each zone into d->srv: the NS set as the
 * primary name server ([cutover] primary_dns, srv[0]) serves it, each NS
 * name's address from the glue of that answer, else from the primary,
 * else from the system resolver; as many servers as the zone has. A
 * domain whose primary does not serve its zone fails. Asked in chunks.
 * Returns 0 when nothing could be asked (the domains failed).
 */
int	authdns_servers(struct engine *, struct dom **, size_t);

/* Ask every server of every domain once: the SOA serial, then the
 * switched names where the serial is the primary's; mark each server
 * ok or not. Returns 1 when every server is ok. */
int	authdns_check(struct engine *, struct dom **, size_t, enum expect);

/* The primary alone, until it serves the change or timeout_s (the
 * default grown as for sync, authdns_timeout); a domain whose primary
 * does not fails (or waits, in manual DNS mode, asked once). */
int	authdns_wait_primary(struct engine *, struct dom **, size_t,
	    enum expect, unsigned long timeout_s, int timeout_set);

/*
 * Every server, until all agree or [cutover] sync_timeout: each server's
 * SOA polled with a back-off (0.5 s doubling to 8 s), its names asked
 * once it serves the primary's serial; a laggard whose server is stuck
 * is refreshed by its method (refresh.h). Leaves a note per server.
 * Returns 1 when every server of every domain agrees.
 */
int	authdns_converge(struct engine *, struct dom **, size_t, enum expect);

/*
 * How long to wait for n zones: timeout_s as configured; a default one
 * grows by the time dns_rate needs to ask each zone's questions once
 * (per_zone at its busiest server) when that is more than a tenth of
 * it, and why goes into why (else why is ""). Seconds.
 */
unsigned long	authdns_timeout(const struct engine *, size_t n,
		    unsigned long timeout_s, int timeout_set, size_t per_zone,
		    char *why, size_t whysz);

/* 1 when every server of d is ok; else `lag` names one that is not. */
int	authdns_all_ok(const struct dom *, char *lag, size_t);

#endif
