/* config.c -- parse and check the configuration file. */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "proto.h"
#include "valid.h"

#define CONFIG_MAX (256 * 1024)

static void
panel_defaults(struct panel_conf *p, const char *role)
{
	memset(p, 0, sizeof(*p));
	p->role = role;
	p->auth = AUTH_KEY;
	p->connect_timeout_ms = 10000;
	p->timeout_ms = 300000;
	p->max_body = TRANSPORT_MAX_BODY_DEFAULT;
	p->batch_max = 100;
}

static void
panel_clear(struct panel_conf *p)
{
	free(p->url);
	free(p->login);
	free(p->secret_file);
	free(p->pin);
	free(p->cafile);
	free(p->protocol);
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	panel_clear(&c->source);
	panel_clear(&c->target);
	free(c->path);
	free(c);
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
parse_bool(const char *v, int *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") ||
	    !strcmp(v, "1"))
		*out = 1;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") ||
	    !strcmp(v, "0"))
		*out = 0;
	else
		return 0;
	return 1;
}

static enum mc_result
set_str(char **dst, const char *v, const char *name, int line, const char *key,
    struct mc_err *err)
{
	if (*dst != NULL)
		return mc_err_set(err, MC_E_CONFIG, "%s:%d: %s given twice",
		    name, line, key);
	if ((*dst = strdup(v)) == NULL)
		return mc_err_set(err, MC_E_NOMEM, "out of memory");
	return MC_OK;
}

static enum mc_result
panel_key(struct panel_conf *p, const char *key, const char *v,
    const char *name, int line, struct mc_err *err)
{
	unsigned long n;
	size_t sz;

#define BAD(what) mc_err_set(err, MC_E_CONFIG, "%s:%d: [%s] %s: %s", name, \
	line, p->role, key, what)
	if (!strcmp(key, "url")) {
		if (strncmp(v, "https://", 8) != 0 || strlen(v) < 9 ||
		    strpbrk(v, " \t\"'<>\\") != NULL)
			return BAD("must be an https:// URL such as "
			    "https://panel.example.com:8443");
		return set_str(&p->url, v, name, line, key, err);
	}
	if (!strcmp(key, "auth")) {
		if (!strcmp(v, "key"))
			p->auth = AUTH_KEY;
		else if (!strcmp(v, "login"))
			p->auth = AUTH_LOGIN;
		else
			return BAD("must be key or login");
		return MC_OK;
	}
	if (!strcmp(key, "login")) {
		for (sz = 0; v[sz] != '\0'; sz++)
			if ((unsigned char)v[sz] < 0x21 || v[sz] == 0x7f)
				return BAD("must not contain spaces or "
				    "control characters");
		return set_str(&p->login, v, name, line, key, err);
	}
	if (!strcmp(key, "secret_file")) {
		if (strcmp(v, "-") != 0 && v[0] != '/')
			return BAD("must be an absolute path, or - for stdin");
		return set_str(&p->secret_file, v, name, line, key, err);
	}
	if (!strcmp(key, "pin")) {
		if (!valid_pin(v))
			return BAD("must be sha256//<44 base64 characters> "
			    "(see `mailcutover pin URL`)");
		return set_str(&p->pin, v, name, line, key, err);
	}
	if (!strcmp(key, "cafile")) {
		if (v[0] != '/')
			return BAD("must be an absolute path");
		return set_str(&p->cafile, v, name, line, key, err);
	}
	if (!strcmp(key, "insecure")) {
		if (!parse_bool(v, &p->insecure))
			return BAD("must be yes or no");
		return MC_OK;
	}
	if (!strcmp(key, "connect_timeout") || !strcmp(key, "timeout")) {
		if (!parse_ulong(v, 1, 3600, &n))
			return BAD("must be whole seconds from 1 to 3600");
		if (key[0] == 'c')
			p->connect_timeout_ms = (long)n * 1000;
		else
			p->timeout_ms = (long)n * 1000;
		return MC_OK;
	}
	if (!strcmp(key, "max_response")) {
		if (!parse_size(v, (size_t)1 << 30, &sz) || sz < 4096)
			return BAD("must be a size from 4K to 1G, such as 64M");
		p->max_body = sz;
		return MC_OK;
	}
	if (!strcmp(key, "batch_size")) {
		if (!parse_ulong(v, 1, 10000, &n))
			return BAD("must be a whole number from 1 to 10000");
		p->batch_max = n;
		return MC_OK;
	}
	if (!strcmp(key, "protocol")) {
		if (!strcmp(v, "auto"))
			return MC_OK;
		if (!proto_valid(v))
			return BAD("must be auto or a version such as 1.6.7.0");
		return set_str(&p->protocol, v, name, line, key, err);
	}
	return mc_err_set(err, MC_E_CONFIG, "%s:%d: [%s] unknown key '%.60s'",
	    name, line, p->role, key);
