/* Hashes, HMAC and random bytes: SHA-1 (FIPS 180-4) and SHA-2 through OpenSSL's EVP, HMAC
 * (RFC 2104) through EVP_MAC, and XXH3 through libxxhash. */
#include "crypto/hash.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <xxhash.h>

struct hash_ctx {
	EVP_MD_CTX *md;
	enum hash_alg alg;
	bool finished;  /* hash_final ran: further updates are refused */
};

static const EVP_MD *hash_evp(enum hash_alg alg)
{
	switch (alg) {
	case HASH_SHA1: return EVP_sha1();
	case HASH_SHA256: return EVP_sha256();
	case HASH_SHA384: return EVP_sha384();
	case HASH_SHA512: return EVP_sha512();
	}
	return NULL;
}

static const char *hash_evp_name(enum hash_alg alg)
{
	switch (alg) {
	case HASH_SHA1: return "SHA1";
	case HASH_SHA256: return "SHA256";
	case HASH_SHA384: return "SHA384";
	case HASH_SHA512: return "SHA512";
	}
	return NULL;
}

size_t hash_len(enum hash_alg alg)
{
	switch (alg) {
	case HASH_SHA1: return 20;
	case HASH_SHA256: return 32;
	case HASH_SHA384: return 48;
	case HASH_SHA512: return 64;
	}
	return 0;
}

int hash_new(enum hash_alg alg, struct hash_ctx **out)
{
	int rc = FERRY_ENOMEM;
	struct hash_ctx *ctx = NULL;
	const EVP_MD *md = hash_evp(alg);

	if (md == NULL || out == NULL) {
		rc = FERRY_EINVAL;
		goto out;
	}
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		goto out;
	ctx->alg = alg;
	ctx->md = EVP_MD_CTX_new();
	if (ctx->md == NULL)
		goto out;
	if (EVP_DigestInit_ex(ctx->md, md, NULL) != 1) {
		rc = FERRY_ECRYPTO;
		goto out;
	}
	*out = ctx;
	ctx = NULL;
	rc = 0;
out:
	hash_free(ctx);
	return rc;
}

int hash_update(struct hash_ctx *ctx, const void *p, size_t n)
{
	if (ctx == NULL || ctx->finished || (p == NULL && n != 0))
		return FERRY_EINVAL;
	if (n == 0)
		return 0;
	if (EVP_DigestUpdate(ctx->md, p, n) != 1)
		return FERRY_ECRYPTO;
	return 0;
}

int hash_final(struct hash_ctx *ctx, uint8_t *out)
{
	unsigned int len = 0;

	if (ctx == NULL || ctx->finished || out == NULL)
		return FERRY_EINVAL;
	ctx->finished = true;
	if (EVP_DigestFinal_ex(ctx->md, out, &len) != 1 || len != hash_len(ctx->alg))
		return FERRY_ECRYPTO;
	return 0;
}

int hash_dup(const struct hash_ctx *ctx, struct hash_ctx **out)
{
	int rc = FERRY_ENOMEM;
	struct hash_ctx *copy = NULL;

	if (ctx == NULL || ctx->finished || out == NULL) {
		rc = FERRY_EINVAL;
		goto out;
	}
	copy = calloc(1, sizeof(*copy));
	if (copy == NULL)
		goto out;
	copy->alg = ctx->alg;
	copy->md = EVP_MD_CTX_new();
	if (copy->md == NULL)
		goto out;
	if (EVP_MD_CTX_copy_ex(copy->md, ctx->md) != 1) {
		rc = FERRY_ECRYPTO;
		goto out;
	}
	*out = copy;
	copy = NULL;
	rc = 0;
out:
	hash_free(copy);
	return rc;
}

void hash_free(struct hash_ctx *ctx)
{
	if (ctx == NULL)
		return;
	/* EVP_MD_CTX_free cleanses the digest state (it may hash secrets, e.g. KEX output). */
	EVP_MD_CTX_free(ctx->md);
	free(ctx);
}

