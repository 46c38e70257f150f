/* transport.c -- HTTPS POST to agent.php over one kept-alive libcurl handle. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "transport.h"
#include "trust.h"

struct xfer {
	const char	*body;
	size_t		 len;
	size_t		 off;		/* bytes handed to libcurl */
	int		 rewind_refused;
	CURL		*curl;		/* its Content-Length sizes buf */
	char		*buf;		/* reply body, handed to the caller */
	size_t		 buflen, bufcap, max;
	int		 toobig;
};

struct transport {
	CURL			*curl;
	struct curl_slist	*headers;
	char			*url;
	char			 name[64];
	char			 errbuf[CURL_ERROR_SIZE];
	struct xfer		 x;
	long			 connections;
	struct tls_plan		 tls;
	char			*pin;	/* copies: conf strings may go away */
	char			*cafile;
};

int
valid_pin(const char *pin)
{
	const char *p = pin;
	size_t i;

	if (pin == NULL || *pin == '\0')
		return 0;
	for (;;) {
		if (strncmp(p, "sha256//", 8) != 0)
			return 0;
		p += 8;
		for (i = 0; i < 44; i++)
			if (!(isalnum((unsigned char)p[i]) || p[i] == '+' ||
			    p[i] == '/' || (p[i] == '=' && i == 43)))
				return 0;
		p += 44;
		if (*p == '\0')
			return 1;
		if (*p != ';')
			return 0;
		p++;
	}
}

enum mc_result
transport_tls_plan(const struct transport_conf *c, struct tls_plan *t,
    struct mc_err *err)
{
	const char *name = c->name != NULL ? c->name : "panel";

	memset(t, 0, sizeof(*t));
	if (c->insecure) {
		/* loud and never the default: the caller prints t->warn */
		t->warn_insecure = 1;
		return MC_OK;
	}
	if (c->pin != NULL && !valid_pin(c->pin))
		return mc_err_set(err, MC_E_CONFIG, "%s: pin is not of the "
		    "form sha256//<44 base64 characters>", name);
	if (c->pin != NULL) {
		/*
		 * Plesk's own certificate is self-signed: no chain to verify,
		 * and its name rarely matches. The public key pin is the
		 * identity; libcurl checks it even with peer checks off and
		 * aborts before any byte of the request is sent.
		 */
		t->pin = c->pin;
		if (c->cafile != NULL) {
			t->verify_peer = 1;
			t->verify_host = 2;
			t->cafile = c->cafile;
		}
		return MC_OK;
	}
	t->verify_peer = 1;
	t->verify_host = 2;
	t->cafile = c->cafile;	/* NULL: the system's CA store */
	return MC_OK;
}

static size_t
read_cb(char *dst, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;

	if (n > x->len - x->off)
		n = x->len - x->off;
	memcpy(dst, x->body + x->off, n);
	x->off += n;
	return n;
}

/*
 * libcurl rewinds the body when a reused connection turns out dead and it
 * wants to resend the request on a new one. If any byte was already
 * handed over, the panel may have the packet: refuse, so that a
 * non-idempotent packet is never applied twice.
 */
static int
seek_cb(void *arg, curl_off_t offset, int origin)
{
	struct xfer *x = arg;

	if (origin == SEEK_SET && offset == 0 && x->off == 0)
		return CURL_SEEKFUNC_OK;
	x->rewind_refused = 1;
	return CURL_SEEKFUNC_FAIL;
}

static size_t
write_cb(char *src, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb, cap;
	char *p;

	if (n > x->max - x->buflen) {
		x->toobig = 1;
		return 0;	/* short count: libcurl aborts */
	}
	if (x->buflen + n + 1 > x->bufcap) {
		/* as long as the reply says it is (a bulk read's answer is
		   megabytes: no doubling slack), else doubling */
		curl_off_t cl = -1;
		cap = x->bufcap ? x->bufcap : 16384;
		if (x->bufcap == 0 && curl_easy_getinfo(x->curl,
		    CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) == CURLE_OK &&
		    cl > 0 && (size_t)cl <= x->max && (size_t)cl >= n)
			cap = (size_t)cl + 1;
		while (cap < x->buflen + n + 1)
			cap *= 2;
		if ((p = realloc(x->buf, cap)) == NULL)
			return 0;
		x->buf = p;
		x->bufcap = cap;
	}
	memcpy(x->buf + x->buflen, src, n);
	x->buflen += n;
	x->buf[x->buflen] = '\0';
	return n;
}

