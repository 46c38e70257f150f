/* steps.c -- the steps that change a panel: prepare, switch, disable,
 * finish, rollback. Each writes its intent and the prior values to the
 * journal before the change and the outcome after; a re-run reconciles
 * with what the panel shows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine.h"
#include "host.h"
#include "valid.h"


static int
active(const struct dom *d)
{
	return !d->skip && d->res != DR_FAILED;
}

static void
dom_next(struct dom *d, const char *next, time_t at)
{
	snprintf(d->next, sizeof(d->next), "%s", next);
	d->next_at = at;
}

static long
remaining(const struct engine *e, time_t gate)
{
	return gate > e->now ? (long)(gate - e->now) : 0;
}

static void
human(long s, char *buf, size_t n)
{
	if (s >= 3600)
		snprintf(buf, n, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
	else if (s >= 60)
		snprintf(buf, n, "%ldm%02lds", s / 60, s % 60);
	else
		snprintf(buf, n, "%lds", s);
}

/* ---- identity and prior values (first time only) ---- */

/* the journal form of a decision's old addresses: "1.2.3.4 fd00::1" */
static void
join_old(const struct own_decision *dec, char *buf, size_t n)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < dec->nold && used < n; i++)
		used += (size_t)snprintf(buf + used, n - used, "%s%s",
		    i ? " " : "", dec->old[i]);
}

/* journal every A/AAAA record at the switched names: orig.rec.N */
static int
journal_records(struct engine *e, struct dom *d,
    const struct own_decision *dec)
{
	char key[32], val[200];
	size_t i, n = 0;

	for (i = 0; i < dec->nmanaged + dec->nothers; i++) {
		const struct own_rec *r = i < dec->nmanaged ?
		    &dec->managed[i] : &dec->others[i - dec->nmanaged];
		snprintf(key, sizeof(key), "orig.rec.%zu", n++);
		if (!own_rec_format(r, val, sizeof(val))) {
			dom_fail(d, "record %lu at %s.%s cannot be journaled",
			    r->id, r->label, d->zone);
			return 0;
		}
		if (!dom_set(e, d, key, val))
			return 0;
	}
	return dom_setf(e, d, "orig.count", "%zu", n);
}

/*
 * A decision that leaves nothing to do becomes the domain's outcome for
 * this run (not a failure). Returns 1 when there is something to switch.
 */
static int
verdict_outcome(struct dom *d, const struct own_decision *dec)
{
	switch (dec->verdict) {
	case OWN_REFUSED:
		dom_outcome(d, DR_REFUSED, "refused: %s", dec->reason);
		return 0;
	case OWN_SKIP:
		dom_outcome(d, DR_SKIPPED, "skipped: %s", dec->reason);
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

/*
 * The first change to a domain: decide what is ours (owner.h) and write
 * that decision and the prior values to the journal. A domain with
 * nothing of ours, or that the helper refuses, gets its outcome and no
 * journal. Returns 1 when the journal holds an identity.
 */
static int
capture(struct engine *e, struct dom *d)
{
	struct own_decision dec;
	char olds[OWN_MAX_ADDRS * 64], soa[160];
	int ok;

	if (dom_get(d, "old_ip") != NULL && dom_get(d, "names") != NULL)
		return 1;
	engine_targets(e);
	if (!dom_decide(e, d, OWN_FORWARD, &dec))
		return 0;
	if (!verdict_outcome(d, &dec)) {
		own_decision_clear(&dec);
		return 0;
	}
	join_old(&dec, olds, sizeof(olds));
	snprintf(soa, sizeof(soa), "%lu %lu %lu %lu %lu", d->soa.ttl,
	    d->soa.refresh, d->soa.retry, d->soa.expire, d->soa.minimum);
	ok = journal_records(e, d, &dec) &&
	    dom_setf(e, d, "site_id", "%lu", d->site_id) &&
	    dom_set(e, d, "alias", d->alias ? "1" : "0") &&
	    dom_set(e, d, "zone", d->zone) &&
	    (d->display[0] == '\0' || dom_set(e, d, "display", d->display)) &&
	    dom_set(e, d, "mode", d->zone_enabled == 1 && d->zone_master ?
	    "panel" : "manual") &&
	    dom_set(e, d, "old_ip", dec.old[0]) &&
	    dom_set(e, d, "old_ips", olds) &&
	    dom_set(e, d, "new_ip", dec.new4) &&
	    dom_set(e, d, "new_ip6", dec.new6) &&
	    dom_set(e, d, "drop_aaaa", dec.drop_aaaa ? "yes" : "no") &&
	    dom_set(e, d, "names", dec.names) &&
	    dom_setf(e, d, "orig.ttl", "%lu", d->soa.ttl) &&
	    dom_set(e, d, "orig.soa", soa) &&
	    dom_set(e, d, "orig.mail", !dom_mail_ours(d) ? "parent" :
	    d->mailservice == 0 ? "off" : "on") &&
	    dom_set(e, d, "state", "planned");
	if (ok && dec.drop_aaaa)
		dom_audit(e, d, "decide", "AAAA on the old server",
		    "dropped (--drop-aaaa)", "chosen by operator");
	own_decision_clear(&dec);
	return ok && dom_save(e, d);
}

static int
manual_mode(const struct dom *d)
{
	const char *m = dom_get(d, "mode");

	return m != NULL && strcmp(m, "manual") == 0;
}

/* ---- batches ---- */

/*
 * dns set with all five SOA fields, as read with dns get in this run, and
 * only the TTL changed: every documented sample sends all five, and that
 * a partial <soa> leaves the others alone is an inference, not a fact.
 */
static struct op *
queue_set_ttl(struct batch *b, struct dom *d, unsigned long ttl)
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

static struct op *
queue_add(struct batch *b, const struct dom *d, const struct own_rec *r)
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

static struct op *
queue_del(struct batch *b, unsigned long id)
{
	struct op *o = batch_add(b, OP_DNS_DEL_REC);

	if (o == NULL || op_set_ids(o, &id, 1) != MC_OK)
		return NULL;
	return o;
}

static struct op *
queue_mail(struct batch *b, const struct dom *d, enum op_kind k)
{
	struct op *o = batch_add(b, k);

	if (o == NULL || op_set_ids(o, &d->site_id, 1) != MC_OK)
		return NULL;
	return o;
}

/* send; a packet-level failure marks the domains of its unanswered ops */
static void
send_batch(struct engine *e, struct batch *b, struct dom **owner)
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
		if (o->result == MC_E_LOST || o->result == MC_E_PARSE ||
		    o->result == MC_E_TOOBIG || o->result == MC_E_HTTP ||
		    o->result == MC_E_MISMATCH)
			dom_note(owner[i], NOTE_WARN, "panel answer lost (%s); "
			    "the zone will be read again before deciding",
			    o->msg);
	}
}

