/*
 * fuzz_spf.c -- the SPF evaluation of `plan` (RFC 7208 without macros).
 *
 * Drives plan_spf() (plugin/helper/plan_spf.c) -> spf_check() and its
 * static spf_eval(), ip_in(), spf_split(), spf_addr_match() and the
 * switched names (plugin/helper/spf.c, included here), once as DNS is
 * now and once with the switched names on the new IP. Its DNS questions
 * (dnsask_one() -> dnsprobe_run) are answered from the input instead of
 * the network: the harness renames dnsprobe_run for dnsask.c only
 * (included here). Links the helper's other objects
 * (build/fuzz/libmchelper.a) and libmcxmlrpc.a.
 *
 * Input (text): line 1 the new IP; line 2 the domain; every further
 * line "NAME TYPE DATA" (TYPE A, AAAA, MX, TXT; DATA as dnsprobe gives
 * it: "10 mx.example.test." for MX, the unquoted text for TXT), or
 * "NAME TYPE !SERVFAIL" / "!TIMEOUT". A name with no line at all is
 * NXDOMAIN; a name with lines of other types only is NOERROR, no data.
 */
#include "fuzz.h"

#include <strings.h>

#include "dnsprobe.h"

static enum mc_result fuzz_dns_answer(struct dnsq *, size_t,
    const struct dnsprobe_opts *, struct mc_err *);

#define dnsprobe_run fuzz_dns_answer
#include "../../plugin/helper/dnsask.c"
#undef dnsprobe_run
#include "../../plugin/helper/spf.c"

#include "dom.h"
#include "engine.h"
#include "plan_spf.h"

static char *zone_text;	/* the input's records, one per line */

static int
same_name(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);

	if (alen > 0 && a[alen - 1] == '.')
		alen--;
	if (blen > 0 && b[blen - 1] == '.')
		blen--;
	return alen == blen && strncasecmp(a, b, alen) == 0;
}

static enum mc_result
fuzz_dns_answer(struct dnsq *qs, size_t n, const struct dnsprobe_opts *o,
    struct mc_err *err)
{
	size_t i;

	(void)o;
	(void)err;
	for (i = 0; i < n; i++) {
		struct dnsq *q = &qs[i];
		const char *tn = q->type == LDNS_RR_TYPE_A ? "A" :
		    q->type == LDNS_RR_TYPE_AAAA ? "AAAA" :
		    q->type == LDNS_RR_TYPE_MX ? "MX" :
		    q->type == LDNS_RR_TYPE_TXT ? "TXT" : "?";
		const char *l = zone_text, *nl, *sp1, *sp2;
		int known = 0;

		dnsq_clear(q);
		q->result = MC_OK;
		q->rcode = 0;
		for (; l != NULL && *l != '\0'; l = nl ? nl + 1 : NULL) {
			char **a;
			nl = strchr(l, '\n');
			sp1 = memchr(l, ' ', nl ? (size_t)(nl - l) : strlen(l));
			if (sp1 == NULL || !same_name(l, (size_t)(sp1 - l),
			    q->name))
				continue;
			known = 1;
			sp2 = memchr(sp1 + 1, ' ', nl ? (size_t)(nl - sp1 - 1) :
			    strlen(sp1 + 1));
			if (sp2 == NULL || (size_t)(sp2 - sp1 - 1) != strlen(tn) ||
			    strncasecmp(sp1 + 1, tn, strlen(tn)) != 0)
				continue;
			sp2++;
			if (!strncmp(sp2, "!TIMEOUT", 8)) {
				dnsq_clear(q);
				q->result = MC_E_DNS;
				q->rcode = -1;
				break;
			}
			if (!strncmp(sp2, "!SERVFAIL", 9)) {
				dnsq_clear(q);
				q->rcode = 2;
				break;
			}
			if (q->nanswers >= 64)
				continue;
			a = realloc(q->answers, (q->nanswers + 1) * sizeof(*a));
			if (a == NULL)
				break;
			q->answers = a;
			q->answers[q->nanswers] = strndup(sp2, nl ?
			    (size_t)(nl - sp2) : strlen(sp2));
			if (q->answers[q->nanswers] == NULL)
				break;
			q->nanswers++;
		}
		if (!known && q->result == MC_OK)
			q->rcode = 3;	/* NXDOMAIN */
	}
	return MC_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *records[] = { "mail", "lists", "webmail" };
	struct cutover_conf cc;
	struct config conf;
	struct engine e;
	struct dnsask c;
	struct dom d;
	char *text, *ip, *dom, *nl;

	if (size > 16384 || (text = fuzz_str(data, size)) == NULL)
		return 0;
	ip = text;
	if ((nl = strchr(ip, '\n')) == NULL)
		goto out;
	*nl = '\0';
	dom = nl + 1;
	if ((nl = strchr(dom, '\n')) == NULL)
		goto out;
	*nl = '\0';
	zone_text = nl + 1;
	memset(&cc, 0, sizeof(cc));
	memset(&conf, 0, sizeof(conf));
	memset(&e, 0, sizeof(e));
	memcpy(cc.records, records, sizeof(records));
	cc.nrecords = 3;
	e.conf = &conf;
	e.cc = &cc;
	memset(&c, 0, sizeof(c));
	c.server = "192.0.2.53";
	c.port = 53;
	c.how = "fuzz";
	if (dom_init(&d, dom) && dom_str_set(&d.zone, d.name))
		plan_spf(&e, &c, &d, ip);
	dom_release(&d);
out:
	free(text);
	return 0;
}
