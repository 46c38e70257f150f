/* test_settings.c -- `mailcutover settings`: JSON input, merge, files. */
#include "unit.h"

#include "../../plugin/helper/atomicfile.c"
#include "../../plugin/helper/audit.c"
#include "../../plugin/helper/config.c"
#include "../../plugin/helper/config_key.c"
#include "../../plugin/helper/exitcode.c"
#include "../../plugin/helper/idn.c"
#include "../../plugin/helper/ini.c"
#include "../../plugin/helper/json.c"
#include "../../plugin/helper/jsonin.c"
#include "../../plugin/helper/settings.c"
#include "../../plugin/helper/settings_in.c"
#include "../../plugin/helper/text.c"

#define PIN "sha256//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE="
#define CONF "[source]\nurl = https://old.example.com:8443\n" \
	"secret_file = /etc/mailcutover/source.key\n" \
	"[cutover]\nprimary_dns = 192.0.2.53\nstate_dir = /var/lib/mc\n" \
	"[secondary ns2]  # comment\naddress = 192.0.2.54\nmethod = rndc\n" \
	"rndc_key = /etc/mailcutover/ns2.key\n"

static enum mc_result
parse(const char *s, struct settings_in *in, struct mc_err *err)
{
	mc_err_clear(err);
	return settings_parse_json(s, strlen(s), in, err);
}

static void
test_json_ok(void **state)
{
	struct settings_in in;
	struct mc_err err;

	(void)state;
	assert_int_equal(parse(" {\"url\" : \"https://a.example:8443\", "
	    "\"lowered_ttl\": 600, \"secret\": \"k\\\"\\\\\\u00e9\\n\", "
	    "\"login\": null, \"secondaries\": [{\"name\": \"ns2\", "
	    "\"method\": \"notify\"}, {}]}\n", &in, &err), MC_OK);
	assert_string_equal(in.url, "https://a.example:8443");
	assert_string_equal(in.lowered_ttl, "600");
	assert_string_equal(in.secret, "k\"\\\xc3\xa9\n");
	assert_null(in.login);
	assert_int_equal(in.nsec, 2);
	assert_string_equal(in.sec[0].name, "ns2");
	assert_string_equal(in.sec[0].method, "notify");
	assert_null(in.sec[1].name);
	settings_in_free(&in);
	assert_int_equal(parse("{}", &in, &err), MC_OK);
	settings_in_free(&in);
}

static void
test_json_bad(void **state)
{
	static const char *const bad[] = {
		"", "[]", "{", "{\"url\"}", "{\"url\":}", "{\"url\":\"x\",}",
		"{\"url\":\"x\"} x", "{\"bogus\":\"x\"}", "{\"url\":1.5}",
		"{\"url\":-1}", "{\"url\":\"a\",\"url\":\"b\"}",
		"{\"url\":\"a\x01\"}", "{\"url\":\"\\u0000\"}",
		"{\"url\":\"\\ud800\"}", "{\"url\":\"\\x\"}",
		"{\"url\":{\"a\":\"b\"}}", "{\"secondaries\":{}}",
		"{\"secondaries\":[{\"name\":\"a\",\"rndc_key\":\"/k\"}]}",
		"{\"secondaries\":[[]]}", "{\"url\":\"unterminated}",
		"{\"lowered_ttl\":1234567890123}",
	};
	struct settings_in in;
	struct mc_err err;
	char big[SETTINGS_MAX_INPUT + 16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &in, &err) != MC_E_USAGE)
			fail_msg("accepted: %s", bad[i]);
		assert_null(in.url);
	}
	memset(big, ' ', sizeof(big));
	memcpy(big, "{}", 2);
	mc_err_clear(&err);
	assert_int_equal(settings_parse_json(big, sizeof(big), &in, &err),
	    MC_E_USAGE);
	assert_contains(err.msg, "larger");
}

static void
test_ini_roundtrip(void **state)
{
	struct ini ini;
	struct mc_err err;
	char *text;

	(void)state;
	mc_err_clear(&err);
	assert_int_equal(ini_parse(CONF, &ini, &err), MC_OK);
	assert_string_equal(ini_get(&ini, "source", "url"),
	    "https://old.example.com:8443");
	assert_string_equal(ini_get(&ini, "secondary ns2", "method"), "rndc");
	assert_null(ini_get(&ini, "cutover", "new_ip"));
	text = ini_render(&ini);
	assert_non_null(text);
	assert_contains(text, "[secondary ns2]\naddress = 192.0.2.54\n");
	ini_free(&ini);
	assert_int_equal(ini_parse(text, &ini, &err), MC_OK);
	assert_string_equal(ini_get(&ini, "cutover", "state_dir"),
	    "/var/lib/mc");
	ini_free(&ini);
	free(text);
	assert_int_equal(ini_parse("url = x\n", &ini, &err), MC_E_CONFIG);
}

/* Merge a JSON request into CONF; returns the code, text in *out. */
static enum mc_result
merge(const char *base, const char *json, char **out, char **secret,
    struct mc_err *err)
{
	struct settings_in in;
	struct ini ini;
	enum mc_result r;

