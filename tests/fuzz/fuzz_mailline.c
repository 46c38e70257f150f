/*
 * fuzz_mailline.c -- the SMTP / IMAP / POP3 line reader of the mail
 * probes.
 *
 * Drives mailconn_line() (plaintext, over a socket pair the input was
 * written into; the buffer fill inside it), mailconn_reply() (multi-line
 * SMTP replies, codes, the STARTTLS keyword) and mailconn_printable() --
 * plugin/helper/mailconn.c.
 *
 * Input: 1 byte mode (mod 3): 0 SMTP replies (smtp_reply until an
 * error), 1 IMAP lines, 2 POP3 lines (conn_line until an error, with the
 * protocol's line limit); the rest: what the server sends.
 */
#include "fuzz.h"

#include <sys/socket.h>

#include <stdio.h>
#include <unistd.h>

#include "mailconn.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conn c;
	struct reply r;
	char line[IMAP_LINE_MAX + POP3_LINE_MAX + SMTP_LINE_MAX + 1];
	char pr[sizeof(line)];
	size_t len;
	int sv[2], i;
	uint8_t mode;

	if (!fuzz_take(&data, &size, &mode, 1) || size > 60000)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return 0;
	if (size > 0 && write(sv[1], data, size) != (ssize_t)size) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	close(sv[1]);	/* then EOF: every read expects an answer */
	memset(&c, 0, sizeof(c));
	c.fd = sv[0];
	c.deadline = mailconn_now() + 2000;
	snprintf(c.where, sizeof(c.where), "fuzz");
	switch (mode % 3) {
	case 0:
		c.line_max = SMTP_LINE_MAX;
		for (i = 0; i < 1000; i++)
			if (mailconn_reply(&c, &r) != MC_OK)
				break;
		break;
	default:
		c.line_max = mode % 3 == 1 ? IMAP_LINE_MAX : POP3_LINE_MAX;
		for (i = 0; i < 1000; i++) {
			if (mailconn_line(&c, line, c.line_max + 1, &len) != MC_OK)
				break;
			mailconn_printable(pr, sizeof(pr), line, len);
		}
		break;
	}
	close(sv[0]);
	return 0;
}
