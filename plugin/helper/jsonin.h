/* jsonin.h -- a strict reader for the small JSON documents the panel's
 * pages send on stdin (json.h writes; this reads). */
#ifndef MC_JSONIN_H
#define MC_JSONIN_H

#include <stddef.h>

#include "err.h"

/*
 * A cursor over text[0..len). The readers below accept exactly JSON's
 * grammar for what they read and nothing more; every refusal is
 * MC_E_USAGE "PREFIX: bad JSON input at byte N: WHAT".
 */
struct jsonin {
	const char	*start, *p, *end;
	const char	*prefix;	/* names the input in messages */
	struct mc_err	*err;
};

void		 jsonin_init(struct jsonin *, const char *text, size_t len,
		    const char *prefix, struct mc_err *);
/* Refuse at the cursor: the message above; returns MC_E_USAGE. */
enum mc_result	 jsonin_fail(struct jsonin *, const char *what);
/* Skip white space; 1 when the cursor is at the end. */
int		 jsonin_end(struct jsonin *);
/* Skip white space, then take c if it is next: 1 taken, 0 not. */
int		 jsonin_eat(struct jsonin *, char c);
/* A string into a malloc'd buffer (*out, owned by the caller): \u
 * escapes of the BMP only, no NUL, no surrogate. */
enum mc_result	 jsonin_string(struct jsonin *, char **out);
/* A scalar as text (*out malloc'd): a string as it is, a whole number of
 * at most 12 digits, true as "yes", false as "no"; null as *out NULL. */
enum mc_result	 jsonin_scalar(struct jsonin *, char **out);

#endif
