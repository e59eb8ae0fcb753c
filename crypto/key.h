/* Host and user keys (RFC 4253 §6.6, RFC 5656 §3, RFC 8332, RFC 8709; OpenSSH PROTOCOL.key):
 * public key blobs, signatures, key files and fingerprints. */
#ifndef FERRY_CRYPTO_KEY_H
#define FERRY_CRYPTO_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

enum key_type { KEY_ED25519, KEY_ECDSA_P256, KEY_ECDSA_P384, KEY_ECDSA_P521, KEY_RSA };

struct ferry_key;

/* Parses a public key blob (string type, then the type's fields). *out set only on success.
 * FERRY_EKEYFORMAT if malformed, FERRY_ENOTSUP for an unknown type. */
int key_from_blob(const uint8_t *blob, size_t len, struct ferry_key **out) FERRY_MUST_USE;
/* Appends the public key blob (not wrapped in a string). */
int key_to_blob(const struct ferry_key *key, struct buf *out) FERRY_MUST_USE;

enum key_type key_get_type(const struct ferry_key *key);
/* The key's type name: "ssh-ed25519", "ecdsa-sha2-nistp256", ..., "ssh-rsa". */
const char *key_type_name(const struct ferry_key *key);
/* Parses a key type name (as in a public key line); FERRY_ENOTSUP if unknown. */
int key_type_from_name(const char *name, enum key_type *out) FERRY_MUST_USE;
/* Bits of the key (RSA modulus, curve size). */
unsigned key_bits(const struct ferry_key *key);
bool key_has_private(const struct ferry_key *key);
/* True if a and b have the same public part. */
bool key_equal_public(const struct ferry_key *a, const struct ferry_key *b);

/* True if sigalg is a signature algorithm this key can make or check: its own type name, and
 * for RSA "rsa-sha2-256", "rsa-sha2-512" and "ssh-rsa" (SHA-1). */
bool key_sigalg_ok(const struct ferry_key *key, const char *sigalg);
/* Host key algorithms: every supported name, and the default preference order (no ssh-rsa). */
const char *key_sigalg_supported_names(void);
const char *key_sigalg_default_names(void);
/* The key type a host key algorithm name means (rsa-sha2-* and ssh-rsa are KEY_RSA). */
int key_sigalg_type(const char *sigalg, enum key_type *out) FERRY_MUST_USE;

/* Verifies a signature blob (string sigalg, string signature) over data. The blob's sigalg
 * must equal the expected sigalg and suit the key. For ECDSA the signature is the
 * (mpint r, mpint s) pair of RFC 5656 §3.1.2. Returns 0 if valid, FERRY_ESIG if not,
 * FERRY_EPROTO if the blob is malformed. */
int key_verify(const struct ferry_key *key, const char *sigalg, const uint8_t *sig, size_t siglen,
	       const uint8_t *data, size_t datalen) FERRY_MUST_USE;
/* Signs data with a private key and appends the signature blob (string sigalg, string
 * signature), not wrapped in an outer string. */
int key_sign(const struct ferry_key *key, const char *sigalg, const uint8_t *data, size_t datalen,
	     struct buf *out) FERRY_MUST_USE;

/* Loads a private key file: "openssh-key-v1" (unencrypted; an encrypted one is FERRY_ENOTSUP),
 * or PEM RSA (PKCS#1), EC (SEC1) or PKCS#8. *out set only on success. FERRY_ENOENT if missing,
 * FERRY_EPERM if unreadable, FERRY_EKEYFORMAT if malformed. */
int key_load_private(const char *path, struct ferry_key **out) FERRY_MUST_USE;
/* Same, from memory. */
int key_parse_private(const uint8_t *data, size_t len, struct ferry_key **out) FERRY_MUST_USE;
/* Parses a public key line "type base64 [comment]" (leading whitespace allowed). On success
 * *out and, if comment is not NULL, *comment (caller frees; may be NULL) are set, and *end (if
 * not NULL) points past the base64 field. */
int key_parse_public_line(const char *line, struct ferry_key **out, char **comment,
			  const char **end) FERRY_MUST_USE;
/* Loads "path" as a public key file (one line as above). */
int key_load_public(const char *path, struct ferry_key **out) FERRY_MUST_USE;
/* Formats the public key as "type base64" (caller frees). */
int key_format_public(const struct ferry_key *key, char **out) FERRY_MUST_USE;
/* Writes an unencrypted openssh-key-v1 private key file (mode 0600) and, if pub_path is not
 * NULL, the matching public key line. */
int key_save_private(const struct ferry_key *key, const char *path, const char *comment)
	FERRY_MUST_USE;
/* Generates a key (bits only for RSA, 0 = 3072). */
int key_generate(enum key_type type, unsigned bits, struct ferry_key **out) FERRY_MUST_USE;

/* "SHA256:" + unpadded base64 of the SHA-256 of the blob, as OpenSSH prints. Caller frees. */
int key_fingerprint(const struct ferry_key *key, char **out) FERRY_MUST_USE;

/* Wipes private parts and frees. Accepts NULL. */
void key_free(struct ferry_key *key);

#endif
