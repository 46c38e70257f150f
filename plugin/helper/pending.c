/* pending.c -- the panel changes whose outcome is not known yet: journaled
 * before they are sent, settled by the answer or by a later reading of
 * the panel, each with exactly one audit line (pending.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "dom.h"
#include "engine.h"
#include "host.h"
#include "pending.h"

/*
 * An entry, as journaled: ten tab-separated fields,
 *   state kind time run actor step what old new result
 * state: sent (journaled, the packet may have left), lost (its answer
 * was lost), answered (the panel said ok, a read-back settles it), owed
 * (made, its audit line could not be written). time: when it was
 * journaled (UNIX seconds, the run's clock). run: which run journaled
 * it (pid.start); a reading of the panel leaves this run's own "sent"
 * entries alone: their answers are still to come. actor: who ran it.
 */
enum { F_STATE, F_KIND, F_TIME, F_RUN, F_ACTOR, F_STEP, F_WHAT, F_OLD,
	F_NEW, F_RESULT, F__MAX };

struct pend {
	char		 key[32];
	char		*buf;		/* the value, split in place */
	const char	*f[F__MAX];
};

static const char *const kind_names[PEND__MAX] = {
	[PEND_TTL] = "ttl",
	[PEND_ADD] = "add",
	[PEND_DEL] = "del",
	[PEND_MAIL_OFF] = "mail-off",
	[PEND_MAIL_ON] = "mail-on",
};

#define RECONCILED	"reconciled: its answer was lost; the panel shows " \
			"the change made"
#define OWED		"logged late: the audit log could not be written " \
			"at the time"

/* this run: "pid.start" */
static const char *
run_id(void)
{
	static char id[48];

	if (id[0] == '\0')
		snprintf(id, sizeof(id), "%ld.%lld", (long)getpid(),
		    (long long)time(NULL));
	return id;
}

static const char *
actor_now(void)
{
	const char *a = getenv("MAILCUTOVER_ACTOR");

	return a != NULL && *a != '\0' ? a : "cli";
}

/* a field as journaled: no tab, no line break */
static void
field_put(char *out, size_t *len, const char *v, int last)
{
	size_t k;

	for (k = 0; v != NULL && v[k] != '\0'; k++)
		out[(*len)++] = (v[k] == '\t' || v[k] == '\n' ||
		    v[k] == '\r') ? ' ' : v[k];
	if (v == NULL)
		out[(*len)++] = '-';
	out[(*len)++] = last ? '\0' : '\t';
}

/* the entry's value, malloc'd; NULL when out of memory */
static char *
pend_value(const char *const f[F__MAX])
{
	size_t n = 0, len = 0, i;
	char *v;

	for (i = 0; i < F__MAX; i++)
		n += (f[i] != NULL ? strlen(f[i]) : 1) + 1;
	if ((v = malloc(n)) == NULL)
		return NULL;
	for (i = 0; i < F__MAX; i++)
		field_put(v, &len, f[i], i == F__MAX - 1);
	return v;
}

/* parse the journal value of key into p; 0 when it is not an entry */
static int
pend_parse(const struct dom *d, const char *key, struct pend *p)
{
	const char *v = journal_get(d->j, key);
	char *s, *tab;
	size_t i;

	memset(p, 0, sizeof(*p));
	if (v == NULL || snprintf(p->key, sizeof(p->key), "%s", key) >=
	    (int)sizeof(p->key) || (p->buf = strdup(v)) == NULL)
		return 0;
	for (s = p->buf, i = 0; i < F__MAX; i++) {
		p->f[i] = s;
		tab = strchr(s, '\t');
		if ((tab == NULL) != (i == F__MAX - 1)) {
			free(p->buf);
			p->buf = NULL;
			return 0;
		}
		if (tab != NULL) {
			*tab = '\0';
			s = tab + 1;
		}
	}
	return 1;
}

