/*
 * fuzz_reply.c -- the XML API reply stream and batch correlation.
 *
 * Drives batch_take_reply() (xmlrpc/batch.c), hence response_stream()
 * (xmlrpc/response.c) and op_take() with every take_* reader
 * (xmlrpc/op_take.c), for a batch described by the input's header; and
 * response_parse() on the same reply. Links build/fuzz/libmcxmlrpc.a.
 *
 * Input: 1 byte  nops (low 3 bits + 1) | 0x80: want version 1.6.9.1
 *        per op: kind (mod OP__MAX), flags (1 by_id, 2 by_record_id,
 *                4 alias, 8 with_soa), nids (mod 8), nids x 2 bytes id
 *        1 byte  name length, then the name of the *_BY_NAME ops
 *        the rest: the reply packet as the panel sent it
 * (tests/fuzz/mkseeds.py writes this from a traced request/reply pair.)
 */
#include "fuzz.h"

#include <libxml/parser.h>

#include "batch.h"
#include "err.h"
#include "op.h"
#include "response.h"

static void
quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct batch *b;
	struct response *r = NULL;
	struct mc_err err;
	uint8_t h, spec[3], idb[2], nlen;
	unsigned long ids[8];
	char name[256];
	size_t i, k, nops;
	const char *want;

	xmlSetGenericErrorFunc(NULL, quiet);
	if (!fuzz_take(&data, &size, &h, 1))
		return 0;
	nops = (size_t)(h & 7) + 1;
	want = (h & 0x80) ? "1.6.9.1" : NULL;
	if ((b = batch_new()) == NULL)
		return 0;
	for (i = 0; i < nops; i++) {
		struct op *o;
		size_t nids;

		if (!fuzz_take(&data, &size, spec, 3))
			goto out;
		if ((o = batch_add(b, (enum op_kind)(spec[0] % OP__MAX))) ==
		    NULL)
			goto out;
		o->by_id = (spec[1] & 1) != 0;
		o->by_record_id = (spec[1] & 2) != 0;
		o->alias = (spec[1] & 4) != 0;
		o->with_soa = (spec[1] & 8) != 0;
		nids = spec[2] % 8;
		for (k = 0; k < nids; k++) {
			if (!fuzz_take(&data, &size, idb, 2))
				goto out;
			ids[k] = (unsigned long)idb[0] << 8 | idb[1];
		}
		if (op_set_ids(o, ids, nids) != MC_OK)
			goto out;
	}
	if (!fuzz_take(&data, &size, &nlen, 1) || size < nlen)
		goto out;
	memcpy(name, data, nlen);
	name[nlen] = '\0';
	data += nlen;
	size -= nlen;
	for (i = 0; i < b->n; i++)
		if ((b->ops[i]->name = strdup(name)) == NULL)
			goto out;
	mc_err_clear(&err);
	(void)batch_take_reply(b, 0, b->n, (const char *)data, size, want,
	    &err);
	/* and again, as a retry of the same ops would */
	mc_err_clear(&err);
	(void)batch_take_reply(b, 0, b->n, (const char *)data, size, NULL,
	    &err);
	mc_err_clear(&err);
	if (response_parse((const char *)data, size, &r, &err) == MC_OK)
		for (i = 0; i < r->nops; i++) {
			xmlNodePtr res;
			for (res = xml_child(r->ops[i].node, "result");
			    res != NULL; res = xml_next(res, "result")) {
				struct result rr;
				if (result_read(res, &rr, &err) == MC_OK)
					result_clear(&rr);
			}
		}
	response_free(r);
out:
	batch_free(b);
	return 0;
}
