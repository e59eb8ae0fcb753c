/* SSH MACs (RFC 4253 §6.4, RFC 6668; OpenSSH PROTOCOL §1.5 for the *-etm@openssh.com forms):
 * the descriptor table and the per-packet HMAC(key, uint32 seq || packet) through EVP_MAC. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "crypto/cipher-internal.h"
#include "crypto/hash.h"

struct mac_desc {
	struct mac_alg alg;     /* handed out by mac_by_name */
	const char *digest;     /* OpenSSL digest name for HMAC */
};

/* OpenSSH's preference order; every entry is both supported and offered by default. */
static const struct mac_desc mac_table[] = {
	{ { "hmac-sha2-256-etm@openssh.com", 32, 32, true }, "SHA256" },
	{ { "hmac-sha2-512-etm@openssh.com", 64, 64, true }, "SHA512" },
	{ { "hmac-sha1-etm@openssh.com", 20, 20, true }, "SHA1" },
	{ { "hmac-sha2-256", 32, 32, false }, "SHA256" },   /* RFC 6668 §2 */
	{ { "hmac-sha2-512", 64, 64, false }, "SHA512" },   /* RFC 6668 §2 */
	{ { "hmac-sha1", 20, 20, false }, "SHA1" },         /* RFC 4253 §6.4 */
};

#define MAC_NAMES "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com," \
	"hmac-sha1-etm@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1"

#define MAC_MAX_LEN 64

const struct mac_alg *mac_by_name(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(mac_table) / sizeof(mac_table[0]); i++)
		if (strcmp(mac_table[i].alg.name, name) == 0)
			return &mac_table[i].alg;
	return NULL;
}

const char *mac_supported_names(void)
{
	return MAC_NAMES;
}

const char *mac_default_names(void)
{
	return MAC_NAMES;
}

static const struct mac_desc *mac_desc_of(const struct mac_alg *alg)
{
	for (size_t i = 0; i < sizeof(mac_table) / sizeof(mac_table[0]); i++)
		if (&mac_table[i].alg == alg)
			return &mac_table[i];
	return NULL;
}

int mac_state_init(struct mac_state *m, const struct mac_alg *alg, const uint8_t *key)
{
	int rc = FERRY_EINVAL;
	const struct mac_desc *md = mac_desc_of(alg);
	EVP_MAC *hmac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];

	if (md == NULL || key == NULL)
		goto out;
	rc = FERRY_ECRYPTO;
	hmac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
	if (hmac == NULL)
		goto out;
	ctx = EVP_MAC_CTX_new(hmac);
	if (ctx == NULL) {
		rc = FERRY_ENOMEM;
		goto out;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)md->digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	/* Keyed once: HMAC keeps the inner and outer pads, so each packet is a cheap re-init. */
	if (EVP_MAC_init(ctx, key, alg->key_len, params) != 1)
		goto out;
	m->alg = alg;
	m->ctx = ctx;
	ctx = NULL;
	rc = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(hmac); /* the context keeps its own reference */
	return rc;
}

void mac_state_cleanup(struct mac_state *m)
{
	/* EVP_MAC_CTX_free cleanses the keyed HMAC state. */
	EVP_MAC_CTX_free(m->ctx);
	m->ctx = NULL;
	m->alg = NULL;
}

int mac_state_compute(struct mac_state *m, uint32_t seq, const uint8_t *data, size_t len,
		      uint8_t *out)
{
	uint8_t seqbuf[4];
	size_t outl = 0;

	/* RFC 4253 §6.4: mac = MAC(key, sequence_number || unencrypted_packet), the sequence
	 * number as uint32; for *-etm the packet is the clear length and the ciphertext. */
	pktc_put_u32(seqbuf, seq);
	if (EVP_MAC_init(m->ctx, NULL, 0, NULL) != 1 ||
	    EVP_MAC_update(m->ctx, seqbuf, sizeof(seqbuf)) != 1 ||
	    (len != 0 && EVP_MAC_update(m->ctx, data, len) != 1) ||
	    EVP_MAC_final(m->ctx, out, &outl, m->alg->mac_len) != 1 || outl != m->alg->mac_len)
		return FERRY_ECRYPTO;
	return 0;
}

int mac_state_verify(struct mac_state *m, uint32_t seq, const uint8_t *data, size_t len,
		     const uint8_t *mac)
{
	uint8_t want[MAC_MAX_LEN];
	int rc;

	rc = mac_state_compute(m, seq, data, len, want);
	if (rc == 0 && crypto_memcmp(want, mac, m->alg->mac_len) != 0)
		rc = FERRY_EMAC;
	crypto_wipe(want, sizeof(want));
	return rc;
}
