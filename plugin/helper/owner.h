/* owner.h -- what is ours: the one decision that plan, every step and
 * rollback share. */
#ifndef MC_OWNER_H
#define MC_OWNER_H

#include <stddef.h>

#include "err.h"
#include "op.h"

/*
 * The helper changes only what belongs to the old server. For each
 * switched name (mail, lists, webmail) only the A and AAAA records whose
 * address is one of the old server's addresses for that domain -- as the
 * source panel reports them (gen_info dns_ip_address) or as the operator
 * gives them (--old-ip, old_ip) -- are ours. Never the value of whatever
 * record happens to be there: a name on a third server's address is left
 * alone, and so is a domain that has nothing of ours.
 *
 * A record is "managed" when its address is an old or a new address: the
 * switch replaces the old ones by the new ones, a rollback restores the
 * managed records exactly as they were. Everything else at a switched name
 * (a third server's address, a value that is not an address, other types)
 * is never touched and keeps its id.
 */

/* old addresses of one domain: the operator's (--old-ip, old_ip: at most
 * OWN_MAX_GIVEN) and the panel's own IPv4 and IPv6 */
#define OWN_MAX_GIVEN	8
#define OWN_MAX_ADDRS	(OWN_MAX_GIVEN + 2)
#define OWN_MAX_LABELS	8	/* switched names (config records) */

enum own_class {
	OWN_OTHER,	/* not ours: never touched */
	OWN_OLD,	/* on an old address: ours, replaced by the switch */
	OWN_NEW,	/* on a new address: ours after the switch */
	OWN_BAD,	/* A/AAAA whose value is not an address: reported */
};

enum own_verdict {
	OWN_SWITCH,	/* a switched name has a record on an old address */
	OWN_ALREADY,	/* the switched names are on the new address only */
	OWN_SKIP,	/* nothing at the switched names is on the old server */
	OWN_REFUSED,	/* ours, but not done: the reason says why */
};

/* One A/AAAA record of a switched name, as read or as journaled. */
struct own_rec {
	char		 label[64];	/* relative to the zone, "mail" */
	char		 type[8];	/* "A" or "AAAA" */
	char		 value[64];	/* canonical address text */
	unsigned long	 id;		/* 0 when not known (journaled) */
	enum own_class	 cls;
};

/* What the decision needs: facts from the panel and the operator. */
struct own_facts {
	const char		 *zone;		/* ASCII zone name */
	const struct dns_record	 *recs;		/* the zone as read now */
	size_t			  nrecs;
	char *const		 *labels;	/* configured switched names */
	size_t			  nlabels;
	const char		 *old[OWN_MAX_ADDRS];	/* old addresses */
	size_t			  nold;
	const char		 *new4, *new6;	/* NULL when not known */
	int			  drop_aaaa;	/* remove our AAAA, add none */
	/* rollback: the managed records as journaled before the switch */
	const struct own_rec	 *orig;
	size_t			  norig;
};

/* A change to make: add (id 0) or delete (id of the record). */
struct own_change {
	struct own_rec	 rec;
	int		 del;
};

struct own_decision {
	enum own_verdict verdict;
	char		 reason[400];	/* OWN_SKIP, OWN_REFUSED */
	/* managed records at the switched names now, per name in order */
	struct own_rec	*managed;
	size_t		 nmanaged;
	/* records at the switched names that are not ours (for notes) */
	struct own_rec	*others;
	size_t		 nothers;
	/* forward: the switch; back: the rollback. Adds first, then
	 * deletes; a delete is only ever of a managed record. */
	struct own_change *changes;
	size_t		 nchanges;
	/* the names that have something of ours (switch: journal "names") */
	char		 names[OWN_MAX_LABELS * 64];
	/* what it was decided from, canonical (the journal keeps it) */
	char		 old[OWN_MAX_ADDRS][64];
	size_t		 nold;
	char		 new4[64], new6[64];	/* "" when not known */
	int		 drop_aaaa;
};

enum own_dir { OWN_FORWARD, OWN_BACK };

/*
 * The decision. Forward: which records the switch replaces at each name,
 * and the verdict. Back: what restores the journaled managed records
 * (f->orig) exactly. Returns MC_OK, or MC_E_NOMEM.
 */
enum mc_result	 own_decide(const struct own_facts *, enum own_dir,
		    struct own_decision *, struct mc_err *);
void		 own_decision_clear(struct own_decision *);

/* The class of one address value given the facts (for notes). */
enum own_class	 own_classify(const struct own_facts *, const char *type,
		    const char *value, char *canon, size_t);

/*
 * What every authoritative server must answer for label/type once the
 * change is live, from the journaled records of the switched names (all
 * classes). Forward: the new address where the name had one of ours, and
 * none of the old addresses. Back: every journaled managed record, and no
 * new address that was not there before. Records that are not ours are
 * not checked (they are not ours to wait for; the SOA serial covers the
 * rest of the zone). Fills `must` and `mustnot` (at most `max` each).
 */
void		 own_expect(const struct own_rec *orig, size_t norig,
		    enum own_dir, const char *const *old, size_t nold,
		    const char *new4, const char *new6, int drop_aaaa,
		    const char *label, const char *type,
		    const char **must, size_t *nmust,
		    const char **mustnot, size_t *nmustnot, size_t max);

/* "mail|A|127.0.2.10|old|107" <-> struct own_rec (journal form) */
int		 own_rec_format(const struct own_rec *, char *, size_t);
int		 own_rec_parse(const char *, struct own_rec *);

/* 1 when a and b are the same address (any spelling) */
int		 own_addr_equal(const char *a, const char *b);

/* canonical text of an IPv4/IPv6 address (trimmed); 0 if not one */
int		 own_addr_canon(const char *in, char *out, size_t);

#endif
