/* batch.c -- operation queue, packet building and reply correlation. */
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "proto.h"

struct batch *
batch_new(void)
{
	return calloc(1, sizeof(struct batch));
}

void
batch_free(struct batch *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++)
		op_free(b->ops[i]);
	free(b->ops);
	free(b);
}

void
batch_drop(struct batch *b, size_t n)
{
	size_t i;

	if (n > b->n)
		n = b->n;
	for (i = 0; i < n; i++)
		op_free(b->ops[i]);
	memmove(b->ops, b->ops + n, (b->n - n) * sizeof(*b->ops));
	b->n -= n;
}

struct op *
batch_add(struct batch *b, enum op_kind kind)
{
	struct op **p, *o;
	size_t cap;

	if (b->n == b->cap) {
		cap = b->cap ? b->cap * 2 : 16;
		if ((p = realloc(b->ops, cap * sizeof(*p))) == NULL)
			return NULL;
		b->ops = p;
		b->cap = cap;
	}
	if ((o = op_new(kind)) == NULL)
		return NULL;
	b->ops[b->n++] = o;
	return o;
}

enum mc_result
batch_build(const struct batch *b, size_t from, size_t n,
    const char *version, struct packet **out, struct mc_err *err)
{
	struct packet *p;
	enum mc_result result;
	xmlNodePtr opr = NULL;
	const char *last = NULL;
	size_t i;

	*out = NULL;
	if (from > b->n || n > b->n - from || n == 0)
		return mc_err_set(err, MC_E_REFUSED, "batch: empty packet");
	if ((p = packet_new(version)) == NULL)
		return mc_err_set(err, MC_E_NOMEM, "packet: out of memory");
	for (i = from; i < from + n; i++) {
		const char *name = op_operator(b->ops[i]->kind);
		/* consecutive operations of one operator share its element */
		if (last == NULL || strcmp(last, name) != 0) {
			opr = xmlNewChild(p->root, NULL, BAD_CAST name, NULL);
			if (opr == NULL) {
				result = mc_err_set(err, MC_E_NOMEM,
				    "packet: out of memory");
				goto fail;
			}
			last = name;
		}
		if ((result = op_build(b->ops[i], opr, err)) != MC_OK)
			goto fail;
		p->nops++;
	}
	*out = p;
	return MC_OK;
fail:
	packet_free(p);
	return result;
}

void
batch_fail(struct batch *b, size_t from, size_t n, int sent,
    const struct mc_err *err)
{
	size_t i;

	for (i = from; i < from + n && i < b->n; i++) {
		b->ops[i]->sent = sent;
		b->ops[i]->result = err->code;
		snprintf(b->ops[i]->msg, sizeof(b->ops[i]->msg), "%.255s",
		    err->msg);
	}
}

struct take_ctx {
	struct batch	*b;
	size_t		 from, n;
	char		**version;
	const char	*want;
	int		 bad_version;
	size_t		 mismatch_at;	/* index + 1 of the first misfit */
	char		 got[96];
};

static void
take_one(void *arg, size_t i, const char *operator, const char *operation,
    xmlNodePtr node)
{
	struct take_ctx *c = arg;
	struct mc_err e;
	struct op *o;

	if (i == 0 && c->want != NULL && *c->version != NULL &&
	    proto_cmp(*c->version, c->want) != 0)
		c->bad_version = 1;
	if (c->bad_version || c->mismatch_at)
		return;
	if (i >= c->n) {
		c->mismatch_at = i + 1;
		return;
	}
	o = c->b->ops[c->from + i];
	if (strcmp(operator, op_operator(o->kind)) != 0 ||
	    strcmp(operation, op_operation(o->kind)) != 0) {
		c->mismatch_at = i + 1;
		snprintf(c->got, sizeof(c->got), "%.40s %.40s", operator,
		    operation);
		return;
	}
	o->sent = 1;
	mc_err_clear(&e);
	/* per-operation errors stay with their operation */
	(void)op_take(o, node, &e);
}

enum mc_result
batch_take_reply(struct batch *b, size_t from, size_t n, const char *buf,
    size_t len, const char *want_version, struct mc_err *err)
{
	struct take_ctx c;
	char *version = NULL;
	size_t nops = 0;
	enum mc_result result;

	memset(&c, 0, sizeof(c));
	c.b = b;
	c.from = from;
	c.n = n;
	c.version = &version;
	c.want = want_version;
	result = response_stream(buf, len, &version, take_one, &c, &nops, err);
	if (result != MC_OK)
		goto out;
	if (c.bad_version) {
		result = mc_err_set(err, MC_E_MISMATCH, "answered with "
		    "protocol %.20s to a packet of protocol %s", version,
		    want_version);
		batch_fail(b, from, n, 1, err);
	} else if (c.mismatch_at && c.got[0]) {
		result = mc_err_set(err, MC_E_MISMATCH, "reply operation %zu "
		    "is %s, the packet sent %s %s there", c.mismatch_at,
		    c.got, op_operator(b->ops[from + c.mismatch_at - 1]->kind),
		    op_operation(b->ops[from + c.mismatch_at - 1]->kind));
		batch_fail(b, from, n, 1, err);
	} else if (nops != n) {
		result = mc_err_set(err, MC_E_MISMATCH, "reply holds %zu "
		    "operations for a packet of %zu; not guessing which is "
		    "which", nops, n);
		batch_fail(b, from, n, 1, err);
	}
out:
	xmlFree(version);
	return result;
}
