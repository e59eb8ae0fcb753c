/* Host and user keys: public key blobs, signatures, fingerprints and key generation for
 * Ed25519 (RFC 8709), ECDSA (RFC 5656 §3) and RSA (RFC 4253 §6.6, RFC 8332) via EVP_PKEY. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "common/buf.h"
#include "common/text.h"
#include "crypto/key-internal.h"
#include "crypto/key.h"

struct key_type_info {
	enum key_type type;
	const char *name;       /* the key type name of the blob */
	const char *curve;      /* RFC 5656 §6.1 curve identifier */
	const char *ossl_group; /* OpenSSL's group name, and its alias */
	const char *ossl_alias;
	size_t field_len;       /* bytes per coordinate (ECDSA) */
};

static const struct key_type_info key_types[] = {
	{ .type = KEY_ED25519, .name = "ssh-ed25519" },
	{ .type = KEY_ECDSA_P256, .name = "ecdsa-sha2-nistp256", .curve = "nistp256",
	  .ossl_group = "P-256", .ossl_alias = "prime256v1", .field_len = 32 },
	{ .type = KEY_ECDSA_P384, .name = "ecdsa-sha2-nistp384", .curve = "nistp384",
	  .ossl_group = "P-384", .ossl_alias = "secp384r1", .field_len = 48 },
	{ .type = KEY_ECDSA_P521, .name = "ecdsa-sha2-nistp521", .curve = "nistp521",
	  .ossl_group = "P-521", .ossl_alias = "secp521r1", .field_len = 66 },
	{ .type = KEY_RSA, .name = "ssh-rsa" },
};
#define N_KEY_TYPES (sizeof(key_types) / sizeof(key_types[0]))

struct sigalg_info {
	const char *name;
	enum key_type type;
	const EVP_MD *(*md)(void);      /* NULL for Ed25519, which hashes internally */
};

/* RFC 5656 §6.2.1: the ECDSA hash follows the curve size. RFC 8332 §3: rsa-sha2-256/512;
 * "ssh-rsa" is RSA with SHA-1 (RFC 4253 §6.6), offered only when a user asks for it. */
static const struct sigalg_info sigalgs[] = {
	{ .name = "ssh-ed25519", .type = KEY_ED25519, .md = NULL },
	{ .name = "ecdsa-sha2-nistp256", .type = KEY_ECDSA_P256, .md = EVP_sha256 },
	{ .name = "ecdsa-sha2-nistp384", .type = KEY_ECDSA_P384, .md = EVP_sha384 },
	{ .name = "ecdsa-sha2-nistp521", .type = KEY_ECDSA_P521, .md = EVP_sha512 },
	{ .name = "rsa-sha2-512", .type = KEY_RSA, .md = EVP_sha512 },
	{ .name = "rsa-sha2-256", .type = KEY_RSA, .md = EVP_sha256 },
	{ .name = "ssh-rsa", .type = KEY_RSA, .md = EVP_sha1 },
};

#define SIGALG_DEFAULT "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384," \
	"ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256"

static const struct key_type_info *key_type_info(enum key_type type)
{
	for (size_t i = 0; i < N_KEY_TYPES; i++)
		if (key_types[i].type == type)
			return &key_types[i];
	return NULL;
}

static const struct sigalg_info *sigalg_find(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(sigalgs) / sizeof(sigalgs[0]); i++)
		if (strlen(sigalgs[i].name) == len && memcmp(sigalgs[i].name, name, len) == 0)
			return &sigalgs[i];
	return NULL;
}

const char *key_ecdsa_curve_name(enum key_type type)
{
	const struct key_type_info *ti = key_type_info(type);
	return ti ? ti->curve : NULL;
}

