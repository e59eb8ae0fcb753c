/* Unit tests for crypto/kex: descriptors, agreement for every algorithm, RFC 7748 X25519
 * vectors, cross-checks against OpenSSL used directly, and refusal of bad peer values. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "check.h"
#include "common/buf.h"
#include "common/text.h"
#include "crypto/kex.h"

static const char *const all_names[] = {
	"curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256",
	"ecdh-sha2-nistp384", "ecdh-sha2-nistp521", "diffie-hellman-group-exchange-sha256",
	"diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512",
	"diffie-hellman-group14-sha256",
};
#define N_NAMES (sizeof(all_names) / sizeof(all_names[0]))

static void test_names_and_descriptors(void)
{
	CHECK_STR(kex_default_names(),
		  "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"
		  "ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,"
		  "diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,"
		  "diffie-hellman-group14-sha256");
	CHECK_STR(kex_supported_names(), kex_default_names());
	for (size_t i = 0; i < N_NAMES; i++) {
		const struct kex_alg *a = kex_by_name(all_names[i]);
		CHECK(a != NULL);
		if (a == NULL)
			continue;
		CHECK_STR(a->name, all_names[i]);
		CHECK(namelist_contains(kex_supported_names(), all_names[i]));
	}
	CHECK(kex_by_name("curve25519-sha256")->kind == KEX_ECDH);
	CHECK(kex_by_name("curve25519-sha256")->hash == HASH_SHA256);
	CHECK(kex_by_name("ecdh-sha2-nistp384")->hash == HASH_SHA384);
	CHECK(kex_by_name("ecdh-sha2-nistp521")->hash == HASH_SHA512);
	CHECK(kex_by_name("diffie-hellman-group14-sha256")->kind == KEX_DH);
	CHECK(kex_by_name("diffie-hellman-group16-sha512")->hash == HASH_SHA512);
	CHECK(kex_by_name("diffie-hellman-group-exchange-sha256")->kind == KEX_DH_GEX);
	CHECK(kex_by_name("diffie-hellman-group1-sha1") == NULL);
	CHECK(kex_by_name("ext-info-c") == NULL);
	CHECK(kex_by_name("") == NULL);
	CHECK(kex_by_name(NULL) == NULL);
	CHECK(!namelist_contains(kex_supported_names(), "ext-info-c"));
	CHECK(!namelist_contains(kex_supported_names(), "kex-strict-c-v00@openssh.com"));

	struct kex_eph *eph = NULL;
	CHECK_RC(kex_eph_new(kex_by_name("diffie-hellman-group-exchange-sha256"), &eph),
		 FERRY_EINVAL);
	CHECK(eph == NULL);
}

/* Both sides make a key, each derives with the other's public value: the secrets match. */
static void agree(struct kex_eph *a, struct kex_eph *b, size_t want_len)
{
	const uint8_t *pa, *pb;
	size_t na, nb;
	struct buf ka, kb;

	buf_init(&ka, 0);
	buf_init(&kb, 0);
	CHECK_OK(kex_eph_public(a, &pa, &na));
	CHECK_OK(kex_eph_public(b, &pb, &nb));
	/* Something already in the buffer must stay: K is appended. */
	CHECK_OK(buf_put_u8(&kb, 0xAA));
	CHECK_OK(kex_eph_derive(a, pb, nb, &ka));
	CHECK_OK(kex_eph_derive(b, pa, na, &kb));
	CHECK(buf_len(&ka) > 0);
	CHECK(buf_len(&kb) == buf_len(&ka) + 1);
	CHECK(buf_rptr(&kb)[0] == 0xAA);
	if (buf_len(&kb) == buf_len(&ka) + 1)
		CHECK_MEM(buf_rptr(&ka), buf_rptr(&kb) + 1, buf_len(&ka));
	if (want_len)
		CHECK(buf_len(&ka) == want_len);
	buf_free(&ka);
	buf_free(&kb);
}