static int
op_unknown(const struct op *o)
{
	return o->sent && (o->result == MC_E_LOST || o->result == MC_E_PARSE ||
	    o->result == MC_E_TOOBIG || o->result == MC_E_HTTP ||
	    o->result == MC_E_MISMATCH || o->result == MC_E_SYSTEM);
}

static struct dom **
owners(size_t n)
{
	return calloc(n + 1, sizeof(struct dom *));
}

/* ---- prepare (runbook 0.2) ---- */

void
step_prepare(struct engine *e)
{
	struct batch *b = NULL;
	struct dom **own = NULL;
	size_t i;
	char buf[32];

	if (!engine_read(e))
		return;
	if ((b = batch_new()) == NULL || (own = owners(e->n)) == NULL)
		goto out;
	for (i = 0; i < e->n; i++) {
		struct dom *d = &e->doms[i];
		unsigned long old_ttl;
		if (!active(d))
			continue;
		if (dom_time(d, "prepare.done")) {
			d->noop = 1;
			continue;
		}
		if (!capture(e, d))
			continue;
		journal_get_ulong(d->j, "orig.ttl", &old_ttl);
		if (manual_mode(d)) {
			dom_note(d, NOTE_DIFF, "at the primary DNS (not this "
			    "panel): set the TTL of zone %s from %lu to %lu",
			    d->zone, old_ttl, e->cc->lowered_ttl);
			dom_setf(e, d, "prepare.old_ttl", "%lu", old_ttl);
			dom_setf(e, d, "prepare.done", "%lld",
			    (long long)time(NULL));
			dom_save(e, d);
			continue;
		}
		/* a lost answer last time: the panel may already have it */
		if (dom_time(d, "prepare.intent") &&
		    d->soa.ttl == e->cc->lowered_ttl) {
			dom_note(d, NOTE_INFO, "reconciled: the panel already "
			    "has TTL %lu", d->soa.ttl);
			dom_setf(e, d, "prepare.done", "%lld",
			    (long long)time(NULL));
			dom_set(e, d, "state", "prepared");
			dom_save(e, d);
			continue;
		}
		if (old_ttl <= e->cc->lowered_ttl) {
			dom_note(d, NOTE_INFO, "TTL %lu is already at or below "
			    "%lu: no change, no wait", old_ttl,
			    e->cc->lowered_ttl);
			dom_setf(e, d, "prepare.old_ttl", "%lu", old_ttl);
			dom_setf(e, d, "prepare.done", "%lld",
			    (long long)time(NULL));
			dom_set(e, d, "state", "prepared");
			dom_save(e, d);
			continue;
		}
		dom_setf(e, d, "prepare.old_ttl", "%lu", old_ttl);
		dom_setf(e, d, "prepare.intent", "%lld", (long long)time(NULL));
		if (!dom_save(e, d))
			continue;
		own[b->n] = d;
		if (queue_set_ttl(b, d, e->cc->lowered_ttl) == NULL) {
			own[b->n] = NULL;
			if (d->res == DR_FAILED)
				continue;	/* no full SOA: this one only */
			goto out;
		}
	}
	send_batch(e, b, own);
	for (i = 0; i < b->n; i++) {
		struct op *o = b->ops[i];
		struct dom *d = own[i];
		snprintf(buf, sizeof(buf), "%lu", e->cc->lowered_ttl);
		if (o->result == MC_OK) {
			dom_setf(e, d, "prepare.done", "%lld",
			    (long long)time(NULL));
			dom_set(e, d, "state", "prepared");
			dom_save(e, d);
			dom_note(d, NOTE_DIFF, "zone TTL %s -> %lu",
			    dom_get(d, "prepare.old_ttl"), e->cc->lowered_ttl);
			dom_audit(e, d, "prepare", dom_get(d, "prepare.old_ttl"),
			    buf, "ok");
		} else {
			dom_audit(e, d, "prepare", dom_get(d, "prepare.old_ttl"),
			    buf, op_unknown(o) ? "unknown" : "failed");
			dom_fail(d, "lowering the TTL: %s%s", o->msg,
			    op_unknown(o) ? " (run again: the zone is read "
			    "first)" : "");
		}
	}
	/* every authoritative server must serve the lowered TTL */
	step_sync(e, 1);
	for (i = 0; i < e->n; i++) {
		struct dom *d = &e->doms[i];
		time_t g;
		if (!active(d) || d->res == DR_WAIT)
			continue;
		g = gate_switch(e, d);
		if (g >= 0) {
			human(remaining(e, g), buf, sizeof(buf));
			dom_next(d, "switch", g);
			dom_done(d, "TTL lowered; the switch is possible %s%s",
			    g <= e->now ? "now" : "in ", g <= e->now ? "" : buf);
		}
	}
out:
	batch_free(b);
	free(own);
}

