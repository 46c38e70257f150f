/* plan.c -- preflight: the exact diff, blockers and warnings; changes
 * nothing, not even the journal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine.h"
#include "host.h"
#include "panel.h"
#include "valid.h"

#define MAX_AT 16

static int
is_label(const struct engine *e, const char *rel)
{
	size_t i;

	for (i = 0; i < e->cc->nrecords; i++)
		if (strcmp(rel, e->cc->records[i]) == 0)
			return 1;
	return 0;
}

/* hosting IP of the domain on the target panel, if one is configured */
static void
target_ips(struct engine *e, char (*out)[64])
{
	struct mc_err err = { 0 };
	struct site_ref *refs;
	const char **names;
	size_t i, n = 0;

	if (!e->conf->target.present || e->new_ip || e->cc->new_ip)
		return;
	if (e->tgt == NULL && panel_open(&e->conf->target, &e->tgt, &err)) {
		fprintf(stderr, "mailcutover: %s\n", err.msg);
		return;
	}
	refs = calloc(e->n + 1, sizeof(*refs));
	names = calloc(e->n + 1, sizeof(*names));
	if (refs == NULL || names == NULL)
		goto out;
	for (i = 0; i < e->n; i++)
		names[n++] = e->doms[i].name;
	plesk_resolve(e->tgt, names, n, refs, &err);
	for (i = 0; i < n; i++)
		if (refs[i].result == MC_OK && refs[i].ip[0])
			snprintf(out[i], 64, "%s", refs[i].ip);
out:
	free(refs);
	free(names);
}

/* SPF: which ip4:/ip6: literals a TXT value lists */
static int
spf_lists(const char *spf, const char *ip)
{
	char pat[80];
	const char *p;
	size_t n;

	snprintf(pat, sizeof(pat), "%s:%s", valid_ipv6(ip) ? "ip6" : "ip4",
	    ip);
	n = strlen(pat);
	for (p = spf; (p = strstr(p, pat)) != NULL; p += n)
		if ((p == spf || p[-1] == ' ' || p[-1] == '+') &&
		    (p[n] == '\0' || p[n] == ' ' || p[n] == '/'))
			return 1;
	return 0;
}

