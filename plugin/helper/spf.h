/* spf.h -- would an address pass a domain's SPF record: RFC 7208's
 * check_host() without macros, over one resolver (dnsask.h). */
#ifndef MC_SPF_H
#define MC_SPF_H

#include <stddef.h>

#include "dnsask.h"

enum spf_res {
	SPF_NONE,
	SPF_NEUTRAL,
	SPF_PASS,
	SPF_FAIL,
	SPF_SOFTFAIL,
	SPF_TEMPERROR,
	SPF_PERMERROR,
	SPF__MAX
};

/* "none", "neutral", "pass", ... */
const char	*spf_res_name(enum spf_res);

struct spf {
	/* what is asked */
	const struct dnsask	*c;		/* where questions go */
	const char		*ip;		/* the sender's address */
	/* names taken to resolve to `as` instead of asking DNS (the
	   switched names once the switch is live); nnames 0: none */
	const char *const	*names;
	size_t			 nnames;
	const char		*as;
	/* what it found */
	int			 lookups;	/* DNS-querying terms so far */
	int			 used_switched;	/* a name matched through `as` */
	char			 why[320];	/* of a temperror or permerror */
	char			 match[272];	/* the term that decided,
						   "redirect=" and its domain */
	char			 record[256];	/* the domain's SPF record */
};

/* The SPF result for s->ip from dom's record (s zeroed but for the
 * inputs). At most 10 DNS-querying terms (RFC 7208 4.6.4). */
enum spf_res	 spf_check(struct spf *, const char *dom);

/* 1 when an SPF TXT value lists ip as an ip4:/ip6: literal. */
int		 spf_lists(const char *spf, const char *ip);

#endif
