/* engine.h -- the runbook as a per-domain state machine with time gates. */
#ifndef MC_ENGINE_H
#define MC_ENGINE_H

#include <time.h>

#include "config.h"
#include "journal.h"
#include "json.h"
#include "owner.h"
#include "plesk.h"

#define ENGINE_MAX_SERVERS	8
#define ENGINE_MAX_NOTES	64

/* Outcome of one domain in one run, most severe last. */
enum dres {
	DR_DONE,	/* the step ran (or had already run: noop set) */
	DR_ALREADY,	/* already on the new address: nothing to do */
	DR_SKIPPED,	/* nothing of ours: not on the old server */
	DR_REFUSED,	/* ours, but the helper will not: msg says why */
	DR_WAIT,	/* a gate or a server is not there yet */
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

struct note {
	enum note_kind	 kind;
	char		 text[400];
};

/* One authoritative server of a zone and what it answered. */
struct srv {
	char		 name[256];	/* NS name, or "" */
	char		 addr[64];
	int		 primary;	/* the primary name server */
	const struct secondary_conf *sc; /* matching [secondary], or NULL */
	int		 answered;
	unsigned long	 serial;
	int		 has_serial;
	int		 ok;		/* serves what is expected */
	char		 seen[256];	/* what it serves, for messages */
	int		 refreshed;	/* refresh sent this run */
};

struct dom {
	char		 name[256];	/* as asked, lower case */
	struct journal	*j;
	int		 lockfd;
	int		 skip;		/* failed early: no further work */

	char		 display[256];	/* Unicode form of an IDN, or "" */

	/* what the panel has, read in this run */
	unsigned long	 site_id;	/* or site-alias-id when alias */
	int		 alias;		/* DNS operations use site-alias-id */
	enum site_kind	 kind;
	char		 panel_ip[64];	/* the domain's addresses on the */
	char		 panel_ip6[64];	/* source panel (dns_ip_address) */
	char		 target_ip[64];	/* ... and on the target panel */
	char		 target_ip6[64];
	char		 zone[256];	/* ASCII zone name */
	struct dns_record *recs;
	size_t		 nrecs;
	int		 have_zone;
	struct soa	 soa;
	int		 zone_enabled;	/* -1 unknown */
	int		 zone_master;
	int		 mailservice;	/* -1 unknown */

	struct srv	 srv[ENGINE_MAX_SERVERS];
	size_t		 nsrv;

