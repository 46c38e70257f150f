/* settings.c -- `mailcutover settings get|set`: read and write the config. */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "config.h"
#include "json.h"
#include "settings.h"
#include "transport.h"
#include "valid.h"

/* ------------------------------------------------------------ JSON input */

/*
 * A strict parser for exactly what the settings page sends: one object of
 * strings, numbers, true/false/null, and one array "secondaries" of flat
 * objects of strings. Bounded in size and depth; anything else is refused.
 */
struct jp {
	const char	*start, *p, *end;
	struct mc_err	*err;
};

static enum mc_result
jp_fail(struct jp *j, const char *what)
{
	return mc_err_set(j->err, MC_E_USAGE, "settings: bad JSON input at "
	    "byte %ld: %s", (long)(j->p - j->start), what);
}

static void
jp_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int
jp_eat(struct jp *j, char c)
{
	jp_ws(j);
	if (j->p < j->end && *j->p == c) {
		j->p++;
		return 1;
	}
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A string into a malloc'd buffer; \u escapes of the BMP only, no NUL. */
static enum mc_result
jp_string(struct jp *j, char **out)
{
	char *buf;
	size_t n = 0, cap;
	unsigned cp;
	int i, h;

	*out = NULL;
	if (!jp_eat(j, '"'))
		return jp_fail(j, "expected a string");
	cap = (size_t)(j->end - j->p) + 1;
	if ((buf = malloc(cap)) == NULL)
		return mc_err_set(j->err, MC_E_NOMEM, "out of memory");
	while (j->p < j->end && *j->p != '"') {
		unsigned char c = (unsigned char)*j->p++;
		if (c < 0x20) {
			free(buf);
			return jp_fail(j, "control character in a string");
		}
		if (c != '\\') {
			buf[n++] = (char)c;
			continue;
		}
		if (j->p >= j->end)
			break;
		c = (unsigned char)*j->p++;
		switch (c) {
		case '"': case '\\': case '/':
			buf[n++] = (char)c;
			break;
		case 'b': buf[n++] = '\b'; break;
		case 'f': buf[n++] = '\f'; break;
		case 'n': buf[n++] = '\n'; break;
		case 'r': buf[n++] = '\r'; break;
		case 't': buf[n++] = '\t'; break;
		case 'u':
			for (cp = 0, i = 0; i < 4; i++) {
				if (j->p >= j->end ||
				    (h = hexval(*j->p++)) < 0) {
					free(buf);
					return jp_fail(j, "bad \\u escape");
				}
				cp = cp * 16 + (unsigned)h;
			}
			if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff)) {
				free(buf);
				return jp_fail(j, "\\u0000 or a surrogate");
			}
			if (cp < 0x80)
				buf[n++] = (char)cp;
			else if (cp < 0x800) {
				buf[n++] = (char)(0xc0 | (cp >> 6));
				buf[n++] = (char)(0x80 | (cp & 0x3f));
			} else {
				buf[n++] = (char)(0xe0 | (cp >> 12));
				buf[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
				buf[n++] = (char)(0x80 | (cp & 0x3f));
			}
			break;
		default:
			free(buf);
			return jp_fail(j, "bad escape");
		}
	}
	if (j->p >= j->end) {
		free(buf);
		return jp_fail(j, "unterminated string");
	}
	j->p++;
	buf[n] = '\0';
	*out = buf;
	return MC_OK;
}

