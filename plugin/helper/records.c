/* records.c -- make-before-break: adds first, deletes decided afresh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "change.h"
#include "decide.h"
#include "dom.h"
#include "engine.h"
#include "records.h"
#include "zone.h"

/* what a pass over the domains queues: one owner (and text) per op */
struct queue {
	struct batch	 *b;
	struct dom	**own;
	char		(*whats)[200];
	size_t		  cap;
};

static void
queue_free(struct queue *q)
{
	batch_free(q->b);
	free(q->own);
	free(q->whats);
	memset(q, 0, sizeof(*q));
}

/* room for one more operation; 0 when out of memory */
static int
queue_room(struct queue *q)
{
	size_t nc = q->cap ? q->cap * 2 : 64;
	struct dom **p;
	char (*w)[200];

	if (q->b->n < q->cap)
		return 1;
	if ((p = realloc(q->own, nc * sizeof(*p))) == NULL)
		return 0;
	q->own = p;
	if ((w = realloc(q->whats, nc * sizeof(*w))) == NULL)
		return 0;
	q->whats = w;
	q->cap = nc;
	return 1;
}

/* "mail.example.com A 127.0.3.20" */
static void
records_text(const struct dom *d, const struct own_rec *r, char *buf,
    size_t n)
{
	snprintf(buf, n, "%s%s%s %s %s", r->label, r->label[0] ? "." : "",
	    d->zone, r->type, r->value);
}

/* in the list, still acting, and this panel is its primary DNS */
static int
acting(const struct dom *d)
{
	return dom_active(d) && d->res != DR_WAIT && !dom_manual(d);
}

/*
 * In manual DNS mode the primary is not this panel: the decision's
 * changes become instructions for the operator, and DNS checks them.
 */
static void
manual_changes(struct dom *d, const struct own_decision *dec)
{
	char what[400];
	size_t i;

	for (i = 0; i < dec->nchanges; i++) {
		records_text(d, &dec->changes[i].rec, what, sizeof(what));
		dom_note(d, NOTE_DIFF, "at the primary DNS (not this panel): "
		    "%s %s", dec->changes[i].del ? "delete" : "add", what);
	}
	if (dec->nchanges > 0)
		dom_note(d, NOTE_INFO, "add the new records before deleting "
		    "the old ones (a name without an address is cached as "
		    "missing for the SOA minimum)");
}

/* put an add the panel confirmed into the zone as read */
static int
record_added(struct dom *d, const struct op *o)
{
	struct dns_record r;
	char fq[320];

	memset(&r, 0, sizeof(r));
	snprintf(fq, sizeof(fq), "%s%s%s.", o->rec.host, o->rec.host[0] ?
	    "." : "", d->zone);
	r.id = o->id;
	r.site_id = d->site_id;
	r.alias = d->alias;
	r.type = o->rec.type;
	r.host = fq;
	r.value = o->rec.value;
	r.opt = "";
	return dom_record_add(d, &r);
}

/* queue the adds of d's decision; notes for what is not ours */
static int
queue_adds(struct engine *e, struct dom *d, struct queue *q, enum own_dir dir)
{
	struct own_decision dec;
	char what[400];
	size_t k;
	int ok = 1;

	if (!decide_dom(e, d, dir, &dec))
		return 1;
	/* what is not ours at our names: reported, never touched */
	for (k = 0; k < dec.nothers; k++) {
		records_text(d, &dec.others[k], what, sizeof(what));
		dom_note(d, dec.others[k].cls == OWN_BAD ? NOTE_WARN :
		    NOTE_INFO, "%s is %s: left alone", what,
		    dec.others[k].cls == OWN_BAD ? "not an IP address" :
		    "not the old server's");
	}
	for (k = 0; ok && k < dec.nchanges; k++) {
		if (dec.changes[k].del)
			continue;
		if (!queue_room(q))
			ok = 0;
		else {
			q->own[q->b->n] = d;
			ok = change_add(q->b, d, &dec.changes[k].rec) != NULL;
		}
	}
	own_decision_clear(&dec);
	return ok;
}

/* the answer to one add: in the zone, already there, lost, or failed */
static int
take_add(struct engine *e, const struct op *o, struct dom *d,
    const char *step, int *lost)
{
	struct own_rec r;
	char what[400];

	memset(&r, 0, sizeof(r));
	snprintf(r.label, sizeof(r.label), "%s", o->rec.host);
	snprintf(r.type, sizeof(r.type), "%s", o->rec.type);
	snprintf(r.value, sizeof(r.value), "%s", o->rec.value);
	records_text(d, &r, what, sizeof(what));
	if (o->result == MC_OK) {
		dom_note(d, NOTE_DIFF, "added %s (record %lu)", what, o->id);
		dom_audit(e, d, step, "-", what, "added");
		if (!*lost && !record_added(d, o))
			return 0;
	} else if (o->result == MC_E_API && o->errcode == 1007) {
		/* already there: read again to learn its id */
		dom_note(d, NOTE_INFO, "%s is already in the zone", what);
		*lost = 1;
	} else if (change_unknown(o)) {
		*lost = 1;
	} else {
		dom_audit(e, d, step, "-", what, "failed");
		dom_fail(d, "adding %s: %s; nothing was deleted", what, o->msg);
	}
	return 1;
}