	enum dres	 res;
	int		 noop;		/* nothing to do: already done */
	char		 msg[512];
	char		 next[32];	/* next step, or "" */
	time_t		 next_at;	/* when it becomes possible, or 0 */
	struct note	*notes;		/* grown on demand, at most
					   ENGINE_MAX_NOTES */
	size_t		 nnotes, capnotes;
};

struct engine {
	const struct config	*conf;
	const struct cutover_conf *cc;
	const char		*cmd;
	struct plesk		*src;	/* source panel, opened lazily */
	struct plesk		*tgt;
	struct dom		*doms;
	size_t			 n;
	time_t			 now;
	int			 json;
	int			 force;
	int			 confirm_registrar;
	int			 confirm_clients;
	const char		*new_ip;	/* --new-ip */
	const char		*new_ip6;	/* --new-ip6 */
	const char		*old_ip[OWN_MAX_ADDRS];	/* --old-ip ... */
	size_t			 nold_ip;
	int			 drop_aaaa;	/* --drop-aaaa */
	int			 targets_read;	/* target panel asked */
	int			 panel_failed;	/* exit 4 */
	char			 panel_msg[512];
};

/* argv[0] is the command. Returns the exit code of design.md section 4. */
int	engine_main(const struct config *, int argc, char **argv, int json);

/* ---- shared by engine.c, steps.c, authdns.c, plan.c ---- */

void	dom_note(struct dom *, enum note_kind, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	dom_fail(struct dom *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	dom_wait(struct dom *, const char *next, time_t at, const char *, ...)
	    __attribute__((format(printf, 4, 5)));
void	dom_done(struct dom *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* a final outcome for this run that is not a failure: already, skipped,
 * refused; the domain takes no further part in the run */
void	dom_outcome(struct dom *, enum dres, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

/* journal helpers: time stamps and strings, saved at once */
int	dom_save(struct engine *, struct dom *);
int	dom_set(struct engine *, struct dom *, const char *key, const char *);
int	dom_setf(struct engine *, struct dom *, const char *key, const char *,
	    ...) __attribute__((format(printf, 4, 5)));
time_t	dom_time(const struct dom *, const char *key);	/* 0 if absent */
const char *dom_get(const struct dom *, const char *key);
void	dom_audit(struct engine *, struct dom *, const char *step,
	    const char *old_value, const char *new_value, const char *result);

/* open the source panel once; 0 on failure (every domain failed) */
int	engine_source(struct engine *);
/* read zone, SOA and mail prefs of every active domain (batched) */
int	engine_read(struct engine *);
/* A and AAAA records at label.zone, as read */
size_t	dom_records_at(const struct dom *, const char *label,
	    const struct dns_record **out, size_t max);
/* the domain's name for people: "bücher.example (xn--bcher-kva.example)" */
const char *dom_show(const struct dom *, char *, size_t);
const char *dom_old_ip(const struct dom *);
const char *dom_new_ip(const struct dom *);
int	dom_mail_ours(const struct dom *);	/* not an alias/subdomain */

/*
 * The one decision of what is ours (owner.h), from the panel as read in
 * this run and the identity in the journal (or, before there is one, the
 * panel's facts and the operator's options). Plan, prepare, switch,
 * disable-old-mail and rollback all call it. Returns 0 on out of memory
 * (the domain is failed).
 */
int	dom_decide(struct engine *, struct dom *, enum own_dir,
	    struct own_decision *);
/* the journaled records of the switched names (orig.rec.N); malloc'd */
size_t	dom_orig(const struct dom *, struct own_rec **);
/* the journaled old addresses ("old_ips"); returns the count */
size_t	dom_old_ips(const struct dom *, const char *out[OWN_MAX_ADDRS],
	    char buf[OWN_MAX_ADDRS][64]);
/* ask the target panel for the new addresses once per run */
void	engine_targets(struct engine *);
/* the switched labels of the journal's "names" ("mail lists webmail") */
#define DOM_MAX_LABELS	8
size_t	dom_labels(const struct dom *, char out[DOM_MAX_LABELS][64]);

/* steps (steps.c) */
void	step_prepare(struct engine *);
void	step_switch(struct engine *);
void	step_disable(struct engine *);
void	step_finish(struct engine *);
void	step_rollback(struct engine *);
/* mailboxes on the old server that grew since the switch (residual mail) */
void	step_residual(struct engine *, struct dom **, size_t);

/* DNS (authdns.c) */
enum expect { EXPECT_NEW, EXPECT_ORIG, EXPECT_SERIAL };
int	authdns_servers(struct engine *, struct dom **, size_t);
int	authdns_check(struct engine *, struct dom **, size_t, enum expect);
/* ask all servers until they agree (refreshing laggards) or sync_timeout */
int	authdns_converge(struct engine *, struct dom **, size_t, enum expect);
void	step_sync(struct engine *, int after_prepare);
void	step_verify(struct engine *);
int	authdns_wait_primary(struct engine *, struct dom **, size_t,
	    enum expect, unsigned long timeout_s);

/* plan (plan.c) */
void	step_plan(struct engine *);

/* gates: 0 when open, else the time it opens; `why` says what it waits for */
time_t	gate_switch(const struct engine *, const struct dom *);
time_t	gate_disable(const struct engine *, const struct dom *);
int	in_quiet_hours(const struct engine *);

#endif
