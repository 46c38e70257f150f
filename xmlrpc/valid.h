/* valid.h -- validators for outside input: names, addresses, ids, numbers. */
#ifndef MC_VALID_H
#define MC_VALID_H

#include <stddef.h>

/*
 * Each returns 1 when the input is acceptable and 0 otherwise.
 * valid_domain: RFC 1035 host name in ASCII (IDNs as A-labels "xn--..."),
 * at least two labels, labels 1..63 of [A-Za-z0-9-] not starting or ending
 * with '-', whole name at most 253 octets, one optional trailing dot.
 */
int	valid_domain(const char *);
int	valid_label(const char *);	/* one relative host label or "" */
int	valid_ipv4(const char *);
int	valid_ipv6(const char *);
int	valid_ip(const char *);

/*
 * A panel's URL: "https://" and a host (a name, or an [IPv6] literal),
 * at most 512 bytes, no white space, control character or quote, and no
 * user:password@ part (the secret is never in a URL).
 */
int	valid_https_url(const char *);
int	url_has_userinfo(const char *);	/* an '@' before the path */

/*
 * Parse a decimal integer in [min, max] with no sign, spaces or junk.
 * Returns 1 and sets *out, or 0.
 */
int	parse_ulong(const char *, unsigned long min, unsigned long max,
	    unsigned long *out);

/* Parse "64M", "512K", "1048576" into bytes within [1, max]. */
int	parse_size(const char *, size_t max, size_t *out);

#endif
