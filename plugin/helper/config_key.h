/* config_key.h -- the keys of each section of the configuration. */
#ifndef MC_CONFIG_KEY_H
#define MC_CONFIG_KEY_H

#include "config.h"

/*
 * Check and store `key = v` of line `line` of file `name` in a [source]
 * or [target] panel, the [cutover] section or a [secondary NAME]
 * section (whose unknown keys describe its Plesk panel). MC_E_CONFIG
 * "NAME:LINE: [SECTION] KEY: what is wrong" for a bad value, a repeated
 * string key or an unknown key; MC_E_NOMEM.
 */
enum mc_result	 config_key_panel(struct panel_conf *, const char *key,
		    const char *v, const char *name, int line,
		    struct mc_err *);
enum mc_result	 config_key_cutover(struct cutover_conf *, const char *key,
		    const char *v, const char *name, int line,
		    struct mc_err *);
enum mc_result	 config_key_secondary(struct secondary_conf *,
		    const char *key, const char *v, const char *name,
		    int line, struct mc_err *);

#endif
