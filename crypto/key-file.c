/* Key files: OpenSSH's "openssh-key-v1" private key format (PROTOCOL.key), PEM private keys
 * (PKCS#1, SEC1, PKCS#8) through OpenSSL, and public key lines ("type base64 comment"). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "common/buf.h"
#include "common/text.h"
#include "crypto/key-internal.h"
#include "crypto/key.h"

/* PROTOCOL.key §1: the binary starts with this magic, its NUL included. */
static const char openssh_magic[] = "openssh-key-v1";
#define OPENSSH_MAGIC_LEN (sizeof(openssh_magic)) /* with the NUL */
#define OPENSSH_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----"
#define OPENSSH_END "-----END OPENSSH PRIVATE KEY-----"
/* The "none" cipher's block size, which the private section is padded to. */
#define OPENSSH_NONE_BLOCK 8
#define OPENSSH_LINE 70
/* No key file of any supported type comes near this. */
#define KEY_FILE_MAX (1024 * 1024)

static const char *memfind(const char *hay, size_t haylen, const char *needle)
{
	size_t n = strlen(needle);
	if (n == 0 || haylen < n)
		return NULL;
	return memmem(hay, haylen, needle, n);
}

static bool str_eq(const uint8_t *p, size_t n, const char *s)
{
	return n == strlen(s) && memcmp(p, s, n) == 0;
}

/* Reads a whole (small, regular) file, NUL-terminated. *out (caller wipes and frees). */
static int key_read_file(const char *path, char **out, size_t *outlen)
{
	int rc = 0;
	int fd;
	struct stat st;
	char *data = NULL;
	size_t len = 0;

	if (path == NULL)
		return FERRY_EINVAL;
	/* O_NONBLOCK: a FIFO in place of a key file must not hang the open. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return ferry_from_errno(errno);
	if (fstat(fd, &st) != 0) {
		rc = ferry_from_errno(errno);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > KEY_FILE_MAX) {
		rc = FERRY_EKEYFORMAT;
		goto out;
	}
	if ((data = malloc((size_t)st.st_size + 1)) == NULL) {
		rc = FERRY_ENOMEM;
		goto out;
	}
	while (len < (size_t)st.st_size) {
		ssize_t r = read(fd, data + len, (size_t)st.st_size - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = ferry_from_errno(errno);
			goto out;
		}
		if (r == 0)
			break; /* shrank under us: take what is there */
		len += (size_t)r;
	}
	data[len] = '\0';
	*out = data;
	*outlen = len;
	data = NULL;
out:
	if (data != NULL) {
		OPENSSL_cleanse(data, len);
		free(data);
	}
	close(fd);
	return rc;
}

/* Maps a getter's failure inside a key file to "malformed". */
static int key_fmt(int rc)
{
	return rc == 0 ? 0 : (rc == FERRY_ENOMEM ? rc : FERRY_EKEYFORMAT);
}

