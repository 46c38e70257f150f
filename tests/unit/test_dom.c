/* test_dom.c -- a domain's notes, journal values and name servers: no
 * silent limit, and state that grows with what the domain has (issues 11,
 * 14). */
#include "unit.h"

#include "../../plugin/helper/atomicfile.c"
#include "../../plugin/helper/audit.c"
#include "../../plugin/helper/dom.c"
#include "../../plugin/helper/idn.c"
#include "../../plugin/helper/jkey.c"
#include "../../plugin/helper/journal.c"
#include "../../plugin/helper/journaldir.c"

/* what dom.c calls that these tests do not reach */
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

/* issue 11: notes were dropped past 64, and plan finds blocks by
 * scanning them: a block noted late vanished */
static void
test_notes_not_capped(void **state)
{
	struct dom d;
	size_t k;

	(void)state;
	dom_init(&d, "example.com");
	for (k = 0; k < 300; k++)
		dom_note(&d, NOTE_INFO, "note %zu", k);
	dom_note(&d, NOTE_BLOCK, "the late block");
	assert_int_equal(d.nnotes, 301);
	assert_int_equal(d.notes[300].kind, NOTE_BLOCK);
	assert_string_equal(d.notes[300].text, "the late block");
	assert_string_equal(d.notes[0].text, "note 0");
	assert_int_not_equal(d.res, DR_FAILED);
	dom_release(&d);
}

/* a note longer than its room says it was cut */
static void
test_note_cut_said(void **state)
{
	struct dom d;
	char big[1000];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	dom_init(&d, "example.com");
	dom_note(&d, NOTE_WARN, "%s", big);
	assert_int_equal(d.nnotes, 1);
	assert_true(strlen(d.notes[0].text) < DOM_NOTE_MAX);
	assert_non_null(strstr(d.notes[0].text, "(cut)"));
	dom_release(&d);
}

/* dom_setf wrote at most 1023 bytes into the journal without a word */
static void
test_setf_not_cut(void **state)
{
	struct dom d;
	char big[3000];

	(void)state;
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	dom_init(&d, "example.com");
	assert_non_null(d.j = journal_new("example.com"));
	assert_true(dom_setf(&d, JK_PREPARE_OLD_TTL, "%s", big));
	assert_string_equal(dom_get(&d, JK_PREPARE_OLD_TTL), big);
	dom_release(&d);
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

/* notes: none until one is made, each as long as its text, the array
 * grown by doubling */
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
	assert_int_equal(d.capnotes, 4);
	assert_int_equal(strlen(d.notes[0].text) + 1, sizeof("short"));
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
		cmocka_unit_test(test_notes_not_capped),
		cmocka_unit_test(test_note_cut_said),
		cmocka_unit_test(test_setf_not_cut),
		cmocka_unit_test(test_servers_grow),
		cmocka_unit_test(test_notes_grow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
