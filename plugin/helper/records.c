/* records.c -- make-before-break: adds first, deletes decided afresh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "change.h"
#include "decide.h"
#include "dom.h"
#include "engine.h"
#include "pending.h"
#include "records.h"
#include "zone.h"

/* "label.zone type value" of a record: 63 + 1 + 255 + 1 + 7 + 1 + 63 bytes
 * at most, so never cut */
#define WHAT_MAX	400

/* what a pass over the domains queues: one owner (and text) per op */
struct queue {
	struct batch	 *b;
	struct dom	**own;
	char		(*whats)[WHAT_MAX];
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
	char (*w)[WHAT_MAX];

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

/*
 * Rounds: a pass over ten thousand domains queued every change at once
 * (30,000 adds and as many deletes, 100 MiB at its peak with the rest of
 * the run, issue 14). Now a packet goes as soon as it is full and is
 * taken; what is left over waits for the next domain's changes, so
 * packets stay full and no more are sent than in one go. Each change is
 * still journaled (pend_changes) before the packet carrying it leaves.
 */

/* how many of q's ops to send now: its whole packets, everything at the
 * end (last); 0: keep queueing */
static size_t
queue_due(const struct engine *e, const struct queue *q, int last)
{
	size_t per = e->src->batch_max ? e->src->batch_max : 1;

	if (last)
		return q->b->n;
	return q->b->n - q->b->n % per;
}

/* send q's first n ops (the rest wait, queued) */
static void
queue_send(struct engine *e, struct queue *q, size_t n)
{
	size_t all = q->b->n;

	q->b->n = n;
	change_send(e, q->b, q->own);
	q->b->n = all;
}

/* forget q's first n ops (sent and taken): the rest move to the front */
static void
queue_drop(struct queue *q, size_t n)
{
	size_t rest = q->b->n - n;

	batch_drop(q->b, n);
	memmove(q->own, q->own + n, rest * sizeof(*q->own));
	memmove(q->whats, q->whats + n, rest * sizeof(*q->whats));
}

/* "mail.example.com A 127.0.3.20" */
static void
records_text(const struct dom *d, const struct own_rec *r, char *buf,
    size_t n)
{
	snprintf(buf, n, "%.63s%s%.255s %.7s %.63s", r->label, r->label[0] ?
	    "." : "", d->zone, r->type, r->value);
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
	char what[WHAT_MAX];
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

/* what names a record's change in the pending journal: "label|type|value"
 * of an add, the id of a delete */
static void
pend_what(const struct own_rec *r, int del, char *buf, size_t n)
{
	if (del)
		snprintf(buf, n, "%lu", r->id);
	else
		snprintf(buf, n, "%s|%s|%s", r->label, r->type, r->value);
}

/*
 * Journal d's changes of one kind (adds, or deletes) as pending and save
 * the journal before any of them is queued: a run that dies after the
 * packet left still leaves them for the next reading to settle. Returns
 * how many there are; 0 also when the domain failed.
 */
static size_t
pend_changes(struct engine *e, struct dom *d, const struct own_decision *dec,
    int del, const char *step)
{
	char what[WHAT_MAX], key[200];
	size_t k, n = 0;

	for (k = 0; k < dec->nchanges; k++) {
		if (dec->changes[k].del != del)
			continue;
		records_text(d, &dec->changes[k].rec, what, sizeof(what));
		pend_what(&dec->changes[k].rec, del, key, sizeof(key));
		if (!pending_add(e, d, del ? PEND_DEL : PEND_ADD, key, step,
		    del ? what : "-", del ? "-" : what, del ? "deleted" :
		    "added"))
			return 0;
		n++;
	}
	return n > 0 && !dom_save(e, d) ? 0 : n;
}

/* queue the adds of d's decision; notes for what is not ours */
static int
queue_adds(struct engine *e, struct dom *d, struct queue *q, enum own_dir dir,
    const char *step)
{
	struct own_decision dec;
	char what[WHAT_MAX];
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
	if (pend_changes(e, d, &dec, 0, step) == 0) {
		own_decision_clear(&dec);
		return 1;
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
take_add(struct engine *e, const struct op *o, struct dom *d, int *lost)
{
	struct own_rec r;
	char what[WHAT_MAX], key[200];

	memset(&r, 0, sizeof(r));
	snprintf(r.label, sizeof(r.label), "%s", o->rec.host);
	snprintf(r.type, sizeof(r.type), "%s", o->rec.type);
	snprintf(r.value, sizeof(r.value), "%s", o->rec.value);
	records_text(d, &r, what, sizeof(what));
	pend_what(&r, 0, key, sizeof(key));
	if (o->result == MC_OK) {
		dom_note(d, NOTE_DIFF, "added %s (record %lu)", what, o->id);
		pending_settle(e, d, PEND_ADD, key, PEND_MADE);
		if (!*lost && !record_added(d, o))
			return 0;
	} else if (o->result == MC_E_API && o->errcode == 1007) {
		/* already there: read again to learn its id */
		dom_note(d, NOTE_INFO, "%s is already in the zone", what);
		pending_settle(e, d, PEND_ADD, key, PEND_NOT_MADE);
		*lost = 1;
	} else if (change_unknown(o)) {
		/* the reading that follows settles it */
		pending_settle(e, d, PEND_ADD, key, PEND_UNKNOWN);
		*lost = 1;
	} else {
		pending_settle(e, d, PEND_ADD, key, PEND_FAILED);
		dom_fail(d, "adding %s: %s; nothing was deleted", what, o->msg);
	}
	return 1;
}

/* the adds of every domain's decision, in rounds of whole packets */
static int
converge_adds(struct engine *e, struct dom **list, size_t nlist,
    const char *step, enum own_dir dir, int *lost)
{
	struct queue q = { 0 };
	size_t i, k, n;
	int ok = 0;

	if ((q.b = batch_new()) == NULL)
		return 0;
	for (i = 0; i < nlist; i++) {
		if (acting(list[i]) && !queue_adds(e, list[i], &q, dir, step))
			goto out;
		if ((n = queue_due(e, &q, i + 1 == nlist)) == 0)
			continue;
		queue_send(e, &q, n);
		for (k = 0; k < n; k++)
			if (!take_add(e, q.b->ops[k], q.own[k], lost))
				goto out;
		queue_drop(&q, n);
	}
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
	char what[WHAT_MAX];
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
	if (dom_active(d) && pend_changes(e, d, &dec, 1, step) == 0) {
		own_decision_clear(&dec);
		return 1;
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

/* the answer to one delete; 1 when it was lost */
static int
take_del(struct engine *e, const struct op *o, struct dom *d,
    const char *what)
{
	char key[32];

	snprintf(key, sizeof(key), "%lu", o->ids[0]);
	if (o->result == MC_OK || (o->nitems == 1 &&
	    o->items[0].result == MC_E_NOTFOUND)) {
		dom_note(d, NOTE_DIFF, "deleted record %lu (%s)", o->ids[0],
		    what);
		pending_settle(e, d, PEND_DEL, key, PEND_MADE);
		dom_record_drop(d, o->ids[0]);
	} else if (change_unknown(o)) {
		dom_note(d, NOTE_WARN, "delete of record %lu (%s): answer "
		    "lost; the zone is read again", o->ids[0], what);
		pending_settle(e, d, PEND_DEL, key, PEND_UNKNOWN);
		return 1;
	} else {
		pending_settle(e, d, PEND_DEL, key, PEND_FAILED);
		dom_fail(d, "deleting record %lu (%s): %s (the new record is "
		    "in place; run again)", o->ids[0], what, o->msg);
	}
	return 0;
}

void
records_converge(struct engine *e, struct dom **list, size_t nlist,
    const char *step, enum own_dir dir)
{
	struct queue q = { 0 };
	struct own_decision dec;
	struct dom **lostd = NULL;
	size_t i, k, n, nl = 0;
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
	if ((q.b = batch_new()) == NULL ||
	    (lostd = calloc(nlist + 1, sizeof(*lostd))) == NULL)
		goto nomem;
	for (i = 0; i < nlist; i++) {
		if (acting(list[i]) &&
		    !queue_dels(e, list[i], &q, dir, step))
			goto nomem;
		if ((n = queue_due(e, &q, i + 1 == nlist)) == 0)
			continue;
		queue_send(e, &q, n);
		/* a domain's deletes are consecutive, across rounds too */
		for (k = 0; k < n; k++)
			if (take_del(e, q.b->ops[k], q.own[k], q.whats[k]) &&
			    (nl == 0 || lostd[nl - 1] != q.own[k]))
				lostd[nl++] = q.own[k];
		queue_drop(&q, n);
	}
	/* lost delete answers: the reading settles them (and their audit
	   lines) now rather than at the next run */
	if (nl > 0)
		(void)zone_reread(e, lostd, nl);
	queue_free(&q);
	free(lostd);
	return;
nomem:
	for (i = 0; i < nlist; i++)
		if (dom_active(list[i]))
			dom_fail(list[i], "out of memory");
	queue_free(&q);
	free(lostd);
}
