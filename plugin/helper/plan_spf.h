/* plan_spf.h -- plan's SPF check (field notes 3.5): will receivers
 * accept mail the new server sends for the domain? */
#ifndef MC_PLAN_SPF_H
#define MC_PLAN_SPF_H

#include "dnsask.h"

struct engine;
struct dom;

/*
 * The SPF result for new_ip now and once the switch is live (the
 * switched names then resolve to new_ip): a pass note, or a warning
 * saying what to add. A pass makes plan's literal SPF warnings
 * ("SPF \"...\" lists ip4:OLD but not the new IP") informational.
 */
void	plan_spf(const struct engine *, const struct dnsask *, struct dom *,
	    const char *new_ip);

#endif
