/* engine.c -- command driver: domains, locks, journals, reading, output. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "audit.h"
#include "engine.h"
#include "exitcode.h"
#include "host.h"
#include "idn.h"
#include "panel.h"
#include "utf8.h"
#include "valid.h"

/*
 * Journal keys (doc/journal-format.md lists them all):
 *   site_id zone kind mode old_ip new_ip names       identity of the job
 *   orig.ttl orig.mail orig.rec.N (label|type|value)  prior values
 *   prepare.intent prepare.done prepare.confirmed prepare.old_ttl
 *   switch.intent switch.done switch.forced
 *   sync.done sync.serial
 *   disable.intent disable.done disable.forced
 *   verify.done finish.done rollback.intent rollback.done
 *   state                                             last step reached
 */

static const char *const dres_names[DR__MAX] = {
	[DR_DONE] = "done",
	[DR_ALREADY] = "already",
	[DR_SKIPPED] = "skipped",
	[DR_REFUSED] = "refused",
	[DR_WAIT] = "waiting",
	[DR_FAILED] = "failed",
};

static const char *const note_names[NOTE__MAX] = {
	[NOTE_DIFF] = "change",
	[NOTE_INFO] = "info",
	[NOTE_CHECK] = "pass",
	[NOTE_WARN] = "warn",
	[NOTE_BLOCK] = "block",
};

void
dom_note(struct dom *d, enum note_kind k, const char *fmt, ...)
{
	va_list ap;

	if (d->nnotes == ENGINE_MAX_NOTES)
		return;
	if (d->nnotes == d->capnotes) {
		/* most domains carry a handful: no fixed array per domain */
		size_t cap = d->capnotes ? d->capnotes * 2 : 8;
		struct note *p = realloc(d->notes, cap * sizeof(*p));
		if (p == NULL)
			return;
		d->notes = p;
		d->capnotes = cap;
	}
	d->notes[d->nnotes].kind = k;
	va_start(ap, fmt);
	vsnprintf(d->notes[d->nnotes].text, sizeof(d->notes[0].text), fmt, ap);
	va_end(ap);
	utf8_trim(d->notes[d->nnotes].text);
	d->nnotes++;
}

void
dom_fail(struct dom *d, const char *fmt, ...)
{
	va_list ap;

	d->res = DR_FAILED;
	d->skip = 1;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	utf8_trim(d->msg);
}

void
dom_outcome(struct dom *d, enum dres res, const char *fmt, ...)
{
	va_list ap;

	if (d->res == DR_FAILED)
		return;
	d->res = res;
	d->skip = 1;
	d->next[0] = '\0';
	d->next_at = 0;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	utf8_trim(d->msg);
}

void
dom_wait(struct dom *d, const char *next, time_t at, const char *fmt, ...)
{
	va_list ap;

	if (d->res == DR_FAILED || d->res == DR_ALREADY ||
	    d->res == DR_SKIPPED || d->res == DR_REFUSED)
		return;
	d->res = DR_WAIT;
	snprintf(d->next, sizeof(d->next), "%s", next);
	d->next_at = at;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	utf8_trim(d->msg);
}

void
dom_done(struct dom *d, const char *fmt, ...)
{
	va_list ap;

	if (d->res != DR_DONE)
		return;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	utf8_trim(d->msg);
}

int
dom_save(struct engine *e, struct dom *d)
{
	struct mc_err err = { 0 };

	if (journal_save(e->cc->state_dir, d->j, &err) != MC_OK) {
		dom_fail(d, "%s", err.msg);
		return 0;
	}
	return 1;
}

int
dom_set(struct engine *e, struct dom *d, const char *key, const char *v)
{
	struct mc_err err = { 0 };

	if (journal_set(d->j, key, v, &err) != MC_OK) {
		dom_fail(d, "journal: %s", err.msg);
		return 0;
	}
	(void)e;
	return 1;
}

int
dom_setf(struct engine *e, struct dom *d, const char *key, const char *fmt,
    ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return dom_set(e, d, key, buf);
}

const char *
dom_get(const struct dom *d, const char *key)
{
	return d->j != NULL ? journal_get(d->j, key) : NULL;
}

time_t
dom_time(const struct dom *d, const char *key)
{
	unsigned long v;

	if (d->j == NULL || !journal_get_ulong(d->j, key, &v))
		return 0;
	return (time_t)v;
}

void
dom_audit(struct engine *e, struct dom *d, const char *step,
    const char *old_value, const char *new_value, const char *result)
{
	struct mc_err err = { 0 };
	const char *actor = getenv("MAILCUTOVER_ACTOR");

	if (audit_append(e->cc->state_dir, d->name, step, old_value,
	    new_value, result, actor != NULL ? actor : "cli", &err) != MC_OK)
		fprintf(stderr, "mailcutover: %s\n", err.msg);
}

const char *
dom_old_ip(const struct dom *d)
{
	return dom_get(d, "old_ip");
}

const char *
dom_new_ip(const struct dom *d)
{
	return dom_get(d, "new_ip");
}

const char *
dom_show(const struct dom *d, char *buf, size_t n)
{
	if (d->display[0] != '\0' && strcmp(d->display, d->name) != 0)
		snprintf(buf, n, "%s (%s)", d->display, d->name);
	else
		snprintf(buf, n, "%s", d->name);
	utf8_trim(buf);
	return buf;
}

/*
 * The mail operator has no alias form, and a subdomain has no mail
 * service of its own: their mail is their site's. Never disable the
 * parent's mail for them.
 */
int
dom_mail_ours(const struct dom *d)
{
	const char *k = dom_get(d, "kind");

	if (k != NULL)
		return strcmp(k, "alias") != 0 && strcmp(k, "subdomain") != 0;
	return d->kind != SITE_ALIAS && d->kind != SITE_SUBDOMAIN;
}

size_t
dom_labels(const struct dom *d, char out[DOM_MAX_LABELS][64])
{
	const char *p = dom_get(d, "names");
	size_t n = 0;

	while (p != NULL && *p != '\0' && n < DOM_MAX_LABELS) {
		size_t len = strcspn(p, " ");
		snprintf(out[n++], 64, "%.*s", (int)len, p);
		p += len;
		while (*p == ' ')
			p++;
	}
	return n;
}

