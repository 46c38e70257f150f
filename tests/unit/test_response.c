/* test_response.c -- parsing replies: system errors, garbage, DTDs, results. */
#include "unit.h"

#include <limits.h>

/* Parse a reply expected to fail with want; returns the error. */
static struct mc_err
parse_fail(const char *xml, size_t len, enum mc_result want)
{
	struct response *r = (struct response *)0x1;
	struct mc_err err;
	enum mc_result rc;

	mc_err_clear(&err);
	rc = response_parse(xml, len, &r, &err);
	if (rc != want)
		fail_msg("response_parse gave %s (%s), wanted %s",
		    mc_strerror(rc), err.msg, mc_strerror(want));
	assert_null(r);
	assert_int_equal(err.code, want);
	assert_true(err.msg[0] != '\0');
	return err;
}

#define SYSERR(code, text) "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
	"<packet version=\"1.6.9.1\"><system><status>error</status>"	\
	"<errcode>" code "</errcode><errtext>" text "</errtext></system>" \
	"</packet>"

static void
test_system_auth(void **state)
{
	static const struct {
		const char *xml;
		unsigned code;
	} cases[] = {
		{ SYSERR("1001", "Authentication failed - wrong password."),
		    1001 },
		{ SYSERR("1029", "Authentication method is not specified."),
		    1029 },
		{ SYSERR("11003", "Secret key validation failed."), 11003 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mc_err e = parse_fail(cases[i].xml,
		    strlen(cases[i].xml), MC_E_AUTH);
		char code[16];
		assert_int_equal(e.plesk_code, cases[i].code);
		snprintf(code, sizeof(code), "%u", cases[i].code);
		assert_contains(e.msg, code);
		assert_int_equal(e.maybe_applied, 0);
	}
}

static void
test_system_version(void **state)
{
	const char *x = SYSERR("1005", "XML API protocol version not "
	    "supported.");
	struct mc_err e;

	(void)state;
	e = parse_fail(x, strlen(x), MC_E_VERSION);
	assert_int_equal(e.plesk_code, 1005);
	assert_contains(e.msg, "1005");
	assert_contains(e.msg, "protocol version not supported");
}

static void
test_system_other(void **state)
{
	const char *x = "<packet version=\"1.6.9.1\">\n  <system>\n"
	    "    <status>error</status>\n    <errcode>1014</errcode>\n"
	    "    <errtext>Parser error: Request is invalid. Error in line 1:"
	    " Element 'gen_info': This element is not expected.</errtext>\n"
	    "  </system>\n  <output> </output>\n</packet>\n";
	const char *ok = "<packet><system><status>ok</status></system>"
	    "</packet>";
	const char *nocode = "<packet><system><status>error</status>"
	    "<errtext>x</errtext></system></packet>";
	struct mc_err e;

	(void)state;
	e = parse_fail(x, strlen(x), MC_E_SYSTEM);
	assert_int_equal(e.plesk_code, 1014);
	assert_contains(e.msg, "1014");
	assert_contains(e.msg, "gen_info");
	/* a <system> that claims ok, or has no code, is not a reply */
	parse_fail(ok, strlen(ok), MC_E_PARSE);
	parse_fail(nocode, strlen(nocode), MC_E_PARSE);
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"   \n",
		"not xml at all",
		"<packet><dns><get_rec><result><status>ok</status>",
		"<packet version=\"1.6.9.1\"><dns><get_rec></dns></packet>",
		"<packet><dns></dns></packet><packet/>",
		"<packet><dns><get_rec><result><status>ok</sta",
		"<?xml version=\"1.0\"?><reply><dns/></reply>",
		"<packet>&undefined;</packet>",
		"<packet><a>\x01</a></packet>",
	};
	const char *full = "<packet version=\"1.6.9.1\"><dns><add_rec>"
	    "<result><status>ok</status><id>5</id></result></add_rec></dns>"
	    "</packet>";
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_fail(bad[i], strlen(bad[i]), MC_E_PARSE);
	/* every truncation of a good reply is refused */
	n = strlen(full);
	for (i = 0; i < n; i++)
		parse_fail(full, i, MC_E_PARSE);
	{
		struct response *r = unit_parse(full);
		assert_int_equal(r->nops, 1);
		response_free(r);
	}
}

