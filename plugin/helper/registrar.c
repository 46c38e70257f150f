/* registrar.c -- runbook 5: the delegation checked at the parent, or
 * confirmed by the operator (registrar.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "delegation.h"
#include "dom.h"
#include "engine.h"
#include "json.h"
#include "newns.h"
#include "registrar.h"
#include "roothints.h"

enum verdict {
	V_LISTED,	/* every parent server lists the expected set */
	V_DIFFERS,	/* one answered with another set, or none */
	V_UNASKED,	/* none differs, but not every one could be asked */
	V_UNCHECKED,	/* no expected set, or no parent server found */
	V__MAX
};

static const char *const verdicts[V__MAX] = { "listed", "differs",
    "unasked", "unchecked" };
static const char *const statuses[] = { "unasked", "lists", "none" };

/* one domain's check */
struct check {
	struct dom		*d;
	struct newns		*want;	/* what it should serve */
	struct delegation	*dl;	/* NULL: not asked */
	size_t			 at;	/* its index in registrar_run's ds */
};

/* every domain with an expected set asked, in one delegation run */
static void
ask_all(struct engine *e, struct check *c, size_t n, struct delegation *dl)
{
	struct delegation_opts o;
	struct roothints rh;
	struct mc_err err = { 0 };
	const char *roots[ROOTHINTS_MAX];
	size_t i, m = 0;

	for (i = 0; i < n; i++)
		if (c[i].want->from != NULL) {
			c[i].dl = &dl[m++];
			snprintf(c[i].dl->zone, sizeof(c[i].dl->zone), "%s",
			    c[i].d->zone);
		}
	if (m == 0)
		return;
	memset(&o, 0, sizeof(o));
	o.parents = e->cc->parent_dns;
	o.nparents = e->cc->nparent_dns;
	o.timeout_ms = (int)e->cc->dns_timeout_ms;
	if (o.nparents == 0 && roothints_load(e->cc, &rh, &err) != MC_OK) {
		for (i = 0; i < m; i++)
			snprintf(dl[i].msg, sizeof(dl[i].msg), "%.255s", err.msg);
		return;
	}
	for (i = 0; o.nparents == 0 && i < rh.n; i++)
		roots[i] = rh.addr[i];
	o.roots = roots;
	o.nroots = o.nparents == 0 ? rh.n : 0;
	if (delegation_run(dl, m, &o, &err) != MC_OK)
		fprintf(stderr, "mailcutover: the parent zone check: %s\n",
		    err.msg);
}

static enum verdict
verdict(const struct check *c)
{
	size_t i, differ = 0, unasked = 0;

	if (c->dl == NULL || c->dl->nsrv == 0)
		return V_UNCHECKED;
	for (i = 0; i < c->dl->nsrv; i++) {
		const struct delegation_server *s = &c->dl->srv[i];
		if (s->status == DELEG_UNASKED)
			unasked++;
		else if (s->status == DELEG_NONE ||
		    !nsset_equal(&s->ns, &c->want->ns))
			differ++;
	}
	return differ ? V_DIFFERS : unasked ? V_UNASKED : V_LISTED;
}

/* "p1.nic.test (127.0.63.2)", or the address alone */
static const char *
srv_show(const struct delegation_server *s, char *buf, size_t sz)
{
	if (s->name[0] && s->addr[0])
		snprintf(buf, sz, "%s (%s)", s->name, s->addr);
	else
		snprintf(buf, sz, "%s", s->name[0] ? s->name : s->addr);
	return buf;
}

/* what a server serves, for people */
static const char *
srv_serves(const struct delegation_server *s, char *buf, size_t sz)
{
	if (s->status == DELEG_LISTS)
		return nsset_join(&s->ns, ", ", buf, sz);
	snprintf(buf, sz, "%s%s", s->status == DELEG_UNASKED ?
	    "not asked: " : "", s->why);
	return buf;
}

/* parent.seen: one line per server, tab-separated */
static char *
seen_text(const struct delegation *dl)
{
	char ns[2048], *out, *p;
	size_t i, cap = 1, o = 0;

	for (i = 0; i < dl->nsrv; i++)
		cap += sizeof(dl->srv[0]) + sizeof(ns) + 8;
	if ((out = malloc(cap)) == NULL)
		return NULL;
	out[0] = '\0';
	for (i = 0; i < dl->nsrv; i++) {
		const struct delegation_server *s = &dl->srv[i];
		o += (size_t)snprintf(out + o, cap - o, "%s%s\t%s\t%s\t%s\t%s",
		    i ? "\n" : "", s->addr, s->name, statuses[s->status],
		    nsset_join(&s->ns, ",", ns, sizeof(ns)), s->why);
	}
	/* a why never carries a line or a field of its own */
	for (p = out; *p; p++)
		if (*p == '\r')
			*p = ' ';
	return out;
}

