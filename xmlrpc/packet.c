/* packet.c -- request packets built with the libxml2 tree API. */
#include <stdio.h>
#include <string.h>

#include "packet.h"

struct packet *
packet_new(const char *version)
{
	struct packet *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if ((p->doc = xmlNewDoc(BAD_CAST "1.0")) == NULL)
		goto fail;
	if ((p->root = xmlNewNode(NULL, BAD_CAST "packet")) == NULL)
		goto fail;
	xmlDocSetRootElement(p->doc, p->root);
	if (version != NULL &&
	    xmlNewProp(p->root, BAD_CAST "version", BAD_CAST version) == NULL)
		goto fail;
	return p;
fail:
	packet_free(p);
	return NULL;
}

void
packet_free(struct packet *p)
{
	if (p == NULL)
		return;
	if (p->doc != NULL)
		xmlFreeDoc(p->doc);
	else if (p->root != NULL)
		xmlFreeNode(p->root);
	free(p);
}

xmlNodePtr
packet_text(xmlNodePtr parent, const char *name, const char *text)
{
	return xmlNewTextChild(parent, NULL, BAD_CAST name,
	    BAD_CAST (text != NULL ? text : ""));
}

xmlNodePtr
packet_ulong(xmlNodePtr parent, const char *name, unsigned long v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lu", v);
	return packet_text(parent, name, buf);
}

xmlNodePtr
packet_empty(xmlNodePtr parent, const char *name)
{
	return xmlNewChild(parent, NULL, BAD_CAST name, NULL);
}

enum mc_result
packet_serialize(const struct packet *p, xmlChar **buf, int *len,
    struct mc_err *err)
{
	*buf = NULL;
	*len = 0;
	xmlDocDumpMemoryEnc(p->doc, buf, len, "UTF-8");
	if (*buf == NULL || *len <= 0)
		return mc_err_set(err, MC_E_NOMEM, "packet: cannot serialize");
	return MC_OK;
}
