/* settings_in.h -- the request of the settings page: a JSON object read
 * on stdin, checked and merged into the configuration. */
#ifndef MC_SETTINGS_IN_H
#define MC_SETTINGS_IN_H

#include <stddef.h>

#include "err.h"
#include "ini.h"

#define SETTINGS_MAX_INPUT	(64 * 1024)
#define SETTINGS_MAX_SECRET	1024
#define SETTINGS_MAX_CONFIG	(256 * 1024)	/* as config.c reads */
#define SETTINGS_MAX_SEC_IN	16	/* secondaries in one request */

/* What `settings set` reads on stdin (a flat JSON object). NULL: not given. */
struct settings_secondary {
	char	*name;
	char	*address;
	char	*method;
};

struct settings_in {
	char	*url, *auth, *login, *secret, *pin, *new_ip;
	char	*lowered_ttl, *restored_ttl, *min_wait, *quiet_hours;
	struct settings_secondary sec[SETTINGS_MAX_SEC_IN];
	size_t	 nsec;
	int	 has_secondaries;
};

/* Parse exactly what the page sends (MC_E_USAGE for anything else,
 * naming the byte); on failure in is empty. */
enum mc_result	 settings_parse_json(const char *text, size_t len,
		    struct settings_in *, struct mc_err *);
/* Release the strings (the secret wiped first); in is zeroed. */
void		 settings_in_free(struct settings_in *);

/*
 * Merge the request into the configuration (ini, changed in place),
 * check every value, then the whole text with config_parse (the same
 * rules as the helper's own loading). secret_path receives the secret
 * file to write when a secret was given (malloc'd, else NULL).
 */
enum mc_result	 settings_merge(struct ini *, const struct settings_in *,
		    const char *config_path, char **text_out,
		    char **secret_path, struct mc_err *);

#endif
