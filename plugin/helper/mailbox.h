/* mailbox.h -- the old server's mailbox sizes: taken at the switch,
 * compared after the disable, so that mail which landed there meanwhile
 * (senders with a stale cache) is named for the operator to copy. */
#ifndef MC_MAILBOX_H
#define MC_MAILBOX_H

#include <stddef.h>

struct engine;
struct dom;

/* At the switch: journal how full each old mailbox is (residual.base). */
void	mailbox_base(struct engine *, struct dom **, size_t);

/*
 * The residual report: mailboxes on the old server that grew since the
 * switch. The XML API gives sizes, not messages: the report names the
 * mailboxes and the bytes, in a note and in the journal
 * (residual.report), for the operator to copy (imapsync, Plesk
 * Migrator's copy-mail-content).
 */
void	mailbox_residual(struct engine *, struct dom **, size_t);

#endif
