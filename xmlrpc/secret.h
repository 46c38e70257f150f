/* secret.h -- panel credentials read from a root-only file or stdin. */
#ifndef MC_SECRET_H
#define MC_SECRET_H

#include <sys/types.h>

#include "err.h"

/*
 * A secret (API key or password) lives only here: never in argv, logs,
 * errors or output. secret_free() wipes it.
 */
struct secret {
	char	*value;		/* NUL-terminated, no CR/LF/control chars */
	size_t	 len;
};

/*
 * Read a secret from path. The file must be a regular file (not a
 * symlink), owned by `owner` (root: 0), with no group or world bits.
 * Each refusal names the file and the reason. One trailing newline is
 * dropped. On success *out is owned by the caller.
 */
enum mc_result	 secret_load_file(const char *path, uid_t owner,
		    struct secret **out, struct mc_err *);

/*
 * Read a secret from an open descriptor (stdin): one line; anything but
 * blank lines after it is refused, as in a file.
 */
enum mc_result	 secret_load_fd(int fd, const char *what,
		    struct secret **out, struct mc_err *);

/* Wipe and free; NULL is fine. */
void		 secret_free(struct secret *);

#endif
