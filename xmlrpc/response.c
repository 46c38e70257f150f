/* response.c -- reply packets parsed safely with libxml2. */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlreader.h>

#include "errcode.h"
#include "response.h"
#include "valid.h"

xmlNodePtr
xml_child(xmlNodePtr n, const char *name)
{
	xmlNodePtr c;

	if (n == NULL)
		return NULL;
	for (c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE &&
		    xmlStrcmp(c->name, BAD_CAST name) == 0)
			return c;
	return NULL;
}

xmlNodePtr
xml_next(xmlNodePtr n, const char *name)
{
	for (n = n->next; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    xmlStrcmp(n->name, BAD_CAST name) == 0)
			return n;
	return NULL;
}

char *
xml_text(xmlNodePtr n)
{
	xmlChar *c;
	char *s;
	size_t b, e;

	c = xmlNodeGetContent(n);
	if (c == NULL)
		return strdup("");
	e = strlen((char *)c);
	for (b = 0; b < e && isspace(c[b]); b++)
		;
	while (e > b && isspace(c[e - 1]))
		e--;
	if ((s = malloc(e - b + 1)) != NULL) {
		memcpy(s, c + b, e - b);
		s[e - b] = '\0';
	}
	xmlFree(c);
	return s;
}

char *
xml_child_text(xmlNodePtr n, const char *name)
{
	xmlNodePtr c = xml_child(n, name);

	return c == NULL ? NULL : xml_text(c);
}

int
xml_child_ulong(xmlNodePtr n, const char *name, unsigned long *v)
{
	char *s = xml_child_text(n, name);
	int ok;

	if (s == NULL)
		return 0;
	ok = parse_ulong(s, 0, ULONG_MAX, v);
	free(s);
	return ok;
}

