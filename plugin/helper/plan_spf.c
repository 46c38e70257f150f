/* plan_spf.c -- the SPF evaluator (spf.h) applied to the new IP, before
 * and after the switch. */
#include <stdio.h>
#include <string.h>

#include "dom.h"
#include "engine.h"
#include "plan_spf.h"
#include "spf.h"
#include "valid.h"

void
plan_spf(const struct engine *e, const struct dnsask *c, struct dom *d,
    const char *new_ip)
{
	char fq[CONFIG_MAX_RECORDS][320];
	const char *switched[CONFIG_MAX_RECORDS];
	struct spf now, after;
	enum spf_res rn, ra;
	struct note nt = { 0 };
	size_t k;

	for (k = 0; k < e->cc->nrecords && k < CONFIG_MAX_RECORDS; k++) {
		snprintf(fq[k], sizeof(fq[k]), "%s.%s", e->cc->records[k],
		    d->zone);
		switched[k] = fq[k];
	}
	memset(&now, 0, sizeof(now));
	now.c = c;
	now.ip = new_ip;
	after = now;
	after.names = switched;
	after.nnames = k;
	after.as = new_ip;
	rn = spf_check(&now, d->zone);
	ra = spf_check(&after, d->zone);
	if (rn == SPF_NONE) {
		dom_note(d, NOTE_WARN, "SPF: %s publishes no SPF record: "
		    "receivers cannot tell the new server %s from a forger",
		    d->zone, new_ip);
		return;
	}
	if (rn == SPF_PASS || ra == SPF_PASS)
		/* the literal check of plan's notes is moot then */
		while (dom_note_next(d, &nt))
			if (nt.kind == NOTE_WARN && !strncmp(nt.text, "SPF \"", 5))
				dom_note_kind_set(d, &nt, NOTE_INFO);
	if (rn == SPF_PASS)
		dom_note(d, NOTE_CHECK, "SPF: the new IP %s passes \"%s\" "
		    "already (matched by %s)", new_ip, now.record, now.match);
	else if (ra == SPF_PASS)
		dom_note(d, NOTE_CHECK, "SPF: the new IP %s passes \"%s\" once "
		    "the switch is live (matched by %s through the switched "
		    "names); until then, and for receivers with a stale cache, "
		    "it gets %s: add ip%c:%s to be safe", new_ip, after.record,
		    after.match, spf_res_name(rn), valid_ipv6(new_ip) ? '6' :
		    '4', new_ip);
	else
		dom_note(d, NOTE_WARN, "SPF: the new IP %s would get %s from "
		    "\"%s\"%s%s%s: mail the new server sends may be refused; "
		    "add ip%c:%s before the switch", new_ip, spf_res_name(ra),
		    after.record, after.why[0] || after.match[0] ? " (" : "",
		    after.why[0] ? after.why : after.match[0] ? after.match :
		    "", after.why[0] || after.match[0] ? ")" : "",
		    valid_ipv6(new_ip) ? '6' : '4', new_ip);
}