/* ---- switch (runbook 1) ---- */

/* "mail.example.com A 127.0.3.20" */
static void
rec_text(const struct dom *d, const struct own_rec *r, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s %s %s", r->label, r->label[0] ? "." : "",
	    d->zone, r->type, r->value);
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
		rec_text(d, &dec->changes[i].rec, what, sizeof(what));
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
	struct dns_record *nr;
	char fq[320];

	if ((nr = realloc(d->recs, (d->nrecs + 1) * sizeof(*nr))) == NULL)
		return 0;
	d->recs = nr;
	nr = &d->recs[d->nrecs];
	memset(nr, 0, sizeof(*nr));
	snprintf(fq, sizeof(fq), "%s%s%s.", o->rec.host, o->rec.host[0] ?
	    "." : "", d->zone);
	nr->id = o->id;
	nr->site_id = d->site_id;
	nr->alias = d->alias;
	nr->type = strdup(o->rec.type);
	nr->host = strdup(fq);
	nr->value = strdup(o->rec.value);
	nr->opt = strdup("");
	d->nrecs++;
	return nr->type && nr->host && nr->value && nr->opt;
}

/* the adds of every domain's decision, one packet per batch */
static int
converge_adds(struct engine *e, struct dom **list, size_t nlist,
    const char *step, enum own_dir dir, int *lost)
{
	struct batch *b;
	struct dom **own = NULL;
	struct own_decision dec;
	size_t i, k, cap = 0;
	char what[400];
	int ok = 0;

	if ((b = batch_new()) == NULL)
		return 0;
	for (i = 0; i < nlist; i++) {
		struct dom *d = list[i];
		if (!active(d) || d->res == DR_WAIT || manual_mode(d))
			continue;
		if (!dom_decide(e, d, dir, &dec))
			continue;
		/* what is not ours at our names: reported, never touched */
		for (k = 0; k < dec.nothers; k++) {
			rec_text(d, &dec.others[k], what, sizeof(what));
			dom_note(d, dec.others[k].cls == OWN_BAD ? NOTE_WARN :
			    NOTE_INFO, "%s is %s: left alone", what,
			    dec.others[k].cls == OWN_BAD ? "not an IP address" :
			    "not the old server's");
		}
		for (k = 0; k < dec.nchanges; k++) {
			if (dec.changes[k].del)
				continue;
			if (b->n == cap) {
				struct dom **p = realloc(own, (cap ? cap * 2 :
				    64) * sizeof(*p));
				if (p == NULL) {
					own_decision_clear(&dec);
					goto out;
				}
				own = p;
				cap = cap ? cap * 2 : 64;
			}
			own[b->n] = d;
			if (queue_add(b, d, &dec.changes[k].rec) == NULL) {
				own_decision_clear(&dec);
				goto out;
			}
		}
		own_decision_clear(&dec);
	}
	if (b->n > 0)
		send_batch(e, b, own);
	for (i = 0; i < b->n; i++) {
		struct op *o = b->ops[i];
		struct dom *d = own[i];
		struct own_rec r;
		memset(&r, 0, sizeof(r));
		snprintf(r.label, sizeof(r.label), "%s", o->rec.host);
		snprintf(r.type, sizeof(r.type), "%s", o->rec.type);
		snprintf(r.value, sizeof(r.value), "%s", o->rec.value);
		rec_text(d, &r, what, sizeof(what));
		if (o->result == MC_OK) {
			dom_note(d, NOTE_DIFF, "added %s (record %lu)", what,
			    o->id);
			dom_audit(e, d, step, "-", what, "added");
			if (!*lost && !record_added(d, o))
				goto out;
		} else if (o->result == MC_E_API && o->errcode == 1007) {
			/* already there: re-read to learn its id */
			dom_note(d, NOTE_INFO, "%s is already in the zone",
			    what);
			*lost = 1;
		} else if (op_unknown(o)) {
			*lost = 1;
		} else {
			dom_audit(e, d, step, "-", what, "failed");
			dom_fail(d, "adding %s: %s; nothing was deleted", what,
			    o->msg);
		}
	}
	ok = 1;
out:
	batch_free(b);
	free(own);
	return ok;
}