static void
test_too_large(void **state)
{
	const char *x = "<packet/>";

	(void)state;
	/* the length is checked before the buffer is read */
	parse_fail(x, (size_t)INT_MAX + 1, MC_E_TOOBIG);
}

static void
test_dtd_refused(void **state)
{
	static const char *const bad[] = {
		"<?xml version=\"1.0\"?>\n<!DOCTYPE packet [\n"
		"<!ENTITY x \"boom\">\n]>\n<packet><dns><get_rec><result>"
		"<status>ok</status><id>&x;</id></result></get_rec></dns>"
		"</packet>",
		"<!DOCTYPE packet [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
		"<packet><dns><add_rec><result><status>error</status><errcode>"
		"1007</errcode><errtext>&xxe;</errtext></result></add_rec>"
		"</dns></packet>",
		"<!DOCTYPE packet SYSTEM \"http://127.0.0.1:1/x.dtd\"><packet/>",
		"<!DOCTYPE packet [<!ENTITY a \"aaaaaaaaaa\">"
		"<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
		"<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
		"<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">]>"
		"<packet><x>&d;&d;&d;&d;</x></packet>",
		"<!DOCTYPE packet><packet/>",
	};
	size_t i;
	struct mc_err e;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e = parse_fail(bad[i], strlen(bad[i]), MC_E_PARSE);
		assert_not_contains(e.msg, "root:");
	}
	e = parse_fail(bad[0], strlen(bad[0]), MC_E_PARSE);
	assert_contains(e.msg, "DTD");
}

static void
test_pretty_printed(void **state)
{
	const char *x =
	    "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
	    "<!-- generated -->\r\n"
	    "<packet   version = '1.6.7.0' >\r\n"
	    "\t<dns>\r\n"
	    "\t\t<!-- first -->\r\n"
	    "\t\t<add_rec>\r\n"
	    "\t\t\t<result>\r\n"
	    "\t\t\t\t<status>\r\n  ok  \r\n</status>\r\n"
	    "\t\t\t\t<id>  101\n</id>\r\n"
	    "\t\t\t</result>\r\n"
	    "\t\t</add_rec>\r\n"
	    "\t\t<?pi ignored?>\r\n"
	    "\t\t<del_rec>\r\n"
	    "\t\t\t<result><status>error</status><errcode> 1013 </errcode>"
	    "<errtext><![CDATA[DNS record <does> not exist.]]></errtext>"
	    "<id>9</id></result>\r\n"
	    "\t\t</del_rec>\r\n"
	    "\t</dns>\r\n"
	    "\t<mail>\n<enable><result><status>ok</status></result></enable>"
	    "</mail>\n"
	    "\t<output>some stderr</output>\n"
	    "</packet>\r\n\r\n";
	struct response *r = unit_parse(x);
	struct result res;
	struct mc_err err;
	unsigned long v;
	xmlNodePtr c;

	(void)state;
	assert_string_equal(r->version, "1.6.7.0");
	assert_int_equal(r->nops, 3);
	assert_string_equal(r->ops[0].operator, "dns");
	assert_string_equal(r->ops[0].operation, "add_rec");
	assert_string_equal(r->ops[1].operator, "dns");
	assert_string_equal(r->ops[1].operation, "del_rec");
	assert_string_equal(r->ops[2].operator, "mail");
	assert_string_equal(r->ops[2].operation, "enable");

	mc_err_clear(&err);
	c = xml_child(r->ops[0].node, "result");
	assert_non_null(c);
	assert_int_equal(result_read(c, &res, &err), MC_OK);
	assert_int_equal(res.ok, 1);
	assert_int_equal(res.errcode, 0);
	assert_null(res.errtext);
	assert_true(xml_child_ulong(c, "id", &v));
	assert_int_equal(v, 101);
	result_clear(&res);

	c = xml_child(r->ops[1].node, "result");
	assert_int_equal(result_read(c, &res, &err), MC_OK);
	assert_int_equal(res.ok, 0);
	assert_int_equal(res.errcode, 1013);
	assert_string_equal(res.errtext, "DNS record <does> not exist.");
	result_clear(&res);
	result_clear(NULL);
	response_free(r);
	response_free(NULL);
}

