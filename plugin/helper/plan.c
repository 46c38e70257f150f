/* plan.c -- preflight: the exact diff, blockers and warnings; changes
 * nothing, not even the journal. */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "batch.h"
#include "dnsprobe.h"
#include "engine.h"
#include "host.h"
#include "mailprobe.h"
#include "panel.h"
#include "valid.h"

#define MAX_AT 16

static int
is_label(const struct engine *e, const char *rel)
{
	size_t i;

	for (i = 0; i < e->cc->nrecords; i++)
		if (strcmp(rel, e->cc->records[i]) == 0)
			return 1;
	return 0;
}

/* SPF: which ip4:/ip6: literals a TXT value lists */
static int
spf_lists(const char *spf, const char *ip)
{
	char pat[80];
	const char *p;
	size_t n;

	snprintf(pat, sizeof(pat), "%s:%s", valid_ipv6(ip) ? "ip6" : "ip4",
	    ip);
	n = strlen(pat);
	for (p = spf; (p = strstr(p, pat)) != NULL; p += n)
		if ((p == spf || p[-1] == ' ' || p[-1] == '+') &&
		    (p[n] == '\0' || p[n] == ' ' || p[n] == '/'))
			return 1;
	return 0;
}

/* ---------------------------------------------------------------------
 * Mail preflight (field notes 3.2-3.5): mailbox parity, the new server's
 * certificate, PTR, DKIM, SPF. Each check leaves one note or more:
 * pass (NOTE_CHECK), warn or block, with the reason.
 */

struct dnsctx {
	const char		*server;
	unsigned		 port;
	struct dnsprobe_opts	 o;
	const char		*how;	/* for messages */
};

static void
dns_ctx(const struct engine *e, struct dnsctx *c)
{
	memset(c, 0, sizeof(*c));
	c->o.timeout_ms = (int)e->cc->dns_timeout_ms;
	c->o.tries = 2;
	if (e->cc->resolver) {
		c->server = e->cc->resolver;
		c->port = 53;
		c->o.rd = 1;
		c->how = "resolver";
	} else {
		c->server = e->cc->primary_dns;
		c->port = (unsigned)e->cc->dns_port;
		c->how = "primary name server";
	}
}

/* one question; the rcode, or -1 when nothing answered (q is filled) */
static int
ask(const struct dnsctx *c, struct dnsq *q, const char *name, int type)
{
	struct mc_err err = { 0 };

	memset(q, 0, sizeof(*q));
	if (c->server == NULL)
		return -1;
	snprintf(q->server, sizeof(q->server), "%s", c->server);
	q->port = c->port;
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->type = type;
	if (dnsprobe_run(q, 1, &c->o, &err) != MC_OK || q->result != MC_OK)
		return -1;
	return q->rcode;
}

/* ---- mailbox parity ---- */

static int
has_name(const struct op *o, const char *name)
{
	size_t i;

	for (i = 0; o != NULL && i < o->nstrs; i++)
		if (!strcasecmp(o->strs[i], name))
			return 1;
	return 0;
}