/* the adds of every domain's decision, one packet per batch */
static int
converge_adds(struct engine *e, struct dom **list, size_t nlist,
    const char *step, enum own_dir dir, int *lost)
{
	struct queue q = { 0 };
	size_t i;
	int ok = 0;

	if ((q.b = batch_new()) == NULL)
		return 0;
	for (i = 0; i < nlist; i++)
		if (acting(list[i]) && !queue_adds(e, list[i], &q, dir))
			goto out;
	if (q.b->n > 0)
		change_send(e, q.b, q.own);
	for (i = 0; i < q.b->n; i++)
		if (!take_add(e, q.b->ops[i], q.own[i], step, lost))
			goto out;
	ok = 1;
out:
	queue_free(&q);
	return ok;
}

/* queue the deletes of d's decision, once nothing is left to add */
static int
queue_dels(struct engine *e, struct dom *d, struct queue *q, enum own_dir dir,
    const char *step)
{
	struct own_decision dec;
	char what[400];
	size_t k;
	int ok = 1;

	if (!decide_dom(e, d, dir, &dec))
		return 1;
	for (k = 0; k < dec.nchanges; k++)
		if (!dec.changes[k].del) {
			/* still missing after a read */
			records_text(d, &dec.changes[k].rec, what,
			    sizeof(what));
			dom_fail(d, "%s is not in the zone after a lost answer; "
			    "nothing was deleted (run %s again: the zone is "
			    "read first)", what, step);
			break;
		}
	for (k = 0; ok && dom_active(d) && k < dec.nchanges; k++) {
		if (!queue_room(q)) {
			ok = 0;
			break;
		}
		/* name the record as the audit reader knows it */
		records_text(d, &dec.changes[k].rec, q->whats[q->b->n],
		    sizeof(q->whats[0]));
		q->own[q->b->n] = d;
		ok = change_del(q->b, dec.changes[k].rec.id) != NULL;
	}
	own_decision_clear(&dec);
	return ok;
}

/* the answer to one delete */
static void
take_del(struct engine *e, const struct op *o, struct dom *d,
    const char *what, const char *step)
{
	if (o->result == MC_OK || (o->nitems == 1 &&
	    o->items[0].result == MC_E_NOTFOUND)) {
		dom_note(d, NOTE_DIFF, "deleted record %lu (%s)", o->ids[0],
		    what);
		dom_audit(e, d, step, what, "-", "deleted");
		dom_record_drop(d, o->ids[0]);
	} else if (change_unknown(o))
		dom_note(d, NOTE_WARN, "delete of record %lu (%s): answer "
		    "lost; checked by DNS next", o->ids[0], what);
	else {
		dom_audit(e, d, step, what, "-", "failed");
		dom_fail(d, "deleting record %lu (%s): %s (the new record is "
		    "in place; run again)", o->ids[0], what, o->msg);
	}
}

void
records_converge(struct engine *e, struct dom **list, size_t nlist,
    const char *step, enum own_dir dir)
{
	struct queue q = { 0 };
	struct own_decision dec;
	size_t i;
	int lost = 0;

	for (i = 0; i < nlist; i++)
		if (dom_active(list[i]) && list[i]->res != DR_WAIT &&
		    dom_manual(list[i]) && decide_dom(e, list[i], dir, &dec)) {
			manual_changes(list[i], &dec);
			own_decision_clear(&dec);
		}
	if (!converge_adds(e, list, nlist, step, dir, &lost))
		goto nomem;
	if (lost && !zone_reread(e, list, nlist))
		return;
	if ((q.b = batch_new()) == NULL)
		goto nomem;
	for (i = 0; i < nlist; i++)
		if (acting(list[i]) &&
		    !queue_dels(e, list[i], &q, dir, step))
			goto nomem;
	change_send(e, q.b, q.own);
	for (i = 0; i < q.b->n; i++)
		take_del(e, q.b->ops[i], q.own[i], q.whats[i], step);
	queue_free(&q);
	return;
nomem:
	for (i = 0; i < nlist; i++)
		if (dom_active(list[i]))
			dom_fail(list[i], "out of memory");
	queue_free(&q);
}