size_t
dom_records_at(const struct dom *d, const char *label,
    const struct dns_record **out, size_t max)
{
	char rel[256];
	size_t i, k = 0;

	for (i = 0; i < d->nrecs && k < max; i++) {
		if ((strcasecmp(d->recs[i].type, "A") != 0 &&
		    strcasecmp(d->recs[i].type, "AAAA") != 0) ||
		    !host_relative(d->recs[i].host, d->zone, rel, sizeof(rel)))
			continue;
		if (strcmp(rel, label) == 0)
			out[k++] = &d->recs[i];
	}
	return k;
}

size_t
dom_orig(const struct dom *d, struct own_rec **out)
{
	unsigned long cnt = 0, i;
	struct own_rec *v;
	size_t n = 0;
	char key[32];

	*out = NULL;
	if (d->j == NULL || !journal_get_ulong(d->j, "orig.count", &cnt) ||
	    cnt == 0 || (v = calloc(cnt, sizeof(*v))) == NULL)
		return 0;
	for (i = 0; i < cnt; i++) {
		snprintf(key, sizeof(key), "orig.rec.%lu", i);
		if (journal_get(d->j, key) != NULL &&
		    own_rec_parse(journal_get(d->j, key), &v[n]))
			n++;
	}
	*out = v;
	return n;
}

size_t
dom_old_ips(const struct dom *d, const char *out[OWN_MAX_ADDRS],
    char buf[OWN_MAX_ADDRS][64])
{
	const char *p = dom_get(d, "old_ips");
	size_t n = 0, len;

	if (p == NULL)
		p = dom_get(d, "old_ip");	/* journals before old_ips */
	while (p != NULL && *p != '\0' && n < OWN_MAX_ADDRS) {
		len = strcspn(p, " ");
		snprintf(buf[n], 64, "%.*s", (int)len, p);
		out[n] = buf[n];
		n++;
		p += len;
		while (*p == ' ')
			p++;
	}
	return n;
}

/*
 * New addresses: --new-ip / --new-ip6, else the config's, else the
 * domain's addresses on the target panel (the new server's Plesk).
 */
void
engine_targets(struct engine *e)
{
	struct mc_err err = { 0 };
	struct site_ref *refs;
	size_t i, n = 0, *idx;

	if (e->targets_read || !e->conf->target.present ||
	    ((e->new_ip || e->cc->new_ip) && (e->new_ip6 || e->cc->new_ip6)))
		return;
	e->targets_read = 1;
	if (e->tgt == NULL && panel_open(&e->conf->target, &e->tgt, &err)) {
		fprintf(stderr, "mailcutover: target panel: %s\n", err.msg);
		return;
	}
	refs = calloc(e->n + 1, sizeof(*refs));
	idx = calloc(e->n + 1, sizeof(*idx));
	if (refs == NULL || idx == NULL)
		goto out;
	for (i = 0; i < e->n; i++) {
		if (e->doms[i].skip)
			continue;
		refs[n].name = e->doms[i].name;
		refs[n].alt = e->doms[i].display[0] ? e->doms[i].display : NULL;
		idx[n++] = i;
	}
	plesk_resolve(e->tgt, refs, n, &err);
	for (i = 0; i < n; i++) {
		struct dom *d = &e->doms[idx[i]];
		if (refs[i].result != MC_OK)
			continue;
		snprintf(d->target_ip, sizeof(d->target_ip), "%s", refs[i].ip);
		snprintf(d->target_ip6, sizeof(d->target_ip6), "%s",
		    refs[i].ip6);
	}
out:
	free(refs);
	free(idx);
}

static const char *
new4_of(const struct engine *e, const struct dom *d)
{
	if (dom_get(d, "new_ip") != NULL && *dom_get(d, "new_ip") != '\0')
		return dom_get(d, "new_ip");
	if (e->new_ip != NULL)
		return e->new_ip;
	if (e->cc->new_ip != NULL)
		return e->cc->new_ip;
	return d->target_ip[0] ? d->target_ip : NULL;
}

static const char *
new6_of(const struct engine *e, const struct dom *d)
{
	if (dom_get(d, "old_ip") != NULL)	/* journaled: as decided then */
		return dom_get(d, "new_ip6") && *dom_get(d, "new_ip6") ?
		    dom_get(d, "new_ip6") : NULL;
	if (e->new_ip6 != NULL)
		return e->new_ip6;
	if (e->cc->new_ip6 != NULL)
		return e->cc->new_ip6;
	return d->target_ip6[0] ? d->target_ip6 : NULL;
}

int
dom_decide(struct engine *e, struct dom *d, enum own_dir dir,
    struct own_decision *out)
{
	struct own_facts f;
	struct own_rec *orig = NULL;
	struct mc_err err = { 0 };
	char buf[OWN_MAX_ADDRS][64];
	const char *drop;
	size_t i;

	memset(&f, 0, sizeof(f));
	f.zone = d->zone;
	f.recs = d->recs;
	f.nrecs = d->nrecs;
	f.labels = e->cc->records;
	f.nlabels = e->cc->nrecords;
	f.new4 = new4_of(e, d);
	f.new6 = new6_of(e, d);
	if (dom_get(d, "old_ip") != NULL) {
		/* the identity decided at the first change, as journaled */
		f.nold = dom_old_ips(d, f.old, buf);
		drop = dom_get(d, "drop_aaaa");
		f.drop_aaaa = drop != NULL && strcmp(drop, "yes") == 0;
	} else {
		/*
		 * Before: the operator's addresses (--old-ip, else old_ip),
		 * else the panel's; per family, so that giving the public
		 * IPv4 behind a NAT keeps the panel's IPv6.
		 */
		const char *const *op = e->nold_ip ?
		    (const char *const *)e->old_ip :
		    (const char *const *)e->cc->old_ip;
		size_t nop = e->nold_ip ? e->nold_ip : e->cc->nold_ip;
		int has4 = 0, has6 = 0;
		for (i = 0; i < nop && f.nold < OWN_MAX_ADDRS; i++) {
			f.old[f.nold++] = op[i];
			*(strchr(op[i], ':') ? &has6 : &has4) = 1;
		}
		if (!has4 && d->panel_ip[0])
			f.old[f.nold++] = d->panel_ip;
		if (!has6 && d->panel_ip6[0] && f.nold < OWN_MAX_ADDRS)
			f.old[f.nold++] = d->panel_ip6;
		f.drop_aaaa = e->drop_aaaa || e->cc->drop_aaaa;
	}
	if (dir == OWN_BACK)
		f.norig = dom_orig(d, &orig);
	f.orig = orig;
	if (own_decide(&f, dir, out, &err) != MC_OK) {
		free(orig);
		dom_fail(d, "%s", err.msg);
		return 0;
	}
	free(orig);
	return 1;
}

