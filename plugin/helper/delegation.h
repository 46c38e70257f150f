/* delegation.h -- runbook 5 at the parent: which servers serve a zone's
 * parent zone, and what each of them delegates the zone to. Many zones
 * at once; every question is built with ldns and goes through dnsprobe
 * without recursion (one dnsprobe run per round). */
#ifndef MC_DELEGATION_H
#define MC_DELEGATION_H

#include <stddef.h>

#include "err.h"
#include "nsset.h"

#define DELEGATION_MAX_SERVERS	16	/* parent servers of one zone */

enum deleg_status {
	DELEG_UNASKED,	/* no usable answer: why says (timeout, REFUSED,
			   not authoritative, no address) */
	DELEG_LISTS,	/* delegates the zone to ns (a referral, or an
			   authoritative NS answer) */
	DELEG_NONE,	/* answered that there is no delegation: NXDOMAIN,
			   or no NS records of the zone */
};

struct delegation_server {
	char		 name[256];	/* its NS name; "" when given by
					   address (parent_dns) */
	char		 addr[64];	/* "" when its address is not known */
	enum deleg_status status;
	struct nsset	 ns;		/* DELEG_LISTS */
	char		 why[160];	/* DELEG_NONE, DELEG_UNASKED */
};

struct delegation {
	char		 zone[256];	/* input: ASCII, no trailing dot */
	char		 parent[256];	/* the parent zone found ("test", "."
					   for a TLD); "" with parent_dns */
	struct delegation_server *srv;	/* the parent zone's servers */
	size_t		 nsrv;
	char		 msg[256];	/* nsrv 0: why none is known */
};

struct delegation_opts {
	char *const	*parents;	/* parent_dns: ask these addresses */
	size_t		 nparents;	/* 0: walk from the root servers */
	const char *const *roots;	/* the root servers' addresses */
	size_t		 nroots;
	int		 timeout_ms;	/* per try (two tries, as dnsprobe) */
};

/*
 * For each of ds[0..n) (zone set, the rest zeroed): find the parent
 * zone's servers -- the parent_dns addresses, or from the root servers
 * down (walk.h) -- then ask every one of them, non-recursively and in
 * one dnsprobe run for all zones, for the zone's NS records. A zone
 * whose parent cannot be found has nsrv 0 and msg; a server that cannot
 * be asked has DELEG_UNASKED and why. Returns MC_OK, or a system failure
 * (MC_E_NOMEM, MC_E_IO) with err; then every zone without an answer
 * says it in msg or why.
 */
enum mc_result	 delegation_run(struct delegation *ds, size_t n,
		    const struct delegation_opts *, struct mc_err *);

/* Add a parent server (name may be "", addr may be ""); 0 when full or
 * out of memory. */
int		 delegation_add(struct delegation *, const char *name,
		    const char *addr);

/* Release the servers; NULL is a no-op. */
void		 delegation_free(struct delegation *);

#endif
