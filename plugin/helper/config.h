/* config.h -- the helper's configuration file: panels and their access. */
#ifndef MC_CONFIG_H
#define MC_CONFIG_H

#include <stddef.h>

#include "err.h"
#include "transport.h"

#define CONFIG_DEFAULT_PATH "/etc/mailcutover/mailcutover.conf"

struct panel_conf {
	int		 present;	/* section was in the file */
	const char	*role;		/* "source" or "target" */
	char		*url;
	enum auth_kind	 auth;
	char		*login;
	char		*secret_file;	/* path, or "-" for stdin */
	char		*pin;
	char		*cafile;
	int		 insecure;
	long		 connect_timeout_ms;
	long		 timeout_ms;
	size_t		 max_body;
	size_t		 batch_max;
	char		*protocol;	/* NULL: negotiate */
	int		 line;		/* where the section starts */
};

struct config {
	char			*path;
	struct panel_conf	 source;
	struct panel_conf	 target;
};

/*
 * Parse an INI-like file: "[source]" / "[target]" sections of
 * "key = value" lines, '#' comments. Unknown sections, unknown keys,
 * repeated keys and bad values are errors naming file and line.
 */
enum mc_result	 config_load(const char *path, struct config **,
		    struct mc_err *);
/* Same, from a string (for tests); name is used in messages. */
enum mc_result	 config_parse(const char *name, const char *text,
		    struct config **, struct mc_err *);
void		 config_free(struct config *);

#endif