/*
 * Make-before-break toward the decision (owner.h): forward, the new
 * address at each of our names in place of the old one; back, the
 * journaled records exactly. Adds go first (one packet per batch). The
 * deletes are decided again from the zone as it is then -- re-read when
 * an answer was lost, never guessed -- and the decision deletes at a name
 * only once nothing is left to add there.
 */
static void
converge(struct engine *e, struct dom **list, size_t nlist, const char *step,
    enum own_dir dir)
{
	struct batch *b = NULL;
	struct dom **own = NULL;
	char (*whats)[200] = NULL;
	struct own_decision dec;
	size_t i, k, cap = 0;
	char what[400];
	int lost = 0;

	for (i = 0; i < nlist; i++)
		if (active(list[i]) && list[i]->res != DR_WAIT &&
		    manual_mode(list[i]) && dom_decide(e, list[i], dir, &dec)) {
			manual_changes(list[i], &dec);
			own_decision_clear(&dec);
		}
	if (!converge_adds(e, list, nlist, step, dir, &lost))
		goto nomem;
	if (lost && !engine_read(e))
		return;
	if ((b = batch_new()) == NULL)
		goto nomem;
	for (i = 0; i < nlist; i++) {
		struct dom *d = list[i];
		if (!active(d) || d->res == DR_WAIT || manual_mode(d))
			continue;
		if (!dom_decide(e, d, dir, &dec))
			continue;
		for (k = 0; k < dec.nchanges; k++) {
			if (!dec.changes[k].del) {
				/* still missing after a re-read */
				rec_text(d, &dec.changes[k].rec, what,
				    sizeof(what));
				dom_fail(d, "%s is not in the zone after a lost "
				    "answer; nothing was deleted (run %s again: "
				    "the zone is read first)", what, step);
				break;
			}
		}
		for (k = 0; active(d) && k < dec.nchanges; k++) {
			if (b->n == cap) {
				size_t nc = cap ? cap * 2 : 64;
				struct dom **p = realloc(own, nc * sizeof(*p));
				char (*w)[200];
				if (p != NULL)
					own = p;
				w = realloc(whats, nc * sizeof(*w));
				if (p == NULL || w == NULL) {
					own_decision_clear(&dec);
					goto nomem;
				}
				whats = w;
				cap = nc;
			}
			/* name the record as the audit reader knows it */
			rec_text(d, &dec.changes[k].rec, whats[b->n],
			    sizeof(whats[0]));
			own[b->n] = d;
			if (queue_del(b, dec.changes[k].rec.id) == NULL) {
				own_decision_clear(&dec);
				goto nomem;
			}
		}
		own_decision_clear(&dec);
	}
	send_batch(e, b, own);
	for (i = 0; i < b->n; i++) {
		struct op *o = b->ops[i];
		struct dom *d = own[i];
		if (o->result == MC_OK || (o->nitems == 1 &&
		    o->items[0].result == MC_E_NOTFOUND)) {
			dom_note(d, NOTE_DIFF, "deleted record %lu (%s)",
			    o->ids[0], whats[i]);
			dom_audit(e, d, step, whats[i], "-", "deleted");
		} else if (op_unknown(o))
			dom_note(d, NOTE_WARN, "delete of record %lu (%s): "
			    "answer lost; checked by DNS next", o->ids[0],
			    whats[i]);
		else {
			dom_audit(e, d, step, whats[i], "-", "failed");
			dom_fail(d, "deleting record %lu (%s): %s (the new "
			    "record is in place; run again)", o->ids[0],
			    whats[i], o->msg);
		}
	}
	batch_free(b);
	free(own);
	free(whats);
	return;
nomem:
	for (i = 0; i < nlist; i++)
		if (active(list[i]))
			dom_fail(list[i], "out of memory");
	batch_free(b);
	free(own);
	free(whats);
}

