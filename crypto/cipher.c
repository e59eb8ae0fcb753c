/* SSH packet protection (RFC 4253 §6): the cipher descriptor table, name look-ups, and the
 * pktc_* calls, which check their arguments and hand each packet to its cipher family. */
#include "crypto/cipher.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/cipher-internal.h"
#include "crypto/hash.h"

/* OpenSSH's preference order; every entry is both supported and offered by default. */
static const struct cipher_desc cipher_table[] = {
	{ .alg = { .name = "chacha20-poly1305@openssh.com", .kind = CIPHER_CHACHA_POLY,
		   .key_len = 64, .iv_len = 0, .block_size = 8, .tag_len = 16 },
	  .ops = &pktc_chachapoly_ops, .evp = EVP_chacha20 },
	{ .alg = { .name = "aes128-gcm@openssh.com", .kind = CIPHER_AES_GCM,
		   .key_len = 16, .iv_len = 12, .block_size = 16, .tag_len = 16 },
	  .ops = &pktc_aesgcm_ops, .evp = EVP_aes_128_gcm },
	{ .alg = { .name = "aes256-gcm@openssh.com", .kind = CIPHER_AES_GCM,
		   .key_len = 32, .iv_len = 12, .block_size = 16, .tag_len = 16 },
	  .ops = &pktc_aesgcm_ops, .evp = EVP_aes_256_gcm },
	{ .alg = { .name = "aes128-ctr", .kind = CIPHER_AES_CTR,
		   .key_len = 16, .iv_len = 16, .block_size = 16, .tag_len = 0 },
	  .ops = &pktc_aesctr_ops, .evp = EVP_aes_128_ctr },
	{ .alg = { .name = "aes192-ctr", .kind = CIPHER_AES_CTR,
		   .key_len = 24, .iv_len = 16, .block_size = 16, .tag_len = 0 },
	  .ops = &pktc_aesctr_ops, .evp = EVP_aes_192_ctr },
	{ .alg = { .name = "aes256-ctr", .kind = CIPHER_AES_CTR,
		   .key_len = 32, .iv_len = 16, .block_size = 16, .tag_len = 0 },
	  .ops = &pktc_aesctr_ops, .evp = EVP_aes_256_ctr },
};

#define CIPHER_NAMES "chacha20-poly1305@openssh.com,aes128-gcm@openssh.com," \
	"aes256-gcm@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr"

const struct cipher_alg *cipher_by_name(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(cipher_table) / sizeof(cipher_table[0]); i++)
		if (strcmp(cipher_table[i].alg.name, name) == 0)
			return &cipher_table[i].alg;
	return NULL;
}

const char *cipher_supported_names(void)
{
	return CIPHER_NAMES;
}

const char *cipher_default_names(void)
{
	return CIPHER_NAMES;
}

/* The descriptor behind alg, or NULL if alg did not come from cipher_by_name. */
static const struct cipher_desc *cipher_desc_of(const struct cipher_alg *alg)
{
	for (size_t i = 0; i < sizeof(cipher_table) / sizeof(cipher_table[0]); i++)
		if (&cipher_table[i].alg == alg)
			return &cipher_table[i];
	return NULL;
}

int pktc_new(const struct cipher_alg *cipher, const struct mac_alg *mac, enum pktc_dir dir,
	     const uint8_t *key, const uint8_t *iv, const uint8_t *mac_key,
	     struct pkt_cipher **out)
{
	int rc = FERRY_EINVAL;
	struct pkt_cipher *pc = NULL;
	const struct cipher_desc *cd = cipher_desc_of(cipher);
	bool aead;

	if (cd == NULL || out == NULL || key == NULL || (dir != PKTC_SEAL && dir != PKTC_OPEN))
		goto out;
	if (cipher->iv_len != 0 && iv == NULL)
		goto out;
	aead = cipher->tag_len != 0;
	/* OpenSSH PROTOCOL §1.6/§1.7: an AEAD cipher carries its own tag and ignores the MAC. */
	if (!aead && (mac == NULL || mac_key == NULL))
		goto out;
	if (aead)
		mac = NULL;

