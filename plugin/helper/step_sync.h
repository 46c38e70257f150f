/* step_sync.h -- runbook 2: every authoritative server serves the change. */
#ifndef MC_STEP_SYNC_H
#define MC_STEP_SYNC_H

struct engine;

/*
 * Every authoritative server of each domain serves the primary's serial
 * and what is expected, refreshing laggards (authdns_converge).
 * after_prepare: the lowered TTL, for the domains prepared but not yet
 * confirmed and not yet asked in this run (each is asked at most once
 * per run): prepare.confirmed opens the switch gate. Otherwise the new
 * records, for the switched domains: sync.done (and sync.serial) opens
 * the disable gate. A domain that is not there yet waits.
 */
void	sync_run(struct engine *, int after_prepare);

/* The step's check: sync_run for the new records. */
void	sync_check(struct engine *, int own);

#endif