int key_put_bn(struct buf *b, const BIGNUM *bn)
{
	int rc;
	size_t n = (size_t)BN_num_bytes(bn);
	uint8_t *tmp = malloc(n ? n : 1);

	if (tmp == NULL)
		return FERRY_ENOMEM;
	if (BN_bn2bin(bn, tmp) != (int)n) {
		rc = FERRY_ECRYPTO;
		goto out;
	}
	rc = buf_put_mpint_bytes(b, tmp, n);
out:
	OPENSSL_cleanse(tmp, n);
	free(tmp);
	return rc;
}

/* Builds key->blob from key->pkey (RFC 8709 §4, RFC 5656 §3.1, RFC 4253 §6.6). */
static int key_build_blob(struct ferry_key *key)
{
	int rc;
	const struct key_type_info *ti = key_type_info(key->type);
	struct buf b;
	BIGNUM *n = NULL, *e = NULL;
	uint8_t pt[1 + 2 * 66];
	size_t len = 0;

	buf_init(&b, 0);
	rc = buf_put_cstring(&b, ti->name);
	if (rc)
		goto out;
	rc = FERRY_ECRYPTO;
	switch (key->type) {
	case KEY_ED25519:
		len = KEY_ED25519_LEN;
		if (EVP_PKEY_get_raw_public_key(key->pkey, pt, &len) <= 0 || len != KEY_ED25519_LEN)
			goto out;
		rc = buf_put_string(&b, pt, len);
		break;
	case KEY_ECDSA_P256:
	case KEY_ECDSA_P384:
	case KEY_ECDSA_P521:
		/* RFC 5656 §3.1: Q is the SEC1 point encoding; ferry writes it uncompressed, as
		 * every implementation does, so blobs and fingerprints agree with theirs. */
		if (EVP_PKEY_get_octet_string_param(key->pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt,
						    sizeof(pt), &len) <= 0 ||
		    len != 1 + 2 * ti->field_len || pt[0] != 0x04)
			goto out;
		rc = buf_put_cstring(&b, ti->curve);
		if (rc == 0)
			rc = buf_put_string(&b, pt, len);
		break;
	case KEY_RSA:
		if (EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_RSA_N, &n) <= 0 ||
		    EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_RSA_E, &e) <= 0)
			goto out;
		rc = key_put_bn(&b, e);
		if (rc == 0)
			rc = key_put_bn(&b, n);
		break;
	}
	if (rc)
		goto out;
	if ((key->blob = malloc(buf_len(&b))) == NULL) {
		rc = FERRY_ENOMEM;
		goto out;
	}
	key->bloblen = buf_len(&b);
	memcpy(key->blob, buf_rptr(&b), key->bloblen);
out:
	ERR_clear_error();
	BN_free(n);
	BN_free(e);
	buf_free(&b);
	return rc;
}

/* Sanity of an RSA public key: a modulus within bounds, odd, and an odd exponent >= 3. */
static int key_rsa_check_public(const BIGNUM *n, const BIGNUM *e)
{
	int bits = BN_num_bits(n);
	if (bits < KEY_RSA_MIN_BITS || bits > KEY_RSA_MAX_BITS)
		return FERRY_EKEYFORMAT;
	if (!BN_is_odd(n) || !BN_is_odd(e) || BN_is_one(e) || BN_cmp(e, n) >= 0)
		return FERRY_EKEYFORMAT;
	return 0;
}

