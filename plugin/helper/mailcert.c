/* mailcert.c -- the certificate a mail server showed: does it chain to
 * the trust anchors, is it in date, is it valid for the host name. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "mailcert.h"
#include "mailconn.h"

/* Names a certificate is for: its DNS SANs, else its CN (printable). */
static void
cert_names(X509 *cert, char *buf, size_t cap)
{
	GENERAL_NAMES *sans;
	const GENERAL_NAME *gn;
	char pr[128], cn[128];
	int i, n, len;

	buf[0] = '\0';
	sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	n = sans != NULL ? sk_GENERAL_NAME_num(sans) : 0;
	for (i = 0; i < n && i < 4; i++) {
		gn = sk_GENERAL_NAME_value(sans, i);
		if (gn->type != GEN_DNS)
			continue;
		mailconn_printable(pr, sizeof(pr),
		    (const char *)ASN1_STRING_get0_data(gn->d.dNSName),
		    (size_t)ASN1_STRING_length(gn->d.dNSName));
		if (buf[0] != '\0')
			mailconn_append(buf, cap, ", ");
		mailconn_append(buf, cap, pr);
	}
	if (n > 4)
		mailconn_append(buf, cap, ", ...");
	GENERAL_NAMES_free(sans);
	if (buf[0] != '\0')
		return;
	len = X509_NAME_get_text_by_NID(X509_get_subject_name(cert),
	    NID_commonName, cn, sizeof(cn));
	if (len > 0) {
		mailconn_printable(pr, sizeof(pr), cn, (size_t)len);
		mailconn_append(buf, cap, pr);
	} else
		mailconn_append(buf, cap, "(no name)");
}

/*
 * After the handshake: chain (as verified against the trust anchors by
 * the handshake, which does not abort on failure), name, expiry.
 */
enum mc_result
mailcert_check(struct conn *c, struct mailprobe *p, const char *host)
{
	X509 *cert = NULL;
	BIO *bio = NULL;
	char names[160], *data;
	long v, blen;
	int days = 0, secs = 0;
	enum mc_result result = MC_E_TLS;

#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	cert = SSL_get1_peer_certificate(c->ssl);
#else
	cert = SSL_get_peer_certificate(c->ssl);
#endif
	if (cert == NULL) {
		mailconn_fail(c, "server sent no certificate");
		goto out;
	}
	if ((bio = BIO_new(BIO_s_mem())) != NULL &&
	    X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0,
	    XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		blen = BIO_get_mem_data(bio, &data);
		mailconn_printable(p->cert_subject, sizeof(p->cert_subject), data,
		    blen > 0 ? (size_t)blen : 0);
	}
	if (ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert)))
		p->cert_days_left = (days == 0 && secs < 0) ? -1 : days;
	v = SSL_get_verify_result(c->ssl);
	p->cert_chain_ok = (v == X509_V_OK);
	p->cert_name_ok = X509_check_host(cert, host, 0,
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1;
	cert_names(cert, names, sizeof(names));
	if (!p->cert_chain_ok && !p->cert_name_ok)
		mailconn_fail(c, "certificate not trusted (%s) and is for %s, "
		    "not %s", X509_verify_cert_error_string(v), names, host);
	else if (!p->cert_chain_ok)
		mailconn_fail(c, "certificate for %s not trusted: %s", names,
		    X509_verify_cert_error_string(v));
	else if (!p->cert_name_ok)
		mailconn_fail(c, "certificate is for %s, not %s", names, host);
	else
		result = MC_OK;
out:
	BIO_free(bio);
	X509_free(cert);
	ERR_clear_error();
	return result;
}
