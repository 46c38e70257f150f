/* jkey.h -- every key of a domain's journal, typed (doc/journal-format.md
 * lists them with what their values mean). */
#ifndef MC_JKEY_H
#define MC_JKEY_H

#include <stddef.h>

enum jkey {
	/* the job's identity, decided and written at the first change */
	JK_SITE_ID,		/* site-id, or site-alias-id when alias */
	JK_ALIAS,		/* "1": DNS operations use site-alias-id */
	JK_ZONE,		/* ASCII zone name */
	JK_KIND,		/* webspace, site, subdomain, alias */
	JK_DISPLAY,		/* the Unicode form of an IDN */
	JK_MODE,		/* panel | manual (the primary is elsewhere) */
	JK_OLD_IP,		/* the first old address */
	JK_OLD_IPS,		/* every old address, space-separated */
	JK_NEW_IP,		/* new IPv4, "" when none */
	JK_NEW_IP6,		/* new IPv6, "" when none */
	JK_DROP_AAAA,		/* yes | no */
	JK_NAMES,		/* the switched names: "mail lists webmail" */
	/* prior values, for rollback */
	JK_ORIG_TTL,		/* zone TTL before prepare */
	JK_ORIG_SOA,		/* "ttl refresh retry expire minimum" */
	JK_ORIG_MAIL,		/* on | off | parent */
	JK_ORIG_COUNT,		/* how many orig.rec.N (jkey_rec) */
	/* the runbook's marks: UNIX times, intent before a change, done
	   after the panel (and DNS) confirmed it */
	JK_PREPARE_INTENT,
	JK_PREPARE_DONE,
	JK_PREPARE_CONFIRMED,	/* every server serves the lowered TTL */
	JK_PREPARE_OLD_TTL,	/* the TTL caches may hold (seconds) */
	JK_SWITCH_INTENT,
	JK_SWITCH_DONE,
	JK_SWITCH_FORCED,
	JK_SYNC_DONE,
	JK_SYNC_SERIAL,		/* the serial every server agreed on */
	JK_DISABLE_INTENT,
	JK_DISABLE_DONE,
	JK_DISABLE_FORCED,
	JK_VERIFY_DONE,
	JK_FINISH_DONE,
	/* runbook 5: the registrar change, and the last check at the
	   parent zone's servers (registrar.c) */
	JK_REGISTRAR_DONE,
	JK_REGISTRAR_HOW,	/* parent | operator | manual */
	JK_PARENT_CHECKED,	/* when the parent was last asked */
	JK_PARENT_RESULT,	/* listed | differs | unasked | unchecked */
	JK_PARENT_ZONE,		/* the parent zone found ("" parent_dns) */
	JK_PARENT_WANT,		/* the expected NS names, space-separated */
	JK_PARENT_SEEN,		/* per server: addr TAB name TAB status
				   TAB ns,ns TAB why, one per line */
	JK_PARENT_NOTE,		/* why it was not (fully) checked */
	JK_ROLLBACK_INTENT,
	JK_ROLLBACK_DONE,
	/* the residual mail report (mailbox sizes) */
	JK_RESIDUAL_BASE,	/* "name=bytes ..." at the switch */
	JK_RESIDUAL_REPORT,	/* what grew after it, "none" or "unknown" */
	/* the quiet gate of step 3 (gate.h): mailbox usage polled on the
	   old server until it stops changing */
	JK_QUIET_READING,	/* the last reading, "name=bytes ..." */
	JK_QUIET_READ_AT,	/* when it was taken */
	JK_QUIET_GROWTH,	/* the reading that last showed a change */
	JK_QUIET_CHANGE_FROM,	/* the reading before it (the change
				   happened in between) */
	JK_QUIET_LIVE,		/* when usage was seen to be fresh (auto) */
	JK_QUIET_CAPPED,	/* when quiet_max ended the wait */
	JK__MAX
};

/* "prepare.done"; NULL for JK__MAX. */
const char	*jkey_name(enum jkey);

/* 1 for the keys a finished rollback removes (the marks from
 * prepare.intent to finish.done): the domain starts over from there. */
int		 jkey_progress(enum jkey);

/* "orig.rec.N": the N-th journaled record of the switched names, in the
 * five-field form label|type|value|class|id (owner.h own_rec_format). */
void		 jkey_rec(size_t n, char *buf, size_t);

/* "pend.N": the N-th change sent whose outcome is not known yet
 * (pending.h; nine tab-separated fields). */
void		 jkey_pend(size_t n, char *buf, size_t);

#endif
