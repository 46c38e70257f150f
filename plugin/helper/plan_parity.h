/* plan_parity.h -- plan's mailbox parity: every mail name of the source
 * panel exists on the new one (field notes 3.2). */
#ifndef MC_PLAN_PARITY_H
#define MC_PLAN_PARITY_H

#include <stddef.h>

struct engine;
struct dom;

/* One note per domain: pass, warn (not checked, and why) or block (mail
 * names missing on the new panel, or the domain is not there). Two
 * batches: mail get_info on the source, then on the target. */
void	plan_parity(struct engine *, struct dom **, size_t);

#endif