static void
mail_parity(struct engine *e, struct dom **ds, size_t n)
{
	struct mc_err err = { 0 };
	struct batch *bs = NULL, *bt = NULL;
	struct site_ref *refs = NULL;
	struct op **so = NULL, **to = NULL;
	size_t i;

	if (n == 0)
		return;
	if (!e->conf->target.present) {
		for (i = 0; i < n; i++)
			dom_note(ds[i], NOTE_WARN, "mailbox parity not checked: "
			    "no [target] panel (the new server's Plesk) in the "
			    "configuration");
		return;
	}
	so = calloc(n, sizeof(*so));
	to = calloc(n, sizeof(*to));
	refs = calloc(n, sizeof(*refs));
	bs = batch_new();
	bt = batch_new();
	if (!so || !to || !refs || !bs || !bt)
		goto out;
	for (i = 0; i < n; i++) {
		refs[i].name = ds[i]->name;
		refs[i].alt = ds[i]->display[0] ? ds[i]->display : NULL;
		if (!dom_mail_ours(ds[i]))
			continue;	/* an alias has no mail names */
		if ((so[i] = batch_add(bs, OP_MAIL_GET_INFO)) == NULL ||
		    op_set_ids(so[i], &ds[i]->site_id, 1) != MC_OK)
			goto out;
	}
	if (bs->n > 0 && plesk_send(e->src, bs, &err) != MC_OK) {
		for (i = 0; i < n; i++)
			dom_note(ds[i], NOTE_WARN, "mailbox parity not checked: "
			    "source panel: %s", err.msg);
		goto out;
	}
	if (e->tgt == NULL && panel_open(&e->conf->target, &e->tgt, &err)) {
		for (i = 0; i < n; i++)
			dom_note(ds[i], NOTE_WARN, "mailbox parity not checked: "
			    "target panel: %s", err.msg);
		goto out;
	}
	plesk_resolve(e->tgt, refs, n, &err);
	for (i = 0; i < n; i++) {
		if (so[i] == NULL || refs[i].result != MC_OK || refs[i].id == 0 ||
		    refs[i].kind == SITE_ALIAS)
			continue;
		if ((to[i] = batch_add(bt, OP_MAIL_GET_INFO)) == NULL ||
		    op_set_ids(to[i], &refs[i].id, 1) != MC_OK)
			goto out;
	}
	if (bt->n > 0 && plesk_send(e->tgt, bt, &err) != MC_OK) {
		for (i = 0; i < n; i++)
			dom_note(ds[i], NOTE_WARN, "mailbox parity not checked: "
			    "target panel: %s", err.msg);
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct dom *d = ds[i];
		char missing[300];
		size_t k, nmiss = 0, len = 0;

		if (so[i] == NULL)
			continue;
		if (so[i]->result != MC_OK) {
			dom_note(d, NOTE_WARN, "mailbox parity not checked: the "
			    "source panel's mail get_info failed: %s",
			    so[i]->errtext ? so[i]->errtext : so[i]->msg);
			continue;
		}
		if (so[i]->nstrs == 0) {
			dom_note(d, NOTE_CHECK, "mailbox parity: no mail names "
			    "on the source panel: nothing to compare");
			continue;
		}
		if (refs[i].result != MC_OK || to[i] == NULL) {
			dom_note(d, NOTE_BLOCK, "mailbox parity: %s is not on the "
			    "new panel (%s): its %zu mail name%s would have "
			    "nowhere to go", d->name, refs[i].msg[0] ?
			    refs[i].msg : "not found", so[i]->nstrs,
			    so[i]->nstrs == 1 ? "" : "s");
			continue;
		}
		if (to[i]->result != MC_OK) {
			dom_note(d, NOTE_WARN, "mailbox parity not checked: the "
			    "new panel's mail get_info failed: %s",
			    to[i]->errtext ? to[i]->errtext : to[i]->msg);
			continue;
		}
		missing[0] = '\0';
		for (k = 0; k < so[i]->nstrs; k++) {
			if (has_name(to[i], so[i]->strs[k]))
				continue;
			nmiss++;
			if (len < sizeof(missing) - 1)
				len += (size_t)snprintf(missing + len,
				    sizeof(missing) - len, "%s%s@%s",
				    nmiss > 1 ? ", " : "", so[i]->strs[k],
				    d->zone);
		}
		if (nmiss > 0)
			dom_note(d, NOTE_BLOCK, "mailbox parity: %zu of %zu mail "
			    "name%s missing on the new panel: %s (create %s "
			    "there before the switch, or their mail bounces)",
			    nmiss, so[i]->nstrs, so[i]->nstrs == 1 ? "" : "s",
			    missing, nmiss == 1 ? "it" : "them");
		else
			dom_note(d, NOTE_CHECK, "mailbox parity: all %zu mail "
			    "name%s of the source panel exist on the new panel",
			    so[i]->nstrs, so[i]->nstrs == 1 ? "" : "s");
	}
out:
	batch_free(bs);
	batch_free(bt);
	free(so);
	free(to);
	free(refs);
}

/* ---- the new server's certificate for mail.<domain> ---- */

