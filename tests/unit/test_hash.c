/* Unit tests for crypto/hash.c: SHA-1/SHA-2 against FIPS 180 examples, HMAC against RFC 2202
 * and RFC 4231, streaming and dup against one-shot, XXH3 against values printed by xxhsum. */
#include "crypto/hash.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

static uint8_t bytes[512];

static const uint8_t *hx(const char *hex, size_t *n)
{
	*n = unhex(hex, bytes, sizeof(bytes));
	return bytes;
}

static void test_hash_lengths(void)
{
	CHECK(hash_len(HASH_SHA1) == 20);
	CHECK(hash_len(HASH_SHA256) == 32);
	CHECK(hash_len(HASH_SHA384) == 48);
	CHECK(hash_len(HASH_SHA512) == 64);
}

/* FIPS 180-2 appendix examples: the one-block message "abc". */
static const struct {
	enum hash_alg alg;
	const char *abc;
} sha_abc[] = {
	{ HASH_SHA1, "a9993e364706816aba3e25717850c26c9cd0d89d" },
	{ HASH_SHA256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ HASH_SHA384, "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
		       "8086072ba1e7cc2358baeca134c825a7" },
	{ HASH_SHA512, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
		       "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f" },
};

static void test_sha_abc_oneshot_matches_fips180(void)
{
	for (size_t i = 0; i < sizeof(sha_abc) / sizeof(sha_abc[0]); i++) {
		uint8_t out[HASH_MAX_LEN];
		size_t n;
		const uint8_t *want = hx(sha_abc[i].abc, &n);
		CHECK(n == hash_len(sha_abc[i].alg));
		CHECK_OK(hash_oneshot(sha_abc[i].alg, "abc", 3, out));
		CHECK_MEM(out, want, n);
	}
}

static void test_sha_abc_streaming_matches_fips180(void)
{
	for (size_t i = 0; i < sizeof(sha_abc) / sizeof(sha_abc[0]); i++) {
		struct hash_ctx *ctx = NULL;
		uint8_t out[HASH_MAX_LEN];
		size_t n;
		const uint8_t *want = hx(sha_abc[i].abc, &n);
		CHECK_OK(hash_new(sha_abc[i].alg, &ctx));
		CHECK_OK(hash_update(ctx, "a", 1));
		CHECK_OK(hash_update(ctx, NULL, 0));
		CHECK_OK(hash_update(ctx, "bc", 2));
		CHECK_OK(hash_final(ctx, out));
		CHECK_MEM(out, want, n);
		/* hash.h: the context may not be updated after hash_final. */
		CHECK_RC(hash_update(ctx, "x", 1), FERRY_EINVAL);
		hash_free(ctx);
	}
}

/* FIPS 180-2: SHA-256 of the 448-bit two-block message. */
static void test_sha256_two_blocks(void)
{
	const char *msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	uint8_t out[32];
	size_t n;
	const uint8_t *want =
		hx("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", &n);
	CHECK_OK(hash_oneshot(HASH_SHA256, msg, strlen(msg), out));
	CHECK_MEM(out, want, 32);
}

static void test_sha_empty_input(void)
{
	uint8_t out[32];
	size_t n;
	const uint8_t *want =
		hx("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", &n);
	CHECK_OK(hash_oneshot(HASH_SHA256, NULL, 0, out));
	CHECK_MEM(out, want, 32);
}

/* hash_dup forks the running state: both branches finish independently and each matches the
 * one-shot digest of its own full input. */
static void test_hash_dup_forks_state(void)
{
	struct hash_ctx *a = NULL, *b = NULL;
	uint8_t da[64], db[64], wa[64], wb[64];
	CHECK_OK(hash_new(HASH_SHA512, &a));
	CHECK_OK(hash_update(a, "common prefix ", 14));
	CHECK_OK(hash_dup(a, &b));
	CHECK_OK(hash_update(a, "left", 4));
	CHECK_OK(hash_update(b, "right", 5));
	CHECK_OK(hash_final(a, da));
	CHECK_OK(hash_final(b, db));
	CHECK_OK(hash_oneshot(HASH_SHA512, "common prefix left", 18, wa));
	CHECK_OK(hash_oneshot(HASH_SHA512, "common prefix right", 19, wb));
	CHECK_MEM(da, wa, 64);
	CHECK_MEM(db, wb, 64);
	hash_free(a);
	hash_free(b);
	hash_free(NULL);
}

