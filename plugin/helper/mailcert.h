/* mailcert.h -- the mail server's certificate, judged (field notes 3.3). */
#ifndef MC_MAILCERT_H
#define MC_MAILCERT_H

#include "err.h"
#include "mailconn.h"
#include "mailprobe.h"

/*
 * After the handshake on c: fill p's certificate fields (subject, chain
 * verified against the trust anchors, in date, valid for host, days
 * left). MC_OK when it is acceptable; MC_E_TLS (c->msg says why) when
 * there is none, it does not verify or it is not for host.
 */
enum mc_result	 mailcert_check(struct conn *, struct mailprobe *,
		    const char *host);

#endif
