/* packet.h -- building request packets with libxml2's tree API. */
#ifndef MC_PACKET_H
#define MC_PACKET_H

#include <libxml/tree.h>

#include "err.h"

/*
 * A request packet: <packet version="V"><OPERATOR><OPERATION>...
 * Text goes in through xmlNewTextChild, so it is escaped by construction.
 * Callers add children in the order the XSD requires.
 */
struct packet {
	xmlDocPtr	 doc;
	xmlNodePtr	 root;
	size_t		 nops;		/* operation elements so far */
};

/* version may be NULL (the server then uses its newest). */
struct packet	*packet_new(const char *version);
void		 packet_free(struct packet *);

/* Children: text (escaped), unsigned number, empty element. NULL on ENOMEM. */
xmlNodePtr	 packet_text(xmlNodePtr parent, const char *name, const char *);
xmlNodePtr	 packet_ulong(xmlNodePtr parent, const char *name, unsigned long);
xmlNodePtr	 packet_empty(xmlNodePtr parent, const char *name);

/* Serialize as UTF-8; *buf is owned by the caller (free with xmlFree). */
enum mc_result	 packet_serialize(const struct packet *, xmlChar **buf,
		    int *len, struct mc_err *);

#endif
