/* Shared between crypto/key.c and crypto/key-file.c only: the key object and its constructors
 * from wire-format parts (RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709 §4). */
#ifndef FERRY_CRYPTO_KEY_INTERNAL_H
#define FERRY_CRYPTO_KEY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/bn.h>
#include <openssl/evp.h>

#include "common/buf.h"

#include "crypto/key.h"

#define KEY_ED25519_LEN 32
/* OpenSSH's bounds on RSA moduli: smaller ones are breakable, larger ones a denial of
 * service for whoever verifies. */
#define KEY_RSA_MIN_BITS 1024
#define KEY_RSA_MAX_BITS 16384

struct ferry_key {
	enum key_type type;
	EVP_PKEY *pkey;
	bool has_private;
	uint8_t *blob;          /* the canonical public key blob */
	size_t bloblen;
};

/* Wraps an OpenSSL key; on success takes ownership of pkey. Works out the type (FERRY_ENOTSUP
 * for a type or curve ferry does not do), refuses RSA moduli outside the bounds above
 * (FERRY_EKEYFORMAT) and builds the blob. */
int key_from_pkey(EVP_PKEY *pkey, bool has_private, struct ferry_key **out) FERRY_MUST_USE;

/* From wire fields. seed (32 bytes) and d are the private parts, NULL/0 for a public key;
 * a private part that does not match the public one is FERRY_EKEYFORMAT. */
int key_new_ed25519(const uint8_t *pub, size_t publen, const uint8_t *seed,
		    struct ferry_key **out) FERRY_MUST_USE;
int key_new_ecdsa(enum key_type type, const uint8_t *q, size_t qlen, const uint8_t *d,
		  size_t dlen, struct ferry_key **out) FERRY_MUST_USE;

/* Unsigned big-endian magnitudes; the private ones all NULL for a public key. */
struct key_rsa_parts {
	const uint8_t *n, *e, *d, *iqmp, *p, *q;
	size_t nlen, elen, dlen, iqmplen, plen, qlen;
};
int key_new_rsa(const struct key_rsa_parts *parts, struct ferry_key **out) FERRY_MUST_USE;

/* Appends bn as an mpint (RFC 4251 §5), wiping the temporary copy. */
int key_put_bn(struct buf *b, const BIGNUM *bn) FERRY_MUST_USE;

/* The curve identifier of an ECDSA key type ("nistp256", ...), NULL for other types. */
const char *key_ecdsa_curve_name(enum key_type type);

#endif
