/* dom.c -- a domain of the run: outcome and notes, typed journal access,
 * and the zone as read from the panel. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit.h"
#include "dom.h"
#include "engine.h"
#include "host.h"
#include "idn.h"
#include "journaldir.h"
#include "utf8.h"

static const char *const dres_names[DR__MAX] = {
	[DR_DONE] = "done",
	[DR_ALREADY] = "already",
	[DR_SKIPPED] = "skipped",
	[DR_REFUSED] = "refused",
	[DR_WAIT] = "waiting",
	[DR_BUSY] = "busy",
	[DR_FAILED] = "failed",
};

static const char *const note_names[NOTE__MAX] = {
	[NOTE_DIFF] = "change",
	[NOTE_INFO] = "info",
	[NOTE_CHECK] = "pass",
	[NOTE_WARN] = "warn",
	[NOTE_BLOCK] = "block",
};

const char *
dres_name(enum dres r)
{
	return (unsigned)r < DR__MAX ? dres_names[r] : "?";
}

const char *
note_kind_name(enum note_kind k)
{
	return (unsigned)k < NOTE__MAX ? note_names[k] : "?";
}

char dom_nostr[1];
/* a message that could not be kept (never freed) */
static char msg_oom[] = "out of memory keeping the message";

int
dom_str_set(char **slot, const char *s)
{
	char *p;

	if (s == NULL || *s == '\0')
		p = dom_nostr;
	else if ((p = strdup(s)) == NULL)
		return 0;
	dom_str_free(slot);
	*slot = p;
	return 1;
}

int
dom_str_vcut(char **slot, size_t max, const char *fmt, va_list ap)
{
	char *p;
	int ok;

	if (vasprintf(&p, fmt, ap) < 0)
		return 0;
	if (max > 0 && strlen(p) >= max)
		p[max - 1] = '\0';
	utf8_trim(p);
	ok = dom_str_set(slot, p);
	free(p);
	return ok;
}

void
dom_str_free(char **slot)
{
	if (*slot != NULL && *slot != dom_nostr && *slot != msg_oom)
		free(*slot);
	*slot = dom_nostr;
}

int
dom_init(struct dom *d, const char *name)
{
	char low[256], uni[256];
	size_t k;

	memset(d, 0, sizeof(*d));
	d->lockfd = -1;
	d->zone_enabled = d->mailservice = -1;
	d->next = STEP__MAX;
	d->name = d->display = d->zone = d->msg = dom_nostr;
	d->panel_ip = d->panel_ip6 = d->target_ip = d->target_ip6 = dom_nostr;
	for (k = 0; name[k] && k + 1 < sizeof(low); k++)
		low[k] = (char)tolower((unsigned char)name[k]);
	if (k > 0 && low[k - 1] == '.')
		k--;
	low[k] = '\0';
	idn_unicode(low, uni, sizeof(uni));
	if (!dom_str_set(&d->name, low) || !dom_str_set(&d->display, uni)) {
		dom_release(d);
		return 0;
	}
	return 1;
}

/* the domain's strings back to "" (freed) */
static void
dom_strs_free(struct dom *d)
{
	dom_str_free(&d->name);
	dom_str_free(&d->display);
	dom_str_free(&d->zone);
	dom_str_free(&d->msg);
	dom_str_free(&d->panel_ip);
	dom_str_free(&d->panel_ip6);
	dom_str_free(&d->target_ip);
	dom_str_free(&d->target_ip6);
}

void
dom_release(struct dom *d)
{
	size_t k;

	journal_free(d->j);
	d->j = NULL;
	journal_unlock(d->lockfd);
	d->lockfd = -1;
	dom_zone_clear(d);
	free(d->notes);
	d->notes = NULL;
	d->notes_len = d->nnotes = 0;
	for (k = 0; k < d->nsrv; k++) {
		dom_str_free(&d->srv[k].name);
		dom_str_free(&d->srv[k].seen);
	}
	free(d->srv);
	d->srv = NULL;
	d->nsrv = d->capsrv = 0;
	dom_strs_free(d);
}

struct srv *
dom_srv_add(struct dom *d)
{
	struct srv *p;
	size_t cap;

	if (d->nsrv == d->capsrv) {
		/* most zones have two or three: no fixed slots per domain */
		cap = d->capsrv ? d->capsrv * 2 : 2;
		if ((p = realloc(d->srv, cap * sizeof(*p))) == NULL)
			return NULL;
		d->srv = p;
		d->capsrv = cap;
	}
	p = &d->srv[d->nsrv++];
	memset(p, 0, sizeof(*p));
	p->name = p->seen = dom_nostr;
	return p;
}

/* ---- outcome and notes ---- */

#define CUT	"... (cut)"

