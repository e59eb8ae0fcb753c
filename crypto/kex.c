/* Key exchange descriptors and dispatch (RFC 4253 §8, RFC 4419, RFC 5656, RFC 8268, RFC 8731);
 * the arithmetic is in kex-ecdh.c and kex-dh.c. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "crypto/kex-internal.h"
#include "crypto/kex.h"

/* Default preference order: curve25519 first (RFC 8731), then the NIST curves (RFC 5656),
 * then finite-field groups, strongest fixed groups before group 14 (RFC 8268 §4). */
static const struct kex_alg kex_algs[] = {
	{ .name = "curve25519-sha256", .kind = KEX_ECDH, .hash = HASH_SHA256,
	  .group = KEX_GROUP_X25519 },
	{ .name = "curve25519-sha256@libssh.org", .kind = KEX_ECDH, .hash = HASH_SHA256,
	  .group = KEX_GROUP_X25519 },
	{ .name = "ecdh-sha2-nistp256", .kind = KEX_ECDH, .hash = HASH_SHA256,
	  .group = KEX_GROUP_P256 },
	{ .name = "ecdh-sha2-nistp384", .kind = KEX_ECDH, .hash = HASH_SHA384,
	  .group = KEX_GROUP_P384 },
	{ .name = "ecdh-sha2-nistp521", .kind = KEX_ECDH, .hash = HASH_SHA512,
	  .group = KEX_GROUP_P521 },
	{ .name = "diffie-hellman-group-exchange-sha256", .kind = KEX_DH_GEX, .hash = HASH_SHA256,
	  .group = KEX_GROUP_NONE },
	{ .name = "diffie-hellman-group16-sha512", .kind = KEX_DH, .hash = HASH_SHA512,
	  .group = KEX_GROUP_MODP4096 },
	{ .name = "diffie-hellman-group18-sha512", .kind = KEX_DH, .hash = HASH_SHA512,
	  .group = KEX_GROUP_MODP8192 },
	{ .name = "diffie-hellman-group14-sha256", .kind = KEX_DH, .hash = HASH_SHA256,
	  .group = KEX_GROUP_MODP2048 },
};

/* Kept by hand in step with kex_algs (test_kex checks that every name resolves). */
static const char kex_names[] =
	"curve25519-sha256,curve25519-sha256@libssh.org,"
	"ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
	"diffie-hellman-group-exchange-sha256,"
	"diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,"
	"diffie-hellman-group14-sha256";

const struct kex_alg *kex_by_name(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(kex_algs) / sizeof(kex_algs[0]); i++)
		if (strcmp(kex_algs[i].name, name) == 0)
			return &kex_algs[i];
	return NULL;
}

const char *kex_supported_names(void)
{
	return kex_names;
}

const char *kex_default_names(void)
{
	return kex_names;
}

int kex_eph_new(const struct kex_alg *alg, struct kex_eph **out)
{
	if (alg == NULL || out == NULL)
		return FERRY_EINVAL;
	switch (alg->kind) {
	case KEX_ECDH:
		return kex_ecdh_new(alg->group, out);
	case KEX_DH:
		return kex_dh_new_fixed(alg->group, out);
	case KEX_DH_GEX:
		/* The group is not known until the server's GEX_GROUP: kex_eph_new_gex. */
		return FERRY_EINVAL;
	}
	return FERRY_EINVAL;
}

int kex_eph_new_gex(const uint8_t *p, size_t plen, const uint8_t *g, size_t glen,
		    uint32_t min_bits, uint32_t max_bits, struct kex_eph **out)
{
	if (p == NULL || g == NULL || out == NULL)
		return FERRY_EINVAL;
	return kex_dh_new_group(p, plen, g, glen, min_bits, max_bits, out);
}

int kex_eph_public(const struct kex_eph *eph, const uint8_t **p, size_t *n)
{
	if (eph == NULL || eph->pub == NULL || p == NULL || n == NULL)
		return FERRY_EINVAL;
	*p = eph->pub;
	*n = eph->publen;
	return 0;
}

int kex_eph_derive(struct kex_eph *eph, const uint8_t *peer, size_t peer_len, struct buf *K_raw)
{
	if (eph == NULL || K_raw == NULL || (peer == NULL && peer_len != 0))
		return FERRY_EINVAL;
	if (eph->kind == KEX_ECDH)
		return kex_ecdh_derive(eph, peer, peer_len, K_raw);
	return kex_dh_derive(eph, peer, peer_len, K_raw);
}

void kex_eph_free(struct kex_eph *eph)
{
	if (eph == NULL)
		return;
	EVP_PKEY_free(eph->pkey);
	BN_clear_free(eph->x);
	BN_free(eph->p);
	BN_free(eph->g);
	if (eph->pub != NULL) {
		OPENSSL_cleanse(eph->pub, eph->publen);
		free(eph->pub);
	}
	OPENSSL_cleanse(eph, sizeof(*eph));
	free(eph);
}

int kex_gex_pick_group(uint32_t min_bits, uint32_t want_bits, uint32_t max_bits,
		       const uint8_t **p, size_t *plen, const uint8_t **g, size_t *glen)
{
	if (p == NULL || plen == NULL || g == NULL || glen == NULL)
		return FERRY_EINVAL;
	return kex_dh_pick_group(min_bits, want_bits, max_bits, p, plen, g, glen);
}
