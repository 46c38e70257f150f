/* panelcmd.h -- `mailcutover servers` and `mailcutover pin URL`. */
#ifndef MC_PANELCMD_H
#define MC_PANELCMD_H

#include "config.h"
#include "exitcode.h"

/* Each configured panel: reachable, authenticated, protocol and Plesk
 * version (JSON: "panels" and "exit"). The worst panel's exit code. */
enum exit_code	 panelcmd_servers(const struct config *, int argc, int json);

/* The public-key pin of a panel's certificate, read without
 * verification (the operator confirms it). argv[1] is the URL. */
enum exit_code	 panelcmd_pin(int argc, char **argv, int json);

#endif
