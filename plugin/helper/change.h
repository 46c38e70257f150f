/* change.h -- the changes steps send to the source panel: queued per
 * domain into one batch, sent in as few packets as the batch size
 * allows, each answer judged. */
#ifndef MC_CHANGE_H
#define MC_CHANGE_H

#include <stddef.h>

#include "batch.h"
#include "owner.h"

struct engine;
struct dom;

/* An owner list for a batch of up to n operations (calloc'd). */
struct dom	**change_owners(size_t n);

/*
 * Send b; owner[i] is the domain of operation i (or NULL). A packet-level
 * failure leaves each operation its own result; an answer that may have
 * been lost gets a warning note on its domain: its zone is read again
 * before anything is decided.
 */
void		 change_send(struct engine *, struct batch *,
		    struct dom **owner);

/* 1 when the operation was sent and its outcome is unknown: the panel
 * may have applied it (never repeat it blind: re-read, then decide). */
int		 change_unknown(const struct op *);

/*
 * dns set with all five SOA fields as read in this run and only the TTL
 * changed: every documented sample sends all five, and that a partial
 * <soa> leaves the others alone is an inference, not a fact. NULL, and
 * the domain failed, when the panel did not report all five or memory
 * ran out.
 */
struct op	*change_ttl(struct batch *, struct dom *, unsigned long ttl);

/* dns add_rec of r's label, type and value in d's zone */
struct op	*change_add(struct batch *, const struct dom *,
		    const struct own_rec *);

/* dns del_rec of one record id */
struct op	*change_del(struct batch *, unsigned long id);

/* a mail operation (enable, disable, get_info) on d's site */
struct op	*change_mail(struct batch *, const struct dom *, enum op_kind);

#endif
