/* test_tls.c -- TLS option planning, pins, and transport_new refusals. */
#include "unit.h"

#include "transport.h"

#define PIN1 "sha256//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE="
#define PIN2 "sha256//sRHdihwgkaib1P1gxX8HFszlD+7/gTfNvuAybgLPNis="
#define SECRET "S3CRET-never-print-me-4711"

static struct transport_conf
conf(void)
{
	static struct secret s = { SECRET, sizeof(SECRET) - 1 };
	struct transport_conf c;

	memset(&c, 0, sizeof(c));
	c.name = "source panel";
	c.url = "https://panel.example.com:8443";
	c.auth = AUTH_KEY;
	c.secret = &s;
	return c;
}

static void
plan_ok(const struct transport_conf *c, struct tls_plan *t)
{
	struct mc_err err;

	mc_err_clear(&err);
	memset(t, 0x55, sizeof(*t));
	if (transport_tls_plan(c, t, &err) != MC_OK)
		fail_msg("tls plan refused: %s", err.msg);
}

static void
test_pin(void **state)
{
	struct transport_conf c = conf();
	struct tls_plan t;

	(void)state;
	c.pin = PIN1;
	plan_ok(&c, &t);
	assert_int_equal(t.verify_peer, 0);
	assert_int_equal(t.verify_host, 0);
	assert_non_null(t.pin);
	assert_string_equal(t.pin, PIN1);
	assert_null(t.cafile);
	assert_int_equal(t.warn_insecure, 0);

	/* several pins, joined by ';' */
	c.pin = PIN1 ";" PIN2;
	plan_ok(&c, &t);
	assert_string_equal(t.pin, PIN1 ";" PIN2);
	assert_int_equal(t.verify_peer, 0);

	/* pin and CA file: both checks */
	c.pin = PIN1;
	c.cafile = "/etc/ssl/certs/ca-certificates.crt";
	plan_ok(&c, &t);
	assert_int_equal(t.verify_peer, 1);
	assert_int_equal(t.verify_host, 2);
	assert_string_equal(t.pin, PIN1);
	assert_string_equal(t.cafile, "/etc/ssl/certs/ca-certificates.crt");
}

static void
test_cafile_and_system(void **state)
{
	struct transport_conf c = conf();
	struct tls_plan t;

	(void)state;
	c.cafile = "/etc/mailcutover/ca.pem";
	plan_ok(&c, &t);
	assert_int_equal(t.verify_peer, 1);
	assert_int_equal(t.verify_host, 2);
	assert_string_equal(t.cafile, "/etc/mailcutover/ca.pem");
	assert_null(t.pin);
	assert_int_equal(t.warn_insecure, 0);

	c.cafile = NULL;
	plan_ok(&c, &t);
	assert_int_equal(t.verify_peer, 1);
	assert_int_equal(t.verify_host, 2);
	assert_null(t.cafile);
	assert_null(t.pin);
	assert_int_equal(t.warn_insecure, 0);
}

static void
test_insecure(void **state)
{
	struct transport_conf c = conf();
	struct tls_plan t;

	(void)state;
	c.insecure = 1;
	plan_ok(&c, &t);
	assert_int_equal(t.verify_peer, 0);
	assert_int_equal(t.verify_host, 0);
	assert_null(t.pin);
	assert_null(t.cafile);
	assert_int_equal(t.warn_insecure, 1);
}

static const char *const bad_pins[] = {
	"",
	"sha256//",
	"sha1//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE=",
	"SHA256//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE=",
	"sha256/YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE=",
	"YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE=",
	" sha256//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE=",
	/* 43 and 45 characters */
	"sha256//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE",
	"sha256//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE=A",
	"sha256//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE==",
	/* characters outside base64 */
	"sha256//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMw!=",
	"sha256//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tv_-wE=",
	"sha256//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tv MwE=",
	"sha256//YhKJKSzoTt2b5FP18fvpHo7=JYqQCjAa3HWY3tvRMwE=",
	"sha256//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE=\n",
	/* joined badly */
	PIN1 ";",
	PIN1 "; " PIN2,
	PIN1 "," PIN2,
	PIN1 ";;" PIN2,
	PIN1 ";sha1//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE=",
};

