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

#include "atomicfile.h"
#include "audit.h"
#include "config.h"
#include "ini.h"
#include "json.h"
#include "jsonin.h"
#include "settings.h"
#include "text.h"
#include "transport.h"
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
	    strpbrk(v, " \t\"'<>\\`{}|^") == NULL;
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

/*
 * The configuration and the secret file are written as the journal is
 * (atomicfile.h); a target that is not a regular file (a symlink put
 * there) is refused rather than replaced.
 */
enum mc_result
settings_write_file(const char *path, const char *data, size_t len,
    struct mc_err *err)
{
	char *dcopy, *bcopy;
	struct stat st;
	enum mc_result r;

	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return mc_err_set(err, MC_E_IO, "%s: not a regular file "
		    "(a symlink?); refused", path);
	dcopy = strdup(path);
	bcopy = strdup(path);
	if (dcopy == NULL || bcopy == NULL)
		r = mc_err_set(err, MC_E_NOMEM, "out of memory");
	else
		r = afile_write(dirname(dcopy), basename(bcopy), "file", data,
		    len, err);
	free(dcopy);
	free(bcopy);
	return r;
}

/* ------------------------------------------------------------ commands */

static enum exit_code
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
	return err.code == MC_OK ? EXIT_DONE : EXIT_USAGE;
}

static enum exit_code
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
		return EXIT_FAILED;
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
	return r == MC_OK ? EXIT_DONE : r == MC_E_NOMEM || r == MC_E_IO ?
	    EXIT_FAILED : EXIT_USAGE;
}

enum exit_code
settings_main(const char *config_path, int argc, char **argv, int json)
{
	if (argc == 2 && !strcmp(argv[1], "get"))
		return settings_get(config_path, json);
	if (argc == 2 && !strcmp(argv[1], "set"))
		return settings_set(config_path, json);
	return exit_usage("usage: settings get | settings set (a JSON object "
	    "on stdin)");
}

/*
 * `confirm DOMAIN clients yes|no`: the operator's manual check of step 0.3
 * (every mail client uses mail.<domain>), recorded in the audit log.
 */
enum exit_code
settings_confirm(const struct config *c, int argc, char **argv, int json)
{
	struct mc_err err = { 0 };
	struct json j;
	const char *actor = getenv("MAILCUTOVER_ACTOR");
	enum mc_result r;

	if (argc != 4 || strcmp(argv[2], "clients") != 0 ||
	    (strcmp(argv[3], "yes") != 0 && strcmp(argv[3], "no") != 0)) {
		return exit_usage("usage: confirm DOMAIN clients yes|no");
	}
	if (!valid_domain(argv[1])) {
		return exit_usage("'%.100s' is not a domain name", argv[1]);
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
		return EXIT_FAILED;
	}
	return EXIT_DONE;
}
