/* owner.c -- what is ours: the one decision that plan, every step and
 * rollback share (see owner.h for the rules). */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "host.h"
#include "owner.h"
#include "valid.h"

static const char *const class_names[] = {
	[OWN_OTHER] = "other",
	[OWN_OLD] = "old",
	[OWN_NEW] = "new",
	[OWN_BAD] = "bad",
};

static int same_addr(const char *, const char *);

int
own_addr_canon(const char *in, char *out, size_t outsz)
{
	unsigned char buf[sizeof(struct in6_addr)];
	char tmp[64];
	size_t n;

	if (in == NULL)
		return 0;
	/* the panel's value is trimmed, nothing else is forgiven */
	while (*in == ' ' || *in == '\t')
		in++;
	n = strlen(in);
	while (n > 0 && (in[n - 1] == ' ' || in[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= sizeof(tmp))
		return 0;
	memcpy(tmp, in, n);
	tmp[n] = '\0';
	if (inet_pton(AF_INET, tmp, buf) == 1)
		return inet_ntop(AF_INET, buf, out, (socklen_t)outsz) != NULL;
	if (inet_pton(AF_INET6, tmp, buf) == 1)
		return inet_ntop(AF_INET6, buf, out, (socklen_t)outsz) != NULL;
	return 0;
}

int
own_addr_equal(const char *a, const char *b)
{
	return same_addr(a, b);
}

static int
same_addr(const char *a, const char *b)
{
	char ca[64], cb[64];

	return a != NULL && b != NULL && own_addr_canon(a, ca, sizeof(ca)) &&
	    own_addr_canon(b, cb, sizeof(cb)) && strcmp(ca, cb) == 0;
}

enum own_class
own_classify(const struct own_facts *f, const char *type, const char *value,
    char *canon, size_t canonsz)
{
	int six;
	size_t i;

	if (canonsz > 0)
		canon[0] = '\0';
	if (strcasecmp(type, "A") != 0 && strcasecmp(type, "AAAA") != 0)
		return OWN_OTHER;
	six = strcasecmp(type, "AAAA") == 0;
	/* a value that is not an address of the record's family */
	if (!own_addr_canon(value, canon, canonsz) ||
	    (strchr(canon, ':') != NULL) != six)
		return OWN_BAD;
	for (i = 0; i < f->nold; i++)
		if (same_addr(canon, f->old[i]))
			return OWN_OLD;
	if (same_addr(canon, six ? f->new6 : f->new4))
		return OWN_NEW;
	return OWN_OTHER;
}

/* ---- growing arrays ---- */

static int
rec_push(struct own_rec **v, size_t *n, const struct own_rec *r)
{
	struct own_rec *p = realloc(*v, (*n + 1) * sizeof(*p));

	if (p == NULL)
		return 0;
	p[*n] = *r;
	*v = p;
	(*n)++;
	return 1;
}

static int
change_push(struct own_decision *d, const struct own_rec *r, int del)
{
	struct own_change *p = realloc(d->changes, (d->nchanges + 1) *
	    sizeof(*p));

	if (p == NULL)
		return 0;
	p[d->nchanges].rec = *r;
	p[d->nchanges].del = del;
	d->changes = p;
	d->nchanges++;
	return 1;
}

void
own_decision_clear(struct own_decision *d)
{
	if (d == NULL)
		return;
	free(d->managed);
	free(d->others);
	free(d->changes);
	memset(d, 0, sizeof(*d));
}

static void
refuse(struct own_decision *d, const char *why)
{
	if (d->verdict != OWN_REFUSED) {
		d->verdict = OWN_REFUSED;
		snprintf(d->reason, sizeof(d->reason), "%s", why);
	}
}

/* the zone's own NS records at its apex: a zone of its own */
static int
has_own_zone(const struct own_facts *f)
{
	char rel[256];
	size_t i;

	for (i = 0; i < f->nrecs; i++)
		if (strcasecmp(f->recs[i].type, "NS") == 0 &&
		    host_relative(f->recs[i].host, f->zone, rel, sizeof(rel)) &&
		    rel[0] == '\0')
			return 1;
	return 0;
}

/* the A/AAAA records at one label, classified; 0 on out of memory */
static int
read_label(const struct own_facts *f, const char *label,
    struct own_decision *d, size_t *m0, size_t *o0)
{
	char rel[256];
	size_t i;

	*m0 = d->nmanaged;
	*o0 = d->nothers;
	for (i = 0; i < f->nrecs; i++) {
		const struct dns_record *r = &f->recs[i];
		struct own_rec o;
		if ((strcasecmp(r->type, "A") != 0 &&
		    strcasecmp(r->type, "AAAA") != 0) ||
		    !host_relative(r->host, f->zone, rel, sizeof(rel)) ||
		    strcmp(rel, label) != 0)
			continue;
		memset(&o, 0, sizeof(o));
		snprintf(o.label, sizeof(o.label), "%s", label);
		snprintf(o.type, sizeof(o.type), "%s",
		    strcasecmp(r->type, "A") == 0 ? "A" : "AAAA");
		o.id = r->id;
		o.cls = own_classify(f, o.type, r->value, o.value,
		    sizeof(o.value));
		if (o.cls == OWN_BAD) {
			/* shown and journaled as read, made one field */
			size_t k;
			snprintf(o.value, sizeof(o.value), "%.63s", r->value);
			for (k = 0; o.value[k] != '\0'; k++)
				if (o.value[k] == '|' ||
				    (unsigned char)o.value[k] < 0x20)
					o.value[k] = '?';
		}
		if (!((o.cls == OWN_OLD || o.cls == OWN_NEW) ?
		    rec_push(&d->managed, &d->nmanaged, &o) :
		    rec_push(&d->others, &d->nothers, &o)))
			return 0;
	}
	return 1;
}

static int
present(const struct own_rec *v, size_t from, size_t to, const char *type,
    const char *value)
{
	size_t i;

	for (i = from; i < to; i++)
		if (strcmp(v[i].type, type) == 0 && same_addr(v[i].value, value))
			return 1;
	return 0;
}

static void
add_name(struct own_decision *d, const char *label)
{
	size_t used = strlen(d->names);

	snprintf(d->names + used, sizeof(d->names) - used, "%s%s",
	    used ? " " : "", label);
}

/*
 * Forward, one name: add the new address where the name has one of ours
 * and not yet the new one; delete ours only once nothing is left to add at
 * that name (make-before-break: a name is never without its address).
 */
static int
forward_label(const struct own_facts *f, const char *label,
    struct own_decision *d, int *any_old, int *any_new)
{
	size_t m0, o0, i, nadd = 0;
	int old4 = 0, old6 = 0, new4 = 0, new6 = 0, other4 = 0;
	struct own_rec r;
	char why[300];

	if (!read_label(f, label, d, &m0, &o0))
		return 0;
	for (i = m0; i < d->nmanaged; i++) {
		int six = strcmp(d->managed[i].type, "AAAA") == 0;
		if (d->managed[i].cls == OWN_OLD)
			*(six ? &old6 : &old4) = 1;
		else
			*(six ? &new6 : &new4) = 1;
	}
	for (i = o0; i < d->nothers; i++)
		other4 |= strcmp(d->others[i].type, "A") == 0 &&
		    d->others[i].cls == OWN_OTHER;
	*any_old |= old4 || old6;
	*any_new |= new4 || new6;
	if (old4 || old6)
		add_name(d, label);
	if (old4 && f->new4 == NULL) {
		snprintf(why, sizeof(why), "%s.%s has an A record on the old "
		    "server's address but no new IPv4 address is known (give "
		    "--new-ip, new_ip, or configure [target])", label, f->zone);
		refuse(d, why);
	}
	if (old6 && f->new6 == NULL && !f->drop_aaaa) {
		snprintf(why, sizeof(why), "%s.%s has an AAAA record on the "
		    "old server's IPv6 address and no new IPv6 address is "
		    "known: IPv6 senders would keep delivering to the old "
		    "server and bounce once its mail is off. Give --new-ip6 "
		    "(new_ip6, or the domain's IPv6 on [target]), or --drop-aaaa "
		    "to remove it (undone by rollback)", label, f->zone);
		refuse(d, why);
	}
	if (old6 && f->new6 == NULL && f->drop_aaaa && !old4 && !new4 &&
	    !other4) {
		snprintf(why, sizeof(why), "%s.%s has only an AAAA record on "
		    "the old server: dropping it would leave the name without "
		    "an address", label, f->zone);
		refuse(d, why);
	}
	memset(&r, 0, sizeof(r));
	snprintf(r.label, sizeof(r.label), "%s", label);
	r.cls = OWN_NEW;
	if (old4 && !new4 && f->new4 != NULL) {
		snprintf(r.type, sizeof(r.type), "A");
		own_addr_canon(f->new4, r.value, sizeof(r.value));
		if (!change_push(d, &r, 0))
			return 0;
		nadd++;
	}
	if (old6 && !new6 && f->new6 != NULL) {
		snprintf(r.type, sizeof(r.type), "AAAA");
		own_addr_canon(f->new6, r.value, sizeof(r.value));
		if (!change_push(d, &r, 0))
			return 0;
		nadd++;
	}
	if (nadd > 0)
		return 1;
	for (i = m0; i < d->nmanaged; i++)
		if (d->managed[i].cls == OWN_OLD &&
		    (strcmp(d->managed[i].type, "A") == 0 ||
		    f->new6 != NULL || f->drop_aaaa) &&
		    !change_push(d, &d->managed[i], 1))
			return 0;
	return 1;
}

/* Back, one name: the journaled managed records exactly, adds first. */
static int
back_label(const struct own_facts *f, const char *label,
    struct own_decision *d)
{
	size_t m0, o0, i, nadd = 0;

	if (!read_label(f, label, d, &m0, &o0))
		return 0;
	for (i = 0; i < f->norig; i++) {
		const struct own_rec *o = &f->orig[i];
		if (strcmp(o->label, label) != 0 ||
		    (o->cls != OWN_OLD && o->cls != OWN_NEW) ||
		    present(d->managed, m0, d->nmanaged, o->type, o->value))
			continue;
		if (!change_push(d, o, 0))
			return 0;
		d->changes[d->nchanges - 1].rec.id = 0;
		nadd++;
	}
	if (nadd > 0)
		return 1;
	for (i = m0; i < d->nmanaged; i++) {
		size_t k;
		int keep = 0;
		for (k = 0; k < f->norig && !keep; k++)
			keep = strcmp(f->orig[k].label, label) == 0 &&
			    (f->orig[k].cls == OWN_OLD ||
			    f->orig[k].cls == OWN_NEW) &&
			    strcmp(f->orig[k].type, d->managed[i].type) == 0 &&
			    same_addr(f->orig[k].value, d->managed[i].value);
		if (!keep && !change_push(d, &d->managed[i], 1))
			return 0;
	}
	return 1;
}

/* "skipped: not on the old server (...): mail.x A 1.2.3.4, ..." */
static void
skip_reason(const struct own_facts *f, struct own_decision *d)
{
	size_t used, i;

	used = (size_t)snprintf(d->reason, sizeof(d->reason), "not on the "
	    "old server (");
	for (i = 0; i < f->nold && used < sizeof(d->reason); i++)
		used += (size_t)snprintf(d->reason + used, sizeof(d->reason) -
		    used, "%s%s", i ? " " : "", f->old[i]);
	if (used < sizeof(d->reason))
		used += (size_t)snprintf(d->reason + used, sizeof(d->reason) -
		    used, ")%s", d->nothers ? ":" : ": no A or AAAA record at "
		    "the switched names");
	for (i = 0; i < d->nothers && used < sizeof(d->reason); i++)
		used += (size_t)snprintf(d->reason + used, sizeof(d->reason) -
		    used, "%s %s.%s %s %s", i ? "," : "", d->others[i].label,
		    f->zone, d->others[i].type, d->others[i].value);
	if (used >= sizeof(d->reason))
		snprintf(d->reason + sizeof(d->reason) - 5, 5, " ...");
}

enum mc_result
own_decide(const struct own_facts *f, enum own_dir dir,
    struct own_decision *d, struct mc_err *err)
{
	int any_old = 0, any_new = 0;
	size_t i, k;
	char why[300];

	memset(d, 0, sizeof(*d));
	d->verdict = OWN_SKIP;
	for (i = 0; i < f->nold && i < OWN_MAX_ADDRS; i++)
		if (own_addr_canon(f->old[i], d->old[d->nold],
		    sizeof(d->old[0])))
			d->nold++;
	if (f->new4 != NULL)
		own_addr_canon(f->new4, d->new4, sizeof(d->new4));
	if (f->new6 != NULL)
		own_addr_canon(f->new6, d->new6, sizeof(d->new6));
	d->drop_aaaa = f->drop_aaaa;
	if (dir == OWN_BACK) {
		/* the labels as journaled, each once, in journal order */
		for (i = 0; i < f->norig; i++) {
			for (k = 0; k < i; k++)
				if (strcmp(f->orig[k].label,
				    f->orig[i].label) == 0)
					break;
			if (k == i && !back_label(f, f->orig[i].label, d))
				goto nomem;
		}
		d->verdict = OWN_SWITCH;
		return MC_OK;
	}
	if (f->nold == 0)
		refuse(d, "the source panel reports no address for this "
		    "domain and none was given: give --old-ip (or old_ip)");
	if (!has_own_zone(f)) {
		snprintf(why, sizeof(why), "%s has no DNS zone of its own on "
		    "the source panel (no NS record at its apex): its records "
		    "live in its parent's zone, and a TTL change would change "
		    "the parent's zone. Migrate the parent domain, or give it "
		    "a zone of its own in Plesk first", f->zone);
		refuse(d, why);
	}
	for (i = 0; i < f->nold; i++)
		if (same_addr(f->old[i], f->new4) ||
		    same_addr(f->old[i], f->new6)) {
			snprintf(why, sizeof(why), "old and new address are "
			    "both %s", f->old[i]);
			refuse(d, why);
		}
	for (i = 0; i < f->nlabels; i++)
		if (!forward_label(f, f->labels[i], d, &any_old, &any_new))
			goto nomem;
	if (d->verdict == OWN_REFUSED)
		return MC_OK;
	if (any_old)
		d->verdict = OWN_SWITCH;
	else if (any_new)
		d->verdict = OWN_ALREADY;
	else
		skip_reason(f, d);
	return MC_OK;
nomem:
	own_decision_clear(d);
	return mc_err_set(err, MC_E_NOMEM, "out of memory");
}

/* ---- what the name servers must answer ---- */

static void
put(const char **v, size_t *n, size_t max, const char *s)
{
	size_t i;

	if (s == NULL || *n >= max)
		return;
	for (i = 0; i < *n; i++)
		if (same_addr(v[i], s))
			return;
	v[(*n)++] = s;
}

void
own_expect(const struct own_rec *orig, size_t norig, enum own_dir dir,
    const char *const *old, size_t nold, const char *new4, const char *new6,
    int drop_aaaa, const char *label, const char *type, const char **must,
    size_t *nmust, const char **mustnot, size_t *nmustnot, size_t max)
{
	int six = strcmp(type, "AAAA") == 0, had_old = 0;
	const char *nw = six ? new6 : new4;
	size_t i, k;

	*nmust = *nmustnot = 0;
	for (i = 0; i < norig; i++) {
		const struct own_rec *o = &orig[i];
		if (strcmp(o->label, label) != 0 || strcmp(o->type, type) != 0)
			continue;
		if (o->cls == OWN_OLD)
			had_old = 1;
		if (dir == OWN_BACK && (o->cls == OWN_OLD || o->cls == OWN_NEW))
			put(must, nmust, max, o->value);
		if (dir == OWN_FORWARD && o->cls == OWN_NEW)
			put(must, nmust, max, o->value);
	}
	if (dir == OWN_FORWARD) {
		if (had_old && nw != NULL)
			put(must, nmust, max, nw);
		/* no old address, unless a kept AAAA (no new IPv6, no drop) */
		if (had_old && (!six || nw != NULL || drop_aaaa))
			for (k = 0; k < nold; k++)
				if ((strchr(old[k], ':') != NULL) == six)
					put(mustnot, nmustnot, max, old[k]);
	} else if (nw != NULL) {
		/* the new address, unless it was there before */
		for (i = 0; i < *nmust; i++)
			if (same_addr(must[i], nw))
				break;
		if (i == *nmust)
			put(mustnot, nmustnot, max, nw);
	}
}

/* ---- journal form ---- */

int
own_rec_format(const struct own_rec *r, char *buf, size_t n)
{
	int w = snprintf(buf, n, "%s|%s|%s|%s|%lu", r->label, r->type,
	    r->value, class_names[r->cls], r->id);

	return w > 0 && (size_t)w < n;
}

int
own_rec_parse(const char *s, struct own_rec *r)
{
	const char *f[5];
	size_t len[5], i, nf = 0;
	char num[24];

	memset(r, 0, sizeof(*r));
	for (f[0] = s; nf < 5; nf++) {
		len[nf] = strcspn(f[nf], "|");
		if (f[nf][len[nf]] != '|') {
			nf++;
			break;
		}
		if (nf + 1 < 5)
			f[nf + 1] = f[nf] + len[nf] + 1;
	}
	if (nf != 5 || f[4][len[4]] != '\0' || len[0] >= sizeof(r->label) ||
	    len[1] >= sizeof(r->type) || len[2] >= sizeof(r->value) ||
	    len[4] >= sizeof(num))
		return 0;
	memcpy(r->label, f[0], len[0]);
	memcpy(r->type, f[1], len[1]);
	memcpy(r->value, f[2], len[2]);
	for (i = 0; i <= OWN_BAD; i++)
		if (strlen(class_names[i]) == len[3] &&
		    strncmp(class_names[i], f[3], len[3]) == 0)
			break;
	if (i > OWN_BAD)
		return 0;
	r->cls = (enum own_class)i;
	memcpy(num, f[4], len[4]);
	num[len[4]] = '\0';
	if (len[4] > 0 && !parse_ulong(num, 0, ULONG_MAX, &r->id))
		return 0;
	return (strcmp(r->type, "A") == 0 || strcmp(r->type, "AAAA") == 0);
}
