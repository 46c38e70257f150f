/* test_config.c -- the helper's configuration parser. */
#include "unit.h"

#include "../../plugin/helper/config.c"
#include "../../plugin/helper/config_key.c"
#include "../../plugin/helper/ini.c"
#include "../../plugin/helper/text.c"

#define PIN "sha256//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE="
#define SRC "[source]\nurl = https://old.example.com:8443\n" \
	"secret_file = /etc/mailcutover/source.key\n"

static struct config *
parse_ok(const char *text)
{
	struct config *c = NULL;
	struct mc_err err;

	mc_err_clear(&err);
	if (config_parse("test.conf", text, &c, &err) != MC_OK)
		fail_msg("config refused: %s\n--\n%s", err.msg, text);
	assert_non_null(c);
	return c;
}

/* Parsing must fail with MC_E_CONFIG and a message holding each needle. */
static void
parse_bad(const char *text, const char *n1, const char *n2)
{
	struct config *c = (struct config *)0x1;
	struct mc_err err;

	mc_err_clear(&err);
	if (config_parse("test.conf", text, &c, &err) != MC_E_CONFIG)
		fail_msg("config accepted:\n%s", text);
	assert_null(c);
	assert_int_equal(err.code, MC_E_CONFIG);
	assert_contains(err.msg, "test.conf");
	if (n1 != NULL)
		assert_contains(err.msg, n1);
	if (n2 != NULL)
		assert_contains(err.msg, n2);
}

static void
test_full(void **state)
{
	struct config *c;

	(void)state;
	c = parse_ok(
	    "# Mail Cutover\n"
	    "\n"
	    "[source]   # the old server\n"
	    "url = https://old.example.com:8443\n"
	    "auth = login\n"
	    "login = admin\n"
	    "secret_file = /etc/mailcutover/source.pass\n"
	    "pin = " PIN "\n"
	    "  connect_timeout=5\n"
	    "timeout\t=\t60   \n"
	    "max_response = 32M\n"
	    "batch_size = 50\n"
	    "protocol = 1.6.7.0\n"
	    "insecure = no\n"
	    "\n"
	    "[target]\r\n"
	    "url = https://new.example.com:8443/\r\n"
	    "secret_file = -\r\n"
	    "cafile = /etc/ssl/certs/ca-certificates.crt\r\n"
	    "protocol = auto\r\n"
	    "max_response = 4096\r\n");
	assert_string_equal(c->path, "test.conf");
	assert_int_equal(c->source.present, 1);
	assert_int_equal(c->source.line, 3);
	assert_string_equal(c->source.url, "https://old.example.com:8443");
	assert_int_equal(c->source.auth, AUTH_LOGIN);
	assert_string_equal(c->source.login, "admin");
	assert_string_equal(c->source.secret_file,
	    "/etc/mailcutover/source.pass");
	assert_string_equal(c->source.pin, PIN);
	assert_null(c->source.cafile);
	assert_int_equal(c->source.insecure, 0);
	assert_int_equal(c->source.connect_timeout_ms, 5000);
	assert_int_equal(c->source.timeout_ms, 60000);
	assert_int_equal(c->source.max_body, 32UL * 1024 * 1024);
	assert_int_equal(c->source.batch_max, 50);
	assert_string_equal(c->source.protocol, "1.6.7.0");

	assert_int_equal(c->target.present, 1);
	assert_int_equal(c->target.line, 16);
	assert_string_equal(c->target.url, "https://new.example.com:8443/");
	assert_int_equal(c->target.auth, AUTH_KEY);
	assert_null(c->target.login);
	assert_string_equal(c->target.secret_file, "-");
	assert_string_equal(c->target.cafile,
	    "/etc/ssl/certs/ca-certificates.crt");
	assert_null(c->target.pin);
	assert_null(c->target.protocol);
	assert_int_equal(c->target.max_body, 4096);
	config_free(c);
	config_free(NULL);
}

static void
test_defaults(void **state)
{
	struct config *c;

	(void)state;
	c = parse_ok(SRC);
	assert_int_equal(c->source.auth, AUTH_KEY);
	assert_int_equal(c->source.connect_timeout_ms, 10000);
	assert_int_equal(c->source.timeout_ms, 300000);
	assert_int_equal(c->source.max_body, TRANSPORT_MAX_BODY_DEFAULT);
	assert_int_equal(c->source.batch_max, 100);
	assert_null(c->source.protocol);
	assert_null(c->source.pin);
	assert_int_equal(c->source.insecure, 0);
	assert_int_equal(c->target.present, 0);
	assert_null(c->target.url);
	config_free(c);

	c = parse_ok(SRC "insecure = yes\n");
	assert_int_equal(c->source.insecure, 1);
	config_free(c);
}