void
printable(const char *s, char *out, size_t outsz)
{
	size_t i;

	if (outsz == 0)
		return;
	for (i = 0; s != NULL && s[i] != '\0' && i + 1 < outsz; i++)
		out[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ?
		    '?' : s[i];
	out[i] = '\0';
}

void
result_clear(struct result *r)
{
	if (r == NULL)
		return;
	free(r->errtext);
	memset(r, 0, sizeof(*r));
}

enum mc_result
result_read(xmlNodePtr n, struct result *r, struct mc_err *err)
{
	char *status, *text;
	unsigned long code = 0;

	memset(r, 0, sizeof(*r));
	r->node = n;
	if ((status = xml_child_text(n, "status")) == NULL)
		return mc_err_set(err, MC_E_PARSE,
		    "reply: <result> without <status>");
	if (strcmp(status, "ok") == 0) {
		r->ok = 1;
		free(status);
		return MC_OK;
	}
	if (strcmp(status, "error") != 0) {
		free(status);
		return mc_err_set(err, MC_E_PARSE,
		    "reply: <status> is neither ok nor error");
	}
	free(status);
	if (!xml_child_ulong(n, "errcode", &code) || code == 0 ||
	    code > UINT_MAX)
		return mc_err_set(err, MC_E_PARSE,
		    "reply: error <result> without a valid <errcode>");
	r->errcode = (unsigned)code;
	if ((text = xml_child_text(n, "errtext")) != NULL) {
		size_t len = strlen(text) + 1;
		if ((r->errtext = malloc(len)) != NULL)
			printable(text, r->errtext, len);
		free(text);
	}
	return MC_OK;
}

static enum mc_result
system_error(xmlNodePtr sys, struct mc_err *err)
{
	struct result r;
	enum mc_result result, kind;

	if ((result = result_read(sys, &r, err)) != MC_OK)
		return result;
	if (r.ok) {
		result_clear(&r);
		return mc_err_set(err, MC_E_PARSE,
		    "reply: <system> element with status ok");
	}
	if (plesk_errcode_is_auth(r.errcode))
		kind = MC_E_AUTH;
	else if (r.errcode == PLESK_ERR_PROTOCOL_VERSION)
		kind = MC_E_VERSION;
	else
		kind = MC_E_SYSTEM;
	mc_err_set(err, kind, "panel refused the packet: error %u (%s): %.200s",
	    r.errcode, plesk_errcode_name(r.errcode),
	    r.errtext != NULL ? r.errtext : "");
	if (err != NULL)
		err->plesk_code = r.errcode;
	result_clear(&r);
	return kind;
}

void
response_free(struct response *r)
{
	if (r == NULL)
		return;
	if (r->doc != NULL)
		xmlFreeDoc(r->doc);
	if (r->version != NULL)
		xmlFree(r->version);
	free(r->ops);
	free(r);
}

/*
 * libxml2 prints some errors on stderr whatever the parser options say
 * ("input conversion failed due to input error, bytes 0xFF 0xFE ..."):
 * panel content. Its handlers (per thread) drop them; the reply's fault
 * is said by our own message.
 */
static void
quiet_generic(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void
quiet_structured(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	(void)e;
}

static void
xml_quiet(void)
{
	xmlSetGenericErrorFunc(NULL, quiet_generic);
	xmlSetStructuredErrorFunc(NULL, quiet_structured);
}

enum mc_result
response_parse(const char *buf, size_t len, struct response **out,
    struct mc_err *err)
{
	struct response *r = NULL;
	xmlNodePtr root, opr, op, sys;
	enum mc_result result = MC_E_PARSE;
	size_t n = 0;

	*out = NULL;
	if (len > INT_MAX) {
		result = mc_err_set(err, MC_E_TOOBIG, "reply: too large");
		goto out;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		result = mc_err_set(err, MC_E_NOMEM, "reply: out of memory");
		goto out;
	}
	/* no XML_PARSE_NOENT, no XML_PARSE_DTDLOAD: entities stay unexpanded */
	xml_quiet();
	r->doc = xmlReadMemory(buf, (int)len, "reply.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (r->doc == NULL) {
		mc_err_set(err, MC_E_PARSE, "reply: not well-formed XML "
		    "(%zu bytes; truncated or damaged)", len);
		goto out;
	}
	if (r->doc->intSubset != NULL || r->doc->extSubset != NULL) {
		mc_err_set(err, MC_E_PARSE, "reply: carries a DTD; refused");
		goto out;
	}
	root = xmlDocGetRootElement(r->doc);
	if (root == NULL || xmlStrcmp(root->name, BAD_CAST "packet") != 0) {
		mc_err_set(err, MC_E_PARSE, "reply: root element is not "
		    "<packet>");
		goto out;
	}
	r->version = (char *)xmlGetProp(root, BAD_CAST "version");
	if ((sys = xml_child(root, "system")) != NULL) {
		result = system_error(sys, err);
		goto out;
	}
	for (opr = root->children; opr != NULL; opr = opr->next)
		if (opr->type == XML_ELEMENT_NODE &&
		    xmlStrcmp(opr->name, BAD_CAST "output") != 0)
			for (op = opr->children; op != NULL; op = op->next)
				if (op->type == XML_ELEMENT_NODE)
					n++;
	if (n > 0 && (r->ops = calloc(n, sizeof(*r->ops))) == NULL) {
		result = mc_err_set(err, MC_E_NOMEM, "reply: out of memory");
		goto out;
	}
	for (opr = root->children; opr != NULL; opr = opr->next) {
		if (opr->type != XML_ELEMENT_NODE ||
		    xmlStrcmp(opr->name, BAD_CAST "output") == 0)
			continue;
		for (op = opr->children; op != NULL; op = op->next) {
			if (op->type != XML_ELEMENT_NODE)
				continue;
			r->ops[r->nops].operator = (const char *)opr->name;
			r->ops[r->nops].operation = (const char *)op->name;
			r->ops[r->nops].node = op;
			r->nops++;
		}
	}
	*out = r;
	r = NULL;
	result = MC_OK;
out:
	response_free(r);
	return result;
}

/* a <system> error after nops operation results: the panel ran some of
 * the packet, what it did is not known (maybe applied) */
static enum mc_result
system_late(xmlNodePtr node, size_t nops, struct mc_err *err)
{
	enum mc_result result = system_error(node, err);

	if (nops > 0 && err != NULL) {
		err->maybe_applied = 1;
		mc_err_prefix(err, "after %zu operation result%s", nops,
		    nops == 1 ? "" : "s");
	}
	return result;
}

enum mc_result
response_stream(const char *buf, size_t len, char **version,
    response_op_cb cb, void *arg, size_t *nops, struct mc_err *err)
{
	xmlTextReaderPtr rd = NULL;
	xmlNodePtr node;
	char operator[64] = "";
	const char *name;
	enum mc_result result = MC_E_PARSE;
	int ret, depth, type, root = 0;

	*version = NULL;
	*nops = 0;
	if (len > INT_MAX)
		return mc_err_set(err, MC_E_TOOBIG, "reply: too large");
	/* no XML_PARSE_NOENT, no XML_PARSE_DTDLOAD, as response_parse */
	xml_quiet();
	rd = xmlReaderForMemory(buf, (int)len, "reply.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (rd == NULL)
		return mc_err_set(err, MC_E_NOMEM, "reply: out of memory");
	ret = xmlTextReaderRead(rd);
	while (ret == 1) {
		type = xmlTextReaderNodeType(rd);
		depth = xmlTextReaderDepth(rd);
		if (type == XML_READER_TYPE_DOCUMENT_TYPE) {
			mc_err_set(err, MC_E_PARSE, "reply: carries a DTD; "
			    "refused");
			goto out;
		}
		if (type != XML_READER_TYPE_ELEMENT) {
			ret = xmlTextReaderRead(rd);
			continue;
		}
		name = (const char *)xmlTextReaderConstName(rd);
		if (depth == 0) {
			if (name == NULL || strcmp(name, "packet") != 0) {
				mc_err_set(err, MC_E_PARSE, "reply: root element "
				    "is not <packet>");
				goto out;
			}
			*version = (char *)xmlTextReaderGetAttribute(rd,
			    BAD_CAST "version");
			root = 1;
		} else if (depth == 1 && name != NULL &&
		    strcmp(name, "system") == 0) {
			if ((node = xmlTextReaderExpand(rd)) == NULL)
				break;
			result = system_late(node, *nops, err);
			goto out;
		} else if (depth == 1 && name != NULL &&
		    strcmp(name, "output") == 0) {
			ret = xmlTextReaderNext(rd);
			continue;
		} else if (depth == 1)
			snprintf(operator, sizeof(operator), "%s",
			    name != NULL ? name : "");
		else if (depth == 2) {
			if ((node = xmlTextReaderExpand(rd)) == NULL)
				break;
			cb(arg, (*nops)++, operator, name != NULL ? name : "",
			    node);
			/* on past this subtree; the reader frees it */
			ret = xmlTextReaderNext(rd);
			continue;
		}
		ret = xmlTextReaderRead(rd);
	}
	if (ret != 0 || !root) {
		mc_err_set(err, MC_E_PARSE, "reply: not well-formed XML "
		    "(%zu bytes; truncated or damaged)", len);
		goto out;
	}
	result = MC_OK;
out:
	xmlFreeTextReader(rd);
	return result;
}