static void test_agreement_every_algorithm(void)
{
	static const struct { const char *name; size_t publen, klen; } cases[] = {
		{ "curve25519-sha256", 32, 32 },
		{ "curve25519-sha256@libssh.org", 32, 32 },
		{ "ecdh-sha2-nistp256", 65, 32 },
		{ "ecdh-sha2-nistp384", 97, 48 },
		{ "ecdh-sha2-nistp521", 133, 66 },
		{ "diffie-hellman-group14-sha256", 0, 0 },
		{ "diffie-hellman-group16-sha512", 0, 0 },
		{ "diffie-hellman-group18-sha512", 0, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct kex_alg *alg = kex_by_name(cases[i].name);
		struct kex_eph *a = NULL, *b = NULL;
		CHECK_OK(kex_eph_new(alg, &a));
		CHECK_OK(kex_eph_new(alg, &b));
		if (a == NULL || b == NULL) {
			kex_eph_free(a);
			kex_eph_free(b);
			continue;
		}
		const uint8_t *p;
		size_t n;
		CHECK_OK(kex_eph_public(a, &p, &n));
		if (cases[i].publen) {
			CHECK(n == cases[i].publen);
			if (alg->group != 0 && cases[i].publen != 32)
				CHECK(p[0] == 0x04); /* uncompressed SEC1 point */
		}
		agree(a, b, cases[i].klen);
		/* Two fresh keys differ. */
		const uint8_t *p2;
		size_t n2;
		CHECK_OK(kex_eph_public(b, &p2, &n2));
		CHECK(n != n2 || memcmp(p, p2, n) != 0);
		kex_eph_free(a);
		kex_eph_free(b);
	}
	/* Group exchange with a group from kex_gex_pick_group. */
	const uint8_t *gp, *gg;
	size_t gplen, gglen;
	CHECK_OK(kex_gex_pick_group(2048, 3072, 8192, &gp, &gplen, &gg, &gglen));
	struct kex_eph *a = NULL, *b = NULL;
	CHECK_OK(kex_eph_new_gex(gp, gplen, gg, gglen, 2048, 8192, &a));
	CHECK_OK(kex_eph_new_gex(gp, gplen, gg, gglen, 2048, 8192, &b));
	if (a && b)
		agree(a, b, 0);
	kex_eph_free(a);
	kex_eph_free(b);
	kex_eph_free(NULL);
}

/* RFC 7748 §5.2 and §6.1 through OpenSSL's X25519 (the raw function ferry uses). */
static int x25519_raw(const uint8_t scalar[32], const uint8_t u[32], uint8_t out[32])
{
	int ok = 0;
	EVP_PKEY *priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, scalar, 32);
	EVP_PKEY *pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, u, 32);
	EVP_PKEY_CTX *ctx = priv ? EVP_PKEY_CTX_new(priv, NULL) : NULL;
	size_t len = 32;
	if (ctx && pub && EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_derive_set_peer(ctx, pub) > 0 &&
	    EVP_PKEY_derive(ctx, out, &len) > 0 && len == 32)
		ok = 1;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(priv);
	EVP_PKEY_free(pub);
	return ok;
}

