/*
 * fuzz_dns.c -- the DNS answer handling of the helper's own resolver.
 *
 * Drives dnsslot_reply() (plugin/helper/dnsslot.c: is this datagram the
 * answer to our query: id, QR, opcode, question; TC) and dnsq_take()
 * (plugin/helper/dnsq.c: CNAME chain, the answers of the asked type as
 * text, TTL, SOA serial), then dnsq_clear().
 *
 * Input: 1 byte flags: bit 0 TCP (no TC fallback), bit 1 NOTIFY instead
 *        of QUERY, bit 2 ask a fixed question (example.com, type from
 *        bits 4-7) instead of the one the reply echoes, bit 3 keep a
 *        fixed query id (0x4d43) instead of the reply's
 *        the rest: the reply packet (wire format) as a server sent it
 */
#include "fuzz.h"

#include <stdio.h>
#include <string.h>

#include "dnsq.h"
#include "dnsslot.h"

static const int fuzz_types[16] = {
	LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA, LDNS_RR_TYPE_SOA, LDNS_RR_TYPE_NS,
	LDNS_RR_TYPE_MX, LDNS_RR_TYPE_TXT, LDNS_RR_TYPE_PTR,
	LDNS_RR_TYPE_CNAME, LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA,
	LDNS_RR_TYPE_SOA, LDNS_RR_TYPE_NS, LDNS_RR_TYPE_MX, LDNS_RR_TYPE_TXT,
	LDNS_RR_TYPE_PTR, LDNS_RR_TYPE_CNAME,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct probe p;
	struct slot s;
	struct dnsq q;
	ldns_pkt *pkt = NULL;
	ldns_rr *qrr = NULL;
	ldns_rdf *owner = NULL;
	size_t pos = LDNS_HEADER_SIZE;
	uint8_t f;
	int type;

	if (!fuzz_take(&data, &size, &f, 1) || size > 65535)
		return 0;
	memset(&p, 0, sizeof(p));
	memset(&s, 0, sizeof(s));
	memset(&q, 0, sizeof(q));
	p.qs = &q;
	p.n = 1;
	p.opcode = (f & 2) ? LDNS_PACKET_NOTIFY : LDNS_PACKET_QUERY;
	type = fuzz_types[f >> 4];
	/* our question: the one the reply echoes, or a fixed one */
	if (!(f & 4) && size >= LDNS_HEADER_SIZE && LDNS_QDCOUNT(data) > 0 &&
	    ldns_wire2rr(&qrr, data, size, &pos, LDNS_SECTION_QUESTION) ==
	    LDNS_STATUS_OK) {
		owner = ldns_rdf_clone(ldns_rr_owner(qrr));
		type = (int)ldns_rr_get_type(qrr);
	} else
		owner = ldns_dname_new_frm_str("example.com.");
	ldns_rr_free(qrr);
	if (owner == NULL)
		return 0;
	q.type = type;
	snprintf(q.name, sizeof(q.name), "fuzz");
	s.id = (!(f & 8) && size >= 2) ? LDNS_ID_WIRE(data) : 0x4d43;
	s.query = ldns_pkt_query_new(owner, (ldns_rr_type)type,
	    LDNS_RR_CLASS_IN, 0);
	if (s.query == NULL)
		return 0;
	ldns_pkt_set_id(s.query, s.id);
	switch (dnsslot_reply(&p, &s, data, size, f & 1, &pkt)) {
	case DNSSLOT_OK:
		(void)dnsq_take(&q, s.query, pkt, f & 1);
		ldns_pkt_free(pkt);
		break;
	case DNSSLOT_TC:
	case DNSSLOT_BAD:
		break;
	}
	dnsq_clear(&q);
	ldns_pkt_free(s.query);
	return 0;
}
