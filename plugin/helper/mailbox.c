/* mailbox.c -- mailbox usage on the old server (mail get_info) and the
 * residual mail report. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "change.h"
#include "dom.h"
#include "engine.h"
#include "gate.h"
#include "journal.h"
#include "mailbox.h"
#include "valid.h"

/*
 * Read the mailbox usage (bytes) of every mail name of each domain on the
 * source panel, one get_info per domain, all in one batch. out[i] gets
 * "name=bytes name=bytes" (malloc'd) or NULL when it could not be read.
 */
static void
usage_read(struct engine *e, struct dom **ds, size_t n, char **out)
{
	struct batch *b = NULL;
	struct dom **own = NULL;
	size_t i, k, m, len;
	char *buf;
	FILE *f;

	if (n == 0 || (b = batch_new()) == NULL ||
	    (own = change_owners(n)) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		out[i] = NULL;
		if (!dom_active(ds[i]) || ds[i]->site_id == 0 ||
		    !dom_mail_ours(ds[i]))
			continue;
		own[b->n] = ds[i];
		if (change_mail(b, ds[i], OP_MAIL_GET_INFO) == NULL)
			goto out;
	}
	change_send(e, b, own);
	for (k = 0; k < b->n; k++) {
		struct op *o = b->ops[k];
		if (o->result != MC_OK)
			continue;
		/* every mailbox, however many: a cut list would hide the
		   residual mail of the ones cut off */
		buf = NULL;
		if ((f = open_memstream(&buf, &len)) == NULL)
			continue;
		for (m = 0; m < o->nstrs; m++)
			fprintf(f, "%s%s=%lu", m ? " " : "", o->strs[m],
			    o->usage ? o->usage[m] : 0UL);
		if (fclose(f) != 0) {
			free(buf);
			continue;
		}
		for (i = 0; i < n; i++)
			if (ds[i] == own[k] && out[i] == NULL)
				out[i] = strdup(buf);
		free(buf);
	}
out:
	batch_free(b);
	free(own);
}

/* the bytes after "name=" at p, up to a space; 0 when not a number */
static unsigned long
bytes_at(const char *p)
{
	char num[24];
	unsigned long v;
	size_t len = strcspn(p, " ");

	if (len == 0 || len >= sizeof(num))
		return 0;
	memcpy(num, p, len);
	num[len] = '\0';
	return parse_ulong(num, 0, ULONG_MAX, &v) ? v : 0;
}

/* name's bytes in a "name=bytes ..." list; *found 0 when not there */
static unsigned long
usage_of(const char *list, const char *name, int *found)
{
	size_t nl = strlen(name);
	const char *p;

	*found = 0;
	for (p = list; p != NULL && *p != '\0'; ) {
		if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
			*found = 1;
			return bytes_at(p + nl + 1);
		}
		p = strchr(p, ' ');
		if (p != NULL)
			p++;
	}
	return 0;
}

/* the mailboxes of a "name=bytes name=bytes" list */
static size_t
entries(const char *list)
{
	size_t k = *list != '\0';

	for (; (list = strchr(list, ' ')) != NULL; list++)
		k++;
	return k;
}

/*
 * Whether a list of the sizes of k mailboxes fits in a journal value; if
 * not, d says so (what for, how many, the limit) and goes on without it:
 * the switch is done whether or not its base can be kept.
 */
static int
fits(struct dom *d, const char *what, const char *list, size_t k)
{
	size_t len = strlen(list);

	if (len <= JOURNAL_VALUE_MAX)
		return 1;
	dom_note(d, NOTE_WARN, "residual mail: the sizes of %zu mailboxes "
	    "(%zu bytes) are more than a journal value holds (%d bytes): %s",
	    k, len, JOURNAL_VALUE_MAX, what);
	return 0;
}

void
mailbox_base(struct engine *e, struct dom **ds, size_t n)
{
	char **base = calloc(n + 1, sizeof(char *));
	size_t i;

	if (base == NULL)
		return;
	usage_read(e, ds, n, base);
	for (i = 0; i < n; i++) {
		if (base[i] == NULL)
			;
		else if (fits(ds[i], "not kept at the switch; copy every "
		    "mailbox that may have received mail after it", base[i],
		    entries(base[i]))) {
			/* a new base: a report from an earlier switch is
			   no longer about it */
			if (dom_set(ds[i], JK_RESIDUAL_BASE, base[i])) {
				dom_unset(ds[i], JK_RESIDUAL_REPORT);
				dom_save(e, ds[i]);
			}
		} else {
			/* none (not an earlier one): verify can only say it
			   could not see */
			dom_unset(ds[i], JK_RESIDUAL_BASE);
			if (dom_set(ds[i], JK_RESIDUAL_REPORT, "unknown"))
				dom_save(e, ds[i]);
		}
		free(base[i]);
	}
	free(base);
}