void
dom_note(struct dom *d, enum note_kind k, const char *fmt, ...)
{
	char buf[DOM_NOTE_MAX], *p;
	va_list ap;
	size_t len;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* a note is a message: a long one is cut, and says so */
	if (n >= (int)sizeof(buf))
		buf[sizeof(buf) - sizeof(CUT)] = '\0';
	utf8_trim(buf);
	if (n >= (int)sizeof(buf))
		strcat(buf, CUT);
	/* never capped (plan finds blocks by scanning them: none may
	   vanish), each as long as its text: one block grown exactly */
	len = strlen(buf);
	if ((p = realloc(d->notes, d->notes_len + len + 2)) == NULL) {
		dom_fail(d, "out of memory keeping note %zu", d->nnotes + 1);
		return;
	}
	d->notes = p;
	p[d->notes_len] = (char)k;
	memcpy(p + d->notes_len + 1, buf, len + 1);
	d->notes_len += len + 2;
	d->nnotes++;
}

int
dom_note_next(const struct dom *d, struct note *n)
{
	if (n->next >= d->notes_len)
		return 0;
	n->at = n->next;
	n->kind = (enum note_kind)(unsigned char)d->notes[n->at];
	n->text = d->notes + n->at + 1;
	n->next = n->at + 1 + strlen(n->text) + 1;
	return 1;
}

void
dom_note_kind_set(struct dom *d, const struct note *n, enum note_kind k)
{
	if (n->at < d->notes_len)
		d->notes[n->at] = (char)k;
}

/* the outcome's message, cut to DOM_MSG_MAX at a character boundary */
static void
msg_set(struct dom *d, const char *fmt, va_list ap)
{
	if (!dom_str_vcut(&d->msg, DOM_MSG_MAX, fmt, ap)) {
		dom_str_free(&d->msg);
		d->msg = msg_oom;
	}
}

void
dom_fail(struct dom *d, const char *fmt, ...)
{
	va_list ap;

	d->res = DR_FAILED;
	d->skip = 1;
	va_start(ap, fmt);
	msg_set(d, fmt, ap);
	va_end(ap);
}

void
dom_outcome(struct dom *d, enum dres res, const char *fmt, ...)
{
	va_list ap;

	if (d->res == DR_FAILED)
		return;
	d->res = res;
	d->skip = 1;
	d->next = STEP__MAX;
	d->next_at = 0;
	va_start(ap, fmt);
	msg_set(d, fmt, ap);
	va_end(ap);
}

/* a wait never hides a failure or a final outcome of this run */
void
dom_wait(struct dom *d, enum step_id next, time_t at, const char *fmt, ...)
{
	va_list ap;

	if (d->res == DR_FAILED || d->res == DR_ALREADY ||
	    d->res == DR_SKIPPED || d->res == DR_REFUSED)
		return;
	d->res = DR_WAIT;
	d->next = next;
	d->next_at = at;
	va_start(ap, fmt);
	msg_set(d, fmt, ap);
	va_end(ap);
}

/* only a domain still "done" gets a done message: a later wait or
 * failure keeps its own */
void
dom_done(struct dom *d, const char *fmt, ...)
{
	va_list ap;

	if (d->res != DR_DONE)
		return;
	va_start(ap, fmt);
	msg_set(d, fmt, ap);
	va_end(ap);
}

void
dom_next(struct dom *d, enum step_id next, time_t at)
{
	d->next = next;
	d->next_at = at;
}

int
dom_active(const struct dom *d)
{
	return !d->skip && d->res != DR_FAILED;
}

/* ---- the journal ---- */

const char *
dom_get(const struct dom *d, enum jkey k)
{
	return d->j != NULL ? journal_get(d->j, jkey_name(k)) : NULL;
}

int
dom_ulong(const struct dom *d, enum jkey k, unsigned long *v)
{
	return d->j != NULL && journal_get_ulong(d->j, jkey_name(k), v);
}

time_t
dom_time(const struct dom *d, enum jkey k)
{
	unsigned long v;

	return dom_ulong(d, k, &v) ? (time_t)v : 0;
}

int
dom_set(struct dom *d, enum jkey k, const char *v)
{
	struct mc_err err = { 0 };

	if (journal_set(d->j, jkey_name(k), v, &err) != MC_OK) {
		dom_fail(d, "journal: %s", err.msg);
		return 0;
	}
	return 1;
}

int
dom_setf(struct dom *d, enum jkey k, const char *fmt, ...)
{
	char *buf;
	va_list ap;
	int n, ok;

	/* any length: the journal says when a value is too long */
	va_start(ap, fmt);
	n = vasprintf(&buf, fmt, ap);
	va_end(ap);
	if (n < 0) {
		dom_fail(d, "out of memory");
		return 0;
	}
	ok = dom_set(d, k, buf);
	free(buf);
	return ok;
}

void
dom_unset(struct dom *d, enum jkey k)
{
	journal_unset(d->j, jkey_name(k));
}

int
dom_stamp(struct engine *e, struct dom *d, enum jkey k)
{
	return dom_setf(d, k, "%lld", (long long)engine_tick(e));
}

int
dom_save(struct engine *e, struct dom *d)
{
	struct mc_err err = { 0 };

	/*
	 * Journals written before the state was derived from the marks
	 * carry a "state" key that nothing reads any more: it goes at the
	 * next write rather than staying there, stale.
	 */
	journal_unset(d->j, "state");
	if (journal_save(e->cc->state_dir, d->j, &err) != MC_OK) {
		dom_fail(d, "%s", err.msg);
		return 0;
	}
	return 1;
}