int hash_oneshot(enum hash_alg alg, const void *p, size_t n, uint8_t *out)
{
	const EVP_MD *md = hash_evp(alg);
	unsigned int len = 0;

	if (md == NULL || out == NULL || (p == NULL && n != 0))
		return FERRY_EINVAL;
	if (EVP_Digest(n ? p : "", n, out, &len, md, NULL) != 1 || len != hash_len(alg))
		return FERRY_ECRYPTO;
	return 0;
}

int hmac_oneshot(enum hash_alg alg, const void *key, size_t keylen, const void *p, size_t n,
		 uint8_t *out)
{
	const char *digest = hash_evp_name(alg);
	size_t len = 0;
	/* EVP_Q_mac wants non-NULL pointers even for empty inputs; an empty key is legal HMAC. */
	static const uint8_t empty[1];

	if (digest == NULL || out == NULL || (key == NULL && keylen != 0) ||
	    (p == NULL && n != 0))
		return FERRY_EINVAL;
	if (EVP_Q_mac(NULL, "HMAC", NULL, digest, NULL, keylen ? key : empty, keylen,
		      n ? p : empty, n, out, hash_len(alg), &len) == NULL ||
	    len != hash_len(alg))
		return FERRY_ECRYPTO;
	return 0;
}

int crypto_random(void *out, size_t n)
{
	uint8_t *p = out;

	if (p == NULL && n != 0)
		return FERRY_EINVAL;
	/* RAND_bytes takes an int count: feed it in chunks. */
	while (n > 0) {
		int chunk = n > (size_t)INT_MAX ? INT_MAX : (int)n;
		if (RAND_bytes(p, chunk) != 1)
			return FERRY_ECRYPTO;
		p += chunk;
		n -= (size_t)chunk;
	}
	return 0;
}

int crypto_memcmp(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n);
}

void crypto_wipe(void *p, size_t n)
{
	if (p != NULL && n != 0)
		OPENSSL_cleanse(p, n);
}

uint64_t xxh3_64(const void *p, size_t n)
{
	return XXH3_64bits(p, n);
}

void xxh3_128(const void *p, size_t n, uint8_t out[16])
{
	XXH128_canonical_t canon;

	/* The canonical form is big-endian high64 then low64, as xxhsum prints it. */
	XXH128_canonicalFromHash(&canon, XXH3_128bits(p, n));
	for (size_t i = 0; i < 16; i++)
		out[i] = canon.digest[i];
}

struct xxh3_ctx {
	XXH3_state_t *state;
	bool bits128;
};

int xxh3_new(bool bits128, struct xxh3_ctx **out)
{
	struct xxh3_ctx *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return FERRY_ENOMEM;
	c->state = XXH3_createState();
	if (c->state == NULL) {
		free(c);
		return FERRY_ENOMEM;
	}
	c->bits128 = bits128;
	xxh3_reset(c);
	*out = c;
	return 0;
}

void xxh3_reset(struct xxh3_ctx *ctx)
{
	/* Resetting with the default secret cannot fail. */
	if (ctx->bits128)
		(void)XXH3_128bits_reset(ctx->state);
	else
		(void)XXH3_64bits_reset(ctx->state);
}

void xxh3_update(struct xxh3_ctx *ctx, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (ctx->bits128)
		(void)XXH3_128bits_update(ctx->state, p, n);
	else
		(void)XXH3_64bits_update(ctx->state, p, n);
}

void xxh3_digest(const struct xxh3_ctx *ctx, uint8_t *out)
{
	if (ctx->bits128) {
		XXH128_canonical_t canon;
		XXH128_canonicalFromHash(&canon, XXH3_128bits_digest(ctx->state));
		for (size_t i = 0; i < 16; i++)
			out[i] = canon.digest[i];
	} else {
		XXH64_canonical_t canon;
		XXH64_canonicalFromHash(&canon, XXH3_64bits_digest(ctx->state));
		for (size_t i = 0; i < 8; i++)
			out[i] = canon.digest[i];
	}
}

void xxh3_free(struct xxh3_ctx *ctx)
{
	if (ctx == NULL)
		return;
	XXH3_freeState(ctx->state);
	free(ctx);
}
