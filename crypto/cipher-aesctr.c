/* aes128-ctr, aes192-ctr, aes256-ctr (RFC 4344 §4) with a separate MAC (RFC 4253 §6.4, or
 * OpenSSH's *-etm@openssh.com encrypt-then-MAC form): one keystream runs on across packets. */
#include <string.h>

#include <openssl/evp.h>

#include "crypto/cipher-internal.h"
#include "crypto/hash.h"

static int aesctr_init(struct pkt_cipher *pc, const uint8_t *key, const uint8_t *iv,
		       const uint8_t *mac_key)
{
	(void)mac_key; /* cipher.c keys the MAC */
	pc->ctx = EVP_CIPHER_CTX_new();
	if (pc->ctx == NULL)
		return FERRY_ENOMEM;
	/* RFC 4344 §4: the IV is the initial 128-bit big-endian counter X, incremented per
	 * block mod 2^128 for the life of the key, never reset between packets. CTR encrypts
	 * and decrypts alike, so both directions run the context "encrypting". */
	if (EVP_EncryptInit_ex(pc->ctx, pc->cd->evp(), NULL, key, iv) != 1)
		return FERRY_ECRYPTO;
	return 0;
}

int aesctr_xor(struct pkt_cipher *pc, uint8_t *p, size_t n)
{
	int outl = 0;

	if (n > PKTC_MAX_PKT_LEN)
		return FERRY_EINVAL;
	if (n != 0 && (EVP_EncryptUpdate(pc->ctx, p, &outl, p, (int)n) != 1 || (size_t)outl != n))
		return FERRY_ECRYPTO;
	return 0;
}

static bool aesctr_etm(const struct pkt_cipher *pc)
{
	return pc->mac.alg->etm;
}

static int aesctr_seal(struct pkt_cipher *pc, uint32_t seq, uint8_t *pkt, size_t pkt_len,
		       uint8_t *tag)
{
	int rc;

	if (aesctr_etm(pc)) {
		/* Encrypt-then-MAC: packet_length stays clear, the MAC covers seq, the clear
		 * length and the ciphertext. */
		rc = aesctr_xor(pc, pkt + 4, pkt_len - 4);
		if (rc == 0)
			rc = mac_state_compute(&pc->mac, seq, pkt, pkt_len, tag);
		return rc;
	}
	/* RFC 4253 §6.4: mac = MAC(key, sequence_number || unencrypted_packet). */
	rc = mac_state_compute(&pc->mac, seq, pkt, pkt_len, tag);
	if (rc == 0)
		rc = aesctr_xor(pc, pkt, pkt_len);
	return rc;
}

static int aesctr_open_length(struct pkt_cipher *pc, uint32_t seq, uint8_t *pkt,
			      uint32_t *packet_length)
{
	int rc;

	(void)seq;
	if (!aesctr_etm(pc)) {
		/* RFC 4253 §6: the length is inside the first encrypted block; decrypting it
		 * here advances the keystream by one block, which pktc_open then continues. */
		rc = aesctr_xor(pc, pkt, pc->cd->alg.block_size);
		if (rc != 0)
			return rc;
	}
	*packet_length = pktc_get_u32(pkt);
	return 0;
}

static int aesctr_open(struct pkt_cipher *pc, uint32_t seq, uint8_t *pkt, size_t pkt_len,
		       const uint8_t *tag)
{
	size_t first = pc->cd->alg.block_size;
	int rc;

	if (aesctr_etm(pc)) {
		/* Verify before decrypting: a forged packet never reaches the cipher. */
		rc = mac_state_verify(&pc->mac, seq, pkt, pkt_len, tag);
		if (rc == 0)
			rc = aesctr_xor(pc, pkt + 4, pkt_len - 4);
		return rc;
	}
	/* Encrypt-and-MAC: the MAC is over the plaintext, so decrypt the rest first. */
	rc = aesctr_xor(pc, pkt + first, pkt_len - first);
	if (rc == 0)
		rc = mac_state_verify(&pc->mac, seq, pkt, pkt_len, tag);
	if (rc != 0)
		crypto_wipe(pkt, pkt_len); /* no unauthenticated plaintext is left behind */
	return rc;
}

const struct pktc_ops pktc_aesctr_ops = {
	.init = aesctr_init,
	.seal = aesctr_seal,
	.open_length = aesctr_open_length,
	.open = aesctr_open,
};
