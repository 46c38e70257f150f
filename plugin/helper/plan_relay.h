/* plan_relay.h -- plan's advice on step 3 (field notes 3.6): what the
 * old MX answers for a domain it does not serve, which is what it will
 * answer for this one once its mail is disabled. */
#ifndef MC_PLAN_RELAY_H
#define MC_PLAN_RELAY_H

#include "dom.h"

struct engine;

/* The RCPT every old server is asked: a domain nobody serves. */
#define PLAN_RELAY_RCPT	"postmaster@mailcutover-probe.invalid"

/* What one old server answered; many domains share one, so plan asks
 * once per address and copies the note. */
struct relay_memo {
	char		 ip[64];
	int		 code;		/* the RCPT reply; 0 none */
	enum note_kind	 kind;		/* NOTE_CHECK, NOTE_WARN, NOTE_INFO */
	char		 text[400];	/* the note */
};

/* Ask the SMTP server on old_ip:25 for RCPT TO PLAN_RELAY_RCPT (never
 * DATA) and say whether a disabled domain would bounce (5xx) or be
 * retried (4xx), and how to make it 4xx. */
void	plan_relay(const struct engine *, const char *old_ip,
	    struct relay_memo *);

#endif
