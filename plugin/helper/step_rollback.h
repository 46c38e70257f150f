/* step_rollback.h -- rollback: from any step, everything back exactly as
 * the journal recorded it. The runbook walks its table backwards and
 * lets each step undo its own change (runbook.h, struct step undo). */
#ifndef MC_STEP_ROLLBACK_H
#define MC_STEP_ROLLBACK_H

#include <stddef.h>

struct engine;
struct dom;
struct batch;

/* What a rollback carries from step to step. */
struct undo {
	struct dom	**list;	/* the domains rolled back */
	size_t		  n;
	struct batch	 *b;	/* operations the steps' undo queued */
	struct dom	**own;	/* the domain of each queued operation */
};

/*
 * The rollback begins: every active domain with a journaled identity is
 * marked (rollback.intent) and listed; one that never started has
 * nothing to roll back. Returns 0 when out of memory.
 */
int	rollback_begin(struct engine *, struct undo *);

/* Send what the steps' undo queued (one batch) and say what it did. */
void	rollback_send(struct engine *, struct undo *);

/* Release what rollback_begin allocated. */
void	rollback_end(struct undo *);

/*
 * The rollback's check: the primary, then every secondary, serves the
 * original records; then the marks of the cutover are removed
 * (jkey_progress) and rollback.done stamped.
 */
void	rollback_check(struct engine *, int own);

#endif
