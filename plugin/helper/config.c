/* config.c -- parse and check the configuration file. */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_key.h"
#include "ini.h"
#include "text.h"

#define CONFIG_MAX (256 * 1024)

static enum mc_result panel_check(const struct panel_conf *, const char *,
    struct mc_err *);

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

static void
cutover_defaults(struct cutover_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->lowered_ttl = 600;
	c->restored_ttl = 86400;
	c->min_wait = CONFIG_MIN_WAIT;
	c->quiet_start = c->quiet_end = -1;
	c->switch_timeout = 120;
	c->sync_timeout = 300;
	c->dns_rate = 50;
	c->dns_timeout_ms = 1000;
	c->dns_port = 53;
	c->quiet_max = CONFIG_QUIET_MAX;
	c->quiet_gate = 1;
}

void
config_free(struct config *c)
{
	size_t i;

	if (c == NULL)
		return;
	panel_clear(&c->source);
	panel_clear(&c->target);
	for (i = 0; i < c->cutover.nrecords; i++)
		free(c->cutover.records[i]);
	for (i = 0; i < c->cutover.nparent_dns; i++)
		free(c->cutover.parent_dns[i]);
	for (i = 0; i < c->cutover.nnew_ns; i++)
		free(c->cutover.new_ns[i]);
	for (i = 0; i < c->cutover.nroot_hints; i++)
		free(c->cutover.root_hints[i]);
	free(c->cutover.new_ip);
	free(c->cutover.new_ip6);
	for (i = 0; i < c->cutover.nold_ip; i++)
		free(c->cutover.old_ip[i]);
	free(c->cutover.state_dir);
	free(c->cutover.primary_dns);
	free(c->cutover.mail_cafile);
	free(c->cutover.dkim_selector);
	free(c->cutover.resolver);
	for (i = 0; i < c->nsecondaries; i++) {
		struct secondary_conf *s = &c->secondaries[i];
		panel_clear(&s->panel);
		free(s->name);
		free(s->label);
		free(s->address);
		free(s->rndc_key);
		free(s->rndc_server);
	}
	free(c->path);
	free(c);
}

static enum mc_result
secondary_check(struct secondary_conf *s, const char *name,
    struct mc_err *err)
{
	if (s->address == NULL)
		return mc_err_set(err, MC_E_CONFIG, "%s:%d: [%s] has no address",
		    name, s->line, s->label);
	if (s->method == REFRESH_PLESK) {
		if (!s->panel.present)
			return mc_err_set(err, MC_E_CONFIG, "%s:%d: [%s] method "
			    "plesk needs url and secret_file of the secondary's "
			    "panel", name, s->line, s->label);
		return panel_check(&s->panel, name, err);
	}
	if (s->panel.present)
		return mc_err_set(err, MC_E_CONFIG, "%s:%d: [%s] panel keys "
		    "(url, secret_file, ...) only go with method plesk", name,
		    s->line, s->label);
	if (s->method == REFRESH_RNDC && s->rndc_key == NULL)
		return mc_err_set(err, MC_E_CONFIG, "%s:%d: [%s] method rndc "
		    "needs rndc_key", name, s->line, s->label);
	if (s->method != REFRESH_RNDC && (s->rndc_key || s->rndc_server))
		return mc_err_set(err, MC_E_CONFIG, "%s:%d: [%s] rndc_* keys "
		    "only go with method rndc", name, s->line, s->label);
	if (s->rndc_port == 0)
		s->rndc_port = 953;
	return MC_OK;
}

static enum mc_result
cutover_check(struct cutover_conf *c, const char *name, struct mc_err *err)
{
	static const char *const defaults[] = { "mail", "lists", "webmail" };
	size_t i;

	if (c->nrecords == 0)
		for (i = 0; i < 3; i++)
			if ((c->records[c->nrecords++] = strdup(defaults[i])) ==
			    NULL)
				return mc_err_set(err, MC_E_NOMEM, "out of memory");
	if (c->dkim_selector == NULL &&
	    (c->dkim_selector = strdup("default")) == NULL)
		return mc_err_set(err, MC_E_NOMEM, "out of memory");
	if (c->state_dir == NULL &&
	    (c->state_dir = strdup("/var/lib/mailcutover")) == NULL)
		return mc_err_set(err, MC_E_NOMEM, "out of memory");
	if (!c->test_timings && c->lowered_ttl < CONFIG_MIN_LOWERED_TTL)
		return mc_err_set(err, MC_E_CONFIG, "%s: [cutover] lowered_ttl "
		    "%lu is below the minimum of %d s (test_timings = yes "
		    "allows it, for test beds only)", name, c->lowered_ttl,
		    CONFIG_MIN_LOWERED_TTL);
	if (!c->test_timings && c->min_wait < CONFIG_MIN_WAIT)
		return mc_err_set(err, MC_E_CONFIG, "%s: [cutover] min_wait %lu "
		    "is below the minimum of %d s (15 min; test_timings = yes "
		    "allows it, for test beds only)", name, c->min_wait,
		    CONFIG_MIN_WAIT);
	if (!c->test_timings && !c->quiet_gate)
		return mc_err_set(err, MC_E_CONFIG, "%s: [cutover] quiet_gate = "
		    "off is for test beds only (test_timings = yes)", name);
	if (!c->test_timings && c->quiet_window != 0 &&
	    c->quiet_window < CONFIG_MIN_LOWERED_TTL)
		return mc_err_set(err, MC_E_CONFIG, "%s: [cutover] quiet_window "
		    "%lu is below the minimum of %d s (test_timings = yes "
		    "allows it, for test beds only)", name, c->quiet_window,
		    CONFIG_MIN_LOWERED_TTL);
	if (c->quiet_window > c->quiet_max)
		return mc_err_set(err, MC_E_CONFIG, "%s: [cutover] quiet_window "
		    "is above quiet_max", name);
	if (c->restored_ttl < c->lowered_ttl)
		return mc_err_set(err, MC_E_CONFIG, "%s: [cutover] restored_ttl "
		    "is below lowered_ttl", name);
	return MC_OK;
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

static int
section_name_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '.' ||
		    s[i] == '-' || s[i] == '_'))
			return 0;
	return i > 0 && i < 64;
}