static void
plan_one(struct engine *e, struct dom *d, const char *target_ip)
{
	const struct dns_record *at[MAX_AT];
	const char *new_ip, *old_ip = e->old_ip;
	char rel[256], mx[256];
	size_t i, k, n, to_switch = 0, done = 0;
	int blocked = 0;

	new_ip = e->new_ip ? e->new_ip : e->cc->new_ip ? e->cc->new_ip :
	    (target_ip[0] ? target_ip : NULL);
	if (new_ip == NULL) {
		dom_note(d, NOTE_BLOCK, "no new IP: give --new-ip, set new_ip "
		    "in [cutover], or configure [target] (the new panel)");
		blocked = 1;
		new_ip = "?";
	}
	for (i = 0; old_ip == NULL && i < e->cc->nrecords; i++) {
		n = dom_records_at(d, e->cc->records[i], at, MAX_AT);
		for (k = 0; k < n && old_ip == NULL; k++)
			if (strcmp(at[k]->value, new_ip) != 0)
				old_ip = at[k]->value;
	}
	dom_note(d, NOTE_INFO, "%s %lu on the source panel; zone %s is %s, %s",
	    dom_get(d, "kind") ? dom_get(d, "kind") : "site", d->site_id,
	    d->zone, d->zone_enabled == 1 ? "enabled" : "disabled",
	    d->zone_master ? "master" : "slave");
	for (i = 0; i < e->cc->nrecords; i++) {
		const char *l = e->cc->records[i];
		n = dom_records_at(d, l, at, MAX_AT);
		if (n == 0) {
			dom_note(d, NOTE_WARN, "%s.%s has no A record; it will "
			    "not be switched", l, d->zone);
			continue;
		}
		for (k = 0; k < n; k++) {
			if (old_ip != NULL && !strcmp(at[k]->value, old_ip)) {
				dom_note(d, NOTE_DIFF, "%s.%s A %s -> %s", l,
				    d->zone, old_ip, new_ip);
				to_switch++;
			} else if (!strcmp(at[k]->value, new_ip)) {
				dom_note(d, NOTE_INFO, "%s.%s A %s: already "
				    "switched", l, d->zone, new_ip);
				done++;
			} else
				dom_note(d, NOTE_WARN, "%s.%s A %s is not the "
				    "old IP %s: left alone", l, d->zone,
				    at[k]->value, old_ip ? old_ip : "?");
		}
	}
	if (d->soa.ttl > e->cc->lowered_ttl)
		dom_note(d, NOTE_DIFF, "zone TTL %lu -> %lu (switch possible "
		    "%lu s after every name server serves it; restored to %lu "
		    "at the end)", d->soa.ttl, e->cc->lowered_ttl, d->soa.ttl,
		    e->cc->restored_ttl);
	else
		dom_note(d, NOTE_INFO, "zone TTL %lu is already at or below "
		    "%lu: no change, no wait", d->soa.ttl, e->cc->lowered_ttl);
	dom_note(d, NOTE_INFO, "mail on the old server: %s%s",
	    d->mailservice == 0 ? "off" : "on", d->mailservice == 0 ?
	    " (step 3 has nothing to do)" : " (disabled at step 3)");
	/* what else points at the old IP; MX; SPF */
	for (i = 0; old_ip != NULL && i < d->nrecs; i++) {
		const struct dns_record *r = &d->recs[i];
		if (!host_relative(r->host, d->zone, rel, sizeof(rel)))
			snprintf(rel, sizeof(rel), "%s", r->host);
		if ((!strcasecmp(r->type, "A") || !strcasecmp(r->type, "AAAA"))
		    && !strcmp(r->value, old_ip) && !is_label(e, rel))
			dom_note(d, NOTE_WARN, "%s%s%s %s %s also points at the "
			    "old IP and is not switched", rel, rel[0] ? "." :
			    "", d->zone, r->type, old_ip);
		if (!strcasecmp(r->type, "CNAME")) {
			char trel[256];
			const struct dns_record *t[MAX_AT];
			if (host_relative(r->value, d->zone, trel,
			    sizeof(trel)) && !is_label(e, trel)) {
				size_t m = dom_records_at(d, trel, t, MAX_AT), q;
				for (q = 0; q < m; q++)
					if (!strcmp(t[q]->value, old_ip))
						dom_note(d, NOTE_WARN, "%s.%s "
						    "CNAME %s leads to the old "
						    "IP", rel, d->zone,
						    r->value);
			}
		}
		if (!strcasecmp(r->type, "MX")) {
			host_norm(r->value, mx, sizeof(mx));
			if (!host_relative(mx, d->zone, rel, sizeof(rel)) ||
			    !is_label(e, rel))
				dom_note(d, NOTE_WARN, "MX %s %s is not one of "
				    "the switched names: inbound mail does not "
				    "follow the switch", r->opt, r->value);
		}
		if (!strcasecmp(r->type, "TXT") &&
		    !strncasecmp(r->value, "v=spf1", 6) &&
		    spf_lists(r->value, old_ip) && !spf_lists(r->value, new_ip))
			dom_note(d, NOTE_WARN, "SPF \"%s\" lists ip%c:%s but not "
			    "the new IP %s: mail sent from the new server may "
			    "fail SPF; add it before the switch", r->value,
			    valid_ipv6(old_ip) ? '6' : '4', old_ip, new_ip);
	}
	if (old_ip == NULL && done == 0) {
		dom_note(d, NOTE_BLOCK, "no A record for %s.%s (or the other "
		    "configured names): nothing to switch",
		    e->cc->records[0], d->zone);
		blocked = 1;
	}
	if (d->zone_enabled != 1)
		dom_note(d, NOTE_WARN, "the zone is disabled on the source "
		    "panel: manual DNS mode");
	if (blocked) {
		dom_fail(d, "blocked (see the notes); nothing was changed");
		return;
	}
	if (to_switch == 0)
		dom_done(d, "already switched: nothing to change");
	else
		dom_done(d, "%zu record%s to switch from %s to %s", to_switch,
		    to_switch == 1 ? "" : "s", old_ip, new_ip);
	snprintf(d->next, sizeof(d->next), "prepare");
}

void
step_plan(struct engine *e)
{
	struct dom **ds;
	char (*tips)[64];
	size_t i, s, n = 0;

	if (!engine_read(e))
		return;
	tips = calloc(e->n + 1, sizeof(*tips));
	ds = calloc(e->n + 1, sizeof(*ds));
	if (tips == NULL || ds == NULL)
		goto out;
	target_ips(e, tips);
	for (i = 0; i < e->n; i++) {
		struct dom *d = &e->doms[i];
		if (d->skip || d->res == DR_FAILED)
			continue;
		if (dom_get(d, "kind") == NULL)
			journal_set(d->j, "kind", "site", NULL);
		plan_one(e, d, tips[i]);
		if (d->res != DR_FAILED)
			ds[n++] = d;
	}
	/* the name servers as they answer now, and who is primary */
	if (n > 0 && authdns_servers(e, ds, n)) {
		authdns_check(e, ds, n, EXPECT_SERIAL);
		for (i = 0; i < n; i++) {
			struct dom *d = ds[i];
			if (d->res == DR_FAILED)
				continue;
			for (s = 0; s < d->nsrv; s++)
				dom_note(d, NOTE_INFO, "%s name server %s (%s): "
				    "%s; refresh by %s", d->srv[s].primary ?
				    "primary" : "secondary", d->srv[s].name,
				    d->srv[s].addr, d->srv[s].seen,
				    d->srv[s].primary ? "-" : d->srv[s].sc ?
				    refresh_method_name(d->srv[s].sc->method) :
				    "notify");
			dom_note(d, NOTE_INFO, "%s", d->zone_enabled == 1 &&
			    d->zone_master ? "primary DNS is this panel: the "
			    "helper changes the records" : "primary DNS is "
			    "elsewhere (manual DNS mode): the helper shows the "
			    "changes and checks them by DNS");
		}
	}
out:
	/* plan writes nothing: drop what reading put in memory */
	free(tips);
	free(ds);
}
