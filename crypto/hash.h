/* Hashes, HMAC and random bytes: SHA-1/SHA-2 through OpenSSL, XXH3 through libxxhash. */
#ifndef FERRY_CRYPTO_HASH_H
#define FERRY_CRYPTO_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

enum hash_alg { HASH_SHA1, HASH_SHA256, HASH_SHA384, HASH_SHA512 };

#define HASH_MAX_LEN 64

/* Digest length in bytes (20, 32, 48, 64). */
size_t hash_len(enum hash_alg alg);

struct hash_ctx;
/* Creates a streaming digest context; *out set only on success; free with hash_free. */
int hash_new(enum hash_alg alg, struct hash_ctx **out) FERRY_MUST_USE;
int hash_update(struct hash_ctx *ctx, const void *p, size_t n) FERRY_MUST_USE;
/* Writes hash_len(alg) bytes to out. The context may not be updated afterwards. */
int hash_final(struct hash_ctx *ctx, uint8_t *out) FERRY_MUST_USE;
/* Copies the running state (for KEX hashes that fork), *out set only on success. */
int hash_dup(const struct hash_ctx *ctx, struct hash_ctx **out) FERRY_MUST_USE;
void hash_free(struct hash_ctx *ctx);

/* One-shot digest of n bytes into out (hash_len(alg) bytes). */
int hash_oneshot(enum hash_alg alg, const void *p, size_t n, uint8_t *out) FERRY_MUST_USE;
/* One-shot HMAC with the given digest: out gets hash_len(alg) bytes. */
int hmac_oneshot(enum hash_alg alg, const void *key, size_t keylen, const void *p, size_t n,
		 uint8_t *out) FERRY_MUST_USE;

/* n cryptographically strong random bytes. */
int crypto_random(void *out, size_t n) FERRY_MUST_USE;

/* Constant-time comparison: 0 when equal (CRYPTO_memcmp). */
int crypto_memcmp(const void *a, const void *b, size_t n);
/* Wipes n bytes (OPENSSL_cleanse). */
void crypto_wipe(void *p, size_t n);

/* XXH3 digests of a buffer: 64-bit, and 128-bit as 16 big-endian bytes (canonical form). */
uint64_t xxh3_64(const void *p, size_t n);
void xxh3_128(const void *p, size_t n, uint8_t out[16]);

/* Streaming XXH3 (64- or 128-bit) for data too large to hash in one piece; the digest is the
 * same as the one-shot functions give: 8 bytes (big-endian) or 16 (canonical form). */
struct xxh3_ctx;
/* Creates a context for the 128-bit digest if bits128, else the 64-bit one. *out on success. */
int xxh3_new(bool bits128, struct xxh3_ctx **out) FERRY_MUST_USE;
void xxh3_update(struct xxh3_ctx *ctx, const void *p, size_t n);
/* Writes 8 or 16 bytes to out; the context may be updated further afterwards. */
void xxh3_digest(const struct xxh3_ctx *ctx, uint8_t *out);
/* Starts over, as a new context would. */
void xxh3_reset(struct xxh3_ctx *ctx);
void xxh3_free(struct xxh3_ctx *ctx);

#endif
