/* test_util.c -- validators, host names, protocol versions, error codes. */
#include "unit.h"

#include <limits.h>

#include "errcode.h"
#include "host.h"
#include "proto.h"
#include "valid.h"

#include "../../plugin/helper/exitcode.c"

/* A string of n copies of c (static buffer, one at a time). */
static const char *
rep(char c, size_t n)
{
	static char buf[512];

	assert_true(n < sizeof(buf));
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

/* labels of the given lengths joined with dots, plus an optional tail. */
static char *
labels(const size_t *lens, size_t n, const char *tail)
{
	char *s = calloc(1, 1024);
	size_t i;

	assert_non_null(s);
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(s, ".");
		strcat(s, rep('a', lens[i]));
	}
	strcat(s, tail);
	return s;
}

static void
test_valid_domain(void **state)
{
	static const char *const good[] = { "example.com",
	    "xn--bcher-kva.example", "example.com.", "Mail.Example.COM",
	    "a.b", "a-b.c-d.example", "123.example", "x1.y2" };
	static const char *const bad[] = { "", ".", "..", "com", "com.",
	    "a..b", ".example.com", "example.com..", "-a.example",
	    "a-.example", "a.-b.example", "a_b.example", "_dmarc.example.com",
	    "a b.example", " example.com", "example.com ",
	    "b\xc3\xbc" "cher.example", "exa\tmple.com", "*.example.com",
	    "example.com/x", "example..com." };
	const size_t l63[] = { 63, 63, 63, 61 }, l64[] = { 64, 3 },
	    l62ok[] = { 62, 63 }, l254[] = { 63, 63, 63, 62 };
	size_t i;
	char *s;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!valid_domain(good[i]))
			fail_msg("valid_domain refused \"%s\"", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (valid_domain(bad[i]))
			fail_msg("valid_domain accepted \"%s\"", bad[i]);
	assert_false(valid_domain(NULL));

	/* 253 octets is the most; one trailing dot does not count */
	s = labels(l63, 4, "");
	assert_int_equal(strlen(s), 253);
	assert_true(valid_domain(s));
	free(s);
	s = labels(l63, 4, ".");
	assert_true(valid_domain(s));
	free(s);
	s = labels(l254, 4, "");
	assert_int_equal(strlen(s), 254);
	assert_false(valid_domain(s));
	free(s);
	/* labels of 63 ok, 64 not */
	s = labels(l62ok, 2, "");
	assert_true(valid_domain(s));
	free(s);
	s = labels(l64, 2, "");
	assert_false(valid_domain(s));
	free(s);
}