	rc = FERRY_ENOMEM;
	pc = calloc(1, sizeof(*pc));
	if (pc == NULL)
		goto out;
	pc->cd = cd;
	pc->dir = dir;
	pc->tag_len = aead ? cipher->tag_len : mac->mac_len;
	pc->length_in_clear = cipher->kind == CIPHER_AES_GCM || (mac != NULL && mac->etm);
	/* RFC 5647 §7.2, OpenSSH PROTOCOL.chacha20poly1305 and the *-etm MACs: packet_length
	 * is not part of the padded, block-aligned region; otherwise it is (RFC 4253 §6). */
	pc->aad_len = (aead || pc->length_in_clear) ? 4 : 0;
	if (mac != NULL) {
		rc = mac_state_init(&pc->mac, mac, mac_key);
		if (rc != 0)
			goto out;
	}
	rc = cd->ops->init(pc, key, iv, mac_key);
	if (rc != 0)
		goto out;
	*out = pc;
	pc = NULL;
out:
	pktc_free(pc);
	return rc;
}

void pktc_free(struct pkt_cipher *pc)
{
	if (pc == NULL)
		return;
	/* The EVP frees cleanse their key schedules; the struct holds the GCM IV. */
	EVP_CIPHER_CTX_free(pc->ctx);
	EVP_CIPHER_CTX_free(pc->len_ctx);
	EVP_MAC_CTX_free(pc->poly);
	mac_state_cleanup(&pc->mac);
	crypto_wipe(pc, sizeof(*pc));
	free(pc);
}

size_t pktc_block_size(const struct pkt_cipher *pc)
{
	return pc->cd->alg.block_size;
}

size_t pktc_tag_len(const struct pkt_cipher *pc)
{
	return pc->tag_len;
}

bool pktc_length_in_clear(const struct pkt_cipher *pc)
{
	return pc->length_in_clear;
}

size_t pktc_aad_len(const struct pkt_cipher *pc)
{
	return pc->aad_len;
}

size_t pktc_length_need(const struct pkt_cipher *pc)
{
	/* Without ETM, CTR must decrypt a whole first block to learn the length (RFC 4253 §6). */
	return pc->aad_len ? 4 : pc->cd->alg.block_size;
}

/* The padding rule (RFC 4253 §6): the encrypted region after any aad_len bytes is a whole,
 * non-zero number of blocks, and fits EVP's int lengths. */
static bool pktc_aligned(const struct pkt_cipher *pc, size_t pkt_len)
{
	size_t bs = pc->cd->alg.block_size;

	if (pkt_len > PKTC_MAX_PKT_LEN || pkt_len < pc->aad_len + bs)
		return false;
	return (pkt_len - pc->aad_len) % bs == 0;
}

int pktc_seal(struct pkt_cipher *pc, uint32_t seq, uint8_t *pkt, size_t pkt_len, uint8_t *tag)
{
	if (pc == NULL || pc->dir != PKTC_SEAL || pkt == NULL || tag == NULL)
		return FERRY_EINVAL;
	if (!pktc_aligned(pc, pkt_len))
		return FERRY_EINVAL;
	/* The caller framed the packet; a packet_length that disagrees is its bug. */
	if (pktc_get_u32(pkt) != pkt_len - 4)
		return FERRY_EINVAL;
	return pc->cd->ops->seal(pc, seq, pkt, pkt_len, tag);
}

int pktc_open_length(struct pkt_cipher *pc, uint32_t seq, uint8_t *pkt, size_t avail,
		     uint32_t *packet_length)
{
	uint32_t len = 0;
	int rc;

	if (pc == NULL || pc->dir != PKTC_OPEN || pkt == NULL || packet_length == NULL)
		return FERRY_EINVAL;
	if (avail < pktc_length_need(pc) || pc->length_pending)
		return FERRY_EINVAL;
	rc = pc->cd->ops->open_length(pc, seq, pkt, &len);
	if (rc != 0)
		return rc;
	pc->length_pending = true;
	*packet_length = len;
	return 0;
}

int pktc_open(struct pkt_cipher *pc, uint32_t seq, uint8_t *pkt, size_t pkt_len,
	      const uint8_t *tag)
{
	int rc;

	if (pc == NULL || pc->dir != PKTC_OPEN || pkt == NULL || tag == NULL)
		return FERRY_EINVAL;
	/* CTR without ETM has already decrypted the first block in pktc_open_length. */
	if (!pc->length_pending)
		return FERRY_EINVAL;
	if (!pktc_aligned(pc, pkt_len))
		return FERRY_EINVAL;
	/* No check of packet_length against pkt_len here: the MAC or tag covers the length, so
	 * a packet framed with any other length than the one it was sealed with fails as
	 * FERRY_EMAC, the answer a tampered packet deserves. */
	pc->length_pending = false;
	rc = pc->cd->ops->open(pc, seq, pkt, pkt_len, tag);
	return rc;
}
