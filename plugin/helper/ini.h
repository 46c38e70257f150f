/* ini.h -- the one reader of the configuration's "[section]" and
 * "key = value" lines, and an editable model of such a file. */
#ifndef MC_INI_H
#define MC_INI_H

#include <stddef.h>

#include "err.h"

#define INI_MAX_SECT	24	/* source, target, cutover, secondaries */
#define INI_MAX_KEYS	40	/* per section */

/* One line that is not empty once '#' comments are cut. */
enum ini_kind {
	INI_SECTION,	/* "[name]" */
	INI_PAIR,	/* "key = value" */
	INI_OTHER,	/* anything else (the caller says what is wrong) */
};

struct ini_line {
	int		 lineno;	/* 1-based */
	enum ini_kind	 kind;
	char		*text;		/* the line, comment cut, trimmed
					   (INI_PAIR: the key) */
	char		*name;		/* INI_SECTION: between the brackets,
					   trimmed */
	char		*key;		/* INI_PAIR: before the first '=',
					   trimmed */
	char		*value;		/* INI_PAIR: after it, trimmed */
};

/*
 * Call cb for every line of text that holds something once a '#' and
 * what follows it are cut and white space is trimmed. The strings of a
 * line are valid during the call only. Stops at the first result of cb
 * that is not MC_OK and returns it; MC_E_NOMEM when text cannot be
 * copied.
 */
enum mc_result	 ini_scan(const char *text,
		    enum mc_result (*cb)(void *arg, const struct ini_line *),
		    void *arg, struct mc_err *);

/* The file as ordered sections of key = value (comments are dropped). */
struct ini_kv {
	char	*key;
	char	*val;
};

struct ini_sect {
	char		*name;		/* "source", "cutover", "secondary ns2" */
	struct ini_kv	 kv[INI_MAX_KEYS];
	size_t		 n;
};

struct ini {
	struct ini_sect	 s[INI_MAX_SECT];
	size_t		 n;
};

/* Parse (MC_E_CONFIG for a line outside a section, without '=', or a
 * bad section line); on failure ini is empty. */
enum mc_result	 ini_parse(const char *text, struct ini *, struct mc_err *);
void		 ini_free(struct ini *);
/* The value of sect.key, or NULL; owned by ini. */
const char	*ini_get(const struct ini *, const char *sect, const char *key);
/* The section, or NULL (created when `create` and there is room). */
struct ini_sect	*ini_sect(struct ini *, const char *name, int create);
/* Set (val != NULL) or delete (val == NULL) sect.key. */
enum mc_result	 ini_set(struct ini *, const char *sect, const char *key,
		    const char *val, struct mc_err *);
/* Render as configuration text (malloc'd), NULL when out of memory. */
char		*ini_render(const struct ini *);

#endif