/* ---- gates ---- */

/*
 * Switch gate (runbook 0.2 -> 1). Caches may hold a record for as long as
 * the TTL it was served with. Once every authoritative server serves the
 * lowered TTL (prepare.confirmed), the old TTL must pass before the switch:
 * gate = prepare.confirmed + prepare.old_ttl. A zone whose TTL was already
 * at or below the lowered value was not changed: nothing was ever served
 * with a longer TTL as far as the panel shows, so the gate is
 * prepare.confirmed itself (no further wait).
 */
time_t
gate_switch(const struct engine *e, const struct dom *d)
{
	time_t confirmed = dom_time(d, "prepare.confirmed");
	unsigned long old_ttl = 0;

	if (confirmed == 0)
		return (time_t)-1;	/* not confirmed yet: unknown */
	if (d->j != NULL)
		journal_get_ulong(d->j, "prepare.old_ttl", &old_ttl);
	if (old_ttl <= e->cc->lowered_ttl)
		return confirmed;
	return confirmed + (time_t)old_ttl;
}

/*
 * Disable gate (runbook 2 -> 3): counted from the moment every
 * authoritative server served the new records (sync.done), not from the
 * panel change, so that a lagging secondary does not shorten the wait:
 * gate = sync.done + max(min_wait, zone TTL during the cutover).
 */
time_t
gate_disable(const struct engine *e, const struct dom *d)
{
	time_t synced = dom_time(d, "sync.done");
	unsigned long ttl = e->cc->lowered_ttl, old_ttl = 0, wait;

	if (synced == 0)
		return (time_t)-1;
	if (d->j != NULL && journal_get_ulong(d->j, "prepare.old_ttl",
	    &old_ttl) && old_ttl < ttl)
		ttl = old_ttl;
	wait = e->cc->min_wait > ttl ? e->cc->min_wait : ttl;
	return synced + (time_t)wait;
}

int
in_quiet_hours(const struct engine *e)
{
	struct tm tm;
	int m;

	if (e->cc->quiet_start < 0)
		return 1;	/* no window: always allowed */
	localtime_r(&e->now, &tm);
	m = tm.tm_hour * 60 + tm.tm_min;
	if (e->cc->quiet_start < e->cc->quiet_end)
		return m >= e->cc->quiet_start && m < e->cc->quiet_end;
	return m >= e->cc->quiet_start || m < e->cc->quiet_end;
}

/* ---- panel and reading ---- */

int
engine_source(struct engine *e)
{
	struct mc_err err = { 0 };
	enum mc_result r;
	size_t i;

	if (e->src != NULL)
		return 1;
	if (e->panel_failed)
		return 0;
	if ((r = panel_open(&e->conf->source, &e->src, &err)) != MC_OK) {
		e->panel_failed = exit_panel(r);
		snprintf(e->panel_msg, sizeof(e->panel_msg), "%s", err.msg);
		for (i = 0; i < e->n; i++)
			if (!e->doms[i].skip)
				dom_fail(&e->doms[i], "%s", err.msg);
		return 0;
	}
	return 1;
}

static void
dom_clear_zone(struct dom *d)
{
	size_t i;

	for (i = 0; i < d->nrecs; i++)
		dns_record_clear(&d->recs[i]);
	free(d->recs);
	d->recs = NULL;
	d->nrecs = 0;
	d->have_zone = 0;
}

/* the active domain with this site-id (or site-alias-id) */
static struct dom *
dom_by_site(struct engine *e, unsigned long site, int alias)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (!e->doms[i].skip && e->doms[i].site_id == site &&
		    e->doms[i].alias == alias)
			return &e->doms[i];
	return NULL;
}

/*
 * Resolve the domains that have no site_id in their journal, by both
 * forms of an IDN; take their kind and the panel's addresses. An alias
 * without a zone of its own has nothing to switch: its records are in
 * its site's zone.
 */
static void
resolve_new(struct engine *e)
{
	struct mc_err err = { 0 };
	struct site_ref *refs;
	size_t i, n = 0, *idx;
	enum mc_result r;
	char show[600];

	refs = calloc(e->n + 1, sizeof(*refs));
	idx = calloc(e->n + 1, sizeof(*idx));
	if (refs == NULL || idx == NULL)
		goto nomem;
	for (i = 0; i < e->n; i++) {
		struct dom *d = &e->doms[i];
		unsigned long v;
		const char *a;
		if (d->skip)
			continue;
		if (journal_get_ulong(d->j, "site_id", &v) && v > 0) {
			d->site_id = v;
			a = dom_get(d, "alias");
			d->alias = a != NULL && strcmp(a, "1") == 0;
			snprintf(d->zone, sizeof(d->zone), "%s",
			    dom_get(d, "zone") ? dom_get(d, "zone") : d->name);
			continue;
		}
		refs[n].name = d->name;
		refs[n].alt = d->display[0] ? d->display : NULL;
		idx[n++] = i;
	}
	if (n == 0)
		goto out;
	r = plesk_resolve(e->src, refs, n, &err);
	for (i = 0; i < n; i++) {
		struct dom *d = &e->doms[idx[i]];
		struct site_ref *f = &refs[i];
		if (f->result != MC_OK) {
			dom_fail(d, "%s", r != MC_OK && f->result ==
			    MC_E_NOTFOUND ? err.msg : f->msg);
			continue;
		}
		d->kind = f->kind;
		d->alias = f->kind == SITE_ALIAS;
		if (strcmp(f->stored, d->name) != 0 && d->display[0] == '\0')
			snprintf(d->display, sizeof(d->display), "%s",
			    f->stored);
		if (d->alias && !f->manage_dns) {
			dom_outcome(d, DR_REFUSED, "refused: %s is an alias of "
			    "site %lu without a DNS zone of its own (its records "
			    "are in its site's zone): migrate the site it "
			    "belongs to", dom_show(d, show, sizeof(show)),
			    f->parent_id);
			continue;
		}
		d->site_id = f->id;
		snprintf(d->zone, sizeof(d->zone), "%s", d->name);
		snprintf(d->panel_ip, sizeof(d->panel_ip), "%s", f->ip);
		snprintf(d->panel_ip6, sizeof(d->panel_ip6), "%s", f->ip6);
		dom_set(e, d, "kind", site_kind_name(f->kind));
		dom_set(e, d, "alias", d->alias ? "1" : "0");
	}
	goto out;
nomem:
	for (i = 0; i < e->n; i++)
		if (!e->doms[i].skip)
			dom_fail(&e->doms[i], "out of memory");
out:
	free(refs);
	free(idx);
}