/* the check, journaled for status and the page */
static void
journal_check(struct engine *e, struct check *c, enum verdict v,
    const char *note)
{
	struct dom *d = c->d;
	char want[2048], *seen;

	dom_stamp(e, d, JK_PARENT_CHECKED);
	dom_set(d, JK_PARENT_RESULT, verdicts[v]);
	dom_set(d, JK_PARENT_WANT, nsset_join(&c->want->ns, " ", want,
	    sizeof(want)));
	if (c->dl != NULL && c->dl->nsrv > 0 &&
	    (seen = seen_text(c->dl)) != NULL) {
		dom_set(d, JK_PARENT_ZONE, c->dl->parent);
		dom_set(d, JK_PARENT_SEEN, seen);
		free(seen);
	} else {
		dom_unset(d, JK_PARENT_ZONE);
		dom_unset(d, JK_PARENT_SEEN);
	}
	if (note != NULL && note[0])
		dom_set(d, JK_PARENT_NOTE, note);
	else
		dom_unset(d, JK_PARENT_NOTE);
}

/* step 5 done: how, stamped and saved */
static int
done(struct engine *e, struct dom *d, const char *how)
{
	dom_set(d, JK_REGISTRAR_HOW, how);
	dom_stamp(e, d, JK_REGISTRAR_DONE);
	return dom_save(e, d);
}

/* the parent's servers, one note each */
static void
srv_notes(struct dom *d, const struct delegation *dl, enum note_kind k)
{
	char who[400], what[2048];
	size_t i;

	for (i = 0; i < dl->nsrv; i++)
		dom_note(d, k, "parent server %s: %s",
		    srv_show(&dl->srv[i], who, sizeof(who)),
		    srv_serves(&dl->srv[i], what, sizeof(what)));
}

/* the servers that differ: how many, and the first one, what it serves */
static size_t
differing(const struct check *c, char *buf, size_t sz)
{
	char who[400], what[2048];
	size_t i, n = 0;

	for (i = 0; i < c->dl->nsrv; i++) {
		const struct delegation_server *s = &c->dl->srv[i];
		if (s->status == DELEG_UNASKED || (s->status == DELEG_LISTS &&
		    nsset_equal(&s->ns, &c->want->ns)))
			continue;
		if (n++ == 0)
			snprintf(buf, sz, "%s: %s", srv_show(s, who, sizeof(who)),
			    srv_serves(s, what, sizeof(what)));
	}
	return n;
}

/* every parent server lists the new set: done, audited */
static int
listed(struct engine *e, struct check *c)
{
	char want[1024], zone[300];

	nsset_join(&c->want->ns, ", ", want, sizeof(want));
	snprintf(zone, sizeof(zone), "%s", c->dl->parent[0] ?
	    c->dl->parent : "(parent_dns)");
	dom_note(c->d, NOTE_CHECK, "step 5 checked at the parent zone %s: "
	    "its %zu server(s) delegate %s to %s", zone, c->dl->nsrv,
	    c->d->zone, want);
	dom_audit(e, c->d, "registrar", "-", want, "checked at the parent");
	return done(e, c->d, "parent");
}

/* a parent server answers with other name servers: wait, whatever the
 * operator says */
static void
differs(struct engine *e, struct check *c)
{
	char want[1024], now[2500], zone[300];
	size_t n;

	nsset_join(&c->want->ns, ", ", want, sizeof(want));
	snprintf(zone, sizeof(zone), "%s", c->dl->parent[0] ?
	    c->dl->parent : "(parent_dns)");
	srv_notes(c->d, c->dl, NOTE_INFO);
	if (e->confirm_registrar)
		dom_note(c->d, NOTE_WARN, "--confirm-registrar is not taken: "
		    "the parent's servers answer, and not with the new name "
		    "servers; finish completes once every one of them lists "
		    "them");
	n = differing(c, now, sizeof(now));
	dom_wait(c->d, STEP_FINISH, 0, "waiting for the delegation: %zu of "
	    "%zu servers of the parent zone %s do not list the new name "
	    "servers of %s yet (%s); each should list %s (%s)", n,
	    c->dl->nsrv, zone, c->d->zone, now, want, c->want->from);
}

