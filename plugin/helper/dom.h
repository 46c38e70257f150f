/* dom.h -- one domain in one run: what the panel has (as read once),
 * its journal, and its outcome and notes for the report. */
#ifndef MC_DOM_H
#define MC_DOM_H

#include <stdarg.h>
#include <stddef.h>
#include <time.h>

#include "jkey.h"
#include "journal.h"
#include "op.h"
#include "owner.h"
#include "plesk.h"
#include "step.h"

struct engine;

#define DOM_MAX_LABELS	8	/* switched names */

/* Outcome of one domain in one run, most severe last. */
enum dres {
	DR_DONE,	/* the step ran (or had already run: noop set) */
	DR_ALREADY,	/* already on the new address: nothing to do */
	DR_SKIPPED,	/* nothing of ours: not on the old server */
	DR_REFUSED,	/* ours, but the helper will not: msg says why */
	DR_WAIT,	/* a gate or a server is not there yet */
	DR_BUSY,	/* another run holds its lock: the next run retries */
	DR_FAILED,	/* this domain failed; the journal says where */
	DR__MAX
};

enum note_kind {
	NOTE_DIFF,	/* a change made or to make */
	NOTE_INFO,
	NOTE_CHECK,	/* a check that passed */
	NOTE_WARN,
	NOTE_BLOCK,	/* stops this domain */
	NOTE__MAX
};

#define DOM_NOTE_MAX	400	/* bytes of one note's text, at most */
#define DOM_MSG_MAX	512	/* ... of the outcome's message */

/* one note, as dom_note_next gives it */
struct note {
	enum note_kind	 kind;
	const char	*text;
	size_t		 at;		/* where it is in the domain's notes */
	size_t		 next;		/* where the next one starts */
};

/*
 * The strings of a domain and its servers are as long as their value
 * (dom_str_set): never NULL ("" when empty), never written in place.
 * Ten thousand domains in one run keep a few KiB each (issue 14).
 */
extern char dom_nostr[];	/* the shared "" */

/* One authoritative server of a zone and what it answered. */
struct srv {
	char		*name;		/* NS name, or "" */
	char		 addr[64];
	int		 primary;	/* the primary name server */
	const struct secondary_conf *sc; /* matching [secondary], or NULL */
	int		 answered;
	unsigned long	 serial;
	int		 has_serial;
	int		 ok;		/* serves what is expected */
	char		*seen;		/* what it serves, for messages */
	int		 refreshed;	/* refresh sent this run */
	long long	 refreshed_at;	/* ... when (dnspoll_now) */
	int		 names_asked;	/* its names were asked ... */
	unsigned long	 names_serial;	/* ... at this serial */
};

struct dom {
	char		*name;		/* as asked, lower case */
	struct journal	*j;
	int		 lockfd;
	int		 skip;		/* out of this run: no further work */
	char		*display;	/* Unicode form of an IDN, or "" */

	/* what the source panel has, read once per run (zone.h) */
	int		 read;		/* read (or being read) this run */
	unsigned long	 site_id;	/* or site-alias-id when alias */
	int		 alias;		/* DNS operations use site-alias-id */
	enum site_kind	 kind;
	char		*panel_ip;	/* the domain's addresses on the */
	char		*panel_ip6;	/* source panel (dns_ip_address) */
	char		*target_ip;	/* ... and on the target panel */
	char		*target_ip6;
	char		*zone;		/* ASCII zone name */
	struct dns_record *recs;	/* the zone's records */
	size_t		 nrecs;
	int		 have_zone;
	struct soa	 soa;
	int		 zone_enabled;	/* -1 unknown */
	int		 zone_master;
	int		 mailservice;	/* -1 unknown */

	struct srv	*srv;		/* as many as the zone has */
	size_t		 nsrv, capsrv;

	/* this run */
	unsigned	 asked;		/* 1 << step: its confirmation was
					   asked (at most once per run) */
	int		 acted;		/* in the list of the step acting */
	enum dres	 res;
	int		 noop;		/* nothing to do: already done */
	char		*msg;		/* at most DOM_MSG_MAX bytes */
	enum step_id	 next;		/* next step, or STEP__MAX */
	time_t		 next_at;	/* when it becomes possible, or 0 */
	/* the notes, in order, packed: each a kind byte, its text and a
	   NUL; as long as they are (a domain that cannot keep a note
	   fails) */
	char		*notes;
	size_t		 notes_len, nnotes;
};

/* Set up d for the run: name (lower case, no final dot), nothing read;
 * 0 when out of memory (d is then released and may be released again). */
