/* test_dom.c -- a domain's state grows with what it has: name servers
 * (no fixed slots, no silent ninth-server limit: issues 11, 14) and notes
 * (each as long as its text). */
#include "unit.h"

#include "../../plugin/helper/atomicfile.c"
#include "../../plugin/helper/audit.c"
#include "../../plugin/helper/dom.c"
#include "../../plugin/helper/idn.c"
#include "../../plugin/helper/jkey.c"
#include "../../plugin/helper/journal.c"
#include "../../plugin/helper/journaldir.c"

/* dom.c's typed journal access needs these two; not used here */
time_t
engine_tick(struct engine *e)
{
	(void)e;
	return 0;
}

int
own_rec_parse(const char *s, struct own_rec *r)
{
	(void)s;
	(void)r;
	return 0;
}

/* 40 servers (a zone with far more than the old fixed 8): every one kept,
 * in order, each zeroed when added; the array grows by doubling, so the
 * capacity stays within twice what the zone has */
static void
test_servers_grow(void **state)
{
	struct dom d;
	struct srv *v;
	size_t i;

	(void)state;
	dom_init(&d, "Many-NS.Example.");
	assert_string_equal(d.name, "many-ns.example");
	assert_int_equal(d.nsrv, 0);
	assert_null(d.srv);
	for (i = 0; i < 40; i++) {
		assert_non_null(v = dom_srv_add(&d));
		assert_string_equal(v->addr, "");
		assert_int_equal(v->ok, 0);
		snprintf(v->name, sizeof(v->name), "ns%zu.many-ns.example", i);
		snprintf(v->addr, sizeof(v->addr), "127.0.66.%zu", i + 1);
		v->ok = 1;
		assert_true(d.capsrv >= d.nsrv && d.capsrv <= 2 * d.nsrv + 2);
	}
	assert_int_equal(d.nsrv, 40);
	for (i = 0; i < 40; i++) {
		char want[64];
		snprintf(want, sizeof(want), "127.0.66.%zu", i + 1);
		assert_string_equal(d.srv[i].addr, want);
		assert_int_equal(d.srv[i].ok, 1);
	}
	/* two servers, the common case: room for two, not eight */
	dom_release(&d);
	assert_null(d.srv);
	assert_int_equal(d.nsrv, 0);
	dom_init(&d, "two.example");
	dom_srv_add(&d);
	dom_srv_add(&d);
	assert_int_equal(d.capsrv, 2);
	dom_release(&d);
	dom_release(&d);	/* twice: nothing left to free */
}

/* notes: none until one is made, each as long as its text, all kept up
 * to DOM_MAX_NOTES */
static void
test_notes_grow(void **state)
{
	struct dom d;
	size_t i;

	(void)state;
	dom_init(&d, "notes.example");
	assert_null(d.notes);
	dom_note(&d, NOTE_INFO, "short");
	assert_int_equal(d.nnotes, 1);
	assert_string_equal(d.notes[0].text, "short");
	assert_true(d.capnotes < DOM_MAX_NOTES);
	for (i = 1; i < 10; i++)
		dom_note(&d, NOTE_WARN, "note %zu", i);
	assert_int_equal(d.nnotes, 10);
	assert_string_equal(d.notes[9].text, "note 9");
	assert_int_equal(d.notes[9].kind, NOTE_WARN);
	assert_true(d.capnotes >= 10 && d.capnotes <= 20);
	dom_release(&d);
	assert_null(d.notes);
	assert_int_equal(d.nnotes, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_servers_grow),
		cmocka_unit_test(test_notes_grow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