/* A scalar: string, non-negative integer (as text), true/false, or null. */
static enum mc_result
jp_scalar(struct jp *j, char **out)
{
	const char *s;

	*out = NULL;
	jp_ws(j);
	if (j->p < j->end && *j->p == '"')
		return jp_string(j, out);
	if (j->end - j->p >= 4 && !strncmp(j->p, "null", 4)) {
		j->p += 4;
		return MC_OK;	/* null: not given */
	}
	if (j->end - j->p >= 4 && !strncmp(j->p, "true", 4)) {
		j->p += 4;
		*out = strdup("yes");
	} else if (j->end - j->p >= 5 && !strncmp(j->p, "false", 5)) {
		j->p += 5;
		*out = strdup("no");
	} else {
		for (s = j->p; j->p < j->end && isdigit((unsigned char)*j->p);
		    j->p++)
			;
		if (j->p == s || j->p - s > 12)
			return jp_fail(j, "expected a string or a whole number");
		*out = strndup(s, (size_t)(j->p - s));
	}
	if (*out == NULL)
		return mc_err_set(j->err, MC_E_NOMEM, "out of memory");
	return MC_OK;
}

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
jp_secondaries(struct jp *j, struct settings_in *in)
{
	struct settings_secondary *s;
	char *key = NULL, *val = NULL, **dst;
	enum mc_result r;

	if (in->has_secondaries++)
		return jp_fail(j, "secondaries given twice");
	if (!jp_eat(j, '['))
		return jp_fail(j, "secondaries must be an array");
	if (jp_eat(j, ']'))
		return MC_OK;
	do {
		if (in->nsec == SETTINGS_MAX_SEC_IN)
			return jp_fail(j, "too many secondaries");
		s = &in->sec[in->nsec++];
		if (!jp_eat(j, '{'))
			return jp_fail(j, "a secondary must be an object");
		if (jp_eat(j, '}'))
			continue;
		do {
			if ((r = jp_string(j, &key)) != MC_OK)
				return r;
			if (!jp_eat(j, ':')) {
				free(key);
				return jp_fail(j, "expected ':'");
			}
			dst = !strcmp(key, "name") ? &s->name :
			    !strcmp(key, "address") ? &s->address :
			    !strcmp(key, "method") ? &s->method : NULL;
			free(key);
			if (dst == NULL)
				return jp_fail(j, "unknown key in a secondary "
				    "(name, address, method)");
			if (*dst != NULL)
				return jp_fail(j, "key given twice");
			if ((r = jp_scalar(j, &val)) != MC_OK)
				return r;
			*dst = val;
		} while (jp_eat(j, ','));
		if (!jp_eat(j, '}'))
			return jp_fail(j, "expected '}'");
	} while (jp_eat(j, ','));
	if (!jp_eat(j, ']'))
		return jp_fail(j, "expected ']'");
	return MC_OK;
}

enum mc_result
settings_parse_json(const char *text, size_t len, struct settings_in *in,
    struct mc_err *err)
{
	struct jp j = { text, text, text + len, err };
	char *key = NULL, *val = NULL, **dst;
	enum mc_result r = MC_OK;

	memset(in, 0, sizeof(*in));
	if (len > SETTINGS_MAX_INPUT)
		return mc_err_set(err, MC_E_USAGE, "settings: input larger "
		    "than %d bytes", SETTINGS_MAX_INPUT);
	if (memchr(text, '\0', len) != NULL)
		return mc_err_set(err, MC_E_USAGE, "settings: NUL in input");
	if (!jp_eat(&j, '{'))
		return jp_fail(&j, "expected a JSON object");
	if (!jp_eat(&j, '}')) {
		do {
			if ((r = jp_string(&j, &key)) != MC_OK)
				break;
			if (!jp_eat(&j, ':')) {
				r = jp_fail(&j, "expected ':'");
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
			} else if ((r = jp_scalar(&j, &val)) != MC_OK)
				break;
			else
				*dst = val;
			free(key);
			key = NULL;
		} while (jp_eat(&j, ','));
		if (r == MC_OK && !jp_eat(&j, '}'))
			r = jp_fail(&j, "expected '}' or ','");
	}
	free(key);
	jp_ws(&j);
	if (r == MC_OK && j.p != j.end)
		r = jp_fail(&j, "trailing data after the object");
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

/* ------------------------------------------------------ the config as INI */

static char *
ini_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

void
ini_free(struct ini *ini)
{
	size_t i, k;

	for (i = 0; i < ini->n; i++) {
		for (k = 0; k < ini->s[i].n; k++) {
			free(ini->s[i].kv[k].key);
			free(ini->s[i].kv[k].val);
		}
		free(ini->s[i].name);
	}
	memset(ini, 0, sizeof(*ini));
}

static struct ini_sect *
ini_sect(struct ini *ini, const char *name, int create)
{
	size_t i;

	for (i = 0; i < ini->n; i++)
		if (!strcmp(ini->s[i].name, name))
			return &ini->s[i];
	if (!create || ini->n == SETTINGS_MAX_SECT)
		return NULL;
	if ((ini->s[ini->n].name = strdup(name)) == NULL)
		return NULL;
	ini->s[ini->n].n = 0;
	return &ini->s[ini->n++];
}

const char *
ini_get(const struct ini *ini, const char *sect, const char *key)
{
	size_t i, k;

	for (i = 0; i < ini->n; i++)
		if (!strcmp(ini->s[i].name, sect))
			for (k = 0; k < ini->s[i].n; k++)
				if (!strcmp(ini->s[i].kv[k].key, key))
					return ini->s[i].kv[k].val;
	return NULL;
}

/* Set (val != NULL) or delete (val == NULL) sect.key. */
static enum mc_result
ini_set(struct ini *ini, const char *sect, const char *key, const char *val,
    struct mc_err *err)
{
	struct ini_sect *s;
	char *v = NULL;
	size_t k;

