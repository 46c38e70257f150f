/* zone.h -- the source panel as the run sees it: each domain is resolved
 * and read once per command (records, SOA and zone status, mail
 * preferences, all batched), and the steps update that reading from the
 * panel's answers. A domain is read again only where the design asks for
 * it: after a lost answer, and the mail preferences after a disable. */
#ifndef MC_ZONE_H
#define MC_ZONE_H

#include <stddef.h>

struct engine;
struct dom;

/* Open the source panel once; 0 on failure: every active domain failed
 * and e->panel_failed holds the exit code. */
int	zone_source(struct engine *);

/*
 * Resolve and read every active domain not read yet in this run (and, if
 * want is not NULL, for which want() is 1): the site-id from the journal,
 * or from the panel by both forms of an IDN; then the records, the SOA
 * and zone status, and the mail preferences where the mail is the
 * domain's own, in as few packets as the batch size allows. A domain
 * that cannot be read fails. Returns 0 when the panel cannot be opened
 * or memory runs out (the domains failed), 1 otherwise.
 */
int	zone_read(struct engine *, int (*want)(const struct dom *));

/* Read these domains again (an answer was lost: never guess). */
int	zone_reread(struct engine *, struct dom **, size_t);

/* Read the mail preferences of these domains again (the disable's
 * proof); a domain whose preferences cannot be read fails. */
int	zone_read_mail(struct engine *, struct dom **, size_t);

/*
 * The new addresses: --new-ip / --new-ip6, else the config's, else each
 * domain's addresses on the target panel, asked once per run (only when
 * a family is still unknown), for the active domains (those for which
 * want() is 1 when want is not NULL).
 */
void	zone_targets(struct engine *, int (*want)(const struct dom *));

#endif