/* Streaming over an odd-sized split of a large input, cross-checked against OpenSSL's
 * EVP_Digest used directly. */
static void test_hash_streaming_matches_evp(void)
{
	static uint8_t big[100003];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 131 + 7);
	const enum hash_alg algs[] = { HASH_SHA1, HASH_SHA256, HASH_SHA384, HASH_SHA512 };
	const EVP_MD *mds[] = { EVP_sha1(), EVP_sha256(), EVP_sha384(), EVP_sha512() };
	for (size_t a = 0; a < 4; a++) {
		struct hash_ctx *ctx = NULL;
		uint8_t out[64], want[64];
		unsigned int wl = 0;
		CHECK_OK(hash_new(algs[a], &ctx));
		for (size_t off = 0; off < sizeof(big);) {
			size_t chunk = 1 + (off * 7) % 4099;
			if (chunk > sizeof(big) - off)
				chunk = sizeof(big) - off;
			CHECK_OK(hash_update(ctx, big + off, chunk));
			off += chunk;
		}
		CHECK_OK(hash_final(ctx, out));
		hash_free(ctx);
		CHECK(EVP_Digest(big, sizeof(big), want, &wl, mds[a], NULL) == 1);
		CHECK(wl == hash_len(algs[a]));
		CHECK_MEM(out, want, wl);
	}
}

/* RFC 2202 §3 (HMAC-SHA-1) test cases 1, 2 and 6. */
static void test_hmac_sha1_rfc2202(void)
{
	uint8_t key[80], out[20];
	size_t n;
	const uint8_t *want;

	memset(key, 0x0b, 20);
	CHECK_OK(hmac_oneshot(HASH_SHA1, key, 20, "Hi There", 8, out));
	want = hx("b617318655057264e28bc0b6fb378c8ef146be00", &n);
	CHECK_MEM(out, want, 20);

	CHECK_OK(hmac_oneshot(HASH_SHA1, "Jefe", 4, "what do ya want for nothing?", 28, out));
	want = hx("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79", &n);
	CHECK_MEM(out, want, 20);

	memset(key, 0xaa, 80);
	const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
	CHECK_OK(hmac_oneshot(HASH_SHA1, key, 80, m6, strlen(m6), out));
	want = hx("aa4ae5e15272d00e95705637ce8a3b55ed402112", &n);
	CHECK_MEM(out, want, 20);
}

/* RFC 4231 §4.2, §4.3 and §4.7 (test cases 1, 2 and 6) for HMAC-SHA-256 and -512. */
static void test_hmac_sha2_rfc4231(void)
{
	uint8_t key[131], out[64];
	size_t n;
	const uint8_t *want;
	const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";

	memset(key, 0x0b, 20);
	CHECK_OK(hmac_oneshot(HASH_SHA256, key, 20, "Hi There", 8, out));
	want = hx("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", &n);
	CHECK_MEM(out, want, 32);
	CHECK_OK(hmac_oneshot(HASH_SHA512, key, 20, "Hi There", 8, out));
	want = hx("87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
		  "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854", &n);
	CHECK_MEM(out, want, 64);

	CHECK_OK(hmac_oneshot(HASH_SHA256, "Jefe", 4, "what do ya want for nothing?", 28, out));
	want = hx("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", &n);
	CHECK_MEM(out, want, 32);
	CHECK_OK(hmac_oneshot(HASH_SHA512, "Jefe", 4, "what do ya want for nothing?", 28, out));
	want = hx("164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
		  "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737", &n);
	CHECK_MEM(out, want, 64);

	memset(key, 0xaa, 131);
	CHECK_OK(hmac_oneshot(HASH_SHA256, key, 131, m6, strlen(m6), out));
	want = hx("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", &n);
	CHECK_MEM(out, want, 32);
	CHECK_OK(hmac_oneshot(HASH_SHA512, key, 131, m6, strlen(m6), out));
	want = hx("80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
		  "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598", &n);
	CHECK_MEM(out, want, 64);
}

