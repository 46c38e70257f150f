/* plan_parity.c -- the source panel's mail names on the new panel. */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "dom.h"
#include "engine.h"
#include "panel.h"
#include "plan_parity.h"

static int
has_name(const struct op *o, const char *name)
{
	size_t i;

	for (i = 0; o != NULL && i < o->nstrs; i++)
		if (!strcasecmp(o->strs[i], name))
			return 1;
	return 0;
}

/* every domain: "mailbox parity not checked: " and why */
static void
not_checked(struct dom **ds, size_t n, const char *what, const char *why)
{
	size_t i;

	for (i = 0; i < n; i++)
		dom_note(ds[i], NOTE_WARN, "mailbox parity not checked: %s%s",
		    what, why);
}

/* compare one domain's mail names: so on the source, to on the target */
static void
parity_one(struct dom *d, const struct op *so, const struct site_ref *ref,
    const struct op *to)
{
	char missing[300];
	size_t k, nmiss = 0, len = 0;

	if (so->result != MC_OK) {
		dom_note(d, NOTE_WARN, "mailbox parity not checked: the source "
		    "panel's mail get_info failed: %s", so->errtext ?
		    so->errtext : so->msg);
		return;
	}
	if (so->nstrs == 0) {
		dom_note(d, NOTE_CHECK, "mailbox parity: no mail names on the "
		    "source panel: nothing to compare");
		return;
	}
	if (ref->result != MC_OK || to == NULL) {
		dom_note(d, NOTE_BLOCK, "mailbox parity: %s is not on the new "
		    "panel (%s): its %zu mail name%s would have nowhere to go",
		    d->name, ref->msg[0] ? ref->msg : "not found", so->nstrs,
		    so->nstrs == 1 ? "" : "s");
		return;
	}
	if (to->result != MC_OK) {
		dom_note(d, NOTE_WARN, "mailbox parity not checked: the new "
		    "panel's mail get_info failed: %s", to->errtext ?
		    to->errtext : to->msg);
		return;
	}
	missing[0] = '\0';
	for (k = 0; k < so->nstrs; k++) {
		if (has_name(to, so->strs[k]))
			continue;
		nmiss++;
		if (len < sizeof(missing) - 1)
			len += (size_t)snprintf(missing + len,
			    sizeof(missing) - len, "%s%s@%s", nmiss > 1 ?
			    ", " : "", so->strs[k], d->zone);
	}
	if (nmiss > 0)
		dom_note(d, NOTE_BLOCK, "mailbox parity: %zu of %zu mail name%s "
		    "missing on the new panel: %s (create %s there before the "
		    "switch, or their mail bounces)", nmiss, so->nstrs,
		    so->nstrs == 1 ? "" : "s", missing, nmiss == 1 ? "it" :
		    "them");
	else
		dom_note(d, NOTE_CHECK, "mailbox parity: all %zu mail name%s of "
		    "the source panel exist on the new panel", so->nstrs,
		    so->nstrs == 1 ? "" : "s");
}

/* queue mail get_info for id on b into *o; 0 when out of memory */
static int
queue_info(struct batch *b, unsigned long id, struct op **o)
{
	return (*o = batch_add(b, OP_MAIL_GET_INFO)) != NULL &&
	    op_set_ids(*o, &id, 1) == MC_OK;
}

void
plan_parity(struct engine *e, struct dom **ds, size_t n)
{
	struct mc_err err = { 0 };
	struct batch *bs = NULL, *bt = NULL;
	struct site_ref *refs = NULL;
	struct op **so = NULL, **to = NULL;
	size_t i;

	if (n == 0)
		return;
	if (!e->conf->target.present) {
		not_checked(ds, n, "no [target] panel (the new server's Plesk) "
		    "in the configuration", "");
		return;
	}
	so = calloc(n, sizeof(*so));
	to = calloc(n, sizeof(*to));
	refs = calloc(n, sizeof(*refs));
	bs = batch_new();
	bt = batch_new();
	if (!so || !to || !refs || !bs || !bt)
		goto out;
	for (i = 0; i < n; i++) {
		refs[i].name = ds[i]->name;
		refs[i].alt = ds[i]->display[0] ? ds[i]->display : NULL;
		/* an alias has no mail names */
		if (dom_mail_ours(ds[i]) &&
		    !queue_info(bs, ds[i]->site_id, &so[i]))
			goto out;
	}
	if (bs->n > 0 && plesk_send(e->src, bs, &err) != MC_OK) {
		not_checked(ds, n, "source panel: ", err.msg);
		goto out;
	}
	if (e->tgt == NULL && panel_open(&e->conf->target, &e->tgt, &err)) {
		not_checked(ds, n, "target panel: ", err.msg);
		goto out;
	}
	plesk_resolve(e->tgt, refs, n, &err);
	for (i = 0; i < n; i++)
		if (so[i] != NULL && refs[i].result == MC_OK && refs[i].id &&
		    refs[i].kind != SITE_ALIAS &&
		    !queue_info(bt, refs[i].id, &to[i]))
			goto out;
	if (bt->n > 0 && plesk_send(e->tgt, bt, &err) != MC_OK) {
		not_checked(ds, n, "target panel: ", err.msg);
		goto out;
	}
	for (i = 0; i < n; i++)
		if (so[i] != NULL)
			parity_one(ds[i], so[i], &refs[i], to[i]);
out:
	batch_free(bs);
	batch_free(bt);
	free(so);
	free(to);
	free(refs);
}