static void
cert_check(struct engine *e, struct dom *d, const char *new_ip,
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

/* ---- PTR and its forward confirmation ---- */

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

struct ptr_memo {
	char		 ip[64];
	enum note_kind	 kind;
	char		 text[400];
	char		 name[256];
};

static void
ptr_check(const struct dnsctx *c, const char *ip, struct ptr_memo *m)
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
	rc = ask(c, &q, rev, LDNS_RR_TYPE_PTR);
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
		rc = ask(c, &a, name, fam6 ? LDNS_RR_TYPE_AAAA :
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

/* ---- DKIM ---- */

static void
dkim_check(const struct engine *e, const struct dnsctx *c, struct dom *d)
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
	rc = ask(c, &q, name, LDNS_RR_TYPE_TXT);
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

/* ---- SPF: would the new IP pass (RFC 7208, without macros) ---- */

enum spf_res { SPF_NONE, SPF_NEUTRAL, SPF_PASS, SPF_FAIL, SPF_SOFTFAIL,
	SPF_TEMPERROR, SPF_PERMERROR };

static const char *const spf_names[] = { "none", "neutral", "pass", "fail",
	"softfail", "temperror", "permerror" };

struct spf {
	const struct engine	*e;
	const struct dnsctx	*c;
	const struct dom	*d;
	const char		*ip;
	const char		*new_ip;
	int			 after;		/* switched names -> new IP */
	int			 lookups;
	int			 used_switched;
	char			 why[200];
	char			 match[160];
	char			 record[256];
};

static int
ip_in(const char *ip, const char *net, int cidr)
{
	unsigned char a[16], b[16];
	int fam = valid_ipv6(ip) ? AF_INET6 : AF_INET, bits, i;

	if (valid_ipv6(net) != (fam == AF_INET6) || inet_pton(fam, ip, a) != 1 ||
	    inet_pton(fam, net, b) != 1)
		return 0;
	bits = fam == AF_INET6 ? 128 : 32;
	if (cidr < 0 || cidr > bits)
		cidr = bits;
	for (i = 0; i < cidr / 8; i++)
		if (a[i] != b[i])
			return 0;
	if (cidr % 8) {
		unsigned char mask = (unsigned char)(0xff << (8 - cidr % 8));
		if ((a[i] & mask) != (b[i] & mask))
			return 0;
	}
	return 1;
}

/* is name a switched name (label.zone) of this domain? */
static int
switched_name(const struct spf *s, const char *name)
{
	size_t i;
	char fq[320];

	for (i = 0; i < s->e->cc->nrecords; i++) {
		snprintf(fq, sizeof(fq), "%s.%s", s->e->cc->records[i],
		    s->d->zone);
		if (!strcasecmp(fq, name))
			return 1;
	}
	return 0;
}

/* any address of name (the ip's family) within cidr: 1, 0, -1 DNS error */
static int
spf_addr_match(struct spf *s, const char *name, int c4, int c6)
{
	struct dnsq q;
	int six = valid_ipv6(s->ip), rc, hit = 0;
	size_t i;

	if (s->after && switched_name(s, name)) {
		hit = ip_in(s->ip, s->new_ip, six ? c6 : c4);
		if (hit)
			s->used_switched = 1;
		return hit;
	}
	rc = ask(s->c, &q, name, six ? LDNS_RR_TYPE_AAAA : LDNS_RR_TYPE_A);
	if (rc < 0 || (rc != 0 && rc != 3)) {
		snprintf(s->why, sizeof(s->why), "DNS lookup of %s failed",
		    name);
		dnsq_clear(&q);
		return -1;
	}
	for (i = 0; i < q.nanswers && !hit; i++)
		hit = ip_in(s->ip, q.answers[i], six ? c6 : c4);
	dnsq_clear(&q);
	return hit;
}

/* "name/24//64" -> name, c4, c6 */
static void
spf_split(const char *arg, const char *dflt, char *name, size_t sz, int *c4,
    int *c6)
{
	const char *sl = strchr(arg, '/');
	size_t len = sl ? (size_t)(sl - arg) : strlen(arg);

	*c4 = *c6 = -1;
	if (len == 0)
		snprintf(name, sz, "%s", dflt);
	else
		snprintf(name, sz, "%.*s", (int)len, arg);
	if (sl == NULL)
		return;
	if (sl[1] != '/')
		*c4 = atoi(sl + 1);
	if ((sl = strstr(sl, "//")) != NULL)
		*c6 = atoi(sl + 2);
}

static enum spf_res spf_check(struct spf *, const char *, int);

static enum spf_res
spf_eval(struct spf *s, const char *dom, const char *rec, int depth)
{
	char buf[1024], name[256], term[256], *tok, *save = NULL;
	char redirect[256] = "";
	int c4, c6, m;

	snprintf(buf, sizeof(buf), "%s", rec);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ",
	    &save)) {
		char q = '+', *t = tok, *arg;
		enum spf_res r;

		if (!strcasecmp(t, "v=spf1"))
			continue;
		snprintf(term, sizeof(term), "%s", tok);
		if (strchr("+-~?", *t))
			q = *t++;
		if (strchr(t, '%')) {
			snprintf(s->why, sizeof(s->why), "%s uses a macro; "
			    "this check does not expand macros", term);
			return SPF_PERMERROR;
		}
		if (!strncasecmp(t, "redirect=", 9)) {
			snprintf(redirect, sizeof(redirect), "%s", t + 9);
			continue;
		}
		if (strchr(t, '=') && !strchr(t, ':'))
			continue;	/* exp= and unknown modifiers */
		arg = strpbrk(t, ":/");
		m = 0;
		if (!strcasecmp(t, "all"))
			m = 1;
		else if (!strncasecmp(t, "ip4:", 4) || !strncasecmp(t, "ip6:",
		    4)) {
			char net[80];
			int cidr = -1;
			const char *sl = strchr(t + 4, '/');
			snprintf(net, sizeof(net), "%.*s", sl ? (int)(sl - t -
			    4) : (int)strlen(t + 4), t + 4);
			if (sl)
				cidr = atoi(sl + 1);
			m = ip_in(s->ip, net, cidr);
		} else if (!strncasecmp(t, "include:", 8) ||
		    !strncasecmp(t, "exists:", 7) ||
		    !strncasecmp(t, "a", 1) || !strncasecmp(t, "mx", 2) ||
		    !strncasecmp(t, "ptr", 3)) {
			if (++s->lookups > 10) {
				snprintf(s->why, sizeof(s->why), "more than 10 "
				    "DNS-querying terms (RFC 7208 4.6.4) at "
				    "%s", term);
				return SPF_PERMERROR;
			}
			if (!strncasecmp(t, "include:", 8)) {
				r = spf_check(s, t + 8, depth + 1);
				if (r == SPF_TEMPERROR)
					return r;
				if (r == SPF_PERMERROR || r == SPF_NONE) {
					if (r == SPF_NONE)
						snprintf(s->why, sizeof(s->why),
						    "%s: no SPF record there",
						    term);
					return SPF_PERMERROR;
				}
				m = r == SPF_PASS;
			} else if (!strncasecmp(t, "exists:", 7)) {
				struct dnsq x;
				m = ask(s->c, &x, t + 7, LDNS_RR_TYPE_A) == 0 &&
				    x.nanswers > 0;
				dnsq_clear(&x);
			} else if (!strncasecmp(t, "ptr", 3) && (t[3] == '\0' ||
			    t[3] == ':')) {
				m = 0;	/* deprecated (RFC 7208 5.5): not
					   evaluated, counted */
			} else if (!strncasecmp(t, "mx", 2) && (t[2] == '\0' ||
			    t[2] == ':' || t[2] == '/')) {
				struct dnsq x;
				size_t i;
				int rc;
				spf_split(t[2] == ':' ? t + 3 : t + 2, dom, name,
				    sizeof(name), &c4, &c6);
				rc = ask(s->c, &x, name, LDNS_RR_TYPE_MX);
				if (rc < 0) {
					snprintf(s->why, sizeof(s->why), "DNS "
					    "lookup of %s MX failed", name);
					dnsq_clear(&x);
					return SPF_TEMPERROR;
				}
				for (i = 0; i < x.nanswers && i < 10 && !m;
				    i++) {
					char mxn[256], *sp;
					sp = strchr(x.answers[i], ' ');
					snprintf(mxn, sizeof(mxn), "%s",
					    sp ? sp + 1 : x.answers[i]);
					if (mxn[0] && mxn[strlen(mxn) - 1] ==
					    '.')
						mxn[strlen(mxn) - 1] = '\0';
					if ((m = spf_addr_match(s, mxn, c4,
					    c6)) < 0) {
						dnsq_clear(&x);
						return SPF_TEMPERROR;
					}
				}
				dnsq_clear(&x);
			} else if (t[0] == 'a' || t[0] == 'A') {
				if (t[1] != '\0' && t[1] != ':' && t[1] != '/')
					goto unknown;
				spf_split(t[1] == ':' ? t + 2 : t + 1, dom, name,
				    sizeof(name), &c4, &c6);
				if ((m = spf_addr_match(s, name, c4, c6)) < 0)
					return SPF_TEMPERROR;
			} else
				goto unknown;
		} else {
unknown:
			snprintf(s->why, sizeof(s->why), "unknown term %s",
			    term);
			return SPF_PERMERROR;
		}
		(void)arg;
		if (m) {
			if (depth == 0)
				snprintf(s->match, sizeof(s->match), "%s",
				    term);
			return q == '+' ? SPF_PASS : q == '-' ? SPF_FAIL :
			    q == '~' ? SPF_SOFTFAIL : SPF_NEUTRAL;
		}
	}
	if (redirect[0]) {
		enum spf_res r;
		if (++s->lookups > 10) {
			snprintf(s->why, sizeof(s->why), "more than 10 "
			    "DNS-querying terms (RFC 7208 4.6.4)");
			return SPF_PERMERROR;
		}
		r = spf_check(s, redirect, depth + 1);
		if (depth == 0 && r != SPF_NONE)
			snprintf(s->match, sizeof(s->match), "redirect=%s",
			    redirect);
		return r == SPF_NONE ? SPF_PERMERROR : r;
	}
	return SPF_NEUTRAL;
}