/* no answer that says no: the operator's word, or wait for it */
static int
operator(struct engine *e, struct check *c, const char *why)
{
	if (c->dl != NULL && c->dl->nsrv > 0)
		srv_notes(c->d, c->dl, NOTE_INFO);
	dom_note(c->d, NOTE_INFO, "step 5 is not checked at the parent: %s",
	    why);
	if (e->confirm_registrar) {
		dom_audit(e, c->d, "registrar", "-", "confirmed",
		    "confirmed by operator");
		return done(e, c->d, "operator");
	}
	dom_wait(c->d, STEP_FINISH, 0, "confirm the registrar change: "
	    "mailcutover finish --confirm-registrar %s", c->d->name);
	return 0;
}

/* one domain's step 5 from its check; 1 when done */
static int
decide(struct engine *e, struct check *c)
{
	enum verdict v = verdict(c);
	char why[400], want[1100], names[1024];

	if (v == V_UNCHECKED)
		snprintf(why, sizeof(why), "%s", c->want->from == NULL ?
		    c->want->why : c->dl->msg);
	else
		snprintf(why, sizeof(why), "not every parent server could "
		    "be asked");
	journal_check(e, c, v, v == V_UNCHECKED || v == V_UNASKED ? why :
	    NULL);
	if (v == V_LISTED)
		return listed(e, c);
	if (c->want->from != NULL)
		snprintf(want, sizeof(want), " (%s)", nsset_join(&c->want->ns,
		    ", ", names, sizeof(names)));
	else
		want[0] = '\0';
	dom_note(c->d, NOTE_INFO, "the old server was the primary DNS of %s: "
	    "at the registrar, change the name servers of %s to the new "
	    "server's%s, and keep the old server serving the zone for at "
	    "least the delegation TTL", c->d->zone, c->d->zone, want);
	if (v == V_DIFFERS)
		differs(e, c);
	else if (operator(e, c, why))
		return 1;
	dom_save(e, c->d);
	return 0;
}

/* the domains to check: their expected sets, the parent asked, each
 * decided */
static void
check_all(struct engine *e, struct check *c, size_t m, int *through)
{
	struct newns *want;
	struct delegation *dl;
	struct dom **ds;
	size_t i;

	want = calloc(m, sizeof(*want));
	dl = calloc(m, sizeof(*dl));
	ds = calloc(m, sizeof(*ds));
	if (want == NULL || dl == NULL || ds == NULL) {
		for (i = 0; i < m; i++)
			dom_fail(c[i].d, "out of memory");
		goto out;
	}
	for (i = 0; i < m; i++) {
		ds[i] = c[i].d;
		c[i].want = &want[i];
	}
	newns_read(e, ds, m, want);
	ask_all(e, c, m, dl);
	for (i = 0; i < m; i++)
		through[c[i].at] = decide(e, &c[i]);
out:
	for (i = 0; want != NULL && i < m; i++)
		newns_free(&want[i]);
	for (i = 0; dl != NULL && i < m; i++)
		delegation_free(&dl[i]);
	free(want);
	free(dl);
	free(ds);
}