#undef BAD
}

static enum mc_result
panel_check(const struct panel_conf *p, const char *name, struct mc_err *err)
{
	if (!p->present)
		return MC_OK;
	if (p->url == NULL)
		return mc_err_set(err, MC_E_CONFIG, "%s:%d: [%s] has no url",
		    name, p->line, p->role);
	if (p->secret_file == NULL)
		return mc_err_set(err, MC_E_CONFIG, "%s:%d: [%s] has no "
		    "secret_file (a root-only file holding the key or "
		    "password, or - for stdin)", name, p->line, p->role);
	if (p->auth == AUTH_LOGIN && p->login == NULL)
		return mc_err_set(err, MC_E_CONFIG, "%s:%d: [%s] auth = login "
		    "needs login =", name, p->line, p->role);
	if (p->insecure && (p->pin != NULL || p->cafile != NULL))
		return mc_err_set(err, MC_E_CONFIG, "%s:%d: [%s] insecure "
		    "cannot be combined with pin or cafile", name, p->line,
		    p->role);
	return MC_OK;
}

enum mc_result
config_parse(const char *name, const char *text, struct config **out,
    struct mc_err *err)
{
	struct config *c;
	struct panel_conf *cur = NULL;
	char *buf = NULL, *line, *next, *eq, *key, *val;
	enum mc_result result = MC_OK;
	int lineno = 0;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->path = strdup(name)) == NULL ||
	    (buf = strdup(text)) == NULL) {
		config_free(c);
		return mc_err_set(err, MC_E_NOMEM, "out of memory");
	}
	panel_defaults(&c->source, "source");
	panel_defaults(&c->target, "target");
	for (line = buf; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((eq = strchr(line, '#')) != NULL)
			*eq = '\0';
		line = trim(line);
		if (*line == '\0')
			continue;
		if (*line == '[') {
			if (!strcmp(line, "[source]"))
				cur = &c->source;
			else if (!strcmp(line, "[target]"))
				cur = &c->target;
			else {
				result = mc_err_set(err, MC_E_CONFIG, "%s:%d: "
				    "unknown section %.60s", name, lineno,
				    line);
				break;
			}
			if (cur->present) {
				result = mc_err_set(err, MC_E_CONFIG, "%s:%d: "
				    "section %s given twice", name, lineno,
				    line);
				break;
			}
			cur->present = 1;
			cur->line = lineno;
			continue;
		}
		if ((eq = strchr(line, '=')) == NULL) {
			result = mc_err_set(err, MC_E_CONFIG, "%s:%d: expected "
			    "key = value", name, lineno);
			break;
		}
		*eq = '\0';
		key = trim(line);
		val = trim(eq + 1);
		if (cur == NULL) {
			result = mc_err_set(err, MC_E_CONFIG, "%s:%d: '%.60s' "
			    "outside of a [source] or [target] section", name,
			    lineno, key);
			break;
		}
		if (*val == '\0') {
			result = mc_err_set(err, MC_E_CONFIG, "%s:%d: [%s] "
			    "%.60s has no value", name, lineno, cur->role, key);
			break;
		}
		if ((result = panel_key(cur, key, val, name, lineno, err)))
			break;
	}
	free(buf);
	if (result == MC_OK && !c->source.present)
		result = mc_err_set(err, MC_E_CONFIG, "%s: no [source] section "
		    "(the old server's panel)", name);
	if (result == MC_OK)
		result = panel_check(&c->source, name, err);
	if (result == MC_OK)
		result = panel_check(&c->target, name, err);
	if (result != MC_OK) {
		config_free(c);
		return result;
	}
	*out = c;
	return MC_OK;
}

enum mc_result
config_load(const char *path, struct config **out, struct mc_err *err)
{
	FILE *f;
	struct stat st;
	char *text;
	size_t n;
	enum mc_result result;

	*out = NULL;
	if ((f = fopen(path, "re")) == NULL)
		return mc_err_set(err, MC_E_CONFIG, "config %s: %s", path,
		    strerror(errno));
	if (fstat(fileno(f), &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > CONFIG_MAX) {
		fclose(f);
		return mc_err_set(err, MC_E_CONFIG, "config %s: not a regular "
		    "file of at most %d bytes", path, CONFIG_MAX);
	}
	if ((text = malloc((size_t)st.st_size + 1)) == NULL) {
		fclose(f);
		return mc_err_set(err, MC_E_NOMEM, "out of memory");
	}
	n = fread(text, 1, (size_t)st.st_size, f);
	text[n] = '\0';
	fclose(f);
	if (strlen(text) != n) {
		free(text);
		return mc_err_set(err, MC_E_CONFIG, "config %s: contains a NUL "
		    "byte", path);
	}
	result = config_parse(path, text, out, err);
	free(text);
	return result;
}
