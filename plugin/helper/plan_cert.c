/* plan_cert.c -- plan's check of the new server's certificates. */
#include <stdio.h>
#include <string.h>

#include "dom.h"
#include "engine.h"
#include "mailprobe.h"
#include "plan_cert.h"

void
plan_cert(struct engine *e, struct dom *d, const char *new_ip,
    char *banner, size_t bsz)
{
	struct mailprobe p[MP__MAX];
	struct mailprobe_opts mo;
	struct mc_err err = { 0 };
	char host[320], okk[64] = "";
	long days = -1;
	size_t k, nok = 0;

	snprintf(host, sizeof(host), "mail.%s", d->zone);
	memset(&mo, 0, sizeof(mo));
	mo.cafile = e->cc->mail_cafile;
	mo.timeout_ms = 5000;
	memset(p, 0, sizeof(p));
	for (k = 0; k < MP__MAX; k++)
		p[k].kind = (enum mailprobe_kind)k;
	if (mailprobe_run(new_ip, host, p, MP__MAX, &mo, &err) != MC_OK) {
		dom_note(d, NOTE_WARN, "certificate for %s not checked: %s",
		    host, err.msg);
		return;
	}
	if (p[MP_SMTP].greeted)
		snprintf(banner, bsz, "%s", p[MP_SMTP].banner);
	for (k = 0; k < MP__MAX; k++) {
		const struct mailprobe *q = &p[k];
		const char *kn = mailprobe_kind_name(q->kind);
		if (q->result == MC_OK) {
			nok++;
			snprintf(okk + strlen(okk), sizeof(okk) - strlen(okk),
			    "%s%s", okk[0] ? "/" : "", kn);
			if (days < 0 || q->cert_days_left < days)
				days = q->cert_days_left;
			continue;
		}
		if (!q->connected)
			dom_note(d, NOTE_WARN, "%s on the new IP: nothing answers "
			    "on %s:%u yet (%s); the certificate for %s could "
			    "not be checked", kn, new_ip, q->port, q->msg, host);
		else if (q->tls && (!q->cert_chain_ok || !q->cert_name_ok))
			dom_note(d, NOTE_BLOCK, "%s on %s:%u: the certificate "
			    "(%s) is %s for %s: mail clients will refuse it "
			    "after the switch; install one for %s first (DNS-01 "
			    "works before the switch)", kn, new_ip, q->port,
			    q->cert_subject[0] ? q->cert_subject : "?",
			    !q->cert_chain_ok ? "not trusted or out of date" :
			    "not valid", host, host);
		else
			dom_note(d, NOTE_BLOCK, "%s on the new IP: %s", kn,
			    q->msg);
	}
	if (nok == MP__MAX && days < 14)
		dom_note(d, NOTE_WARN, "certificate for %s on %s expires in %ld "
		    "day%s: renew it before the cutover", host, new_ip, days,
		    days == 1 ? "" : "s");
	else if (nok > 0)
		dom_note(d, NOTE_CHECK, "certificate for %s on the new IP %s "
		    "valid (%s, %ld days left)", host, new_ip, okk, days);
}
