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

/*
 * The quiet gate's reading (gate.h): the usage of every mailbox of each
 * domain now, journaled (quiet.reading, quiet.read_at); a reading that
 * differs from the one before (at first: the switch's) stamps
 * quiet.growth, and for usage_signal = auto two such readings within
 * 12 h (counted from the reading before the first) stamp quiet.live.
 * ok[i] is 1 when ds[i] was read.
 */
void	mailbox_poll(struct engine *, struct dom **, size_t, int *ok);

/* One old mailbox to copy to the new server, with the command. */
struct mailbox_copy {
	char		 address[320];
	unsigned long	 grew;		/* bytes; 0 when not known */
	char		 command[2200];	/* imapsync, hosts filled in (room for
					   the longest quoted words: never cut),
					   passwords as placeholders */
};

/* The mailboxes of the residual report (residual.report) one at a time,
 * however many: the ones that grew, or every mailbox of the switch when
 * it could not be seen. *pos is NULL for the first; 1 while there is
 * one (in *out), then 0. */
int	mailbox_copy_next(const struct dom *, const char **pos,
	    struct mailbox_copy *out);
/* the same as notes: "copy a@zone: imapsync ..." */
void	mailbox_copy_notes(struct dom *);

#endif
