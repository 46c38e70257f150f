/* panel.h -- open a configured panel: secret, TLS, protocol negotiation. */
#ifndef MC_PANEL_H
#define MC_PANEL_H

#include "config.h"
#include "plesk.h"

/*
 * Load the panel's secret (file or stdin), create the client and
 * negotiate the protocol. Warns on stderr on every run when insecure.
 * On success *out is owned by the caller (plesk_free).
 */
enum mc_result	 panel_open(const struct panel_conf *, struct plesk **,
		    struct mc_err *);

#endif
