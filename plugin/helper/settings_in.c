/* settings_in.c -- what the settings page sends (`settings set` reads a
 * JSON object on stdin): parsed strictly, each value checked, merged into
 * the configuration, and the whole checked by the helper's own rules. */
#include <ctype.h>
#include <libgen.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ini.h"
#include "jsonin.h"
#include "settings_in.h"
#include "text.h"
#include "valid.h"

/* ------------------------------------------------------------ JSON input */

/*
 * Exactly what the settings page sends: one object of strings, numbers,
 * true/false/null, and one array "secondaries" of flat objects of
 * strings. Bounded in size; anything else is refused.
 */
static char **
settings_field(struct settings_in *in, const char *key)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} fields[] = {
#define F(x) { #x, offsetof(struct settings_in, x) }
		F(url), F(auth), F(login), F(secret), F(pin), F(new_ip),
		F(lowered_ttl), F(restored_ttl), F(min_wait), F(quiet_hours),
#undef F
	};
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!strcmp(key, fields[i].name))
			return (char **)(void *)((char *)in + fields[i].off);
	return NULL;
}

static enum mc_result
jp_secondaries(struct jsonin *j, struct settings_in *in)
{
	struct settings_secondary *s;
	char *key = NULL, *val = NULL, **dst;
	enum mc_result r;

	if (in->has_secondaries++)
		return jsonin_fail(j, "secondaries given twice");
	if (!jsonin_eat(j, '['))
		return jsonin_fail(j, "secondaries must be an array");
	if (jsonin_eat(j, ']'))
		return MC_OK;
	do {
		if (in->nsec == SETTINGS_MAX_SEC_IN)
			return jsonin_fail(j, "too many secondaries");
		s = &in->sec[in->nsec++];
		if (!jsonin_eat(j, '{'))
			return jsonin_fail(j, "a secondary must be an object");
		if (jsonin_eat(j, '}'))
			continue;
		do {
			if ((r = jsonin_string(j, &key)) != MC_OK)
				return r;
			if (!jsonin_eat(j, ':')) {
				free(key);
				return jsonin_fail(j, "expected ':'");
			}
			dst = !strcmp(key, "name") ? &s->name :
			    !strcmp(key, "address") ? &s->address :
			    !strcmp(key, "method") ? &s->method : NULL;
			free(key);
			if (dst == NULL)
				return jsonin_fail(j, "unknown key in a secondary "
				    "(name, address, method)");
			if (*dst != NULL)
				return jsonin_fail(j, "key given twice");
			if ((r = jsonin_scalar(j, &val)) != MC_OK)
				return r;
			*dst = val;
		} while (jsonin_eat(j, ','));
		if (!jsonin_eat(j, '}'))
			return jsonin_fail(j, "expected '}'");
	} while (jsonin_eat(j, ','));
	if (!jsonin_eat(j, ']'))
		return jsonin_fail(j, "expected ']'");
	return MC_OK;
}

enum mc_result
settings_parse_json(const char *text, size_t len, struct settings_in *in,
    struct mc_err *err)
{
	struct jsonin j;
	char *key = NULL, *val = NULL, **dst;
	enum mc_result r = MC_OK;

