/* host.h -- DNS host names as Plesk writes them: FQDN out, relative in. */
#ifndef MC_HOST_H
#define MC_HOST_H

#include <stddef.h>

/*
 * Plesk returns hosts as FQDNs with a trailing dot ("mail.example.com.")
 * and takes them relative to the zone ("mail", "" for the apex).
 * Comparisons are case-insensitive and ignore one trailing dot.
 */

/* 1 if a and b name the same host. */
int	host_equal(const char *a, const char *b);

/*
 * Write the name of fqdn relative to zone into out (lower case, no dot):
 * "Mail.Example.COM." in "example.com" -> "mail"; the apex -> "".
 * Returns 1, or 0 if fqdn is not inside zone or out is too small.
 */
int	host_relative(const char *fqdn, const char *zone, char *out, size_t);

/* Copy s to out in lower case without one trailing dot. 0 if too long. */
int	host_norm(const char *s, char *out, size_t);

#endif