int key_from_pkey(EVP_PKEY *pkey, bool has_private, struct ferry_key **out)
{
	int rc = FERRY_ENOTSUP;
	struct ferry_key *key = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *n = NULL, *e = NULL;
	enum key_type type = KEY_ED25519;

	if (EVP_PKEY_is_a(pkey, "ED25519")) {
		type = KEY_ED25519;
	} else if (EVP_PKEY_is_a(pkey, "EC")) {
		char group[64];
		size_t glen = 0;
		const struct key_type_info *found = NULL;
		if (EVP_PKEY_get_group_name(pkey, group, sizeof(group), &glen) <= 0)
			goto out;
		for (size_t i = 0; i < N_KEY_TYPES; i++)
			if (key_types[i].ossl_group != NULL &&
			    (strcmp(group, key_types[i].ossl_group) == 0 ||
			     strcmp(group, key_types[i].ossl_alias) == 0))
				found = &key_types[i];
		if (found == NULL)
			goto out;
		type = found->type;
		/* Blobs carry the uncompressed point whatever form a PEM file used. */
		(void)EVP_PKEY_set_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
						     OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED);
		/* RFC 5656 §3.1 / SEC1 §3.2.2: the point is valid; a private scalar matches it. */
		ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
		if (ctx == NULL) {
			rc = FERRY_ECRYPTO;
			goto out;
		}
		if ((has_private ? EVP_PKEY_check(ctx) : EVP_PKEY_public_check(ctx)) <= 0) {
			rc = FERRY_EKEYFORMAT;
			goto out;
		}
	} else if (EVP_PKEY_is_a(pkey, "RSA")) {
		type = KEY_RSA;
		if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) <= 0 ||
		    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) <= 0) {
			rc = FERRY_EKEYFORMAT;
			goto out;
		}
		rc = key_rsa_check_public(n, e);
		if (rc)
			goto out;
	} else {
		goto out;
	}
	if ((key = calloc(1, sizeof(*key))) == NULL) {
		rc = FERRY_ENOMEM;
		goto out;
	}
	key->type = type;
	key->pkey = pkey;
	key->has_private = has_private;
	rc = key_build_blob(key);
	if (rc) {
		key->pkey = NULL; /* still the caller's */
		goto out;
	}
	*out = key;
	key = NULL;
out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	BN_free(n);
	BN_free(e);
	key_free(key);
	return rc;
}

int key_new_ed25519(const uint8_t *pub, size_t publen, const uint8_t *seed, struct ferry_key **out)
{
	int rc = FERRY_EKEYFORMAT;
	EVP_PKEY *pkey = NULL;
	uint8_t derived[KEY_ED25519_LEN];
	size_t dlen = sizeof(derived);

	/* RFC 8709 §4: the public key is 32 bytes. */
	if (publen != KEY_ED25519_LEN)
		goto out;
	if (seed != NULL) {
		pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, KEY_ED25519_LEN);
		if (pkey == NULL)
			goto out;
		/* The stored public key must be the one the seed gives. */
		if (EVP_PKEY_get_raw_public_key(pkey, derived, &dlen) <= 0 || dlen != KEY_ED25519_LEN ||
		    CRYPTO_memcmp(derived, pub, KEY_ED25519_LEN) != 0)
			goto out;
	} else {
		pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, publen);
		if (pkey == NULL)
			goto out;
	}
	rc = key_from_pkey(pkey, seed != NULL, out);
	if (rc == 0)
		pkey = NULL;
out:
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	return rc;
}

int key_new_ecdsa(enum key_type type, const uint8_t *q, size_t qlen, const uint8_t *d, size_t dlen,
		  struct ferry_key **out)
{
	int rc = FERRY_EKEYFORMAT;
	const struct key_type_info *ti = key_type_info(type);
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *priv = NULL;

	if (ti == NULL || ti->curve == NULL) {
		rc = FERRY_EINVAL;
		goto out;
	}
	/* Only the uncompressed point form is taken, as OpenSSH does. */
	if (qlen != 1 + 2 * ti->field_len || q[0] != 0x04)
		goto out;
	if (d != NULL && (dlen == 0 || dlen > ti->field_len))
		goto out;
	rc = FERRY_ECRYPTO;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, ti->ossl_group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, q, qlen))
		goto out;
	if (d != NULL) {
		if ((priv = BN_secure_new()) == NULL || BN_bin2bn(d, (int)dlen, priv) == NULL ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv))
			goto out;
	}
	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0)
		goto out;
	if (EVP_PKEY_fromdata(ctx, &pkey, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		rc = FERRY_EKEYFORMAT;
		goto out;
	}
	rc = key_from_pkey(pkey, d != NULL, out);
	if (rc == 0)
		pkey = NULL;
out:
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(priv);
	return rc;
}

