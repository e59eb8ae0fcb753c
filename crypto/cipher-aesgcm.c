/* aes128-gcm@openssh.com and aes256-gcm@openssh.com: AES-GCM packet protection per RFC 5647
 * with OpenSSH's negotiation rules (PROTOCOL §1.6): packet_length is AAD sent in clear, the
 * 12-byte nonce is a 4-byte fixed field and an 8-byte invocation counter, the tag is 16 bytes. */
#include <string.h>

#include <openssl/evp.h>

#include "crypto/cipher-internal.h"
#include "crypto/hash.h"

#define GCM_TAG_LEN 16

/* RFC 5647 §7.1: invocation_counter is a 64-bit big-endian integer incremented (mod 2^64)
 * after each packet; the fixed field never changes. */
static void aesgcm_iv_next(uint8_t iv[12])
{
	for (int i = 11; i >= 4; i--)
		if (++iv[i] != 0)
			break;
}

static int aesgcm_init(struct pkt_cipher *pc, const uint8_t *key, const uint8_t *iv,
		       const uint8_t *mac_key)
{
	int enc = pc->dir == PKTC_SEAL;

	(void)mac_key;
	pc->ctx = EVP_CIPHER_CTX_new();
	if (pc->ctx == NULL)
		return FERRY_ENOMEM;
	/* The key schedule is computed once here; each packet only sets a new IV. */
	if (EVP_CipherInit_ex(pc->ctx, pc->cd->evp(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(pc->ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1 ||
	    EVP_CipherInit_ex(pc->ctx, NULL, NULL, key, NULL, enc) != 1)
		return FERRY_ECRYPTO;
	memcpy(pc->gcm_iv, iv, sizeof(pc->gcm_iv));
	return 0;
}

/* Loads the current IV and feeds the AAD: the start of every GCM message. */
static int aesgcm_start(struct pkt_cipher *pc, const uint8_t *aad, size_t aadlen)
{
	int outl = 0;

	if (EVP_CipherInit_ex(pc->ctx, NULL, NULL, NULL, pc->gcm_iv, -1) != 1)
		return FERRY_ECRYPTO;
	aesgcm_iv_next(pc->gcm_iv);
	if (aadlen != 0 && EVP_CipherUpdate(pc->ctx, NULL, &outl, aad, (int)aadlen) != 1)
		return FERRY_ECRYPTO;
	return 0;
}

int aesgcm_seal_raw(struct pkt_cipher *pc, const uint8_t *aad, size_t aadlen, uint8_t *p,
		    size_t n, uint8_t tag[16])
{
	int outl = 0, rc;

	if (n > PKTC_MAX_PKT_LEN || aadlen > PKTC_MAX_PKT_LEN)
		return FERRY_EINVAL;
	rc = aesgcm_start(pc, aad, aadlen);
	if (rc != 0)
		return rc;
	if (n != 0 && (EVP_CipherUpdate(pc->ctx, p, &outl, p, (int)n) != 1 || (size_t)outl != n))
		return FERRY_ECRYPTO;
	/* GCM is a stream mode: Final emits no bytes, it only completes the tag. */
	if (EVP_CipherFinal_ex(pc->ctx, p + n, &outl) != 1 || outl != 0 ||
	    EVP_CIPHER_CTX_ctrl(pc->ctx, EVP_CTRL_GCM_GET_TAG, GCM_TAG_LEN, tag) != 1)
		return FERRY_ECRYPTO;
	return 0;
}

int aesgcm_open_raw(struct pkt_cipher *pc, const uint8_t *aad, size_t aadlen, uint8_t *p,
		    size_t n, const uint8_t tag[16])
{
	int outl = 0, rc;
	uint8_t want[GCM_TAG_LEN];

	if (n > PKTC_MAX_PKT_LEN || aadlen > PKTC_MAX_PKT_LEN)
		return FERRY_EINVAL;
	memcpy(want, tag, sizeof(want)); /* the ctrl takes a non-const pointer */
	rc = aesgcm_start(pc, aad, aadlen);
	if (rc != 0)
		goto out;
	rc = FERRY_ECRYPTO;
	if (EVP_CIPHER_CTX_ctrl(pc->ctx, EVP_CTRL_GCM_SET_TAG, GCM_TAG_LEN, want) != 1)
		goto out;
	if (n != 0 && (EVP_CipherUpdate(pc->ctx, p, &outl, p, (int)n) != 1 || (size_t)outl != n))
		goto out;
	/* OpenSSL compares the tag in constant time inside Final. GCM decrypts before it can
	 * verify, so on any failure the unauthenticated plaintext is wiped, never handed on. */
	if (EVP_CipherFinal_ex(pc->ctx, p + n, &outl) != 1) {
		rc = FERRY_EMAC;
		goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		crypto_wipe(p, n);
	return rc;
}

static int aesgcm_seal(struct pkt_cipher *pc, uint32_t seq, uint8_t *pkt, size_t pkt_len,
		       uint8_t *tag)
{
	(void)seq; /* the nonce is the invocation counter, not the sequence number */
	/* RFC 5647 §7.3: packet_length is authenticated but not encrypted. */
	return aesgcm_seal_raw(pc, pkt, 4, pkt + 4, pkt_len - 4, tag);
}

static int aesgcm_open_length(struct pkt_cipher *pc, uint32_t seq, uint8_t *pkt,
			      uint32_t *packet_length)
{
	(void)pc;
	(void)seq;
	*packet_length = pktc_get_u32(pkt);
	return 0;
}

static int aesgcm_open(struct pkt_cipher *pc, uint32_t seq, uint8_t *pkt, size_t pkt_len,
		       const uint8_t *tag)
{
	(void)seq;
	return aesgcm_open_raw(pc, pkt, 4, pkt + 4, pkt_len - 4, tag);
}

const struct pktc_ops pktc_aesgcm_ops = {
	.init = aesgcm_init,
	.seal = aesgcm_seal,
	.open_length = aesgcm_open_length,
	.open = aesgcm_open,
};