static enum pend_kind
pend_kind_of(const struct pend *p)
{
	unsigned k;

	for (k = 0; k < PEND__MAX; k++)
		if (strcmp(p->f[F_KIND], kind_names[k]) == 0)
			return (enum pend_kind)k;
	return PEND__MAX;
}

/* the keys of d's entries, in journal order (malloc'd; *n set) */
static char **
pend_keys(const struct dom *d, size_t *n)
{
	size_t i, c = d->j != NULL ? journal_count(d->j) : 0;
	char **keys;

	*n = 0;
	if ((keys = calloc(c + 1, sizeof(*keys))) == NULL)
		return NULL;
	for (i = 0; i < c; i++)
		if (strncmp(journal_key_at(d->j, i), "pend.", 5) == 0 &&
		    (keys[*n] = strdup(journal_key_at(d->j, i))) != NULL)
			(*n)++;
	return keys;
}

static void
keys_free(char **keys, size_t n)
{
	size_t i;

	for (i = 0; keys != NULL && i < n; i++)
		free(keys[i]);
	free(keys);
}

unsigned
pending_count(const struct dom *d)
{
	size_t n;
	char **keys = pend_keys(d, &n);

	keys_free(keys, n);
	return (unsigned)n;
}

/* write p's value back with another state */
static void
pend_state(struct dom *d, struct pend *p, const char *state)
{
	const char *f[F__MAX];
	struct mc_err err = { 0 };
	char *v;

	memcpy(f, p->f, sizeof(f));
	f[F_STATE] = state;
	if ((v = pend_value(f)) == NULL ||
	    journal_set(d->j, p->key, v, &err) != MC_OK)
		dom_fail(d, "journal: %s", v == NULL ? "out of memory" :
		    err.msg);
	free(v);
}

int
pending_add(struct engine *e, struct dom *d, enum pend_kind kind,
    const char *what, const char *step, const char *old_value,
    const char *new_value, const char *result)
{
	const char *f[F__MAX];
	struct mc_err err = { 0 };
	char key[32], at[32], *v;
	size_t n;
	int ok;

	for (n = 0;; n++) {
		jkey_pend(n, key, sizeof(key));
		if (journal_get(d->j, key) == NULL)
			break;
	}
	snprintf(at, sizeof(at), "%lld", (long long)engine_tick(e));
	f[F_STATE] = "sent";
	f[F_KIND] = kind_names[kind];
	f[F_TIME] = at;
	f[F_RUN] = run_id();
	f[F_ACTOR] = actor_now();
	f[F_STEP] = step;
	f[F_WHAT] = what;
	f[F_OLD] = old_value;
	f[F_NEW] = new_value;
	f[F_RESULT] = result;
	if ((v = pend_value(f)) == NULL) {
		dom_fail(d, "out of memory");
		return 0;
	}
	ok = journal_set(d->j, key, v, &err) == MC_OK;
	free(v);
	if (!ok)
		dom_fail(d, "journal: %s", err.msg);
	return ok;
}

/* the entry of kind/what; 0 when d has none */
static int
pend_find(const struct dom *d, enum pend_kind kind, const char *what,
    struct pend *out)
{
	size_t n, i;
	char **keys = pend_keys(d, &n);
	int found = 0;

	for (i = 0; !found && keys != NULL && i < n; i++) {
		if (!pend_parse(d, keys[i], out))
			continue;
		/* this run's own entry, in flight */
		if (pend_kind_of(out) == kind &&
		    strcmp(out->f[F_WHAT], what) == 0 &&
		    strcmp(out->f[F_STATE], "sent") == 0 &&
		    strcmp(out->f[F_RUN], run_id()) == 0)
			found = 1;
		else
			free(out->buf);
	}
	keys_free(keys, n);
	return found;
}

/* p's audit line with this result and actor; 0 when it was not written
 * (a note says why) */