int key_new_rsa(const struct key_rsa_parts *parts, struct ferry_key **out)
{
	int rc = FERRY_ECRYPTO;
	bool priv = parts->d != NULL;
	BN_CTX *bnctx = NULL;
	BIGNUM *n = NULL, *e = NULL, *d = NULL, *iqmp = NULL, *p = NULL, *q = NULL;
	BIGNUM *dmp1 = NULL, *dmq1 = NULL, *t = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	if ((n = BN_bin2bn(parts->n, (int)parts->nlen, NULL)) == NULL ||
	    (e = BN_bin2bn(parts->e, (int)parts->elen, NULL)) == NULL)
		goto out;
	rc = key_rsa_check_public(n, e);
	if (rc)
		goto out;
	rc = FERRY_ECRYPTO;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
		goto out;
	if (priv) {
		if (parts->iqmp == NULL || parts->p == NULL || parts->q == NULL) {
			rc = FERRY_EINVAL;
			goto out;
		}
		if ((bnctx = BN_CTX_secure_new()) == NULL || (d = BN_secure_new()) == NULL ||
		    (iqmp = BN_secure_new()) == NULL || (p = BN_secure_new()) == NULL ||
		    (q = BN_secure_new()) == NULL || (dmp1 = BN_secure_new()) == NULL ||
		    (dmq1 = BN_secure_new()) == NULL || (t = BN_secure_new()) == NULL)
			goto out;
		if (BN_bin2bn(parts->d, (int)parts->dlen, d) == NULL ||
		    BN_bin2bn(parts->iqmp, (int)parts->iqmplen, iqmp) == NULL ||
		    BN_bin2bn(parts->p, (int)parts->plen, p) == NULL ||
		    BN_bin2bn(parts->q, (int)parts->qlen, q) == NULL)
			goto out;
		/* The factors must multiply to n and iqmp be q^-1 mod p; a file that says
		 * otherwise is corrupt (and would make wrong signatures). */
		if (BN_mul(t, p, q, bnctx) != 1)
			goto out;
		if (BN_cmp(t, n) != 0 || BN_is_zero(d) || BN_cmp(d, n) >= 0) {
			rc = FERRY_EKEYFORMAT;
			goto out;
		}
		if (BN_mod_mul(t, iqmp, q, p, bnctx) != 1)
			goto out;
		if (!BN_is_one(t)) {
			rc = FERRY_EKEYFORMAT;
			goto out;
		}
		/* OpenSSH files omit the CRT exponents d mod (p-1), d mod (q-1). */
		if (BN_sub(t, p, BN_value_one()) != 1 || BN_mod(dmp1, d, t, bnctx) != 1 ||
		    BN_sub(t, q, BN_value_one()) != 1 || BN_mod(dmq1, d, t, bnctx) != 1)
			goto out;
		if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, p) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, q) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, dmp1) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, dmq1) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, iqmp))
			goto out;
	}
	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0)
		goto out;
	if (EVP_PKEY_fromdata(ctx, &pkey, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		rc = FERRY_EKEYFORMAT;
		goto out;
	}
	rc = key_from_pkey(pkey, priv, out);
	if (rc == 0)
		pkey = NULL;
out:
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_CTX_free(bnctx);
	BN_free(n);
	BN_free(e);
	BN_clear_free(d);
	BN_clear_free(iqmp);
	BN_clear_free(p);
	BN_clear_free(q);
	BN_clear_free(dmp1);
	BN_clear_free(dmq1);
	BN_clear_free(t);
	return rc;
}

