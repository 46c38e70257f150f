/* batch.c -- operation queue, packet building and reply correlation. */
#include <stdlib.h>
#include <string.h>

#include "batch.h"

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

enum mc_result
batch_take(struct batch *b, size_t from, size_t n, const struct response *r,
    struct mc_err *err)
{
	struct mc_err e;
	size_t i;

	if (r->nops != n) {
		mc_err_set(err, MC_E_MISMATCH, "reply holds %zu operations "
		    "for a packet of %zu; not guessing which is which",
		    r->nops, n);
		batch_fail(b, from, n, 1, err);
		return MC_E_MISMATCH;
	}
	for (i = 0; i < n; i++) {
		struct op *o = b->ops[from + i];
		if (strcmp(r->ops[i].operator, op_operator(o->kind)) != 0 ||
		    strcmp(r->ops[i].operation, op_operation(o->kind)) != 0) {
			mc_err_set(err, MC_E_MISMATCH, "reply operation %zu is "
			    "%.40s %.40s, the packet sent %s %s there", i + 1,
			    r->ops[i].operator, r->ops[i].operation,
			    op_operator(o->kind), op_operation(o->kind));
			batch_fail(b, from, n, 1, err);
			return MC_E_MISMATCH;
		}
	}
	for (i = 0; i < n; i++) {
		struct op *o = b->ops[from + i];
		o->sent = 1;
		mc_err_clear(&e);
		/* per-operation errors stay with their operation */
		(void)op_take(o, r->ops[i].node, &e);
	}
	return MC_OK;
}