	memset(in, 0, sizeof(*in));
	jsonin_init(&j, text, len, "settings", err);
	if (len > SETTINGS_MAX_INPUT)
		return mc_err_set(err, MC_E_USAGE, "settings: input larger "
		    "than %d bytes", SETTINGS_MAX_INPUT);
	if (memchr(text, '\0', len) != NULL)
		return mc_err_set(err, MC_E_USAGE, "settings: NUL in input");
	if (!jsonin_eat(&j, '{'))
		return jsonin_fail(&j, "expected a JSON object");
	if (!jsonin_eat(&j, '}')) {
		do {
			if ((r = jsonin_string(&j, &key)) != MC_OK)
				break;
			if (!jsonin_eat(&j, ':')) {
				r = jsonin_fail(&j, "expected ':'");
				break;
			}
			if (!strcmp(key, "secondaries")) {
				if ((r = jp_secondaries(&j, in)) != MC_OK)
					break;
			} else if ((dst = settings_field(in, key)) == NULL) {
				r = mc_err_set(err, MC_E_USAGE, "settings: "
				    "unknown key '%.40s'", key);
				break;
			} else if (*dst != NULL) {
				r = mc_err_set(err, MC_E_USAGE, "settings: "
				    "'%.40s' given twice", key);
				break;
			} else if ((r = jsonin_scalar(&j, &val)) != MC_OK)
				break;
			else
				*dst = val;
			free(key);
			key = NULL;
		} while (jsonin_eat(&j, ','));
		if (r == MC_OK && !jsonin_eat(&j, '}'))
			r = jsonin_fail(&j, "expected '}' or ','");
	}
	free(key);
	if (r == MC_OK && !jsonin_end(&j))
		r = jsonin_fail(&j, "trailing data after the object");
	if (r != MC_OK)
		settings_in_free(in);
	return r;
}

void
settings_in_free(struct settings_in *in)
{
	size_t i;

	free(in->url);
	free(in->auth);
	free(in->login);
	if (in->secret != NULL) {
		explicit_bzero(in->secret, strlen(in->secret));
		free(in->secret);
	}
	free(in->pin);
	free(in->new_ip);
	free(in->lowered_ttl);
	free(in->restored_ttl);
	free(in->min_wait);
	free(in->quiet_hours);
	for (i = 0; i < in->nsec; i++) {
		free(in->sec[i].name);
		free(in->sec[i].address);
		free(in->sec[i].method);
	}
	memset(in, 0, sizeof(*in));
}

/* ------------------------------------------------------------- merging */

/* A value that goes into one config line: printable, no '#', bounded. */
static int
line_safe(const char *v)
{
	const unsigned char *p;

	for (p = (const unsigned char *)v; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '#')
			return 0;
	return p - (const unsigned char *)v <= 512;
}

static int
url_ok(const char *v)
{
	const char *host = v + 8;

	return strncmp(v, "https://", 8) == 0 && line_safe(v) &&
	    (isalnum((unsigned char)*host) || *host == '[') &&
	    strpbrk(v, " \t\"'<>\\`{}|^") == NULL && !url_has_userinfo(v);
}

static int
window_ok(const char *v)
{
	int start, end;

	return text_window(v, &start, &end);
}

