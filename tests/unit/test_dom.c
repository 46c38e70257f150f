/* test_dom.c -- a domain's notes and journal values: no silent limit. */
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
	assert_true(strlen(d.notes[0].text) < sizeof(d.notes[0].text));
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notes_not_capped),
		cmocka_unit_test(test_note_cut_said),
		cmocka_unit_test(test_setf_not_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
