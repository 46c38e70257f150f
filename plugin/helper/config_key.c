/* config_key.c -- one key = value line of the configuration, checked
 * and stored: each bad value is an error naming the file, the line, the
 * section and the key. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_key.h"
#include "proto.h"
#include "text.h"
#include "valid.h"

static const char *const method_names[REFRESH__MAX] = {
	[REFRESH_NOTIFY] = "notify",
	[REFRESH_PLESK] = "plesk",
	[REFRESH_RNDC] = "rndc",
	[REFRESH_MANUAL] = "manual",
};

const char *
refresh_method_name(enum refresh_method m)
{
	return (unsigned)m < REFRESH__MAX ? method_names[m] : "?";
}

static const char *const usage_names[USAGE__MAX] = {
	[USAGE_AUTO] = "auto",
	[USAGE_LIVE] = "live",
	[USAGE_DAILY] = "daily",
};

const char *
usage_signal_name(enum usage_signal u)
{
	return (unsigned)u < USAGE__MAX ? usage_names[u] : "?";
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

/* the panel's numbers: timeouts, the reply cap, the batch size */
static enum mc_result
panel_number(struct panel_conf *p, const char *key, const char *v,
    const char *name, int line, struct mc_err *err)
{
	unsigned long n;
	size_t sz;

#define BAD(what) mc_err_set(err, MC_E_CONFIG, "%s:%d: [%s] %s: %s", name, \
	line, p->role, key, what)
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
	return mc_err_set(err, MC_E_CONFIG, "%s:%d: [%s] unknown key '%.60s'",
	    name, line, p->role, key);
#undef BAD
}

enum mc_result
config_key_panel(struct panel_conf *p, const char *key, const char *v,
    const char *name, int line, struct mc_err *err)
{
	size_t sz;

#define BAD(what) mc_err_set(err, MC_E_CONFIG, "%s:%d: [%s] %s: %s", name, \
	line, p->role, key, what)
	if (!strcmp(key, "url")) {
		if (url_has_userinfo(v))
			return BAD("must not hold a user or password (user@ "
			    "or user:password@): the secret goes in "
			    "secret_file");
		if (!valid_https_url(v))
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
	if (!strcmp(key, "protocol")) {
		if (!strcmp(v, "auto"))
			return MC_OK;
		if (!proto_valid(v))
			return BAD("must be auto or a version such as 1.6.7.0");
		return set_str(&p->protocol, v, name, line, key, err);
	}
	return panel_number(p, key, v, name, line, err);
#undef BAD
}

/* Split v on spaces/commas into at most max strings checked by ok(). */
static enum mc_result
set_list(char **dst, size_t *n, size_t max, const char *v, int (*ok)(const char *),
    const char *name, int line, const char *sect, const char *key,
    const char *what, struct mc_err *err)
{
	char *copy, *tok, *save = NULL;
	enum mc_result result = MC_OK;

	if (*n != 0)
		return mc_err_set(err, MC_E_CONFIG, "%s:%d: %s given twice",
		    name, line, key);
	if ((copy = strdup(v)) == NULL)
		return mc_err_set(err, MC_E_NOMEM, "out of memory");
	for (tok = strtok_r(copy, " ,\t", &save); tok != NULL;
	    tok = strtok_r(NULL, " ,\t", &save)) {
		if (*n == max || !ok(tok)) {
			result = mc_err_set(err, MC_E_CONFIG, "%s:%d: [%s] "
			    "%s: '%.60s' %s", name, line, sect, key, tok,
			    *n == max ? "is one too many" : what);
			break;
		}
		if ((dst[*n] = strdup(tok)) == NULL) {
			result = mc_err_set(err, MC_E_NOMEM, "out of memory");
			break;
		}
		(*n)++;
	}
	free(copy);
	if (result == MC_OK && *n == 0)
		result = mc_err_set(err, MC_E_CONFIG, "%s:%d: [%s] %s is empty",
		    name, line, sect, key);
	return result;
}

static int
hint_ok(const char *s)
{
	return valid_ip(s) || (s[0] == '/' && strstr(s, "/../") == NULL);
}

/* root_hints: addresses, or one absolute path to a hints file */
static enum mc_result
root_hints(struct cutover_conf *c, const char *v, const char *name, int line,
    struct mc_err *err)
{
	enum mc_result r;
	size_t i;

