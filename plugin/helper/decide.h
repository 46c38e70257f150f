/* decide.h -- the ownership decision (owner.h) for a domain of this run:
 * its facts from the panel as read and from the journal, the outcome of
 * a decision with nothing to do, and the first change's journal entry. */
#ifndef MC_DECIDE_H
#define MC_DECIDE_H

#include "owner.h"

struct engine;
struct dom;

/*
 * The one decision of what is ours, from the panel as read in this run
 * and the identity in the journal (or, before there is one, the panel's
 * facts and the operator's options). Plan, prepare, switch,
 * disable-old-mail and rollback all call it. Returns 0 on out of memory
 * (the domain is failed); otherwise the caller clears `out`.
 */
int	decide_dom(struct engine *, struct dom *, enum own_dir,
	    struct own_decision *out);

/*
 * A decision that leaves nothing to do becomes the domain's outcome for
 * this run (already, skipped, refused: not a failure). Returns 1 when
 * there is something to switch.
 */
int	decide_outcome(struct dom *, const struct own_decision *);

/*
 * The first change to a domain: decide what is ours and write that
 * decision and the prior values (records, TTL, SOA, mail) to the journal.
 * A domain with nothing of ours, or that the helper refuses, gets its
 * outcome and no journal. Returns 1 when the journal holds an identity.
 */
int	decide_capture(struct engine *, struct dom *);

#endif
