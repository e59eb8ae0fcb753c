/* chacha20-poly1305@openssh.com (OpenSSH PROTOCOL.chacha20poly1305): ChaCha20 in its original
 * 64-bit-counter/64-bit-nonce form (RFC 8439 §2.3 otherwise) with a one-time Poly1305 key
 * (RFC 8439 §2.5, §2.6), built from OpenSSL's EVP_chacha20 and EVP_MAC "POLY1305". */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "crypto/cipher-internal.h"
#include "crypto/hash.h"

#define CHACHA_KEY_LEN 32
#define POLY_KEY_LEN 32
#define POLY_TAG_LEN 16

int chacha_ctx_new(const uint8_t key[32], EVP_CIPHER_CTX **out)
{
	int rc = FERRY_ENOMEM;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	if (ctx == NULL)
		goto out;
	rc = FERRY_ECRYPTO;
	/* ChaCha20 encryption and decryption are the same XOR: always run it "encrypting". */
	if (EVP_EncryptInit_ex(ctx, EVP_chacha20(), NULL, key, NULL) != 1)
		goto out;
	*out = ctx;
	ctx = NULL;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

int chacha_xor(EVP_CIPHER_CTX *ctx, uint64_t counter, const uint8_t nonce[8], const uint8_t *in,
	       uint8_t *out, size_t n)
{
	uint8_t iv[16];
	int outl = 0;

	if (n > PKTC_MAX_PKT_LEN)
		return FERRY_EINVAL;
	/* The ChaCha state's last four words are input words 12..15, each read little-endian.
	 * OpenSSL's 16-byte IV fills exactly those words: RFC 8439 reads them as a 32-bit
	 * counter and a 96-bit nonce, the original ChaCha (and OpenSSH) as a 64-bit counter in
	 * words 12-13 and a 64-bit nonce in words 14-15. So the IV is the counter as 8
	 * little-endian bytes followed by the 8 nonce bytes as they are. OpenSSL carries a
	 * word-12 overflow into word 13, which makes the counter a true 64-bit one (our packets
	 * never come near 2^32 blocks anyway). test_cipher proves the mapping on published
	 * vectors of both forms. */
	for (int i = 0; i < 8; i++)
		iv[i] = (uint8_t)(counter >> (8 * i));
	memcpy(iv + 8, nonce, 8);
	if (EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, iv) != 1)
		return FERRY_ECRYPTO;
	if (n != 0 && (EVP_EncryptUpdate(ctx, out, &outl, in, (int)n) != 1 || (size_t)outl != n))
		return FERRY_ECRYPTO;
	return 0;
}

int poly1305_ctx_new(EVP_MAC_CTX **out)
{
	int rc = FERRY_ECRYPTO;
	EVP_MAC *mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_POLY1305, NULL);
	EVP_MAC_CTX *ctx = NULL;

	if (mac == NULL)
		goto out;
	ctx = EVP_MAC_CTX_new(mac);
	if (ctx == NULL) {
		rc = FERRY_ENOMEM;
		goto out;
	}
	*out = ctx;
	rc = 0;
out:
	EVP_MAC_free(mac); /* the context keeps its own reference */
	return rc;
}

int poly1305_tag(EVP_MAC_CTX *ctx, const uint8_t key[32], const uint8_t *p, size_t n,
		 uint8_t tag[16])
{
	size_t outl = 0;

	/* Re-keying resets the accumulator: no allocation per packet. */
	if (EVP_MAC_init(ctx, key, POLY_KEY_LEN, NULL) != 1 ||
	    (n != 0 && EVP_MAC_update(ctx, p, n) != 1) ||
	    EVP_MAC_final(ctx, tag, &outl, POLY_TAG_LEN) != 1 || outl != POLY_TAG_LEN)
		return FERRY_ECRYPTO;
	return 0;
}

