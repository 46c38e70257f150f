/* step_verify.h -- runbook 4: the new server works for the domain. */
#ifndef MC_STEP_VERIFY_H
#define MC_STEP_VERIFY_H

struct engine;

/*
 * Every name server answers the new addresses; SMTP 25/587 (STARTTLS),
 * IMAPS and POP3S on the new IP with a certificate valid for
 * mail.<zone>; after the disable, the residual mail report (mailbox.h)
 * and what the old server answers to RCPT (4xx fine, 5xx a loud
 * warning). All pass: verify.done. The verify command checks every
 * synced domain again; migrate only those disabled and not verified.
 */
void	verify_check(struct engine *, int own);

#endif
