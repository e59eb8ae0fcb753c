/* Internal to crypto/: the state behind struct pkt_cipher (crypto/cipher.h) and the
 * per-family entry points (AES-GCM RFC 5647, chacha20-poly1305@openssh.com, AES-CTR RFC 4344,
 * HMAC RFC 4253 §6.4 / RFC 6668). Unit tests include it to run the primitives against
 * published known-answer vectors; nothing outside crypto/ and tests/ may. */
#ifndef FERRY_CRYPTO_CIPHER_INTERNAL_H
#define FERRY_CRYPTO_CIPHER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "common/error.h"
#include "crypto/cipher.h"

/* Largest pkt_len the sealer accepts: EVP's update functions count bytes in an int. */
#define PKTC_MAX_PKT_LEN ((size_t)1 << 30)

/* The per-family operations behind the pktc_* calls. cipher.c has already checked the
 * arguments (direction, alignment, lengths) before it calls one of these. */
struct pktc_ops {
	int (*init)(struct pkt_cipher *pc, const uint8_t *key, const uint8_t *iv,
		    const uint8_t *mac_key);
	int (*seal)(struct pkt_cipher *pc, uint32_t seq, uint8_t *pkt, size_t pkt_len,
		    uint8_t *tag);
	int (*open_length)(struct pkt_cipher *pc, uint32_t seq, uint8_t *pkt,
			   uint32_t *packet_length);
	int (*open)(struct pkt_cipher *pc, uint32_t seq, uint8_t *pkt, size_t pkt_len,
		    const uint8_t *tag);
};

/* A cipher's descriptor: the public part handed out by cipher_by_name, and how to run it. */
struct cipher_desc {
	struct cipher_alg alg;
	const struct pktc_ops *ops;
	const EVP_CIPHER *(*evp)(void);   /* the OpenSSL cipher; EVP_chacha20 for chacha */
};

/* A keyed HMAC for one direction (crypto/mac.c). */
struct mac_state {
	const struct mac_alg *alg;
	EVP_MAC_CTX *ctx;       /* keyed once in mac_state_init, re-initialised per packet */
};

struct pkt_cipher {
	const struct cipher_desc *cd;
	enum pktc_dir dir;
	size_t tag_len;         /* AEAD tag or MAC bytes after each packet */
	size_t aad_len;         /* 4 when packet_length is outside the padding alignment */
	bool length_in_clear;   /* GCM, or a *-etm MAC */
	bool length_pending;    /* pktc_open_length ran and pktc_open has not yet */
	EVP_CIPHER_CTX *ctx;    /* GCM and CTR: the cipher; chacha: K_2 (payload, Poly1305 key) */
	EVP_CIPHER_CTX *len_ctx;/* chacha: K_1 (packet_length only) */
	EVP_MAC_CTX *poly;      /* chacha: Poly1305, keyed afresh per packet */
	uint8_t gcm_iv[12];     /* GCM: 4-byte fixed field | 8-byte invocation counter */
	struct mac_state mac;   /* CTR: the negotiated MAC */
};

extern const struct pktc_ops pktc_aesgcm_ops;
extern const struct pktc_ops pktc_chachapoly_ops;
extern const struct pktc_ops pktc_aesctr_ops;

/* Reads and writes big-endian uint32 (the wire order, RFC 4251 §5). */
static inline uint32_t pktc_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void pktc_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* crypto/mac.c: the descriptor behind a mac_alg, and per-packet MACs (RFC 4253 §6.4). */
int mac_state_init(struct mac_state *m, const struct mac_alg *alg, const uint8_t *key)
	FERRY_MUST_USE;
void mac_state_cleanup(struct mac_state *m);
/* MAC = HMAC(key, uint32 seq || data[0..len)); writes alg->mac_len bytes to out. */
int mac_state_compute(struct mac_state *m, uint32_t seq, const uint8_t *data, size_t len,
		      uint8_t *out) FERRY_MUST_USE;
/* 0 if mac (alg->mac_len bytes) is right (constant-time compare), else FERRY_EMAC. */
int mac_state_verify(struct mac_state *m, uint32_t seq, const uint8_t *data, size_t len,
		     const uint8_t *mac) FERRY_MUST_USE;

/* crypto/cipher-aesgcm.c: one GCM message with the current IV (RFC 5647 §7.1), which is then
 * advanced. In place; seal writes 16 bytes to tag, open returns FERRY_EMAC on a bad tag and
 * then wipes p. */
int aesgcm_seal_raw(struct pkt_cipher *pc, const uint8_t *aad, size_t aadlen, uint8_t *p,
		    size_t n, uint8_t tag[16]) FERRY_MUST_USE;
int aesgcm_open_raw(struct pkt_cipher *pc, const uint8_t *aad, size_t aadlen, uint8_t *p,
		    size_t n, const uint8_t tag[16]) FERRY_MUST_USE;

/* crypto/cipher-chachapoly.c: ChaCha20 in its original form (64-bit block counter, 64-bit
 * nonce), which the OpenSSH construction uses, run on OpenSSL's EVP_chacha20. */
int chacha_ctx_new(const uint8_t key[32], EVP_CIPHER_CTX **out) FERRY_MUST_USE;
/* XORs n bytes of keystream, starting at block `counter` under `nonce`, from in into out
 * (may be the same buffer). */
int chacha_xor(EVP_CIPHER_CTX *ctx, uint64_t counter, const uint8_t nonce[8], const uint8_t *in,
	       uint8_t *out, size_t n) FERRY_MUST_USE;
int poly1305_ctx_new(EVP_MAC_CTX **out) FERRY_MUST_USE;
/* One-time Poly1305 (RFC 8439 §2.5) of p under key into tag. */
int poly1305_tag(EVP_MAC_CTX *ctx, const uint8_t key[32], const uint8_t *p, size_t n,
		 uint8_t tag[16]) FERRY_MUST_USE;

/* crypto/cipher-aesctr.c: XORs the next n bytes of the running CTR keystream into p. */
int aesctr_xor(struct pkt_cipher *pc, uint8_t *p, size_t n) FERRY_MUST_USE;

#endif
