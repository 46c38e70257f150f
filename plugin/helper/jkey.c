/* jkey.c -- the names of the journal's keys. */
#include <stdio.h>

#include "jkey.h"

static const struct {
	const char	*name;
	int		 progress;	/* removed by a finished rollback */
} keys[JK__MAX] = {
	[JK_SITE_ID] = { "site_id", 0 },
	[JK_ALIAS] = { "alias", 0 },
	[JK_ZONE] = { "zone", 0 },
	[JK_KIND] = { "kind", 0 },
	[JK_DISPLAY] = { "display", 0 },
	[JK_MODE] = { "mode", 0 },
	[JK_OLD_IP] = { "old_ip", 0 },
	[JK_OLD_IPS] = { "old_ips", 0 },
	[JK_NEW_IP] = { "new_ip", 0 },
	[JK_NEW_IP6] = { "new_ip6", 0 },
	[JK_DROP_AAAA] = { "drop_aaaa", 0 },
	[JK_NAMES] = { "names", 0 },
	[JK_ORIG_TTL] = { "orig.ttl", 0 },
	[JK_ORIG_SOA] = { "orig.soa", 0 },
	[JK_ORIG_MAIL] = { "orig.mail", 0 },
	[JK_ORIG_COUNT] = { "orig.count", 0 },
	[JK_PREPARE_INTENT] = { "prepare.intent", 1 },
	[JK_PREPARE_DONE] = { "prepare.done", 1 },
	[JK_PREPARE_CONFIRMED] = { "prepare.confirmed", 1 },
	[JK_PREPARE_OLD_TTL] = { "prepare.old_ttl", 1 },
	[JK_SWITCH_INTENT] = { "switch.intent", 1 },
	[JK_SWITCH_DONE] = { "switch.done", 1 },
	[JK_SWITCH_FORCED] = { "switch.forced", 1 },
	[JK_SYNC_DONE] = { "sync.done", 1 },
	[JK_SYNC_SERIAL] = { "sync.serial", 1 },
	[JK_DISABLE_INTENT] = { "disable.intent", 1 },
	[JK_DISABLE_DONE] = { "disable.done", 1 },
	[JK_DISABLE_FORCED] = { "disable.forced", 1 },
	[JK_VERIFY_DONE] = { "verify.done", 1 },
	[JK_FINISH_DONE] = { "finish.done", 1 },
	[JK_REGISTRAR_DONE] = { "registrar.done", 1 },
	[JK_REGISTRAR_HOW] = { "registrar.how", 1 },
	[JK_PARENT_CHECKED] = { "parent.checked", 1 },
	[JK_PARENT_RESULT] = { "parent.result", 1 },
	[JK_PARENT_ZONE] = { "parent.zone", 1 },
	[JK_PARENT_WANT] = { "parent.want", 1 },
	[JK_PARENT_SEEN] = { "parent.seen", 1 },
	[JK_PARENT_NOTE] = { "parent.note", 1 },
	[JK_ROLLBACK_INTENT] = { "rollback.intent", 0 },
	[JK_ROLLBACK_DONE] = { "rollback.done", 0 },
	[JK_RESIDUAL_BASE] = { "residual.base", 0 },
	[JK_RESIDUAL_REPORT] = { "residual.report", 0 },
	[JK_QUIET_READING] = { "quiet.reading", 1 },
	[JK_QUIET_READ_AT] = { "quiet.read_at", 1 },
	[JK_QUIET_GROWTH] = { "quiet.growth", 1 },
	[JK_QUIET_CHANGE_FROM] = { "quiet.change_from", 1 },
	[JK_QUIET_LIVE] = { "quiet.live", 1 },
	[JK_QUIET_CAPPED] = { "quiet.capped", 1 },
};

const char *
jkey_name(enum jkey k)
{
	return (unsigned)k < JK__MAX ? keys[k].name : NULL;
}

int
jkey_progress(enum jkey k)
{
	return (unsigned)k < JK__MAX && keys[k].progress;
}

void
jkey_rec(size_t n, char *buf, size_t sz)
{
	snprintf(buf, sz, "orig.rec.%zu", n);
}

void
jkey_pend(size_t n, char *buf, size_t sz)
{
	snprintf(buf, sz, "pend.%zu", n);
}
