/*
 * fuzz_journal.c -- the journal reader.
 *
 * Drives journal_parse() (static in plugin/helper/journal.c, included
 * here), and for every journal it accepts journal_render() and
 * journal_parse() again: the round trip must give the same pairs.
 *
 * Input: 1 byte mode; bit 0 set: the rest is a journal without its
 * "end sha256=" trailer, which the harness computes and appends (so the
 * fuzzer gets past the checksum); clear: the rest is the file as is.
 * The domain asked for is the one on line 2 ("domain NAME").
 */
#include "fuzz.h"

#include <stdio.h>

#include "../../plugin/helper/journal.c"

static void
domain_of(const char *buf, size_t len, char *out, size_t cap)
{
	const char *p = memchr(buf, '\n', len), *e;
	size_t n;

	snprintf(out, cap, "example.com");
	if (p == NULL || (size_t)(buf + len - p) < 8 ||
	    strncmp(p + 1, DOMAIN_PREFIX, sizeof(DOMAIN_PREFIX) - 1) != 0)
		return;
	p += sizeof(DOMAIN_PREFIX);
	e = memchr(p, '\n', (size_t)(buf + len - p));
	n = e ? (size_t)(e - p) : (size_t)(buf + len - p);
	if (n > 0 && n < cap && memchr(p, '\0', n) == NULL) {
		memcpy(out, p, n);
		out[n] = '\0';
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct journal *j = NULL, *k = NULL;
	struct mc_err err;
	char domain[JOURNAL_NAME_MAX], *buf, *out = NULL;
	size_t len, olen = 0, i;
	uint8_t mode;

	if (!fuzz_take(&data, &size, &mode, 1) || size > JOURNAL_FILE_MAX)
		return 0;
	len = size;
	if ((buf = malloc(size + sizeof(END_PREFIX) + 2 * SHA256_DIGEST_LENGTH
	    + 2)) == NULL)
		return 0;
	memcpy(buf, data, size);
	if (mode & 1) {
		unsigned char md[SHA256_DIGEST_LENGTH];
		char hex[2 * SHA256_DIGEST_LENGTH + 1];
		SHA256((const unsigned char *)buf, len, md);
		hex_encode(md, hex);
		len += (size_t)sprintf(buf + len, END_PREFIX "%s\n", hex);
	}
	buf[len] = '\0';
	domain_of(buf, len, domain, sizeof(domain));
	mc_err_clear(&err);
	if (journal_parse("fuzz.journal", domain, buf, len, &j, &err) != MC_OK)
		goto out;
	/* what was read writes back to a file that reads the same */
	if (journal_render(j, &out, &olen, &err) != MC_OK)
		goto out;
	if (journal_parse("fuzz.rendered", domain, out, olen, &k, &err) !=
	    MC_OK) {
		fprintf(stderr, "rendered journal refused: %s\n", err.msg);
		abort();
	}
	if (journal_count(j) != journal_count(k))
		abort();
	for (i = 0; i < journal_count(j); i++)
		if (strcmp(journal_key_at(j, i), journal_key_at(k, i)) != 0 ||
		    strcmp(journal_value_at(j, i), journal_value_at(k, i)) !=
		    0) {
			fprintf(stderr, "round trip changed key %s\n",
			    journal_key_at(j, i));
			abort();
		}
out:
	journal_free(j);
	journal_free(k);
	free(out);
	free(buf);
	return 0;
}