/* ---- residual mail: mailbox usage on the old server ---- */

/*
 * Read the mailbox usage (bytes) of every mail name of each domain on the
 * source panel, one get_info per domain, all in one batch. out[i] gets
 * "name=bytes name=bytes" (malloc'd) or NULL when it could not be read.
 */
static void
usage_read(struct engine *e, struct dom **ds, size_t n, char **out)
{
	struct batch *b = NULL;
	struct dom **own = NULL;
	size_t i, k;

	if (n == 0 || (b = batch_new()) == NULL ||
	    (own = owners(n)) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		out[i] = NULL;
		if (!active(ds[i]) || ds[i]->site_id == 0 ||
		    !dom_mail_ours(ds[i]))
			continue;
		own[b->n] = ds[i];
		if (queue_mail(b, ds[i], OP_MAIL_GET_INFO) == NULL)
			goto out;
	}
	send_batch(e, b, own);
	for (k = 0; k < b->n; k++) {
		struct op *o = b->ops[k];
		char buf[4096] = "";
		size_t used = 0, m;
		if (o->result != MC_OK)
			continue;
		for (m = 0; m < o->nstrs && used < sizeof(buf); m++)
			used += (size_t)snprintf(buf + used, sizeof(buf) - used,
			    "%s%s=%lu", m ? " " : "", o->strs[m],
			    o->usage ? o->usage[m] : 0UL);
		for (i = 0; i < n; i++)
			if (ds[i] == own[k])
				out[i] = strdup(buf);
	}
out:
	batch_free(b);
	free(own);
}

static unsigned long
usage_of(const char *list, const char *name, int *found)
{
	size_t nl = strlen(name);
	const char *p;

	*found = 0;
	for (p = list; p != NULL && *p != '\0'; ) {
		if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
			*found = 1;
			return strtoul(p + nl + 1, NULL, 10);
		}
		p = strchr(p, ' ');
		if (p != NULL)
			p++;
	}
	return 0;
}

/* at the switch: remember how full each old mailbox was */
static void
residual_base(struct engine *e, struct dom **ds, size_t n)
{
	char **base = calloc(n + 1, sizeof(char *));
	size_t i;

	if (base == NULL)
		return;
	usage_read(e, ds, n, base);
	for (i = 0; i < n; i++) {
		if (base[i] != NULL && dom_set(e, ds[i], "residual.base",
		    base[i]))
			dom_save(e, ds[i]);
		free(base[i]);
	}
	free(base);
}

/*
 * The residual report: mailboxes on the old server that grew since the
 * switch, i.e. mail that senders with a stale cache delivered there. The
 * XML API gives sizes, not messages: the report names the mailboxes and
 * the bytes, for the operator to copy (imapsync, Plesk Migrator's
 * copy-mail-content).
 */
void
step_residual(struct engine *e, struct dom **ds, size_t n)
{
	char **now = calloc(n + 1, sizeof(char *));
	size_t i;

	if (now == NULL)
		return;
	usage_read(e, ds, n, now);
	for (i = 0; i < n; i++) {
		struct dom *d = ds[i];
		const char *base = dom_get(d, "residual.base"), *p;
		char report[1024] = "", name[128];
		size_t used = 0, grew = 0;
		if (!active(d) || now[i] == NULL || base == NULL) {
			if (active(d) && base == NULL && dom_time(d, "switch.done"))
				dom_note(d, NOTE_INFO, "residual mail: no "
				    "mailbox sizes were taken at the switch");
			free(now[i]);
			continue;
		}
		for (p = now[i]; *p != '\0'; ) {
			size_t len = strcspn(p, "=");
			unsigned long after, before;
			int found;
			snprintf(name, sizeof(name), "%.*s", (int)len, p);
			after = strtoul(p + len + 1, NULL, 10);
			before = usage_of(base, name, &found);
			if (after > before && used < sizeof(report)) {
				used += (size_t)snprintf(report + used,
				    sizeof(report) - used, "%s%s@%s +%lu bytes",
				    grew ? ", " : "", name, d->zone,
				    after - before);
				grew++;
			}
			p = strchr(p, ' ');
			if (p == NULL)
				break;
			p++;
		}
		if (grew) {
			dom_note(d, NOTE_WARN, "residual mail: %zu mailbox%s on "
			    "the old server grew after the switch: %s; copy "
			    "them to the new server (imapsync, or Plesk "
			    "Migrator's copy-mail-content)", grew,
			    grew == 1 ? "" : "es", report);
			dom_set(e, d, "residual.report", report);
		} else {
			dom_note(d, NOTE_CHECK, "residual mail: no mailbox on "
			    "the old server grew after the switch");
			dom_set(e, d, "residual.report", "none");
		}
		dom_save(e, d);
		free(now[i]);
	}
	free(now);
}

