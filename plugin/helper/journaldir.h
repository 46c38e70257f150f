/* journaldir.h -- the state directory of the journals (doc/journal-format.md):
 * its checks, its list of journals, the per-domain lock. */
#ifndef MC_JOURNALDIR_H
#define MC_JOURNALDIR_H

#include <stddef.h>

#include "err.h"

/*
 * Make sure dir is a safe state directory: create it 0700 if missing (the
 * last component only), then refuse it (MC_E_IO, naming dir and the
 * reason) if it is a symbolic link, not a directory, not owned by root or
 * has any group/world bits.
 */
enum mc_result	 journal_open_dir(const char *dir, struct mc_err *);

/* 1 if DIR/DOMAIN.journal exists (0 for an invalid domain). */
int		 journal_exists(const char *dir, const char *domain);

/*
 * Domains that have a journal file in dir, sorted (strcmp), lower-case.
 * Temp files, lock files and other names are ignored. *domains is owned
 * by the caller (journal_list_free); it may be NULL when *n is 0.
 */
enum mc_result	 journal_list(const char *dir, char ***domains, size_t *n,
		    struct mc_err *);
void		 journal_list_free(char **, size_t);

/*
 * Take the per-domain lock DIR/DOMAIN.lock (flock, non-blocking) and write
 * our pid into it. If another run holds it: MC_E_BUSY, "DOMAIN: another
 * mailcutover run is working on this domain (pid N)". *fd_out is -1 on
 * failure. The lock file is never removed (removing it would race).
 */
enum mc_result	 journal_lock(const char *dir, const char *domain,
		    int *fd_out, struct mc_err *);
void		 journal_unlock(int fd);	/* accepts -1 */

#endif