int	dom_init(struct dom *, const char *name);
/* Release what d holds: journal, lock, records, notes, servers, strings. */
void	dom_release(struct dom *);

/* *slot = a copy of s as long as it is (the old value freed); NULL or ""
 * -> the shared "". 0 when out of memory (*slot unchanged). */
int	dom_str_set(char **slot, const char *s);
/* ... of what fmt makes, cut to fewer than max bytes at a character
 * boundary (a message, what a server serves) */
int	dom_str_vcut(char **slot, size_t max, const char *fmt, va_list ap)
	    __attribute__((format(printf, 3, 0)));
/* free *slot unless it is the shared "", and make it "" */
void	dom_str_free(char **slot);

/* A new (zeroed) server at the end of d->srv, grown on demand; NULL
 * when out of memory. */
struct srv *dom_srv_add(struct dom *);

/* ---- outcome and notes (the report) ---- */

/* "done", "already", ... "failed" */
const char	*dres_name(enum dres);
/* "change", "info", "pass", "warn", "block" */
const char	*note_kind_name(enum note_kind);

void	dom_note(struct dom *, enum note_kind, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/* the notes in order: start with a zeroed struct note; 1 while there is
 * one (n is it), 0 after the last */
int	dom_note_next(const struct dom *, struct note *n);
/* change the kind of note n (as dom_note_next gave it) */
void	dom_note_kind_set(struct dom *, const struct note *n, enum note_kind);
/* this domain failed: out of the run */
void	dom_fail(struct dom *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* it waits for `next` (at `at`, 0 unknown); not after an outcome */
void	dom_wait(struct dom *, enum step_id next, time_t at, const char *, ...)
	    __attribute__((format(printf, 4, 5)));
/* the message of a domain that is done (only then) */
void	dom_done(struct dom *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* a final outcome for this run that is not a failure: already, skipped,
 * refused; the domain takes no further part in the run */
void	dom_outcome(struct dom *, enum dres, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/* what comes next, and when (0: now or unknown) */
void	dom_next(struct dom *, enum step_id, time_t);
/* still in the run: not out of it, not failed */
int	dom_active(const struct dom *);

/* ---- the journal, typed (jkey.h); a failed write fails the domain ---- */

const char *dom_get(const struct dom *, enum jkey);
/* a time stamp or a number; 0 when absent */
time_t	dom_time(const struct dom *, enum jkey);
int	dom_ulong(const struct dom *, enum jkey, unsigned long *);
int	dom_set(struct dom *, enum jkey, const char *);
int	dom_setf(struct dom *, enum jkey, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	dom_unset(struct dom *, enum jkey);
/* key = the moment of the event (engine_tick) */
int	dom_stamp(struct engine *, struct dom *, enum jkey);
/* write the journal (atomically); 0 and the domain failed otherwise */
int	dom_save(struct engine *, struct dom *);
/* one audit log line for this domain */
void	dom_audit(struct engine *, struct dom *, const char *step,
	    const char *old_value, const char *new_value, const char *result);

/* ---- what the journal and the panel say about the domain ---- */

/* the domain's name for people: "bücher.example (xn--bcher-kva.example)" */
const char *dom_show(const struct dom *, char *, size_t);
/* its mail is its own (not an alias's or a subdomain's: the site's) */
int	dom_mail_ours(const struct dom *);
/* the primary DNS is elsewhere: the helper shows changes, DNS checks */
int	dom_manual(const struct dom *);
/* the zone name from the journal (or the domain's name) when not read */
void	dom_zone_init(struct dom *);
/* the switched labels of the journal's "names" ("mail lists webmail") */
size_t	dom_labels(const struct dom *, char out[DOM_MAX_LABELS][64]);
/* the journaled records of the switched names (orig.rec.N); malloc'd */
size_t	dom_orig(const struct dom *, struct own_rec **);
/* the journaled old addresses ("old_ips"); returns the count */
size_t	dom_old_ips(const struct dom *, const char *out[OWN_MAX_ADDRS],
	    char buf[OWN_MAX_ADDRS][64]);

/* ---- the zone as read, kept up to date with the panel's answers ---- */

/* A and AAAA records at label.zone, as read */
size_t	dom_records_at(const struct dom *, const char *label,
	    const struct dns_record **out, size_t max);
/* add a copy of a record; 0 when out of memory */
int	dom_record_add(struct dom *, const struct dns_record *);
/* forget the record with this id (deleted on the panel) */
void	dom_record_drop(struct dom *, unsigned long id);
/* forget every record */
void	dom_zone_clear(struct dom *);

#endif