int key_from_blob(const uint8_t *blob, size_t len, struct ferry_key **out)
{
	int rc;
	struct buf b;
	const uint8_t *name, *p1 = NULL, *p2 = NULL;
	size_t namelen, n1 = 0, n2 = 0;
	const struct key_type_info *ti = NULL;
	struct ferry_key *key = NULL;

	if (blob == NULL || out == NULL)
		return FERRY_EINVAL;
	buf_view(&b, blob, len);
	if (buf_get_string_ref(&b, &name, &namelen) != 0)
		return FERRY_EKEYFORMAT;
	for (size_t i = 0; i < N_KEY_TYPES; i++)
		if (strlen(key_types[i].name) == namelen &&
		    memcmp(key_types[i].name, name, namelen) == 0)
			ti = &key_types[i];
	if (ti == NULL)
		return FERRY_ENOTSUP;
	rc = FERRY_EKEYFORMAT;
	switch (ti->type) {
	case KEY_ED25519:
		/* RFC 8709 §4: string "ssh-ed25519", string key */
		if (buf_get_string_ref(&b, &p1, &n1) != 0 || buf_len(&b) != 0)
			goto out;
		rc = key_new_ed25519(p1, n1, NULL, &key);
		break;
	case KEY_ECDSA_P256:
	case KEY_ECDSA_P384:
	case KEY_ECDSA_P521:
		/* RFC 5656 §3.1: string name, string curve identifier, string Q; the
		 * identifier must be the one the name implies. */
		if (buf_get_string_ref(&b, &p1, &n1) != 0 || buf_get_string_ref(&b, &p2, &n2) != 0 ||
		    buf_len(&b) != 0)
			goto out;
		if (n1 != strlen(ti->curve) || memcmp(p1, ti->curve, n1) != 0)
			goto out;
		rc = key_new_ecdsa(ti->type, p2, n2, NULL, 0, &key);
		break;
	case KEY_RSA: {
		/* RFC 4253 §6.6: string "ssh-rsa", mpint e, mpint n */
		struct key_rsa_parts parts = { 0 };
		if (buf_get_mpint_ref(&b, &parts.e, &parts.elen) != 0 ||
		    buf_get_mpint_ref(&b, &parts.n, &parts.nlen) != 0 || buf_len(&b) != 0)
			goto out;
		rc = key_new_rsa(&parts, &key);
		break;
	}
	}
	if (rc)
		goto out;
	/* Only canonical encodings (no padded mpints): the blob is what gets fingerprinted and
	 * compared, so the parsed key must give back the same bytes. */
	if (key->bloblen != len || memcmp(key->blob, blob, len) != 0) {
		rc = FERRY_EKEYFORMAT;
		goto out;
	}
	*out = key;
	key = NULL;
out:
	key_free(key);
	return rc;
}

int key_to_blob(const struct ferry_key *key, struct buf *out)
{
	if (key == NULL || out == NULL)
		return FERRY_EINVAL;
	return buf_put(out, key->blob, key->bloblen);
}

enum key_type key_get_type(const struct ferry_key *key)
{
	return key->type;
}

const char *key_type_name(const struct ferry_key *key)
{
	const struct key_type_info *ti = key ? key_type_info(key->type) : NULL;
	return ti ? ti->name : "unknown";
}

int key_type_from_name(const char *name, enum key_type *out)
{
	if (name == NULL || out == NULL)
		return FERRY_EINVAL;
	for (size_t i = 0; i < N_KEY_TYPES; i++) {
		if (strcmp(key_types[i].name, name) == 0) {
			*out = key_types[i].type;
			return 0;
		}
	}
	return FERRY_ENOTSUP;
}

unsigned key_bits(const struct ferry_key *key)
{
	switch (key->type) {
	case KEY_ED25519: return 256;
	case KEY_ECDSA_P256: return 256;
	case KEY_ECDSA_P384: return 384;
	case KEY_ECDSA_P521: return 521;
	case KEY_RSA: return (unsigned)EVP_PKEY_get_bits(key->pkey);
	}
	return 0;
}

bool key_has_private(const struct ferry_key *key)
{
	return key != NULL && key->has_private;
}

bool key_equal_public(const struct ferry_key *a, const struct ferry_key *b)
{
	if (a == NULL || b == NULL)
		return false;
	return a->type == b->type && a->bloblen == b->bloblen &&
	       memcmp(a->blob, b->blob, a->bloblen) == 0;
}