static void
test_bad_pins(void **state)
{
	struct transport_conf c = conf();
	struct tls_plan t;
	struct mc_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_pins) / sizeof(bad_pins[0]); i++) {
		c.pin = bad_pins[i];
		mc_err_clear(&err);
		if (transport_tls_plan(&c, &t, &err) != MC_E_CONFIG)
			fail_msg("pin accepted: \"%s\"", bad_pins[i]);
		assert_contains(err.msg, "source panel");
		assert_contains(err.msg, "pin");
		assert_false(valid_pin(bad_pins[i]));
	}
}

static void
test_valid_pin(void **state)
{
	(void)state;
	assert_true(valid_pin(PIN1));
	assert_true(valid_pin(PIN2));
	assert_true(valid_pin(PIN1 ";" PIN2));
	assert_true(valid_pin(PIN1 ";" PIN2 ";" PIN1));
	assert_true(valid_pin("sha256//"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
	assert_false(valid_pin(NULL));
}

static void
expect_new_refused(const struct transport_conf *c, const char *needle)
{
	struct transport *t = (struct transport *)0x1;
	struct mc_err err;

	mc_err_clear(&err);
	assert_int_equal(transport_new(c, &t, &err), MC_E_CONFIG);
	assert_null(t);
	assert_int_equal(err.code, MC_E_CONFIG);
	assert_contains(err.msg, needle);
	assert_not_contains(err.msg, SECRET);
}

static void
test_new_refusals(void **state)
{
	struct transport_conf c;

	(void)state;
	c = conf();
	c.url = "http://panel.example.com:8443";
	expect_new_refused(&c, "https://");
	c.url = "HTTP://panel.example.com";
	expect_new_refused(&c, "https://");
	c.url = "https://";
	expect_new_refused(&c, "https://");
	c.url = "ftp://panel.example.com";
	expect_new_refused(&c, "source panel");
	c.url = NULL;
	expect_new_refused(&c, "https://");

	c = conf();
	c.auth = AUTH_LOGIN;
	expect_new_refused(&c, "login");
	c.login = "";
	expect_new_refused(&c, "login");

	c = conf();
	c.pin = "sha256//short";
	expect_new_refused(&c, "pin");

	c = conf();
	c.secret = NULL;
	expect_new_refused(&c, "secret");
}

static void
test_new_ok(void **state)
{
	struct transport_conf c = conf();
	struct transport *t = NULL;
	struct mc_err err;
	char *reply = (char *)0x1;
	size_t len = 7;

	(void)state;
	mc_err_clear(&err);
	c.auth = AUTH_LOGIN;
	c.login = "admin";
	c.pin = PIN1;
	assert_int_equal(transport_new(&c, &t, &err), MC_OK);
	assert_non_null(t);
	assert_int_equal(transport_connections(t), 0);
	transport_free(t);
	transport_free(NULL);

	/* nothing listens on port 1: a connect failure, nothing sent */
	c = conf();
	c.url = "https://127.0.0.1:1/";
	c.connect_timeout_ms = 2000;
	c.timeout_ms = 3000;
	assert_int_equal(transport_new(&c, &t, &err), MC_OK);
	mc_err_clear(&err);
	assert_int_equal(transport_post(t, "<packet/>", 9, &reply, &len, &err),
	    MC_E_CONNECT);
	assert_null(reply);
	assert_int_equal(len, 0);
	assert_int_equal(err.maybe_applied, 0);
	assert_contains(err.msg, "source panel");
	assert_not_contains(err.msg, SECRET);
	transport_free(t);
}

static void
test_fetch_pin_url(void **state)
{
	char out[128];
	struct mc_err err;

	(void)state;
	mc_err_clear(&err);
	assert_int_equal(transport_fetch_pin("http://panel.example.com", 1000,
	    out, sizeof(out), &err), MC_E_USAGE);
	assert_contains(err.msg, "https://");
	assert_int_equal(transport_fetch_pin(NULL, 1000, out, sizeof(out),
	    &err), MC_E_USAGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pin),
		cmocka_unit_test(test_cafile_and_system),
		cmocka_unit_test(test_insecure),
		cmocka_unit_test(test_bad_pins),
		cmocka_unit_test(test_valid_pin),
		cmocka_unit_test(test_new_refusals),
		cmocka_unit_test(test_new_ok),
		cmocka_unit_test(test_fetch_pin_url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
