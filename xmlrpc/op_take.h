/* op_take.h -- one operation's reply, read and checked (op.h includes it). */
#ifndef MC_OP_TAKE_H
#define MC_OP_TAKE_H

#include <libxml/tree.h>

#include "err.h"

struct op;

/*
 * Take the reply's operation element for this op: read every <result>,
 * check echoed ids against the request, fill the reply data. A reply that
 * does not line up is MC_E_MISMATCH. Per-result errors fail this op only.
 */
enum mc_result	 op_take(struct op *, xmlNodePtr reply_operation,
		    struct mc_err *);

#endif