static char *
join_url(const char *base)
{
	size_t n = strlen(base);
	char *u;

	if (n >= strlen(TRANSPORT_PATH) &&
	    strcmp(base + n - strlen(TRANSPORT_PATH), TRANSPORT_PATH) == 0)
		return strdup(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	if ((u = malloc(n + strlen(TRANSPORT_PATH) + 1)) == NULL)
		return NULL;
	memcpy(u, base, n);
	strcpy(u + n, TRANSPORT_PATH);
	return u;
}

static void
wipe_headers(struct curl_slist *h)
{
	for (; h != NULL; h = h->next) {
		volatile char *p = h->data;
		while (*p)
			*p++ = 0;
	}
}

static enum mc_result
add_header(struct transport *t, const char *name, const char *value,
    struct mc_err *err)
{
	struct curl_slist *h;
	size_t len = strlen(name) + strlen(value) + 3;
	char *line;

	if ((line = malloc(len)) == NULL)
		return mc_err_set(err, MC_E_NOMEM, "%s: out of memory", t->name);
	snprintf(line, len, "%s: %s", name, value);
	h = curl_slist_append(t->headers, line);
	explicit_bzero(line, len);
	free(line);
	if (h == NULL)
		return mc_err_set(err, MC_E_NOMEM, "%s: out of memory", t->name);
	t->headers = h;
	return MC_OK;
}

static int curl_ready;

/* the easy handle's options: HTTPS only, no redirect, our callbacks,
 * the timeouts, TLS verification as planned (transport_tls_plan) */
static void
set_options(struct transport *t, const struct transport_conf *c)
{
	curl_easy_setopt(t->curl, CURLOPT_URL, t->url);
	curl_easy_setopt(t->curl, CURLOPT_PROTOCOLS_STR, "https");
	/* straight to the panel: http(s)_proxy / ALL_PROXY are not read */
	curl_easy_setopt(t->curl, CURLOPT_PROXY, "");
	curl_easy_setopt(t->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(t->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(t->curl, CURLOPT_HTTPHEADER, t->headers);
	curl_easy_setopt(t->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(t->curl, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(t->curl, CURLOPT_READDATA, &t->x);
	curl_easy_setopt(t->curl, CURLOPT_SEEKFUNCTION, seek_cb);
	curl_easy_setopt(t->curl, CURLOPT_SEEKDATA, &t->x);
	curl_easy_setopt(t->curl, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(t->curl, CURLOPT_WRITEDATA, &t->x);
	t->x.curl = t->curl;
	curl_easy_setopt(t->curl, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(t->curl, CURLOPT_CONNECTTIMEOUT_MS,
	    c->connect_timeout_ms > 0 ? c->connect_timeout_ms : 10000L);
	curl_easy_setopt(t->curl, CURLOPT_TIMEOUT_MS,
	    c->timeout_ms > 0 ? c->timeout_ms : 300000L);
	curl_easy_setopt(t->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(t->curl, CURLOPT_USERAGENT, "mailcutover/1");
	curl_easy_setopt(t->curl, CURLOPT_SSL_VERIFYPEER,
	    (long)t->tls.verify_peer);
	curl_easy_setopt(t->curl, CURLOPT_SSL_VERIFYHOST,
	    (long)t->tls.verify_host);
	if (t->pin != NULL)
		curl_easy_setopt(t->curl, CURLOPT_PINNEDPUBLICKEY, t->pin);
	if (t->cafile != NULL)
		curl_easy_setopt(t->curl, CURLOPT_CAINFO, t->cafile);
	else if (t->tls.verify_peer && trust_store() != NULL)
		/* the system's bundle, wherever this distribution keeps it */
		curl_easy_setopt(t->curl, CURLOPT_CAINFO, trust_store());
}

enum mc_result
transport_new(const struct transport_conf *c, struct transport **out,
    struct mc_err *err)
{
	struct transport *t = NULL;
	enum mc_result result;
	const char *name = c->name != NULL ? c->name : "panel";

	*out = NULL;
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
			return mc_err_set(err, MC_E_NOMEM,
			    "libcurl: global init failed");
		curl_ready = 1;
	}
	if (c->url == NULL || strncmp(c->url, "https://", 8) != 0 ||
	    strlen(c->url) < 9)
		return mc_err_set(err, MC_E_CONFIG, "%s: url must start with "
		    "https:// (got %.100s)", name, c->url ? c->url : "nothing");
	if (c->secret == NULL)
		return mc_err_set(err, MC_E_CONFIG, "%s: no secret", name);
	if (c->auth == AUTH_LOGIN && (c->login == NULL || *c->login == '\0'))
		return mc_err_set(err, MC_E_CONFIG, "%s: auth is login but no "
		    "login is set", name);
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return mc_err_set(err, MC_E_NOMEM, "%s: out of memory", name);
	snprintf(t->name, sizeof(t->name), "%s", name);
	if ((result = transport_tls_plan(c, &t->tls, err)) != MC_OK)
		goto fail;
	if ((t->tls.pin != NULL && (t->pin = strdup(t->tls.pin)) == NULL) ||
	    (t->tls.cafile != NULL &&
	    (t->cafile = strdup(t->tls.cafile)) == NULL) ||
	    (t->url = join_url(c->url)) == NULL ||
	    (t->curl = curl_easy_init()) == NULL) {
		result = mc_err_set(err, MC_E_NOMEM, "%s: out of memory", name);
		goto fail;
	}
	if ((result = add_header(t, "Content-Type", "text/xml", err)) ||
	    (result = add_header(t, "Expect", "", err)))
		goto fail;
	if (c->auth == AUTH_KEY)
		result = add_header(t, "KEY", c->secret->value, err);
	else if ((result = add_header(t, "HTTP_AUTH_LOGIN", c->login,
	    err)) == MC_OK)
		result = add_header(t, "HTTP_AUTH_PASSWD", c->secret->value,
		    err);
	if (result != MC_OK)
		goto fail;

	t->x.max = c->max_body ? c->max_body : TRANSPORT_MAX_BODY_DEFAULT;
	set_options(t, c);
	*out = t;
	return MC_OK;
fail:
	transport_free(t);
	return result;
}

void
transport_free(struct transport *t)
{
	if (t == NULL)
		return;
	if (t->curl != NULL)
		curl_easy_cleanup(t->curl);
	wipe_headers(t->headers);
	curl_slist_free_all(t->headers);
	free(t->x.buf);
	free(t->url);
	free(t->pin);
	free(t->cafile);
	free(t);
}

long
transport_connections(const struct transport *t)
{
	return t->connections;
}

/* the packet left (some of it was handed to libcurl), then no answer */
static enum mc_result
lost(struct transport *t, const char *detail, struct mc_err *err)
{
	mc_err_set(err, MC_E_LOST, "%s: no complete answer (%s); the panel "
	    "may have applied the packet", t->name, detail);
	if (err != NULL)
		err->maybe_applied = 1;
	return MC_E_LOST;
}

static enum mc_result
classify(struct transport *t, CURLcode rc, struct mc_err *err)
{
	const char *detail = t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc);
	int sent = t->x.off > 0;

	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		/* libcurl reconnects by itself when a kept-alive connection
		   dies: if the packet had left on it, this is its answer
		   lost, whatever the new connection did */
		if (sent)
			return lost(t, detail, err);
		return mc_err_set(err, MC_E_CONNECT, "%s: cannot connect to "
		    "%s: %s", t->name, t->url, detail);
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		if (sent)
			return lost(t, detail, err);
		return mc_err_set(err, MC_E_TLS, "%s: the server's public key "
		    "does not match the configured pin; nothing was sent "
		    "(check with `mailcutover pin URL`)", t->name);
	case CURLE_SSL_CONNECT_ERROR:
		if (sent)
			return lost(t, detail, err);
		return mc_err_set(err, MC_E_TLS, "%s: TLS handshake failed: %s",
		    t->name, detail);
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
		if (sent)
			return lost(t, detail, err);
		return mc_err_set(err, MC_E_TLS, "%s: TLS refused: %s; a "
		    "self-signed Plesk certificate needs a pin "
		    "(`mailcutover pin URL`) or a CA file", t->name, detail);
	case CURLE_WRITE_ERROR:
		if (t->x.toobig) {
			mc_err_set(err, MC_E_TOOBIG, "%s: response larger "
			    "than the cap of %zu bytes (max_response)",
			    t->name, t->x.max);
			if (err != NULL)
				err->maybe_applied = 1;
			return MC_E_TOOBIG;
		}
		return mc_err_set(err, MC_E_NOMEM, "%s: out of memory "
		    "storing the reply", t->name);
	case CURLE_SEND_FAIL_REWIND:
		mc_err_set(err, MC_E_LOST, "%s: connection died after the "
		    "packet was sent; not resending it, the panel may have "
		    "applied it", t->name);
		if (err != NULL)
			err->maybe_applied = 1;
		return MC_E_LOST;
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	default:
		if (!sent && rc == CURLE_OPERATION_TIMEDOUT)
			return mc_err_set(err, MC_E_CONNECT, "%s: timed out "
			    "before the packet was sent: %s", t->name, detail);
		if (!sent)
			return mc_err_set(err, MC_E_CONNECT, "%s: %s",
			    t->name, detail);
		return lost(t, detail, err);
	}
}

enum mc_result
transport_post(struct transport *t, const char *body, size_t len,
    char **reply, size_t *replylen, struct mc_err *err)
{
	CURLcode rc;
	long code = 0, conns = 0;

	*reply = NULL;
	*replylen = 0;
	t->x.body = body;
	t->x.len = len;
	t->x.off = 0;
	t->x.rewind_refused = 0;
	free(t->x.buf);		/* a reply not handed over (a failure) */
	t->x.buf = NULL;
	t->x.buflen = t->x.bufcap = 0;
	t->x.toobig = 0;
	t->errbuf[0] = '\0';
	curl_easy_setopt(t->curl, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)len);
	rc = curl_easy_perform(t->curl);
	if (curl_easy_getinfo(t->curl, CURLINFO_NUM_CONNECTS, &conns) ==
	    CURLE_OK)
		t->connections += conns;
	if (rc != CURLE_OK)
		return classify(t, t->x.rewind_refused ?
		    CURLE_SEND_FAIL_REWIND : rc, err);
	curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200) {
		mc_err_set(err, MC_E_HTTP, "%s: HTTP %ld from agent.php",
		    t->name, code);
		/* a 5xx may come after Plesk ran part of the packet */
		if (err != NULL)
			err->maybe_applied = code >= 500;
		return MC_E_HTTP;
	}
	/* the buffer itself, not a copy: a bulk answer is held once */
	if (t->x.buf == NULL && (t->x.buf = calloc(1, 1)) == NULL)
		return mc_err_set(err, MC_E_NOMEM, "%s: out of memory",
		    t->name);
	*reply = t->x.buf;
	*replylen = t->x.buflen;
	t->x.buf = NULL;
	t->x.buflen = t->x.bufcap = 0;
	return MC_OK;
}

static size_t
discard_cb(char *p, size_t s, size_t n, void *a)
{
	(void)p;
	(void)a;
	return s * n;
}

enum mc_result
transport_fetch_pin(const char *url, long timeout_ms, char *out,
    size_t outsz, struct mc_err *err)
{
	CURL *c = NULL;
	struct curl_certinfo *ci = NULL;
	struct curl_slist *s;
	BIO *bio = NULL;
	X509 *x = NULL;
	unsigned char *der = NULL, md[SHA256_DIGEST_LENGTH];
	unsigned char b64[64];
	char errbuf[CURL_ERROR_SIZE] = "";
	const char *pem = NULL;
	enum mc_result result = MC_E_TLS;
	CURLcode rc;
	int dlen;

	if (url == NULL || strncmp(url, "https://", 8) != 0)
		return mc_err_set(err, MC_E_USAGE, "pin: url must start "
		    "with https://");
	if (!curl_ready) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		curl_ready = 1;
	}
	if ((c = curl_easy_init()) == NULL)
		return mc_err_set(err, MC_E_NOMEM, "pin: out of memory");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/* only to read the key; nothing secret is sent on this connection */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_CERTINFO, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_cb);
	rc = curl_easy_perform(c);
	if (curl_easy_getinfo(c, CURLINFO_CERTINFO, &ci) != CURLE_OK ||
	    ci == NULL || ci->num_of_certs < 1) {
		result = mc_err_set(err, rc == CURLE_COULDNT_CONNECT ||
		    rc == CURLE_COULDNT_RESOLVE_HOST ? MC_E_CONNECT : MC_E_TLS,
		    "pin: no certificate from %s: %s", url,
		    errbuf[0] ? errbuf : curl_easy_strerror(rc));
		goto out;
	}
	for (s = ci->certinfo[0]; s != NULL; s = s->next)
		if (strncmp(s->data, "Cert:", 5) == 0)
			pem = s->data + 5;
	if (pem == NULL ||
	    (bio = BIO_new_mem_buf(pem, -1)) == NULL ||
	    (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL ||
	    (dlen = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der)) <= 0) {
		result = mc_err_set(err, MC_E_TLS, "pin: cannot read the "
		    "certificate of %s", url);
		goto out;
	}
	SHA256(der, (size_t)dlen, md);
	EVP_EncodeBlock(b64, md, sizeof(md));
	if ((size_t)snprintf(out, outsz, "sha256//%s", b64) >= outsz) {
		result = mc_err_set(err, MC_E_NOMEM, "pin: buffer too small");
		goto out;
	}
	result = MC_OK;
out:
	OPENSSL_free(der);
	X509_free(x);
	BIO_free(bio);
	curl_easy_cleanup(c);
	return result;
}