static void test_x25519_rfc7748_vectors(void)
{
	uint8_t k[32], u[32], want[32], got[32];

	/* RFC 7748 §5.2, first vector. */
	unhex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4", k, 32);
	unhex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c", u, 32);
	unhex("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552", want, 32);
	CHECK(x25519_raw(k, u, got));
	CHECK_MEM(got, want, 32);
	/* §5.2, second vector. */
	unhex("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d", k, 32);
	unhex("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493", u, 32);
	unhex("95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957", want, 32);
	CHECK(x25519_raw(k, u, got));
	CHECK_MEM(got, want, 32);

	/* §6.1: Alice and Bob. */
	uint8_t a_priv[32], a_pub[32], b_priv[32], b_pub[32], shared[32], nine[32] = { 9 };
	unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", a_priv, 32);
	unhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", a_pub, 32);
	unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", b_priv, 32);
	unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", b_pub, 32);
	unhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", shared, 32);
	CHECK(x25519_raw(a_priv, nine, got));
	CHECK_MEM(got, a_pub, 32);
	CHECK(x25519_raw(b_priv, nine, got));
	CHECK_MEM(got, b_pub, 32);
	CHECK(x25519_raw(a_priv, b_pub, got));
	CHECK_MEM(got, shared, 32);
	CHECK(x25519_raw(b_priv, a_pub, got));
	CHECK_MEM(got, shared, 32);

	/* ferry's code path against Alice: its secret equals X25519(alice, ferry's public). */
	struct kex_eph *eph = NULL;
	CHECK_OK(kex_eph_new(kex_by_name("curve25519-sha256"), &eph));
	if (eph) {
		const uint8_t *p;
		size_t n;
		struct buf K;
		buf_init(&K, 0);
		CHECK_OK(kex_eph_public(eph, &p, &n));
		CHECK(n == 32);
		CHECK(x25519_raw(a_priv, p, got));
		CHECK_OK(kex_eph_derive(eph, a_pub, 32, &K));
		CHECK(buf_len(&K) == 32);
		if (buf_len(&K) == 32)
			CHECK_MEM(buf_rptr(&K), got, 32); /* raw output, as RFC 8731 §3 says */
		buf_free(&K);
	}
	kex_eph_free(eph);
}

/* NIST ECDH against an OpenSSL key made separately. */
static void test_nist_cross_check(void)
{
	static const struct { const char *kex, *curve; size_t flen; } cases[] = {
		{ "ecdh-sha2-nistp256", "P-256", 32 },
		{ "ecdh-sha2-nistp384", "P-384", 48 },
		{ "ecdh-sha2-nistp521", "P-521", 66 },
	};
	for (size_t i = 0; i < 3; i++) {
		struct kex_eph *eph = NULL;
		EVP_PKEY *ours = EVP_PKEY_Q_keygen(NULL, NULL, "EC", cases[i].curve);
		CHECK(ours != NULL);
		CHECK_OK(kex_eph_new(kex_by_name(cases[i].kex), &eph));
		if (eph == NULL || ours == NULL) {
			EVP_PKEY_free(ours);
			kex_eph_free(eph);
			continue;
		}
		uint8_t pt[256];
		size_t ptlen = 0;
		CHECK(EVP_PKEY_get_octet_string_param(ours, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt,
						      sizeof(pt), &ptlen) > 0);
		const uint8_t *p;
		size_t n;
		CHECK_OK(kex_eph_public(eph, &p, &n));
		/* OpenSSL derives with ferry's point, decoded its own way. */
		EVP_PKEY *peer = NULL;
		EVP_PKEY_CTX *fctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		OSSL_PARAM params[] = {
			OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
							 (char *)cases[i].curve, 0),
			OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)p, n),
			OSSL_PARAM_construct_end(),
		};
		CHECK(EVP_PKEY_fromdata_init(fctx) > 0);
		CHECK(EVP_PKEY_fromdata(fctx, &peer, EVP_PKEY_PUBLIC_KEY, params) > 0);
		uint8_t want[128];
		size_t wlen = sizeof(want);
		EVP_PKEY_CTX *dctx = EVP_PKEY_CTX_new(ours, NULL);
		CHECK(EVP_PKEY_derive_init(dctx) > 0);
		CHECK(EVP_PKEY_derive_set_peer(dctx, peer) > 0);
		CHECK(EVP_PKEY_derive(dctx, want, &wlen) > 0);
		CHECK(wlen == cases[i].flen);
		struct buf K;
		buf_init(&K, 0);
		CHECK_OK(kex_eph_derive(eph, pt, ptlen, &K));
		CHECK(buf_len(&K) == wlen);
		if (buf_len(&K) == wlen)
			CHECK_MEM(buf_rptr(&K), want, wlen);
		buf_free(&K);
		EVP_PKEY_CTX_free(dctx);
		EVP_PKEY_CTX_free(fctx);
		EVP_PKEY_free(peer);
		EVP_PKEY_free(ours);
		kex_eph_free(eph);
	}
}