static enum spf_res
spf_check(struct spf *s, const char *dom, int depth)
{
	struct dnsq q;
	const char *rec = NULL;
	size_t i;
	int rc, nrec = 0;
	enum spf_res r;

	if (depth > 10) {
		snprintf(s->why, sizeof(s->why), "include/redirect nested too "
		    "deep");
		return SPF_PERMERROR;
	}
	rc = ask(s->c, &q, dom, LDNS_RR_TYPE_TXT);
	if (rc < 0 || (rc != 0 && rc != 3)) {
		snprintf(s->why, sizeof(s->why), "DNS lookup of %s TXT failed",
		    dom);
		dnsq_clear(&q);
		return SPF_TEMPERROR;
	}
	for (i = 0; i < q.nanswers; i++)
		if (!strncasecmp(q.answers[i], "v=spf1", 6) &&
		    (q.answers[i][6] == '\0' || q.answers[i][6] == ' ')) {
			rec = q.answers[i];
			nrec++;
		}
	if (nrec > 1) {
		snprintf(s->why, sizeof(s->why), "%s publishes %d SPF records",
		    dom, nrec);
		dnsq_clear(&q);
		return SPF_PERMERROR;
	}
	if (rec == NULL) {
		dnsq_clear(&q);
		return SPF_NONE;
	}
	if (depth == 0)
		snprintf(s->record, sizeof(s->record), "%s", rec);
	r = spf_eval(s, dom, rec, depth);
	dnsq_clear(&q);
	return r;
}

