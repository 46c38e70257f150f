/* selftest.h -- `mailcutover --version` and `mailcutover selftest`. */
#ifndef MC_SELFTEST_H
#define MC_SELFTEST_H

#ifndef MC_VERSION
#define MC_VERSION "unknown"
#endif

/* The version, protocol range, libraries and trust store; returns 0. */
int	selftest_version(int json);

/*
 * Check that this binary can work on this machine: libcurl speaks HTTPS
 * with OpenSSL, OpenSSL's random generator works, libxml2 parses, ldns
 * builds a name; warn when no CA bundle or no /etc/resolv.conf is found.
 * Returns 0 when it can work, 1 when it cannot (and says why).
 */
int	selftest_run(int json);

#endif
