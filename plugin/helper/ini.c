/* ini.c -- scanning "[section]" / "key = value" text; the editable model
 * the settings page rewrites the configuration through. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ini.h"
#include "text.h"

enum mc_result
ini_scan(const char *text,
    enum mc_result (*cb)(void *, const struct ini_line *), void *arg,
    struct mc_err *err)
{
	struct ini_line l;
	char *buf, *line, *next, *p;
	enum mc_result r = MC_OK;
	int lineno = 0;

	if ((buf = strdup(text)) == NULL)
		return mc_err_set(err, MC_E_NOMEM, "out of memory");
	for (line = buf; line != NULL && r == MC_OK; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		memset(&l, 0, sizeof(l));
		l.lineno = lineno;
		l.kind = INI_OTHER;
		l.text = text_trim(line);
		if (*l.text == '\0')
			continue;
		/* "[name]": the text is kept whole for callers that compare
		   it as it is; name is written into a copy */
		if (l.text[0] == '[' && l.text[strlen(l.text) - 1] == ']') {
			char name[256];

			snprintf(name, sizeof(name), "%.*s",
			    (int)strlen(l.text) - 2, l.text + 1);
			l.kind = INI_SECTION;
			l.name = text_trim(name);
			r = cb(arg, &l);
			continue;
		}
		/* "key = value": split in place (text becomes the key) */
		if (l.text[0] != '[' && (p = strchr(l.text, '=')) != NULL) {
			*p = '\0';
			l.kind = INI_PAIR;
			l.text = l.key = text_trim(l.text);
			l.value = text_trim(p + 1);
		}
		r = cb(arg, &l);
	}
	free(buf);
	return r;
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

struct ini_sect *
ini_sect(struct ini *ini, const char *name, int create)
{
	size_t i;

	for (i = 0; i < ini->n; i++)
		if (!strcmp(ini->s[i].name, name))
			return &ini->s[i];
	if (!create || ini->n == INI_MAX_SECT)
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

enum mc_result
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
	if (s->n == INI_MAX_KEYS || (s->kv[s->n].key = strdup(key)) == NULL) {
		free(v);
		return mc_err_set(err, MC_E_CONFIG, "settings: too many keys "
		    "in [%s]", sect);
	}
	s->kv[s->n++].val = v;
	return MC_OK;
}

struct parse_ctx {
	struct ini	*ini;
	struct ini_sect	*cur;
	struct mc_err	*err;
};

/* one line of ini_parse: "[secondary  x ]" becomes "secondary x" */
static enum mc_result
parse_line(void *arg, const struct ini_line *l)
{
	struct parse_ctx *c = arg;
	char name[96];

	if (l->kind == INI_SECTION) {
		if (!strncmp(l->name, "secondary ", 10))
			snprintf(name, sizeof(name), "secondary %s",
			    text_trim(l->name + 10));
		else
			snprintf(name, sizeof(name), "%s", l->name);
		if ((c->cur = ini_sect(c->ini, name, 1)) == NULL)
			return mc_err_set(c->err, MC_E_CONFIG, "settings: "
			    "too many sections");
		return MC_OK;
	}
	if (l->text[0] == '[')
		return mc_err_set(c->err, MC_E_CONFIG, "settings: line %d: "
		    "bad section line", l->lineno);
	if (c->cur == NULL || l->kind != INI_PAIR)
		return mc_err_set(c->err, MC_E_CONFIG, "settings: line %d: "
		    "not key = value in a section", l->lineno);
	return ini_set(c->ini, c->cur->name, l->key, l->value, c->err);
}

enum mc_result
ini_parse(const char *text, struct ini *ini, struct mc_err *err)
{
	struct parse_ctx c = { ini, NULL, err };
	enum mc_result r;

	memset(ini, 0, sizeof(*ini));
	if ((r = ini_scan(text, parse_line, &c, err)) != MC_OK)
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