bool key_sigalg_ok(const struct ferry_key *key, const char *sigalg)
{
	if (key == NULL || sigalg == NULL)
		return false;
	const struct sigalg_info *si = sigalg_find(sigalg, strlen(sigalg));
	return si != NULL && si->type == key->type;
}

const char *key_sigalg_supported_names(void)
{
	return SIGALG_DEFAULT ",ssh-rsa";
}

const char *key_sigalg_default_names(void)
{
	return SIGALG_DEFAULT;
}

int key_sigalg_type(const char *sigalg, enum key_type *out)
{
	if (sigalg == NULL || out == NULL)
		return FERRY_EINVAL;
	const struct sigalg_info *si = sigalg_find(sigalg, strlen(sigalg));
	if (si == NULL)
		return FERRY_ENOTSUP;
	*out = si->type;
	return 0;
}

/* Runs a one-shot EVP_DigestVerify; 0 if valid, FERRY_ESIG if not. */
static int key_evp_verify(const struct ferry_key *key, const struct sigalg_info *si,
			  const uint8_t *sig, size_t siglen, const uint8_t *data, size_t datalen)
{
	int rc = FERRY_ESIG;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;

	if (md == NULL) {
		rc = FERRY_ENOMEM;
		goto out;
	}
	if (EVP_DigestVerifyInit(md, &pctx, si->md ? si->md() : NULL, NULL, key->pkey) <= 0) {
		rc = FERRY_ECRYPTO;
		goto out;
	}
	/* RFC 8332 §3 / RFC 4253 §6.6: RSASSA-PKCS1-v1_5. */
	if (key->type == KEY_RSA && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0) {
		rc = FERRY_ECRYPTO;
		goto out;
	}
	if (EVP_DigestVerify(md, sig, siglen, data, datalen) == 1)
		rc = 0;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	return rc;
}

/* RFC 5656 §3.1.2: the signature is (mpint r, mpint s); OpenSSL wants DER. */
static int key_ecdsa_verify(const struct ferry_key *key, const struct sigalg_info *si,
			    const uint8_t *sig, size_t siglen, const uint8_t *data, size_t datalen)
{
	int rc = FERRY_EPROTO;
	const struct key_type_info *ti = key_type_info(key->type);
	struct buf b;
	const uint8_t *r, *s;
	size_t rlen, slen;
	ECDSA_SIG *es = NULL;
	BIGNUM *br = NULL, *bs = NULL;
	unsigned char *der = NULL;
	int derlen;

	buf_view(&b, sig, siglen);
	if (buf_get_mpint_ref(&b, &r, &rlen) != 0 || buf_get_mpint_ref(&b, &s, &slen) != 0 ||
	    buf_len(&b) != 0)
		goto out;
	/* r and s lie in [1, order-1]; anything longer than the order cannot. */
	rc = FERRY_ESIG;
	if (rlen == 0 || slen == 0 || rlen > ti->field_len || slen > ti->field_len)
		goto out;
	rc = FERRY_ECRYPTO;
	if ((es = ECDSA_SIG_new()) == NULL || (br = BN_bin2bn(r, (int)rlen, NULL)) == NULL ||
	    (bs = BN_bin2bn(s, (int)slen, NULL)) == NULL || ECDSA_SIG_set0(es, br, bs) != 1)
		goto out;
	br = bs = NULL;
	if ((derlen = i2d_ECDSA_SIG(es, &der)) <= 0)
		goto out;
	rc = key_evp_verify(key, si, der, (size_t)derlen, data, datalen);
out:
	ERR_clear_error();
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	BN_free(br);
	BN_free(bs);
	return rc;
}