/* queue the three reads for `m` ids of one id space */
static int
queue_reads(struct engine *e, struct batch *b, const unsigned long *ids,
    size_t m, int alias)
{
	struct op *o;

	if ((o = batch_add(b, OP_DNS_GET_REC)) == NULL ||
	    op_set_ids(o, ids, m) != MC_OK)
		return 0;
	o->alias = alias;
	if ((o = batch_add(b, OP_DNS_GET)) == NULL ||
	    op_set_ids(o, ids, m) != MC_OK)
		return 0;
	o->alias = alias;
	o->with_soa = 1;
	(void)e;
	return 1;
}

static int
add_record(struct dom *d, const struct dns_record *src)
{
	struct dns_record *nr = realloc(d->recs, (d->nrecs + 1) * sizeof(*nr));

	if (nr == NULL)
		return 0;
	d->recs = nr;
	nr = &d->recs[d->nrecs++];
	*nr = *src;
	nr->type = strdup(src->type);
	nr->host = strdup(src->host);
	nr->value = strdup(src->value);
	nr->opt = strdup(src->opt ? src->opt : "");
	return nr->type && nr->host && nr->value && nr->opt;
}

/*
 * Take the answers of a read batch. An operation over several ids that
 * failed as a whole (Plesk answers one 1015 without an id when one site
 * of a multi-site get_rec is unknown) is asked again one id per
 * operation, in `retry`, so that one bad object never fails the others.
 * Returns 0 on out of memory.
 */
static int
take_reads(struct engine *e, struct batch *b, struct batch *retry)
{
	size_t k, i;

	for (k = 0; k < b->n; k++) {
		struct op *o = b->ops[k];
		int whole = o->result != MC_OK &&
		    (o->kind == OP_DNS_GET_REC || o->nitems == 0);
		if (whole && retry != NULL && o->nids > 1) {
			for (i = 0; i < o->nids; i++) {
				struct op *r = batch_add(retry, o->kind);
				if (r == NULL || op_set_ids(r, &o->ids[i], 1))
					return 0;
				r->alias = o->alias;
				r->with_soa = o->with_soa;
			}
			continue;
		}
		if (whole) {
			for (i = 0; i < o->nids; i++) {
				struct dom *d = dom_by_site(e, o->ids[i],
				    o->alias);
				if (d != NULL)
					dom_fail(d, "reading %s %lu on the "
					    "source panel (%s %s): %s", o->alias ?
					    "site alias" : "site", o->ids[i],
					    op_operator(o->kind),
					    op_operation(o->kind), o->msg);
			}
			continue;
		}
		if (o->kind == OP_DNS_GET_REC) {
			for (i = 0; i < o->nids; i++) {
				struct dom *d = dom_by_site(e, o->ids[i],
				    o->alias);
				if (d != NULL)
					d->have_zone = 1;
			}
			for (i = 0; i < o->nrecs; i++) {
				struct dom *d = dom_by_site(e,
				    o->recs[i].site_id, o->recs[i].alias);
				if (d != NULL && !add_record(d, &o->recs[i]))
					return 0;
			}
			continue;
		}
		for (i = 0; i < o->nitems; i++) {
			struct op_item *it = &o->items[i];
			struct dom *d = dom_by_site(e, it->id, o->alias);
			if (d == NULL)
				continue;
			if (it->result != MC_OK) {
				dom_fail(d, "%s of %s %lu: error %u: %.*s",
				    o->kind == OP_DNS_GET ? "reading the SOA" :
				    "reading mail preferences", o->alias ?
				    "site alias" : "site", it->id, it->errcode,
				    (int)utf8_clip(it->errtext ? it->errtext :
				    mc_strerror(it->result), 200),
				    it->errtext ? it->errtext :
				    mc_strerror(it->result));
				continue;
			}
			if (o->kind == OP_DNS_GET) {
				d->soa = it->soa;
				d->zone_enabled = it->zone_enabled;
				d->zone_master = it->zone_master;
			} else
				d->mailservice = it->mailservice;
		}
	}
	return 1;
}

/*
 * Resolve the domains that have no site_id in their journal, then read
 * zone records, SOA and zone status, and mail preferences of every
 * active domain: each kind of operation with up to batch_max ids in its
 * filter, sites and aliases apart (separate id spaces), all in as few
 * packets as the batch allows. Mail preferences only where the mail is
 * the domain's own (not for an alias or a subdomain).
 */
