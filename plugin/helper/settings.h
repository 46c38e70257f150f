/* settings.h -- `mailcutover settings get|set`: the panel's settings page. */
#ifndef MC_SETTINGS_H
#define MC_SETTINGS_H

#include <stddef.h>

#include "config.h"
#include "err.h"
#include "exitcode.h"
#include "ini.h"
#include "settings_in.h"

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