static int key_rsa_verify(const struct ferry_key *key, const struct sigalg_info *si,
			  const uint8_t *sig, size_t siglen, const uint8_t *data, size_t datalen)
{
	int rc;
	size_t modlen = (size_t)EVP_PKEY_get_size(key->pkey);
	uint8_t *padded = NULL;

	if (siglen > modlen || siglen == 0)
		return FERRY_ESIG;
	/* RFC 8332 §3: S is as long as the modulus; some signers drop leading zero bytes, so
	 * a shorter one is left-padded before checking, as OpenSSH does. */
	if (siglen < modlen) {
		if ((padded = calloc(1, modlen)) == NULL)
			return FERRY_ENOMEM;
		memcpy(padded + (modlen - siglen), sig, siglen);
		sig = padded;
		siglen = modlen;
	}
	rc = key_evp_verify(key, si, sig, siglen, data, datalen);
	free(padded);
	return rc;
}

int key_verify(const struct ferry_key *key, const char *sigalg, const uint8_t *sig, size_t siglen,
	       const uint8_t *data, size_t datalen)
{
	struct buf b;
	const uint8_t *name, *s;
	size_t namelen, slen;
	const struct sigalg_info *si;

	if (key == NULL || sigalg == NULL || sig == NULL || (data == NULL && datalen != 0))
		return FERRY_EINVAL;
	buf_view(&b, sig, siglen);
	/* string signature algorithm, string signature blob; nothing after. */
	if (buf_get_string_ref(&b, &name, &namelen) != 0 || buf_get_string_ref(&b, &s, &slen) != 0 ||
	    buf_len(&b) != 0)
		return FERRY_EPROTO;
	/* The signature must be made with the algorithm that was negotiated (RFC 8332 §3.1,
	 * RFC 8308 §3.1), and that algorithm must suit the key. */
	if (namelen != strlen(sigalg) || memcmp(name, sigalg, namelen) != 0)
		return FERRY_ESIG;
	si = sigalg_find(sigalg, namelen);
	if (si == NULL || si->type != key->type)
		return FERRY_ESIG;
	switch (key->type) {
	case KEY_ED25519:
		/* RFC 8709 §6: the signature is 64 bytes (RFC 8032 §5.1.6). */
		if (slen != 64)
			return FERRY_ESIG;
		return key_evp_verify(key, si, s, slen, data, datalen);
	case KEY_ECDSA_P256:
	case KEY_ECDSA_P384:
	case KEY_ECDSA_P521:
		return key_ecdsa_verify(key, si, s, slen, data, datalen);
	case KEY_RSA:
		return key_rsa_verify(key, si, s, slen, data, datalen);
	}
	return FERRY_ESIG;
}

/* Raw signature from OpenSSL: 64 bytes (Ed25519), DER (ECDSA) or modulus-size bytes (RSA).
 * *sig_out is the caller's to free. */
static int key_evp_sign(const struct ferry_key *key, const struct sigalg_info *si,
			const uint8_t *data, size_t datalen, uint8_t **sig_out, size_t *siglen_out)
{
	int rc = FERRY_ECRYPTO;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t *sig = NULL;
	size_t siglen = 0;

	if (md == NULL) {
		rc = FERRY_ENOMEM;
		goto out;
	}
	if (EVP_DigestSignInit(md, &pctx, si->md ? si->md() : NULL, NULL, key->pkey) <= 0)
		goto out;
	if (key->type == KEY_RSA && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0)
		goto out;
	if (EVP_DigestSign(md, NULL, &siglen, data, datalen) <= 0 || siglen == 0)
		goto out;
	if ((sig = malloc(siglen)) == NULL) {
		rc = FERRY_ENOMEM;
		goto out;
	}
	if (EVP_DigestSign(md, sig, &siglen, data, datalen) <= 0)
		goto out;
	*sig_out = sig;
	*siglen_out = siglen;
	sig = NULL;
	rc = 0;
out:
	ERR_clear_error();
	free(sig);
	EVP_MD_CTX_free(md);
	return rc;
}

