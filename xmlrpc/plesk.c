/* plesk.c -- the client: negotiate a protocol, send batches, resolve names. */
#include <stdlib.h>
#include <string.h>

#include "plesk.h"
#include "proto.h"

enum mc_result
plesk_open(const struct plesk_conf *c, struct plesk **out, struct mc_err *err)
{
	struct plesk *p;
	enum mc_result result;

	*out = NULL;
	if (c->version != NULL && !proto_valid(c->version))
		return mc_err_set(err, MC_E_CONFIG, "%s: protocol '%.40s' is "
		    "not a version number", c->tc.name ? c->tc.name : "panel",
		    c->version);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return mc_err_set(err, MC_E_NOMEM, "out of memory");
	snprintf(p->name, sizeof(p->name), "%s",
	    c->tc.name ? c->tc.name : "panel");
	p->batch_max = c->batch_max ? c->batch_max : PLESK_BATCH_DEFAULT;
	if (c->version != NULL && (p->version = strdup(c->version)) == NULL) {
		free(p);
		return mc_err_set(err, MC_E_NOMEM, "out of memory");
	}
	if ((result = transport_new(&c->tc, &p->t, err)) != MC_OK) {
		plesk_free(p);
		return result;
	}
	*out = p;
	return MC_OK;
}

void
plesk_free(struct plesk *p)
{
	size_t i;

	if (p == NULL)
		return;
	transport_free(p->t);
	for (i = 0; i < p->nprotos; i++)
		free(p->protos[i]);
	free(p->protos);
	free(p->version);
	free(p->server_newest);
	free(p);
}

enum mc_result
plesk_post_raw(struct plesk *p, const char *body, size_t len, char **reply,
    size_t *replylen, struct mc_err *err)
{
	p->requests++;
	return transport_post(p->t, body, len, reply, replylen, err);
}

/* Send ops [from, from+n) as one packet. */
static enum mc_result
send_packet(struct plesk *p, struct batch *b, size_t from, size_t n,
    struct mc_err *err)
{
	struct packet *pk = NULL;
	xmlChar *body = NULL;
	char *reply = NULL;
	size_t replylen = 0;
	int len = 0;
	enum mc_result result;

	if ((result = batch_build(b, from, n, p->version, &pk, err)) != MC_OK ||
	    (result = packet_serialize(pk, &body, &len, err)) != MC_OK) {
		batch_fail(b, from, n, 0, err);
		goto out;
	}
	p->ops += (long)n;
	result = plesk_post_raw(p, (const char *)body, (size_t)len, &reply,
	    &replylen, err);
	if (result != MC_OK) {
		batch_fail(b, from, n, err->maybe_applied, err);
		goto out;
	}
	/* streamed: a reply for a thousand zones never becomes one tree */
	result = batch_take_reply(b, from, n, reply, replylen, p->version, err);
	if (result == MC_E_MISMATCH) {
		mc_err_prefix(err, "%s", p->name);
		err->maybe_applied = 1;
	} else if (result != MC_OK) {
		mc_err_prefix(err, "%s", p->name);
		/* a <system> error means nothing ran; a broken reply may not */
		if (result == MC_E_PARSE || result == MC_E_TOOBIG)
			err->maybe_applied = 1;
		batch_fail(b, from, n, err->maybe_applied, err);
	}
out:
	free(reply);
	xmlFree(body);
	packet_free(pk);
	return result;
}

enum mc_result
plesk_send(struct plesk *p, struct batch *b, struct mc_err *err)
{
	struct mc_err e;
	size_t from, n;
	enum mc_result result;

	enum mc_result first = MC_OK;

	for (from = 0; from < b->n; from += n) {
		n = b->n - from;
		if (n > p->batch_max)
			n = p->batch_max;
		mc_err_clear(&e);
		if ((result = send_packet(p, b, from, n, &e)) == MC_OK)
			continue;
		if (first == MC_OK) {
			first = result;
			if (err != NULL)
				*err = e;
		}
		/*
		 * A failure of one packet (a system error, a lost or broken
		 * answer) concerns its operations only: the next packets go
		 * on. A panel that cannot be reached, refuses the TLS or the
		 * credentials, or speaks no common protocol fails them all:
		 * stop, and mark the rest as not sent (safe to retry).
		 */
		if (result == MC_E_CONNECT || result == MC_E_TLS ||
		    result == MC_E_AUTH || result == MC_E_VERSION ||
		    result == MC_E_NOMEM) {
			if (from + n < b->n) {
				struct mc_err ns = e;
				snprintf(ns.msg, sizeof(ns.msg), "not sent: an "
				    "earlier packet failed (%.200s)", e.msg);
				batch_fail(b, from + n, b->n - from - n, 0,
				    &ns);
			}
			return result;
		}
	}
	return first;
}

