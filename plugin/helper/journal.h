/* journal.h -- per-domain crash-safe journal of key/value pairs (doc/journal-format.md). */
#ifndef MC_JOURNAL_H
#define MC_JOURNAL_H

#include <stddef.h>

#include "err.h"

#define JOURNAL_KEY_MAX		64		/* [a-z0-9_.-]{1,64} */
/* a value holds the old mailboxes' sizes ("name=bytes ..."): 4 MiB is
 * some 45,000 mailboxes of one domain; the file, three such lists escaped */
#define JOURNAL_VALUE_MAX	(4 * 1024 * 1024) /* bytes, before escaping */
#define JOURNAL_FILE_MAX	(40 * 1024 * 1024) /* whole file, escaped */

/*
 * An ordered list of key/value strings plus the (lower-cased) domain name.
 * Opaque: use the accessors. Keys keep the order of their first insertion.
 */
struct journal;

/*
 * Read DIR/DOMAIN.journal. A missing file gives an empty new journal. A
 * damaged file (bad magic, missing or wrong "end sha256=" trailer, bad
 * line, wrong domain, larger than JOURNAL_FILE_MAX) gives MC_E_CORRUPT with
 * the file and the line or reason in the message. A domain that fails
 * valid_domain() gives MC_E_USAGE. On success *out is owned by the caller
 * (journal_free); on failure it is NULL.
 */
enum mc_result	 journal_load(const char *dir, const char *domain,
		    struct journal **out, struct mc_err *);

/*
 * Write the journal atomically over DIR/DOMAIN.journal: temp file
 * DIR/.DOMAIN.journal.XXXXXX (O_EXCL, 0600), write, fsync, close, rename,
 * fsync dir. On failure the temp file is removed and the old journal is
 * left as it was (unless only the final directory fsync failed, in which
 * case the new file is in place but may not survive a crash).
 */
enum mc_result	 journal_save(const char *dir, struct journal *,
		    struct mc_err *);

/* The value of key, or NULL if absent. Owned by the journal; valid until
   the key is set again, unset or the journal is freed. */
const char	*journal_get(const struct journal *, const char *key);

/*
 * Insert or replace key. Refuses (MC_E_USAGE) a bad key, a value longer
 * than JOURNAL_VALUE_MAX, or a change that would make the file larger
 * than JOURNAL_FILE_MAX. value is copied.
 */
enum mc_result	 journal_set(struct journal *, const char *key,
		    const char *value, struct mc_err *);
enum mc_result	 journal_setf(struct journal *, const char *key,
		    struct mc_err *, const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));

/* Remove key; 1 if it was there, 0 if not. Later keys keep their order. */
int		 journal_unset(struct journal *, const char *key);

size_t		 journal_count(const struct journal *);
/* i < journal_count(); NULL otherwise. Owned by the journal. */
const char	*journal_key_at(const struct journal *, size_t i);
const char	*journal_value_at(const struct journal *, size_t i);

/* 1 and *out set if key is present and a plain decimal number, else 0. */
int		 journal_get_ulong(const struct journal *, const char *key,
		    unsigned long *out);

/* Lower-cased domain, no trailing dot. Owned by the journal. */
const char	*journal_domain(const struct journal *);

void		 journal_free(struct journal *);

/* ---- names (journaldir.c uses them too) ---- */

#define JOURNAL_NAME_MAX	256	/* valid_domain(): at most 253 octets */
#define JOURNAL_SUFFIX		".journal"
#define JOURNAL_LOCK_SUFFIX	".lock"

/*
 * The file-name form of a domain: checked with valid_domain() (and again
 * letter by letter, since it becomes a file name), lower case, without
 * its final dot. MC_E_USAGE "'NAME': not a domain name" otherwise.
 */
enum mc_result	 journal_name(const char *domain, char out[JOURNAL_NAME_MAX],
		    struct mc_err *);

/* "DIR/PRE NAME SUFFIX" into buf; MC_E_USAGE when it does not fit. */
enum mc_result	 journal_file_path(char *buf, size_t, struct mc_err *,
		    const char *dir, const char *pre, const char *name,
		    const char *suffix);

#endif