	mc_err_clear(err);
	assert_int_equal(ini_parse(base, &ini, err), MC_OK);
	r = settings_parse_json(json, strlen(json), &in, err);
	assert_int_equal(r, MC_OK);
	r = settings_merge(&ini, &in, "/etc/mailcutover/mailcutover.conf",
	    out, secret, err);
	settings_in_free(&in);
	ini_free(&ini);
	return r;
}

static void
test_merge_ok(void **state)
{
	struct mc_err err;
	char *text = NULL, *secret = NULL;
	struct config *c = NULL;

	(void)state;
	assert_int_equal(merge(CONF, "{\"url\":\"https://new.example:8443\","
	    "\"pin\":\"" PIN "\",\"new_ip\":\"198.51.100.20\",\"lowered_ttl\":"
	    "900,\"restored_ttl\":\"3600\",\"min_wait\":1800,\"quiet_hours\":"
	    "\"01:00-05:00\",\"auth\":\"login\",\"login\":\"admin\","
	    "\"secondaries\":[{\"name\":\"ns2\",\"method\":\"notify\"},"
	    "{\"name\":\"ns3\",\"address\":\"192.0.2.55\",\"method\":\"manual\"}]}",
	    &text, &secret, &err), MC_OK);
	assert_null(secret);
	assert_int_equal(config_parse("x", text, &c, &err), MC_OK);
	assert_string_equal(c->source.url, "https://new.example:8443");
	assert_string_equal(c->source.pin, PIN);
	assert_string_equal(c->source.login, "admin");
	assert_int_equal(c->cutover.lowered_ttl, 900);
	assert_int_equal(c->cutover.restored_ttl, 3600);
	assert_int_equal(c->cutover.min_wait, 1800);
	assert_int_equal(c->cutover.quiet_start, 60);
	assert_string_equal(c->cutover.new_ip, "198.51.100.20");
	assert_string_equal(c->cutover.state_dir, "/var/lib/mc");
	assert_int_equal(c->nsecondaries, 2);
	assert_int_equal(c->secondaries[0].method, REFRESH_NOTIFY);
	assert_null(c->secondaries[0].rndc_key);	/* dropped with rndc */
	assert_int_equal(c->secondaries[1].method, REFRESH_MANUAL);
	config_free(c);
	free(text);

	/* a secret: the named file; "" clears optional values */
	assert_int_equal(merge(CONF, "{\"secret\":\"k\",\"new_ip\":\"\"}",
	    &text, &secret, &err), MC_OK);
	assert_string_equal(secret, "/etc/mailcutover/source.key");
	assert_false(strstr(text, "k\n") != NULL && strstr(text, "= k\n"));
	free(text);
	free(secret);
	/* no secret_file yet: next to the config */
	assert_int_equal(merge("", "{\"url\":\"https://a.example\","
	    "\"secret\":\"k\"}", &text, &secret, &err), MC_OK);
	assert_string_equal(secret, "/etc/mailcutover/source.secret");
	assert_contains(text, "secret_file = /etc/mailcutover/source.secret");
	free(text);
	free(secret);
}

/* issue 11: a new secret is written only beside the config; a line that
 * is not the config's own is never echoed */
static void
test_secret_beside_config(void **state)
{
	static const char *const elsewhere[] = {
		"/root/.ssh/authorized_keys", "/etc/mailcutover/sub/x.key",
		"/etc/mailcutover/", "/etc/mailcutover/..",
		"/etc/mailcutover/mailcutover.conf", "/etc/mailcutoverx/k",
		"/etc/x.key",
	};
	struct mc_err err;
	struct ini ini;
	char *text = NULL, *secret = NULL, base[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(elsewhere) / sizeof(elsewhere[0]); i++) {
		snprintf(base, sizeof(base), "[source]\nurl = https://a.example"
		    "\nsecret_file = %s\n", elsewhere[i]);
		assert_int_equal(merge(base, "{\"secret\":\"ssh-ed25519 AAA\"}",
		    &text, &secret, &err), MC_E_CONFIG);
		assert_contains(err.msg, "config's own directory");
		assert_null(text);
		assert_null(secret);
	}
	/* a file that is not a config: its lines are not shown */
	mc_err_clear(&err);
	assert_int_equal(ini_parse("root:$y$j9T$SECRETHASH:19000:0:::\n", &ini,
	    &err), MC_E_CONFIG);
	assert_null(strstr(err.msg, "SECRETHASH"));
	assert_contains(err.msg, "line 1");
	mc_err_clear(&err);
	assert_int_equal(ini_parse("[source]\nSECRETHASH\n", &ini, &err),
	    MC_E_CONFIG);
	assert_null(strstr(err.msg, "SECRETHASH"));
	mc_err_clear(&err);
	assert_int_equal(ini_parse("[SECRETHASH\n", &ini, &err), MC_E_CONFIG);
	assert_null(strstr(err.msg, "SECRETHASH"));
}

