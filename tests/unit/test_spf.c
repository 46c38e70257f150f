/* test_spf.c -- the SPF evaluation: no silent cut of a record or a term
 * (issue 11). DNS answers come from a table: dnsprobe_run is renamed for
 * dnsask.c only, as tests/fuzz/fuzz_spf.c does. */
#include "unit.h"

#include "dnsprobe.h"

static enum mc_result table_answer(struct dnsq *, size_t,
    const struct dnsprobe_opts *, struct mc_err *);

#define dnsprobe_run table_answer
#include "../../plugin/helper/dnsask.c"
#undef dnsprobe_run
#include "../../plugin/helper/dnsq.c"
#include "../../plugin/helper/spf.c"

static const char *txt_name, *txt_value;	/* the one TXT record */

static enum mc_result
table_answer(struct dnsq *qs, size_t n, const struct dnsprobe_opts *o,
    struct mc_err *err)
{
	size_t i;

	(void)o;
	(void)err;
	for (i = 0; i < n; i++) {
		struct dnsq *q = &qs[i];
		dnsq_clear(q);
		q->result = MC_OK;
		q->rcode = 3;			/* NXDOMAIN */
		if (strcasecmp(q->name, txt_name) != 0)
			continue;
		q->rcode = 0;
		if (q->type != LDNS_RR_TYPE_TXT)
			continue;
		q->answers = calloc(1, sizeof(*q->answers));
		assert_non_null(q->answers);
		q->answers[0] = strdup(txt_value);
		q->nanswers = 1;
	}
	return MC_OK;
}

static enum spf_res
check_spf(const char *record, const char *ip, struct spf *s)
{
	static const struct dnsask c = { "192.0.2.53", 53, { 0 }, "resolver" };

	memset(s, 0, sizeof(*s));
	s->c = &c;
	s->ip = ip;
	txt_name = "example.test";
	txt_value = record;
	return spf_check(s, "example.test");
}

/* a record over 1 KiB: its last terms were cut off, so the sender listed
 * at the end did not pass */
static void
test_long_record(void **state)
{
	char rec[3000];
	size_t used, i;
	struct spf s;

	(void)state;
	used = (size_t)snprintf(rec, sizeof(rec), "v=spf1");
	for (i = 1; i <= 120; i++)
		used += (size_t)snprintf(rec + used, sizeof(rec) - used,
		    " ip4:198.51.100.%zu", i);
	snprintf(rec + used, sizeof(rec) - used, " ip4:203.0.113.7 -all");
	assert_true(strlen(rec) > 1100);
	assert_int_equal(check_spf(rec, "203.0.113.7", &s), SPF_PASS);
	assert_int_equal(check_spf(rec, "203.0.113.8", &s), SPF_FAIL);
}

/* a term longer than a domain-spec can be: an error, never a cut term */
static void
test_long_term(void **state)
{
	char rec[700], label[64];
	struct spf s;

	(void)state;
	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(rec, sizeof(rec), "v=spf1 include:%s.%s.%s.%s.%s.test -all",
	    label, label, label, label, label);
	assert_int_equal(check_spf(rec, "203.0.113.7", &s), SPF_PERMERROR);
	assert_non_null(strstr(s.why, "longer than 255"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_record),
		cmocka_unit_test(test_long_term),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
