/* change.c -- queueing, sending and judging the steps' panel changes. */
#include <stdlib.h>
#include <string.h>

#include "change.h"
#include "dom.h"
#include "engine.h"

/* one more than asked: a batch of zero operations still has an array */
struct dom **
change_owners(size_t n)
{
	return calloc(n + 1, sizeof(struct dom *));
}

/* the results that say "the packet left, its answer did not come back" */
static int
lost(enum mc_result r)
{
	return r == MC_E_LOST || r == MC_E_PARSE || r == MC_E_TOOBIG ||
	    r == MC_E_HTTP || r == MC_E_MISMATCH;
}

void
change_send(struct engine *e, struct batch *b, struct dom **owner)
{
	struct mc_err err = { 0 };
	size_t i;

	if (b->n == 0)
		return;
	plesk_send(e->src, b, &err);
	for (i = 0; i < b->n; i++) {
		struct op *o = b->ops[i];
		if (o->result == MC_OK || owner[i] == NULL)
			continue;
		/* op-level detail is handled by the caller; flag unknowns */
		if (lost(o->result))
			dom_note(owner[i], NOTE_WARN, "panel answer lost (%s); "
			    "the zone will be read again before deciding",
			    o->msg);
	}
}

/* a <system> error after the packet left counts too: Plesk may have run
 * part of the packet before it failed */
int
change_unknown(const struct op *o)
{
	return o->sent && (lost(o->result) || o->result == MC_E_SYSTEM);
}

struct op *
change_ttl(struct batch *b, struct dom *d, unsigned long ttl)
{
	const unsigned all = SOA_TTL | SOA_REFRESH | SOA_RETRY | SOA_EXPIRE |
	    SOA_MINIMUM;
	struct op *o;

	if ((d->soa.set & all) != all) {
		dom_fail(d, "the source panel did not report all five SOA "
		    "fields of zone %s: refusing to send a partial SOA",
		    d->zone);
		return NULL;
	}
	if ((o = batch_add(b, OP_DNS_SET)) == NULL ||
	    op_set_ids(o, &d->site_id, 1) != MC_OK) {
		dom_fail(d, "out of memory");
		return NULL;
	}
	o->alias = d->alias;
	o->soa = d->soa;
	o->soa.set = all;
	o->soa.ttl = ttl;
	return o;
}

struct op *
change_add(struct batch *b, const struct dom *d, const struct own_rec *r)
{
	struct op *o = batch_add(b, OP_DNS_ADD_REC);

	if (o == NULL)
		return NULL;
	o->rec.site_id = d->site_id;
	o->rec.alias = d->alias;
	if ((o->rec.type = strdup(r->type)) == NULL ||
	    (o->rec.host = strdup(r->label)) == NULL ||
	    (o->rec.value = strdup(r->value)) == NULL)
		return NULL;
	return o;
}

struct op *
change_del(struct batch *b, unsigned long id)
{
	struct op *o = batch_add(b, OP_DNS_DEL_REC);

	if (o == NULL || op_set_ids(o, &id, 1) != MC_OK)
		return NULL;
	return o;
}

struct op *
change_mail(struct batch *b, const struct dom *d, enum op_kind k)
{
	struct op *o = batch_add(b, k);

	if (o == NULL || op_set_ids(o, &d->site_id, 1) != MC_OK)
		return NULL;
	return o;
}