static BIGNUM *bn_from(const uint8_t *p, size_t n)
{
	return BN_bin2bn(p, (int)n, NULL);
}

/* Finite-field DH against plain BIGNUM arithmetic: f = g^y, K = e^y mod p. */
static void dh_cross_check(struct kex_eph *eph, const uint8_t *pb, size_t plen)
{
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *p = bn_from(pb, plen), *g = BN_new(), *y = BN_new(), *f = BN_new(), *K = BN_new();
	BIGNUM *e = NULL;
	const uint8_t *ep;
	size_t en;
	CHECK_OK(kex_eph_public(eph, &ep, &en));
	e = bn_from(ep, en);
	CHECK(BN_cmp(e, p) < 0);
	BN_set_word(g, 2);
	BN_rand(y, 256, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY);
	BN_mod_exp(f, g, y, p, ctx);
	BN_mod_exp(K, e, y, p, ctx);
	uint8_t fb[1024 + 8], kb[1024 + 8];   /* up to 8192-bit p, plus the leading zeros below */
	/* With leading zeros, which the contract allows. */
	size_t fn = (size_t)BN_bn2binpad(f, fb, (int)plen + 3);
	size_t kn = (size_t)BN_bn2bin(K, kb);
	struct buf out;
	buf_init(&out, 0);
	CHECK_OK(kex_eph_derive(eph, fb, fn, &out));
	CHECK(buf_len(&out) == kn);
	if (buf_len(&out) == kn)
		CHECK_MEM(buf_rptr(&out), kb, kn);
	buf_free(&out);
	BN_CTX_free(ctx);
	BN_free(p);
	BN_free(g);
	BN_free(y);
	BN_free(f);
	BN_free(K);
	BN_free(e);
}

static void test_dh_cross_check(void)
{
	static const struct { const char *name; uint32_t bits; } cases[] = {
		{ "diffie-hellman-group14-sha256", 2048 },
		{ "diffie-hellman-group16-sha512", 4096 },
		{ "diffie-hellman-group18-sha512", 8192 },
	};
	for (size_t i = 0; i < 3; i++) {
		const uint8_t *p, *g;
		size_t plen, glen;
		struct kex_eph *eph = NULL;
		CHECK_OK(kex_gex_pick_group(cases[i].bits, cases[i].bits, cases[i].bits, &p, &plen,
					    &g, &glen));
		CHECK_OK(kex_eph_new(kex_by_name(cases[i].name), &eph));
		if (eph)
			dh_cross_check(eph, p, plen);
		kex_eph_free(eph);
	}
}