static int
secret_ok(const char *v)
{
	const unsigned char *p;

	for (p = (const unsigned char *)v; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return p != (const unsigned char *)v &&
	    p - (const unsigned char *)v <= SETTINGS_MAX_SECRET;
}

static enum mc_result
set_or_clear(struct ini *ini, const char *sect, const char *key,
    const char *v, struct mc_err *err)
{
	if (v == NULL)
		return MC_OK;
	return ini_set(ini, sect, key, *v == '\0' ? NULL : v, err);
}

static enum mc_result
merge_secondary(struct ini *ini, const struct settings_secondary *s,
    struct mc_err *err)
{
	static const char *const methods[] = { "notify", "plesk", "rndc",
	    "manual" };
	static const char *const rndc_keys[] = { "rndc_key", "rndc_server",
	    "rndc_port" };
	char sect[96];
	size_t i;
	enum mc_result r;

	if (s->name == NULL || *s->name == '\0' || strlen(s->name) > 63 ||
	    strspn(s->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
	    "WXYZ0123456789.-_") != strlen(s->name))
		return mc_err_set(err, MC_E_CONFIG, "secondary name '%.60s' "
		    "must be letters, digits, . - _", s->name ? s->name : "");
	snprintf(sect, sizeof(sect), "secondary %s", s->name);
	if (s->address != NULL && !valid_ip(s->address))
		return mc_err_set(err, MC_E_CONFIG, "secondary %s: address "
		    "'%.60s' is not an IP address", s->name, s->address);
	if (s->method != NULL) {
		for (i = 0; i < 4; i++)
			if (!strcmp(s->method, methods[i]))
				break;
		if (i == 4)
			return mc_err_set(err, MC_E_CONFIG, "secondary %s: "
			    "method '%.30s' must be notify, plesk, rndc or "
			    "manual", s->name, s->method);
		if (strcmp(s->method, "rndc") != 0)
			for (i = 0; i < 3; i++)
				if ((r = ini_set(ini, sect, rndc_keys[i], NULL,
				    err)) != MC_OK)
					return r;
	}
	if (ini_sect(ini, sect, 0) == NULL && s->address == NULL)
		return mc_err_set(err, MC_E_CONFIG, "secondary %s: a new "
		    "secondary needs its address", s->name);
	if (s->address != NULL &&
	    (r = ini_set(ini, sect, "address", s->address, err)) != MC_OK)
		return r;
	if (s->method != NULL &&
	    (r = ini_set(ini, sect, "method", s->method, err)) != MC_OK)
		return r;
	return MC_OK;
}

static enum mc_result
check_ulong(const char *what, const char *v, struct mc_err *err)
{
	unsigned long n;

	if (v != NULL && !parse_ulong(v, 1, 2147483647UL, &n))
		return mc_err_set(err, MC_E_CONFIG, "%s '%.30s' must be whole "
		    "seconds", what, v);
	return MC_OK;
}

/* every value of the request on its own, with a message naming it */
static enum mc_result
check_values(const struct settings_in *in, struct mc_err *err)
{
	enum mc_result r;

	/* not echoed: the password would be in the message */
	if (in->url != NULL && url_has_userinfo(in->url))
		return mc_err_set(err, MC_E_CONFIG, "the URL must not hold a "
		    "user or password (user:password@): the secret has its own "
		    "field");
	if (in->url != NULL && !url_ok(in->url))
		return mc_err_set(err, MC_E_CONFIG, "URL '%.100s' is not an "
		    "https:// URL such as https://panel.example.com:8443",
		    in->url);
	if (in->auth != NULL && strcmp(in->auth, "key") != 0 &&
	    strcmp(in->auth, "login") != 0)
		return mc_err_set(err, MC_E_CONFIG, "auth '%.30s' must be key "
		    "or login", in->auth);
	if (in->login != NULL && (!line_safe(in->login) ||
	    strpbrk(in->login, " \t") != NULL))
		return mc_err_set(err, MC_E_CONFIG, "login must not contain "
		    "spaces or control characters");
	if (in->secret != NULL && *in->secret != '\0' && !secret_ok(in->secret))
		return mc_err_set(err, MC_E_CONFIG, "the secret must be one "
		    "line of at most %d printable characters",
		    SETTINGS_MAX_SECRET);
	if (in->pin != NULL && *in->pin != '\0' && !valid_pin(in->pin))
		return mc_err_set(err, MC_E_CONFIG, "pin '%.80s' must be "
		    "sha256//<44 base64 characters> (see `mailcutover pin "
		    "URL`)", in->pin);
	if (in->new_ip != NULL && *in->new_ip != '\0' && !valid_ip(in->new_ip))
		return mc_err_set(err, MC_E_CONFIG, "new IP '%.60s' is not an "
		    "IPv4 or IPv6 address", in->new_ip);
	if (in->quiet_hours != NULL && *in->quiet_hours != '\0' &&
	    !window_ok(in->quiet_hours))
		return mc_err_set(err, MC_E_CONFIG, "quiet hours '%.30s' must "
		    "be HH:MM-HH:MM", in->quiet_hours);
	if ((r = check_ulong("lowered TTL", in->lowered_ttl, err)) != MC_OK ||
	    (r = check_ulong("restored TTL", in->restored_ttl, err)) != MC_OK)
		return r;
	return check_ulong("minimum wait", in->min_wait, err);
}

/* the request's fields and where they go in the file, in this order */
static const struct {
	const char	*sect, *key;
	size_t		 off;		/* a char * of struct settings_in */
} places[] = {
#define P(s, k) { s, #k, offsetof(struct settings_in, k) }
	P("source", url), P("source", auth), P("source", login),
	P("source", pin), P("cutover", new_ip), P("cutover", lowered_ttl),
	P("cutover", restored_ttl), P("cutover", min_wait),
	P("cutover", quiet_hours),
#undef P
};

static enum mc_result
set_values(struct ini *ini, const struct settings_in *in, struct mc_err *err)
{
	enum mc_result r;
	size_t i;

	for (i = 0; i < sizeof(places) / sizeof(places[0]); i++)
		if ((r = set_or_clear(ini, places[i].sect, places[i].key,
		    *(char *const *)(const void *)((const char *)in +
		    places[i].off), err)) != MC_OK)
			return r;
	for (i = 0; i < in->nsec; i++)
		if ((r = merge_secondary(ini, &in->sec[i], err)) != MC_OK)
			return r;
	return MC_OK;
}

/* is file a plain name in the directory of config ("/d/x" beside
 * "/d/c.conf")? */
static int
beside(const char *file, const char *config)
{
	const char *fs = strrchr(file, '/'), *cs = strrchr(config, '/');

	return fs != NULL && cs != NULL && fs - file == cs - config &&
	    strncmp(file, config, (size_t)(fs - file)) == 0 &&
	    fs[1] != '\0' && strcmp(fs + 1, ".") != 0 &&
	    strcmp(fs + 1, "..") != 0 && strcmp(fs + 1, cs + 1) != 0;
}

/* a new secret goes to the file the config names (or a default beside
 * the config), which must be in the config's directory; *path gets it
 * (malloc'd) */
static enum mc_result
secret_file(struct ini *ini, const char *config_path, char **path,
    struct mc_err *err)
{
	const char *sf = ini_get(ini, "source", "secret_file");
	char *dir = NULL, *tmp;
	enum mc_result r;

	if (sf == NULL || !strcmp(sf, "-")) {
		if ((tmp = strdup(config_path)) == NULL)
			return mc_err_set(err, MC_E_NOMEM, "out of memory");
		if (asprintf(&dir, "%s/source.secret", dirname(tmp)) < 0)
			dir = NULL;
		free(tmp);
		if (dir == NULL)
			return mc_err_set(err, MC_E_NOMEM, "out of memory");
		if (dir[0] != '/') {
			free(dir);
			return mc_err_set(err, MC_E_CONFIG, "the config path "
			    "must be absolute to store a secret");
		}
		r = ini_set(ini, "source", "secret_file", dir, err);
		free(dir);
		if (r != MC_OK)
			return r;
		sf = ini_get(ini, "source", "secret_file");
	}
	if (!beside(sf, config_path))
		return mc_err_set(err, MC_E_CONFIG, "secret_file %.200s: a new "
		    "secret is written only into the config's own directory; "
		    "refused", sf);
	if ((*path = strdup(sf)) == NULL)
		return mc_err_set(err, MC_E_NOMEM, "out of memory");
	return MC_OK;
}

enum mc_result
settings_merge(struct ini *ini, const struct settings_in *in,
    const char *config_path, char **text_out, char **secret_path,
    struct mc_err *err)
{
	struct config *c = NULL;
	char *text;
	enum mc_result r;

	*text_out = NULL;
	*secret_path = NULL;
	if ((r = check_values(in, err)) != MC_OK ||
	    (r = set_values(ini, in, err)) != MC_OK)
		return r;
	if (in->secret != NULL && *in->secret != '\0' &&
	    (r = secret_file(ini, config_path, secret_path, err)) != MC_OK)
		return r;
	/* then the whole file, by the helper's own rules */
	if ((text = ini_render(ini)) == NULL)
		r = mc_err_set(err, MC_E_NOMEM, "out of memory");
	else if ((r = config_parse(config_path, text, &c, err)) == MC_OK) {
		config_free(c);
		*text_out = text;
		return MC_OK;
	}
	free(text);
	free(*secret_path);
	*secret_path = NULL;
	return r;
}
