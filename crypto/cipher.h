/* SSH packet protection (RFC 4253 §6, RFC 4344, RFC 6668, OpenSSH PROTOCOL §1.6/§1.7 and
 * PROTOCOL.chacha20poly1305): cipher and MAC descriptors and the per-direction packet sealer.
 *
 * A packet on the wire is  uint32 packet_length | byte padding_length | payload | padding |
 * MAC-or-tag. pkt points at the packet_length field; pkt_len = 4 + packet_length.
 * Alignment (the padding rule): the bytes after the first pktc_aad_len() bytes are a multiple
 * of pktc_block_size(). That is: with AES-GCM, chacha20-poly1305 and any *-etm MAC the 4-byte
 * packet_length is left out (OpenSSH counts it out for every AEAD cipher, although chacha20-
 * poly1305 encrypts it); with AES-CTR and a plain MAC the whole packet counts. */
#ifndef FERRY_CRYPTO_CIPHER_H
#define FERRY_CRYPTO_CIPHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

enum cipher_kind { CIPHER_AES_CTR, CIPHER_AES_GCM, CIPHER_CHACHA_POLY };

struct cipher_alg {
	const char *name;       /* e.g. "aes128-gcm@openssh.com" */
	enum cipher_kind kind;
	uint32_t key_len;       /* bytes of encryption key to derive (64 for chacha20-poly1305) */
	uint32_t iv_len;        /* bytes of IV to derive (0 for chacha20-poly1305) */
	uint32_t block_size;    /* padding alignment: 16 for AES, 8 for chacha20-poly1305 */
	uint32_t tag_len;       /* AEAD tag bytes (16), or 0 when a MAC is negotiated */
};

struct mac_alg {
	const char *name;       /* e.g. "hmac-sha2-256-etm@openssh.com" */
	uint32_t key_len;
	uint32_t mac_len;
	bool etm;               /* encrypt-then-MAC: length in clear, MAC over ciphertext */
};

/* Look-ups by wire name; NULL if ferry does not implement it. */
const struct cipher_alg *cipher_by_name(const char *name);
const struct mac_alg *mac_by_name(const char *name);
/* Comma-separated lists: every supported name, and the default preference order. */
const char *cipher_supported_names(void);
const char *cipher_default_names(void);
const char *mac_supported_names(void);
const char *mac_default_names(void);

/* One direction's packet protection state. Not thread-safe; one per direction. */
struct pkt_cipher;

enum pktc_dir { PKTC_SEAL, PKTC_OPEN };

/* Creates a sealer (PKTC_SEAL) or opener (PKTC_OPEN). mac is NULL for AEAD ciphers (and
 * ignored by them); key/iv/mac_key are cipher->key_len, cipher->iv_len, mac->key_len bytes.
 * *out is set only on success; the keys are copied. */
int pktc_new(const struct cipher_alg *cipher, const struct mac_alg *mac, enum pktc_dir dir,
	     const uint8_t *key, const uint8_t *iv, const uint8_t *mac_key,
	     struct pkt_cipher **out) FERRY_MUST_USE;
/* Wipes and frees. Accepts NULL. */
void pktc_free(struct pkt_cipher *pc);

/* Padding alignment in bytes. */
size_t pktc_block_size(const struct pkt_cipher *pc);
/* Bytes of MAC or tag that follow each packet. */
size_t pktc_tag_len(const struct pkt_cipher *pc);
/* True if packet_length is sent unencrypted (AES-GCM, and any *-etm MAC). Not the padding
 * rule: chacha20-poly1305 encrypts the length yet leaves it out of the alignment. */
bool pktc_length_in_clear(const struct pkt_cipher *pc);
/* Bytes at the start of each packet outside the padding alignment: 4 (packet_length) for
 * AES-GCM, chacha20-poly1305 and *-etm MACs, 0 for AES-CTR with a plain MAC. */
size_t pktc_aad_len(const struct pkt_cipher *pc);
/* Bytes of a packet needed before pktc_open_length can run: 4 when the length is in clear or
 * chacha20-poly1305, else the cipher block size. */
size_t pktc_length_need(const struct pkt_cipher *pc);

/* Encrypts the packet in place (pkt_len bytes from the packet_length field, already padded as
 * above) and writes pktc_tag_len() bytes of MAC or tag to tag. seq is the packet's sequence
 * number (RFC 4253 §6.4). */
int pktc_seal(struct pkt_cipher *pc, uint32_t seq, uint8_t *pkt, size_t pkt_len,
	      uint8_t *tag) FERRY_MUST_USE;

/* Reads the packet_length of the next packet from its first avail bytes (avail >=
 * pktc_length_need()). May decrypt those bytes in place (CTR without ETM); call it exactly
 * once per packet, before pktc_open. The length is not checked here. */
int pktc_open_length(struct pkt_cipher *pc, uint32_t seq, uint8_t *pkt, size_t avail,
		     uint32_t *packet_length) FERRY_MUST_USE;

/* Verifies the MAC or tag (constant time) and decrypts the rest of the packet in place.
 * pkt_len = 4 + packet_length, tag points at the pktc_tag_len() bytes after the packet.
 * Returns FERRY_EMAC on a bad MAC or tag, FERRY_EINVAL if the length breaks alignment.
 * On success the whole packet, packet_length included, is plaintext. After FERRY_EMAC no
 * plaintext is left in pkt and the pkt_cipher must not be used again (drop the connection). */
int pktc_open(struct pkt_cipher *pc, uint32_t seq, uint8_t *pkt, size_t pkt_len,
	      const uint8_t *tag) FERRY_MUST_USE;

#endif
