/* gate.c -- the time gates of the runbook, from the journal's marks. */
#include <stdio.h>
#include <string.h>

#include "dom.h"
#include "engine.h"
#include "gate.h"

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
	time_t confirmed = dom_time(d, JK_PREPARE_CONFIRMED);
	unsigned long old_ttl = 0;

	if (confirmed == 0)
		return (time_t)-1;	/* not confirmed yet: unknown */
	dom_ulong(d, JK_PREPARE_OLD_TTL, &old_ttl);
	if (old_ttl <= e->cc->lowered_ttl)
		return confirmed;
	return confirmed + (time_t)old_ttl;
}

/* the time part of the disable gate: max(min_wait, zone TTL during the
 * cutover) */
static unsigned long
disable_wait(const struct engine *e, const struct dom *d)
{
	unsigned long ttl = e->cc->lowered_ttl, old_ttl = 0;

	if (dom_ulong(d, JK_PREPARE_OLD_TTL, &old_ttl) && old_ttl < ttl)
		ttl = old_ttl;
	return e->cc->min_wait > ttl ? e->cc->min_wait : ttl;
}

unsigned long
gate_quiet_window(const struct engine *e, const struct dom *d)
{
	return e->cc->quiet_window ? e->cc->quiet_window : disable_wait(e, d);
}

int
gate_usage_live(const struct engine *e, const struct dom *d,
    const char **why)
{
	const char *w;
	int live;

	switch (e->cc->usage_signal) {
	case USAGE_LIVE:
		live = 1;
		w = "usage_signal = live: mailbox usage is taken as computed "
		    "on request";
		break;
	case USAGE_DAILY:
		live = 0;
		w = "usage_signal = daily: mailbox usage may be the daily "
		    "statistics' figure";
		break;
	default:
		live = dom_time(d, JK_QUIET_LIVE) != 0;
		w = live ? "mailbox usage changed in two readings within 12 h: "
		    "fresh" : "mailbox usage not seen changing twice within "
		    "12 h yet: it may be the daily statistics' figure";
		break;
	}
	if (why != NULL)
		*why = w;
	return live;
}

/*
 * Disable gate (runbook 2 -> 3), two parts. The time gate counts from
 * the moment every authoritative server served the new records
 * (sync.done), not from the panel change, so that a lagging secondary
 * does not shorten the wait: sync.done + max(min_wait, zone TTL during
 * the cutover). The quiet gate: the old server has received nothing new
 * for the domain for quiet_window, counted from sync.done or from the
 * last reading of the mailbox usage that showed a change (quiet.growth,
 * mailbox.h), whichever is later. A reading is the only proof of quiet:
 * the gate opens at the first reading at or after that time which shows
 * no change. quiet_max after sync.done ends the wait (capped).
 */
void
gate_quiet_view(const struct engine *e, const struct dom *d,
    struct quiet_view *v)
{
	time_t synced = dom_time(d, JK_SYNC_DONE), from, quiet;
	const char *om = dom_get(d, JK_ORIG_MAIL);

	memset(v, 0, sizeof(*v));
	v->live = gate_usage_live(e, d, &v->why);
	v->window = gate_quiet_window(e, d);
	v->last_growth = dom_time(d, JK_QUIET_GROWTH);
	v->last_reading = dom_time(d, JK_QUIET_READ_AT);
	v->capped = dom_time(d, JK_QUIET_CAPPED);
	if (synced == 0 || dom_time(d, JK_DISABLE_DONE) || !dom_mail_ours(d) ||
	    (om != NULL && strcmp(om, "on") != 0))
		return;		/* QUIET_NONE: nothing to disable */
	v->time_at = synced + (time_t)disable_wait(e, d);
	v->cap_at = synced + (time_t)e->cc->quiet_max;
	if (!e->cc->quiet_gate) {
		v->state = QUIET_OFF;
		v->opens_at = v->time_at;
		return;
	}
	from = v->last_growth > synced ? v->last_growth : synced;
	quiet = from + (time_t)v->window;
	v->opens_at = quiet > v->time_at ? quiet : v->time_at;
	if (e->now < v->time_at && v->opens_at == v->time_at)
		v->state = QUIET_TIME;
	else if (e->now >= v->opens_at && v->last_reading >= quiet)
		v->state = QUIET_OPEN;	/* a reading at or after quiet */
	else if (e->now >= v->cap_at && v->opens_at > v->cap_at)
		v->state = QUIET_CAPPED;
	else if (v->last_growth > synced && e->now < v->opens_at)
		v->state = QUIET_RECEIVING;
	else
		v->state = QUIET_WAIT;
}