void
dom_audit(struct engine *e, struct dom *d, const char *step,
    const char *old_value, const char *new_value, const char *result)
{
	struct mc_err err = { 0 };
	const char *actor = getenv("MAILCUTOVER_ACTOR");

	if (audit_append(e->cc->state_dir, d->name, step, old_value,
	    new_value, result, actor != NULL ? actor : "cli", &err) != MC_OK) {
		/* never silent: on stderr and in the domain's notes */
		fprintf(stderr, "mailcutover: %s\n", err.msg);
		dom_note(d, NOTE_WARN, "audit log: %s (%s %s -> %s %s not "
		    "logged)", err.msg, step, old_value ? old_value : "-",
		    new_value ? new_value : "-", result);
	}
}

/* ---- what the journal and the panel say ---- */

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
	const char *k = dom_get(d, JK_KIND);

	if (k != NULL)
		return strcmp(k, "alias") != 0 && strcmp(k, "subdomain") != 0;
	return d->kind != SITE_ALIAS && d->kind != SITE_SUBDOMAIN;
}

int
dom_manual(const struct dom *d)
{
	const char *m = dom_get(d, JK_MODE);

	return m != NULL && strcmp(m, "manual") == 0;
}

void
dom_zone_init(struct dom *d)
{
	if (d->zone[0] == '\0' &&
	    !dom_str_set(&d->zone, dom_get(d, JK_ZONE) ? dom_get(d, JK_ZONE) :
	    d->name))
		dom_fail(d, "out of memory keeping the zone's name");
}

/* split a space-separated journal value into at most max words */
static size_t
words(const char *p, char (*out)[64], size_t max)
{
	size_t n = 0, len;

	while (p != NULL && *p != '\0' && n < max) {
		len = strcspn(p, " ");
		snprintf(out[n++], 64, "%.*s", (int)len, p);
		p += len;
		while (*p == ' ')
			p++;
	}
	return n;
}

size_t
dom_labels(const struct dom *d, char out[DOM_MAX_LABELS][64])
{
	return words(dom_get(d, JK_NAMES), out, DOM_MAX_LABELS);
}

size_t
dom_orig(const struct dom *d, struct own_rec **out)
{
	unsigned long cnt = 0, i;
	struct own_rec *v;
	size_t n = 0;
	char key[32];

	*out = NULL;
	if (d->j == NULL || !dom_ulong(d, JK_ORIG_COUNT, &cnt) ||
	    cnt == 0 || (v = calloc(cnt, sizeof(*v))) == NULL)
		return 0;
	for (i = 0; i < cnt; i++) {
		jkey_rec(i, key, sizeof(key));
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
	const char *p = dom_get(d, JK_OLD_IPS);
	size_t n, i;

	if (p == NULL)
		p = dom_get(d, JK_OLD_IP);	/* journals before old_ips */
	n = words(p, buf, OWN_MAX_ADDRS);
	for (i = 0; i < n; i++)
		out[i] = buf[i];
	return n;
}

/* ---- the zone as read ---- */

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

/* a copy's four strings live in one block, starting at type: one
 * allocation per record (ten thousand zones of a dozen records each) */
static void
rec_clear(struct dns_record *r)
{
	free(r->type);
	r->type = r->host = r->value = r->opt = NULL;
}

/* the record is copied (its strings too): the op it came from is freed
 * with its batch */
int
dom_record_add(struct dom *d, const struct dns_record *src)
{
	const char *opt = src->opt ? src->opt : "";
	size_t lt = strlen(src->type) + 1, lh = strlen(src->host) + 1;
	size_t lv = strlen(src->value) + 1, lo = strlen(opt) + 1;
	struct dns_record *nr;
	char *p;

	if ((p = malloc(lt + lh + lv + lo)) == NULL)
		return 0;
	if ((nr = realloc(d->recs, (d->nrecs + 1) * sizeof(*nr))) == NULL) {
		free(p);
		return 0;
	}
	d->recs = nr;
	nr = &d->recs[d->nrecs++];
	*nr = *src;
	nr->type = memcpy(p, src->type, lt);
	nr->host = memcpy(p + lt, src->host, lh);
	nr->value = memcpy(p + lt + lh, src->value, lv);
	nr->opt = memcpy(p + lt + lh + lv, opt, lo);
	return 1;
}

void
dom_record_drop(struct dom *d, unsigned long id)
{
	size_t i;

	for (i = 0; i < d->nrecs; i++)
		if (d->recs[i].id == id) {
			rec_clear(&d->recs[i]);
			memmove(&d->recs[i], &d->recs[i + 1],
			    (d->nrecs - i - 1) * sizeof(d->recs[0]));
			d->nrecs--;
			return;
		}
}

void
dom_zone_clear(struct dom *d)
{
	size_t i;

	for (i = 0; i < d->nrecs; i++)
		rec_clear(&d->recs[i]);
	free(d->recs);
	d->recs = NULL;
	d->nrecs = 0;
	d->have_zone = 0;
}