/* The static groups are RFC 3526's: cross-checked against OpenSSL's own copies. */
static void test_gex_pick_group(void)
{
	static const struct { uint32_t bits; BIGNUM *(*get)(BIGNUM *); } groups[] = {
		{ 2048, BN_get_rfc3526_prime_2048 }, { 3072, BN_get_rfc3526_prime_3072 },
		{ 4096, BN_get_rfc3526_prime_4096 }, { 6144, BN_get_rfc3526_prime_6144 },
		{ 8192, BN_get_rfc3526_prime_8192 },
	};
	const uint8_t *p, *g;
	size_t plen, glen;
	for (size_t i = 0; i < 5; i++) {
		CHECK_OK(kex_gex_pick_group(groups[i].bits, groups[i].bits, groups[i].bits, &p, &plen,
					    &g, &glen));
		CHECK(plen * 8 == groups[i].bits);
		CHECK(glen == 1 && g[0] == 2);
		BIGNUM *want = groups[i].get(NULL), *got = bn_from(p, plen);
		CHECK(BN_cmp(want, got) == 0);
		/* RFC 3526: the top and bottom 64 bits are all ones. */
		for (size_t j = 0; j < 8; j++)
			CHECK(p[j] == 0xff && p[plen - 1 - j] == 0xff);
		BN_free(want);
		BN_free(got);
	}
	/* The 2048-bit one is a safe prime (the larger ones take too long to test here). */
	CHECK_OK(kex_gex_pick_group(2048, 2048, 2048, &p, &plen, &g, &glen));
	BIGNUM *pp = bn_from(p, plen), *q = BN_new();
	BN_rshift1(q, pp);
	CHECK(BN_check_prime(pp, NULL, NULL) == 1);
	CHECK(BN_check_prime(q, NULL, NULL) == 1);
	BN_free(pp);
	BN_free(q);

	static const struct { uint32_t min, want, max, got; } picks[] = {
		{ 1024, 2048, 8192, 2048 },
		{ 1024, 1024, 8192, 2048 },
		{ 2048, 3000, 8192, 3072 },
		{ 2048, 3072, 8192, 3072 },
		{ 2048, 7000, 8192, 8192 },
		{ 2048, 8192, 8192, 8192 },
		{ 2048, 9000, 16384, 8192 },  /* wants more than we have: the largest */
		{ 2048, 8192, 4096, 4096 },   /* want above max: the largest within range */
		{ 3000, 3000, 5000, 3072 },
		{ 4097, 5000, 7000, 6144 },
		{ 1024, 1024, 2048, 2048 },
		{ 0, 0, UINT32_MAX, 2048 },
	};
	for (size_t i = 0; i < sizeof(picks) / sizeof(picks[0]); i++) {
		p = NULL;
		plen = 0;
		CHECK_OK(kex_gex_pick_group(picks[i].min, picks[i].want, picks[i].max, &p, &plen, &g,
					    &glen));
		CHECK(plen * 8 == picks[i].got);
	}
	CHECK_RC(kex_gex_pick_group(4000, 4000, 4000, &p, &plen, &g, &glen), FERRY_ENOMATCH);
	CHECK_RC(kex_gex_pick_group(8193, 9000, 10000, &p, &plen, &g, &glen), FERRY_ENOMATCH);
	CHECK_RC(kex_gex_pick_group(1024, 1024, 2047, &p, &plen, &g, &glen), FERRY_ENOMATCH);
	CHECK_RC(kex_gex_pick_group(4096, 4096, 2048, &p, &plen, &g, &glen), FERRY_ENOMATCH);
}

static void test_gex_group_refused(void)
{
	const uint8_t *p, *g;
	size_t plen, glen;
	struct kex_eph *eph = NULL;
	uint8_t buf[1024];

	CHECK_OK(kex_gex_pick_group(3072, 3072, 3072, &p, &plen, &g, &glen));
	/* p outside [min, max]. */
	CHECK_RC(kex_eph_new_gex(p, plen, g, glen, 4096, 8192, &eph), FERRY_EPROTO);
	CHECK_RC(kex_eph_new_gex(p, plen, g, glen, 1024, 2048, &eph), FERRY_EPROTO);
	/* g = 0, 1, p-1, p. */
	uint8_t g0 = 0, g1 = 1;
	CHECK_RC(kex_eph_new_gex(p, plen, &g0, 1, 2048, 8192, &eph), FERRY_EPROTO);
	CHECK_RC(kex_eph_new_gex(p, plen, &g1, 1, 2048, 8192, &eph), FERRY_EPROTO);
	CHECK_RC(kex_eph_new_gex(p, plen, g, 0, 2048, 8192, &eph), FERRY_EPROTO);
	memcpy(buf, p, plen);
	buf[plen - 1] -= 1; /* p-1 */
	CHECK_RC(kex_eph_new_gex(p, plen, buf, plen, 2048, 8192, &eph), FERRY_EPROTO);
	CHECK_RC(kex_eph_new_gex(p, plen, p, plen, 2048, 8192, &eph), FERRY_EPROTO);
	/* An even modulus. */
	CHECK_RC(kex_eph_new_gex(buf, plen, g, glen, 2048, 8192, &eph), FERRY_EPROTO);
	/* A tiny modulus, even if the caller allows it. */
	uint8_t small[64];
	memset(small, 0xff, sizeof(small));
	CHECK_RC(kex_eph_new_gex(small, sizeof(small), g, glen, 0, 8192, &eph), FERRY_EPROTO);
	CHECK(eph == NULL);
	/* A valid group with g = p-2 is fine (not our business to test its order). */
	memcpy(buf, p, plen);
	buf[plen - 1] -= 2;
	CHECK_OK(kex_eph_new_gex(p, plen, buf, plen, 2048, 8192, &eph));
	kex_eph_free(eph);
}

