/* plan_ptr.c -- plan's PTR check: the new IP's reverse name, confirmed
 * forward, and the name the new MTA greets with. */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "dom.h"
#include "plan_ptr.h"
#include "text.h"
#include "valid.h"

static int
reverse_name(const char *ip, char *out, size_t sz)
{
	unsigned char b[16];
	size_t len = 0;
	int i;

	if (inet_pton(AF_INET, ip, b) == 1) {
		snprintf(out, sz, "%u.%u.%u.%u.in-addr.arpa", b[3], b[2], b[1],
		    b[0]);
		return 1;
	}
	if (inet_pton(AF_INET6, ip, b) != 1 || sz < 74)
		return 0;
	for (i = 15; i >= 0; i--)
		len += (size_t)snprintf(out + len, sz - len, "%x.%x.",
		    b[i] & 0xf, b[i] >> 4);
	snprintf(out + len, sz - len, "ip6.arpa");
	return 1;
}

void
plan_ptr(const struct dnsask *c, const char *ip, struct ptr_memo *m)
{
	struct dnsq q, a;
	char rev[100], name[256];
	size_t i, k;
	int rc, fam6 = valid_ipv6(ip);

	snprintf(m->ip, sizeof(m->ip), "%s", ip);
	m->name[0] = '\0';
	if (!reverse_name(ip, rev, sizeof(rev))) {
		m->kind = NOTE_WARN;
		snprintf(m->text, sizeof(m->text), "PTR: %s is not an IP", ip);
		return;
	}
	rc = dnsask_one(c, &q, rev, LDNS_RR_TYPE_PTR);
	if (rc != 0 || q.nanswers == 0) {
		m->kind = NOTE_WARN;
		snprintf(m->text, sizeof(m->text), "PTR: the new IP %s has no "
		    "PTR (%s %s: %s): receivers such as Gmail refuse or "
		    "spam-file mail from an IP without forward-confirmed "
		    "reverse DNS; ask whoever owns the IP block to set it",
		    ip, c->how, c->server ? c->server : "-", rc < 0 ? q.msg :
		    rc == 3 ? "NXDOMAIN" : rc == 0 ? "no PTR record" :
		    "error");
		dnsq_clear(&q);
		return;
	}
	for (i = 0; i < q.nanswers; i++) {
		snprintf(name, sizeof(name), "%s", q.answers[i]);
		if (name[0] && name[strlen(name) - 1] == '.')
			name[strlen(name) - 1] = '\0';
		rc = dnsask_one(c, &a, name, fam6 ? LDNS_RR_TYPE_AAAA :
		    LDNS_RR_TYPE_A);
		for (k = 0; rc == 0 && k < a.nanswers; k++)
			if (!strcmp(a.answers[k], ip)) {
				m->kind = NOTE_CHECK;
				snprintf(m->name, sizeof(m->name), "%s", name);
				snprintf(m->text, sizeof(m->text), "PTR: %s -> "
				    "%s -> %s (forward-confirmed)", ip, name,
				    ip);
				dnsq_clear(&a);
				dnsq_clear(&q);
				return;
			}
		dnsq_clear(&a);
	}
	m->kind = NOTE_WARN;
	snprintf(m->text, sizeof(m->text), "PTR: %s -> %s, but %s does not "
	    "resolve back to %s: the reverse DNS is not forward-confirmed "
	    "and receivers such as Gmail may refuse mail from the new server",
	    ip, name, name, ip);
	dnsq_clear(&q);
}

void
plan_ptr_helo(struct dom *d, const struct ptr_memo *m, const char *banner)
{
	char host[256];

	/* "220 host ESMTP ...": the name the MTA calls itself */
	if (m->kind != NOTE_CHECK || !text_word(banner, 1, host, sizeof(host)))
		return;
	if (strcasecmp(host, m->name) != 0)
		dom_note(d, NOTE_WARN, "PTR: the new server greets as %s but its "
		    "IP's PTR is %s: make its HELO name match the PTR", host,
		    m->name);
}
