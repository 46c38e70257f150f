/* refresh.h -- make a lagging secondary name server catch up. */
#ifndef MC_REFRESH_H
#define MC_REFRESH_H

struct engine;
struct dom;
struct srv;

/*
 * Refresh secondary v of d's zone by its configured method (NOTIFY when
 * it has no [secondary] section): notify sends a NOTIFY of our own, rndc
 * runs `rndc refresh ZONE` (15 s at most), plesk disables and enables
 * the zone on the secondary's own panel, manual tells the operator. A
 * note and an audit line say what was done; v->refreshed is set.
 */
void	refresh_server(struct engine *, struct dom *, struct srv *);

#endif
