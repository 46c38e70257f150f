/* mailbox.c -- mailbox usage on the old server (mail get_info) and the
 * residual mail report. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "change.h"
#include "dom.h"
#include "engine.h"
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

void
mailbox_base(struct engine *e, struct dom **ds, size_t n)
{
	char **base = calloc(n + 1, sizeof(char *));
	size_t i;

	if (base == NULL)
		return;
	usage_read(e, ds, n, base);
	for (i = 0; i < n; i++) {
		if (base[i] != NULL && dom_set(ds[i], JK_RESIDUAL_BASE,
		    base[i]))
			dom_save(e, ds[i]);
		free(base[i]);
	}
	free(base);
}

/* "a@zone +N bytes, b@zone +M bytes" of the mailboxes that grew */
static size_t
grown(const struct dom *d, const char *base, const char *now, char *report,
    size_t sz)
{
	const char *p;
	char name[128];
	size_t used = 0, grew = 0, len;
	unsigned long after, before;
	int found;

	report[0] = '\0';
	for (p = now; *p != '\0'; ) {
		len = strcspn(p, "=");
		snprintf(name, sizeof(name), "%.*s", (int)len, p);
		after = p[len] == '=' ? bytes_at(p + len + 1) : 0;
		before = usage_of(base, name, &found);
		if (after > before && used < sz) {
			used += (size_t)snprintf(report + used, sz - used,
			    "%s%s@%s +%lu bytes", grew ? ", " : "", name,
			    d->zone, after - before);
			grew++;
		}
		if ((p = strchr(p, ' ')) == NULL)
			break;
		p++;
	}
	/* a long list is cut, and says so (the count is whole) */
	if (used >= sz && sz > 12)
		snprintf(report + sz - 12, 12, " ... (cut)");
	return grew;
}

void
mailbox_residual(struct engine *e, struct dom **ds, size_t n)
{
	char **now = calloc(n + 1, sizeof(char *)), report[1024];
	size_t i, grew;

	if (now == NULL)
		return;
	usage_read(e, ds, n, now);
	for (i = 0; i < n; i++) {
		struct dom *d = ds[i];
		const char *base = dom_get(d, JK_RESIDUAL_BASE);
		if (!dom_active(d) || now[i] == NULL || base == NULL) {
			if (dom_active(d) && base == NULL &&
			    dom_time(d, JK_SWITCH_DONE))
				dom_note(d, NOTE_INFO, "residual mail: no "
				    "mailbox sizes were taken at the switch");
			free(now[i]);
			continue;
		}
		if ((grew = grown(d, base, now[i], report, sizeof(report)))) {
			dom_note(d, NOTE_WARN, "residual mail: %zu mailbox%s on "
			    "the old server grew after the switch: %s; copy "
			    "them to the new server (imapsync, or Plesk "
			    "Migrator's copy-mail-content)", grew,
			    grew == 1 ? "" : "es", report);
			dom_set(d, JK_RESIDUAL_REPORT, report);
		} else {
			dom_note(d, NOTE_CHECK, "residual mail: no mailbox on "
			    "the old server grew after the switch");
			dom_set(d, JK_RESIDUAL_REPORT, "none");
		}
		dom_save(e, d);
		free(now[i]);
	}
	free(now);
}