void
step_switch(struct engine *e)
{
	struct dom **list = NULL;
	size_t i, n = 0;
	char buf[32];

	if (!engine_read(e))
		return;
	if ((list = calloc(e->n + 1, sizeof(*list))) == NULL)
		return;
	/* a prepared zone whose lowered TTL was not yet seen everywhere */
	step_sync(e, 1);
	for (i = 0; i < e->n; i++) {
		struct dom *d = &e->doms[i];
		time_t g;
		if (!active(d) || d->res == DR_WAIT)
			continue;
		d->next[0] = '\0';
		if (dom_time(d, "switch.done")) {
			d->noop = 1;
			continue;
		}
		if (dom_get(d, "old_ip") == NULL) {
			struct own_decision dec;
			int ours;
			engine_targets(e);
			if (!dom_decide(e, d, OWN_FORWARD, &dec))
				continue;
			ours = verdict_outcome(d, &dec);
			own_decision_clear(&dec);
			if (!ours)
				continue;
			if (!e->force) {
				dom_wait(d, "prepare", 0, "the TTL was not "
				    "lowered yet: run prepare first");
				continue;
			}
			if (!capture(e, d))
				continue;
		}
		g = gate_switch(e, d);
		if ((g < 0 || g > e->now) && !e->force) {
			if (g < 0) {
				dom_wait(d, "switch", 0, "not every name server "
				    "serves the lowered TTL yet (run prepare "
				    "or sync again)");
				continue;
			}
			human(remaining(e, g), buf, sizeof(buf));
			dom_wait(d, "switch", g, "TTL gate: caches may still "
			    "hold the old TTL for %s (%ld s)", buf,
			    remaining(e, g));
			continue;
		}
		if (g < 0 || g > e->now) {
			fprintf(stderr, "mailcutover: WARNING: %s: switching "
			    "before the TTL gate (--force): resolvers may keep "
			    "the old address for up to %s s\n", d->name,
			    dom_get(d, "prepare.old_ttl") ?
			    dom_get(d, "prepare.old_ttl") : "?");
			dom_setf(e, d, "switch.forced", "%lld",
			    (long long)time(NULL));
			dom_audit(e, d, "switch", "gate closed", "forced",
			    "forced");
		}
		if (!dom_time(d, "switch.intent"))
			dom_setf(e, d, "switch.intent", "%lld",
			    (long long)time(NULL));
		if (!dom_save(e, d))
			continue;
		list[n++] = d;
	}
	converge(e, list, n, "switch", OWN_FORWARD);
	/* the runbook's "Update" check: the primary serves the new records */
	authdns_wait_primary(e, list, n, EXPECT_NEW, e->cc->switch_timeout);
	/* how full the old mailboxes are now: the base of the residual report */
	residual_base(e, list, n);
	for (i = 0; i < n; i++) {
		struct dom *d = list[i];
		if (!active(d) || d->res == DR_WAIT)
			continue;
		dom_setf(e, d, "switch.done", "%lld", (long long)time(NULL));
		dom_set(e, d, "state", "switched");
		if (dom_save(e, d)) {
			dom_next(d, "sync", 0);
			dom_done(d, "the primary serves %s%s%s for %s",
			    dom_new_ip(d), dom_get(d, "new_ip6") &&
			    *dom_get(d, "new_ip6") ? " and " : "",
			    dom_get(d, "new_ip6") ? dom_get(d, "new_ip6") : "",
			    dom_get(d, "names"));
			dom_audit(e, d, "switch", dom_old_ip(d), dom_new_ip(d),
			    "done");
		}
	}
	free(list);
}

/* ---- disable-old-mail (runbook 3) ---- */

