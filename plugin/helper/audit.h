/* audit.h -- the append-only audit log of every action, all domains. */
#ifndef MC_AUDIT_H
#define MC_AUDIT_H

#include "err.h"

#define AUDIT_FIELDS	7	/* time domain step old new result actor */
#define AUDIT_FIELD_MAX	512	/* bytes per field, longer ones are cut */
#define AUDIT_LINE_MAX	8192	/* audit_read refuses longer lines */

/*
 * Append one line to DIR/audit.log (created 0600) with a single write(2)
 * under an exclusive flock, all or nothing (a write cut short by a full
 * disk is truncated away again), and fsync it:
 *   2026-11-28T13:04:12Z\tdomain\tstep\told\tnew\tresult\tactor\n
 * The time is time(NULL) in UTC. Each field is made one printable line
 * (control characters, tabs and invalid UTF-8 become spaces or '?') and
 * cut at AUDIT_FIELD_MAX bytes; a NULL field is written as "-". The log
 * file must be a regular file owned by root with no group/world write bit.
 */
enum mc_result	 audit_append(const char *dir, const char *domain,
		    const char *step, const char *old_value,
		    const char *new_value, const char *result,
		    const char *actor, struct mc_err *);

/*
 * Call cb for each line of DIR/audit.log, oldest first; fields[0..6] are
 * time, domain, step, old, new, result, actor, valid only during the call.
 * domain: only lines for that domain (case-insensitive, trailing dot
 * ignored); NULL for all. A missing log is empty (MC_OK). Lines that do not
 * have 7 fields, are longer than AUDIT_LINE_MAX or lack their newline are
 * skipped, and the call then returns MC_E_CORRUPT naming the file and the
 * first bad line (after all good lines were passed to cb).
 */
enum mc_result	 audit_read(const char *dir, const char *domain,
		    void (*cb)(void *arg, const char *const fields[7]),
		    void *arg, struct mc_err *);

#endif