static void
spf_new_ip(const struct engine *e, const struct dnsctx *c, struct dom *d,
    const char *new_ip)
{
	struct spf now, after;
	enum spf_res rn, ra;

	memset(&now, 0, sizeof(now));
	now.e = e;
	now.c = c;
	now.d = d;
	now.ip = now.new_ip = new_ip;
	after = now;
	after.after = 1;
	rn = spf_check(&now, d->zone, 0);
	ra = spf_check(&after, d->zone, 0);
	if (rn == SPF_NONE) {
		dom_note(d, NOTE_WARN, "SPF: %s publishes no SPF record: "
		    "receivers cannot tell the new server %s from a forger",
		    d->zone, new_ip);
		return;
	}
	if (rn == SPF_PASS || ra == SPF_PASS) {
		/* the literal check of plan_one is moot then */
		size_t k;
		for (k = 0; k < d->nnotes; k++)
			if (d->notes[k].kind == NOTE_WARN &&
			    !strncmp(d->notes[k].text, "SPF \"", 5))
				d->notes[k].kind = NOTE_INFO;
	}
	if (rn == SPF_PASS)
		dom_note(d, NOTE_CHECK, "SPF: the new IP %s passes \"%s\" "
		    "already (matched by %s)", new_ip, now.record, now.match);
	else if (ra == SPF_PASS)
		dom_note(d, NOTE_CHECK, "SPF: the new IP %s passes \"%s\" once "
		    "the switch is live (matched by %s through the switched "
		    "names); until then, and for receivers with a stale cache, "
		    "it gets %s: add ip%c:%s to be safe", new_ip, after.record,
		    after.match, spf_names[rn], valid_ipv6(new_ip) ? '6' : '4',
		    new_ip);
	else
		dom_note(d, NOTE_WARN, "SPF: the new IP %s would get %s from "
		    "\"%s\"%s%s%s: mail the new server sends may be refused; "
		    "add ip%c:%s before the switch", new_ip, spf_names[ra],
		    after.record, after.why[0] || after.match[0] ? " (" : "",
		    after.why[0] ? after.why : after.match[0] ? after.match :
		    "", after.why[0] || after.match[0] ? ")" : "",
		    valid_ipv6(new_ip) ? '6' : '4', new_ip);
}