/* One private key in the agent encoding (PROTOCOL.key §3, RFC 9987 §4.2.x). */
static int openssh_parse_private_key(struct buf *b, struct ferry_key **out)
{
	int rc;
	const uint8_t *name, *p1, *p2;
	size_t namelen, n1, n2;
	enum key_type type;

	rc = key_fmt(buf_get_string_ref(b, &name, &namelen));
	if (rc)
		return rc;
	if (str_eq(name, namelen, "ssh-ed25519")) {
		/* string pk (32), string sk (seed 32 || pk 32) */
		rc = key_fmt(buf_get_string_ref(b, &p1, &n1));
		if (rc == 0)
			rc = key_fmt(buf_get_string_ref(b, &p2, &n2));
		if (rc)
			return rc;
		if (n1 != KEY_ED25519_LEN || n2 != 2 * KEY_ED25519_LEN ||
		    CRYPTO_memcmp(p2 + KEY_ED25519_LEN, p1, KEY_ED25519_LEN) != 0)
			return FERRY_EKEYFORMAT;
		return key_new_ed25519(p1, n1, p2, out);
	}
	if (str_eq(name, namelen, "ecdsa-sha2-nistp256"))
		type = KEY_ECDSA_P256;
	else if (str_eq(name, namelen, "ecdsa-sha2-nistp384"))
		type = KEY_ECDSA_P384;
	else if (str_eq(name, namelen, "ecdsa-sha2-nistp521"))
		type = KEY_ECDSA_P521;
	else if (str_eq(name, namelen, "ssh-rsa"))
		type = KEY_RSA;
	else
		return FERRY_ENOTSUP;
	if (type == KEY_RSA) {
		/* mpint n, e, d, iqmp, p, q */
		struct key_rsa_parts parts = { 0 };
		rc = key_fmt(buf_get_mpint_ref(b, &parts.n, &parts.nlen));
		if (rc == 0)
			rc = key_fmt(buf_get_mpint_ref(b, &parts.e, &parts.elen));
		if (rc == 0)
			rc = key_fmt(buf_get_mpint_ref(b, &parts.d, &parts.dlen));
		if (rc == 0)
			rc = key_fmt(buf_get_mpint_ref(b, &parts.iqmp, &parts.iqmplen));
		if (rc == 0)
			rc = key_fmt(buf_get_mpint_ref(b, &parts.p, &parts.plen));
		if (rc == 0)
			rc = key_fmt(buf_get_mpint_ref(b, &parts.q, &parts.qlen));
		if (rc)
			return rc;
		return key_new_rsa(&parts, out);
	}
	/* string curve, string Q, mpint d */
	const uint8_t *d;
	size_t dlen;
	rc = key_fmt(buf_get_string_ref(b, &p1, &n1));
	if (rc == 0)
		rc = key_fmt(buf_get_string_ref(b, &p2, &n2));
	if (rc == 0)
		rc = key_fmt(buf_get_mpint_ref(b, &d, &dlen));
	if (rc)
		return rc;
	if (!str_eq(p1, n1, key_ecdsa_curve_name(type)))
		return FERRY_EKEYFORMAT;
	return key_new_ecdsa(type, p2, n2, d, dlen, out);
}

/* The decoded binary of an openssh-key-v1 file (PROTOCOL.key §1, §3, §5). */
static int openssh_parse_binary(const uint8_t *data, size_t len, struct ferry_key **out)
{
	int rc;
	struct buf b, priv;
	const uint8_t *cipher, *kdf, *kdfopts, *pub;
	size_t cipherlen, kdflen, kdfoptslen, publen;
	uint32_t nkeys, check1, check2;
	struct ferry_key *key = NULL, *pubkey = NULL;

	buf_view(&b, data, len);
	if (len < OPENSSH_MAGIC_LEN || memcmp(data, openssh_magic, OPENSSH_MAGIC_LEN) != 0)
		return FERRY_EKEYFORMAT;
	rc = key_fmt(buf_consume(&b, OPENSSH_MAGIC_LEN));
	if (rc == 0)
		rc = key_fmt(buf_get_string_ref(&b, &cipher, &cipherlen));
	if (rc == 0)
		rc = key_fmt(buf_get_string_ref(&b, &kdf, &kdflen));
	if (rc == 0)
		rc = key_fmt(buf_get_string_ref(&b, &kdfopts, &kdfoptslen));
	if (rc == 0)
		rc = key_fmt(buf_get_u32(&b, &nkeys));
	if (rc)
		goto out;
	/* An encrypted key needs a passphrase and bcrypt_pbkdf, which ferry does not do. */
	if (!str_eq(cipher, cipherlen, "none")) {
		rc = FERRY_ENOTSUP;
		goto out;
	}
	/* PROTOCOL.key §5: cipher "none" goes with kdf "none" and empty options. */
	rc = FERRY_EKEYFORMAT;
	if (!str_eq(kdf, kdflen, "none") || kdfoptslen != 0)
		goto out;
	/* ssh-keygen writes one key per file; nothing else is seen in practice. */
	if (nkeys != 1)
		goto out;
	if (buf_get_string_ref(&b, &pub, &publen) != 0 || buf_get_string_view(&b, &priv) != 0 ||
	    buf_len(&b) != 0)
		goto out;
	rc = key_from_blob(pub, publen, &pubkey);
	if (rc)
		goto out;
	rc = FERRY_EKEYFORMAT;
	/* §3: padded to the cipher's block size; then two equal check integers (the check
	 * that decryption worked). */
	if (buf_len(&priv) % OPENSSH_NONE_BLOCK != 0)
		goto out;
	if (buf_get_u32(&priv, &check1) != 0 || buf_get_u32(&priv, &check2) != 0 || check1 != check2)
		goto out;
	rc = openssh_parse_private_key(&priv, &key);
	if (rc)
		goto out;
	const uint8_t *comment;
	size_t commentlen;
	rc = key_fmt(buf_get_string_ref(&priv, &comment, &commentlen));
	if (rc)
		goto out;
	/* §3: the padding is the bytes 1, 2, 3, ... */
	rc = FERRY_EKEYFORMAT;
	for (uint8_t i = 1; buf_len(&priv) > 0; i++) {
		uint8_t pad;
		if (buf_get_u8(&priv, &pad) != 0 || pad != i)
			goto out;
	}
	/* §1: the public key in the header is the private key's. */
	if (!key_equal_public(key, pubkey))
		goto out;
	*out = key;
	key = NULL;
	rc = 0;
out:
	key_free(key);
	key_free(pubkey);
	return rc;
}