	r = set_list(c->root_hints, &c->nroot_hints, CONFIG_MAX_PARENTS, v,
	    hint_ok, name, line, "cutover", "root_hints", "is not an IP "
	    "address or an absolute path", err);
	for (i = 0; r == MC_OK && c->nroot_hints > 1 && i < c->nroot_hints;
	    i++)
		if (c->root_hints[i][0] == '/')
			return mc_err_set(err, MC_E_CONFIG, "%s:%d: [cutover] "
			    "root_hints: either addresses or one file, not "
			    "both", name, line);
	return r;
}

static int
record_label_ok(const char *s)
{
	return *s != '\0' && strchr(s, '.') == NULL && valid_label(s);
}

/* [cutover] keys that are whole numbers within a range */
static const struct {
	const char	*key;
	size_t		 off;		/* an unsigned long of cutover_conf */
	unsigned long	 min, max;
	const char	*what;
} numbers[] = {
#define N(k, f, lo, hi, w) { k, offsetof(struct cutover_conf, f), lo, hi, w }
	N("lowered_ttl", lowered_ttl, 1, 2147483647UL, "must be whole seconds"),
	N("restored_ttl", restored_ttl, 1, 2147483647UL,
	    "must be whole seconds"),
	N("min_wait", min_wait, 1, 2147483647UL, "must be whole seconds"),
	N("switch_timeout", switch_timeout, 1, 86400,
	    "must be whole seconds from 1 to 86400"),
	N("sync_timeout", sync_timeout, 1, 86400,
	    "must be whole seconds from 1 to 86400"),
	N("dns_timeout", dns_timeout_ms, 10, 60000,
	    "must be milliseconds from 10 to 60000"),
	N("dns_port", dns_port, 1, 65535, "must be a port from 1 to 65535"),
	N("dns_rate", dns_rate, 1, 100000,
	    "must be questions per second per server, from 1 to 100000"),
	N("quiet_window", quiet_window, 1, 2147483647UL,
	    "must be whole seconds"),
	N("quiet_max", quiet_max, 1, 2147483647UL, "must be whole seconds"),
#undef N
};

/* [cutover] keys that are one address */
static const struct {
	const char	*key;
	size_t		 off;		/* a char * of cutover_conf */
	int		(*ok)(const char *);
	const char	*what;
} addresses[] = {
#define A(k, f, v, w) { k, offsetof(struct cutover_conf, f), v, w }
	A("new_ip", new_ip, valid_ipv4, "must be an IPv4 address (IPv6: "
	    "new_ip6)"),
	A("new_ip6", new_ip6, valid_ipv6, "must be an IPv6 address"),
	A("primary_dns", primary_dns, valid_ip, "must be the IP address of "
	    "the primary name server"),
	A("resolver", resolver, valid_ip, "must be the IP address of a "
	    "recursive resolver"),
#undef A
};

