/* step_disable.h -- runbook 3: mail off on the old server. */
#ifndef MC_STEP_DISABLE_H
#define MC_STEP_DISABLE_H

#include <stddef.h>

struct engine;
struct undo;

/*
 * For every synced domain whose disable gate is open (gate.h; --force
 * overrides it, loudly, journaled): mail disable on the source panel,
 * one batch for all. An alias's or a subdomain's mail is its site's:
 * never disabled here. Mail already off is reconciled.
 */
void	disable_act(struct engine *);

/* The proof: the mail preferences read back (only those); off is
 * disable.done, anything else fails the domain. */
void	disable_check(struct engine *, int own);

/* status: the disable gate in words ("old server still receiving mail:
 * last growth at ..."); "" before the sync. */
void	disable_why(const struct engine *, const struct dom *, char *,
	    size_t);

/* Rollback: mail back on where it was on (queued into its batch). */
void	disable_undo(struct engine *, struct undo *);

#endif