	if ((s = ini_sect(ini, sect, val != NULL)) == NULL)
		return val == NULL ? MC_OK : mc_err_set(err, MC_E_CONFIG,
		    "settings: too many sections");
	if (val != NULL && (v = strdup(val)) == NULL)
		return mc_err_set(err, MC_E_NOMEM, "out of memory");
	for (k = 0; k < s->n; k++)
		if (!strcmp(s->kv[k].key, key))
			break;
	if (k < s->n) {
		free(s->kv[k].val);
		if (v != NULL) {
			s->kv[k].val = v;
			return MC_OK;
		}
		free(s->kv[k].key);
		memmove(&s->kv[k], &s->kv[k + 1],
		    (s->n - k - 1) * sizeof(s->kv[0]));
		s->n--;
		return MC_OK;
	}
	if (v == NULL)
		return MC_OK;
	if (s->n == SETTINGS_MAX_KEYS || (s->kv[s->n].key = strdup(key)) ==
	    NULL) {
		free(v);
		return mc_err_set(err, MC_E_CONFIG, "settings: too many keys "
		    "in [%s]", sect);
	}
	s->kv[s->n++].val = v;
	return MC_OK;
}

enum mc_result
ini_parse(const char *text, struct ini *ini, struct mc_err *err)
{
	char *buf, *line, *next, *p, *eq;
	struct ini_sect *cur = NULL;
	enum mc_result r = MC_OK;
	char name[96];

	memset(ini, 0, sizeof(*ini));
	if ((buf = strdup(text)) == NULL)
		return mc_err_set(err, MC_E_NOMEM, "out of memory");
	for (line = buf; line != NULL && r == MC_OK; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		line = ini_trim(line);
		if (*line == '\0')
			continue;
		if (*line == '[') {
			p = line + strlen(line) - 1;
			if (*p != ']') {
				r = mc_err_set(err, MC_E_CONFIG, "settings: "
				    "bad section line '%.60s'", line);
				break;
			}
			*p = '\0';
			p = ini_trim(line + 1);
			if (!strncmp(p, "secondary ", 10))
				snprintf(name, sizeof(name), "secondary %s",
				    ini_trim(p + 10));
			else
				snprintf(name, sizeof(name), "%s", p);
			if ((cur = ini_sect(ini, name, 1)) == NULL)
				r = mc_err_set(err, MC_E_CONFIG, "settings: "
				    "too many sections");
			continue;
		}
		if (cur == NULL || (eq = strchr(line, '=')) == NULL) {
			r = mc_err_set(err, MC_E_CONFIG, "settings: cannot "
			    "read the line '%.60s'", line);
			break;
		}
		*eq = '\0';
		r = ini_set(ini, cur->name, ini_trim(line), ini_trim(eq + 1), err);
	}
	free(buf);
	if (r != MC_OK)
		ini_free(ini);
	return r;
}

char *
ini_render(const struct ini *ini)
{
	char *out = NULL;
	size_t len = 0, i, k;
	FILE *f;

	if ((f = open_memstream(&out, &len)) == NULL)
		return NULL;
	fputs("# Mail Cutover configuration, written by "
	    "`mailcutover settings set`.\n", f);
	for (i = 0; i < ini->n; i++) {
		if (ini->s[i].n == 0)
			continue;
		fprintf(f, "\n[%s]\n", ini->s[i].name);
		for (k = 0; k < ini->s[i].n; k++)
			fprintf(f, "%s = %s\n", ini->s[i].kv[k].key,
			    ini->s[i].kv[k].val);
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
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
	    strpbrk(v, " \t\"'<>\\`{}|^") == NULL;
}

static int
window_ok(const char *v)
{
	unsigned h1, m1, h2, m2;
	char tail;

	return sscanf(v, "%2u:%2u-%2u:%2u%c", &h1, &m1, &h2, &m2, &tail) == 4 &&
	    h1 < 24 && h2 < 24 && m1 < 60 && m2 < 60 && (h1 != h2 || m1 != m2);
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

enum mc_result
settings_merge(struct ini *ini, const struct settings_in *in,
    const char *config_path, char **text_out, char **secret_path,
    struct mc_err *err)
{
	struct config *c = NULL;
	const char *sf;
	char *dir = NULL, *tmp, *text;
	enum mc_result r = MC_OK;
	size_t i;

	*text_out = NULL;
	*secret_path = NULL;
	/* every value on its own first, with a message naming it */
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
	    (r = check_ulong("restored TTL", in->restored_ttl, err)) != MC_OK ||
	    (r = check_ulong("minimum wait", in->min_wait, err)) != MC_OK)
		return r;

	if ((r = set_or_clear(ini, "source", "url", in->url, err)) != MC_OK ||
	    (r = set_or_clear(ini, "source", "auth", in->auth, err)) != MC_OK ||
	    (r = set_or_clear(ini, "source", "login", in->login, err)) !=
	    MC_OK ||
	    (r = set_or_clear(ini, "source", "pin", in->pin, err)) != MC_OK ||
	    (r = set_or_clear(ini, "cutover", "new_ip", in->new_ip, err)) !=
	    MC_OK ||
	    (r = set_or_clear(ini, "cutover", "lowered_ttl", in->lowered_ttl,
	    err)) != MC_OK ||
	    (r = set_or_clear(ini, "cutover", "restored_ttl", in->restored_ttl,
	    err)) != MC_OK ||
	    (r = set_or_clear(ini, "cutover", "min_wait", in->min_wait, err)) !=
	    MC_OK ||
	    (r = set_or_clear(ini, "cutover", "quiet_hours", in->quiet_hours,
	    err)) != MC_OK)
		return r;
	for (i = 0; i < in->nsec; i++)
		if ((r = merge_secondary(ini, &in->sec[i], err)) != MC_OK)
			return r;

	/* a new secret goes to the file the config names (or a default) */
	if (in->secret != NULL && *in->secret != '\0') {
		sf = ini_get(ini, "source", "secret_file");
		if (sf == NULL || !strcmp(sf, "-")) {
			if ((tmp = strdup(config_path)) == NULL)
				return mc_err_set(err, MC_E_NOMEM,
				    "out of memory");
			if (asprintf(&dir, "%s/source.secret", dirname(tmp)) <
			    0)
				dir = NULL;
			free(tmp);
			if (dir == NULL)
				return mc_err_set(err, MC_E_NOMEM,
				    "out of memory");
			if (dir[0] != '/') {
				free(dir);
				return mc_err_set(err, MC_E_CONFIG, "the config "
				    "path must be absolute to store a secret");
			}
			r = ini_set(ini, "source", "secret_file", dir, err);
			free(dir);
			if (r != MC_OK)
				return r;
			sf = ini_get(ini, "source", "secret_file");
		}
		if ((*secret_path = strdup(sf)) == NULL)
			return mc_err_set(err, MC_E_NOMEM, "out of memory");
	}

	/* then the whole file, by the helper's own rules */
	if ((text = ini_render(ini)) == NULL) {
		free(*secret_path);
		*secret_path = NULL;
		return mc_err_set(err, MC_E_NOMEM, "out of memory");
	}
	if ((r = config_parse(config_path, text, &c, err)) != MC_OK) {
		free(text);
		free(*secret_path);
		*secret_path = NULL;
		return r;
	}
	config_free(c);
	*text_out = text;
	return MC_OK;
}

/* ------------------------------------------------------------- writing */

enum mc_result
settings_write_file(const char *path, const char *data, size_t len,
    struct mc_err *err)
{
	char *tmp = NULL, *dcopy;
	size_t off = 0;
	ssize_t n;
	int fd, dfd;
	struct stat st;

	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return mc_err_set(err, MC_E_IO, "%s: not a regular file "
		    "(a symlink?); refused", path);
	if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0)
		return mc_err_set(err, MC_E_NOMEM, "out of memory");
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		mc_err_set(err, MC_E_IO, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return MC_E_IO;
	}
	while (off < len) {
		if ((n = write(fd, data + off, len - off)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			break;
		}
		off += (size_t)n;
	}
	if (off != len || fchmod(fd, 0600) == -1 || fsync(fd) == -1) {
		mc_err_set(err, MC_E_IO, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		free(tmp);
		return MC_E_IO;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		mc_err_set(err, MC_E_IO, "%s: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return MC_E_IO;
	}
	free(tmp);
	if ((dcopy = strdup(path)) != NULL) {
		if ((dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) != -1) {
			(void)fsync(dfd);
			close(dfd);
		}
		free(dcopy);
	}
	return MC_OK;
}

/* ------------------------------------------------------------ commands */

static int
settings_get(const char *config_path, int json)
{
	struct ini ini;
	struct mc_err err = { 0 };
	struct config *c = NULL;
	struct json j;
	struct stat st;
	FILE *f;
	char *text = NULL;
	size_t len = 0, i;
	const char *sf, *v;
	int exists = 0, secret_set = 0;
	static const char *const src_keys[] = { "url", "auth", "login", "pin",
	    "secret_file" };
	static const char *const cut_keys[] = { "new_ip", "lowered_ttl",
	    "restored_ttl", "min_wait", "quiet_hours", "primary_dns" };

	memset(&ini, 0, sizeof(ini));
	if ((f = fopen(config_path, "re")) != NULL) {
		exists = 1;
		text = calloc(1, SETTINGS_MAX_CONFIG + 1);
		if (text != NULL)
			len = fread(text, 1, SETTINGS_MAX_CONFIG, f);
		fclose(f);
		if (text == NULL || ini_parse(text, &ini, &err) != MC_OK)
			memset(&ini, 0, sizeof(ini));
		else if (config_parse(config_path, text, &c, &err) == MC_OK)
			config_free(c);
		(void)len;
		free(text);
	} else if (errno != ENOENT)
		mc_err_set(&err, MC_E_CONFIG, "config %s: %s", config_path,
		    strerror(errno));
	sf = ini_get(&ini, "source", "secret_file");
	if (sf != NULL && strcmp(sf, "-") != 0 && lstat(sf, &st) == 0 &&
	    S_ISREG(st.st_mode) && st.st_size > 0)
		secret_set = 1;
	if (!json) {
		printf("config %s%s\n", config_path, exists ? "" :
		    " (not written yet)");
		for (i = 0; i < sizeof(src_keys) / sizeof(src_keys[0]); i++)
			if ((v = ini_get(&ini, "source", src_keys[i])) != NULL)
				printf("source.%s = %s\n", src_keys[i], v);
		printf("source.secret: %s\n", secret_set ? "set" : "not set");
		for (i = 0; i < sizeof(cut_keys) / sizeof(cut_keys[0]); i++)
			if ((v = ini_get(&ini, "cutover", cut_keys[i])) != NULL)
				printf("cutover.%s = %s\n", cut_keys[i], v);
		if (err.code != MC_OK)
			printf("error: %s\n", err.msg);
	} else {
		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		json_str(&j, "config", config_path);
		json_bool(&j, "exists", exists);
		json_bool(&j, "valid", exists && err.code == MC_OK);
		json_str(&j, "error", err.code == MC_OK ? NULL : err.msg);
		json_obj_open(&j, "source");
		for (i = 0; i < sizeof(src_keys) / sizeof(src_keys[0]); i++)
			json_str(&j, src_keys[i], ini_get(&ini, "source",
			    src_keys[i]));
		json_bool(&j, "secret_set", secret_set);
		json_obj_close(&j);
		json_obj_open(&j, "cutover");
		for (i = 0; i < sizeof(cut_keys) / sizeof(cut_keys[0]); i++)
			json_str(&j, cut_keys[i], ini_get(&ini, "cutover",
			    cut_keys[i]));
		json_obj_close(&j);
		json_arr_open(&j, "secondaries");
		for (i = 0; i < ini.n; i++) {
			if (strncmp(ini.s[i].name, "secondary ", 10) != 0)
				continue;
			json_obj_open(&j, NULL);
			json_str(&j, "name", ini.s[i].name + 10);
			json_str(&j, "address", ini_get(&ini, ini.s[i].name,
			    "address"));
			v = ini_get(&ini, ini.s[i].name, "method");
			json_str(&j, "method", v != NULL ? v : "notify");
			json_obj_close(&j);
		}
		json_arr_close(&j);
		json_obj_close(&j);
		json_end(&j);
	}
	ini_free(&ini);
	return err.code == MC_OK ? 0 : 2;
}

static int
settings_set(const char *config_path, int json)
{
	struct settings_in in;
	struct ini ini;
	struct mc_err err = { 0 };
	struct json j;
	char *buf, *text = NULL, *secret_path = NULL, *sline = NULL;
	size_t len = 0;
	ssize_t n;
	FILE *f;
	enum mc_result r;

	memset(&ini, 0, sizeof(ini));
	if ((buf = malloc(SETTINGS_MAX_INPUT + 1)) == NULL)
		return 1;
	while (len <= SETTINGS_MAX_INPUT &&
	    (n = read(0, buf + len, SETTINGS_MAX_INPUT + 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		len += (size_t)n;
	}
	r = settings_parse_json(buf, len, &in, &err);
	explicit_bzero(buf, SETTINGS_MAX_INPUT + 1);
	free(buf);
	if (r != MC_OK)
		goto out;
	if ((f = fopen(config_path, "re")) != NULL) {
		buf = calloc(1, SETTINGS_MAX_CONFIG + 1);
		if (buf == NULL)
			r = mc_err_set(&err, MC_E_NOMEM, "out of memory");
		else {
			(void)fread(buf, 1, SETTINGS_MAX_CONFIG, f);
			r = ini_parse(buf, &ini, &err);
			free(buf);
		}
		fclose(f);
	} else if (errno != ENOENT)
		r = mc_err_set(&err, MC_E_CONFIG, "config %s: %s", config_path,
		    strerror(errno));
	if (r == MC_OK)
		r = settings_merge(&ini, &in, config_path, &text, &secret_path,
		    &err);
	if (r == MC_OK && secret_path != NULL) {
		if (asprintf(&sline, "%s\n", in.secret) < 0)
			r = mc_err_set(&err, MC_E_NOMEM, "out of memory");
		else {
			r = settings_write_file(secret_path, sline,
			    strlen(sline), &err);
			explicit_bzero(sline, strlen(sline));
			free(sline);
		}
	}
	if (r == MC_OK)
		r = settings_write_file(config_path, text, strlen(text), &err);
out:
	if (json) {
		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		json_str(&j, "command", "settings set");
		json_str(&j, "result", r == MC_OK ? "done" : "failed");
		json_str(&j, "message", r == MC_OK ? "settings saved" :
		    err.msg);
		json_bool(&j, "secret_changed", r == MC_OK &&
		    secret_path != NULL);
		json_obj_close(&j);
		json_end(&j);
	}
	if (r != MC_OK)
		fprintf(stderr, "mailcutover: %s\n", err.msg);
	else if (!json)
		printf("settings saved to %s\n", config_path);
	free(text);
	free(secret_path);
	ini_free(&ini);
	settings_in_free(&in);
	return r == MC_OK ? 0 : r == MC_E_NOMEM || r == MC_E_IO ? 1 : 2;
}

int
settings_main(const char *config_path, int argc, char **argv, int json)
{
	if (argc == 2 && !strcmp(argv[1], "get"))
		return settings_get(config_path, json);
	if (argc == 2 && !strcmp(argv[1], "set"))
		return settings_set(config_path, json);
	fputs("mailcutover: usage: settings get | settings set "
	    "(a JSON object on stdin)\n", stderr);
	return 2;
}

/*
 * `confirm DOMAIN clients yes|no`: the operator's manual check of step 0.3
 * (every mail client uses mail.<domain>), recorded in the audit log.
 */
int
settings_confirm(const struct config *c, int argc, char **argv, int json)
{
	struct mc_err err = { 0 };
	struct json j;
	const char *actor = getenv("MAILCUTOVER_ACTOR");
	enum mc_result r;

	if (argc != 4 || strcmp(argv[2], "clients") != 0 ||
	    (strcmp(argv[3], "yes") != 0 && strcmp(argv[3], "no") != 0)) {
		fputs("mailcutover: usage: confirm DOMAIN clients yes|no\n",
		    stderr);
		return 2;
	}
	if (!valid_domain(argv[1])) {
		fprintf(stderr, "mailcutover: '%.100s' is not a domain name\n",
		    argv[1]);
		return 2;
	}
	r = audit_append(c->cutover.state_dir, argv[1], "confirm-clients",
	    NULL, argv[3], "ok", actor != NULL ? actor : "cli", &err);
	if (json) {
		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		json_str(&j, "command", "confirm");
		json_str(&j, "domain", argv[1]);
		json_str(&j, "result", r == MC_OK ? "done" : "failed");
		json_str(&j, "message", r == MC_OK ? (argv[3][0] == 'y' ?
		    "mail clients confirmed" : "confirmation withdrawn") :
		    err.msg);
		json_obj_close(&j);
		json_end(&j);
	}
	if (r != MC_OK) {
		fprintf(stderr, "mailcutover: %s\n", err.msg);
		return 1;
	}
	return 0;
}