enum mc_result
config_key_cutover(struct cutover_conf *c, const char *key, const char *v,
    const char *name, int line, struct mc_err *err)
{
	unsigned long n;
	size_t i;

#define BADC(what) mc_err_set(err, MC_E_CONFIG, "%s:%d: [cutover] %s: %s", \
	name, line, key, what)
	for (i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
		if (!strcmp(key, numbers[i].key)) {
			if (!parse_ulong(v, numbers[i].min, numbers[i].max, &n))
				return BADC(numbers[i].what);
			*(unsigned long *)(void *)((char *)c + numbers[i].off) =
			    n;
			/* the operator's timeout: not grown with the zones */
			c->sync_timeout_set |= !strcmp(key, "sync_timeout");
			c->switch_timeout_set |= !strcmp(key, "switch_timeout");
			return MC_OK;
		}
	for (i = 0; i < sizeof(addresses) / sizeof(addresses[0]); i++)
		if (!strcmp(key, addresses[i].key)) {
			if (!addresses[i].ok(v))
				return BADC(addresses[i].what);
			return set_str((char **)(void *)((char *)c +
			    addresses[i].off), v, name, line, key, err);
		}
	if (!strcmp(key, "records"))
		return set_list(c->records, &c->nrecords, CONFIG_MAX_RECORDS,
		    v, record_label_ok, name, line, "cutover", key,
		    "is not a host label such as mail", err);
	if (!strcmp(key, "parent_dns"))
		return set_list(c->parent_dns, &c->nparent_dns,
		    CONFIG_MAX_PARENTS, v, valid_ip, name, line, "cutover",
		    key, "is not an IP address", err);
	if (!strcmp(key, "new_ns"))
		return set_list(c->new_ns, &c->nnew_ns, CONFIG_MAX_NEW_NS, v,
		    valid_domain, name, line, "cutover", key, "is not a host "
		    "name such as ns1.example.net", err);
	if (!strcmp(key, "root_hints"))
		return root_hints(c, v, name, line, err);
	if (!strcmp(key, "old_ip"))
		return set_list(c->old_ip, &c->nold_ip, CONFIG_MAX_OLD_IPS, v,
		    valid_ip, name, line, "cutover", key, "is not an IP "
		    "address", err);
	if (!strcmp(key, "drop_aaaa") || !strcmp(key, "test_timings") ||
	    !strcmp(key, "quiet_force") || !strcmp(key, "quiet_gate")) {
		if (!parse_bool(v, key[0] == 'd' ? &c->drop_aaaa :
		    key[0] == 't' ? &c->test_timings : key[6] == 'f' ?
		    &c->quiet_force : &c->quiet_gate))
			return BADC("must be yes or no");
		return MC_OK;
	}
	if (!strcmp(key, "usage_signal")) {
		for (n = 0; n < USAGE__MAX; n++)
			if (!strcmp(v, usage_names[n])) {
				c->usage_signal = (enum usage_signal)n;
				return MC_OK;
			}
		return BADC("must be auto, live or daily");
	}
	if (!strcmp(key, "dkim_selector")) {
		if (!record_label_ok(v))
			return BADC("must be one DNS label such as default");
		return set_str(&c->dkim_selector, v, name, line, key, err);
	}
	if (!strcmp(key, "state_dir") || !strcmp(key, "mail_cafile")) {
		if (v[0] != '/' || strstr(v, "/../") != NULL)
			return BADC("must be an absolute path");
		return set_str(key[0] == 's' ? &c->state_dir : &c->mail_cafile,
		    v, name, line, key, err);
	}
	if (!strcmp(key, "quiet_hours")) {
		if (!text_window(v, &c->quiet_start, &c->quiet_end))
			return BADC("must be HH:MM-HH:MM (local time)");
		return MC_OK;
	}
	return mc_err_set(err, MC_E_CONFIG, "%s:%d: [cutover] unknown key "
	    "'%.60s'", name, line, key);
#undef BADC
}

enum mc_result
config_key_secondary(struct secondary_conf *s, const char *key, const char *v,
    const char *name, int line, struct mc_err *err)
{
	unsigned long n;

#define BADS(what) mc_err_set(err, MC_E_CONFIG, "%s:%d: [%s] %s: %s", \
	name, line, s->label, key, what)
	if (!strcmp(key, "address")) {
		if (!valid_ip(v))
			return BADS("must be an IP address");
		return set_str(&s->address, v, name, line, key, err);
	}
	if (!strcmp(key, "method")) {
		for (n = 0; n < REFRESH__MAX; n++)
			if (!strcmp(v, method_names[n])) {
				s->method = (enum refresh_method)n;
				return MC_OK;
			}
		return BADS("must be notify, plesk, rndc or manual");
	}
	if (!strcmp(key, "rndc_key")) {
		if (v[0] != '/')
			return BADS("must be an absolute path");
		return set_str(&s->rndc_key, v, name, line, key, err);
	}
	if (!strcmp(key, "rndc_server")) {
		if (!valid_ip(v))
			return BADS("must be an IP address");
		return set_str(&s->rndc_server, v, name, line, key, err);
	}
	if (!strcmp(key, "rndc_port")) {
		if (!parse_ulong(v, 1, 65535, &n))
			return BADS("must be a port from 1 to 65535");
		s->rndc_port = n;
		return MC_OK;
	}
	/* the rest describe the secondary's Plesk panel (method plesk) */
	s->panel.present = 1;
	return config_key_panel(&s->panel, key, v, name, line, err);
#undef BADS
}