static int
pend_audit(struct engine *e, struct dom *d, const struct pend *p,
    const char *result, const char *actor)
{
	struct mc_err err = { 0 };

	if (audit_append(e->cc->state_dir, d->name, p->f[F_STEP], p->f[F_OLD],
	    p->f[F_NEW], result, actor, &err) == MC_OK)
		return 1;
	fprintf(stderr, "mailcutover: %s\n", err.msg);
	dom_note(d, NOTE_WARN, "audit log: %s", err.msg);
	return 0;
}

/* a change made whose line could not be written: kept, and said */
static void
pend_owed(struct dom *d, struct pend *p)
{
	pend_state(d, p, "owed");
	dom_fail(d, "the audit log could not be written (see the notes): "
	    "%s %s -> %s was made on the panel; the next run logs it",
	    p->f[F_STEP], p->f[F_OLD], p->f[F_NEW]);
}

void
pending_settle(struct engine *e, struct dom *d, enum pend_kind kind,
    const char *what, enum pend_outcome how)
{
	struct pend p;

	if (d->j == NULL || !pend_find(d, kind, what, &p))
		return;
	switch (how) {
	case PEND_MADE:
		if (pend_audit(e, d, &p, p.f[F_RESULT], p.f[F_ACTOR]))
			journal_unset(d->j, p.key);
		else
			pend_owed(d, &p);
		break;
	case PEND_ANSWERED:
		pend_state(d, &p, "answered");
		break;
	case PEND_UNKNOWN:
		(void)pend_audit(e, d, &p, "unknown", p.f[F_ACTOR]);
		pend_state(d, &p, "lost");
		break;
	case PEND_FAILED:
		(void)pend_audit(e, d, &p, "failed", p.f[F_ACTOR]);
		journal_unset(d->j, p.key);
		break;
	case PEND_NOT_MADE:
		journal_unset(d->j, p.key);
		break;
	}
	free(p.buf);
}

/* ---- a reading of the panel settles what it can ---- */

/* is an add of "label|type|value" in the zone as read? */
static int
add_made(const struct dom *d, const char *what)
{
	char label[64], type[8], value[64], rel[256];
	size_t i;

	if (sscanf(what, "%63[^|]|%7[^|]|%63s", label, type, value) != 3 &&
	    (label[0] = '\0', sscanf(what, "|%7[^|]|%63s", type, value)) != 2)
		return 0;
	for (i = 0; i < d->nrecs; i++)
		if (strcasecmp(d->recs[i].type, type) == 0 &&
		    host_relative(d->recs[i].host, d->zone, rel, sizeof(rel)) &&
		    strcmp(rel, label) == 0 &&
		    own_addr_equal(d->recs[i].value, value))
			return 1;
	return 0;
}

/* 1 made, 0 not made, -1 this reading cannot tell */
static int
pend_made(const struct dom *d, const struct pend *p, int zone, int mail)
{
	unsigned long v;
	size_t i;

	switch (pend_kind_of(p)) {
	case PEND_TTL:
		if (!zone || !d->have_zone || !(d->soa.set & SOA_TTL))
			return -1;
		return sscanf(p->f[F_WHAT], "%lu", &v) == 1 && d->soa.ttl == v;
	case PEND_ADD:
		return zone && d->have_zone ? add_made(d, p->f[F_WHAT]) : -1;
	case PEND_DEL:
		if (!zone || !d->have_zone ||
		    sscanf(p->f[F_WHAT], "%lu", &v) != 1)
			return -1;
		for (i = 0; i < d->nrecs; i++)
			if (d->recs[i].id == v)
				return 0;
		return 1;
	case PEND_MAIL_OFF:
	case PEND_MAIL_ON:
		if (!mail || d->mailservice < 0)
			return -1;
		return d->mailservice == (pend_kind_of(p) == PEND_MAIL_ON);
	case PEND__MAX:
		break;
	}
	return -1;
}

struct logged {
	const struct pend	*p;
	char			 since[32];	/* ISO time of the entry */
	int			 found;
};

