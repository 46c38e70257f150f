/* gate.c -- the time gates of the runbook, from the journal's marks. */
#include <stdio.h>

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

/*
 * Disable gate (runbook 2 -> 3): counted from the moment every
 * authoritative server served the new records (sync.done), not from the
 * panel change, so that a lagging secondary does not shorten the wait:
 * gate = sync.done + max(min_wait, zone TTL during the cutover).
 */
time_t
gate_disable(const struct engine *e, const struct dom *d)
{
	time_t synced = dom_time(d, JK_SYNC_DONE);
	unsigned long ttl = e->cc->lowered_ttl, old_ttl = 0, wait;

	if (synced == 0)
		return (time_t)-1;
	if (dom_ulong(d, JK_PREPARE_OLD_TTL, &old_ttl) && old_ttl < ttl)
		ttl = old_ttl;
	wait = e->cc->min_wait > ttl ? e->cc->min_wait : ttl;
	return synced + (time_t)wait;
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
