/* selftest.c -- what this binary is built from, and whether it can work here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <curl/curl.h>
#include <ldns/ldns.h>
#include <libxml/parser.h>
#include <libxml/xmlversion.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <idn2.h>

#include "idn.h"
#include "json.h"
#include "proto.h"
#include "selftest.h"
#include "trust.h"

#ifdef MC_STATIC
#define LINKAGE "static"
#else
#define LINKAGE "dynamic"
#endif

/* "2.9.14" from libxml2's run-time "20914" */
static const char *
xml_version(void)
{
	static char v[32];
	long n = strtol(xmlParserVersion, NULL, 10);

	snprintf(v, sizeof(v), "%ld.%ld.%ld", n / 10000, n / 100 % 100,
	    n % 100);
	return v;
}

static const char *
machine(void)
{
	static struct utsname u;

	return uname(&u) == 0 ? u.machine : "unknown";
}

int
selftest_version(int json)
{
	const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
	const char *ts = trust_store();
	struct json j;

	if (json) {
		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		json_str(&j, "version", MC_VERSION);
		json_str(&j, "linkage", LINKAGE);
		json_str(&j, "protocol_min", PROTO_MIN);
		json_str(&j, "protocol_max", PROTO_MAX);
		json_str(&j, "libcurl", cv->version);
		json_str(&j, "libcurl_ssl", cv->ssl_version);
		json_str(&j, "openssl", OpenSSL_version(OPENSSL_VERSION));
		json_str(&j, "libxml2", xml_version());
		json_str(&j, "ldns", ldns_version());
		json_str(&j, "libidn2", idn2_check_version(NULL));
		json_str(&j, "trust_store", ts);
		json_obj_close(&j);
		json_end(&j);
		return 0;
	}
	printf("mailcutover %s (%s, %s)\n", MC_VERSION, LINKAGE, machine());
	printf("Plesk XML API protocols %s to %s\n", PROTO_MIN, PROTO_MAX);
	printf("libcurl %s (%s), %s, libxml2 %s, ldns %s, libidn2 %s\n",
	    cv->version, cv->ssl_version ? cv->ssl_version : "no TLS",
	    OpenSSL_version(OPENSSL_VERSION), xml_version(), ldns_version(),
	    idn2_check_version(NULL));
	printf("CA bundle: %s\n", ts ? ts : "none found");
	return 0;
}

struct check {
	const char	*name;
	int		 ok;		/* 1 ok, 0 warning, -1 failure */
	char		 detail[600];
};

static void
check_curl(struct check *c)
{
	const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
	const char *const *p;
	int https = 0;

	c->name = "libcurl";
	for (p = cv->protocols; p != NULL && *p != NULL; p++)
		if (!strcmp(*p, "https"))
			https = 1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		c->ok = -1;
		snprintf(c->detail, sizeof(c->detail), "libcurl %s does not "
		    "initialise", cv->version);
	} else if (!https || !(cv->features & CURL_VERSION_SSL)) {
		c->ok = -1;
		snprintf(c->detail, sizeof(c->detail), "libcurl %s has no "
		    "HTTPS", cv->version);
	} else {
		c->ok = 1;
		snprintf(c->detail, sizeof(c->detail), "libcurl %s, HTTPS "
		    "with %s", cv->version, cv->ssl_version);
	}
}

static void
check_openssl(struct check *c)
{
	unsigned char b[32];

	c->name = "openssl";
	c->ok = RAND_bytes(b, sizeof(b)) == 1 ? 1 : -1;
	snprintf(c->detail, sizeof(c->detail), "%s: %s",
	    OpenSSL_version(OPENSSL_VERSION), c->ok == 1 ?
	    "random generator seeded" : "no randomness (getrandom and "
	    "/dev/urandom failed)");
	OPENSSL_cleanse(b, sizeof(b));
}