int
engine_read(struct engine *e)
{
	struct mc_err err = { 0 };
	struct batch *b = NULL, *retry = NULL;
	unsigned long *ids = NULL, *aids = NULL, *mids = NULL;
	size_t i, nids = 0, naids = 0, nmids = 0, chunk;
	enum mc_result r;
	int ok = 0;

	if (!engine_source(e))
		return 0;
	resolve_new(e);
	ids = calloc(e->n + 1, sizeof(*ids));
	aids = calloc(e->n + 1, sizeof(*aids));
	mids = calloc(e->n + 1, sizeof(*mids));
	if (ids == NULL || aids == NULL || mids == NULL)
		goto out;
	for (i = 0; i < e->n; i++) {
		struct dom *d = &e->doms[i];
		if (d->skip)
			continue;
		if (d->alias)
			aids[naids++] = d->site_id;
		else
			ids[nids++] = d->site_id;
		if (dom_mail_ours(d))
			mids[nmids++] = d->site_id;
		dom_clear_zone(d);
		d->zone_enabled = -1;
		d->mailservice = -1;
	}
	if (nids + naids == 0) {
		ok = 1;
		goto out;
	}
	if ((b = batch_new()) == NULL || (retry = batch_new()) == NULL)
		goto out;
	chunk = e->src->batch_max;
	for (i = 0; i < nids; i += chunk)
		if (!queue_reads(e, b, ids + i, nids - i < chunk ? nids - i :
		    chunk, 0))
			goto out;
	for (i = 0; i < naids; i += chunk)
		if (!queue_reads(e, b, aids + i, naids - i < chunk ? naids - i :
		    chunk, 1))
			goto out;
	for (i = 0; i < nmids; i += chunk) {
		struct op *o = batch_add(b, OP_MAIL_GET_PREFS);
		if (o == NULL || op_set_ids(o, mids + i, nmids - i < chunk ?
		    nmids - i : chunk) != MC_OK)
			goto out;
	}
	r = plesk_send(e->src, b, &err);
	if (!take_reads(e, b, retry))
		goto out;
	if (retry->n > 0) {
		enum mc_result r2 = plesk_send(e->src, retry, &err);
		if (r == MC_OK)
			r = r2;
		if (!take_reads(e, retry, NULL))
			goto out;
	}
	if (r != MC_OK)
		for (i = 0; i < e->n; i++)
			if (!e->doms[i].skip && !e->doms[i].have_zone)
				dom_fail(&e->doms[i], "%s", err.msg);
	ok = 1;
out:
	if (!ok)
		for (i = 0; i < e->n; i++)
			if (!e->doms[i].skip)
				dom_fail(&e->doms[i], "out of memory");
	batch_free(b);
	batch_free(retry);
	free(ids);
	free(aids);
	free(mids);
	return ok;
}

/*
 * sync, disable-old-mail, verify and finish act on domains in progress.
 * A domain named there that never started gets the same outcome as plan
 * would give it (already, skipped, refused), or is told to start with
 * prepare; one panel read, only when there is such a domain.
 */
static void
engine_unstarted(struct engine *e)
{
	struct own_decision dec;
	int *was;
	size_t i, n = 0;

	for (i = 0; i < e->n; i++)
		n += !e->doms[i].skip && dom_get(&e->doms[i], "old_ip") == NULL;
	if (n == 0 || (was = calloc(e->n, sizeof(*was))) == NULL)
		return;
	for (i = 0; i < e->n; i++) {
		was[i] = e->doms[i].skip;
		if (dom_get(&e->doms[i], "old_ip") != NULL)
			e->doms[i].skip = 1;	/* not read now */
	}
	if (engine_read(e))
		engine_targets(e);
	for (i = 0; i < e->n; i++) {
		struct dom *d = &e->doms[i];
		if (dom_get(d, "old_ip") != NULL) {
			d->skip = was[i];
			continue;
		}
		if (d->skip || !dom_decide(e, d, OWN_FORWARD, &dec))
			continue;
		if (dec.verdict == OWN_REFUSED)
			dom_outcome(d, DR_REFUSED, "refused: %s", dec.reason);
		else if (dec.verdict == OWN_SKIP)
			dom_outcome(d, DR_SKIPPED, "skipped: %s", dec.reason);
		else if (dec.verdict == OWN_ALREADY)
			dom_outcome(d, DR_ALREADY, "already on the new IP %s: "
			    "nothing to do", dec.new4[0] ? dec.new4 : dec.new6);
		else {
			dom_wait(d, "prepare", 0, "not started: run prepare "
			    "(or migrate) first");
			d->skip = 1;
		}
		own_decision_clear(&dec);
	}
	free(was);
}

/* ---- output ---- */

static const char *
state_of(const struct dom *d)
{
	const char *s = dom_get(d, "state");

	return s != NULL ? s : "new";
}