static void
test_valid_label(void **state)
{
	static const char *const good[] = { "", "www", "_dmarc",
	    "_acme-challenge.www", "mail2", "a-b", "Sub.Deep.Host" };
	static const char *const bad[] = { "a b", "a..b", ".a", "a.", ".",
	    "b\xc3\xbc" "cher", "a@b", "a/b", "a\nb", "a;b" };
	char big[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!valid_label(good[i]))
			fail_msg("valid_label refused \"%s\"", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (valid_label(bad[i]))
			fail_msg("valid_label accepted \"%s\"", bad[i]);
	assert_false(valid_label(NULL));
	assert_true(valid_label(rep('a', 63)));
	assert_false(valid_label(rep('a', 64)));
	/* longer than a whole name */
	memset(big, 'a', 255);
	big[63] = big[127] = big[191] = '.';
	big[255] = '\0';
	assert_int_equal(strlen(big), 255);
	assert_false(valid_label(big));
}

static void
test_valid_ip(void **state)
{
	(void)state;
	assert_true(valid_ipv4("192.0.2.1"));
	assert_true(valid_ipv4("0.0.0.0"));
	assert_true(valid_ipv4("255.255.255.255"));
	assert_false(valid_ipv4("256.1.1.1"));
	assert_false(valid_ipv4("1.2.3"));
	assert_false(valid_ipv4("1.2.3.4.5"));
	assert_false(valid_ipv4(" 1.2.3.4"));
	assert_false(valid_ipv4("1.2.3.4 "));
	assert_false(valid_ipv4(""));
	assert_false(valid_ipv4(NULL));
	assert_false(valid_ipv4("2001:db8::1"));
	assert_false(valid_ipv4("a.b.c.d"));

	assert_true(valid_ipv6("2001:db8::1"));
	assert_true(valid_ipv6("::1"));
	assert_true(valid_ipv6("::"));
	assert_true(valid_ipv6("::ffff:192.0.2.1"));
	assert_true(valid_ipv6("2001:0db8:0000:0000:0000:0000:0000:0001"));
	assert_false(valid_ipv6("2001:db8:::1"));
	assert_false(valid_ipv6("2001:db8::g"));
	assert_false(valid_ipv6("[::1]"));
	assert_false(valid_ipv6("192.0.2.1"));
	assert_false(valid_ipv6("1:2:3:4:5:6:7:8:9"));
	assert_false(valid_ipv6(""));
	assert_false(valid_ipv6(NULL));

	assert_true(valid_ip("192.0.2.1"));
	assert_true(valid_ip("2001:db8::1"));
	assert_false(valid_ip("example.com"));
	assert_false(valid_ip(NULL));
}

static void
test_parse_ulong(void **state)
{
	static const char *const bad[] = { "", "-1", "+1", " 1", "1 ", "1x",
	    "0x10", "1.0", "1e3", "١" };
	unsigned long v = 99;
	size_t i;

	(void)state;
	assert_true(parse_ulong("42", 0, 100, &v));
	assert_int_equal(v, 42);
	assert_true(parse_ulong("0", 0, 0, &v));
	assert_int_equal(v, 0);
	assert_true(parse_ulong("007", 1, 10, &v));
	assert_int_equal(v, 7);
	assert_true(parse_ulong("3600", 1, 3600, &v));
	assert_int_equal(v, 3600);
	assert_true(parse_ulong("18446744073709551615", 0, ULONG_MAX, &v));
	assert_true(v == ULONG_MAX);

	v = 99;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse_ulong(bad[i], 0, ULONG_MAX, &v))
			fail_msg("parse_ulong accepted \"%s\"", bad[i]);
	assert_false(parse_ulong(NULL, 0, 10, &v));
	assert_false(parse_ulong("3601", 1, 3600, &v));
	assert_false(parse_ulong("0", 1, 3600, &v));
	assert_false(parse_ulong("18446744073709551616", 0, ULONG_MAX, &v));
	assert_false(parse_ulong("99999999999999999999999", 0, ULONG_MAX, &v));
	assert_int_equal(v, 99);	/* untouched on failure */
}

static void
test_parse_size(void **state)
{
	static const char *const bad[] = { "", "0", "0K", "M", "-1M", "1.5M",
	    "1T", "64MB", "64 M", " 64M", "K1", "99999999999999999999G" };
	size_t v = 7, i;

	(void)state;
	assert_true(parse_size("1048576", SIZE_MAX, &v));
	assert_int_equal(v, 1048576);
	assert_true(parse_size("64M", SIZE_MAX, &v));
	assert_int_equal(v, 64UL * 1024 * 1024);
	assert_true(parse_size("64m", SIZE_MAX, &v));
	assert_int_equal(v, 64UL * 1024 * 1024);
	assert_true(parse_size("512K", SIZE_MAX, &v));
	assert_int_equal(v, 512 * 1024);
	assert_true(parse_size("512k", SIZE_MAX, &v));
	assert_int_equal(v, 512 * 1024);
	assert_true(parse_size("1G", (size_t)1 << 30, &v));
	assert_int_equal(v, (size_t)1 << 30);
	assert_true(parse_size("1", 1, &v));
	assert_int_equal(v, 1);

	v = 7;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse_size(bad[i], SIZE_MAX, &v))
			fail_msg("parse_size accepted \"%s\"", bad[i]);
	assert_false(parse_size(NULL, SIZE_MAX, &v));
	assert_false(parse_size("2G", (size_t)1 << 30, &v));
	assert_false(parse_size("1025K", 1024 * 1024, &v));
	assert_false(parse_size("2", 1, &v));
	assert_int_equal(v, 7);
}

static void
test_host_equal(void **state)
{
	(void)state;
	assert_true(host_equal("Mail.Example.COM.", "mail.example.com"));
	assert_true(host_equal("mail.example.com", "MAIL.EXAMPLE.COM."));
	assert_true(host_equal("a.", "a."));
	assert_true(host_equal("example.com", "example.com"));
	assert_false(host_equal("a..", "a"));
	assert_false(host_equal("a", "b"));
	assert_false(host_equal("ab", "a"));
	assert_false(host_equal("mail.example.com", "mail.example.co"));
	assert_false(host_equal("www.example.com", "example.com"));
	assert_false(host_equal(NULL, "a"));
	assert_false(host_equal("a", NULL));
}