static void
test_unknown_key(void **state)
{
	(void)state;
	parse_bad(SRC "colour = blue\n", "test.conf:4:", "colour");
	parse_bad("\n\n[source]\nURL = https://a.example\n", "test.conf:4:",
	    "URL");
	parse_bad(SRC "[target]\nurl = https://b.example\nkey = abc\n",
	    "test.conf:6:", "'key'");
}

static void
test_unknown_section(void **state)
{
	(void)state;
	parse_bad(SRC "[bogus]\nurl = https://a.example\n", "test.conf:4:",
	    "[bogus]");
	parse_bad("[Source]\n", "test.conf:1:", "[Source]");
	parse_bad("[source\n", "test.conf:1:", NULL);
}

static void
test_outside_section(void **state)
{
	(void)state;
	parse_bad("url = https://a.example\n" SRC, "test.conf:1:", "url");
	parse_bad("# comment\n\ntimeout = 5\n", "test.conf:3:", "timeout");
}

static void
test_syntax(void **state)
{
	(void)state;
	parse_bad(SRC "just some words\n", "test.conf:4:", "key = value");
	parse_bad(SRC "timeout =\n", "test.conf:4:", "no value");
	parse_bad(SRC "timeout = # five\n", "test.conf:4:", "no value");
	parse_bad("", "no [source]", NULL);
}

static void
test_repeated(void **state)
{
	(void)state;
	parse_bad(SRC "url = https://other.example\n", "test.conf:4:",
	    "given twice");
	parse_bad(SRC "secret_file = /x\n", "test.conf:4:", "given twice");
	parse_bad(SRC "pin = " PIN "\npin = " PIN "\n", "test.conf:5:",
	    "given twice");
	parse_bad(SRC "[source]\n", "test.conf:4:", "given twice");
	parse_bad(SRC "[target]\n[target]\n", "test.conf:5:", "given twice");
}

/*
 * config.h: "repeated keys ... are errors". Keys that set a number or a
 * flag must be refused the second time too, or the last one silently wins.
 */
static void
test_repeated_scalar(void **state)
{
	static const struct {
		const char *key, *text;
	} twice[] = {
		{ "timeout", SRC "timeout = 10\ntimeout = 20\n" },
		{ "connect_timeout", SRC "connect_timeout = 10\n"
		    "connect_timeout = 20\n" },
		{ "auth", SRC "auth = login\nauth = key\n" },
		{ "insecure", SRC "insecure = no\ninsecure = yes\n" },
		{ "batch_size", SRC "batch_size = 10\nbatch_size = 20\n" },
		{ "max_response", SRC "max_response = 1M\n"
		    "max_response = 2M\n" },
		{ "protocol", SRC "protocol = auto\nprotocol = 1.6.7.0\n" },
	};
	struct config *c;
	struct mc_err err;
	char accepted[512] = "";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(twice) / sizeof(twice[0]); i++) {
		mc_err_clear(&err);
		c = NULL;
		if (config_parse("test.conf", twice[i].text, &c, &err) !=
		    MC_E_CONFIG) {
			snprintf(accepted + strlen(accepted),
			    sizeof(accepted) - strlen(accepted), " %s",
			    twice[i].key);
			config_free(c);
			continue;
		}
		assert_contains(err.msg, "test.conf:5:");
		assert_contains(err.msg, "given twice");
	}
	if (accepted[0] != '\0')
		fail_msg("BUG (plugin/helper/config.c panel_key): repeated "
		    "keys accepted, the last value silently wins:%s",
		    accepted);
}