static int openssh_parse_armored(const char *text, size_t len, struct ferry_key **out)
{
	int rc = FERRY_EKEYFORMAT;
	const char *begin = memfind(text, len, OPENSSH_BEGIN), *end, *p;
	char *b64 = NULL;
	size_t b64len = 0;
	uint8_t *bin = NULL;
	size_t binlen = 0;

	if (begin == NULL)
		goto out;
	p = begin + strlen(OPENSSH_BEGIN);
	end = memfind(p, len - (size_t)(p - text), OPENSSH_END);
	if (end == NULL)
		goto out;
	if ((b64 = malloc((size_t)(end - p) + 1)) == NULL) {
		rc = FERRY_ENOMEM;
		goto out;
	}
	/* The body is base64 broken into lines; anything else is corruption. */
	for (; p < end; p++) {
		if (*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t')
			continue;
		b64[b64len++] = *p;
	}
	b64[b64len] = '\0';
	if (b64_decode(b64, b64len, &bin, &binlen) != 0) {
		rc = FERRY_EKEYFORMAT;
		goto out;
	}
	rc = openssh_parse_binary(bin, binlen, out);
out:
	if (b64 != NULL) {
		OPENSSL_cleanse(b64, b64len);
		free(b64);
	}
	if (bin != NULL) {
		OPENSSL_cleanse(bin, binlen);
		free(bin);
	}
	return rc;
}

/* Never prompts: ferry takes no passphrase here. */
static int pem_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static int pem_parse(const char *text, size_t len, struct ferry_key **out)
{
	int rc = FERRY_EKEYFORMAT;
	BIO *bio = NULL;
	EVP_PKEY *pkey = NULL;

	/* Encrypted PEM: PKCS#8 "ENCRYPTED PRIVATE KEY", or the legacy Proc-Type header. */
	if (memfind(text, len, "-----BEGIN ENCRYPTED PRIVATE KEY-----") != NULL ||
	    memfind(text, len, "Proc-Type: 4,ENCRYPTED") != NULL)
		return FERRY_ENOTSUP;
	if (memfind(text, len, "-----BEGIN RSA PRIVATE KEY-----") == NULL &&
	    memfind(text, len, "-----BEGIN EC PRIVATE KEY-----") == NULL &&
	    memfind(text, len, "-----BEGIN PRIVATE KEY-----") == NULL)
		return memfind(text, len, "-----BEGIN ") ? FERRY_ENOTSUP : FERRY_EKEYFORMAT;
	if (len > INT32_MAX)
		return FERRY_EKEYFORMAT;
	if ((bio = BIO_new_mem_buf(text, (int)len)) == NULL) {
		rc = FERRY_ENOMEM;
		goto out;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, pem_no_passphrase, NULL);
	if (pkey == NULL)
		goto out;
	rc = key_from_pkey(pkey, true, out);
	if (rc == 0)
		pkey = NULL;
out:
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	return rc;
}

int key_parse_private(const uint8_t *data, size_t len, struct ferry_key **out)
{
	const char *text = (const char *)data;

	if (data == NULL || out == NULL)
		return FERRY_EINVAL;
	if (memfind(text, len, OPENSSH_BEGIN) != NULL)
		return openssh_parse_armored(text, len, out);
	return pem_parse(text, len, out);
}

int key_load_private(const char *path, struct ferry_key **out)
{
	int rc;
	char *data = NULL;
	size_t len = 0;

	if (out == NULL)
		return FERRY_EINVAL;
	rc = key_read_file(path, &data, &len);
	if (rc)
		return rc;
	rc = key_parse_private((const uint8_t *)data, len, out);
	OPENSSL_cleanse(data, len);
	free(data);
	return rc;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int key_parse_public_line(const char *line, struct ferry_key **out, char **comment,
			  const char **end)
{
	int rc;
	const char *p = line, *type, *b64;
	size_t typelen, b64len;
	char typename[64];
	enum key_type type_want, type_got;
	uint8_t *blob = NULL;
	size_t bloblen = 0;
	struct ferry_key *key = NULL;
	char *cmt = NULL;

	if (line == NULL || out == NULL)
		return FERRY_EINVAL;
	while (is_blank(*p))
		p++;
	type = p;
	while (*p != '\0' && !is_blank(*p) && *p != '\n' && *p != '\r')
		p++;
	typelen = (size_t)(p - type);
	if (typelen == 0 || !is_blank(*p))
		return FERRY_EKEYFORMAT;
	if (typelen >= sizeof(typename))
		return FERRY_ENOTSUP;
	memcpy(typename, type, typelen);
	typename[typelen] = '\0';
	rc = key_type_from_name(typename, &type_want);
	if (rc)
		return rc;
	while (is_blank(*p))
		p++;
	b64 = p;
	while (*p != '\0' && !is_blank(*p) && *p != '\n' && *p != '\r')
		p++;
	b64len = (size_t)(p - b64);
	if (b64len == 0 || b64_decode(b64, b64len, &blob, &bloblen) != 0)
		return FERRY_EKEYFORMAT;
	rc = key_from_blob(blob, bloblen, &key);
	if (rc)
		goto out;
	type_got = key_get_type(key);
	/* The type field must name the type inside the blob. */
	if (type_got != type_want) {
		rc = FERRY_EKEYFORMAT;
		goto out;
	}
	if (comment != NULL) {
		const char *c = p, *ce;
		while (is_blank(*c))
			c++;
		ce = c;
		while (*ce != '\0' && *ce != '\n' && *ce != '\r')
			ce++;
		while (ce > c && is_blank(ce[-1]))
			ce--;
		if (ce > c) {
			if ((cmt = strndup(c, (size_t)(ce - c))) == NULL) {
				rc = FERRY_ENOMEM;
				goto out;
			}
		}
		*comment = cmt;
	}
	if (end != NULL)
		*end = p;
	*out = key;
	key = NULL;
out:
	key_free(key);
	free(blob);
	return rc;
}

int key_load_public(const char *path, struct ferry_key **out)
{
	int rc;
	char *data = NULL;
	size_t len = 0;
	const char *line;

	if (out == NULL)
		return FERRY_EINVAL;
	rc = key_read_file(path, &data, &len);
	if (rc)
		return rc;
	if (memchr(data, '\0', len) != NULL) {
		rc = FERRY_EKEYFORMAT;
		goto out;
	}
	/* The first line that is not blank or a '#' comment. */
	rc = FERRY_EKEYFORMAT;
	for (line = data; *line != '\0';) {
		const char *p = line;
		while (is_blank(*p))
			p++;
		if (*p != '\n' && *p != '\r' && *p != '#' && *p != '\0') {
			rc = key_parse_public_line(p, out, NULL, NULL);
			break;
		}
		const char *nl = strchr(p, '\n');
		if (nl == NULL)
			break;
		line = nl + 1;
	}
out:
	free(data);
	return rc;
}

int key_format_public(const struct ferry_key *key, char **out)
{
	char *b64, *s;

	if (key == NULL || out == NULL)
		return FERRY_EINVAL;
	if ((b64 = b64_encode(key->blob, key->bloblen)) == NULL)
		return FERRY_ENOMEM;
	s = str_printf("%s %s", key_type_name(key), b64);
	free(b64);
	if (s == NULL)
		return FERRY_ENOMEM;
	*out = s;
	return 0;
}

/* Appends the private key in the agent encoding (the inverse of openssh_parse_private_key). */
static int openssh_put_private_key(const struct ferry_key *key, struct buf *b)
{
	int rc;
	uint8_t sk[2 * KEY_ED25519_LEN];
	size_t len;
	BIGNUM *n = NULL, *e = NULL, *d = NULL, *iqmp = NULL, *p = NULL, *q = NULL;

	rc = buf_put_cstring(b, key_type_name(key));
	if (rc)
		goto out;
	switch (key_get_type(key)) {
	case KEY_ED25519:
		/* string pk, string (seed || pk) */
		len = KEY_ED25519_LEN;
		if (EVP_PKEY_get_raw_private_key(key->pkey, sk, &len) <= 0 || len != KEY_ED25519_LEN) {
			rc = FERRY_ECRYPTO;
			goto out;
		}
		len = KEY_ED25519_LEN;
		if (EVP_PKEY_get_raw_public_key(key->pkey, sk + KEY_ED25519_LEN, &len) <= 0 ||
		    len != KEY_ED25519_LEN) {
			rc = FERRY_ECRYPTO;
			goto out;
		}
		rc = buf_put_string(b, sk + KEY_ED25519_LEN, KEY_ED25519_LEN);
		if (rc == 0)
			rc = buf_put_string(b, sk, sizeof(sk));
		break;
	case KEY_ECDSA_P256:
	case KEY_ECDSA_P384:
	case KEY_ECDSA_P521: {
		/* string curve, string Q, mpint d: the blob minus its name is curve and Q. */
		struct buf blob;
		const uint8_t *skip;
		size_t skiplen;
		buf_view(&blob, key->blob, key->bloblen);
		if (buf_get_string_ref(&blob, &skip, &skiplen) != 0) {
			rc = FERRY_EINVAL;
			goto out;
		}
		rc = buf_put(b, buf_rptr(&blob), buf_len(&blob));
		if (rc)
			goto out;
		if (EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d) <= 0) {
			rc = FERRY_ECRYPTO;
			goto out;
		}
		rc = key_put_bn(b, d);
		break;
	}
	case KEY_RSA:
		/* mpint n, e, d, iqmp, p, q */
		if (EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_RSA_N, &n) <= 0 ||
		    EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_RSA_E, &e) <= 0 ||
		    EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_RSA_D, &d) <= 0 ||
		    EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, &iqmp) <= 0 ||
		    EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_RSA_FACTOR1, &p) <= 0 ||
		    EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_RSA_FACTOR2, &q) <= 0) {
			/* A key without its CRT parts cannot be written in this format. */
			rc = FERRY_ENOTSUP;
			goto out;
		}
		if ((rc = key_put_bn(b, n)) != 0 || (rc = key_put_bn(b, e)) != 0 ||
		    (rc = key_put_bn(b, d)) != 0 || (rc = key_put_bn(b, iqmp)) != 0 ||
		    (rc = key_put_bn(b, p)) != 0 || (rc = key_put_bn(b, q)) != 0)
			goto out;
		break;
	}
