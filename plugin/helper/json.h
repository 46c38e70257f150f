/* json.h -- a small streaming JSON writer for --json output. */
#ifndef MC_JSON_H
#define MC_JSON_H

#include <stdio.h>

#define JSON_DEPTH 16

struct json {
	FILE	*f;
	int	 depth;
	int	 first[JSON_DEPTH];	/* no member written yet at depth */
};

/* key is NULL inside arrays and for the top-level value. */
void	json_init(struct json *, FILE *);
void	json_obj_open(struct json *, const char *key);
void	json_obj_close(struct json *);
void	json_arr_open(struct json *, const char *key);
void	json_arr_close(struct json *);
void	json_str(struct json *, const char *key, const char *);	/* NULL: null */
void	json_num(struct json *, const char *key, long long);
void	json_bool(struct json *, const char *key, int);
/* ends the document with a newline */
void	json_end(struct json *);

#endif
