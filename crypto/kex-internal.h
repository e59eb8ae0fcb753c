/* Shared between crypto/kex.c, kex-ecdh.c and kex-dh.c only: the ephemeral key state and the
 * per-family constructors the dispatcher in kex.c calls (RFC 5656, RFC 8731, RFC 4253 §8). */
#ifndef FERRY_CRYPTO_KEX_INTERNAL_H
#define FERRY_CRYPTO_KEX_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/bn.h>
#include <openssl/evp.h>

#include "common/buf.h"
#include "crypto/kex.h"

/* Values of struct kex_alg.group. */
enum kex_group {
	KEX_GROUP_NONE = 0,     /* group exchange: the group arrives from the server */
	KEX_GROUP_X25519,
	KEX_GROUP_P256,
	KEX_GROUP_P384,
	KEX_GROUP_P521,
	KEX_GROUP_MODP2048,     /* RFC 3526 group 14 */
	KEX_GROUP_MODP4096,     /* RFC 3526 group 16 */
	KEX_GROUP_MODP8192,     /* RFC 3526 group 18 */
};

struct kex_eph {
	enum kex_kind kind;     /* KEX_ECDH or KEX_DH (group exchange keys are KEX_DH too) */
	int group;
	EVP_PKEY *pkey;         /* ECDH: our key pair */
	BIGNUM *p, *g, *x;      /* DH: the group and our secret exponent */
	uint8_t *pub;           /* our public value in wire form (see kex_eph_public) */
	size_t publen;
};

/* kex-ecdh.c */
int kex_ecdh_new(int group, struct kex_eph **out) FERRY_MUST_USE;
int kex_ecdh_derive(struct kex_eph *eph, const uint8_t *peer, size_t peer_len, struct buf *K_raw)
	FERRY_MUST_USE;

/* kex-dh.c */
int kex_dh_new_fixed(int group, struct kex_eph **out) FERRY_MUST_USE;
int kex_dh_new_group(const uint8_t *p, size_t plen, const uint8_t *g, size_t glen,
		     uint32_t min_bits, uint32_t max_bits, struct kex_eph **out) FERRY_MUST_USE;
int kex_dh_derive(struct kex_eph *eph, const uint8_t *peer, size_t peer_len, struct buf *K_raw)
	FERRY_MUST_USE;
int kex_dh_pick_group(uint32_t min_bits, uint32_t want_bits, uint32_t max_bits,
		      const uint8_t **p, size_t *plen, const uint8_t **g, size_t *glen) FERRY_MUST_USE;

#endif