/* every mail check of the active domains */
static void
mail_preflight(struct engine *e, struct dom **ds, size_t n,
    const char **new_ips)
{
	struct dnsctx c;
	struct ptr_memo *memo;
	size_t i, k, nmemo = 0;

	dns_ctx(e, &c);
	mail_parity(e, ds, n);
	if ((memo = calloc(n + 1, sizeof(*memo))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		struct dom *d = ds[i];
		const char *ip = new_ips[i];
		char banner[256] = "";

		if (ip == NULL || !valid_ip(ip))
			continue;
		cert_check(e, d, ip, banner, sizeof(banner));
		for (k = 0; k < nmemo && strcmp(memo[k].ip, ip); k++)
			;
		if (k == nmemo)
			ptr_check(&c, ip, &memo[nmemo++]);
		dom_note(d, memo[k].kind, "%s", memo[k].text);
		if (memo[k].kind == NOTE_CHECK && banner[0]) {
			/* "220 host ESMTP ...": the name the MTA calls itself */
			char host[256] = "";
			sscanf(banner, "%*s %255s", host);
			if (host[0] && strcasecmp(host, memo[k].name))
				dom_note(d, NOTE_WARN, "PTR: the new server "
				    "greets as %s but its IP's PTR is %s: "
				    "make its HELO name match the PTR", host,
				    memo[k].name);
		}
		dkim_check(e, &c, d);
		spf_new_ip(e, &c, d, ip);
	}
	free(memo);
}

static int verdict_plan(struct dom *, const struct own_decision *);

/* what else in the zone points at an old address: not switched */
static void
plan_elsewhere(struct engine *e, struct dom *d,
    const struct own_decision *dec, const char *new_ip)
{
	const struct dns_record *t[MAX_AT];
	struct own_facts f;
	char rel[256], trel[256], mx[256], canon[64];
	size_t i, k, q, m;

	memset(&f, 0, sizeof(f));
	for (k = 0; k < dec->nold; k++)
		f.old[f.nold++] = dec->old[k];
	for (i = 0; i < d->nrecs; i++) {
		const struct dns_record *r = &d->recs[i];
		if (!host_relative(r->host, d->zone, rel, sizeof(rel)))
			snprintf(rel, sizeof(rel), "%s", r->host);
		if (own_classify(&f, r->type, r->value, canon, sizeof(canon)) ==
		    OWN_OLD && !is_label(e, rel))
			dom_note(d, NOTE_WARN, "%s%s%s %s %s also points at the "
			    "old server and is not switched", rel, rel[0] ?
			    "." : "", d->zone, r->type, canon);
		if (!strcasecmp(r->type, "CNAME") && host_relative(r->value,
		    d->zone, trel, sizeof(trel)) && !is_label(e, trel)) {
			m = dom_records_at(d, trel, t, MAX_AT);
			for (q = 0; q < m; q++)
				if (own_classify(&f, t[q]->type, t[q]->value,
				    canon, sizeof(canon)) == OWN_OLD)
					dom_note(d, NOTE_WARN, "%s.%s CNAME %s "
					    "leads to the old server", rel,
					    d->zone, r->value);
		}
		if (!strcasecmp(r->type, "MX")) {
			host_norm(r->value, mx, sizeof(mx));
			if (!host_relative(mx, d->zone, rel, sizeof(rel)) ||
			    !is_label(e, rel))
				dom_note(d, NOTE_WARN, "MX %s %s is not one of "
				    "the switched names: inbound mail does not "
				    "follow the switch", r->opt, r->value);
		}
		if (!strcasecmp(r->type, "TXT") && new_ip != NULL &&
		    !strncasecmp(r->value, "v=spf1", 6))
			for (k = 0; k < dec->nold; k++)
				if (spf_lists(r->value, dec->old[k]) &&
				    !spf_lists(r->value, new_ip))
					dom_note(d, NOTE_WARN, "SPF \"%s\" lists "
					    "ip%c:%s but not the new IP %s: mail "
					    "sent from the new server may fail "
					    "SPF; add it before the switch",
					    r->value, valid_ipv6(dec->old[k]) ?
					    '6' : '4', dec->old[k], new_ip);
	}
}

/* one note per record at the switched names: what the switch does */
static size_t
plan_names(struct engine *e, struct dom *d, const struct own_decision *dec)
{
	const struct dns_record *at[MAX_AT];
	size_t i, k, n = 0;
	int seen;

	for (i = 0; i < e->cc->nrecords; i++) {
		const char *l = e->cc->records[i];
		seen = dom_records_at(d, l, at, MAX_AT) > 0;
		for (k = 0; k < dec->nmanaged; k++) {
			const struct own_rec *r = &dec->managed[k];
			int six = strcmp(r->type, "AAAA") == 0;
			const char *nw = six ? dec->new6 : dec->new4;
			if (strcmp(r->label, l) != 0)
				continue;
			if (r->cls == OWN_NEW)
				dom_note(d, NOTE_INFO, "%s.%s %s %s: already "
				    "switched", l, d->zone, r->type, r->value);
			else if (nw[0] != '\0') {
				dom_note(d, NOTE_DIFF, "%s.%s %s %s -> %s "
				    "(record %lu)", l, d->zone, r->type,
				    r->value, nw, r->id);
				n++;
			} else if (six && dec->drop_aaaa) {
				dom_note(d, NOTE_DIFF, "%s.%s AAAA %s: removed, "
				    "no new IPv6 (--drop-aaaa; rollback puts it "
				    "back)", l, d->zone, r->value);
				n++;
			}
		}
		for (k = 0; k < dec->nothers; k++) {
			const struct own_rec *r = &dec->others[k];
			if (strcmp(r->label, l) != 0)
				continue;
			if (r->cls == OWN_BAD)
				dom_note(d, NOTE_WARN, "%s.%s %s \"%s\" is not an "
				    "IP address: left alone", l, d->zone,
				    r->type, r->value);
			else
				dom_note(d, NOTE_INFO, "%s.%s %s %s is not the "
				    "old server's: left alone", l, d->zone,
				    r->type, r->value);
		}
		if (!seen)
			dom_note(d, NOTE_WARN, "%s.%s has no A or AAAA record; "
			    "it will not be switched", l, d->zone);
	}
	return n;
}

/*
 * Plan one domain: the shared decision (owner.h), said in notes; the
 * same decision prepare, switch and rollback will act on.
 */
static void
plan_one(struct engine *e, struct dom *d, char new_ip[64])
{
	struct own_decision dec;
	char olds[OWN_MAX_ADDRS * 66] = "";
	size_t i, used = 0, n;

	new_ip[0] = '\0';
	if (!dom_decide(e, d, OWN_FORWARD, &dec))
		return;
	snprintf(new_ip, 64, "%s", dec.new4);
	for (i = 0; i < dec.nold && used < sizeof(olds); i++)
		used += (size_t)snprintf(olds + used, sizeof(olds) - used,
		    "%s%s", i ? " " : "", dec.old[i]);
	dom_note(d, NOTE_INFO, "%s %lu on the source panel; zone %s is %s, "
	    "%s; the old server's addresses for it: %s (%s)",
	    d->kind != SITE_NONE ? site_kind_name(d->kind) : "site",
	    d->site_id, d->zone, d->zone_enabled == 1 ? "enabled" :
	    "disabled", d->zone_master ? "master" : "slave", olds[0] ? olds :
	    "none", e->nold_ip || e->cc->nold_ip ? "as given" :
	    "as the panel reports them");
	n = plan_names(e, d, &dec);
	if (!verdict_plan(d, &dec)) {
		own_decision_clear(&dec);
		return;
	}
	if (d->soa.ttl > e->cc->lowered_ttl)
		dom_note(d, NOTE_DIFF, "zone TTL %lu -> %lu (switch possible "
		    "%lu s after every name server serves it; restored to %lu "
		    "at the end)", d->soa.ttl, e->cc->lowered_ttl, d->soa.ttl,
		    e->cc->restored_ttl);
	else
		dom_note(d, NOTE_INFO, "zone TTL %lu is already at or below "
		    "%lu: no change, no wait", d->soa.ttl, e->cc->lowered_ttl);
	if (!dom_mail_ours(d))
		dom_note(d, NOTE_INFO, "mail: the mail of %s %s is its site's "
		    "mail: not disabled at step 3 (migrate the site for that)",
		    site_kind_name(d->kind), d->name);
	else
		dom_note(d, NOTE_INFO, "mail on the old server: %s%s",
		    d->mailservice == 0 ? "off" : "on", d->mailservice == 0 ?
		    " (step 3 has nothing to do)" : " (disabled at step 3)");
	plan_elsewhere(e, d, &dec, dec.new4[0] ? dec.new4 : NULL);
	if (d->zone_enabled != 1)
		dom_note(d, NOTE_WARN, "the zone is disabled on the source "
		    "panel: manual DNS mode");
	dom_done(d, "%zu record%s to switch from %s to %s%s%s", n,
	    n == 1 ? "" : "s", olds, dec.new4[0] ? dec.new4 : "",
	    dec.new4[0] && dec.new6[0] ? " and " : "", dec.new6);
	snprintf(d->next, sizeof(d->next), "prepare");
	own_decision_clear(&dec);
}

/* plan's outcome of a decision with nothing to do; 1: something to do */
static int
verdict_plan(struct dom *d, const struct own_decision *dec)
{
	switch (dec->verdict) {
	case OWN_REFUSED:
		dom_note(d, NOTE_BLOCK, "%s", dec->reason);
		dom_outcome(d, DR_REFUSED, "refused: %s", dec->reason);
		return 0;
	case OWN_SKIP:
		dom_outcome(d, DR_SKIPPED, "skipped: %s; nothing here is the "
		    "old server's to move", dec->reason);
		return 0;
	case OWN_ALREADY:
		dom_outcome(d, DR_ALREADY, "already on the new IP %s: nothing "
		    "to do", dec->new4[0] ? dec->new4 : dec->new6);
		return 0;
	case OWN_SWITCH:
		break;
	}
	return 1;
}

void
step_plan(struct engine *e)
{
	struct dom **ds;
	const char **nips;
	char (*buf)[64];
	size_t i, k, s, n = 0;

	if (!engine_read(e))
		return;
	buf = calloc(e->n + 1, sizeof(*buf));
	ds = calloc(e->n + 1, sizeof(*ds));
	nips = calloc(e->n + 1, sizeof(*nips));
	if (buf == NULL || ds == NULL || nips == NULL)
		goto out;
	engine_targets(e);
	for (i = 0; i < e->n; i++) {
		struct dom *d = &e->doms[i];
		if (d->skip || d->res == DR_FAILED)
			continue;
		plan_one(e, d, buf[n]);
		if (d->res == DR_DONE && !d->skip) {
			nips[n] = buf[n][0] ? buf[n] : NULL;
			ds[n++] = d;
		}
	}
	/* mail preflight; a blocker found there stops the domain too */
	mail_preflight(e, ds, n, nips);
	for (i = 0; i < n; i++) {
		struct dom *d = ds[i];
		for (k = 0; k < d->nnotes; k++)
			if (d->notes[k].kind == NOTE_BLOCK)
				break;
		if (k < d->nnotes && d->res != DR_FAILED) {
			dom_fail(d, "blocked (see the notes); nothing was "
			    "changed");
			d->next[0] = '\0';
		}
	}
	/* the name servers as they answer now, and who is primary */
	if (n > 0 && authdns_servers(e, ds, n)) {
		authdns_check(e, ds, n, EXPECT_SERIAL);
		for (i = 0; i < n; i++) {
			struct dom *d = ds[i];
			if (d->res == DR_FAILED)
				continue;
			for (s = 0; s < d->nsrv; s++)
				dom_note(d, NOTE_INFO, "%s name server %s (%s): "
				    "%s; refresh by %s", d->srv[s].primary ?
				    "primary" : "secondary", d->srv[s].name,
				    d->srv[s].addr, d->srv[s].seen,
				    d->srv[s].primary ? "-" : d->srv[s].sc ?
				    refresh_method_name(d->srv[s].sc->method) :
				    "notify");
			dom_note(d, NOTE_INFO, "%s", d->zone_enabled == 1 &&
			    d->zone_master ? "primary DNS is this panel: the "
			    "helper changes the records" : "primary DNS is "
			    "elsewhere (manual DNS mode): the helper shows the "
			    "changes and checks them by DNS");
		}
	}
out:
	/* plan writes nothing: drop what reading put in memory */
	free(buf);
	free(ds);
	free(nips);
}
