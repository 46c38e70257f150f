/* step.h -- the runbook's steps by name (runbook.h says what each does). */
#ifndef MC_STEP_H
#define MC_STEP_H

/* In runbook order; a domain's next step is one of these. */
enum step_id {
	STEP_PLAN,	/* preflight; changes nothing */
	STEP_PREPARE,	/* 0.2 lower the zone TTL */
	STEP_SWITCH,	/* 1 the A records to the new address */
	STEP_SYNC,	/* 2 every authoritative server serves them */
	STEP_DISABLE,	/* 3 mail off on the old server */
	STEP_VERIFY,	/* 4 DNS and mail on the new server */
	STEP_FINISH,	/* 5-6 registrar confirmed, TTL restored */
	STEP_ROLLBACK,	/* everything back as journaled */
	STEP__MAX	/* none */
};

/* The command and JSON name: "disable-old-mail"; NULL for STEP__MAX. */
const char	*step_name(enum step_id);

/* The step of a command name; STEP__MAX when it is none. */
enum step_id	 step_by_name(const char *);

#endif
