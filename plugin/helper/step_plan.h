/* step_plan.h -- the runbook's preflight (plan): changes nothing. */
#ifndef MC_STEP_PLAN_H
#define MC_STEP_PLAN_H

struct engine;

/*
 * For every active domain: the shared decision (owner.h) said in notes
 * (the exact diff, the old and new addresses, the TTL change, the mail
 * to disable, other records on the old server, an MX or SPF that will
 * not follow), the mail checks (mailbox parity, certificates, PTR,
 * DKIM, SPF) and the name servers with who is primary. A block note
 * fails the domain ("nothing was changed"); next is prepare.
 */
void	plan_act(struct engine *);

#endif
