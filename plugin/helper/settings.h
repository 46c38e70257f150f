/* settings.h -- `mailcutover settings get|set`: the panel's settings page. */
#ifndef MC_SETTINGS_H
#define MC_SETTINGS_H

#include <stddef.h>

#include "config.h"
#include "err.h"
#include "exitcode.h"
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

enum mc_result	 settings_parse_json(const char *text, size_t len,
		    struct settings_in *, struct mc_err *);
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

/* Write path atomically (atomicfile.h); refuses a path that exists and is
 * not a regular file. */
enum mc_result	 settings_write_file(const char *path, const char *data,
		    size_t len, struct mc_err *);

/* `settings get` / `settings set`; returns an exit code. */
enum exit_code	 settings_main(const char *config_path, int argc, char **argv,
		    int json);

/* `confirm DOMAIN clients yes|no` into the audit log; an exit code. */
enum exit_code	 settings_confirm(const struct config *, int argc, char **argv,
		    int json);

#endif
