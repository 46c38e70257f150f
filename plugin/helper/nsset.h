/* nsset.h -- a set of name server names, as a delegation lists them: the
 * comparison step 5 makes between what a parent zone serves and what it
 * should serve (case, trailing dots, order and repeats do not count). */
#ifndef MC_NSSET_H
#define MC_NSSET_H

#include <stddef.h>

#define NSSET_MAX	32	/* names of one set */

struct nsset {
	char	**names;	/* lower case, no trailing dot, sorted, unique */
	size_t	  n;
};

/*
 * Add one name: lower-cased, one trailing dot dropped, kept once, in
 * order. strict: it must be a host name (valid_domain) -- names from the
 * configuration and the command line; otherwise any name of printable
 * ASCII without spaces is kept as it is (what a server answered, however
 * odd, so that it never equals an expected name by accident). Returns 1,
 * or 0 when refused (not a name, NSSET_MAX names already, out of memory).
 */
int	 nsset_add(struct nsset *, const char *name, int strict);

/*
 * Add every name of a list separated by commas and white space (strict).
 * Returns 1, or 0 with the first name refused copied into bad (cut to
 * badsz) -- "" for an empty list or out of memory.
 */
int	 nsset_parse(struct nsset *, const char *list, char *bad,
	    size_t badsz);

/* The same names? */
int	 nsset_equal(const struct nsset *, const struct nsset *);

/* Is name (any case, trailing dot or not) in the set? */
int	 nsset_has(const struct nsset *, const char *name);

/* The names joined by sep ("ns1.a.example, ns2.a.example"), cut to the
 * buffer with "..." when they do not fit; "" for an empty set. */
const char *nsset_join(const struct nsset *, const char *sep, char *buf,
	    size_t sz);

/* Release the names; the set is empty again. NULL is a no-op. */
void	 nsset_free(struct nsset *);

#endif
