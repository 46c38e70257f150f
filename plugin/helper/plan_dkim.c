/* plan_dkim.c -- plan's DKIM check: the key the new server signs with is
 * published and parses. */
#include <stdio.h>
#include <string.h>

#include <ldns/ldns.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "dom.h"
#include "engine.h"
#include "plan_dkim.h"

void
plan_dkim(const struct engine *e, const struct dnsask *c, struct dom *d)
{
	struct dnsq q;
	char name[320], b64[4096];
	const char *sel = e->cc->dkim_selector ? e->cc->dkim_selector :
	    "default";
	const char *rec = NULL, *p;
	unsigned char der[3072];
	const unsigned char *dp = der;
	EVP_PKEY *pk;
	size_t i, bl = 0;
	int rc, dl;

	snprintf(name, sizeof(name), "%s._domainkey.%s", sel, d->zone);
	rc = dnsask_one(c, &q, name, LDNS_RR_TYPE_TXT);
	if (rc < 0) {
		dom_note(d, NOTE_WARN, "DKIM: %s not checked: %s", name, q.msg);
		goto out;
	}
	for (i = 0; i < q.nanswers; i++)
		if (strstr(q.answers[i], "p=") != NULL) {
			rec = q.answers[i];
			break;
		}
	if (rec == NULL) {
		dom_note(d, NOTE_WARN, "DKIM: no key published at %s TXT (the "
		    "selector the new server signs with; Plesk uses "
		    "\"default\"): mail signed by the new server fails DKIM, "
		    "and under a DMARC reject/quarantine policy with an SPF "
		    "failure it is lost", name);
		goto out;
	}
	/* the p= tag: base64, white space allowed inside */
	for (p = rec; (p = strstr(p, "p=")) != NULL; p += 2)
		if (p == rec || p[-1] == ';' || p[-1] == ' ' || p[-1] == '\t')
			break;
	if (p == NULL) {
		dom_note(d, NOTE_WARN, "DKIM: %s has no p= tag", name);
		goto out;
	}
	for (p += 2; *p && *p != ';' && bl < sizeof(b64) - 1; p++)
		if (*p != ' ' && *p != '\t')
			b64[bl++] = *p;
	b64[bl] = '\0';
	if (*p != '\0' && *p != ';') {
		/* not cut into a key that would then fail as invalid */
		dom_note(d, NOTE_WARN, "DKIM: the key at %s is longer than %zu "
		    "base64 characters: not checked", name, sizeof(b64) - 1);
		goto out;
	}
	if (bl == 0) {
		dom_note(d, NOTE_WARN, "DKIM: the key at %s is revoked (empty "
		    "p=)", name);
		goto out;
	}
	if (bl % 4 != 0 || bl / 4 * 3 > sizeof(der) ||
	    (dl = EVP_DecodeBlock(der, (const unsigned char *)b64,
	    (int)bl)) < 0) {
		dom_note(d, NOTE_WARN, "DKIM: the p= value at %s is not valid "
		    "base64", name);
		goto out;
	}
	for (i = bl; i > 0 && b64[i - 1] == '='; i--)
		dl--;
	if ((pk = d2i_PUBKEY(NULL, &dp, dl)) == NULL) {
		dom_note(d, NOTE_WARN, "DKIM: the key at %s does not parse as "
		    "a public key (SubjectPublicKeyInfo): signatures cannot "
		    "verify", name);
		goto out;
	}
	dom_note(d, NOTE_CHECK, "DKIM: %s publishes a %d-bit %s key; the new "
	    "server must sign with its private key (copy the old server's "
	    "key, or publish the new one at the switch)", name,
	    EVP_PKEY_get_bits(pk), EVP_PKEY_get0_type_name(pk) ?
	    EVP_PKEY_get0_type_name(pk) : "?");
	EVP_PKEY_free(pk);
out:
	dnsq_clear(&q);
}
