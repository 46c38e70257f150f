/* authjudge.c -- what every authoritative server must answer: its SOA
 * serial against the primary's, then the switched names. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "authjudge.h"
#include "dom.h"
#include "engine.h"
#include "refresh.h"
#include "utf8.h"

#define REFRESH_AGAIN_MS	10000	/* a refresh again at most so often */
#define REFRESH_IDLE_MS		1000	/* ... when its server matched nothing
					   for this long */

#define SEEN_MAX	256	/* bytes of what a server serves, in messages */

/* v->seen = what fmt makes, cut to SEEN_MAX at a character boundary */
static void
seen_set(struct srv *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
seen_set(struct srv *v, const char *fmt, ...)
{
	va_list ap;
	int ok;

	va_start(ap, fmt);
	ok = dom_str_vcut(&v->seen, SEEN_MAX, fmt, ap);
	va_end(ap);
	if (!ok)
		dom_str_free(&v->seen);	/* "": said nothing rather than wrong */
}

/* printf onto the end of v->seen (cut to SEEN_MAX) */
static void
seen_add(struct srv *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
seen_add(struct srv *v, const char *fmt, ...)
{
	char buf[SEEN_MAX];
	size_t used = strlen(v->seen);
	va_list ap;

	if (used + 1 >= sizeof(buf))
		return;
	memcpy(buf, v->seen, used + 1);
	va_start(ap, fmt);
	vsnprintf(buf + used, sizeof(buf) - used, fmt, ap);
	va_end(ap);
	seen_set(v, "%s", buf);
}

size_t
authjudge_names(const struct dom *d, struct dnsq *out, size_t max)
{
	char labels[DOM_MAX_LABELS][64], fq[64 + 1 + 256];
	struct own_rec *orig = NULL;
	size_t nl = dom_labels(d, labels), no = dom_orig(d, &orig), i, k, n = 0;
	int six;

	for (i = 0; i < nl && n < max; i++) {
		/* label.zone; one over 253 characters cannot exist, so its
		   cut is never served either (an intended cut) */
		snprintf(fq, sizeof(fq), "%.63s.%.255s", labels[i], d->zone);
		snprintf(out[n].name, sizeof(out[n].name), "%.255s", fq);
		out[n++].type = LDNS_RR_TYPE_A;
		for (k = 0, six = 0; k < no; k++)
			six |= strcmp(orig[k].label, labels[i]) == 0 &&
			    strcmp(orig[k].type, "AAAA") == 0;
		if (six && n < max) {
			snprintf(out[n].name, sizeof(out[n].name), "%.255s",
			    fq);
			out[n++].type = LDNS_RR_TYPE_AAAA;
		}
	}
	free(orig);
	return n;
}

/* the switched label of a question "mail.example.com" -> "mail" */
static void
label_of(const struct dom *d, const struct dnsq *q, char *buf, size_t sz)
{
	size_t ln = strlen(q->name), lz = strlen(d->zone);

	if (ln > lz + 1 && q->name[ln - lz - 1] == '.')
		snprintf(buf, sz, "%.*s", (int)(ln - lz - 1), q->name);
	else
		snprintf(buf, sz, "%s", q->name);
}

/*
 * Whether one answer is what the change needs (owner.h own_expect): every
 * address that must be served is, and none that must be gone is.
 */
static int
answer_ok(const struct dom *d, const struct own_rec *orig, size_t norig,
    enum expect ex, const char *label, const char *type,
    const struct dnsq *q)
{
	const char *must[16], *mustnot[16], *old[OWN_MAX_ADDRS];
	char buf[OWN_MAX_ADDRS][64];
	const char *drop = dom_get(d, JK_DROP_AAAA);
	const char *n4 = dom_get(d, JK_NEW_IP);
	const char *n6 = dom_get(d, JK_NEW_IP6);
	size_t nm, nn, nold = dom_old_ips(d, old, buf), i, k;

	/* the journal keeps "" for an address that was not known */
	own_expect(orig, norig, ex == EXPECT_ORIG ? OWN_BACK : OWN_FORWARD,
	    old, nold, n4 && *n4 ? n4 : NULL, n6 && *n6 ? n6 : NULL,
	    drop != NULL && strcmp(drop, "yes") == 0, label, type, must,
	    &nm, mustnot, &nn, 16);
	for (i = 0; i < nm; i++) {
		for (k = 0; k < q->nanswers; k++)
			if (own_addr_equal(q->answers[k], must[i]))
				break;
		if (k == q->nanswers)
			return 0;
	}
	for (i = 0; i < nn; i++)
		for (k = 0; k < q->nanswers; k++)
			if (own_addr_equal(q->answers[k], mustnot[i]))
				return 0;
	return 1;
}

/* the lowered TTL prepare waits for: lowered_ttl, or the old TTL when
 * that was lower */
static unsigned long
max_ttl(const struct engine *e, const struct dom *d)
{
	unsigned long old = 0, max = e->cc->lowered_ttl;

	if (dom_ulong(d, JK_PREPARE_OLD_TTL, &old) && old < max)
		max = old;
	return max;
}

/* a laggard: refreshed by its method when its server is stuck */
static void
maybe_refresh(struct authjudge *J, struct dnspoll_item *it, struct dom *d,
    struct srv *v)
{
	long long now = dnspoll_now();

	if (!J->refresh || it->polls < 3 || !d->srv[0].ok ||
	    now - *it->progress < REFRESH_IDLE_MS ||
	    (v->refreshed && now - v->refreshed_at < REFRESH_AGAIN_MS))
		return;
	refresh_server(J->e, d, v);
	v->refreshed_at = dnspoll_now();
}

/* RFC 1982: serial a is newer than serial b */
static int
serial_newer(unsigned long a, unsigned long b)
{
	return (int32_t)(uint32_t)(a - b) > 0;
}

/* a server whose serial is known: go on to its names? */
static enum dnspoll_state
serial_judged(struct authjudge *J, struct dnspoll_item *it, struct dom *d,
    struct srv *v)
{
	const struct srv *p = &d->srv[0];
	struct authitem *x = it->arg;

	if (x->s > 0 && !p->has_serial) {
		seen_add(v, " (the primary's serial is not known)");
		return DNSPOLL_SOA;
	}
	if (x->s > 0 && v->serial != p->serial) {
		if (serial_newer(v->serial, p->serial)) {
			/* the primary moved on since it was asked */
			seen_add(v, " (newer than the primary's %lu)",
			    p->serial);
			J->items[x->first].state = DNSPOLL_SOA;
			J->items[x->first].due = dnspoll_now();
		} else {
			seen_add(v, " (the primary serves %lu)", p->serial);
			maybe_refresh(J, it, d, v);
		}
		return DNSPOLL_SOA;
	}
	/* the names were asked at this serial: they are what they were */
	if (v->names_asked && v->names_serial == v->serial)
		return dom_manual(d) && J->primary_only ? DNSPOLL_DONE :
		    DNSPOLL_SOA;
	return DNSPOLL_NAMES;
}

static enum dnspoll_state
judge_soa(void *ctx, struct dnspoll_item *it, const struct dnsq *q)
{
	struct authjudge *J = ctx;
	struct authitem *x = it->arg;
	struct dom *d = x->d;
	struct srv *v = &d->srv[x->s];

	if (!dom_active(d))
		return DNSPOLL_DONE;
	v->ok = 0;
	v->answered = q->result == MC_OK && q->aa &&
	    q->rcode == LDNS_RCODE_NOERROR;
	v->has_serial = v->answered && q->has_serial;
	v->serial = q->serial;
	if (!v->has_serial) {
		seen_set(v, "no SOA (%.100s)",
		    q->result != MC_OK ? q->msg : !q->aa ? "not authoritative" :
		    "no answer");
		/* manual DNS: the primary is asked once, not waited for */
		return dom_manual(d) && J->primary_only ? DNSPOLL_DONE :
		    DNSPOLL_SOA;
	}
	seen_set(v, "serial %lu", v->serial);
	return serial_judged(J, it, d, v);
}

static size_t
judge_names(void *ctx, struct dnspoll_item *it, struct dnsq *out, size_t max)
{
	struct authitem *x = it->arg;

	(void)ctx;
	return authjudge_names(x->d, out, max);
}

/* one name's answer onto v->seen; 1 when it is right */
static int
name_took(const struct authjudge *J, const struct dom *d, struct srv *v,
    const struct own_rec *orig, size_t norig, const struct dnsq *q)
{
	const char *type = q->type == LDNS_RR_TYPE_AAAA ? "AAAA" : "A";
	char label[64];
	size_t a;

	label_of(d, q, label, sizeof(label));
	seen_add(v, ", %s%s=", label, q->type == LDNS_RR_TYPE_AAAA ?
	    "/AAAA" : "");
	for (a = 0; a < q->nanswers; a++)
		seen_add(v, "%s%s", a ? "+" : "", q->answers[a]);
	if (q->result != MC_OK || !q->aa)
		return 0;
	if (J->ex == EXPECT_SERIAL)
		return q->nanswers == 0 || q->ttl <= max_ttl(J->e, d);
	return answer_ok(d, orig, norig, J->ex, label, type, q);
}

static enum dnspoll_state
judge_took(void *ctx, struct dnspoll_item *it, const struct dnsq *q, size_t n)
{
	struct authjudge *J = ctx;
	struct authitem *x = it->arg;
	struct dom *d = x->d;
	struct srv *v = &d->srv[x->s];
	struct own_rec *orig = NULL;
	size_t norig, k;
	int ok = 1;

	if (!dom_active(d))
		return DNSPOLL_DONE;
	norig = dom_orig(d, &orig);
	for (k = 0; k < n; k++)
		ok &= name_took(J, d, v, orig, norig, &q[k]);
	free(orig);
	v->names_asked = 1;
	v->names_serial = v->serial;
	v->ok = ok;
	if (ok || (dom_manual(d) && J->primary_only))
		return DNSPOLL_DONE;
	return DNSPOLL_SOA;
}

const struct dnspoll_judge authjudge_ops = {
	judge_names, judge_soa, judge_took
};