/* issue 11: no user:password in a panel URL, and the refusal never
 * echoes it */
static void
test_url_userinfo(void **state)
{
	static const char *const urls[] = {
		"https://admin:S3CRETPW@panel.example.com:8443",
		"https://S3CRETPW@panel.example.com",
		"https://a:S3CRETPW@[2001:db8::1]:8443/x",
	};
	struct mc_err err;
	struct config *c = NULL;
	char *text = NULL, *secret = NULL, json[200], conf[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		snprintf(json, sizeof(json), "{\"url\":\"%s\"}", urls[i]);
		assert_int_equal(merge(CONF, json, &text, &secret, &err),
		    MC_E_CONFIG);
		assert_null(strstr(err.msg, "S3CRETPW"));
		assert_contains(err.msg, "user or password");
		snprintf(conf, sizeof(conf), "[source]\nurl = %s\n"
		    "secret_file = /etc/mailcutover/k\n", urls[i]);
		mc_err_clear(&err);
		assert_int_equal(config_parse("c", conf, &c, &err), MC_E_CONFIG);
		assert_null(strstr(err.msg, "S3CRETPW"));
		assert_contains(err.msg, "user or password");
		assert_false(valid_https_url(urls[i]));
	}
	/* an '@' in the path is not a user */
	assert_true(valid_https_url("https://panel.example.com/a@b"));
	assert_false(url_has_userinfo("https://panel.example.com/a@b"));
}

static void
test_merge_refused(void **state)
{
	static const struct {
		const char *json, *needle;
	} bad[] = {
		{ "{\"url\":\"htp://old.example\"}", "htp://old.example" },
		{ "{\"url\":\"https://a b\"}", "https://a b" },
		{ "{\"url\":\"https://a.example/#x\"}", "https://a.example/#x" },
		{ "{\"url\":\"\"}", "URL ''" },
		{ "{\"auth\":\"magic\"}", "magic" },
		{ "{\"login\":\"a b\"}", "login" },
		{ "{\"pin\":\"sha1//x\"}", "sha1//x" },
		{ "{\"new_ip\":\"300.1.1.1\"}", "300.1.1.1" },
		{ "{\"lowered_ttl\":\"ten\"}", "ten" },
		{ "{\"lowered_ttl\":0}", "lowered TTL" },
		{ "{\"lowered_ttl\":30}", "lowered_ttl" },
		{ "{\"min_wait\":60}", "min_wait" },
		{ "{\"lowered_ttl\":7200,\"restored_ttl\":3600}", "restored_ttl" },
		{ "{\"quiet_hours\":\"25:00-01:00\"}", "25:00-01:00" },
		{ "{\"secret\":\"a\\nb\"}", "secret" },
		{ "{\"secondaries\":[{\"name\":\"n s\"}]}", "n s" },
		{ "{\"secondaries\":[{\"name\":\"ns9\"}]}", "address" },
		{ "{\"secondaries\":[{\"name\":\"ns2\",\"method\":\"x\"}]}", "x" },
		{ "{\"secondaries\":[{\"name\":\"ns2\",\"method\":\"plesk\"}]}",
		    "plesk" },
		{ "{\"secondaries\":[{\"name\":\"ns2\",\"address\":\"1.2.3\"}]}",
		    "1.2.3" },
	};
	struct mc_err err;
	char *text = (char *)0x1, *secret = (char *)0x1;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (merge(CONF, bad[i].json, &text, &secret, &err) == MC_OK)
			fail_msg("accepted: %s", bad[i].json);
		assert_null(text);
		assert_null(secret);
		assert_contains(err.msg, bad[i].needle);
	}
	/* a new config without a URL is refused by the config rules */
	assert_int_not_equal(merge("", "{\"new_ip\":\"192.0.2.1\"}", &text,
	    &secret, &err), MC_OK);
	assert_contains(err.msg, "[source]");
}

static void
test_write_file(void **state)
{
	char dir[] = "/tmp/mc-settings-XXXXXX", path[256], link[256];
	struct mc_err err;
	struct stat st;
	char *data;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/mc.conf", dir);
	snprintf(link, sizeof(link), "%s/link.conf", dir);
	mc_err_clear(&err);
	assert_int_equal(settings_write_file(path, "a = b\n", 6, &err), MC_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(settings_write_file(path, "c\n", 2, &err), MC_OK);
	data = unit_read_file(path, NULL);
	assert_string_equal(data, "c\n");
	free(data);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(settings_write_file(link, "x\n", 2, &err), MC_E_IO);
	assert_contains(err.msg, "symlink");
	assert_int_equal(unlink(link), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_ok),
		cmocka_unit_test(test_json_bad),
		cmocka_unit_test(test_ini_roundtrip),
		cmocka_unit_test(test_merge_ok),
		cmocka_unit_test(test_merge_refused),
		cmocka_unit_test(test_secret_beside_config),
		cmocka_unit_test(test_url_userinfo),
		cmocka_unit_test(test_write_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