static void
expect_rel(const char *fqdn, const char *zone, const char *want)
{
	char out[256];

	memset(out, 'X', sizeof(out));
	if (!host_relative(fqdn, zone, out, sizeof(out)))
		fail_msg("host_relative(%s, %s) failed", fqdn, zone);
	assert_string_equal(out, want);
}

static void
test_host_relative(void **state)
{
	char out[8];

	(void)state;
	expect_rel("Mail.Example.COM.", "example.com", "mail");
	expect_rel("mail.example.com", "Example.Com.", "mail");
	expect_rel("example.com.", "example.com", "");
	expect_rel("EXAMPLE.COM", "example.com.", "");
	expect_rel("_acme-challenge.WWW.example.com.", "example.com",
	    "_acme-challenge.www");
	expect_rel("a.b.c.example.com.", "c.example.com", "a.b");

	assert_false(host_relative("xexample.com.", "example.com", out,
	    sizeof(out)));
	assert_false(host_relative("mail.example.org.", "example.com", out,
	    sizeof(out)));
	assert_false(host_relative("example.com", "mail.example.com", out,
	    sizeof(out)));
	assert_false(host_relative(".example.com", "example.com", out,
	    sizeof(out)));
	assert_false(host_relative(NULL, "example.com", out, sizeof(out)));
	assert_false(host_relative("a.example.com", NULL, out, sizeof(out)));
	/* out too small for the whole name */
	assert_false(host_relative("longlabel.example.com.", "example.com",
	    out, sizeof(out)));
	assert_false(host_relative("example.com", "example.com", out, 0));
}

static void
test_host_norm(void **state)
{
	char out[32], tiny[4];

	(void)state;
	assert_true(host_norm("Mail.Example.COM.", out, sizeof(out)));
	assert_string_equal(out, "mail.example.com");
	assert_true(host_norm("a..", out, sizeof(out)));
	assert_string_equal(out, "a.");
	assert_true(host_norm("", out, sizeof(out)));
	assert_string_equal(out, "");
	assert_true(host_norm("ABC.", tiny, sizeof(tiny)));
	assert_string_equal(tiny, "abc");
	assert_false(host_norm("ABCD", tiny, sizeof(tiny)));
	assert_false(host_norm(NULL, out, sizeof(out)));
}

static void
test_proto(void **state)
{
	static const char *const good[] = { "1.6.9.1", "1", "1.6", "1.6.3",
	    "10.20.30.40", "0.0.0.0", "123456.1" };
	static const char *const bad[] = { "", "1.", ".1", "1..2",
	    "1.2.3.4.5", "a.b", "1.6.9.1 ", " 1.6", "-1", "1.-6", "1.6a",
	    "1234567.1", "v1.6" };
	char *list[8];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!proto_valid(good[i]))
			fail_msg("proto_valid refused \"%s\"", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (proto_valid(bad[i]))
			fail_msg("proto_valid accepted \"%s\"", bad[i]);
	assert_false(proto_valid(NULL));

	assert_int_equal(proto_cmp("1.6", "1.6.0.0"), 0);
	assert_int_equal(proto_cmp("1.6.9.1", "1.6.9.1"), 0);
	assert_true(proto_cmp("1.6.10.0", "1.6.9.1") > 0);
	assert_true(proto_cmp("1.6.9.1", "1.6.10.0") < 0);
	assert_true(proto_cmp("1.5.99", "1.6") < 0);
	assert_true(proto_cmp("2", "1.99.99.99") > 0);
	assert_true(proto_cmp("1.6.3.0", PROTO_MIN) == 0);

	assert_null(proto_choose(NULL, 0));
	list[0] = "1.6.3.0";
	list[1] = "1.6.2.9";
	assert_string_equal(proto_choose(list, 2), "1.6.3.0");
	list[0] = "1.6.9.2";
	list[1] = "1.6.9.1";
	list[2] = "1.7";
	list[3] = "1.6.8.0";
	list[4] = "junk";
	assert_string_equal(proto_choose(list, 5), "1.6.9.1");
	assert_ptr_equal(proto_choose(list, 5), list[1]);
	assert_string_equal(proto_choose(list + 2, 3), "1.6.8.0");
	list[0] = "1.6";
	list[1] = "1.6.2";
	assert_null(proto_choose(list, 2));
}