out:
	ERR_clear_error();
	OPENSSL_cleanse(sk, sizeof(sk));
	BN_free(n);
	BN_free(e);
	BN_clear_free(d);
	BN_clear_free(iqmp);
	BN_clear_free(p);
	BN_clear_free(q);
	return rc;
}

/* The whole armored file text (caller wipes and frees). */
static int openssh_format_private(const struct ferry_key *key, const char *comment, char **out,
				  size_t *outlen)
{
	int rc;
	struct buf bin, priv;
	uint32_t check;
	char *b64 = NULL, *text = NULL;
	size_t b64len, pos = 0, cap;

	buf_init(&bin, 0);
	buf_init(&priv, 0);
	/* §3: two equal random check integers, the key, its comment, then padding. */
	if (RAND_bytes((unsigned char *)&check, sizeof(check)) != 1) {
		ERR_clear_error();
		rc = FERRY_ECRYPTO;
		goto out;
	}
	if ((rc = buf_put_u32(&priv, check)) != 0 || (rc = buf_put_u32(&priv, check)) != 0 ||
	    (rc = openssh_put_private_key(key, &priv)) != 0 ||
	    (rc = buf_put_cstring(&priv, comment ? comment : "")) != 0)
		goto out;
	for (uint8_t i = 1; buf_len(&priv) % OPENSSH_NONE_BLOCK != 0; i++)
		if ((rc = buf_put_u8(&priv, i)) != 0)
			goto out;
	/* §1 and §5: magic, cipher "none", kdf "none", empty options, one key. */
	if ((rc = buf_put(&bin, openssh_magic, OPENSSH_MAGIC_LEN)) != 0 ||
	    (rc = buf_put_cstring(&bin, "none")) != 0 || (rc = buf_put_cstring(&bin, "none")) != 0 ||
	    (rc = buf_put_string(&bin, NULL, 0)) != 0 || (rc = buf_put_u32(&bin, 1)) != 0 ||
	    (rc = buf_put_string(&bin, key->blob, key->bloblen)) != 0 ||
	    (rc = buf_put_stringb(&bin, &priv)) != 0)
		goto out;
	if ((b64 = b64_encode(buf_rptr(&bin), buf_len(&bin))) == NULL) {
		rc = FERRY_ENOMEM;
		goto out;
	}
	b64len = strlen(b64);
	cap = strlen(OPENSSH_BEGIN) + strlen(OPENSSH_END) + b64len + b64len / OPENSSH_LINE + 8;
	if ((text = malloc(cap)) == NULL) {
		rc = FERRY_ENOMEM;
		goto out;
	}
	pos = (size_t)snprintf(text, cap, "%s\n", OPENSSH_BEGIN);
	for (size_t i = 0; i < b64len; i += OPENSSH_LINE) {
		size_t n = b64len - i < OPENSSH_LINE ? b64len - i : OPENSSH_LINE;
		memcpy(text + pos, b64 + i, n);
		pos += n;
		text[pos++] = '\n';
	}
	pos += (size_t)snprintf(text + pos, cap - pos, "%s\n", OPENSSH_END);
	*out = text;
	*outlen = pos;
	text = NULL;
out:
	if (b64 != NULL) {
		OPENSSL_cleanse(b64, strlen(b64));
		free(b64);
	}
	free(text);
	buf_free(&bin);
	buf_free(&priv);
	return rc;
}

