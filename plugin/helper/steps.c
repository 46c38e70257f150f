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

#define MAX_AT 16	/* A records considered at one name */

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

static const char *
decide_new_ip(const struct engine *e)
{
	if (e->new_ip != NULL)
		return e->new_ip;
	if (e->cc->new_ip != NULL)
		return e->cc->new_ip;
	return NULL;
}

/*
 * Fill site_id, zone, mode, old_ip, new_ip, names and orig.* from the
 * panel's current zone. Returns 1 when the journal holds an identity.
 */
static int
capture(struct engine *e, struct dom *d)
{
	const struct dns_record *at[MAX_AT];
	const char *new_ip, *old_ip = e->old_ip;
	char names[256] = "", key[32];
	size_t i, k, n, nrec = 0;

	if (dom_get(d, "old_ip") != NULL && dom_get(d, "names") != NULL)
		return 1;
	if ((new_ip = decide_new_ip(e)) == NULL) {
		dom_fail(d, "no new IP: give --new-ip or set new_ip in [cutover]");
		return 0;
	}
	/* old IP: given, or the value of the first record name found */
	for (i = 0; old_ip == NULL && i < e->cc->nrecords; i++) {
		n = dom_records_at(d, e->cc->records[i], at, MAX_AT);
		for (k = 0; k < n && old_ip == NULL; k++)
			if (strcmp(at[k]->value, new_ip) != 0)
				old_ip = at[k]->value;
	}
	if (old_ip == NULL) {
		for (i = 0, n = 0; i < e->cc->nrecords; i++)
			n += dom_records_at(d, e->cc->records[i], at, MAX_AT);
		if (n > 0)
			dom_fail(d, "every record of %s already has the new IP "
			    "%s; nothing to switch (give --old-ip to adopt it)",
			    d->zone, new_ip);
		else
			dom_fail(d, "zone %s has no A record for %s.%s (or the "
			    "other configured names); nothing to switch",
			    d->zone, e->cc->records[0], d->zone);
		return 0;
	}
	if (strcmp(old_ip, new_ip) == 0) {
		dom_fail(d, "old and new IP are both %s", new_ip);
		return 0;
	}
	for (i = 0; i < e->cc->nrecords; i++) {
		n = dom_records_at(d, e->cc->records[i], at, MAX_AT);
		if (n == 0) {
			dom_note(d, NOTE_WARN, "%s.%s has no A record; not "
			    "switched", e->cc->records[i], d->zone);
			continue;
		}
		if (names[0])
			strncat(names, " ", sizeof(names) - strlen(names) - 1);
		strncat(names, e->cc->records[i],
		    sizeof(names) - strlen(names) - 1);
		for (k = 0; k < n; k++) {
			snprintf(key, sizeof(key), "orig.rec.%zu", nrec++);
			if (!dom_setf(e, d, key, "%s|A|%s", e->cc->records[i],
			    at[k]->value))
				return 0;
		}
	}
	if (!dom_setf(e, d, "site_id", "%lu", d->site_id) ||
	    !dom_set(e, d, "zone", d->zone) ||
	    !dom_set(e, d, "mode", d->zone_enabled == 1 && d->zone_master ?
	    "panel" : "manual") ||
	    !dom_set(e, d, "old_ip", old_ip) ||
	    !dom_set(e, d, "new_ip", new_ip) ||
	    !dom_set(e, d, "names", names) ||
	    !dom_setf(e, d, "orig.ttl", "%lu", d->soa.ttl) ||
	    !dom_set(e, d, "orig.mail", d->mailservice == 0 ? "off" : "on") ||
	    !dom_setf(e, d, "orig.count", "%zu", nrec) ||
	    !dom_set(e, d, "state", "planned"))
		return 0;
	return dom_save(e, d);
}

static int
manual_mode(const struct dom *d)
{
	const char *m = dom_get(d, "mode");

	return m != NULL && strcmp(m, "manual") == 0;
}

/* ---- batches ---- */

static struct op *
queue_set_ttl(struct batch *b, const struct dom *d, unsigned long ttl)
{
	struct op *o = batch_add(b, OP_DNS_SET);

	if (o == NULL || op_set_ids(o, &d->site_id, 1) != MC_OK)
		return NULL;
	o->soa.set = SOA_TTL;
	o->soa.ttl = ttl;
	return o;
}