int key_sign(const struct ferry_key *key, const char *sigalg, const uint8_t *data, size_t datalen,
	     struct buf *out)
{
	int rc;
	const struct sigalg_info *si;
	uint8_t *raw = NULL;
	size_t rawlen = 0;
	size_t save;
	struct buf inner;
	ECDSA_SIG *es = NULL;

	if (key == NULL || sigalg == NULL || out == NULL || (data == NULL && datalen != 0))
		return FERRY_EINVAL;
	if (!key->has_private)
		return FERRY_EINVAL;
	si = sigalg_find(sigalg, strlen(sigalg));
	if (si == NULL || si->type != key->type)
		return FERRY_EINVAL;
	save = out->wpos;
	buf_init(&inner, 0);
	rc = key_evp_sign(key, si, data, datalen, &raw, &rawlen);
	if (rc)
		goto out;
	rc = buf_put_cstring(out, si->name);
	if (rc)
		goto out;
	if (key->type == KEY_ECDSA_P256 || key->type == KEY_ECDSA_P384 ||
	    key->type == KEY_ECDSA_P521) {
		/* RFC 5656 §3.1.2: string of (mpint r, mpint s). */
		const unsigned char *p = raw;
		const BIGNUM *r, *s;
		if ((es = d2i_ECDSA_SIG(NULL, &p, (long)rawlen)) == NULL) {
			rc = FERRY_ECRYPTO;
			goto out;
		}
		ECDSA_SIG_get0(es, &r, &s);
		rc = key_put_bn(&inner, r);
		if (rc == 0)
			rc = key_put_bn(&inner, s);
		if (rc == 0)
			rc = buf_put_stringb(out, &inner);
	} else {
		/* Ed25519: the 64-byte signature (RFC 8709 §6); RSA: S, modulus-sized
		 * (RFC 8332 §3). */
		rc = buf_put_string(out, raw, rawlen);
	}
out:
	if (rc)
		out->wpos = save;
	ERR_clear_error();
	ECDSA_SIG_free(es);
	free(raw);
	buf_free(&inner);
	return rc;
}

int key_generate(enum key_type type, unsigned bits, struct ferry_key **out)
{
	int rc;
	EVP_PKEY *pkey = NULL;

	if (out == NULL)
		return FERRY_EINVAL;
	switch (type) {
	case KEY_ED25519:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		break;
	case KEY_ECDSA_P256:
	case KEY_ECDSA_P384:
	case KEY_ECDSA_P521:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", key_type_info(type)->ossl_group);
		break;
	case KEY_RSA:
		if (bits == 0)
			bits = 3072;
		if (bits < KEY_RSA_MIN_BITS || bits > KEY_RSA_MAX_BITS)
			return FERRY_EINVAL;
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
		break;
	default:
		return FERRY_EINVAL;
	}
	if (pkey == NULL) {
		ERR_clear_error();
		return FERRY_ECRYPTO;
	}
	rc = key_from_pkey(pkey, true, out);
	if (rc)
		EVP_PKEY_free(pkey);
	return rc;
}

int key_fingerprint(const struct ferry_key *key, char **out)
{
	uint8_t md[32];
	unsigned int mdlen = 0;
	char *b64, *fp;

	if (key == NULL || out == NULL)
		return FERRY_EINVAL;
	if (EVP_Digest(key->blob, key->bloblen, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != sizeof(md)) {
		ERR_clear_error();
		return FERRY_ECRYPTO;
	}
	if ((b64 = b64_encode_nopad(md, mdlen)) == NULL)
		return FERRY_ENOMEM;
	fp = str_printf("SHA256:%s", b64);
	free(b64);
	if (fp == NULL)
		return FERRY_ENOMEM;
	*out = fp;
	return 0;
}

void key_free(struct ferry_key *key)
{
	if (key == NULL)
		return;
	/* EVP_PKEY_free clears the private parts OpenSSL holds. */
	EVP_PKEY_free(key->pkey);
	free(key->blob);
	OPENSSL_cleanse(key, sizeof(*key));
	free(key);
}