void
registrar_run(struct engine *e, struct dom **ds, size_t n, int *through)
{
	struct check *c;
	size_t i, m = 0;

	if ((c = calloc(n + 1, sizeof(*c))) == NULL) {
		for (i = 0; i < n; i++)
			dom_fail(ds[i], "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		struct dom *d = ds[i];
		through[i] = 0;
		if (dom_time(d, JK_REGISTRAR_DONE))
			through[i] = 1;
		else if (dom_manual(d) && e->nnew_ns == 0)
			through[i] = done(e, d, "manual");
		else {
			c[m].d = d;
			c[m++].at = i;
		}
	}
	if (m > 0)
		check_all(e, c, m, through);
	free(c);
}

/* ---- the report: the journal's last check ---- */

/* ISO 8601 UTC, as report.c writes times; NULL when t is 0 */
static const char *
iso(time_t t, char *buf, size_t sz)
{
	struct tm tm;

	if (t <= 0)
		return NULL;
	gmtime_r(&t, &tm);
	strftime(buf, sz, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* one line of parent.seen split into its five fields (in place) */
static int
seen_fields(char *line, char *f[5])
{
	int k;

	for (k = 0; k < 5; k++) {
		f[k] = line;
		if (k < 4 && (line = strchr(line, '\t')) == NULL)
			return 0;
		if (k < 4)
			*line++ = '\0';
	}
	return 1;
}

/* call each(f, arg) for every server of parent.seen */
static void
seen_each(const struct dom *d, void (*each)(char *f[5], void *), void *arg)
{
	const char *seen = dom_get(d, JK_PARENT_SEEN);
	char *copy, *line, *save = NULL, *f[5];

	if (seen == NULL || (copy = strdup(seen)) == NULL)
		return;
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (seen_fields(line, f))
			each(f, arg);
	free(copy);
}

/* the expected names of the journal as a set */
static void
want_set(const struct dom *d, struct nsset *s)
{
	const char *w = dom_get(d, JK_PARENT_WANT);

	if (w != NULL && w[0] != '\0')
		(void)nsset_parse(s, w, NULL, 0);
}

struct jctx {
	struct json		*j;
	const struct nsset	*want;
};

static void
json_server(char *f[5], void *arg)
{
	struct jctx *c = arg;
	struct nsset ns = { NULL, 0 };
	char *p, *save = NULL;
	int lists = strcmp(f[2], "lists") == 0;

	json_obj_open(c->j, NULL);
	json_str(c->j, "name", f[1][0] ? f[1] : NULL);
	json_str(c->j, "address", f[0][0] ? f[0] : NULL);
	json_str(c->j, "status", f[2]);
	json_arr_open(c->j, "serves");
	for (p = strtok_r(f[3], ",", &save); p != NULL;
	    p = strtok_r(NULL, ",", &save)) {
		json_str(c->j, NULL, p);
		(void)nsset_add(&ns, p, 0);
	}
	json_arr_close(c->j);
	json_bool(c->j, "ok", lists && c->want->n > 0 &&
	    nsset_equal(&ns, c->want));
	json_str(c->j, "why", f[4][0] ? f[4] : NULL);
	json_obj_close(c->j);
	nsset_free(&ns);
}

void
registrar_json(const struct dom *d, struct json *j)
{
	struct nsset want = { NULL, 0 };
	struct jctx c = { j, &want };
	char t[32];
	size_t i;

	want_set(d, &want);
	json_obj_open(j, "delegation");
	json_str(j, "how", dom_get(d, JK_REGISTRAR_HOW));
	json_str(j, "done_at", iso(dom_time(d, JK_REGISTRAR_DONE), t,
	    sizeof(t)));
	json_str(j, "checked_at", iso(dom_time(d, JK_PARENT_CHECKED), t,
	    sizeof(t)));
	json_str(j, "result", dom_get(d, JK_PARENT_RESULT));
	json_str(j, "parent", dom_get(d, JK_PARENT_ZONE));
	json_arr_open(j, "expected");
	for (i = 0; i < want.n; i++)
		json_str(j, NULL, want.names[i]);
	json_arr_close(j);
	json_arr_open(j, "servers");
	seen_each(d, json_server, &c);
	json_arr_close(j);
	json_str(j, "note", dom_get(d, JK_PARENT_NOTE));
	json_obj_close(j);
	nsset_free(&want);
}

static void
text_server(char *f[5], void *arg)
{
	(void)arg;
	printf("      %s%s%s%s: %s%s\n", f[1], f[1][0] ? " (" : "", f[0],
	    f[1][0] ? ")" : "", strcmp(f[2], "lists") == 0 ? f[3] : f[4],
	    strcmp(f[2], "lists") == 0 && !f[3][0] ? "(none)" : "");
}

void
registrar_text(const struct dom *d)
{
	const char *how = dom_get(d, JK_REGISTRAR_HOW);
	const char *res = dom_get(d, JK_PARENT_RESULT);
	const char *note = dom_get(d, JK_PARENT_NOTE);
	char t[32];

	if (how != NULL)
		printf("  step 5: done (%s)\n", strcmp(how, "parent") == 0 ?
		    "checked at the parent" : strcmp(how, "operator") == 0 ?
		    "confirmed by the operator" : "not needed: manual DNS");
	if (res == NULL)
		return;
	printf("  parent check %s: %s%s%s\n", iso(dom_time(d,
	    JK_PARENT_CHECKED), t, sizeof(t)) ? t : "-", res,
	    note ? ": " : "", note ? note : "");
	printf("    parent zone %s, should serve: %s\n",
	    dom_get(d, JK_PARENT_ZONE) && dom_get(d, JK_PARENT_ZONE)[0] ?
	    dom_get(d, JK_PARENT_ZONE) : "(parent_dns)",
	    dom_get(d, JK_PARENT_WANT) ? dom_get(d, JK_PARENT_WANT) : "-");
	seen_each(d, text_server, NULL);
}
