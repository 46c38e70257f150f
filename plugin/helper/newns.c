/* newns.c -- the expected name servers of each domain (newns.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dom.h"
#include "engine.h"
#include "newns.h"
#include "panel.h"

/* from a list of names (the command line's, or the config's) */
static void
from_list(struct newns *o, const char *const *list, size_t n,
    const char *from)
{
	size_t i;

	for (i = 0; i < n; i++)
		(void)nsset_parse(&o->ns, list[i], NULL, 0);
	o->from = from;
}

/* every domain of this batch without names: why */
static void
none(struct newns *out, size_t n, const char *fmt, const char *arg)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (out[i].from == NULL && out[i].why[0] == '\0')
			snprintf(out[i].why, sizeof(out[i].why), fmt, arg);
}

/* the NS records at the zone's apex in a get_rec answer */
static void
take(struct newns *o, const struct dom *d, const struct op *op)
{
	char apex[260];
	size_t i;

	snprintf(apex, sizeof(apex), "%s.", d->zone);
	for (i = 0; i < op->nrecs; i++) {
		const struct dns_record *r = &op->recs[i];
		if (r->type != NULL && strcmp(r->type, "NS") == 0 &&
		    r->host != NULL && r->value != NULL &&
		    strcasecmp(r->host, apex) == 0)
			(void)nsset_add(&o->ns, r->value, 1);
	}
	if (o->ns.n > 0)
		o->from = "the target panel";
	else
		snprintf(o->why, sizeof(o->why), "the target panel has no NS "
		    "records for %s", d->zone);
}

/* resolve on the target, then one get_rec per domain found, batched */
static void
from_target(struct engine *e, struct dom **ds, size_t n, struct newns *out,
    struct site_ref *refs, struct op **ops)
{
	struct mc_err err = { 0 };
	struct batch *b = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		refs[i].name = ds[i]->name;
		refs[i].alt = ds[i]->display[0] ? ds[i]->display : NULL;
	}
	if (plesk_resolve(e->tgt, refs, n, &err) != MC_OK && err.msg[0])
		fprintf(stderr, "mailcutover: target panel: %s\n", err.msg);
	if ((b = batch_new()) == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (refs[i].result != MC_OK) {
			snprintf(out[i].why, sizeof(out[i].why), "the target "
			    "panel: %s", refs[i].msg);
			continue;
		}
		if ((ops[i] = batch_add(b, OP_DNS_GET_REC)) == NULL ||
		    op_set_ids(ops[i], &refs[i].id, 1) != MC_OK)
			goto out;
		ops[i]->alias = refs[i].kind == SITE_ALIAS;
	}
	if (b->n > 0 && plesk_send(e->tgt, b, &err) != MC_OK)
		none(out, n, "the target panel: %.280s", err.msg);
	for (i = 0; i < n; i++)
		if (ops[i] != NULL && ops[i]->result == MC_OK)
			take(&out[i], ds[i], ops[i]);
		else if (ops[i] != NULL && out[i].why[0] == '\0')
			snprintf(out[i].why, sizeof(out[i].why), "the target "
			    "panel: reading the zone of %.120s: %.130s",
			    ds[i]->zone, ops[i]->msg);	/* a note: cut */
out:
	batch_free(b);
}

void
newns_read(struct engine *e, struct dom **ds, size_t n, struct newns *out)
{
	struct mc_err err = { 0 };
	struct site_ref *refs;
	struct op **ops;
	size_t i;

	for (i = 0; i < n; i++)
		if (e->nnew_ns > 0)
			from_list(&out[i], e->new_ns, e->nnew_ns, "--new-ns");
		else if (e->cc->nnew_ns > 0)
			from_list(&out[i], (const char *const *)e->cc->new_ns,
			    e->cc->nnew_ns, "new_ns");
	if (n == 0 || out[0].from != NULL)
		return;
	if (!e->conf->target.present) {
		none(out, n, "%s", "no expected name servers: set new_ns in "
		    "[cutover] (or --new-ns), or configure [target]");
		return;
	}
	if (e->tgt == NULL && panel_open(&e->conf->target, &e->tgt, &err)) {
		none(out, n, "the target panel: %.280s", err.msg);
		return;
	}
	refs = calloc(n, sizeof(*refs));
	ops = calloc(n, sizeof(*ops));
	if (refs != NULL && ops != NULL)
		from_target(e, ds, n, out, refs, ops);
	none(out, n, "%s", "out of memory");
	free(refs);
	free(ops);
}

void
newns_free(struct newns *o)
{
	if (o != NULL)
		nsset_free(&o->ns);
}