void
step_disable(struct engine *e)
{
	struct batch *b = NULL;
	struct dom **own = NULL;
	size_t i;
	char buf[32];

	if (!engine_read(e))
		return;
	if ((b = batch_new()) == NULL || (own = owners(e->n)) == NULL)
		goto out;
	for (i = 0; i < e->n; i++) {
		struct dom *d = &e->doms[i];
		time_t g;
		if (!active(d) || d->res == DR_WAIT)
			continue;
		if (dom_time(d, "disable.done")) {
			d->noop = 1;
			continue;
		}
		if (!dom_time(d, "sync.done")) {
			dom_wait(d, "sync", 0, "old mail stays on until every "
			    "name server serves the new records (run sync)");
			continue;
		}
		if (!dom_mail_ours(d)) {
			/* never the parent's mail for an alias or subdomain */
			dom_note(d, NOTE_INFO, "the mail of %s %s is its site's "
			    "mail: not disabled here (it goes off when the "
			    "site itself is migrated)", dom_get(d, "kind"),
			    d->name);
			dom_setf(e, d, "disable.done", "%lld",
			    (long long)time(NULL));
			dom_set(e, d, "state", "mail_disabled");
			dom_save(e, d);
			dom_next(d, "verify", 0);
			continue;
		}
		g = gate_disable(e, d);
		if (g > e->now && !e->force) {
			human(remaining(e, g), buf, sizeof(buf));
			dom_wait(d, "disable-old-mail", g, "mail gate: senders "
			    "may still use the old address for %s (%ld s)",
			    buf, remaining(e, g));
			continue;
		}
		if (g > e->now) {
			fprintf(stderr, "mailcutover: WARNING: %s: disabling "
			    "old mail before its gate (--force)\n", d->name);
			dom_setf(e, d, "disable.forced", "%lld",
			    (long long)time(NULL));
			dom_audit(e, d, "disable-old-mail", "gate closed",
			    "forced", "forced");
		}
		if (d->mailservice == 0) {
			const char *om = dom_get(d, "orig.mail");
			dom_note(d, NOTE_INFO, "%s", om && !strcmp(om, "off") ?
			    "mail was already off on the old server" :
			    "reconciled: mail is already off on the old server");
			dom_setf(e, d, "disable.done", "%lld",
			    (long long)time(NULL));
			dom_set(e, d, "state", "mail_disabled");
			dom_save(e, d);
			dom_next(d, "verify", 0);
			continue;
		}
		dom_setf(e, d, "disable.intent", "%lld", (long long)time(NULL));
		if (!dom_save(e, d))
			continue;
		own[b->n] = d;
		if (queue_mail(b, d, OP_MAIL_DISABLE) == NULL)
			goto out;
	}
	send_batch(e, b, own);
	for (i = 0; i < b->n; i++)
		if (b->ops[i]->result != MC_OK && !op_unknown(b->ops[i]))
			dom_fail(own[i], "mail disable: %s", b->ops[i]->msg);
	/* read the preferences back: the only proof that counts */
	if (b->n > 0 && engine_read(e))
		for (i = 0; i < b->n; i++) {
			struct dom *d = own[i];
			if (!active(d))
				continue;
			if (d->mailservice != 0) {
				dom_audit(e, d, "disable-old-mail", "on", "off",
				    "not confirmed");
				dom_fail(d, "mail disable not confirmed: the "
				    "panel still reports mail on");
				continue;
			}
			dom_setf(e, d, "disable.done", "%lld",
			    (long long)time(NULL));
			dom_set(e, d, "state", "mail_disabled");
			dom_save(e, d);
			dom_note(d, NOTE_DIFF, "mail on the old server: on -> off");
			dom_audit(e, d, "disable-old-mail", "on", "off", "ok");
			dom_next(d, "verify", 0);
			dom_done(d, "old mail disabled (confirmed by get_prefs)");
		}
out:
	batch_free(b);
	free(own);
}

/* ---- finish (runbook 5-6) ---- */

void
step_finish(struct engine *e)
{
	struct batch *b = NULL;
	struct dom **own = NULL;
	size_t i;
	char buf[32];

	if (!engine_read(e))
		return;
	if ((b = batch_new()) == NULL || (own = owners(e->n)) == NULL)
		goto out;
	for (i = 0; i < e->n; i++) {
		struct dom *d = &e->doms[i];
		if (!active(d))
			continue;
		if (dom_time(d, "finish.done")) {
			d->noop = 1;
			continue;
		}
		if (!dom_time(d, "verify.done") && !e->force) {
			dom_wait(d, "verify", 0, "not verified yet (run verify)");
			continue;
		}
		if (!manual_mode(d)) {
			dom_note(d, NOTE_INFO, "the old server was the primary "
			    "DNS of %s: at the registrar, change the name "
			    "servers of %s to the new server's, and keep the "
			    "old server serving the zone for at least the "
			    "delegation TTL", d->zone, d->zone);
			if (!e->confirm_registrar) {
				dom_wait(d, "finish", 0, "confirm the registrar "
				    "change: mailcutover finish "
				    "--confirm-registrar %s", d->name);
				continue;
			}
			dom_audit(e, d, "registrar", "-", "confirmed",
			    "confirmed by operator");
		}
		if (d->soa.ttl != e->cc->restored_ttl && !manual_mode(d)) {
			own[b->n] = d;
			if (queue_set_ttl(b, d, e->cc->restored_ttl) == NULL) {
				own[b->n] = NULL;
				if (d->res == DR_FAILED)
					continue;
				goto out;
			}
		}
	}
	send_batch(e, b, own);
	for (i = 0; i < b->n; i++)
		if (b->ops[i]->result != MC_OK)
			dom_fail(own[i], "restoring the TTL: %s",
			    b->ops[i]->msg);
	for (i = 0; i < e->n; i++) {
		struct dom *d = &e->doms[i];
		if (!active(d) || d->res == DR_WAIT || d->noop)
			continue;
		snprintf(buf, sizeof(buf), "%lu", e->cc->restored_ttl);
		dom_audit(e, d, "finish", dom_get(d, "prepare.old_ttl") ?
		    "lowered TTL" : "-", buf, "ok");
		dom_setf(e, d, "finish.done", "%lld", (long long)time(NULL));
		dom_set(e, d, "state", "done");
		dom_save(e, d);
		dom_note(d, NOTE_DIFF, "zone TTL -> %lu", e->cc->restored_ttl);
		dom_done(d, "cutover finished");
	}
out:
	batch_free(b);
	free(own);
}

