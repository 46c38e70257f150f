/* walk.h -- from the root servers down to the servers of a zone's parent
 * zone, as a resolver walks but without recursion and for many zones at
 * once: one label at a time (query name minimisation, RFC 9156), each
 * question asked once per run however many zones share it, one dnsprobe
 * run per round. */
#ifndef MC_WALK_H
#define MC_WALK_H

#include <stddef.h>

#include "err.h"

#define WALK_TRIES	3	/* servers of a zone tried for one question */
#define WALK_SERVERS	16	/* servers of one zone cut kept */

struct walk_host {
	char	 name[256];	/* NS name, "" for a root given by address */
	char	 addr[64];	/* from the glue; "" when there was none */
};

struct walk_zone {
	const char		*zone;		/* input: ASCII, no final dot */
	char			 parent[256];	/* the parent zone ("." root) */
	struct walk_host	*hosts;		/* its servers (malloc'd) */
	size_t			 nhosts;
	char			 msg[256];	/* nhosts 0: why */
};

/*
 * For each zone: ask the root servers (roots, addresses) for the NS of
 * its last label, follow each referral with glue to the next label, and
 * stop one label above the zone: the servers of the zone cut reached are
 * the parent zone's. An authoritative NXDOMAIN stops the walk there too
 * (that zone is the parent, and will say the name does not exist). A
 * server that does not answer usefully (timeout, REFUSED, a lame or
 * upward referral) is replaced by the next of its zone, WALK_TRIES in all;
 * then that zone's msg says what went wrong. Returns MC_OK, or the
 * system failure of dnsprobe (err set, every unfinished zone's msg too).
 */
enum mc_result	 walk_run(struct walk_zone *, size_t n,
		    const char *const *roots, size_t nroots, int timeout_ms,
		    struct mc_err *);

/* Release the hosts of a zone; NULL is a no-op. */
void		 walk_zone_free(struct walk_zone *);

#endif