static void
test_exit_codes(void **state)
{
	enum mc_result r;

	(void)state;
	assert_int_equal(mc_exit_code(MC_OK), 0);
	assert_int_equal(mc_exit_code(MC_E_USAGE), 2);
	assert_int_equal(mc_exit_code(MC_E_CONFIG), 2);
	assert_int_equal(mc_exit_code(MC_E_SECRET), 2);
	assert_int_equal(mc_exit_code(MC_E_CONNECT), 4);
	assert_int_equal(mc_exit_code(MC_E_TLS), 4);
	assert_int_equal(mc_exit_code(MC_E_AUTH), 4);
	assert_int_equal(mc_exit_code(MC_E_VERSION), 4);
	assert_int_equal(mc_exit_code(MC_E_API), 1);
	assert_int_equal(mc_exit_code(MC_E_LOST), 1);
	assert_int_equal(mc_exit_code(MC_E_MISMATCH), 1);
	assert_int_equal(mc_exit_code(MC_E_PARSE), 1);
	/* every failure is non-zero, every code has a name */
	for (r = MC_E_NOMEM; r < MC__MAX; r++) {
		assert_int_not_equal(mc_exit_code(r), 0);
		assert_string_not_equal(mc_strerror(r), "unknown error");
	}
	assert_string_equal(mc_strerror(MC_E_TLS), "TLS refused");
	assert_string_equal(mc_strerror(MC__MAX), "unknown error");
	assert_string_equal(mc_strerror((enum mc_result)-1), "unknown error");
}

static void
test_err(void **state)
{
	struct mc_err err;
	char longmsg[600];

	(void)state;
	mc_err_clear(&err);
	assert_int_equal(err.code, MC_OK);
	assert_int_equal(mc_err_set(NULL, MC_E_IO, "x"), MC_E_IO);
	assert_int_equal(mc_err_set(&err, MC_E_HTTP, "HTTP %d", 502),
	    MC_E_HTTP);
	assert_int_equal(err.code, MC_E_HTTP);
	assert_string_equal(err.msg, "HTTP 502");
	mc_err_prefix(&err, "source %s", "panel");
	assert_string_equal(err.msg, "source panel: HTTP 502");
	mc_err_prefix(NULL, "x");
	memset(longmsg, 'm', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	mc_err_set(&err, MC_E_IO, "%s", longmsg);
	assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
	mc_err_prefix(&err, "p");
	assert_true(strncmp(err.msg, "p: mmm", 6) == 0);
	mc_err_clear(&err);
	assert_string_equal(err.msg, "");
	mc_err_clear(NULL);
}

static void
test_errcode_names(void **state)
{
	(void)state;
	assert_string_equal(plesk_errcode_name(1001), "authentication failed");
	assert_string_equal(plesk_errcode_name(1005),
	    "protocol version not supported");
	assert_string_equal(plesk_errcode_name(1013), "object not found");
	assert_string_equal(plesk_errcode_name(1014), "request invalid");
	assert_string_equal(plesk_errcode_name(1015), "owner not found");
	assert_string_equal(plesk_errcode_name(11003),
	    "secret key validation failed");
	assert_string_equal(plesk_errcode_name(14009),
	    "database server not configured");
	assert_string_equal(plesk_errcode_name(0), "unknown");
	assert_string_equal(plesk_errcode_name(2300), "unknown");
	assert_string_equal(plesk_errcode_name(4294967295U), "unknown");

	assert_true(plesk_errcode_is_auth(1001));
	assert_true(plesk_errcode_is_auth(1029));
	assert_true(plesk_errcode_is_auth(11003));
	assert_false(plesk_errcode_is_auth(1005));
	assert_false(plesk_errcode_is_auth(1013));
	assert_false(plesk_errcode_is_auth(1014));
	assert_false(plesk_errcode_is_auth(0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_domain),
		cmocka_unit_test(test_valid_label),
		cmocka_unit_test(test_valid_ip),
		cmocka_unit_test(test_parse_ulong),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_host_equal),
		cmocka_unit_test(test_host_relative),
		cmocka_unit_test(test_host_norm),
		cmocka_unit_test(test_proto),
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_err),
		cmocka_unit_test(test_errcode_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