static void test_dh_bad_peer_values(void)
{
	static const char *const names[] = { "diffie-hellman-group14-sha256",
					     "diffie-hellman-group16-sha512" };
	for (size_t n = 0; n < 2; n++) {
		const struct kex_alg *alg = kex_by_name(names[n]);
		uint32_t bits = n == 0 ? 2048 : 4096;
		const uint8_t *p, *g;
		size_t plen, glen;
		struct kex_eph *eph = NULL;
		CHECK_OK(kex_gex_pick_group(bits, bits, bits, &p, &plen, &g, &glen));
		CHECK_OK(kex_eph_new(alg, &eph));
		if (eph == NULL)
			continue;
		struct buf K;
		buf_init(&K, 0);
		uint8_t v[1030];
		memset(v, 0, sizeof(v));
		/* f = 0 (empty and with zero bytes), 1 */
		CHECK_RC(kex_eph_derive(eph, v, 0, &K), FERRY_EPROTO);
		CHECK_RC(kex_eph_derive(eph, v, 5, &K), FERRY_EPROTO);
		v[4] = 1;
		CHECK_RC(kex_eph_derive(eph, v, 5, &K), FERRY_EPROTO);
		/* f = p-1, p, p+1 */
		memcpy(v, p, plen);
		v[plen - 1] -= 1;
		CHECK_RC(kex_eph_derive(eph, v, plen, &K), FERRY_EPROTO);
		v[plen - 1] += 1;
		CHECK_RC(kex_eph_derive(eph, v, plen, &K), FERRY_EPROTO);
		BIGNUM *p1 = bn_from(p, plen);
		BN_add_word(p1, 1);
		CHECK(BN_bn2binpad(p1, v, (int)plen) == (int)plen);
		CHECK_RC(kex_eph_derive(eph, v, plen, &K), FERRY_EPROTO);
		BN_free(p1);
		/* All ones, longer than p. */
		memset(v, 0xff, sizeof(v));
		CHECK_RC(kex_eph_derive(eph, v, plen, &K), FERRY_EPROTO);
		CHECK_RC(kex_eph_derive(eph, v, plen + 1, &K), FERRY_EPROTO);
		CHECK(buf_len(&K) == 0);
		/* f = 2 is accepted (it is the generator). */
		memset(v, 0, sizeof(v));
		v[0] = 2;
		CHECK_OK(kex_eph_derive(eph, v, 1, &K));
		buf_free(&K);
		kex_eph_free(eph);
	}
}

