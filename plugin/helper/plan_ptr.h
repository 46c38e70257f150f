/* plan_ptr.h -- plan's PTR check (field notes 3.4): receivers such as
 * Gmail refuse mail from an IP without forward-confirmed reverse DNS. */
#ifndef MC_PLAN_PTR_H
#define MC_PLAN_PTR_H

#include "dnsask.h"
#include "dom.h"

/* What the check found for one IP; many domains share a new IP, so
 * plan asks once per IP and copies the note. */
struct ptr_memo {
	char		 ip[64];
	enum note_kind	 kind;		/* NOTE_CHECK or NOTE_WARN */
	char		 text[400];	/* the note */
	char		 name[256];	/* the confirmed PTR name, or "" */
};

/* The PTR of ip and whether that name resolves back to ip. */
void	plan_ptr(const struct dnsask *, const char *ip, struct ptr_memo *);

/* A warning when the SMTP greeting (banner) names another host than the
 * confirmed PTR. */
void	plan_ptr_helo(struct dom *, const struct ptr_memo *,
	    const char *banner);

#endif