/* two changes this close together (counted from the reading before the
 * first) cannot both come from a once-a-day statistics run */
#define LIVE_SPAN	(12 * 3600)

/* one reading of d: a change against the previous one is growth; 0 when
 * it cannot be kept (the gate then goes by time) */
static int
poll_one(struct engine *e, struct dom *d, const char *now)
{
	const char *prev = dom_get(d, JK_QUIET_READING);
	time_t before = dom_time(d, JK_QUIET_READ_AT), from;

	if (!fits(d, "the quiet gate cannot compare them", now, entries(now)))
		return 0;
	if (prev == NULL) {
		prev = dom_get(d, JK_RESIDUAL_BASE);
		before = dom_time(d, JK_SWITCH_DONE);
	}
	if (prev != NULL && strcmp(prev, now) != 0) {
		from = dom_time(d, JK_QUIET_CHANGE_FROM);
		engine_tick(e);
		if (dom_time(d, JK_QUIET_GROWTH) && from > 0 &&
		    e->now - from <= LIVE_SPAN && !dom_time(d, JK_QUIET_LIVE))
			dom_stamp(e, d, JK_QUIET_LIVE);
		dom_setf(d, JK_QUIET_CHANGE_FROM, "%lld", (long long)before);
		dom_stamp(e, d, JK_QUIET_GROWTH);
	}
	dom_set(d, JK_QUIET_READING, now);
	dom_stamp(e, d, JK_QUIET_READ_AT);
	dom_save(e, d);
	return 1;
}

void
mailbox_poll(struct engine *e, struct dom **ds, size_t n, int *ok)
{
	char **now = calloc(n + 1, sizeof(char *));
	size_t i;

	for (i = 0; i < n; i++)
		ok[i] = 0;
	if (now == NULL)
		return;
	usage_read(e, ds, n, now);
	for (i = 0; i < n; i++) {
		if (now[i] != NULL && dom_active(ds[i]))
			ok[i] = poll_one(e, ds[i], now[i]) &&
			    dom_active(ds[i]);
		free(now[i]);
	}
	free(now);
}

/*
 * "a@zone +N bytes, b@zone +M bytes" of the mailboxes that grew, however
 * many (malloc'd; NULL when out of memory): the list is journaled and the
 * copy commands are read back from it, so a cut list would drop a mailbox
 * whose mail then stays on the old server.
 */
static char *
grown(const struct dom *d, const char *base, const char *now, size_t *grew)
{
	const char *p;
	char *name, *report = NULL;
	size_t len, rlen;
	unsigned long after, before;
	int found, whole = 1;
	FILE *f;

	*grew = 0;
	if ((f = open_memstream(&report, &rlen)) == NULL)
		return NULL;
	for (p = now; *p != '\0'; ) {
		len = strcspn(p, "=");
		if ((name = strndup(p, len)) == NULL) {
			whole = 0;
			break;
		}
		after = p[len] == '=' ? bytes_at(p + len + 1) : 0;
		before = usage_of(base, name, &found);
		if (after > before)
			fprintf(f, "%s%s@%s +%lu bytes", (*grew)++ ? ", " : "",
			    name, d->zone, after - before);
		free(name);
		if ((p = strchr(p, ' ')) == NULL)
			break;
		p++;
	}
	if (fclose(f) != 0 || !whole) {
		/* out of memory part way: not a list that looks whole */
		free(report);
		return NULL;
	}
	return report;
}

/* the verdict of one domain: what grew, none, or could not be seen */
static void
residual_one(struct engine *e, struct dom *d, const char *base,
    const char *now)
{
	char *report;
	const char *why;
	size_t grew;
	int live = gate_usage_live(e, d, &why);

	if ((report = grown(d, base, now, &grew)) == NULL) {
		dom_note(d, NOTE_WARN, "residual mail not checked: out of "
		    "memory");
		return;
	}
	if (grew) {
		dom_note(d, NOTE_WARN, "residual mail: %zu mailbox%s on the old "
		    "server grew after the switch: %s; copy them to the new "
		    "server (imapsync, or Plesk Migrator's copy-mail-content)"
		    "%s", grew, grew == 1 ? "" : "es", report, live ? "" :
		    " (mailbox usage may not be fresh: more may have arrived)");
		/* too many to keep: offer every mailbox of the switch */
		dom_set(d, JK_RESIDUAL_REPORT, fits(d, "the ones that grew are "
		    "not kept; every mailbox is offered for copying", report,
		    grew) ? report : "unknown");
	} else if (live) {
		dom_note(d, NOTE_CHECK, "residual mail: no mailbox on the old "
		    "server grew after the switch (mailbox usage, fresh)");
		dom_set(d, JK_RESIDUAL_REPORT, "none");
	} else {
		dom_note(d, NOTE_WARN, "residual mail could not be seen: %s; "
		    "no mailbox grew as far as that figure shows, which proves "
		    "nothing: copy every old mailbox that may have received "
		    "mail after the switch (the commands are on the checklist)",
		    why);
		dom_set(d, JK_RESIDUAL_REPORT, "unknown");
	}
	free(report);
	mailbox_copy_notes(d);
}

