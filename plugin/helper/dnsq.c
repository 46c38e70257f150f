/* dnsq.c -- one DNS question: its answer taken from a packet as text,
 * its messages, its release. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dnsq.h"

#define CNAME_HOPS	8

static const struct {
	int		 type;
	const char	*name;
} types[] = {
	{ LDNS_RR_TYPE_A, "A" }, { LDNS_RR_TYPE_AAAA, "AAAA" },
	{ LDNS_RR_TYPE_SOA, "SOA" }, { LDNS_RR_TYPE_NS, "NS" },
	{ LDNS_RR_TYPE_MX, "MX" }, { LDNS_RR_TYPE_TXT, "TXT" },
	{ LDNS_RR_TYPE_PTR, "PTR" }, { LDNS_RR_TYPE_CNAME, "CNAME" },
};

const char *
dnsq_type_name(int type)
{
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == type)
			return types[i].name;
	return NULL;
}

/* Format into q->msg; a message that does not fit ends in "...". */
void
dnsq_msg(struct dnsq *q, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(q->msg, sizeof(q->msg), fmt, ap);
	va_end(ap);
	if (r < 0)
		q->msg[0] = '\0';
	else if ((size_t)r >= sizeof(q->msg))
		memcpy(q->msg + sizeof(q->msg) - 4, "...", 4);
}

/* "127.0.54.9" for port 53, else "127.0.54.9 port 5353". */
const char *
dnsq_server_text(const struct dnsq *q, char *buf, size_t sz)
{
	unsigned port = q->port ? q->port : 53;

	if (port == 53)
		snprintf(buf, sz, "%s", q->server);
	else
		snprintf(buf, sz, "%s port %u", q->server, port);
	return buf;
}

/* The name without its trailing dot (unless it is the root). */
const char *
dnsq_name_text(const struct dnsq *q, char *buf, size_t sz)
{
	size_t len = strlen(q->name);

	if (len > 1 && q->name[len - 1] == '.')
		len--;
	snprintf(buf, sz, "%.*s", (int)len, q->name);
	return buf;
}

/* TXT character-strings joined, unquoted; bytes outside ' '..'~' as \DDD. */
static char *
txt_text(const ldns_rr *rr)
{
	size_t i, k, total = 0, o = 0;
	char *s;

	for (i = 0; i < ldns_rr_rd_count(rr); i++)
		total += ldns_rdf_size(ldns_rr_rdf(rr, i));
	if ((s = malloc(total * 4 + 1)) == NULL)
		return NULL;
	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);
		const uint8_t *d = ldns_rdf_data(f);
		size_t sz = ldns_rdf_size(f), len;

		if (ldns_rdf_get_type(f) != LDNS_RDF_TYPE_STR || sz < 1 ||
		    (len = d[0]) + 1 > sz)
			continue;
		for (k = 1; k <= len; k++) {
			if (d[k] >= ' ' && d[k] <= '~')
				s[o++] = (char)d[k];
			else
				o += (size_t)snprintf(s + o, 5, "\\%03u", d[k]);
		}
	}
	s[o] = '\0';
	return s;
}

/* The rdata of rr as text, fields separated by one space (malloc'd). */
static char *
rdata_text(const ldns_rr *rr)
{
	ldns_buffer *b;
	char *s = NULL;
	size_t i;

	if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_TXT)
		return txt_text(rr);
	if ((b = ldns_buffer_new(128)) == NULL)
		return NULL;
	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		if (i > 0)
			ldns_buffer_printf(b, " ");
		if (ldns_rdf2buffer_str(b, ldns_rr_rdf(rr, i)) !=
		    LDNS_STATUS_OK)
			goto out;
	}
	if (ldns_buffer_status_ok(b))
		s = ldns_buffer_export2str(b);
out:
	ldns_buffer_free(b);
	return s;
}

static int
rr_matches(const ldns_rr *rr, const ldns_rdf *owner, int type)
{
	return (int)ldns_rr_get_type(rr) == type &&
	    ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
	    ldns_dname_compare(ldns_rr_owner(rr), owner) == 0;
}

/* append a malloc'd string to a list; 0 when out of memory (s freed) */
static int
list_push(char ***list, size_t *n, char *s)
{
	char **p;

	if (s == NULL || (p = realloc(*list, (*n + 1) * sizeof(*p))) == NULL) {
		free(s);
		return 0;
	}
	p[(*n)++] = s;
	*list = p;
	return 1;
}

/* is the owner of rr one of the NS names of the section sec? */
static int
names_ns(const ldns_rr_list *sec, const ldns_rdf *cut, const ldns_rr *rr)
{
	const ldns_rr *ns;
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(sec); i++) {
		ns = ldns_rr_list_rr(sec, i);
		if (ldns_rr_get_type(ns) == LDNS_RR_TYPE_NS &&
		    ldns_rr_rd_count(ns) == 1 &&
		    (cut == NULL || ldns_dname_compare(ldns_rr_owner(ns),
		    cut) == 0) &&
		    ldns_dname_compare(ldns_rr_rdf(ns, 0),
		    ldns_rr_owner(rr)) == 0)
			return 1;
	}
	return 0;
}

/*
 * A referral (when the answer has no NS of the name: `referral`): the
 * owner of the first NS record of the authority section and every NS
 * name it has there; then the glue for those names, or for the NS names
 * of the answer section. 0 only when out of memory.
 */
