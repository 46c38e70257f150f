/* spf.c -- the SPF evaluator (RFC 7208 without macros; "ptr" is counted,
 * never matched, as section 5.5 advises). */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "spf.h"
#include "valid.h"

#define SPF_MAX_LOOKUPS	10	/* RFC 7208 4.6.4 */
#define SPF_MAX_DEPTH	10

static enum spf_res spf_check_at(struct spf *, const char *, int);

static const char *const names[SPF__MAX] = { "none", "neutral", "pass",
	"fail", "softfail", "temperror", "permerror" };

const char *
spf_res_name(enum spf_res r)
{
	return (unsigned)r < SPF__MAX ? names[r] : "?";
}

int
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

/* ip within net/cidr (same family); cidr < 0: the whole address */
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

/* a CIDR length of at most 128 digits up to '/' or the end; -2 if bad */
static int
cidr_of(const char *p)
{
	char num[8];
	size_t len = strcspn(p, "/");
	unsigned long v;

	if (len == 0 || len >= sizeof(num))
		return -2;
	memcpy(num, p, len);
	num[len] = '\0';
	return parse_ulong(num, 0, 128, &v) ? (int)v : -2;
}

/* is name one of the names taken to resolve to s->as? */
static int
taken(const struct spf *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nnames; i++)
		if (!strcasecmp(s->names[i], name))
			return 1;
	return 0;
}