static struct op *
queue_add(struct batch *b, const struct dom *d, const char *label,
    const char *ip)
{
	struct op *o = batch_add(b, OP_DNS_ADD_REC);

	if (o == NULL)
		return NULL;
	o->rec.site_id = d->site_id;
	if ((o->rec.type = strdup(valid_ipv6(ip) ? "AAAA" : "A")) == NULL ||
	    (o->rec.host = strdup(label)) == NULL ||
	    (o->rec.value = strdup(ip)) == NULL)
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
		if (queue_set_ttl(b, d, e->cc->lowered_ttl) == NULL)
			goto out;
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

static int
has_value(const struct dns_record *const *at, size_t n, const char *v)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (strcmp(at[k]->value, v) == 0)
			return 1;
	return 0;
}

/* queue deletes of old-IP records at names that have the new record */
static int
queue_deletes(struct engine *e, struct dom *d, struct batch *b,
    struct dom **own, const char *remove_ip, const char *keep_ip)
{
	const struct dns_record *at[MAX_AT];
	char labels[DOM_MAX_LABELS][64];
	size_t l, nl = dom_labels(d, labels), k, n;

	for (l = 0; l < nl; l++) {
		n = dom_records_at(d, labels[l], at, MAX_AT);
		if (!has_value(at, n, keep_ip))
			continue;	/* never leave a name empty */
		for (k = 0; k < n; k++) {
			if (strcmp(at[k]->value, remove_ip) != 0)
				continue;
			own[b->n] = d;
			if (queue_del(b, at[k]->id) == NULL)
				return 0;
		}
	}
	(void)e;
	return 1;
}

/*
 * Make-before-break convergence toward "each switched name has want_ip,
 * and no drop_ip": add missing want_ip records (one packet per batch),
 * re-read only if an answer was lost, then delete drop_ip records at
 * names that now have want_ip (one packet per batch). Never deletes at a
 * name whose new record is not confirmed.
 */
