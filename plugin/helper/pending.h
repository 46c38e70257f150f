/* pending.h -- the panel changes whose outcome is not known yet, and the
 * rule that every change the panel shows gets exactly one audit line,
 * whichever run made it. */
#ifndef MC_PENDING_H
#define MC_PENDING_H

struct engine;
struct dom;

/*
 * Before its packet leaves, each change is written into its domain's
 * journal (pend.N, doc/journal-format.md) with the audit line it makes
 * once it is known to be made; the caller saves the journal before it
 * sends. The panel's answer settles it (pending_settle). When the answer
 * was lost -- a reset, a timeout, a reconnect refused, a run killed --
 * the entry stays, and the next reading of the panel settles it
 * (pending_reconcile, called by zone.c after every read): a change the
 * panel shows gets its line then ("reconciled: ..."), one it does not
 * show is forgotten. An audit line that cannot be written (a full disk)
 * keeps its entry and fails the domain, saying so: the next run writes
 * it. A line already in the audit log (the run died after writing it,
 * before its journal) is never written twice.
 */

enum pend_kind {
	PEND_TTL,	/* dns set: what is the TTL, "600" */
	PEND_ADD,	/* dns add_rec: "label|type|value" */
	PEND_DEL,	/* dns del_rec: the record id, "107" */
	PEND_MAIL_OFF,	/* mail disable: "" */
	PEND_MAIL_ON,	/* mail enable: "" */
	PEND__MAX
};

enum pend_outcome {
	PEND_MADE,	/* the panel says it is done: its audit line now */
	PEND_ANSWERED,	/* the panel says ok; a read-back settles it */
	PEND_UNKNOWN,	/* the answer was lost: an "unknown" line now; the
			   next reading of the panel settles it */
	PEND_FAILED,	/* not made: a "failed" line */
	PEND_NOT_MADE,	/* not made by this change (it was there already):
			   no line */
};

/*
 * Journal one change of d about to be sent: its kind and what names it
 * on the panel (above), and the audit line it makes (step, old and new
 * value, result). Not saved (dom_save). Returns 0, the domain failed,
 * when the journal refuses it.
 */
int	pending_add(struct engine *, struct dom *, enum pend_kind,
	    const char *what, const char *step, const char *old_value,
	    const char *new_value, const char *result);

/* The panel's answer to the change of kind/what of d. */
void	pending_settle(struct engine *, struct dom *, enum pend_kind,
	    const char *what, enum pend_outcome);

/*
 * After a reading of the panel (zone: records and SOA were read; mail:
 * the mail preferences): settle each pending change of d the reading
 * can tell, and save the journal when one was settled.
 */
void	pending_reconcile(struct engine *, struct dom *, int zone, int mail);

/* How many changes of d are pending. */
unsigned	pending_count(const struct dom *);

#endif