static void
logged_cb(void *arg, const char *const f[7])
{
	struct logged *l = arg;

	if (strcmp(f[0], l->since) >= 0 && !strcmp(f[2], l->p->f[F_STEP]) &&
	    !strcmp(f[3], l->p->f[F_OLD]) && !strcmp(f[4], l->p->f[F_NEW]) &&
	    !strcmp(f[5], l->p->f[F_RESULT]))
		l->found = 1;
}

/* is p's line in the audit log already (written since p was journaled:
 * the run died between the line and its journal)? */
static int
pend_logged(struct engine *e, const struct dom *d, const struct pend *p)
{
	struct logged l;
	struct mc_err err = { 0 };
	struct tm tm;
	time_t at;
	long long t;

	memset(&l, 0, sizeof(l));
	l.p = p;
	if (sscanf(p->f[F_TIME], "%lld", &t) != 1)
		return 0;
	at = (time_t)t;
	if (gmtime_r(&at, &tm) == NULL ||
	    strftime(l.since, sizeof(l.since), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return 0;
	/* a damaged log still passes its good lines */
	(void)audit_read(e->cc->state_dir, d->name, logged_cb, &l, &err);
	return l.found;
}

/*
 * A packet whose answer was lost may still be on its way through the
 * panel (a request that timed out here is still processed there): a
 * reading that does not show it yet forgets it only once it is older
 * than twice the request timeout and a minute. Until then it stays; if
 * the change is sent again and made, that line is the one, and this
 * entry, once the panel shows it, finds it logged (pend_logged).
 */
static int
pend_stale(const struct engine *e, const struct pend *p)
{
	long long at, limit = 2 * (e->conf->source.timeout_ms / 1000) + 60;

	return sscanf(p->f[F_TIME], "%lld", &at) != 1 ||
	    (long long)e->now - at > limit;
}

/* one entry the reading can tell; 1 when it was settled */
static int
reconcile_one(struct engine *e, struct dom *d, struct pend *p, int made)
{
	char actor[320];

	if (!made && strcmp(p->f[F_STATE], "answered") != 0 &&
	    !pend_stale(e, p))
		return 0;
	if (made && strcmp(p->f[F_STATE], "answered") == 0) {
		if (!pend_audit(e, d, p, p->f[F_RESULT], p->f[F_ACTOR])) {
			pend_owed(d, p);
			return 0;
		}
	} else if (made && !pend_logged(e, d, p)) {
		snprintf(actor, sizeof(actor), "%.200s (%s)", p->f[F_ACTOR],
		    strcmp(p->f[F_STATE], "owed") == 0 ? OWED : RECONCILED);
		if (!pend_audit(e, d, p, p->f[F_RESULT], actor)) {
			pend_owed(d, p);
			return 0;
		}
		dom_note(d, NOTE_INFO, "reconciled: %s %s -> %s was made by a "
		    "run whose answer was lost (audit log written now)",
		    p->f[F_STEP], p->f[F_OLD], p->f[F_NEW]);
	}
	journal_unset(d->j, p->key);
	return 1;
}

void
pending_reconcile(struct engine *e, struct dom *d, int zone, int mail)
{
	struct pend p;
	size_t n, i;
	char **keys;
	int made, settled = 0;

	if (d->j == NULL || !dom_active(d) || (keys = pend_keys(d, &n)) ==
	    NULL)
		return;
	for (i = 0; i < n; i++) {
		if (!pend_parse(d, keys[i], &p))
			continue;
		/* this run's own, still in flight: its answer settles it */
		if (!(strcmp(p.f[F_STATE], "sent") == 0 &&
		    strcmp(p.f[F_RUN], run_id()) == 0) &&
		    (made = pend_made(d, &p, zone, mail)) >= 0)
			settled += reconcile_one(e, d, &p, made);
		free(p.buf);
	}
	keys_free(keys, n);
	if (settled > 0 && dom_active(d))
		dom_save(e, d);
}