static void
test_version_attr(void **state)
{
	struct response *r;

	(void)state;
	r = unit_parse("<packet version=\"1.6.9.1\"/>");
	assert_string_equal(r->version, "1.6.9.1");
	assert_int_equal(r->nops, 0);
	response_free(r);
	r = unit_parse("<packet><server><get_protos><result><status>ok"
	    "</status></result></get_protos></server></packet>");
	assert_null(r->version);
	assert_int_equal(r->nops, 1);
	response_free(r);
}

/* Read the first <result> of the first op of a reply. */
static enum mc_result
read_first(const char *xml, struct result *res, struct mc_err *err)
{
	struct response *r = unit_parse(xml);
	enum mc_result rc;
	xmlNodePtr c;

	assert_true(r->nops >= 1);
	c = xml_child(r->ops[0].node, "result");
	assert_non_null(c);
	mc_err_clear(err);
	rc = result_read(c, res, err);
	res->node = NULL;	/* the document goes away */
	response_free(r);
	return rc;
}

#define ONE(res) "<packet><dns><set><result>" res "</result></set></dns>" \
	"</packet>"

static void
test_result_codes(void **state)
{
	static const char *const bad[] = {
		ONE(""),
		ONE("<errcode>1013</errcode>"),
		ONE("<status>OK</status>"),
		ONE("<status>failed</status><errcode>1</errcode>"),
		ONE("<status>error</status>"),
		ONE("<status>error</status><errcode>0</errcode>"),
		ONE("<status>error</status><errcode>-5</errcode>"),
		ONE("<status>error</status><errcode>10x</errcode>"),
		ONE("<status>error</status><errcode>4294967296</errcode>"),
		ONE("<status>error</status><errcode></errcode>"),
	};
	struct result res;
	struct mc_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (read_first(bad[i], &res, &err) != MC_E_PARSE)
			fail_msg("result accepted: %s", bad[i]);
		assert_int_equal(err.code, MC_E_PARSE);
		result_clear(&res);
	}
	assert_int_equal(read_first(ONE("<status>error</status><errcode>"
	    "1015</errcode><errtext>Domain does not exist</errtext><site-id>"
	    "13</site-id>"), &res, &err), MC_OK);
	assert_int_equal(res.ok, 0);
	assert_int_equal(res.errcode, 1015);
	assert_string_equal(res.errtext, "Domain does not exist");
	result_clear(&res);
	assert_int_equal(read_first(ONE("<status>error</status><errcode>"
	    "4294967295</errcode>"), &res, &err), MC_OK);
	assert_int_equal(res.errcode, 4294967295U);
	assert_null(res.errtext);
	result_clear(&res);
}

static void
test_errtext_printable(void **state)
{
	struct result res;
	struct mc_err err, e;
	const char *sys = "<packet><system><status>error</status><errcode>"
	    "1014</errcode><errtext>line1&#10;\x1b[31mred&#9;tab&#13;&#x7f;"
	    "</errtext></system></packet>";
	const char *sys2 = "<packet><system><status>error</status><errcode>"
	    "1014</errcode><errtext>line1&#10;&#13;tab&#9;x&#x7f;"
	    "</errtext></system></packet>";

	(void)state;
	assert_int_equal(read_first(ONE("<status>error</status><errcode>1023"
	    "</errcode><errtext>a&#9;b&#10;c&#13;d&#x7f;e \xc3\xbc</errtext>"),
	    &res, &err), MC_OK);
	assert_string_equal(res.errtext, "a?b?c?d?e \xc3\xbc");
	result_clear(&res);

	/* a raw ESC is not even well-formed XML */
	parse_fail(sys, strlen(sys), MC_E_PARSE);
	e = parse_fail(sys2, strlen(sys2), MC_E_SYSTEM);
	assert_contains(e.msg, "line1??tab?x?");
	assert_null(strchr(e.msg, '\n'));
	assert_null(strchr(e.msg, '\r'));
	assert_null(strchr(e.msg, '\t'));
	assert_null(strchr(e.msg, 0x7f));
}