static enum mc_result
take_referral(struct dnsq *q, const ldns_pkt *pkt, int referral)
{
	const ldns_rr_list *au = ldns_pkt_authority(pkt);
	const ldns_rr_list *ad = ldns_pkt_additional(pkt);
	const ldns_rr_list *an = ldns_pkt_answer(pkt);
	const ldns_rdf *cut = NULL;
	const ldns_rr *rr;
	size_t i;

	for (i = 0; referral && i < ldns_rr_list_rr_count(au); i++) {
		rr = ldns_rr_list_rr(au, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS ||
		    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
		    ldns_rr_rd_count(rr) != 1 || (cut != NULL &&
		    ldns_dname_compare(ldns_rr_owner(rr), cut) != 0))
			continue;
		if (cut == NULL) {
			cut = ldns_rr_owner(rr);
			if ((q->cut = ldns_rdf2str(cut)) == NULL)
				return MC_E_NOMEM;
		}
		if (!list_push(&q->auth, &q->nauth, rdata_text(rr)))
			return MC_E_NOMEM;
	}
	for (i = 0; i < ldns_rr_list_rr_count(ad); i++) {
		char *name, *addr, *s;
		size_t len;

		rr = ldns_rr_list_rr(ad, i);
		if ((ldns_rr_get_type(rr) != LDNS_RR_TYPE_A &&
		    ldns_rr_get_type(rr) != LDNS_RR_TYPE_AAAA) ||
		    ldns_rr_rd_count(rr) != 1 ||
		    !(cut != NULL ? names_ns(au, cut, rr) : names_ns(an, NULL,
		    rr)))
			continue;
		name = ldns_rdf2str(ldns_rr_owner(rr));
		addr = ldns_rdf2str(ldns_rr_rdf(rr, 0));
		len = (name ? strlen(name) : 0) + (addr ? strlen(addr) : 0) + 2;
		if (name != NULL && addr != NULL && (s = malloc(len)) != NULL)
			snprintf(s, len, "%s %s", name, addr);
		else
			s = NULL;
		free(name);
		free(addr);
		if (!list_push(&q->glue, &q->nglue, s))
			return MC_E_NOMEM;
	}
	return MC_OK;
}

/* Fill q from an accepted answer. MC_E_NOMEM is the only failure. */
enum mc_result
dnsq_take(struct dnsq *q, const ldns_pkt *query, const ldns_pkt *pkt, int tcp)
{
	const ldns_rr_list *an = ldns_pkt_answer(pkt);
	const ldns_rdf *owner = ldns_rr_owner(ldns_rr_list_rr(
	    ldns_pkt_question(query), 0));
	const ldns_rr *rr;
	const ldns_rdf *f;
	size_t i, cnt = 0, nan = ldns_rr_list_rr_count(an);
	int hop;

	q->result = MC_OK;
	q->rcode = (int)ldns_pkt_get_rcode(pkt);
	q->aa = ldns_pkt_aa(pkt);
	q->tcp = tcp;
	q->msg[0] = '\0';
	/* follow a CNAME chain inside the answer section */
	for (hop = 0; q->type != LDNS_RR_TYPE_CNAME && hop < CNAME_HOPS;
	    hop++) {
		for (i = 0; i < nan; i++) {
			rr = ldns_rr_list_rr(an, i);
			if (rr_matches(rr, owner, LDNS_RR_TYPE_CNAME) &&
			    ldns_rr_rd_count(rr) == 1 &&
			    ldns_rdf_get_type(ldns_rr_rdf(rr, 0)) ==
			    LDNS_RDF_TYPE_DNAME)
				break;
		}
		if (i == nan)
			break;
		owner = ldns_rr_rdf(ldns_rr_list_rr(an, i), 0);
	}
	for (i = 0; i < nan; i++)
		cnt += rr_matches(ldns_rr_list_rr(an, i), owner, q->type);
	if (q->type == LDNS_RR_TYPE_NS && take_referral(q, pkt, cnt == 0) !=
	    MC_OK)
		return MC_E_NOMEM;
	if (cnt == 0)
		return MC_OK;
	if ((q->answers = calloc(cnt, sizeof(*q->answers))) == NULL)
		return MC_E_NOMEM;
	for (i = 0; i < nan; i++) {
		rr = ldns_rr_list_rr(an, i);
		if (!rr_matches(rr, owner, q->type))
			continue;
		if ((q->answers[q->nanswers] = rdata_text(rr)) == NULL)
			return MC_E_NOMEM;
		if (q->nanswers++ > 0)
			continue;
		q->ttl = ldns_rr_ttl(rr);
		if (q->type == LDNS_RR_TYPE_SOA && ldns_rr_rd_count(rr) == 7 &&
		    (f = ldns_rr_rdf(rr, 2)) != NULL &&
		    ldns_rdf_get_type(f) == LDNS_RDF_TYPE_INT32) {
			q->serial = ldns_rdf2native_int32(f);
			q->has_serial = 1;
		}
	}
	return MC_OK;
}

void
dnsq_clear(struct dnsq *q)
{
	size_t i;

	if (q == NULL)
		return;
	for (i = 0; i < q->nanswers; i++)
		free(q->answers[i]);
	free(q->answers);
	q->answers = NULL;
	q->nanswers = 0;
	for (i = 0; i < q->nauth; i++)
		free(q->auth[i]);
	for (i = 0; i < q->nglue; i++)
		free(q->glue[i]);
	free(q->auth);
	free(q->glue);
	free(q->cut);
	q->auth = q->glue = NULL;
	q->cut = NULL;
	q->nauth = q->nglue = 0;
	q->result = MC_OK;
	q->rcode = 0;
	q->aa = 0;
	q->ttl = 0;
	q->serial = 0;
	q->has_serial = 0;
	q->tries = 0;
	q->tcp = 0;
	q->msg[0] = '\0';
}

void
dnsq_free_all(struct dnsq *qs, size_t n)
{
	size_t i;

	if (qs == NULL)
		return;
	for (i = 0; i < n; i++)
		dnsq_clear(&qs[i]);
}