static void
check_libxml2(struct check *c)
{
	static const char doc[] = "<packet version=\"1.6.3.0\"><a>&amp;</a>"
	    "</packet>";
	xmlDocPtr d;

	c->name = "libxml2";
	d = xmlReadMemory(doc, (int)sizeof(doc) - 1, NULL, "UTF-8",
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	c->ok = d != NULL ? 1 : -1;
	snprintf(c->detail, sizeof(c->detail), "libxml2 %s: %s",
	    xml_version(), d != NULL ? "parses" : "does not parse");
	xmlFreeDoc(d);
}

static void
check_ldns(struct check *c)
{
	ldns_rdf *n = ldns_dname_new_frm_str("mail.example.com.");

	c->name = "ldns";
	c->ok = n != NULL ? 1 : -1;
	snprintf(c->detail, sizeof(c->detail), "ldns %s: %s", ldns_version(),
	    n != NULL ? "builds names" : "does not build names");
	ldns_rdf_deep_free(n);
}

/* IDNs: the Unicode and ASCII forms both ways (libidn2's tables) */
static void
check_idn(struct check *c)
{
	char a[256], u[256];
	const char *why = idn_ascii("b\xc3\xbc" "cher.example", a, sizeof(a));

	c->name = "libidn2";
	idn_unicode("xn--bcher-kva.example", u, sizeof(u));
	c->ok = why == NULL && strcmp(a, "xn--bcher-kva.example") == 0 &&
	    strcmp(u, "b\xc3\xbc" "cher.example") == 0 ? 1 : -1;
	snprintf(c->detail, sizeof(c->detail), "libidn2 %s: %s",
	    idn2_check_version(NULL), c->ok > 0 ? "converts IDNs" :
	    "does not convert IDNs");
}

static void
check_trust(struct check *c)
{
	const char *ts = trust_store();
	char paths[400];

	c->name = "ca-bundle";
	if (ts != NULL) {
		c->ok = 1;
		snprintf(c->detail, sizeof(c->detail), "%s", ts);
		return;
	}
	trust_paths_text(paths, sizeof(paths));
	c->ok = 0;
	snprintf(c->detail, sizeof(c->detail), "no CA bundle found (looked "
	    "at %s): set cafile and mail_cafile, or a pin", paths);
}

static void
check_resolv(struct check *c)
{
	c->name = "resolv.conf";
	c->ok = access("/etc/resolv.conf", R_OK) == 0 ? 1 : 0;
	snprintf(c->detail, sizeof(c->detail), "%s", c->ok ?
	    "/etc/resolv.conf" : "no readable /etc/resolv.conf: names are "
	    "resolved through /etc/hosts only");
}

int
selftest_run(int json)
{
	struct check cs[7];
	struct json j;
	size_t i, n = sizeof(cs) / sizeof(cs[0]);
	int failed = 0;

	memset(cs, 0, sizeof(cs));
	check_curl(&cs[0]);
	check_openssl(&cs[1]);
	check_libxml2(&cs[2]);
	check_ldns(&cs[3]);
	check_trust(&cs[4]);
	check_resolv(&cs[5]);
	check_idn(&cs[6]);
	for (i = 0; i < n; i++)
		if (cs[i].ok < 0)
			failed = 1;
	if (json) {
		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		json_str(&j, "command", "selftest");
		json_str(&j, "version", MC_VERSION);
		json_str(&j, "linkage", LINKAGE);
		json_str(&j, "machine", machine());
		json_str(&j, "result", failed ? "failed" : "ok");
		json_arr_open(&j, "checks");
		for (i = 0; i < n; i++) {
			json_obj_open(&j, NULL);
			json_str(&j, "name", cs[i].name);
			json_str(&j, "result", cs[i].ok > 0 ? "ok" :
			    cs[i].ok == 0 ? "warn" : "failed");
			json_str(&j, "detail", cs[i].detail);
			json_obj_close(&j);
		}
		json_arr_close(&j);
		json_obj_close(&j);
		json_end(&j);
	} else {
		printf("mailcutover %s (%s, %s)\n", MC_VERSION, LINKAGE,
		    machine());
		for (i = 0; i < n; i++)
			printf("%-4s %-11s %s\n", cs[i].ok > 0 ? "ok" :
			    cs[i].ok == 0 ? "warn" : "FAIL", cs[i].name,
			    cs[i].detail);
	}
	if (failed)
		fprintf(stderr, "mailcutover: selftest failed: this binary "
		    "cannot work on this machine\n");
	curl_global_cleanup();
	return failed;
}
