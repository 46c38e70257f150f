/* step_finish.h -- runbook 5-6: the registrar, then the TTL restored. */
#ifndef MC_STEP_FINISH_H
#define MC_STEP_FINISH_H

struct engine;

/*
 * For every verified domain (or any with --force when finish is the
 * command; migrate and tick take the verified ones and leave the others
 * as they are), at most once per run: runbook 5 (registrar.h: checked at
 * the parent zone's servers, or confirmed with --confirm-registrar where
 * they cannot be asked; otherwise the domain waits), then the zone TTL
 * back to restored_ttl (one batch) and finish.done.
 */
void	finish_act(struct engine *);

#endif