/* any address of name (the ip's family) within cidr: 1, 0, -1 DNS error */
static int
addr_match(struct spf *s, const char *name, int c4, int c6)
{
	struct dnsq q;
	int six = valid_ipv6(s->ip), rc, hit = 0;
	size_t i;

	if (s->as != NULL && taken(s, name)) {
		hit = ip_in(s->ip, s->as, six ? c6 : c4);
		if (hit)
			s->used_switched = 1;
		return hit;
	}
	rc = dnsask_one(s->c, &q, name, six ? LDNS_RR_TYPE_AAAA :
	    LDNS_RR_TYPE_A);
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

/* "name/24//64" -> name (dflt when empty), c4, c6; 0 on a bad length */
static int
split(const char *arg, const char *dflt, char *name, size_t sz, int *c4,
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
		return 1;
	if (sl[1] != '/' && (*c4 = cidr_of(sl + 1)) < 0)
		return 0;
	if ((sl = strstr(sl, "//")) != NULL && (*c6 = cidr_of(sl + 2)) < 0)
		return 0;
	return 1;
}

/* ---- mechanisms: 1 match, 0 no match, -1 stop with *res ---- */

static int
mech_ip(struct spf *s, const char *t, const char *term, enum spf_res *res)
{
	char net[80];
	int cidr = -1;
	const char *sl = strchr(t + 4, '/');

	snprintf(net, sizeof(net), "%.*s", sl ? (int)(sl - t - 4) :
	    (int)strlen(t + 4), t + 4);
	if (sl != NULL && (cidr = cidr_of(sl + 1)) < 0) {
		snprintf(s->why, sizeof(s->why), "bad CIDR length in %s",
		    term);
		*res = SPF_PERMERROR;
		return -1;
	}
	return ip_in(s->ip, net, cidr);
}

static int
mech_include(struct spf *s, const char *t, const char *term, int depth,
    enum spf_res *res)
{
	enum spf_res r = spf_check_at(s, t + 8, depth + 1);

	if (r == SPF_TEMPERROR) {
		*res = r;
		return -1;
	}
	if (r == SPF_PERMERROR || r == SPF_NONE) {
		if (r == SPF_NONE)
			snprintf(s->why, sizeof(s->why), "%s: no SPF record "
			    "there", term);
		*res = SPF_PERMERROR;
		return -1;
	}
	return r == SPF_PASS;
}

static int
mech_mx(struct spf *s, const char *t, const char *dom, const char *term,
    enum spf_res *res)
{
	char name[256], mxn[256];
	const char *sp;
	struct dnsq x;
	size_t i;
	int c4, c6, m = 0;

	if (!split(t[2] == ':' ? t + 3 : t + 2, dom, name, sizeof(name), &c4,
	    &c6)) {
		snprintf(s->why, sizeof(s->why), "bad CIDR length in %s", term);
		*res = SPF_PERMERROR;
		return -1;
	}
	if (dnsask_one(s->c, &x, name, LDNS_RR_TYPE_MX) < 0) {
		snprintf(s->why, sizeof(s->why), "DNS lookup of %s MX failed",
		    name);
		dnsq_clear(&x);
		*res = SPF_TEMPERROR;
		return -1;
	}
	for (i = 0; i < x.nanswers && i < 10 && !m; i++) {
		sp = strchr(x.answers[i], ' ');
		snprintf(mxn, sizeof(mxn), "%s", sp ? sp + 1 : x.answers[i]);
		if (mxn[0] && mxn[strlen(mxn) - 1] == '.')
			mxn[strlen(mxn) - 1] = '\0';
		if ((m = addr_match(s, mxn, c4, c6)) < 0) {
			*res = SPF_TEMPERROR;
			break;
		}
	}
	dnsq_clear(&x);
	return m;
}

static int
mech_a(struct spf *s, const char *t, const char *dom, const char *term,
    enum spf_res *res)
{
	char name[256];
	int c4, c6, m;

	if (!split(t[1] == ':' ? t + 2 : t + 1, dom, name, sizeof(name), &c4,
	    &c6)) {
		snprintf(s->why, sizeof(s->why), "bad CIDR length in %s", term);
		*res = SPF_PERMERROR;
		return -1;
	}
	if ((m = addr_match(s, name, c4, c6)) < 0)
		*res = SPF_TEMPERROR;
	return m;
}

/* one mechanism t (the qualifier taken off) of dom's record */
static int
mechanism(struct spf *s, const char *dom, const char *t, const char *term,
    int depth, enum spf_res *res)
{
	struct dnsq x;
	int m;

	if (!strcasecmp(t, "all"))
		return 1;
	if (!strncasecmp(t, "ip4:", 4) || !strncasecmp(t, "ip6:", 4))
		return mech_ip(s, t, term, res);
	if (strncasecmp(t, "include:", 8) && strncasecmp(t, "exists:", 7) &&
	    strncasecmp(t, "a", 1) && strncasecmp(t, "mx", 2) &&
	    strncasecmp(t, "ptr", 3))
		goto unknown;
	if (++s->lookups > SPF_MAX_LOOKUPS) {
		snprintf(s->why, sizeof(s->why), "more than 10 DNS-querying "
		    "terms (RFC 7208 4.6.4) at %s", term);
		*res = SPF_PERMERROR;
		return -1;
	}
	if (!strncasecmp(t, "include:", 8))
		return mech_include(s, t, term, depth, res);
	if (!strncasecmp(t, "exists:", 7)) {
		m = dnsask_one(s->c, &x, t + 7, LDNS_RR_TYPE_A) == 0 &&
		    x.nanswers > 0;
		dnsq_clear(&x);
		return m;
	}
	if (!strncasecmp(t, "ptr", 3) && (t[3] == '\0' || t[3] == ':'))
		return 0;	/* deprecated (RFC 7208 5.5): not evaluated */
	if (!strncasecmp(t, "mx", 2) && (t[2] == '\0' || t[2] == ':' ||
	    t[2] == '/'))
		return mech_mx(s, t, dom, term, res);
	if ((t[0] == 'a' || t[0] == 'A') && (t[1] == '\0' || t[1] == ':' ||
	    t[1] == '/'))
		return mech_a(s, t, dom, term, res);
unknown:
	snprintf(s->why, sizeof(s->why), "unknown term %s", term);
	*res = SPF_PERMERROR;
	return -1;
}

/* the record's terms in order; then redirect=, or neutral */
static enum spf_res
eval_terms(struct spf *s, const char *dom, char *buf, int depth)
{
	char term[256], redirect[256] = "", *tok, *save = NULL;
	enum spf_res res = SPF_NEUTRAL;

	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ",
	    &save)) {
		char q = '+', *t = tok;
		int m;

		if (!strcasecmp(t, "v=spf1"))
			continue;
		/* a domain-spec is at most 253 bytes: a longer term is an
		   error, never cut into another one */
		if (strlen(tok) >= sizeof(term)) {
			snprintf(s->why, sizeof(s->why), "a term longer than "
			    "%zu bytes (%.40s...)", sizeof(term) - 1, tok);
			return SPF_PERMERROR;
		}
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
		if ((m = mechanism(s, dom, t, term, depth, &res)) < 0)
			return res;
		if (m) {
			if (depth == 0)
				snprintf(s->match, sizeof(s->match), "%s",
				    term);
			return q == '+' ? SPF_PASS : q == '-' ? SPF_FAIL :
			    q == '~' ? SPF_SOFTFAIL : SPF_NEUTRAL;
		}
	}
	if (redirect[0] == '\0')
		return SPF_NEUTRAL;
	if (++s->lookups > SPF_MAX_LOOKUPS) {
		snprintf(s->why, sizeof(s->why), "more than 10 DNS-querying "
		    "terms (RFC 7208 4.6.4)");
		return SPF_PERMERROR;
	}
	res = spf_check_at(s, redirect, depth + 1);
	if (depth == 0 && res != SPF_NONE)
		snprintf(s->match, sizeof(s->match), "redirect=%s", redirect);
	return res == SPF_NONE ? SPF_PERMERROR : res;
}

/* the record's terms, in a copy of any length */
static enum spf_res
eval(struct spf *s, const char *dom, const char *rec, int depth)
{
	enum spf_res res;
	char *buf;

	if ((buf = strdup(rec)) == NULL) {
		snprintf(s->why, sizeof(s->why), "out of memory");
		return SPF_TEMPERROR;
	}
	res = eval_terms(s, dom, buf, depth);
	free(buf);
	return res;
}

/* the one SPF record of dom (TXT "v=spf1 ..."), evaluated */
static enum spf_res
spf_check_at(struct spf *s, const char *dom, int depth)
{
	struct dnsq q;
	const char *rec = NULL;
	size_t i;
	int rc, nrec = 0;
	enum spf_res r;

	if (depth > SPF_MAX_DEPTH) {
		snprintf(s->why, sizeof(s->why), "include/redirect nested too "
		    "deep");
		return SPF_PERMERROR;
	}
	rc = dnsask_one(s->c, &q, dom, LDNS_RR_TYPE_TXT);
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
	r = eval(s, dom, rec, depth);
	dnsq_clear(&q);
	return r;
}

enum spf_res
spf_check(struct spf *s, const char *dom)
{
	return spf_check_at(s, dom, 0);
}
