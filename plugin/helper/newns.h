/* newns.h -- the name servers each domain's parent zone should list once
 * the registrar change is made (runbook 5): --new-ns for this run, else
 * [cutover] new_ns, else the NS records at the apex of the domain's zone
 * on the target panel ([target], dns get_rec), read once per run for all
 * the domains that need them, in one batch. */
#ifndef MC_NEWNS_H
#define MC_NEWNS_H

#include <stddef.h>

#include "nsset.h"

struct engine;
struct dom;

struct newns {
	struct nsset	 ns;		/* empty: none known */
	const char	*from;		/* "--new-ns", "new_ns", "the target
					   panel"; NULL: none */
	char		 why[300];	/* none known: why */
};

/* Fill out[0..n) for ds[0..n) (out zeroed by the caller). */
void	newns_read(struct engine *, struct dom **ds, size_t n,
	    struct newns *out);

/* Release the names of one; NULL is a no-op. */
void	newns_free(struct newns *);

#endif
