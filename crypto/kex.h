/* Key exchange primitives (RFC 4253 §8, RFC 4419, RFC 5656, RFC 8268, RFC 8731): the
 * algorithm descriptors and the ephemeral key agreement. The message flow, exchange hash and
 * key derivation live in proto/ (proto/kex.c); this module only does the arithmetic. */
#ifndef FERRY_CRYPTO_KEX_H
#define FERRY_CRYPTO_KEX_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "crypto/hash.h"

enum kex_kind {
	KEX_ECDH,       /* curve25519 and NIST curves: Q_C/Q_S are strings (RFC 5656 §4) */
	KEX_DH,         /* fixed MODP group: e/f are mpints (RFC 4253 §8, RFC 8268) */
	KEX_DH_GEX,     /* group exchange: the server picks p and g (RFC 4419) */
};

struct kex_alg {
	const char *name;       /* e.g. "curve25519-sha256" */
	enum kex_kind kind;
	enum hash_alg hash;     /* the exchange hash and key derivation digest */
	int group;              /* internal: which curve or fixed group */
};

const struct kex_alg *kex_by_name(const char *name);
/* Comma-separated lists: every supported KEX name, and the default preference order. */
const char *kex_supported_names(void);
const char *kex_default_names(void);

/* One side's ephemeral key for one exchange. */
struct kex_eph;

/* A fresh ephemeral key for a KEX_ECDH or KEX_DH algorithm. *out set only on success. */
int kex_eph_new(const struct kex_alg *alg, struct kex_eph **out) FERRY_MUST_USE;
/* A fresh ephemeral key in the group (p, g) a server sent for KEX_DH_GEX; p and g are unsigned
 * big-endian magnitudes. Refuses groups whose p is not within [min_bits, max_bits], g <= 1 or
 * g >= p-1 (FERRY_EPROTO). */
int kex_eph_new_gex(const uint8_t *p, size_t plen, const uint8_t *g, size_t glen,
		    uint32_t min_bits, uint32_t max_bits, struct kex_eph **out) FERRY_MUST_USE;
/* Our public value, borrowed (valid until kex_eph_free): for ECDH the encoded point (32 raw
 * bytes for curve25519, uncompressed SEC1 point for NIST), for DH the unsigned big-endian e. */
int kex_eph_public(const struct kex_eph *eph, const uint8_t **p, size_t *n) FERRY_MUST_USE;
/* Agrees on the shared secret with the peer's public value (same encoding as above; for DH
 * any leading zero bytes are accepted). Validates it: for DH 1 < f < p-1; for NIST curves the
 * point is on the curve; for curve25519 the result is not all zeros. On success appends the
 * shared secret K to K_raw as an unsigned big-endian magnitude (the caller encodes it as an
 * mpint, RFC 8731 §3 for curve25519). FERRY_EPROTO for a bad peer value. */
int kex_eph_derive(struct kex_eph *eph, const uint8_t *peer, size_t peer_len,
		   struct buf *K_raw) FERRY_MUST_USE;
/* Wipes and frees. Accepts NULL. */
void kex_eph_free(struct kex_eph *eph);

/* For a server's KEX_DH_GEX: a well-known group (RFC 3526) of about want bits within
 * [min_bits, max_bits]; p and g are static, unsigned big-endian (borrowed forever). */
int kex_gex_pick_group(uint32_t min_bits, uint32_t want_bits, uint32_t max_bits,
		       const uint8_t **p, size_t *plen, const uint8_t **g, size_t *glen) FERRY_MUST_USE;

#endif