static int chachapoly_init(struct pkt_cipher *pc, const uint8_t *key, const uint8_t *iv,
			   const uint8_t *mac_key)
{
	int rc;

	(void)iv;
	(void)mac_key;
	/* PROTOCOL.chacha20poly1305: the first 256 bits are K_2 (payload and Poly1305 key),
	 * the second 256 bits K_1 (packet length only). */
	rc = chacha_ctx_new(key, &pc->ctx);
	if (rc == 0)
		rc = chacha_ctx_new(key + CHACHA_KEY_LEN, &pc->len_ctx);
	if (rc == 0)
		rc = poly1305_ctx_new(&pc->poly);
	return rc;
}

/* The nonce of both instances: the sequence number as an SSH uint64 (big-endian). */
static void chachapoly_nonce(uint32_t seq, uint8_t nonce[8])
{
	memset(nonce, 0, 4);
	pktc_put_u32(nonce + 4, seq);
}

/* The per-packet Poly1305 key: the first 32 bytes of K_2's block 0. */
static int chachapoly_poly_key(struct pkt_cipher *pc, const uint8_t nonce[8],
			       uint8_t key[POLY_KEY_LEN])
{
	static const uint8_t zeros[POLY_KEY_LEN];

	return chacha_xor(pc->ctx, 0, nonce, zeros, key, POLY_KEY_LEN);
}

static int chachapoly_seal(struct pkt_cipher *pc, uint32_t seq, uint8_t *pkt, size_t pkt_len,
			   uint8_t *tag)
{
	uint8_t nonce[8], key[POLY_KEY_LEN];
	int rc;

	chachapoly_nonce(seq, nonce);
	rc = chachapoly_poly_key(pc, nonce, key);
	if (rc != 0)
		goto out;
	/* The length under K_1 from block 0; the rest under K_2 from block 1. */
	rc = chacha_xor(pc->len_ctx, 0, nonce, pkt, pkt, 4);
	if (rc != 0)
		goto out;
	rc = chacha_xor(pc->ctx, 1, nonce, pkt + 4, pkt + 4, pkt_len - 4);
	if (rc != 0)
		goto out;
	/* The tag covers the encrypted length and the encrypted payload together. */
	rc = poly1305_tag(pc->poly, key, pkt, pkt_len, tag);
out:
	crypto_wipe(key, sizeof(key));
	return rc;
}

static int chachapoly_open_length(struct pkt_cipher *pc, uint32_t seq, uint8_t *pkt,
				  uint32_t *packet_length)
{
	uint8_t nonce[8], len[4];
	int rc;

	chachapoly_nonce(seq, nonce);
	/* Into a temporary: the ciphertext in pkt is what the tag covers. */
	rc = chacha_xor(pc->len_ctx, 0, nonce, pkt, len, sizeof(len));
	if (rc == 0)
		*packet_length = pktc_get_u32(len);
	return rc;
}

static int chachapoly_open(struct pkt_cipher *pc, uint32_t seq, uint8_t *pkt, size_t pkt_len,
			   const uint8_t *tag)
{
	uint8_t nonce[8], key[POLY_KEY_LEN], want[POLY_TAG_LEN];
	int rc;

	chachapoly_nonce(seq, nonce);
	rc = chachapoly_poly_key(pc, nonce, key);
	if (rc != 0)
		goto out;
	rc = poly1305_tag(pc->poly, key, pkt, pkt_len, want);
	if (rc != 0)
		goto out;
	/* PROTOCOL.chacha20poly1305: the MAC MUST be checked before anything is decrypted. */
	if (crypto_memcmp(want, tag, POLY_TAG_LEN) != 0) {
		rc = FERRY_EMAC;
		goto out;
	}
	rc = chacha_xor(pc->ctx, 1, nonce, pkt + 4, pkt + 4, pkt_len - 4);
	if (rc != 0)
		goto out;
	rc = chacha_xor(pc->len_ctx, 0, nonce, pkt, pkt, 4);
out:
	crypto_wipe(key, sizeof(key));
	return rc;
}

const struct pktc_ops pktc_chachapoly_ops = {
	.init = chachapoly_init,
	.seal = chachapoly_seal,
	.open_length = chachapoly_open_length,
	.open = chachapoly_open,
};