static void
test_bad_values(void **state)
{
	static const struct {
		const char *line;
		const char *needle;
	} cases[] = {
		{ "url = http://old.example.com:8443", "https://" },
		{ "url = https://", "https://" },
		{ "url = ftp://old.example.com", "https://" },
		{ "url = https://a b.example", "https://" },
		{ "url = https://a.example/\"x\"", "https://" },
		{ "pin = sha256//short", "sha256//" },
		{ "pin = sha1//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE=",
		    "sha256//" },
		{ "timeout = 0", "1 to 3600" },
		{ "timeout = 3601", "1 to 3600" },
		{ "timeout = 10s", "1 to 3600" },
		{ "timeout = -1", "1 to 3600" },
		{ "connect_timeout = 1.5", "1 to 3600" },
		{ "batch_size = 0", "1 to 10000" },
		{ "batch_size = 10001", "1 to 10000" },
		{ "batch_size = many", "1 to 10000" },
		{ "insecure = maybe", "yes or no" },
		{ "insecure = YES", "yes or no" },
		{ "auth = password", "key or login" },
		{ "login = ad min", "spaces" },
		{ "max_response = 1K", "4K to 1G" },
		{ "max_response = 2G", "4K to 1G" },
		{ "max_response = lots", "4K to 1G" },
		{ "protocol = 1.x", "1.6.7.0" },
		{ "cafile = ca.pem", "absolute path" },
	};
	char text[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "[source]\n%s\n"
		    "url = https://placeholder.example\n"
		    "secret_file = /etc/k\n", cases[i].line);
		/* the bad value is on line 2 and the message says so */
		parse_bad(text, "test.conf:2:", cases[i].needle);
		parse_bad(text, "[source]", NULL);
	}
	parse_bad("[source]\nurl = https://a.example\nsecret_file = key.txt\n",
	    "test.conf:3:", "absolute path");
}

static void
test_missing(void **state)
{
	(void)state;
	parse_bad("[target]\nurl = https://new.example\nsecret_file = /k\n",
	    "no [source]", NULL);
	parse_bad("[source]\nurl = https://old.example\n", "test.conf:1:",
	    "secret_file");
	parse_bad("\n[source]\nsecret_file = /k\n", "test.conf:2:", "no url");
	parse_bad(SRC "[target]\nurl = https://new.example\n", "test.conf:4:",
	    "[target] has no secret_file");
}

/* step 3's quiet gate: its keys, defaults and limits */
static void
test_quiet_gate(void **state)
{
	struct config *c;

	(void)state;
	c = parse_ok(SRC);
	assert_int_equal(c->cutover.quiet_window, 0);	/* max(min_wait, TTL) */
	assert_int_equal(c->cutover.quiet_max, 48 * 3600);
	assert_int_equal(c->cutover.quiet_force, 0);
	assert_int_equal(c->cutover.quiet_gate, 1);
	assert_int_equal(c->cutover.usage_signal, USAGE_AUTO);
	assert_string_equal(usage_signal_name(USAGE_AUTO), "auto");
	config_free(c);
	c = parse_ok(SRC "[cutover]\nquiet_window = 3600\nquiet_max = 7200\n"
	    "quiet_force = yes\nusage_signal = daily\n");
	assert_int_equal(c->cutover.quiet_window, 3600);
	assert_int_equal(c->cutover.quiet_max, 7200);
	assert_int_equal(c->cutover.quiet_force, 1);
	assert_int_equal(c->cutover.usage_signal, USAGE_DAILY);
	config_free(c);
	c = parse_ok(SRC "[cutover]\ntest_timings = yes\nquiet_gate = off\n"
	    "quiet_window = 5\nusage_signal = live\n");
	assert_int_equal(c->cutover.quiet_gate, 0);
	assert_int_equal(c->cutover.quiet_window, 5);
	assert_int_equal(c->cutover.usage_signal, USAGE_LIVE);
	config_free(c);
	parse_bad(SRC "[cutover]\nusage_signal = fresh\n", "test.conf:5:",
	    "auto, live or daily");
	parse_bad(SRC "[cutover]\nquiet_gate = off\n", "quiet_gate = off",
	    "test_timings");
	parse_bad(SRC "[cutover]\nquiet_window = 30\n", "quiet_window 30",
	    "minimum of 60");
	parse_bad(SRC "[cutover]\nquiet_window = 7200\nquiet_max = 3600\n",
	    "quiet_window", "above quiet_max");
	parse_bad(SRC "[cutover]\nquiet_force = always\n", "test.conf:5:",
	    "yes or no");
	parse_bad(SRC "[cutover]\nquiet_max = 0\n", "test.conf:5:",
	    "whole seconds");
}

static void
test_login_and_insecure(void **state)
{
	(void)state;
	parse_bad(SRC "auth = login\n", "test.conf:1:",
	    "auth = login needs login");
	parse_bad(SRC "insecure = yes\npin = " PIN "\n", "test.conf:1:",
	    "insecure cannot be combined");
	parse_bad(SRC "pin = " PIN "\ninsecure = true\n", "test.conf:1:",
	    "insecure");
	parse_bad(SRC "insecure = 1\ncafile = /etc/ca.pem\n", "test.conf:1:",
	    "insecure cannot be combined");
	parse_bad(SRC "[target]\nurl = https://n.example\nsecret_file = /k\n"
	    "auth = login\n", "test.conf:4:", "[target] auth = login");
}