static void
test_printable(void **state)
{
	char out[8];

	(void)state;
	printable("a\nb\x01\x7f" "c", out, sizeof(out));
	assert_string_equal(out, "a?b??c");
	printable("abcdefghij", out, sizeof(out));
	assert_string_equal(out, "abcdefg");
	printable(NULL, out, sizeof(out));
	assert_string_equal(out, "");
	out[0] = 'x';
	printable("abc", out, 0);
	assert_int_equal(out[0], 'x');
	printable("\xc3\xbc", out, sizeof(out));
	assert_string_equal(out, "\xc3\xbc");
}

static void
test_xml_helpers(void **state)
{
	struct response *r = unit_parse("<packet><a><b>  x y  </b><c>12</c>"
	    "<c>13</c><d>-1</d><e></e><f>99999999999999999999999</f>"
	    "</a></packet>");
	xmlNodePtr a = xmlDocGetRootElement(r->doc)->children, c;
	unsigned long v = 7;
	char *s;

	(void)state;
	assert_non_null(a);
	s = xml_child_text(a, "b");
	assert_string_equal(s, "x y");
	free(s);
	assert_null(xml_child_text(a, "zz"));
	assert_null(xml_child(NULL, "a"));
	assert_null(xml_child_text(NULL, "a"));
	c = xml_child(a, "c");
	assert_non_null(c);
	assert_non_null(c = xml_next(c, "c"));
	assert_null(xml_next(c, "c"));
	assert_true(xml_child_ulong(a, "c", &v));
	assert_int_equal(v, 12);
	assert_false(xml_child_ulong(a, "d", &v));
	assert_false(xml_child_ulong(a, "e", &v));
	assert_false(xml_child_ulong(a, "f", &v));
	assert_false(xml_child_ulong(a, "zz", &v));
	assert_int_equal(v, 12);
	s = xml_child_text(a, "e");
	assert_string_equal(s, "");
	free(s);
	response_free(r);
}

/* issue 11: libxml2 printed panel bytes on stderr ("input conversion
 * failed due to input error, bytes 0xFF 0xFE ...") despite NOERROR */
static void
no_op(void *arg, size_t i, const char *op, const char *name, xmlNodePtr n)
{
	(void)arg;
	(void)i;
	(void)op;
	(void)name;
	(void)n;
}

static void
test_libxml2_silent(void **state)
{
	static const char *const bad[] = {
		"<?xml version=\"1.0\" encoding=\"ISO-2022-JP\"?><packet>"
		"\x1b$B\xff\xfe PANELTEXT</packet>",
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?><packet>\xff\xfe "
		"PANELTEXT &bogus;</packet>",
		"<?xml version=\"1.0\" encoding=\"x-PANELTEXT\"?><packet/>",
	};
	char path[] = "/tmp/test_response.XXXXXX", *v;
	struct response *r;
	struct mc_err err;
	struct stat st;
	size_t i, n;
	int fd, saved;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = NULL;
		mc_err_clear(&err);
		assert_int_not_equal(response_parse(bad[i], strlen(bad[i]), &r,
		    &err), MC_OK);
		response_free(r);
		v = NULL;
		(void)response_stream(bad[i], strlen(bad[i]), &v, no_op, NULL,
		    &n, &err);
		free(v);
	}
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	unlink(path);
	assert_int_equal(st.st_size, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_system_auth),
		cmocka_unit_test(test_system_version),
		cmocka_unit_test(test_system_other),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_dtd_refused),
		cmocka_unit_test(test_pretty_printed),
		cmocka_unit_test(test_version_attr),
		cmocka_unit_test(test_result_codes),
		cmocka_unit_test(test_errtext_printable),
		cmocka_unit_test(test_printable),
		cmocka_unit_test(test_xml_helpers),
		cmocka_unit_test(test_libxml2_silent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
