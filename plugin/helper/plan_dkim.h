/* plan_dkim.h -- plan's DKIM check (field notes 3.5). */
#ifndef MC_PLAN_DKIM_H
#define MC_PLAN_DKIM_H

#include "dnsask.h"

struct engine;
struct dom;

/*
 * SELECTOR._domainkey.ZONE TXT ([cutover] dkim_selector, Plesk's
 * "default"): a pass note naming the key's size and type, or a warning
 * (none published, revoked, not base64, not a public key).
 */
void	plan_dkim(const struct engine *, const struct dnsask *, struct dom *);

#endif
