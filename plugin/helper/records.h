/* records.h -- the A/AAAA records of the switched names moved toward a
 * decision, make-before-break: the switch forward, the rollback back. */
#ifndef MC_RECORDS_H
#define MC_RECORDS_H

#include <stddef.h>

#include "owner.h"

struct engine;
struct dom;

/*
 * Make-before-break toward the decision (owner.h) for the active domains
 * of list: forward, the new address at each of our names in place of
 * the old one; back, the journaled records exactly. Adds go first (one
 * packet per batch). The deletes are decided again from the zone as it
 * is then -- read again when an answer was lost, never guessed -- and
 * the decision deletes at a name only once nothing is left to add there.
 * In manual DNS mode the changes become the operator's instructions.
 * step names the step in the audit log ("switch", "rollback").
 */
void	records_converge(struct engine *, struct dom **list, size_t n,
	    const char *step, enum own_dir);

#endif
