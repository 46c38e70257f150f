/* step_prepare.h -- runbook 0.2: lower the zone TTL, journal the old one. */
#ifndef MC_STEP_PREPARE_H
#define MC_STEP_PREPARE_H

struct engine;
struct undo;

/*
 * The first change of a domain (its identity and prior values are
 * journaled then, decide.h), then the zone TTL lowered to lowered_ttl,
 * one batch for all: dns set with the whole SOA as read. A zone already
 * at or below it is not changed (no wait follows); in manual DNS mode
 * the operator is told what to set. prepare.done once the panel answers.
 */
void	prepare_act(struct engine *);

/*
 * Whether every authoritative server serves the lowered TTL
 * (prepare.confirmed, from which the switch gate counts), asked at most
 * once per run for each domain prepared but not confirmed. own: run as
 * the step itself, it also says when the switch becomes possible.
 */
void	prepare_check(struct engine *, int own);

/* Rollback: the original TTL back (queued into the rollback's batch). */
void	prepare_undo(struct engine *, struct undo *);

#endif