/* dns_rate, and whether a timeout is the default (it may grow) */
static void
test_dns_rate_and_timeouts(void **state)
{
	struct config *c;

	(void)state;
	c = parse_ok(SRC);
	assert_int_equal(c->cutover.dns_rate, 50);
	assert_int_equal(c->cutover.sync_timeout, 300);
	assert_int_equal(c->cutover.sync_timeout_set, 0);
	assert_int_equal(c->cutover.switch_timeout_set, 0);
	config_free(c);
	c = parse_ok(SRC "[cutover]\ndns_rate = 7\nsync_timeout = 300\n"
	    "switch_timeout = 60\n");
	assert_int_equal(c->cutover.dns_rate, 7);
	assert_int_equal(c->cutover.sync_timeout_set, 1);
	assert_int_equal(c->cutover.switch_timeout_set, 1);
	assert_int_equal(c->cutover.switch_timeout, 60);
	config_free(c);
	parse_bad(SRC "[cutover]\ndns_rate = 0\n", "test.conf:5:",
	    "dns_rate");
	parse_bad(SRC "[cutover]\ndns_rate = 100001\n", "test.conf:5:",
	    "questions per second");
	parse_bad(SRC "[cutover]\ndns_rate = fast\n", "test.conf:5:",
	    "dns_rate");
}

static void
test_load(void **state)
{
	char *dir = unit_mkdtemp(), *p;
	struct config *c = NULL;
	struct mc_err err;
	static const char text[] = SRC;

	(void)state;
	p = unit_path(dir, "mailcutover.conf");
	unit_write_file(p, text, strlen(text), 0600);
	mc_err_clear(&err);
	assert_int_equal(config_load(p, &c, &err), MC_OK);
	assert_string_equal(c->path, p);
	assert_string_equal(c->source.url, "https://old.example.com:8443");
	config_free(c);

	/* 256 KiB is the cap: a config of exactly that loads, one byte more
	   is refused with the cap named (the file is never read) */
	{
		size_t cap = 256 * 1024, k;
		char *big = malloc(cap + 2);

		assert_non_null(big);
		memcpy(big, text, strlen(text));
		for (k = strlen(text); k < cap; k++)
			big[k] = (k + 1) % 64 == 0 ? '\n' : '#';
		big[cap - 1] = '\n';
		unit_write_file(p, big, cap, 0600);
		assert_int_equal(config_load(p, &c, &err), MC_OK);
		assert_string_equal(c->source.url,
		    "https://old.example.com:8443");
		config_free(c);
		c = NULL;
		big[cap] = '\n';
		unit_write_file(p, big, cap + 1, 0600);
		assert_int_equal(config_load(p, &c, &err), MC_E_CONFIG);
		assert_null(c);
		assert_contains(err.msg, p);
		assert_contains(err.msg, "at most 262144 bytes");
		free(big);
	}

	/* a NUL byte */
	unit_write_file(p, SRC "\0x = y\n", sizeof(SRC) + 6, 0600);
	assert_int_equal(config_load(p, &c, &err), MC_E_CONFIG);
	assert_null(c);
	assert_contains(err.msg, "NUL");
	/* errors name the file and line */
	unit_write_file(p, "[source]\nfoo = bar\n", 19, 0600);
	assert_int_equal(config_load(p, &c, &err), MC_E_CONFIG);
	assert_contains(err.msg, p);
	assert_contains(err.msg, ":2:");
	unlink(p);
	assert_int_equal(config_load(p, &c, &err), MC_E_CONFIG);
	assert_null(c);
	assert_contains(err.msg, p);
	/* a directory */
	assert_int_equal(config_load(dir, &c, &err), MC_E_CONFIG);
	assert_contains(err.msg, "not a regular file");
	assert_int_equal(rmdir(dir), 0);
	free(p);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_unknown_section),
		cmocka_unit_test(test_outside_section),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_repeated),
		cmocka_unit_test(test_repeated_scalar),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_quiet_gate),
		cmocka_unit_test(test_login_and_insecure),
		cmocka_unit_test(test_dns_rate_and_timeouts),
		cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
