/* Elliptic-curve ephemeral key agreement: curve25519-sha256 (RFC 8731, X25519 of RFC 7748) and
 * ecdh-sha2-nistp256/384/521 (RFC 5656 §4) through OpenSSL's EVP_PKEY. */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "crypto/kex-internal.h"

#define X25519_LEN 32

struct ecdh_curve {
	int group;
	const char *ossl_name;  /* OpenSSL group name */
	size_t field_len;       /* bytes in one coordinate */
};

static const struct ecdh_curve ecdh_curves[] = {
	{ .group = KEX_GROUP_P256, .ossl_name = "P-256", .field_len = 32 },
	{ .group = KEX_GROUP_P384, .ossl_name = "P-384", .field_len = 48 },
	{ .group = KEX_GROUP_P521, .ossl_name = "P-521", .field_len = 66 },
};

static const struct ecdh_curve *ecdh_curve_find(int group)
{
	for (size_t i = 0; i < sizeof(ecdh_curves) / sizeof(ecdh_curves[0]); i++)
		if (ecdh_curves[i].group == group)
			return &ecdh_curves[i];
	return NULL;
}

/* Generates our key pair and records its public value in wire form. */
static int ecdh_keygen(int group, EVP_PKEY **pkey_out, uint8_t **pub_out, size_t *publen_out)
{
	int rc = FERRY_ECRYPTO;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	uint8_t *pub = NULL;
	size_t publen = 0;
	const struct ecdh_curve *curve = NULL;

	if (group == KEX_GROUP_X25519) {
		ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, NULL);
		if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_keygen(ctx, &pkey) <= 0)
			goto out;
		publen = X25519_LEN;
		if ((pub = malloc(publen)) == NULL) {
			rc = FERRY_ENOMEM;
			goto out;
		}
		size_t got = publen;
		if (EVP_PKEY_get_raw_public_key(pkey, pub, &got) <= 0 || got != X25519_LEN)
			goto out;
	} else {
		if ((curve = ecdh_curve_find(group)) == NULL) {
			rc = FERRY_EINVAL;
			goto out;
		}
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0 ||
		    EVP_PKEY_CTX_set_group_name(ctx, curve->ossl_name) <= 0 ||
		    EVP_PKEY_keygen(ctx, &pkey) <= 0)
			goto out;
		/* RFC 5656 §4: Q_C/Q_S are octet strings of the SEC1 §2.3.3 point encoding;
		 * ferry always sends the uncompressed form (0x04 || x || y). */
		publen = 1 + 2 * curve->field_len;
		if ((pub = malloc(publen)) == NULL) {
			rc = FERRY_ENOMEM;
			goto out;
		}
		size_t got = 0;
		if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub,
						    publen, &got) <= 0 ||
		    got != publen || pub[0] != 0x04)
			goto out;
	}
	*pkey_out = pkey;
	*pub_out = pub;
	*publen_out = publen;
	pkey = NULL;
	pub = NULL;
	rc = 0;
out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	free(pub);
	return rc;
}

int kex_ecdh_new(int group, struct kex_eph **out)
{
	int rc;
	struct kex_eph *eph = calloc(1, sizeof(*eph));

	if (eph == NULL)
		return FERRY_ENOMEM;
	eph->kind = KEX_ECDH;
	eph->group = group;
	rc = ecdh_keygen(group, &eph->pkey, &eph->pub, &eph->publen);
	if (rc)
		goto out;
	*out = eph;
	eph = NULL;
out:
	kex_eph_free(eph);
	return rc;
}

/* The peer's public value as an EVP_PKEY, validated. FERRY_EPROTO if it is not a valid key. */
static int ecdh_peer_key(const struct kex_eph *eph, const uint8_t *peer, size_t peer_len,
			 EVP_PKEY **out)
{
	int rc = FERRY_EPROTO;
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = NULL, *check = NULL;

	if (eph->group == KEX_GROUP_X25519) {
		/* RFC 8731 §3.1: public keys are exactly 32 bytes. */
		if (peer_len != X25519_LEN)
			goto out;
		pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, peer_len);
		if (pkey == NULL)
			goto out;
	} else {
		const struct ecdh_curve *curve = ecdh_curve_find(eph->group);
		if (curve == NULL) {
			rc = FERRY_EINVAL;
			goto out;
		}
		/* RFC 5656 §4: Q must be a valid point; ferry takes only the uncompressed form,
		 * which is what every implementation sends. */
		if (peer_len != 1 + 2 * curve->field_len || peer[0] != 0x04)
			goto out;
		OSSL_PARAM params[] = {
			OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
							 (char *)curve->ossl_name, 0),
			OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)peer,
							  peer_len),
			OSSL_PARAM_construct_end(),
		};
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		if (ctx == NULL) {
			rc = FERRY_ECRYPTO;
			goto out;
		}
		if (EVP_PKEY_fromdata_init(ctx) <= 0 ||
		    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
			goto out;
		/* RFC 5656 §4 / SEC1 §3.2.2.1: the point is on the curve, not the point at
		 * infinity, and of the right order. */
		check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
		if (check == NULL) {
			rc = FERRY_ECRYPTO;
			goto out;
		}
		if (EVP_PKEY_public_check(check) <= 0)
			goto out;
	}
	*out = pkey;
	pkey = NULL;
	rc = 0;
out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(check);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return rc;
}

int kex_ecdh_derive(struct kex_eph *eph, const uint8_t *peer, size_t peer_len, struct buf *K_raw)
{
	int rc;
	EVP_PKEY *peer_key = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	uint8_t *dst = NULL;
	size_t len = 0;

	rc = ecdh_peer_key(eph, peer, peer_len, &peer_key);
	if (rc)
		goto out;
	rc = FERRY_ECRYPTO;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, eph->pkey, NULL);
	if (ctx == NULL || EVP_PKEY_derive_init(ctx) <= 0)
		goto out;
	if (EVP_PKEY_derive_set_peer_ex(ctx, peer_key, 1) <= 0) {
		rc = FERRY_EPROTO;
		goto out;
	}
	if (EVP_PKEY_derive(ctx, NULL, &len) <= 0 || len == 0)
		goto out;
	rc = buf_reserve(K_raw, len, &dst);
	if (rc)
		goto out;
	if (EVP_PKEY_derive(ctx, dst, &len) <= 0) {
		/* OpenSSL's X25519 refuses an all-zero result itself (a low-order peer point). */
		rc = eph->group == KEX_GROUP_X25519 ? FERRY_EPROTO : FERRY_ECRYPTO;
		goto out;
	}
	/* RFC 8731 §3: abort if the X25519 output is all zeros (the peer sent a point of small
	 * order). Checked for every curve: a zero secret is never acceptable. */
	uint8_t acc = 0;
	for (size_t i = 0; i < len; i++)
		acc |= dst[i];
	if (acc == 0) {
		rc = FERRY_EPROTO;
		goto out;
	}
	/* The X25519 output is used as-is as a big-endian magnitude (RFC 8731 §3); for the NIST
	 * curves it is the x coordinate, field-size bytes (RFC 5656 §4, SEC1 §3.3.1). */
	buf_commit(K_raw, len);
	dst = NULL;
	rc = 0;
out:
	if (dst != NULL)
		OPENSSL_cleanse(dst, len);
	ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer_key);
	return rc;
}
