/* idn.h -- internationalized domain names: the ASCII form for DNS, the
 * journal and the panel; the Unicode form for people. */
#ifndef MC_IDN_H
#define MC_IDN_H

#include <stddef.h>

/*
 * A name as given on the command line (Unicode, or ASCII with A-labels)
 * to its lower-case ASCII form without a trailing dot, checked with
 * valid_domain(). Returns NULL on success, else why it is not a name.
 */
const char	*idn_ascii(const char *in, char *out, size_t);

/*
 * The Unicode form of an ASCII name that has an A-label ("xn--"), for
 * display; "" when it has none or cannot be decoded.
 */
void		 idn_unicode(const char *ascii, char *out, size_t);

#endif