static void test_hmac_empty_key_and_message(void)
{
	uint8_t out[32], want[32];
	size_t n;
	/* HMAC-SHA-256 with an empty key over an empty message; a well-known value. */
	const uint8_t *w = hx("b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad",
			      &n);
	memcpy(want, w, 32);
	CHECK_OK(hmac_oneshot(HASH_SHA256, NULL, 0, NULL, 0, out));
	CHECK_MEM(out, want, 32);
}

static void test_random_and_memcmp_and_wipe(void)
{
	uint8_t a[64] = { 0 }, b[64] = { 0 }, z[64] = { 0 };
	CHECK_OK(crypto_random(a, sizeof(a)));
	CHECK_OK(crypto_random(b, sizeof(b)));
	CHECK_OK(crypto_random(NULL, 0));
	/* 2^-512 chance of a false failure. */
	CHECK(crypto_memcmp(a, b, sizeof(a)) != 0);
	CHECK(crypto_memcmp(a, a, sizeof(a)) == 0);
	CHECK(crypto_memcmp(a, b, 0) == 0);
	crypto_wipe(a, sizeof(a));
	CHECK_MEM(a, z, sizeof(a));
	crypto_wipe(NULL, 0);
}

/* Expected XXH3 values were computed independently with the xxhsum 0.8.1 command-line tool
 * (Debian package "xxhash", statically built, not linked to libxxhash): `xxhsum -H3 FILE`
 * for XXH3-64 and `xxhsum -H2 FILE` for XXH128, which prints the canonical big-endian form,
 * on files holding "", "abc", and 1000 bytes of 'x'. */
static void test_xxh3_matches_xxhsum(void)
{
	static char xs[1000];
	memset(xs, 'x', sizeof(xs));
	const struct {
		const void *p;
		size_t n;
		uint64_t h64;
		const char *h128;
	} v[] = {
		{ "", 0, 0x2d06800538d394c2ull, "99aa06d3014798d86001c324468d497f" },
		{ "abc", 3, 0x78af5f94892f3950ull, "06b05ab6733a618578af5f94892f3950" },
		{ xs, sizeof(xs), 0xc0a4877b962cba82ull, "50a1af5a5f2dcf01c0a4877b962cba82" },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t out[16];
		size_t n;
		CHECK(xxh3_64(v[i].p, v[i].n) == v[i].h64);
		xxh3_128(v[i].p, v[i].n, out);
		const uint8_t *want = hx(v[i].h128, &n);
		CHECK(n == 16);
		CHECK_MEM(out, want, 16);
	}
}

static void test_bad_arguments(void)
{
	struct hash_ctx *ctx = (struct hash_ctx *)&ctx; /* must stay untouched */
	uint8_t out[64];
	CHECK_RC(hash_new((enum hash_alg)99, &ctx), FERRY_EINVAL);
	CHECK(ctx == (struct hash_ctx *)&ctx);
	CHECK_RC(hash_oneshot((enum hash_alg)99, "a", 1, out), FERRY_EINVAL);
	CHECK_RC(hmac_oneshot(HASH_SHA256, "k", 1, NULL, 5, out), FERRY_EINVAL);
	CHECK(hash_len((enum hash_alg)99) == 0);
}

int main(void)
{
	RUN_TEST(test_hash_lengths);
	RUN_TEST(test_sha_abc_oneshot_matches_fips180);
	RUN_TEST(test_sha_abc_streaming_matches_fips180);
	RUN_TEST(test_sha256_two_blocks);
	RUN_TEST(test_sha_empty_input);
	RUN_TEST(test_hash_dup_forks_state);
	RUN_TEST(test_hash_streaming_matches_evp);
	RUN_TEST(test_hmac_sha1_rfc2202);
	RUN_TEST(test_hmac_sha2_rfc4231);
	RUN_TEST(test_hmac_empty_key_and_message);
	RUN_TEST(test_random_and_memcmp_and_wipe);
	RUN_TEST(test_xxh3_matches_xxhsum);
	RUN_TEST(test_bad_arguments);
	return check_report();
}
