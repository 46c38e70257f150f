/* batch.h -- many operations queued, sent in packets, correlated by position. */
#ifndef MC_BATCH_H
#define MC_BATCH_H

#include "op.h"
#include "packet.h"
#include "response.h"

struct batch {
	struct op	**ops;	/* owned */
	size_t		  n, cap;
};

struct batch	*batch_new(void);
void		 batch_free(struct batch *);

/* Free the first n operations (all when n > b->n); the rest move to the
 * front, in order: a caller that sends a long queue in rounds keeps only
 * what has not gone yet. */
void		 batch_drop(struct batch *, size_t n);

/* Queue a new operation (owned by the batch); NULL on ENOMEM. */
struct op	*batch_add(struct batch *, enum op_kind);

/*
 * Build the packet for ops [from, from+n) with the given protocol
 * version (NULL: none). Any refused operation fails the whole packet,
 * so nothing is sent.
 */
enum mc_result	 batch_build(const struct batch *, size_t from, size_t n,
		    const char *version, struct packet **, struct mc_err *);

/*
 * Correlate a reply with ops [from, from+n), reading it as a stream
 * (response_stream): the reply must answer in protocol want_version (if
 * both are known), with exactly n operation elements carrying the same
 * operator and operation names in the same order, or every op of the
 * packet gets MC_E_MISMATCH (never a guess). Each op then takes its
 * element; its own errors stay with it. On a <system> error or a broken
 * reply the caller marks the ops (the result says which).
 */
enum mc_result	 batch_take_reply(struct batch *, size_t from, size_t n,
		    const char *buf, size_t len, const char *want_version,
		    struct mc_err *);

/* Mark ops [from, from+n) with a packet-level failure. */
void		 batch_fail(struct batch *, size_t from, size_t n, int sent,
		    const struct mc_err *);

#endif