static void
converge(struct engine *e, struct dom **list, size_t nlist, const char *step,
    int rollback)
{
	struct batch *b = NULL;
	struct dom **own = NULL;
	const struct dns_record *at[MAX_AT];
	char labels[DOM_MAX_LABELS][64];
	size_t i, k, n, l, nl;
	int lost = 0;

	if ((b = batch_new()) == NULL || (own = owners(e->n * 16)) == NULL)
		goto out;
	for (i = 0; i < nlist; i++) {
		struct dom *d = list[i];
		const char *want = rollback ? dom_old_ip(d) : dom_new_ip(d);
		if (!active(d) || d->res == DR_WAIT || manual_mode(d))
			continue;
		nl = dom_labels(d, labels);
		for (l = 0; l < nl; l++) {
			const char *label = labels[l];
			n = dom_records_at(d, label, at, MAX_AT);
			for (k = 0; k < n; k++)
				if (strcmp(at[k]->value, want) != 0 &&
				    strcmp(at[k]->value, rollback ?
				    dom_new_ip(d) : dom_old_ip(d)) != 0)
					dom_note(d, NOTE_WARN, "%s.%s A %s is "
					    "neither the old nor the new IP: "
					    "left alone", label, d->zone,
					    at[k]->value);
			if (has_value(at, n, want))
				continue;
			own[b->n] = d;
			if (queue_add(b, d, label, want) == NULL)
				goto out;
		}
	}
	send_batch(e, b, own);
	for (i = 0; i < b->n; i++) {
		struct op *o = b->ops[i];
		struct dom *d = own[i];
		char what[300];
		snprintf(what, sizeof(what), "%s.%s A", o->rec.host, d->zone);
		char val[400];
		snprintf(val, sizeof(val), "%s %s", what, o->rec.value);
		if (o->result == MC_OK ||
		    (o->result == MC_E_API && o->errcode == 1007)) {
			dom_note(d, NOTE_DIFF, "added %s %s (record %lu)", what,
			    o->rec.value, o->id);
			dom_audit(e, d, step, "-", val, "added");
		} else if (op_unknown(o)) {
			lost = 1;
		} else {
			dom_audit(e, d, step, "-", val, "failed");
			dom_fail(d, "adding %s %s: %s; nothing was deleted",
			    what, o->rec.value, o->msg);
		}
	}
	if (lost || b->n > 0) {
		/*
		 * Deletes must be computed from the zone as it is now. When
		 * every add answered, the ids read before are still right;
		 * re-read only when some answer was lost.
		 */
		if (lost && !engine_read(e))
			goto out;
		if (!lost) {
			/* record the adds in the in-memory zone */
			for (i = 0; i < b->n; i++) {
				struct op *o = b->ops[i];
				struct dom *d = own[i];
				struct dns_record *nr;
				char fq[300];
				if (d->res == DR_FAILED || (o->result != MC_OK &&
				    o->errcode != 1007))
					continue;
				nr = realloc(d->recs, (d->nrecs + 1) *
				    sizeof(*nr));
				if (nr == NULL)
					goto out;
				d->recs = nr;
				snprintf(fq, sizeof(fq), "%s.%s.", o->rec.host,
				    d->zone);
				memset(&nr[d->nrecs], 0, sizeof(*nr));
				nr[d->nrecs].id = o->id;
				nr[d->nrecs].site_id = d->site_id;
				nr[d->nrecs].type = strdup(o->rec.type);
				nr[d->nrecs].host = strdup(fq);
				nr[d->nrecs].value = strdup(o->rec.value);
				nr[d->nrecs].opt = strdup("");
				if (!nr[d->nrecs].type || !nr[d->nrecs].host ||
				    !nr[d->nrecs].value || !nr[d->nrecs].opt) {
					d->nrecs++;
					goto out;
				}
				d->nrecs++;
			}
		}
	}
	batch_free(b);
	b = batch_new();
	if (b == NULL)
		goto out;
	memset(own, 0, e->n * 16 * sizeof(*own));
	for (i = 0; i < nlist; i++) {
		struct dom *d = list[i];
		if (!active(d) || d->res == DR_WAIT || manual_mode(d))
			continue;
		if (!queue_deletes(e, d, b, own, rollback ? dom_new_ip(d) :
		    dom_old_ip(d), rollback ? dom_old_ip(d) : dom_new_ip(d)))
			goto out;
	}
	send_batch(e, b, own);
	for (i = 0; i < b->n; i++) {
		struct op *o = b->ops[i];
		struct dom *d = own[i];
		char val[400];
		size_t r;
		/* name the record as the audit reader knows it */
		snprintf(val, sizeof(val), "record %lu A %s", o->ids[0],
		    rollback ? dom_new_ip(d) : dom_old_ip(d));
		for (r = 0; r < d->nrecs; r++)
			if (d->recs[r].id == o->ids[0])
				snprintf(val, sizeof(val), "%s A %s",
				    d->recs[r].host, d->recs[r].value);
		if (o->result == MC_OK || (o->nitems == 1 &&
		    o->items[0].result == MC_E_NOTFOUND)) {
			dom_note(d, NOTE_DIFF, "deleted record %lu (%s)",
			    o->ids[0], rollback ? dom_new_ip(d) : dom_old_ip(d));
			dom_audit(e, d, step, val, "-", "deleted");
		} else if (op_unknown(o))
			dom_note(d, NOTE_WARN, "delete of record %lu: answer "
			    "lost; checked by DNS next", o->ids[0]);
		else {
			dom_audit(e, d, step, val, "-", "failed");
			dom_fail(d, "deleting record %lu: %s (the new record "
			    "is in place; run again)", o->ids[0], o->msg);
		}
	}
out:
	batch_free(b);
	free(own);
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
		if (!active(ds[i]) || ds[i]->site_id == 0)
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
		if (manual_mode(d)) {
			dom_note(d, NOTE_DIFF, "at the primary DNS (not this "
			    "panel): in zone %s set %s A to %s (was %s), "
			    "adding the new record before removing the old",
			    d->zone, dom_get(d, "names"), dom_new_ip(d),
			    dom_old_ip(d));
		}
		list[n++] = d;
	}
	converge(e, list, n, "switch", 0);
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
			dom_done(d, "the primary serves %s for %s", dom_new_ip(d),
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
			if (queue_set_ttl(b, d, e->cc->restored_ttl) == NULL)
				goto out;
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
	converge(e, list, n, "rollback", 1);
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
			if (queue_set_ttl(b, d, ttl) == NULL)
				goto out;
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