void
mailbox_residual(struct engine *e, struct dom **ds, size_t n)
{
	char **now = calloc(n + 1, sizeof(char *));
	size_t i;

	if (now == NULL)
		return;
	usage_read(e, ds, n, now);
	for (i = 0; i < n; i++) {
		struct dom *d = ds[i];
		const char *base = dom_get(d, JK_RESIDUAL_BASE);
		/* without a base (not kept: step_verify says so) or a
		   reading there is nothing to compare */
		if (!dom_active(d) || now[i] == NULL || base == NULL) {
			free(now[i]);
			continue;
		}
		residual_one(e, d, base, now[i]);
		dom_save(e, d);
		free(now[i]);
	}
	free(now);
}

/* v as one shell word: bare when it is plain, else in single quotes
 * (n >= 8) */
static void
shell_word(const char *v, char *out, size_t n)
{
	size_t used = 0;

	if (*v != '\0' && strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789@._+-:") == strlen(v)) {
		snprintf(out, n, "%s", v);
		return;
	}
	out[used++] = '\'';
	for (; *v != '\0' && used + 6 < n; v++) {
		if (*v == '\'') {
			memcpy(out + used, "'\\''", 4);
			used += 4;
		} else
			out[used++] = *v;
	}
	out[used++] = '\'';
	out[used] = '\0';
}

int
mailbox_copy_next(const struct dom *d, const char **pos,
    struct mailbox_copy *out)
{
	const char *rep = dom_get(d, JK_RESIDUAL_REPORT);
	const char *base = dom_get(d, JK_RESIDUAL_BASE);
	const char *oldip = dom_get(d, JK_OLD_IP), *newip = dom_get(d,
	    JK_NEW_IP), *p;
	const char *zone = d->zone[0] ? d->zone : dom_get(d, JK_ZONE) ?
	    dom_get(d, JK_ZONE) : d->name;
	char addr[320], host2[300], w1[700], w2[330], w3[330];
	size_t len;
	int unknown;

	if (rep == NULL || !strcmp(rep, "none") || oldip == NULL)
		return 0;
	/* unknown: every mailbox of the switch; else the ones that grew */
	unknown = !strcmp(rep, "unknown");
	p = *pos != NULL ? *pos : unknown ? base : rep;
	if (p == NULL || *p == '\0')
		return 0;
	out->grew = 0;
	if (unknown) {
		len = strcspn(p, "=");
		snprintf(addr, sizeof(addr), "%.*s@%s", (int)len, p, zone);
		p = strchr(p, ' ');
	} else {
		len = strcspn(p, " ");
		snprintf(addr, sizeof(addr), "%.*s", (int)len, p);
		if (p[len] == ' ' && p[len + 1] == '+')
			out->grew = strtoul(p + len + 2, NULL, 10);
		p = strstr(p, ", ");
	}
	*pos = p == NULL ? "" : p + (*p == ',' ? 2 : 1);
	snprintf(host2, sizeof(host2), "%s%s", newip && *newip ? "" : "mail.",
	    newip && *newip ? newip : zone);
	shell_word(addr, w1, sizeof(w1));
	shell_word(oldip, w2, sizeof(w2));
	shell_word(host2, w3, sizeof(w3));
	snprintf(out->address, sizeof(out->address), "%s", addr);
	snprintf(out->command, sizeof(out->command), "imapsync --host1 %s "
	    "--ssl1 --user1 %s --password1 'PASSWORD-ON-OLD' --host2 %s "
	    "--ssl2 --user2 %s --password2 'PASSWORD-ON-NEW'", w2, w1, w3, w1);
	return 1;
}

void
mailbox_copy_notes(struct dom *d)
{
	struct mailbox_copy c;
	const char *pos = NULL;

	while (mailbox_copy_next(d, &pos, &c))
		dom_note(d, NOTE_INFO, "copy %s: %s", c.address, c.command);
}