int key_save_private(const struct ferry_key *key, const char *path, const char *comment)
{
	int rc;
	char *text = NULL, *tmp = NULL;
	size_t len = 0, done = 0;
	int fd = -1;

	if (key == NULL || path == NULL)
		return FERRY_EINVAL;
	if (!key->has_private)
		return FERRY_EINVAL;
	if (comment != NULL && strpbrk(comment, "\r\n") != NULL)
		return FERRY_EINVAL;
	rc = openssh_format_private(key, comment, &text, &len);
	if (rc)
		return rc;
	/* Write a temporary file beside the target (mkstemp makes it 0600) and rename it into
	 * place, so a crash never leaves a half-written key where the old one was. */
	if ((tmp = str_printf("%s.XXXXXX", path)) == NULL) {
		rc = FERRY_ENOMEM;
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = ferry_from_errno(errno);
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, 0600) != 0) {
		rc = ferry_from_errno(errno);
		goto out;
	}
	while (done < len) {
		ssize_t w = write(fd, text + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = ferry_from_errno(errno);
			goto out;
		}
		done += (size_t)w;
	}
	if (fsync(fd) != 0) {
		rc = ferry_from_errno(errno);
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = ferry_from_errno(errno);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		rc = ferry_from_errno(errno);
		goto out;
	}
	free(tmp);
	tmp = NULL;
out:
	if (fd >= 0)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	OPENSSL_cleanse(text, len);
	free(text);
	return rc;
}
