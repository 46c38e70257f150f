/* dnsask.h -- one DNS question at a time to the resolver the preflight's
 * mail checks use: [cutover] resolver (recursion desired), else the
 * primary name server (which answers only for the zones it serves). */
#ifndef MC_DNSASK_H
#define MC_DNSASK_H

#include "config.h"
#include "dnsprobe.h"

struct dnsask {
	const char		*server;	/* NULL: none configured */
	unsigned		 port;
	struct dnsprobe_opts	 o;
	const char		*how;		/* "resolver", for messages */
};

void	dnsask_init(struct dnsask *, const struct cutover_conf *);

/* One question: the rcode, or -1 when nothing answered. q is filled
 * either way (the caller clears it: dnsq_clear). */
int	dnsask_one(const struct dnsask *, struct dnsq *q, const char *name,
	    int type);

#endif
