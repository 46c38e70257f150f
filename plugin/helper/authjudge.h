/* authjudge.h -- what every authoritative server must answer: the judge
 * of authdns's polling (dnspoll.h), one item per server of a zone. */
#ifndef MC_AUTHJUDGE_H
#define MC_AUTHJUDGE_H

#include <stddef.h>

#include "dnspoll.h"

struct engine;
struct dom;

/* What every server must serve (owner.h own_expect says exactly what). */
enum expect {
	EXPECT_NEW,	/* the switch: the new addresses, none of the old */
	EXPECT_ORIG,	/* the rollback: the journaled records */
	EXPECT_SERIAL,	/* prepare: the lowered TTL (at most) */
};

/* one item's server: d->srv[s]; the domain's items start at first (the
 * primary's, the lead) */
struct authitem {
	struct dom	*d;
	size_t		 s;
	size_t		 first;
};

struct authjudge {
	struct engine		*e;
	enum expect		 ex;
	int			 primary_only;	/* the primary alone */
	int			 refresh;	/* refresh laggards */
	struct dnspoll_item	*items;
};

/*
 * The judge: a server's SOA first; the primary's serial is the target
 * and its names are asked at once; a secondary's names once it serves
 * the primary's serial (a newer one asks the primary again). Names are
 * asked again only at a new serial. With refresh, a secondary still
 * behind at its third poll, while its server matched nothing for a
 * second, is refreshed by its method, again at most every 10 s.
 */
extern const struct dnspoll_judge authjudge_ops;

/* the questions of one domain's switched names (A, and AAAA where the
 * journal has any) into out (name and type); their count */
size_t	authjudge_names(const struct dom *, struct dnsq *out, size_t max);

#endif