/* Where config_parse is in the file: the section of the current line. */
struct cparse {
	const char		*name;		/* file name, for messages */
	struct config		*c;
	struct panel_conf	*cur;		/* [source] or [target] */
	struct secondary_conf	*sec;		/* [secondary NAME] */
	int			 in_cutover, seen_cutover;
	char			 seen[64][64];	/* keys of this section */
	size_t			 nseen;
	struct mc_err		*err;
};

/* "[secondary NAME]": a new secondary, its name checked */
static enum mc_result
section_secondary(struct cparse *p, char *line, int lineno)
{
	struct config *c = p->c;
	char *key;
	size_t i;

	line[strlen(line) - 1] = '\0';
	key = text_trim(line + 11);
	if (!section_name_ok(key))
		return mc_err_set(p->err, MC_E_CONFIG, "%s:%d: secondary name "
		    "'%.60s' must be letters, digits, . - _", p->name, lineno,
		    key);
	for (i = 0; i < c->nsecondaries; i++)
		if (!strcmp(c->secondaries[i].name, key))
			break;
	if (i < c->nsecondaries || c->nsecondaries == CONFIG_MAX_SECONDARIES)
		return mc_err_set(p->err, MC_E_CONFIG, "%s:%d: [secondary %s] "
		    "%s", p->name, lineno, key, i < c->nsecondaries ?
		    "given twice" : "is one too many");
	p->sec = &c->secondaries[c->nsecondaries++];
	p->sec->line = lineno;
	if ((p->sec->name = strdup(key)) == NULL ||
	    asprintf(&p->sec->label, "secondary %s", key) < 0) {
		p->sec->label = NULL;
		return mc_err_set(p->err, MC_E_NOMEM, "out of memory");
	}
	panel_defaults(&p->sec->panel, p->sec->label);
	p->sec->panel.line = lineno;
	return MC_OK;
}

/* a line starting with '[': only the four kinds of section exist */
static enum mc_result
section(struct cparse *p, char *line, int lineno)
{
	p->nseen = 0;
	p->cur = NULL;
	p->sec = NULL;
	p->in_cutover = 0;
	if (!strcmp(line, "[source]"))
		p->cur = &p->c->source;
	else if (!strcmp(line, "[target]"))
		p->cur = &p->c->target;
	else if (!strcmp(line, "[cutover]")) {
		if (p->seen_cutover++)
			return mc_err_set(p->err, MC_E_CONFIG, "%s:%d: section "
			    "[cutover] given twice", p->name, lineno);
		p->in_cutover = 1;
		return MC_OK;
	} else if (!strncmp(line, "[secondary ", 11) &&
	    line[strlen(line) - 1] == ']')
		return section_secondary(p, line, lineno);
	else
		return mc_err_set(p->err, MC_E_CONFIG, "%s:%d: unknown section "
		    "%.60s", p->name, lineno, line);
	if (p->cur->present)
		return mc_err_set(p->err, MC_E_CONFIG, "%s:%d: section %s given "
		    "twice", p->name, lineno, line);
	p->cur->present = 1;
	p->cur->line = lineno;
	return MC_OK;
}

/* one line of the file (ini_scan) */
static enum mc_result
config_line(void *arg, const struct ini_line *l)
{
	struct cparse *p = arg;
	size_t i;

	if (l->text[0] == '[')
		return section(p, l->text, l->lineno);
	if (l->kind != INI_PAIR)
		return mc_err_set(p->err, MC_E_CONFIG, "%s:%d: expected key = "
		    "value", p->name, l->lineno);
	if (p->cur == NULL && p->sec == NULL && !p->in_cutover)
		return mc_err_set(p->err, MC_E_CONFIG, "%s:%d: '%.60s' outside "
		    "of a section", p->name, l->lineno, l->key);
	if (*l->value == '\0')
		return mc_err_set(p->err, MC_E_CONFIG, "%s:%d: %.60s has no "
		    "value", p->name, l->lineno, l->key);
	for (i = 0; i < p->nseen; i++)
		if (!strcmp(p->seen[i], l->key))
			return mc_err_set(p->err, MC_E_CONFIG, "%s:%d: %.60s "
			    "given twice in this section", p->name, l->lineno,
			    l->key);
	if (p->nseen < 64)
		snprintf(p->seen[p->nseen++], sizeof(p->seen[0]), "%s",
		    l->key);
	if (p->in_cutover)
		return config_key_cutover(&p->c->cutover, l->key, l->value, p->name,
		    l->lineno, p->err);
	if (p->sec != NULL)
		return config_key_secondary(p->sec, l->key, l->value, p->name,
		    l->lineno, p->err);
	return config_key_panel(p->cur, l->key, l->value, p->name, l->lineno,
	    p->err);
}