static void
fmt_time(time_t t, char *buf, size_t n)
{
	struct tm tm;

	if (t <= 0) {
		snprintf(buf, n, "-");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
output(struct engine *e)
{
	static const char *const step_keys[][2] = {
		{ "0.2 lower TTL", "prepare.done" },
		{ "1 switch records", "switch.done" },
		{ "2 secondaries in sync", "sync.done" },
		{ "3 old mail disabled", "disable.done" },
		{ "4 verified", "verify.done" },
		{ "5-6 finished, TTL restored", "finish.done" },
	};
	struct json j;
	char t1[32];
	size_t i, k;

	if (e->json) {
		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		json_str(&j, "command", e->cmd);
		fmt_time(e->now, t1, sizeof(t1));
		json_str(&j, "now", t1);
		if (e->panel_failed)
			json_str(&j, "panel_error", e->panel_msg);
		json_num(&j, "requests", e->src ? e->src->requests : 0);
		json_arr_open(&j, "domains");
	}
	for (i = 0; i < e->n; i++) {
		struct dom *d = &e->doms[i];
		if (!e->json) {
			char show[600];
			printf("%s: %s%s", dom_show(d, show, sizeof(show)),
			    d->noop && d->res == DR_DONE ? "nothing to do" :
			    dres_names[d->res], d->msg[0] ? ": " : "");
			printf("%s%s\n", d->msg, dom_get(d, "mode") &&
			    !strcmp(dom_get(d, "mode"), "manual") ?
			    " (manual DNS)" : "");
			for (k = 0; k < d->nnotes; k++)
				printf("  [%s] %s\n", note_names[d->notes[k].kind],
				    d->notes[k].text);
			for (k = 0; (!strcmp(e->cmd, "status") ||
			    !strcmp(e->cmd, "list")) && d->j != NULL &&
			    k < sizeof(step_keys) / sizeof(step_keys[0]); k++) {
				time_t t = dom_time(d, step_keys[k][1]);
				fmt_time(t, t1, sizeof(t1));
				printf("  [%c] %-28s %s\n", t ? 'x' : ' ',
				    step_keys[k][0], t ? t1 : "");
			}
			if (d->next[0]) {
				fmt_time(d->next_at, t1, sizeof(t1));
				printf("  next: %s%s%s\n", d->next,
				    d->next_at > 0 ? " at " : "",
				    d->next_at > 0 ? t1 : "");
			}
			continue;
		}
		json_obj_open(&j, NULL);
		json_str(&j, "domain", d->name);
		json_str(&j, "display", d->display[0] ? d->display : d->name);
		json_str(&j, "kind", dom_get(d, "kind") ? dom_get(d, "kind") :
		    d->kind != SITE_NONE ? site_kind_name(d->kind) : NULL);
		json_bool(&j, "mail_ours", dom_mail_ours(d));
		json_str(&j, "result", d->noop && d->res == DR_DONE ? "noop" :
		    dres_names[d->res]);
		json_str(&j, "state", d->j ? state_of(d) : "unknown");
		json_str(&j, "message", d->msg);
		if (d->site_id)
			json_num(&j, "site_id", (long long)d->site_id);
		json_str(&j, "mode", dom_get(d, "mode"));
		json_str(&j, "old_ip", dom_old_ip(d));
		json_str(&j, "new_ip", dom_new_ip(d));
		json_str(&j, "new_ip6", dom_get(d, "new_ip6"));
		json_str(&j, "old_ips", dom_get(d, "old_ips"));
		json_obj_open(&j, "next");
		json_str(&j, "step", d->next[0] ? d->next : NULL);
		fmt_time(d->next_at, t1, sizeof(t1));
		json_str(&j, "at", d->next_at > 0 ? t1 : NULL);
		json_num(&j, "in_s", d->next_at > e->now ?
		    (long long)(d->next_at - e->now) : 0);
		json_obj_close(&j);
		json_arr_open(&j, "steps");
		for (k = 0; k < sizeof(step_keys) / sizeof(step_keys[0]); k++) {
			json_obj_open(&j, NULL);
			json_str(&j, "step", step_keys[k][0]);
			fmt_time(dom_time(d, step_keys[k][1]), t1, sizeof(t1));
			json_str(&j, "done_at", dom_time(d, step_keys[k][1]) ?
			    t1 : NULL);
			json_obj_close(&j);
		}
		json_arr_close(&j);
		json_arr_open(&j, "servers");
		for (k = 0; k < d->nsrv; k++) {
			json_obj_open(&j, NULL);
			json_str(&j, "name", d->srv[k].name);
			json_str(&j, "address", d->srv[k].addr);
			json_bool(&j, "primary", d->srv[k].primary);
			if (d->srv[k].has_serial)
				json_num(&j, "serial",
				    (long long)d->srv[k].serial);
			json_bool(&j, "ok", d->srv[k].ok);
			json_str(&j, "serves", d->srv[k].seen);
			json_obj_close(&j);
		}
		json_arr_close(&j);
		json_arr_open(&j, "notes");
		for (k = 0; k < d->nnotes; k++) {
			json_obj_open(&j, NULL);
			json_str(&j, "kind", note_names[d->notes[k].kind]);
			json_str(&j, "text", d->notes[k].text);
			json_obj_close(&j);
		}
		json_arr_close(&j);
		json_obj_close(&j);
	}
	if (e->json) {
		json_arr_close(&j);
		json_obj_close(&j);
		json_end(&j);
	}
}

static int
exit_code(const struct engine *e)
{
	int failed = 0, waiting = 0;
	size_t i;

	if (e->panel_failed)
		return e->panel_failed;
	/* status and list report; nothing of theirs waits or fails */
	if (!strcmp(e->cmd, "status") || !strcmp(e->cmd, "list"))
		return 0;
	for (i = 0; i < e->n; i++) {
		failed |= e->doms[i].res == DR_FAILED;
		waiting |= e->doms[i].res == DR_WAIT;
	}
	return failed ? 1 : waiting ? 3 : 0;
}

/* ---- status, log ---- */

static void
status_one(struct engine *e, struct dom *d)
{
	time_t g;

	if (!journal_exists(e->cc->state_dir, d->name)) {
		dom_wait(d, "plan", 0, "no cutover started");
		return;
	}
	if (dom_time(d, "finish.done")) {
		dom_done(d, "finished");
		return;
	}
	if (dom_time(d, "rollback.done") && !dom_time(d, "prepare.intent")) {
		dom_done(d, "rolled back");
		return;
	}
	if (!dom_time(d, "prepare.done"))
		dom_wait(d, "prepare", 0, "TTL not lowered yet");
	else if (!dom_time(d, "switch.done")) {
		g = gate_switch(e, d);
		dom_wait(d, "switch", g > 0 ? g : 0, g < 0 ?
		    "waiting for every name server to serve the lowered TTL" :
		    "waiting for the old TTL to expire");
	} else if (!dom_time(d, "sync.done"))
		dom_wait(d, "sync", 0, "secondaries not confirmed yet");
	else if (!dom_time(d, "disable.done") &&
	    dom_get(d, "orig.mail") != NULL &&
	    strcmp(dom_get(d, "orig.mail"), "on") == 0)
		dom_wait(d, "disable-old-mail", gate_disable(e, d),
		    "waiting before old mail is disabled");
	else if (!dom_time(d, "verify.done"))
		dom_wait(d, "verify", 0, "not verified yet");
	else
		dom_wait(d, "finish", 0, "registrar check and TTL restore");
}

struct log_ctx {
	struct json	*j;
	int		 json;
};

static void
log_line(void *arg, const char *const f[7])
{
	struct log_ctx *c = arg;
	static const char *const keys[7] = { "time", "domain", "step", "old",
	    "new", "result", "actor" };
	int i;

	if (!c->json) {
		printf("%s %s %s: %s -> %s: %s (%s)\n", f[0], f[1], f[2], f[3],
		    f[4], f[5], f[6]);
		return;
	}
	json_obj_open(c->j, NULL);
	for (i = 0; i < 7; i++)
		json_str(c->j, keys[i], f[i]);
	json_obj_close(c->j);
}

static int
cmd_log(struct engine *e, int ndom, char **doms)
{
	struct log_ctx c = { NULL, e->json };
	struct mc_err err = { 0 };
	struct json j;
	int i, rc = 0;

	if (e->json) {
		json_init(&j, stdout);
		c.j = &j;
		json_obj_open(&j, NULL);
		json_arr_open(&j, "log");
	}
	for (i = 0; i < (ndom ? ndom : 1); i++)
		if (audit_read(e->cc->state_dir, ndom ? doms[i] : NULL,
		    log_line, &c, &err) != MC_OK) {
			fprintf(stderr, "mailcutover: %s\n", err.msg);
			rc = 1;
		}
	if (e->json) {
		json_arr_close(&j);
		json_obj_close(&j);
		json_end(&j);
	}
	return rc;
}

/* ---- migrate and tick ---- */

/* advance each active domain as far as its gates allow */
static void
step_migrate(struct engine *e, int scheduled)
{
	size_t i;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		step_prepare(e);
		if (scheduled && !in_quiet_hours(e)) {
			for (i = 0; i < e->n; i++)
				if (!e->doms[i].skip &&
				    e->doms[i].res != DR_FAILED &&
				    !dom_time(&e->doms[i], "switch.done"))
					dom_wait(&e->doms[i], "switch", 0,
					    "outside the quiet-hours window");
		} else
			step_switch(e);
		step_sync(e, 0);
		if (!scheduled || in_quiet_hours(e))
			step_disable(e);
		step_verify(e);
		if (pass == 0) {
			/* a second pass only if a gate opened meanwhile */
			int again = 0;
			for (i = 0; i < e->n; i++)
				again |= e->doms[i].res == DR_DONE &&
				    !e->doms[i].skip &&
				    dom_time(&e->doms[i], "verify.done") == 0 &&
				    dom_time(&e->doms[i], "switch.done") == 0 &&
				    gate_switch(e, &e->doms[i]) >= 0 &&
				    gate_switch(e, &e->doms[i]) <= time(NULL);
			if (!again)
				break;
		}
	}
	for (i = 0; i < e->n; i++) {
		struct dom *d = &e->doms[i];
		if (d->res == DR_DONE && dom_time(d, "verify.done") &&
		    !dom_time(d, "finish.done"))
			dom_wait(d, "finish", 0, "verified; finish when the "
			    "registrar change is done (mailcutover finish)");
	}
}

/*
 * Add every subscription, site and subdomain of the source panel to the
 * names (two list operations in one request). Returns an exit code on a
 * panel failure, 0 otherwise.
 */
static int
list_panel(struct engine *e, char ***names, size_t *n)
{
	struct mc_err err = { 0 };
	struct batch *b;
	struct op *ops[2];
	char **p;
	size_t i, k, m;
	int rc = 0;

	if (!engine_source(e)) {
		fprintf(stderr, "mailcutover: %s\n", e->panel_msg);
		return e->panel_failed;
	}
	if ((b = batch_new()) == NULL ||
	    (ops[0] = batch_add(b, OP_WEBSPACE_ALL)) == NULL ||
	    (ops[1] = batch_add(b, OP_SITE_ALL)) == NULL) {
		batch_free(b);
		return 1;
	}
	if (plesk_send(e->src, b, &err) != MC_OK) {
		fprintf(stderr, "mailcutover: %s\n", err.msg);
		rc = exit_panel(err.code);
		goto out;
	}
	for (k = 0; k < 2; k++) {
		if (ops[k]->result != MC_OK) {
			fprintf(stderr, "mailcutover: listing the source panel: "
			    "%s\n", ops[k]->msg);
			rc = 1;
			goto out;
		}
		for (i = 0; i < ops[k]->nstrs; i++) {
			const char *nm = ops[k]->strs[i];
			if (!valid_domain(nm))
				continue;
			for (m = 0; m < *n; m++)
				if (strcasecmp((*names)[m], nm) == 0)
					break;
			if (m < *n)
				continue;
			if ((p = realloc(*names, (*n + 1) * sizeof(*p))) == NULL ||
			    (p[*n] = strdup(nm)) == NULL) {
				if (p != NULL)
					*names = p;
				rc = 1;
				goto out;
			}
			*names = p;
			(*n)++;
		}
	}
out:
	batch_free(b);
	return rc;
}

/* ---- main ---- */

static int
needs_domains(const char *cmd)
{
	return strcmp(cmd, "tick") != 0 && strcmp(cmd, "status") != 0 &&
	    strcmp(cmd, "log") != 0 && strcmp(cmd, "list") != 0;
}

int
engine_main(const struct config *c, int argc, char **argv, int json)
{
	struct engine e;
	struct mc_err err = { 0 };
	char **names = NULL, **listed = NULL, (*norm)[256] = NULL;
	const char *why;
	size_t nnames = 0, nlisted = 0, i;
	int a, rc;

	memset(&e, 0, sizeof(e));
	e.conf = c;
	e.cc = &c->cutover;
	e.cmd = argv[0];
	e.json = json;
	e.now = time(NULL);
	/* every name in one spelling: ASCII, lower case, no trailing dot */
	if ((names = calloc((size_t)argc, sizeof(*names))) == NULL ||
	    (norm = calloc((size_t)argc, sizeof(*norm))) == NULL) {
		free(names);
		free(norm);
		return exit_usage("out of memory");
	}
	/* bad arguments: a clear error, exit 2, and nothing else happens */
#define BAD(...) do { free(names); free(norm); \
	return exit_usage(__VA_ARGS__); } while (0)
	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--force"))
			e.force = 1;
		else if (!strcmp(argv[a], "--confirm-registrar"))
			e.confirm_registrar = 1;
		else if (!strcmp(argv[a], "--confirm-clients"))
			e.confirm_clients = 1;
		else if (!strcmp(argv[a], "--drop-aaaa"))
			e.drop_aaaa = 1;
		else if (!strcmp(argv[a], "--new-ip") && a + 1 < argc) {
			e.new_ip = argv[++a];
			if (!valid_ipv4(e.new_ip))
				BAD("--new-ip '%.60s' is not an IPv4 address "
				    "(IPv6: --new-ip6)", e.new_ip);
		} else if (!strcmp(argv[a], "--new-ip6") && a + 1 < argc) {
			e.new_ip6 = argv[++a];
			if (!valid_ipv6(e.new_ip6))
				BAD("--new-ip6 '%.60s' is not an IPv6 address",
				    e.new_ip6);
		} else if (!strcmp(argv[a], "--old-ip") && a + 1 < argc) {
			if (!valid_ip(argv[++a]))
				BAD("--old-ip '%.60s' is not an IP address",
				    argv[a]);
			if (e.nold_ip == OWN_MAX_ADDRS)
				BAD("--old-ip: at most %d addresses",
				    OWN_MAX_ADDRS);
			e.old_ip[e.nold_ip++] = argv[a];
		} else if (argv[a][0] == '-')
			BAD("unknown option '%.60s'", argv[a]);
		else if ((why = idn_ascii(argv[a], norm[nnames],
		    sizeof(norm[0]))) != NULL)
			BAD("'%.100s' is not a domain name: %s", argv[a], why);
		else
			names[nnames] = norm[nnames], nnames++;
	}
