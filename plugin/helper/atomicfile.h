/* atomicfile.h -- the one way the helper writes a file: whole or not at
 * all, 0600, durable (the journal, the configuration, the secret). */
#ifndef MC_ATOMICFILE_H
#define MC_ATOMICFILE_H

#include <stddef.h>

#include "err.h"

/*
 * Write data[0..len) as DIR/BASE, never opening DIR/BASE itself:
 *   1. DIR/.BASE.XXXXXX (6 random characters from getrandom(2)) opened
 *      O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, mode 0600;
 *   2. every byte written (short writes looped; ENOSPC said to be
 *      temporary), fchmod 0600 (whatever the umask), fsync, close;
 *   3. rename over DIR/BASE;
 *   4. fsync of DIR, which makes the rename durable.
 * If 1-3 fail, the temporary file is removed and DIR/BASE is as it was.
 * If only 4 fails, the new file is in place but may not survive a power
 * cut: the message says so, naming it as `what` ("journal", "file").
 * Returns MC_OK, MC_E_IO (the message names the file and the system
 * call) or MC_E_NOMEM.
 */
enum mc_result	 afile_write(const char *dir, const char *base,
		    const char *what, const char *data, size_t len,
		    struct mc_err *);

#endif