enum mc_result
config_parse(const char *name, const char *text, struct config **out,
    struct mc_err *err)
{
	struct cparse *p;
	struct config *c;
	enum mc_result result;
	size_t i;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->path = strdup(name)) == NULL ||
	    (p = calloc(1, sizeof(*p))) == NULL) {
		config_free(c);
		return mc_err_set(err, MC_E_NOMEM, "out of memory");
	}
	panel_defaults(&c->source, "source");
	panel_defaults(&c->target, "target");
	cutover_defaults(&c->cutover);
	p->name = name;
	p->c = c;
	p->err = err;
	result = ini_scan(text, config_line, p, err);
	free(p);
	if (result == MC_OK && !c->source.present)
		result = mc_err_set(err, MC_E_CONFIG, "%s: no [source] section "
		    "(the old server's panel)", name);
	if (result == MC_OK)
		result = panel_check(&c->source, name, err);
	if (result == MC_OK)
		result = panel_check(&c->target, name, err);
	if (result == MC_OK)
		result = cutover_check(&c->cutover, name, err);
	for (i = 0; result == MC_OK && i < c->nsecondaries; i++)
		result = secondary_check(&c->secondaries[i], name, err);
	if (result != MC_OK) {
		config_free(c);
		return result;
	}
	*out = c;
	return MC_OK;
}

/* ---- trust: who may have written the config ---- */

/* owned by root or by us; writable by nobody else (a sticky root-owned
 * directory excepted) */
static const char *
owner_wrong(const struct stat *st, int dir)
{
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return "owned by another user";
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return NULL;
	if (dir && (st->st_mode & S_ISVTX) && st->st_uid == 0)
		return NULL;
	return "writable by group or others";
}

/* the directory dir (absolute, resolved) and each one above it */
static enum mc_result
dirs_trusted(char *dir, const char *what, struct mc_err *err)
{
	struct stat st;
	const char *why;
	char *slash;

	for (;;) {
		if (stat(dir[0] != '\0' ? dir : "/", &st) == -1)
			return mc_err_set(err, MC_E_CONFIG, "%s: directory %s: %s",
			    what, dir[0] != '\0' ? dir : "/", strerror(errno));
		if ((why = !S_ISDIR(st.st_mode) ? "not a directory" :
		    owner_wrong(&st, 1)) != NULL)
			return mc_err_set(err, MC_E_CONFIG, "%s: directory %s is "
			    "%s; refused (the config and every directory above "
			    "it must be root's and writable by root only)", what,
			    dir[0] != '\0' ? dir : "/", why);
		if (dir[0] == '\0' || (slash = strrchr(dir, '/')) == NULL)
			return MC_OK;
		*slash = '\0';
	}
}

enum mc_result
config_dir_trusted(const char *dir, struct mc_err *err)
{
	char *real;
	enum mc_result r;

	if ((real = realpath(dir, NULL)) == NULL)
		return mc_err_set(err, MC_E_CONFIG, "directory %s: %s", dir,
		    strerror(errno));
	r = dirs_trusted(real, dir, err);
	free(real);
	return r;
}

enum mc_result
config_trusted(const char *path, int fd, struct mc_err *err)
{
	struct stat st, rst;
	const char *why;
	char *real, *slash;
	enum mc_result r;

	if (fstat(fd, &st) == -1)
		return mc_err_set(err, MC_E_CONFIG, "config %s: %s", path,
		    strerror(errno));
	if ((why = owner_wrong(&st, 0)) != NULL)
		return mc_err_set(err, MC_E_CONFIG, "config %s is %s; refused "
		    "(it must be root's and writable by root only)", path, why);
	/* the directories of the file that was opened, not of a name that
	   may have moved since */
	if ((real = realpath(path, NULL)) == NULL)
		return mc_err_set(err, MC_E_CONFIG, "config %s: %s", path,
		    strerror(errno));
	if (stat(real, &rst) == -1 || rst.st_dev != st.st_dev ||
	    rst.st_ino != st.st_ino)
		r = mc_err_set(err, MC_E_CONFIG, "config %s changed while it "
		    "was read; refused", path);
	else {
		slash = strrchr(real, '/');
		*slash = '\0';
		r = dirs_trusted(real, path, err);
	}
	free(real);
	return r;
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
	if ((result = config_trusted(path, fileno(f), err)) != MC_OK) {
		fclose(f);
		return result;
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
