/* dnstcp.h -- inside dnsprobe: a truncated answer asked again over TCP. */
#ifndef MC_DNSTCP_H
#define MC_DNSTCP_H

#include <stddef.h>

#include "dnsslot.h"

/* Put slot si in the queue for a TCP connection. */
void		 dnstcp_queue(struct probe *, size_t si);

/* One TCP try failed (why): queue it again while tries are left, else
 * the query fails. */
void		 dnstcp_retry(struct probe *, size_t si, const char *why);

/* Open the connection of a queued slot (counts as a try). */
void		 dnstcp_start(struct probe *, size_t si);

/* Progress on one connection after poll(2) said revents; MC_E_NOMEM is
 * the only failure (a broken connection is a failed try). */
enum mc_result	 dnstcp_step(struct probe *, size_t si, short revents,
		    struct mc_err *);

#endif