#undef BAD
	if (nnames == 0 && needs_domains(e.cmd)) {
		free(names);
		free(norm);
		return exit_usage("%s needs one or more domains", e.cmd);
	}
	if (journal_open_dir(e.cc->state_dir, &err) != MC_OK) {
		free(names);
		free(norm);
		fprintf(stderr, "mailcutover: %s\n", err.msg);
		return 2;
	}
	if (!strcmp(e.cmd, "log")) {
		rc = cmd_log(&e, (int)nnames, names);
		free(names);
		free(norm);
		return rc;
	}
	if (nnames == 0) {
		/* tick, status: every domain with a journal; list: and every
		 * domain of the source panel */
		if (journal_list(e.cc->state_dir, &listed, &nlisted, &err)) {
			free(names);
			free(norm);
			fprintf(stderr, "mailcutover: %s\n", err.msg);
			return 1;
		}
		free(names);
		free(norm);
		norm = NULL;
		names = listed;
		nnames = nlisted;
		if (!strcmp(e.cmd, "list") &&
		    (rc = list_panel(&e, &listed, &nlisted)) != 0) {
			journal_list_free(listed, nlisted);
			return rc;
		}
		names = listed;
		nnames = nlisted;
	}
	if ((e.doms = calloc(nnames + 1, sizeof(*e.doms))) == NULL)
		return exit_usage("out of memory");
	for (i = 0; i < nnames; i++) {
		struct dom *d = &e.doms[e.n];
		size_t k, dup = 0;
		for (k = 0; k < e.n; k++)
			dup |= strcasecmp(e.doms[k].name, names[i]) == 0;
		if (dup)
			continue;
		e.n++;
		d->lockfd = -1;
		d->zone_enabled = d->mailservice = -1;
		for (k = 0; names[i][k] && k + 1 < sizeof(d->name); k++)
			d->name[k] = (char)tolower((unsigned char)names[i][k]);
		if (k > 0 && d->name[k - 1] == '.')
			k--;
		d->name[k] = '\0';
		idn_unicode(d->name, d->display, sizeof(d->display));
		if (strcmp(e.cmd, "status") && strcmp(e.cmd, "list") &&
		    journal_lock(e.cc->state_dir, d->name, &d->lockfd, &err)) {
			dom_fail(d, "%s", err.msg);
			continue;
		}
		if (journal_load(e.cc->state_dir, d->name, &d->j, &err)) {
			dom_fail(d, "%s (fix or move the journal away; nothing "
			    "was changed)", err.msg);
			continue;
		}
	}
	if (!strcmp(e.cmd, "status") || !strcmp(e.cmd, "list")) {
		for (i = 0; i < e.n; i++)
			if (!e.doms[i].skip)
				status_one(&e, &e.doms[i]);
	} else if (!strcmp(e.cmd, "plan"))
		step_plan(&e);
	else if (!strcmp(e.cmd, "prepare"))
		step_prepare(&e);
	else if (!strcmp(e.cmd, "switch"))
		step_switch(&e);
	else if (!strcmp(e.cmd, "sync")) {
		engine_unstarted(&e);
		step_sync(&e, 1);	/* prepared: the lowered TTL everywhere */
		step_sync(&e, 0);	/* switched: the new records everywhere */
	}
	else if (!strcmp(e.cmd, "disable-old-mail")) {
		engine_unstarted(&e);
		step_disable(&e);
	} else if (!strcmp(e.cmd, "verify")) {
		engine_unstarted(&e);
		step_verify(&e);
	} else if (!strcmp(e.cmd, "finish")) {
		engine_unstarted(&e);
		step_finish(&e);
	}
	else if (!strcmp(e.cmd, "rollback"))
		step_rollback(&e);
	else if (!strcmp(e.cmd, "migrate"))
		step_migrate(&e, 0);
	else if (!strcmp(e.cmd, "tick")) {
		for (i = 0; i < e.n; i++) {
			struct dom *d = &e.doms[i];
			if (!d->skip && (dom_time(d, "finish.done") ||
			    (dom_time(d, "rollback.done") &&
			    !dom_time(d, "prepare.intent")))) {
				d->skip = 1;
				d->noop = 1;
				dom_done(d, "nothing to do");
			}
		}
		step_migrate(&e, 1);
	}
	output(&e);
	rc = exit_code(&e);
	for (i = 0; i < e.n; i++) {
		journal_free(e.doms[i].j);
		journal_unlock(e.doms[i].lockfd);
		dom_clear_zone(&e.doms[i]);
		free(e.doms[i].notes);
	}
	free(e.doms);
	plesk_free(e.src);
	plesk_free(e.tgt);
	if (listed != NULL)
		journal_list_free(listed, nlisted);
	else
		free(names);
	free(norm);
	return rc;
}
