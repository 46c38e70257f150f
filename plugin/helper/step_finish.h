/* step_finish.h -- runbook 5-6: the registrar, then the TTL restored. */
#ifndef MC_STEP_FINISH_H
#define MC_STEP_FINISH_H

struct engine;

/*
 * For every verified domain (or any with --force): when the old server
 * was the primary DNS, the operator confirms the registrar change
 * (--confirm-registrar) or the domain waits for it; then the zone TTL
 * back to restored_ttl (one batch) and finish.done.
 */
void	finish_act(struct engine *);

#endif
