/* trust.h -- the system's CA bundle, found at run time on any distribution. */
#ifndef MC_TRUST_H
#define MC_TRUST_H

#include <stddef.h>

/*
 * The packaged helper is linked statically: its OpenSSL's compiled-in
 * default paths are those of the build machine, not of the Plesk server.
 * The CA bundle is looked up among the places the distributions keep it
 * (Debian/Ubuntu, RHEL/Alma/Rocky/CloudLinux, SUSE, Alpine, ...), the first
 * readable regular file wins. A configured cafile / mail_cafile overrides.
 */

/* The bundle paths looked at, in order; NULL-terminated. */
extern const char *const trust_paths[];

/* The first readable bundle of trust_paths, or NULL if there is none. */
const char *trust_store(void);

/* "path1, path2, ..." of trust_paths into out (for messages). */
void	trust_paths_text(char *out, size_t);

#endif
