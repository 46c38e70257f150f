/* plan_cert.h -- plan's check of the new server's mail certificates
 * (field notes 3.3). */
#ifndef MC_PLAN_CERT_H
#define MC_PLAN_CERT_H

#include <stddef.h>

struct engine;
struct dom;

/*
 * SMTP 25/587 (STARTTLS), IMAPS and POP3S on new_ip with a certificate
 * valid for mail.<zone>: a pass note, a warning (nothing answers yet, or
 * it expires within 14 days) or a block (mail clients would refuse it).
 * banner gets the SMTP greeting line when there was one ("" otherwise).
 */
void	plan_cert(struct engine *, struct dom *, const char *new_ip,
	    char *banner, size_t);

#endif
