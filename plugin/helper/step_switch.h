/* step_switch.h -- runbook 1: the switched names to the new address. */
#ifndef MC_STEP_SWITCH_H
#define MC_STEP_SWITCH_H

struct engine;
struct undo;

/*
 * For every active domain whose switch gate is open (gate.h; --force
 * overrides it, loudly, journaled): switch.intent, then the records
 * moved make-before-break (records.h), one batch for all. A domain that
 * was never prepared waits for prepare (or, with --force, is captured
 * now).
 */
void	switch_act(struct engine *);

/*
 * The runbook's "Update" check: the primary name server serves the new
 * records (switch_timeout at most); then the old mailboxes' sizes are
 * taken (mailbox.h) and switch.done is stamped.
 */
void	switch_check(struct engine *, int own);

/* Rollback: the journaled records back, make-before-break (sent now, in
 * their own packets, before the rest of the rollback's batch). */
void	switch_undo(struct engine *, struct undo *);

#endif
