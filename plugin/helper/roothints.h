/* roothints.h -- where the delegation walk (walk.h) starts: the root
 * name servers' addresses, from [cutover] root_hints (addresses, or a
 * named.root-style file read with ldns), else the real root servers'
 * (IANA's root hints, built in). */
#ifndef MC_ROOTHINTS_H
#define MC_ROOTHINTS_H

#include <stddef.h>

#include "config.h"
#include "err.h"

#define ROOTHINTS_MAX	32

struct roothints {
	char		 addr[ROOTHINTS_MAX][64];	/* IPv4 first */
	size_t		 n;
	int		 builtin;	/* the real root servers' */
};

/*
 * The root servers to start from: each address of root_hints, or the
 * A and AAAA records of the file it names (an absolute path; other
 * records are ignored), or, without root_hints, the thirteen root
 * servers' IPv4 addresses. MC_E_CONFIG naming the file when it cannot be
 * read or parsed or holds no address.
 */
enum mc_result	 roothints_load(const struct cutover_conf *,
		    struct roothints *, struct mc_err *);

#endif