enum mc_result
plesk_negotiate(struct plesk *p, struct mc_err *err)
{
	struct batch *b = NULL;
	struct op *o;
	const char *best;
	char *saved = p->version;
	enum mc_result result;
	size_t i;

	if ((b = batch_new()) == NULL || (o = batch_add(b, OP_SERVER_PROTOS))
	    == NULL) {
		batch_free(b);
		return mc_err_set(err, MC_E_NOMEM, "out of memory");
	}
	/* no version attribute: every Plesk answers with its newest */
	p->version = NULL;
	result = plesk_send(p, b, err);
	p->version = saved;
	if (result != MC_OK)
		goto out;
	if (o->result != MC_OK) {
		result = mc_err_set(err, o->result, "%s: get_protos: %s",
		    p->name, o->msg);
		goto out;
	}
	/* keep the list */
	p->protos = o->strs;
	p->nprotos = o->nstrs;
	o->strs = NULL;
	o->nstrs = 0;
	if (p->version != NULL) {
		for (i = 0; i < p->nprotos; i++)
			if (proto_cmp(p->protos[i], p->version) == 0)
				break;
		if (i == p->nprotos) {
			result = mc_err_set(err, MC_E_VERSION, "%s: protocol "
			    "%s is not among the %zu the server speaks "
			    "(newest %s)", p->name, p->version, p->nprotos,
			    p->protos[p->nprotos - 1]);
			goto out;
		}
		result = MC_OK;
		goto out;
	}
	if ((best = proto_choose(p->protos, p->nprotos)) == NULL) {
		result = mc_err_set(err, MC_E_VERSION, "%s: speaks no protocol "
		    "between %s (Plesk 10) and %s (Obsidian)", p->name,
		    PROTO_MIN, PROTO_MAX);
		goto out;
	}
	if ((p->version = strdup(best)) == NULL) {
		result = mc_err_set(err, MC_E_NOMEM, "out of memory");
		goto out;
	}
	result = MC_OK;
out:
	batch_free(b);
	return result;
}

static const char *const kind_names[SITE__MAX] = {
	[SITE_NONE] = "none",
	[SITE_WEBSPACE] = "subscription",
	[SITE_SITE] = "site",
	[SITE_SUBDOMAIN] = "subdomain",
	[SITE_ALIAS] = "alias",
};

const char *
site_kind_name(enum site_kind k)
{
	return (unsigned)k < SITE__MAX ? kind_names[k] : "none";
}

enum mc_result
plesk_resolve(struct plesk *p, const char *const *names, size_t n,
    struct site_ref *out, struct mc_err *err)
{
	static const struct {
		enum op_kind op;
		enum site_kind kind;
	} steps[] = {
		{ OP_WEBSPACE_BY_NAME, SITE_WEBSPACE },
		{ OP_SITE_BY_NAME, SITE_SITE },
		{ OP_SUBDOMAIN_BY_NAME, SITE_SUBDOMAIN },
		{ OP_ALIAS_BY_NAME, SITE_ALIAS },
	};
	struct batch *b = NULL;
	size_t *idx = NULL, s, i, k;
	enum mc_result result = MC_OK;
	int pending;

	for (i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].name = names[i];
		out[i].result = MC_E_NOTFOUND;
		snprintf(out[i].msg, sizeof(out[i].msg), "%.100s: not found on "
		    "%.60s (as subscription, site, subdomain or alias)",
		    names[i], p->name);
	}
	if (n == 0)
		return MC_OK;
	if ((idx = calloc(n, sizeof(*idx))) == NULL)
		return mc_err_set(err, MC_E_NOMEM, "out of memory");
	for (s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		batch_free(b);
		if ((b = batch_new()) == NULL) {
			result = mc_err_set(err, MC_E_NOMEM, "out of memory");
			goto out;
		}
		for (pending = 0, i = 0; i < n; i++) {
			struct op *o;
			if (out[i].result != MC_E_NOTFOUND ||
			    out[i].kind != SITE_NONE)
				continue;
			if ((o = batch_add(b, steps[s].op)) == NULL ||
			    (o->name = strdup(names[i])) == NULL) {
				result = mc_err_set(err, MC_E_NOMEM,
				    "out of memory");
				goto out;
			}
			idx[pending++] = i;
		}
		if (pending == 0)
			break;
		result = plesk_send(p, b, err);
		for (k = 0; k < b->n; k++) {
			struct op *o = b->ops[k];
			struct site_ref *r = &out[idx[k]];
			if (o->result == MC_E_NOTFOUND)
				continue;
			r->result = o->result;
			if (o->result != MC_OK) {
				r->kind = SITE__MAX;	/* stop here */
				snprintf(r->msg, sizeof(r->msg), "%.100s: %.150s",
				    r->name, o->msg);
				continue;
			}
			r->kind = steps[s].kind;
			r->id = o->id;
			r->parent_id = o->parent_id;
			if (o->ip != NULL)
				snprintf(r->ip, sizeof(r->ip), "%s", o->ip);
			r->manage_dns = steps[s].kind == SITE_ALIAS ?
			    o->manage_dns : 1;
			snprintf(r->msg, sizeof(r->msg), "%.100s: %s %lu", r->name,
			    site_kind_name(r->kind), r->id);
		}
		if (result != MC_OK)
			goto out;
	}
out:
	for (i = 0; i < n; i++)
		if (out[i].kind == SITE__MAX)
			out[i].kind = SITE_NONE;
	batch_free(b);
	free(idx);
	return result;
}
