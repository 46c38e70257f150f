/* listcache.h -- the source panel's domain names as last listed, kept in
 * the state directory for the paged list (the extension's list page asks
 * for a page on every view; listing 10,000 domains on the panel takes
 * longer than the page may). */
#ifndef MC_LISTCACHE_H
#define MC_LISTCACHE_H

#include <stddef.h>
#include <time.h>

#include "err.h"

#define LISTCACHE_FILE		"panel-domains.cache"
#define LISTCACHE_MAX_AGE	300	/* s: the scheduled task's period */

/*
 * The names of DIR/panel-domains.cache (one per line) when it was
 * written at most max_age seconds before now: 1 and *names (each and
 * the array malloc'd; listcache_free) set; 0 when absent, older, or
 * unreadable (then ask the panel).
 */
int		 listcache_read(const char *dir, time_t now,
		    unsigned long max_age, char ***names, size_t *n);

/* Write the names (atomically, 0600) with their time. */
enum mc_result	 listcache_write(const char *dir, time_t now,
		    char *const *names, size_t n, struct mc_err *);

void		 listcache_free(char **names, size_t n);

#endif