static void test_nist_bad_points(void)
{
	static const char *const names[] = { "ecdh-sha2-nistp256", "ecdh-sha2-nistp384",
					     "ecdh-sha2-nistp521" };
	for (size_t n = 0; n < 3; n++) {
		struct kex_eph *a = NULL, *b = NULL;
		CHECK_OK(kex_eph_new(kex_by_name(names[n]), &a));
		CHECK_OK(kex_eph_new(kex_by_name(names[n]), &b));
		if (a == NULL || b == NULL) {
			kex_eph_free(a);
			kex_eph_free(b);
			continue;
		}
		const uint8_t *pb;
		size_t nb;
		CHECK_OK(kex_eph_public(b, &pb, &nb));
		uint8_t pt[200];
		struct buf K;
		buf_init(&K, 0);
		memcpy(pt, pb, nb);
		/* Not on the curve: change the last byte of y. */
		pt[nb - 1] ^= 1;
		CHECK_RC(kex_eph_derive(a, pt, nb, &K), FERRY_EPROTO);
		pt[nb - 1] ^= 1;
		/* Wrong lengths. */
		CHECK_RC(kex_eph_derive(a, pt, nb - 1, &K), FERRY_EPROTO);
		CHECK_RC(kex_eph_derive(a, pt, nb + 1, &K), FERRY_EPROTO);
		CHECK_RC(kex_eph_derive(a, pt, 0, &K), FERRY_EPROTO);
		/* Compressed form of the same point (x only) and a bad prefix byte. */
		pt[0] = 0x02 | (pb[nb - 1] & 1);
		CHECK_RC(kex_eph_derive(a, pt, 1 + (nb - 1) / 2, &K), FERRY_EPROTO);
		pt[0] = 0x05;
		CHECK_RC(kex_eph_derive(a, pt, nb, &K), FERRY_EPROTO);
		/* The point (0, 0) and all zeros (infinity is one 0x00 byte). */
		memset(pt, 0, sizeof(pt));
		pt[0] = 0x04;
		CHECK_RC(kex_eph_derive(a, pt, nb, &K), FERRY_EPROTO);
		CHECK_RC(kex_eph_derive(a, pt + 1, 1, &K), FERRY_EPROTO);
		CHECK(buf_len(&K) == 0);
		/* And the key still works with a good point. */
		memcpy(pt, pb, nb);
		CHECK_OK(kex_eph_derive(a, pt, nb, &K));
		buf_free(&K);
		kex_eph_free(a);
		kex_eph_free(b);
	}
}

static void test_x25519_bad_peer_values(void)
{
	/* Points of small order (and non-canonical encodings of them): the X25519 output is
	 * all zeros for every scalar, which RFC 8731 §3 says to refuse. */
	static const char *const low_order[] = {
		"0000000000000000000000000000000000000000000000000000000000000000", /* 0 */
		"0100000000000000000000000000000000000000000000000000000000000000", /* 1 */
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", /* order 8 */
		"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157", /* order 8 */
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* p-1 */
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* p */
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* p+1 */
	};
	struct kex_eph *eph = NULL;
	CHECK_OK(kex_eph_new(kex_by_name("curve25519-sha256"), &eph));
	if (eph == NULL)
		return;
	struct buf K;
	buf_init(&K, 0);
	uint8_t u[40];
	for (size_t i = 0; i < sizeof(low_order) / sizeof(low_order[0]); i++) {
		unhex(low_order[i], u, 32);
		CHECK_RC(kex_eph_derive(eph, u, 32, &K), FERRY_EPROTO);
	}
	/* Wrong lengths. */
	memset(u, 9, sizeof(u));
	CHECK_RC(kex_eph_derive(eph, u, 31, &K), FERRY_EPROTO);
	CHECK_RC(kex_eph_derive(eph, u, 33, &K), FERRY_EPROTO);
	CHECK_RC(kex_eph_derive(eph, u, 0, &K), FERRY_EPROTO);
	CHECK(buf_len(&K) == 0);
	/* The base point itself is a fine peer value. */
	memset(u, 0, sizeof(u));
	u[0] = 9;
	CHECK_OK(kex_eph_derive(eph, u, 32, &K));
	CHECK(buf_len(&K) == 32);
	buf_free(&K);
	kex_eph_free(eph);
}

int main(void)
{
	RUN_TEST(test_names_and_descriptors);
	RUN_TEST(test_agreement_every_algorithm);
	RUN_TEST(test_x25519_rfc7748_vectors);
	RUN_TEST(test_nist_cross_check);
	RUN_TEST(test_dh_cross_check);
	RUN_TEST(test_gex_pick_group);
	RUN_TEST(test_gex_group_refused);
	RUN_TEST(test_dh_bad_peer_values);
	RUN_TEST(test_nist_bad_points);
	RUN_TEST(test_x25519_bad_peer_values);
	return check_report();
}
