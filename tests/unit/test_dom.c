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

/* dom_str_vcut with arguments */
static int
cutf(char **slot, size_t max, const char *fmt, ...)
{
	va_list ap;
	int ok;

	va_start(ap, fmt);
	ok = dom_str_vcut(slot, max, fmt, ap);
	va_end(ap);
	return ok;
}

/* the idx-th note of d (0-based), or fail the test */
static struct note
note_at(const struct dom *d, size_t idx)
{
	struct note nt = { 0 };
	size_t k;

	for (k = 0; k <= idx; k++)
		assert_true(dom_note_next(d, &nt));
	return nt;
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
	assert_int_equal(note_at(&d, 300).kind, NOTE_BLOCK);
	assert_string_equal(note_at(&d, 300).text, "the late block");
	assert_string_equal(note_at(&d, 0).text, "note 0");
	assert_string_equal(note_at(&d, 299).text, "note 299");
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
	assert_true(strlen(note_at(&d, 0).text) < DOM_NOTE_MAX);
	assert_non_null(strstr(note_at(&d, 0).text, "(cut)"));
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
		assert_string_equal(v->name, "");
		assert_string_equal(v->seen, "");
		assert_int_equal(v->ok, 0);
		assert_true(cutf(&v->name, 256, "ns%zu.many-ns.example", i));
		snprintf(v->addr, sizeof(v->addr), "127.0.66.%zu", i + 1);
		v->ok = 1;
		assert_true(d.capsrv >= d.nsrv && d.capsrv <= 2 * d.nsrv + 2);
	}
	assert_int_equal(d.nsrv, 40);
	for (i = 0; i < 40; i++) {
		char want[64];
		snprintf(want, sizeof(want), "127.0.66.%zu", i + 1);
		assert_string_equal(d.srv[i].addr, want);
		snprintf(want, sizeof(want), "ns%zu.many-ns.example", i);
		assert_string_equal(d.srv[i].name, want);
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

/* notes: none until one is made, then packed in one block exactly as
 * long as they are (a kind byte, the text, a NUL each: issue 14), in
 * order, each kind changeable in place */
static void
test_notes_grow(void **state)
{
	struct dom d;
	struct note nt = { 0 };
	size_t i, want;

	(void)state;
	dom_init(&d, "notes.example");
	assert_null(d.notes);
	assert_false(dom_note_next(&d, &nt));
	dom_note(&d, NOTE_INFO, "short");
	assert_int_equal(d.nnotes, 1);
	assert_string_equal(note_at(&d, 0).text, "short");
	assert_int_equal(d.notes_len, 1 + sizeof("short"));
	want = d.notes_len;
	for (i = 1; i < 10; i++) {
		dom_note(&d, NOTE_WARN, "note %zu", i);
		want += 1 + strlen("note 1") + 1;
	}
	assert_int_equal(d.nnotes, 10);
	assert_int_equal(d.notes_len, want);
	assert_string_equal(note_at(&d, 9).text, "note 9");
	assert_int_equal(note_at(&d, 9).kind, NOTE_WARN);
	/* every note once, in order, then the end */
	memset(&nt, 0, sizeof(nt));
	for (i = 0; dom_note_next(&d, &nt); i++)
		assert_int_equal(nt.kind, i == 0 ? NOTE_INFO : NOTE_WARN);
	assert_int_equal(i, 10);
	nt = note_at(&d, 4);
	dom_note_kind_set(&d, &nt, NOTE_BLOCK);
	assert_int_equal(note_at(&d, 4).kind, NOTE_BLOCK);
	assert_int_equal(note_at(&d, 3).kind, NOTE_WARN);
	assert_string_equal(note_at(&d, 4).text, "note 4");
	dom_release(&d);
	assert_null(d.notes);
	assert_int_equal(d.nnotes, 0);
	assert_int_equal(d.notes_len, 0);
}

/* the domain's strings are as long as their value: "" shared (never
 * NULL), a message cut at DOM_MSG_MAX and saying nothing false, an IDN's
 * Unicode form kept beside its ASCII name */
static void
test_strings_sized(void **state)
{
	struct dom d;
	char big[2000];

	(void)state;
	assert_true(dom_init(&d, "XN--BCHER-KVA.Example."));
	assert_string_equal(d.name, "xn--bcher-kva.example");
	assert_string_equal(d.display, "b\xc3\xbc" "cher.example");
	assert_ptr_equal(d.zone, dom_nostr);
	assert_ptr_equal(d.msg, dom_nostr);
	assert_ptr_equal(d.panel_ip, dom_nostr);
	assert_true(dom_str_set(&d.zone, "xn--bcher-kva.example"));
	assert_string_equal(d.zone, "xn--bcher-kva.example");
	assert_true(dom_str_set(&d.zone, ""));
	assert_ptr_equal(d.zone, dom_nostr);
	assert_true(dom_str_set(&d.panel_ip, NULL));
	assert_ptr_equal(d.panel_ip, dom_nostr);
	assert_true(cutf(&d.panel_ip, 64, "%s.%d", "192.0.2", 7));
	assert_string_equal(d.panel_ip, "192.0.2.7");
	/* cut to fewer than max bytes, never inside a character */
	assert_true(cutf(&d.panel_ip, 8, "%s", "abcdefghij"));
	assert_string_equal(d.panel_ip, "abcdefg");
	assert_true(cutf(&d.panel_ip, 8, "abcdef%s", "\xc3\xbc"));
	assert_string_equal(d.panel_ip, "abcdef");
	assert_true(cutf(&d.panel_ip, 8, "%s", ""));
	assert_ptr_equal(d.panel_ip, dom_nostr);
	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	dom_fail(&d, "%s", big);
	assert_int_equal(strlen(d.msg), DOM_MSG_MAX - 1);
	dom_outcome(&d, DR_REFUSED, "not after a failure");
	assert_int_equal(strlen(d.msg), DOM_MSG_MAX - 1);
	dom_release(&d);
	assert_ptr_equal(d.name, dom_nostr);
	assert_ptr_equal(d.msg, dom_nostr);
	dom_release(&d);	/* twice: nothing left to free */
	assert_true(dom_init(&d, "plain.example"));
	assert_string_equal(d.display, "");
	dom_wait(&d, STEP_SWITCH, 0, "waiting %d", 1);
	assert_string_equal(d.msg, "waiting 1");
	dom_done(&d, "not while waiting");
	assert_string_equal(d.msg, "waiting 1");
	dom_release(&d);
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
		cmocka_unit_test(test_strings_sized),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