const char *
quiet_state_name(enum quiet_state s)
{
	static const char *const names[] = { "none", "off", "time",
	    "receiving", "quiet", "capped", "open" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] :
	    "?";
}

time_t
gate_disable(const struct engine *e, const struct dom *d)
{
	struct quiet_view v;

	if (dom_time(d, JK_SYNC_DONE) == 0)
		return (time_t)-1;
	gate_quiet_view(e, d, &v);
	if (v.state == QUIET_CAPPED)
		return (time_t)-1;	/* the operator's confirmation */
	if (v.state == QUIET_NONE)
		return dom_time(d, JK_SYNC_DONE) + (time_t)disable_wait(e, d);
	return v.opens_at > v.cap_at && v.cap_at > e->now ? v.cap_at :
	    v.opens_at;
}

/* "14:02 UTC" (with the date when it is not the clock's day) */
static void
hhmm(const struct engine *e, time_t t, char *buf, size_t n)
{
	struct tm tm, now;

	gmtime_r(&t, &tm);
	gmtime_r(&e->now, &now);
	if (tm.tm_yday == now.tm_yday && tm.tm_year == now.tm_year)
		strftime(buf, n, "%H:%M UTC", &tm);
	else
		strftime(buf, n, "%Y-%m-%d %H:%M UTC", &tm);
}

void
gate_quiet_say(const struct engine *e, const struct quiet_view *v,
    char *buf, size_t n)
{
	char g[32], o[32], left[32];

	hhmm(e, v->last_growth, g, sizeof(g));
	hhmm(e, v->opens_at, o, sizeof(o));
	gate_human(gate_left(e, v->opens_at), left, sizeof(left));
	switch (v->state) {
	case QUIET_RECEIVING:
		snprintf(buf, n, "old server still receiving mail: last growth "
		    "at %s, gate opens at %s (in %s)%s", g, o, left, v->live ?
		    "" : "; mailbox usage not known to be fresh, so the wait "
		    "is time-based as well");
		break;
	case QUIET_WAIT:
		if (v->live)
			snprintf(buf, n, "old server quiet (mailbox usage "
			    "unchanged): gate opens at %s (in %s) if it stays "
			    "quiet", o, left);
		else
			snprintf(buf, n, "time-based quiet window (%s): gate "
			    "opens at %s (in %s)", v->why, o, left);
		break;
	case QUIET_CAPPED:
		snprintf(buf, n, "OLD SERVER STILL RECEIVING MAIL after "
		    "quiet_max (%lu s; last growth at %s): disabling it now "
		    "bounces mail from senders with a stale cache; confirm "
		    "with `mailcutover disable-old-mail --force` or on the "
		    "checklist page", e->cc->quiet_max, g);
		break;
	case QUIET_OPEN:
		snprintf(buf, n, "old server quiet since %s: old mail may be "
		    "disabled", v->last_growth ? g : "the sync");
		break;
	default:
		snprintf(buf, n, "mail gate: senders may still use the old "
		    "address until %s (in %s)", o, left);
		break;
	}
}

int
gate_quiet(const struct engine *e)
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

long
gate_left(const struct engine *e, time_t at)
{
	return at > e->now ? (long)(at - e->now) : 0;
}

void
gate_human(long s, char *buf, size_t n)
{
	if (s >= 3600)
		snprintf(buf, n, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
	else if (s >= 60)
		snprintf(buf, n, "%ldm%02lds", s / 60, s % 60);
	else
		snprintf(buf, n, "%lds", s);
}
