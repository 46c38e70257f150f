/* response.h -- parsing reply packets: system errors, operations, results. */
#ifndef MC_RESPONSE_H
#define MC_RESPONSE_H

#include <libxml/tree.h>

#include "err.h"

/* One operation element of the reply, in document order. */
struct reply_op {
	const char	*operator;	/* points into the document */
	const char	*operation;
	xmlNodePtr	 node;
};

struct response {
	xmlDocPtr	 doc;
	char		*version;	/* root version attribute, or NULL */
	struct reply_op	*ops;
	size_t		 nops;
};

/* One <result> read from the reply. Strings are owned by the struct. */
struct result {
	int		 ok;		/* status was "ok" */
	unsigned	 errcode;	/* 0 when ok */
	char		*errtext;	/* printable, may be NULL */
	xmlNodePtr	 node;
};

/*
 * Parse a reply. The parser runs with no network, no DTD loading and no
 * entity substitution; a document with a DTD is refused. A <system>
 * error fails the whole packet: MC_E_AUTH for 1001/1029/11003,
 * MC_E_VERSION for 1005, MC_E_SYSTEM otherwise (err->plesk_code set).
 * On MC_OK *out holds the operations in order.
 */
enum mc_result	 response_parse(const char *buf, size_t len,
		    struct response **out, struct mc_err *);
void		 response_free(struct response *);

/* Called for each operation element of a streamed reply, in order. */
typedef void	 (*response_op_cb)(void *arg, size_t index,
		    const char *operator, const char *operation, xmlNodePtr);

/*
 * Read a reply as a stream, with the checks of response_parse (no
 * network, no DTD, no entity substitution; <system> errors). Each
 * operation element is expanded, handed to cb, and freed when the reader
 * moves on, so a large reply never becomes one large tree. *version
 * (xmlFree) gets the root's version attribute before the first cb call;
 * *nops the number of operation elements seen. A reply cut or damaged
 * after some operations were handed over still fails with MC_E_PARSE.
 */
enum mc_result	 response_stream(const char *buf, size_t len, char **version,
		    response_op_cb cb, void *arg, size_t *nops,
		    struct mc_err *);

/* Read a <result> element. MC_E_PARSE if its status is missing or odd. */
enum mc_result	 result_read(xmlNodePtr, struct result *, struct mc_err *);
void		 result_clear(struct result *);

/* First element child called name, or NULL. */
xmlNodePtr	 xml_child(xmlNodePtr, const char *name);
/* Next element sibling called name after node, or NULL. */
xmlNodePtr	 xml_next(xmlNodePtr, const char *name);
/* Trimmed text of a node (allocated, never NULL unless ENOMEM). */
char		*xml_text(xmlNodePtr);
/* Trimmed text of child name; NULL if absent (or ENOMEM). */
char		*xml_child_text(xmlNodePtr, const char *name);
/* Unsigned number of child name; 1 if present and valid. */
int		 xml_child_ulong(xmlNodePtr, const char *name, unsigned long *);

/* Copy s into out, replacing non-printable bytes; for server text. */
void		 printable(const char *s, char *out, size_t);

#endif