/* ---- rollback ---- */

static const char *const step_keys[] = {
	"prepare.intent", "prepare.done", "prepare.confirmed",
	"prepare.old_ttl", "switch.intent", "switch.done", "switch.forced",
	"sync.done", "sync.serial", "disable.intent", "disable.done",
	"disable.forced", "verify.done", "finish.done",
};

void
step_rollback(struct engine *e)
{
	struct batch *b = NULL;
	struct dom **own = NULL, **list = NULL;
	size_t i, k, n = 0;
	unsigned long ttl;

	if (!engine_read(e))
		return;
	if ((list = calloc(e->n + 1, sizeof(*list))) == NULL)
		return;
	for (i = 0; i < e->n; i++) {
		struct dom *d = &e->doms[i];
		d->next[0] = '\0';
		if (!active(d))
			continue;
		if (dom_get(d, "old_ip") == NULL) {
			d->noop = 1;
			dom_done(d, "nothing to roll back");
			continue;
		}
		if (!dom_time(d, "rollback.intent"))
			dom_setf(e, d, "rollback.intent", "%lld",
			    (long long)time(NULL));
		dom_set(e, d, "state", "rolling_back");
		if (!dom_save(e, d))
			continue;
		if (manual_mode(d)) {
			dom_note(d, NOTE_DIFF, "at the primary DNS: set %s A "
			    "of %s back to %s", dom_get(d, "names"), d->zone,
			    dom_old_ip(d));
		}
		list[n++] = d;
	}
	/* records: the originals back first, then the new ones out */
	converge(e, list, n, "rollback", OWN_BACK);
	if ((b = batch_new()) == NULL || (own = owners(e->n * 2)) == NULL)
		goto out;
	for (k = 0; k < n; k++) {
		struct dom *d = list[k];
		const char *om = dom_get(d, "orig.mail");
		if (!active(d))
			continue;
		if (om && !strcmp(om, "on") && d->mailservice == 0) {
			own[b->n] = d;
			if (queue_mail(b, d, OP_MAIL_ENABLE) == NULL)
				goto out;
		}
		if (journal_get_ulong(d->j, "orig.ttl", &ttl) &&
		    d->soa.ttl != ttl && !manual_mode(d)) {
			own[b->n] = d;
			if (queue_set_ttl(b, d, ttl) == NULL) {
				own[b->n] = NULL;
				if (d->res == DR_FAILED)
					continue;
				goto out;
			}
		}
	}
	send_batch(e, b, own);
	for (i = 0; i < b->n; i++) {
		struct op *o = b->ops[i];
		if (o->result == MC_OK) {
			if (o->kind == OP_MAIL_ENABLE) {
				dom_note(own[i], NOTE_DIFF, "mail on the old "
				    "server: off -> on");
				dom_audit(e, own[i], "rollback", "mail off",
				    "mail on", "ok");
			} else {
				dom_note(own[i], NOTE_DIFF, "zone TTL -> %s",
				    dom_get(own[i], "orig.ttl"));
				dom_audit(e, own[i], "rollback", "TTL",
				    dom_get(own[i], "orig.ttl"), "ok");
			}
		} else
			dom_fail(own[i], "rollback: %s: %s",
			    op_operation(o->kind), o->msg);
	}
	authdns_wait_primary(e, list, n, EXPECT_ORIG, e->cc->switch_timeout);
	/* the secondaries too; a laggard is reported, not a failure */
	authdns_converge(e, list, n, EXPECT_ORIG);
	for (k = 0; k < n; k++) {
		struct dom *d = list[k];
		if (!active(d) || d->res == DR_WAIT)
			continue;
		for (i = 0; i < sizeof(step_keys) / sizeof(step_keys[0]); i++)
			journal_unset(d->j, step_keys[i]);
		journal_unset(d->j, "rollback.intent");
		dom_setf(e, d, "rollback.done", "%lld", (long long)time(NULL));
		dom_set(e, d, "state", "rolled_back");
		if (dom_save(e, d)) {
			dom_audit(e, d, "rollback", dom_new_ip(d), dom_old_ip(d),
			    "done");
			dom_done(d, "rolled back: %s serve %s again; TTL %s; "
			    "mail %s", dom_get(d, "names"), dom_old_ip(d),
			    dom_get(d, "orig.ttl"), dom_get(d, "orig.mail"));
		}
	}
out:
	batch_free(b);
	free(own);
	free(list);
}
