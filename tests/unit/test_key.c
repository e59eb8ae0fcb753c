/* Unit tests for crypto/key: blobs, fingerprints against ssh-keygen, key files (openssh-key-v1,
 * PEM), RFC 8032 Ed25519 vectors, signatures made by OpenSSH, and refusal of bad input. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "check.h"
#include "common/buf.h"
#include "common/text.h"
#include "crypto/key.h"

#define KEYDIR FERRY_TEST_DATA "/keys/"

static char tmpdir[256];

/* A whole file, NUL-terminated (caller frees); NULL if it cannot be read. */
static char *slurp(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *data = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			data = realloc(data, cap);
			if (data == NULL)
				abort();
		}
		size_t r = fread(data + len, 1, 4096, f);
		len += r;
		if (r == 0)
			break;
	}
	fclose(f);
	data[len] = '\0';
	if (lenp)
		*lenp = len;
	return data;
}

static char *keypath(const char *name)
{
	char *p = str_printf("%s%s", KEYDIR, name);
	if (p == NULL)
		abort();
	return p;
}

/* The SHA256 fingerprint ssh-keygen printed for name (tests/data/keys/fingerprints.txt). */
static char *recorded_fingerprint(const char *name)
{
	char *path = keypath("fingerprints.txt");
	char *all = slurp(path, NULL);
	free(path);
	if (all == NULL)
		return NULL;
	char *res = NULL;
	for (char *line = strtok(all, "\n"); line; line = strtok(NULL, "\n")) {
		char *sp = strchr(line, ' ');
		if (sp && (size_t)(sp - line) == strlen(name) && strncmp(line, name, strlen(name)) == 0) {
			res = strdup(sp + 1);
			break;
		}
	}
	free(all);
	return res;
}

struct test_key {
	const char *file;       /* private key file */
	const char *pub;        /* its .pub file */
	const char *fp_name;    /* name in fingerprints.txt */
	enum key_type type;
	unsigned bits;
	const char *type_name;
};

static const struct test_key test_keys[] = {
	{ "ed25519", "ed25519.pub", "ed25519", KEY_ED25519, 256, "ssh-ed25519" },
	{ "ed25519.pkcs8", "ed25519.pkcs8.pub", "ed25519.pkcs8", KEY_ED25519, 256, "ssh-ed25519" },
	{ "ecdsa256", "ecdsa256.pub", "ecdsa256", KEY_ECDSA_P256, 256, "ecdsa-sha2-nistp256" },
	{ "ecdsa256.pem", "ecdsa256.pub", "ecdsa256", KEY_ECDSA_P256, 256, "ecdsa-sha2-nistp256" },
	{ "ecdsa256.pkcs8", "ecdsa256.pub", "ecdsa256", KEY_ECDSA_P256, 256, "ecdsa-sha2-nistp256" },
	{ "ecdsa384", "ecdsa384.pub", "ecdsa384", KEY_ECDSA_P384, 384, "ecdsa-sha2-nistp384" },
	{ "ecdsa384.pem", "ecdsa384.pub", "ecdsa384", KEY_ECDSA_P384, 384, "ecdsa-sha2-nistp384" },
	{ "ecdsa384.pkcs8", "ecdsa384.pub", "ecdsa384", KEY_ECDSA_P384, 384, "ecdsa-sha2-nistp384" },
	{ "ecdsa521", "ecdsa521.pub", "ecdsa521", KEY_ECDSA_P521, 521, "ecdsa-sha2-nistp521" },
	{ "ecdsa521.pem", "ecdsa521.pub", "ecdsa521", KEY_ECDSA_P521, 521, "ecdsa-sha2-nistp521" },
	{ "ecdsa521.pkcs8", "ecdsa521.pub", "ecdsa521", KEY_ECDSA_P521, 521, "ecdsa-sha2-nistp521" },
	{ "rsa3072", "rsa3072.pub", "rsa3072", KEY_RSA, 3072, "ssh-rsa" },
	{ "rsa3072.pem", "rsa3072.pub", "rsa3072", KEY_RSA, 3072, "ssh-rsa" },
	{ "rsa3072.pkcs8", "rsa3072.pub", "rsa3072", KEY_RSA, 3072, "ssh-rsa" },
};
#define N_TEST_KEYS (sizeof(test_keys) / sizeof(test_keys[0]))

static struct ferry_key *load_priv(const char *name)
{
	char *path = keypath(name);
	struct ferry_key *k = NULL;
	CHECK_OK(key_load_private(path, &k));
	free(path);
	return k;
}

static void test_names(void)
{
	CHECK_STR(key_sigalg_default_names(),
		  "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,"
		  "rsa-sha2-512,rsa-sha2-256");
	CHECK_STR(key_sigalg_supported_names(),
		  "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,"
		  "rsa-sha2-512,rsa-sha2-256,ssh-rsa");
	enum key_type t = KEY_ED25519;
	CHECK_OK(key_sigalg_type("rsa-sha2-256", &t));
	CHECK(t == KEY_RSA);
	CHECK_OK(key_sigalg_type("ssh-rsa", &t));
	CHECK(t == KEY_RSA);
	CHECK_OK(key_sigalg_type("ecdsa-sha2-nistp384", &t));
	CHECK(t == KEY_ECDSA_P384);
	CHECK_OK(key_sigalg_type("ssh-ed25519", &t));
	CHECK(t == KEY_ED25519);
	CHECK_RC(key_sigalg_type("ssh-dss", &t), FERRY_ENOTSUP);
	CHECK_RC(key_sigalg_type("", &t), FERRY_ENOTSUP);
	CHECK_OK(key_type_from_name("ecdsa-sha2-nistp521", &t));
	CHECK(t == KEY_ECDSA_P521);
	CHECK_OK(key_type_from_name("ssh-rsa", &t));
	CHECK(t == KEY_RSA);
	CHECK_RC(key_type_from_name("rsa-sha2-256", &t), FERRY_ENOTSUP);
	CHECK_RC(key_type_from_name("ssh-dss", &t), FERRY_ENOTSUP);
}

/* Every test key loads in every form; its blob, type, size and fingerprint are ssh-keygen's. */
static void test_load_all_keys(void)
{
	for (size_t i = 0; i < N_TEST_KEYS; i++) {
		const struct test_key *tk = &test_keys[i];
		struct ferry_key *priv = load_priv(tk->file), *pub = NULL;
		char *pubpath = keypath(tk->pub);
		char *comment = NULL;
		CHECK_OK(key_load_public(pubpath, &pub));
		if (priv == NULL || pub == NULL) {
			fprintf(stderr, "  key %s did not load\n", tk->file);
			key_free(priv);
			key_free(pub);
			free(pubpath);
			continue;
		}
		CHECK(key_has_private(priv));
		CHECK(!key_has_private(pub));
		CHECK(key_get_type(priv) == tk->type);
		CHECK(key_bits(priv) == tk->bits);
		CHECK_STR(key_type_name(priv), tk->type_name);
		CHECK(key_equal_public(priv, pub));

		/* The blob equals the base64 field of the .pub file, byte for byte. */
		char *line = slurp(pubpath, NULL);
		char *f1 = line ? strchr(line, ' ') : NULL;
		char *f2 = f1 ? strchr(f1 + 1, ' ') : NULL;
		CHECK(f2 != NULL);
		if (f2) {
			uint8_t *want = NULL;
			size_t wantlen = 0;
			CHECK_OK(b64_decode(f1 + 1, (size_t)(f2 - f1 - 1), &want, &wantlen));
			struct buf blob;
			buf_init(&blob, 0);
			CHECK_OK(key_to_blob(priv, &blob));
			CHECK(buf_len(&blob) == wantlen);
			if (buf_len(&blob) == wantlen)
				CHECK_MEM(buf_rptr(&blob), want, wantlen);
			buf_free(&blob);
			free(want);
			/* key_format_public gives "type base64", the .pub line minus its comment. */
			char *fmt = NULL;
			CHECK_OK(key_format_public(priv, &fmt));
			*f2 = '\0';
			CHECK_STR(fmt, line);
			free(fmt);
		}
		free(line);

		/* The public line parser also returns the comment. */
		line = slurp(pubpath, NULL);
		struct ferry_key *again = NULL;
		const char *end = NULL;
		CHECK_OK(key_parse_public_line(line, &again, &comment, &end));
		CHECK(again != NULL && key_equal_public(again, priv));
		CHECK(comment != NULL && strncmp(comment, "ferry test", 10) == 0);
		CHECK(end != NULL && *end == ' ');
		key_free(again);
		free(comment);
		free(line);

		char *fp = NULL, *want_fp = recorded_fingerprint(tk->fp_name);
		CHECK(want_fp != NULL);
		CHECK_OK(key_fingerprint(priv, &fp));
		CHECK_STR(fp, want_fp);
		free(fp);
		free(want_fp);

		key_free(priv);
		key_free(pub);
		free(pubpath);
	}
}

static const char *sigalgs_for(enum key_type t, size_t i)
{
	static const char *const rsa[] = { "rsa-sha2-256", "rsa-sha2-512", "ssh-rsa", NULL };
	switch (t) {
	case KEY_ED25519: return i == 0 ? "ssh-ed25519" : NULL;
	case KEY_ECDSA_P256: return i == 0 ? "ecdsa-sha2-nistp256" : NULL;
	case KEY_ECDSA_P384: return i == 0 ? "ecdsa-sha2-nistp384" : NULL;
	case KEY_ECDSA_P521: return i == 0 ? "ecdsa-sha2-nistp521" : NULL;
	case KEY_RSA: return i < 3 ? rsa[i] : NULL;
	}
	return NULL;
}

/* Signs and verifies with every sigalg of the key, then checks each kind of tampering. */
static void sign_verify_all(struct ferry_key *priv)
{
	static const uint8_t msg[] = "the exchange hash H, or a userauth request";
	struct buf blob;
	struct ferry_key *pub = NULL;

	buf_init(&blob, 0);
	CHECK_OK(key_to_blob(priv, &blob));
	CHECK_OK(key_from_blob(buf_rptr(&blob), buf_len(&blob), &pub));
	buf_free(&blob);
	if (pub == NULL)
		return;
	CHECK(!key_has_private(pub));
	for (size_t i = 0; sigalgs_for(key_get_type(priv), i) != NULL; i++) {
		const char *alg = sigalgs_for(key_get_type(priv), i);
		struct buf sig;
		buf_init(&sig, 0);
		CHECK(key_sigalg_ok(priv, alg));
		CHECK_OK(buf_put_u8(&sig, 0x55)); /* the signature is appended */
		CHECK_OK(key_sign(priv, alg, msg, sizeof(msg), &sig));
		CHECK(buf_rptr(&sig)[0] == 0x55);
		CHECK_OK(buf_consume(&sig, 1));
		uint8_t *s = malloc(buf_len(&sig) + 1);
		size_t n = buf_len(&sig);
		memcpy(s, buf_rptr(&sig), n);

		/* The blob starts with the algorithm name. */
		struct buf v;
		char *name = NULL;
		buf_view(&v, s, n);
		CHECK_OK(buf_get_cstring(&v, &name, NULL));
		CHECK_STR(name, alg);
		free(name);

		CHECK_OK(key_verify(pub, alg, s, n, msg, sizeof(msg)));
		CHECK_OK(key_verify(priv, alg, s, n, msg, sizeof(msg)));
		/* Other data. */
		CHECK_RC(key_verify(pub, alg, s, n, msg, sizeof(msg) - 1), FERRY_ESIG);
		uint8_t other[sizeof(msg)];
		memcpy(other, msg, sizeof(msg));
		other[3] ^= 0x20;
		CHECK_RC(key_verify(pub, alg, s, n, other, sizeof(other)), FERRY_ESIG);
		/* A flipped bit in the signature (the last byte is inside it for every type). */
		s[n - 1] ^= 0x01;
		int rc = key_verify(pub, alg, s, n, msg, sizeof(msg));
		CHECK(rc == FERRY_ESIG || rc == FERRY_EPROTO);
		s[n - 1] ^= 0x01;
		/* Trailing garbage after the blob, and a truncated blob. */
		s[n] = 0;
		CHECK_RC(key_verify(pub, alg, s, n + 1, msg, sizeof(msg)), FERRY_EPROTO);
		for (size_t cut = 0; cut < n; cut += (cut < 24 ? 1 : 17)) {
			rc = key_verify(pub, alg, s, cut, msg, sizeof(msg));
			CHECK(rc == FERRY_EPROTO || rc == FERRY_ESIG);
		}
		/* A different expected algorithm, even one that suits the key. */
		for (size_t j = 0; sigalgs_for(KEY_RSA, j) != NULL; j++)
			if (strcmp(sigalgs_for(KEY_RSA, j), alg) != 0)
				CHECK_RC(key_verify(pub, sigalgs_for(KEY_RSA, j), s, n, msg, sizeof(msg)),
					 FERRY_ESIG);
		if (strcmp(alg, "ssh-ed25519") != 0)
			CHECK_RC(key_verify(pub, "ssh-ed25519", s, n, msg, sizeof(msg)), FERRY_ESIG);
		/* Signing needs the private key and a suitable algorithm. */
		CHECK_RC(key_sign(pub, alg, msg, sizeof(msg), &sig), FERRY_EINVAL);
		free(s);
		buf_free(&sig);
	}
	struct buf sig;
	buf_init(&sig, 0);
	CHECK(!key_sigalg_ok(priv, key_get_type(priv) == KEY_ED25519 ? "ssh-rsa" : "ssh-ed25519"));
	CHECK_RC(key_sign(priv, key_get_type(priv) == KEY_ED25519 ? "rsa-sha2-256" : "ssh-ed25519",
			  msg, sizeof(msg), &sig), FERRY_EINVAL);
	CHECK(buf_len(&sig) == 0);
	buf_free(&sig);
	key_free(pub);
}

static void test_sign_verify_every_type(void)
{
	static const char *const files[] = { "ed25519", "ecdsa256", "ecdsa384", "ecdsa521",
					     "rsa3072", "rsa3072.pem", "ecdsa521.pkcs8" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct ferry_key *k = load_priv(files[i]);
		if (k)
			sign_verify_all(k);
		key_free(k);
	}
	static const enum key_type types[] = { KEY_ED25519, KEY_ECDSA_P256, KEY_ECDSA_P384,
					       KEY_ECDSA_P521, KEY_RSA };
	for (size_t i = 0; i < 5; i++) {
		struct ferry_key *k = NULL;
		CHECK_OK(key_generate(types[i], types[i] == KEY_RSA ? 2048 : 0, &k));
		if (k == NULL)
			continue;
		CHECK(key_get_type(k) == types[i]);
		CHECK(key_has_private(k));
		if (types[i] == KEY_RSA)
			CHECK(key_bits(k) == 2048);
		sign_verify_all(k);
		key_free(k);
	}
	struct ferry_key *k = NULL;
	CHECK_RC(key_generate(KEY_RSA, 768, &k), FERRY_EINVAL);
	CHECK(k == NULL);
}

/* RFC 8332 §3: a signature one byte short (its leading zero dropped) is accepted. */
static void test_rsa_short_signature(void)
{
	struct ferry_key *k = NULL;
	CHECK_OK(key_generate(KEY_RSA, 1024, &k));
	if (k == NULL)
		return;
	uint8_t msg[8] = { 0 };
	int found = 0;
	for (uint32_t i = 0; i < 20000 && !found; i++) {
		struct buf sig;
		buf_init(&sig, 0);
		memcpy(msg, &i, sizeof(i));
		CHECK_OK(key_sign(k, "rsa-sha2-256", msg, sizeof(msg), &sig));
		struct buf v;
		const uint8_t *name, *s;
		size_t namelen, slen;
		buf_view(&v, buf_rptr(&sig), buf_len(&sig));
		CHECK_OK(buf_get_string_ref(&v, &name, &namelen));
		CHECK_OK(buf_get_string_ref(&v, &s, &slen));
		CHECK(slen == 128);
		if (s[0] == 0) {
			found = 1;
			struct buf shortsig;
			buf_init(&shortsig, 0);
			CHECK_OK(buf_put_cstring(&shortsig, "rsa-sha2-256"));
			CHECK_OK(buf_put_string(&shortsig, s + 1, slen - 1));
			CHECK_OK(key_verify(k, "rsa-sha2-256", buf_rptr(&shortsig), buf_len(&shortsig),
					    msg, sizeof(msg)));
			buf_free(&shortsig);
		}
		/* Longer than the modulus: refused. */
		if (i == 0) {
			struct buf longsig;
			buf_init(&longsig, 0);
			uint8_t tmp[129] = { 0 };
			memcpy(tmp + 1, s, 128);
			CHECK_OK(buf_put_cstring(&longsig, "rsa-sha2-256"));
			CHECK_OK(buf_put_string(&longsig, tmp, sizeof(tmp)));
			CHECK_RC(key_verify(k, "rsa-sha2-256", buf_rptr(&longsig), buf_len(&longsig),
					    msg, sizeof(msg)), FERRY_ESIG);
			buf_free(&longsig);
		}
		buf_free(&sig);
	}
	CHECK(found);
	key_free(k);
}

/* An openssh-key-v1 file around one private key's fields, as ssh-keygen lays it out. */
static char *make_openssh_file(const struct buf *pubblob, const struct buf *privfields,
			       const char *cipher, uint32_t nkeys, uint32_t check2, int badpad)
{
	struct buf priv, bin;
	buf_init(&priv, 0);
	buf_init(&bin, 0);
	if (buf_put_u32(&priv, 0x12345678) || buf_put_u32(&priv, check2) ||
	    buf_put(&priv, buf_rptr(privfields), buf_len(privfields)) ||
	    buf_put_cstring(&priv, "comment"))
		abort();
	for (uint8_t i = 1; buf_len(&priv) % 8 != 0; i++)
		if (buf_put_u8(&priv, (uint8_t)(badpad ? i + 1 : i)))
			abort();
	if (buf_put(&bin, "openssh-key-v1", 15) || buf_put_cstring(&bin, cipher) ||
	    buf_put_cstring(&bin, "none") || buf_put_string(&bin, NULL, 0) ||
	    buf_put_u32(&bin, nkeys) || buf_put_stringb(&bin, pubblob) ||
	    buf_put_stringb(&bin, &priv))
		abort();
	char *b64 = b64_encode(buf_rptr(&bin), buf_len(&bin));
	char *text = str_printf("-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n"
				"-----END OPENSSH PRIVATE KEY-----\n", b64);
	free(b64);
	buf_free(&priv);
	buf_free(&bin);
	return text;
}

static struct ferry_key *ed25519_from_seed(const uint8_t seed[32], const uint8_t pk[32])
{
	struct buf pubblob, fields;
	struct ferry_key *k = NULL;
	uint8_t sk[64];
	memcpy(sk, seed, 32);
	memcpy(sk + 32, pk, 32);
	buf_init(&pubblob, 0);
	buf_init(&fields, 0);
	CHECK_OK(buf_put_cstring(&pubblob, "ssh-ed25519"));
	CHECK_OK(buf_put_string(&pubblob, pk, 32));
	CHECK_OK(buf_put_cstring(&fields, "ssh-ed25519"));
	CHECK_OK(buf_put_string(&fields, pk, 32));
	CHECK_OK(buf_put_string(&fields, sk, 64));
	char *text = make_openssh_file(&pubblob, &fields, "none", 1, 0x12345678, 0);
	CHECK_OK(key_parse_private((const uint8_t *)text, strlen(text), &k));
	free(text);
	buf_free(&pubblob);
	buf_free(&fields);
	return k;
}

/* RFC 8032 §7.1 tests 1 and 2, wrapped in SSH key and signature blobs (RFC 8709). */
static void test_ed25519_rfc8032(void)
{
	static const struct {
		const char *seed, *pk, *msg, *sig;
	} vec[] = {
		{ "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
		  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
		  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
		{ "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
		  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
		  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
	};
	for (size_t i = 0; i < 2; i++) {
		uint8_t seed[32], pk[32], msg[8], sig[64];
		unhex(vec[i].seed, seed, 32);
		unhex(vec[i].pk, pk, 32);
		size_t mlen = unhex(vec[i].msg, msg, sizeof(msg));
		unhex(vec[i].sig, sig, 64);
		struct ferry_key *k = ed25519_from_seed(seed, pk);
		if (k == NULL)
			continue;
		struct buf out, want, pubblob;
		buf_init(&out, 0);
		buf_init(&want, 0);
		buf_init(&pubblob, 0);
		CHECK_OK(key_sign(k, "ssh-ed25519", msg, mlen, &out));
		CHECK_OK(buf_put_cstring(&want, "ssh-ed25519"));
		CHECK_OK(buf_put_string(&want, sig, 64));
		CHECK(buf_len(&out) == buf_len(&want));
		if (buf_len(&out) == buf_len(&want))
			CHECK_MEM(buf_rptr(&out), buf_rptr(&want), buf_len(&want));
		/* Verify the published signature with a key from the public blob alone. */
		struct ferry_key *pub = NULL;
		CHECK_OK(buf_put_cstring(&pubblob, "ssh-ed25519"));
		CHECK_OK(buf_put_string(&pubblob, pk, 32));
		CHECK_OK(key_from_blob(buf_rptr(&pubblob), buf_len(&pubblob), &pub));
		if (pub) {
			CHECK_OK(key_verify(pub, "ssh-ed25519", buf_rptr(&want), buf_len(&want), msg,
					    mlen));
			/* The signature of the other vector does not verify. */
			uint8_t m2 = 0x73;
			CHECK_RC(key_verify(pub, "ssh-ed25519", buf_rptr(&want), buf_len(&want), &m2, 1),
				 FERRY_ESIG);
			/* A 63-byte signature. */
			struct buf shortsig;
			buf_init(&shortsig, 0);
			CHECK_OK(buf_put_cstring(&shortsig, "ssh-ed25519"));
			CHECK_OK(buf_put_string(&shortsig, sig, 63));
			CHECK_RC(key_verify(pub, "ssh-ed25519", buf_rptr(&shortsig), buf_len(&shortsig),
					    msg, mlen), FERRY_ESIG);
			buf_free(&shortsig);
		}
		key_free(pub);
		key_free(k);
		buf_free(&out);
		buf_free(&want);
		buf_free(&pubblob);
	}
	/* A seed whose public key is not the one stored beside it. */
	uint8_t seed[32], pk[32];
	unhex(vec[0].seed, seed, 32);
	unhex(vec[1].pk, pk, 32);
	struct buf pubblob, fields;
	buf_init(&pubblob, 0);
	buf_init(&fields, 0);
	uint8_t sk[64];
	memcpy(sk, seed, 32);
	memcpy(sk + 32, pk, 32);
	CHECK_OK(buf_put_cstring(&pubblob, "ssh-ed25519"));
	CHECK_OK(buf_put_string(&pubblob, pk, 32));
	CHECK_OK(buf_put_cstring(&fields, "ssh-ed25519"));
	CHECK_OK(buf_put_string(&fields, pk, 32));
	CHECK_OK(buf_put_string(&fields, sk, 64));
	char *text = make_openssh_file(&pubblob, &fields, "none", 1, 0x12345678, 0);
	struct ferry_key *k = NULL;
	CHECK_RC(key_parse_private((const uint8_t *)text, strlen(text), &k), FERRY_EKEYFORMAT);
	free(text);
	buf_free(&pubblob);
	buf_free(&fields);
}

/* Signatures made by ssh-keygen -Y sign (PROTOCOL.sshsig) verify with ferry's code. */
static void test_openssh_made_signatures(void)
{
	static const struct { const char *key, *sigalg; } cases[] = {
		{ "ed25519", "ssh-ed25519" },
		{ "ecdsa256", "ecdsa-sha2-nistp256" },
		{ "ecdsa384", "ecdsa-sha2-nistp384" },
		{ "ecdsa521", "ecdsa-sha2-nistp521" },
		{ "rsa3072", "rsa-sha2-512" },
	};
	char *msgpath = keypath("message.txt");
	size_t msglen = 0;
	char *message = slurp(msgpath, &msglen);
	free(msgpath);
	CHECK(message != NULL);
	if (message == NULL)
		return;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *name = str_printf("message.%s.sig", cases[i].key);
		char *path = keypath(name);
		char *armored = slurp(path, NULL);
		free(name);
		free(path);
		CHECK(armored != NULL);
		if (armored == NULL)
			continue;
		/* Base64 between the armor lines, newlines dropped. */
		char *b64 = malloc(strlen(armored) + 1);
		size_t n = 0;
		char *p = strstr(armored, "-----\n");
		char *end = strstr(armored, "-----END");
		for (p = p ? p + 6 : armored; p && p < end; p++)
			if (*p != '\n')
				b64[n++] = *p;
		uint8_t *bin = NULL;
		size_t binlen = 0;
		CHECK_OK(b64_decode(b64, n, &bin, &binlen));
		struct buf b;
		buf_view(&b, bin, binlen);
		uint8_t magic[6];
		uint32_t version = 0;
		const uint8_t *pk, *ns, *res, *halg, *sig;
		size_t pklen, nslen, reslen, halglen, siglen;
		CHECK_OK(buf_get(&b, magic, 6));
		CHECK(memcmp(magic, "SSHSIG", 6) == 0);
		CHECK_OK(buf_get_u32(&b, &version));
		CHECK(version == 1);
		CHECK_OK(buf_get_string_ref(&b, &pk, &pklen));
		CHECK_OK(buf_get_string_ref(&b, &ns, &nslen));
		CHECK_OK(buf_get_string_ref(&b, &res, &reslen));
		CHECK_OK(buf_get_string_ref(&b, &halg, &halglen));
		CHECK_OK(buf_get_string_ref(&b, &sig, &siglen));

		struct ferry_key *key = load_priv(cases[i].key), *sigkey = NULL;
		CHECK_OK(key_from_blob(pk, pklen, &sigkey));
		CHECK(key && sigkey && key_equal_public(key, sigkey));

		/* The signed data: "SSHSIG", namespace, reserved, hash name, H(message). */
		uint8_t h[64];
		unsigned hlen = 0;
		const EVP_MD *md = (halglen == 6 && memcmp(halg, "sha256", 6) == 0) ? EVP_sha256()
										  : EVP_sha512();
		CHECK(EVP_Digest(message, msglen, h, &hlen, md, NULL) == 1);
		struct buf signed_data;
		buf_init(&signed_data, 0);
		CHECK_OK(buf_put(&signed_data, "SSHSIG", 6));
		CHECK_OK(buf_put_string(&signed_data, ns, nslen));
		CHECK_OK(buf_put_string(&signed_data, res, reslen));
		CHECK_OK(buf_put_string(&signed_data, halg, halglen));
		CHECK_OK(buf_put_string(&signed_data, h, hlen));
		if (sigkey) {
			CHECK_OK(key_verify(sigkey, cases[i].sigalg, sig, siglen,
					    buf_rptr(&signed_data), buf_len(&signed_data)));
			/* One byte of the message changed: refused. */
			buf_mutable_rptr(&signed_data)[buf_len(&signed_data) - 1] ^= 1;
			CHECK_RC(key_verify(sigkey, cases[i].sigalg, sig, siglen,
					    buf_rptr(&signed_data), buf_len(&signed_data)), FERRY_ESIG);
		}
		buf_free(&signed_data);
		key_free(key);
		key_free(sigkey);
		free(bin);
		free(b64);
		free(armored);
	}
	free(message);
}

static void test_blob_refused(void)
{
	struct ferry_key *k = NULL;
	struct buf b;
	uint8_t pt[133];

	/* Unknown type, empty, garbage. */
	buf_init(&b, 0);
	CHECK_OK(buf_put_cstring(&b, "ssh-dss"));
	CHECK_OK(buf_put_string(&b, "x", 1));
	CHECK_RC(key_from_blob(buf_rptr(&b), buf_len(&b), &k), FERRY_ENOTSUP);
	CHECK_RC(key_from_blob(buf_rptr(&b), 0, &k), FERRY_EKEYFORMAT);
	CHECK_RC(key_from_blob((const uint8_t *)"\xff\xff\xff\xff", 4, &k), FERRY_EKEYFORMAT);
	buf_reset(&b);
	/* Ed25519 with a 31-byte key. */
	CHECK_OK(buf_put_cstring(&b, "ssh-ed25519"));
	CHECK_OK(buf_put_string(&b, pt, 31));
	CHECK_RC(key_from_blob(buf_rptr(&b), buf_len(&b), &k), FERRY_EKEYFORMAT);
	buf_reset(&b);

	/* Every truncation of every real blob, and one trailing byte, are refused. */
	static const char *const files[] = { "ed25519", "ecdsa256", "ecdsa521", "rsa3072" };
	for (size_t i = 0; i < 4; i++) {
		struct ferry_key *priv = load_priv(files[i]);
		if (priv == NULL)
			continue;
		buf_reset(&b);
		CHECK_OK(key_to_blob(priv, &b));
		size_t n = buf_len(&b);
		for (size_t cut = 0; cut < n; cut++) {
			int rc = key_from_blob(buf_rptr(&b), cut, &k);
			CHECK(rc == FERRY_EKEYFORMAT || (cut > 0 && cut < 4 && rc == FERRY_EKEYFORMAT));
		}
		CHECK_OK(buf_put_u8(&b, 0));
		CHECK_RC(key_from_blob(buf_rptr(&b), buf_len(&b), &k), FERRY_EKEYFORMAT);
		key_free(priv);
	}
	CHECK(k == NULL);

	/* ECDSA: curve name not matching the type, point off the curve, compressed point. */
	struct ferry_key *ec = load_priv("ecdsa256");
	if (ec) {
		buf_reset(&b);
		CHECK_OK(key_to_blob(ec, &b));
		struct buf v;
		const uint8_t *f1, *f2, *q;
		size_t n1, n2, qn;
		buf_view(&v, buf_rptr(&b), buf_len(&b));
		CHECK_OK(buf_get_string_ref(&v, &f1, &n1));
		CHECK_OK(buf_get_string_ref(&v, &f2, &n2));
		CHECK_OK(buf_get_string_ref(&v, &q, &qn));
		CHECK(qn == 65);
		memcpy(pt, q, 65);
		struct buf bad;
		buf_init(&bad, 0);
		CHECK_OK(buf_put_cstring(&bad, "ecdsa-sha2-nistp256"));
		CHECK_OK(buf_put_cstring(&bad, "nistp384"));
		CHECK_OK(buf_put_string(&bad, pt, 65));
		CHECK_RC(key_from_blob(buf_rptr(&bad), buf_len(&bad), &k), FERRY_EKEYFORMAT);
		buf_reset(&bad);
		pt[64] ^= 1;
		CHECK_OK(buf_put_cstring(&bad, "ecdsa-sha2-nistp256"));
		CHECK_OK(buf_put_cstring(&bad, "nistp256"));
		CHECK_OK(buf_put_string(&bad, pt, 65));
		CHECK_RC(key_from_blob(buf_rptr(&bad), buf_len(&bad), &k), FERRY_EKEYFORMAT);
		buf_reset(&bad);
		pt[64] ^= 1;
		pt[0] = 0x02 | (pt[64] & 1);
		CHECK_OK(buf_put_cstring(&bad, "ecdsa-sha2-nistp256"));
		CHECK_OK(buf_put_cstring(&bad, "nistp256"));
		CHECK_OK(buf_put_string(&bad, pt, 33));
		CHECK_RC(key_from_blob(buf_rptr(&bad), buf_len(&bad), &k), FERRY_EKEYFORMAT);
		buf_free(&bad);
		key_free(ec);
	}

	/* RSA: a 768-bit modulus is refused; so are a padded (non-minimal) mpint and even e. */
	uint8_t n768[96];
	memset(n768, 0xc5, sizeof(n768));
	n768[95] |= 1;
	uint8_t e[3] = { 1, 0, 1 };
	buf_reset(&b);
	CHECK_OK(buf_put_cstring(&b, "ssh-rsa"));
	CHECK_OK(buf_put_mpint_bytes(&b, e, 3));
	CHECK_OK(buf_put_mpint_bytes(&b, n768, sizeof(n768)));
	CHECK_RC(key_from_blob(buf_rptr(&b), buf_len(&b), &k), FERRY_EKEYFORMAT);
	struct ferry_key *rsa = load_priv("rsa3072");
	if (rsa) {
		buf_reset(&b);
		CHECK_OK(key_to_blob(rsa, &b));
		struct buf v, bad;
		const uint8_t *name, *ev, *nv;
		size_t namelen, elen, nlen;
		buf_view(&v, buf_rptr(&b), buf_len(&b));
		CHECK_OK(buf_get_string_ref(&v, &name, &namelen));
		CHECK_OK(buf_get_mpint_ref(&v, &ev, &elen));
		CHECK_OK(buf_get_mpint_ref(&v, &nv, &nlen));
		buf_init(&bad, 0);
		uint8_t padded_e[5] = { 0, 0, 1, 0, 1 };
		CHECK_OK(buf_put_cstring(&bad, "ssh-rsa"));
		CHECK_OK(buf_put_string(&bad, padded_e, 5));
		CHECK_OK(buf_put_mpint_bytes(&bad, nv, nlen));
		CHECK_RC(key_from_blob(buf_rptr(&bad), buf_len(&bad), &k), FERRY_EKEYFORMAT);
		buf_reset(&bad);
		uint8_t even_e[3] = { 1, 0, 2 };
		CHECK_OK(buf_put_cstring(&bad, "ssh-rsa"));
		CHECK_OK(buf_put_mpint_bytes(&bad, even_e, 3));
		CHECK_OK(buf_put_mpint_bytes(&bad, nv, nlen));
		CHECK_RC(key_from_blob(buf_rptr(&bad), buf_len(&bad), &k), FERRY_EKEYFORMAT);
		buf_free(&bad);
		key_free(rsa);
	}
	buf_free(&b);
	CHECK(k == NULL);
}

static int parse_text(const char *text, size_t len)
{
	struct ferry_key *k = NULL;
	int rc = key_parse_private((const uint8_t *)text, len, &k);
	if (rc == 0)
		CHECK(k != NULL);
	key_free(k);
	return rc;
}

/* Decodes an openssh-key-v1 test file to its binary (caller frees). */
static uint8_t *openssh_binary(const char *name, size_t *lenp)
{
	char *path = keypath(name);
	char *text = slurp(path, NULL);
	free(path);
	if (text == NULL)
		return NULL;
	char *b64 = malloc(strlen(text) + 1);
	size_t n = 0;
	char *p = strstr(text, "-----\n") + 6, *end = strstr(text, "-----END");
	for (; p < end; p++)
		if (*p != '\n')
			b64[n++] = *p;
	uint8_t *bin = NULL;
	if (b64_decode(b64, n, &bin, lenp) != 0)
		bin = NULL;
	free(b64);
	free(text);
	return bin;
}

static int parse_binary(const uint8_t *bin, size_t len)
{
	char *b64 = b64_encode(bin, len);
	char *text = str_printf("-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n"
				"-----END OPENSSH PRIVATE KEY-----\n", b64);
	int rc = parse_text(text, strlen(text));
	free(b64);
	free(text);
	return rc;
}

static void test_key_files_refused(void)
{
	struct ferry_key *k = NULL;
	char *path;

	/* Missing file, a directory, an encrypted openssh key. */
	CHECK_RC(key_load_private("/nonexistent/ferry/key", &k), FERRY_ENOENT);
	CHECK_RC(key_load_public("/nonexistent/ferry/key.pub", &k), FERRY_ENOENT);
	CHECK_RC(key_load_private(FERRY_TEST_DATA "/keys", &k), FERRY_EKEYFORMAT);
	path = keypath("ed25519-encrypted");
	CHECK_RC(key_load_private(path, &k), FERRY_ENOTSUP);
	free(path);
	/* A FIFO is refused without blocking. */
	path = str_printf("%s/fifo", tmpdir);
	CHECK(mkfifo(path, 0600) == 0);
	CHECK_RC(key_load_private(path, &k), FERRY_EKEYFORMAT);
	CHECK_RC(key_load_public(path, &k), FERRY_EKEYFORMAT);
	unlink(path);
	free(path);
	/* An unreadable file (root reads anything, so only checked as another user). */
	if (geteuid() != 0) {
		path = str_printf("%s/unreadable", tmpdir);
		FILE *uf = fopen(path, "w");
		fputs("x\n", uf);
		fclose(uf);
		CHECK(chmod(path, 0) == 0);
		CHECK_RC(key_load_private(path, &k), FERRY_EPERM);
		unlink(path);
		free(path);
	}
	/* A public key file is not a private key. */
	path = keypath("ed25519.pub");
	CHECK_RC(key_load_private(path, &k), FERRY_EKEYFORMAT);
	free(path);
	CHECK_RC(parse_text("", 0), FERRY_EKEYFORMAT);
	CHECK_RC(parse_text("hello\n", 6), FERRY_EKEYFORMAT);
	const char *dsa = "-----BEGIN DSA PRIVATE KEY-----\nAAAA\n-----END DSA PRIVATE KEY-----\n";
	CHECK_RC(parse_text(dsa, strlen(dsa)), FERRY_ENOTSUP);
	const char *junk = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n";
	CHECK_RC(parse_text(junk, strlen(junk)), FERRY_EKEYFORMAT);
	CHECK(k == NULL);

	/* Encrypted PEM in both styles (made here with OpenSSL). */
	path = keypath("ecdsa256.pem");
	char *pemtext = slurp(path, NULL);
	free(path);
	CHECK(pemtext != NULL);
	if (pemtext == NULL)
		return;
	BIO *in = BIO_new_mem_buf(pemtext, -1);
	EVP_PKEY *pkey = PEM_read_bio_PrivateKey(in, NULL, NULL, NULL);
	CHECK(pkey != NULL);
	BIO *o1 = BIO_new(BIO_s_mem()), *o2 = BIO_new(BIO_s_mem());
	CHECK(PEM_write_bio_PKCS8PrivateKey(o1, pkey, EVP_aes_128_cbc(), "pw", 2, NULL, NULL) == 1);
	CHECK(PEM_write_bio_PrivateKey_traditional(o2, pkey, EVP_aes_128_cbc(),
						   (unsigned char *)"pw", 2, NULL, NULL) == 1);
	char *d1, *d2;
	long l1 = BIO_get_mem_data(o1, &d1), l2 = BIO_get_mem_data(o2, &d2);
	CHECK_RC(parse_text(d1, (size_t)l1), FERRY_ENOTSUP);
	CHECK_RC(parse_text(d2, (size_t)l2), FERRY_ENOTSUP);
	BIO_free(o1);
	BIO_free(o2);
	BIO_free(in);
	EVP_PKEY_free(pkey);

	/* Every truncation of the PEM text: an error, never a crash. */
	size_t pemlen = strlen(pemtext);
	for (size_t cut = 0; cut + 40 < pemlen; cut++)
		CHECK(parse_text(pemtext, cut) != 0);
	free(pemtext);

	/* Every truncation of each openssh binary, and each byte flipped. */
	static const char *const files[] = { "ed25519", "ecdsa384", "rsa3072" };
	for (size_t f = 0; f < 3; f++) {
		size_t len = 0;
		uint8_t *bin = openssh_binary(files[f], &len);
		CHECK(bin != NULL);
		if (bin == NULL)
			continue;
		CHECK_OK(parse_binary(bin, len));
		size_t step = len > 1000 ? 7 : 1;
		for (size_t cut = 0; cut < len; cut += step)
			CHECK(parse_binary(bin, cut) != 0);
		for (size_t i = 0; i < len; i += step) {
			bin[i] ^= 0x40;
			(void)parse_binary(bin, len); /* may parse if only the comment changed */
			bin[i] ^= 0x40;
		}
		free(bin);
	}

	/* Structural faults, one at a time, on a well-formed ed25519 file. */
	struct ferry_key *good = load_priv("ed25519");
	if (good) {
		struct buf pubblob, fields;
		buf_init(&pubblob, 0);
		buf_init(&fields, 0);
		size_t len = 0;
		uint8_t *bin = openssh_binary("ed25519", &len);
		/* Extract the private fields from the real file: after the checkints. */
		struct buf v, priv;
		const uint8_t *s;
		size_t sn;
		uint32_t u;
		buf_view(&v, bin, len);
		CHECK_OK(buf_consume(&v, 15));
		CHECK_OK(buf_get_string_ref(&v, &s, &sn));
		CHECK_OK(buf_get_string_ref(&v, &s, &sn));
		CHECK_OK(buf_get_string_ref(&v, &s, &sn));
		CHECK_OK(buf_get_u32(&v, &u));
		CHECK_OK(buf_get_string_ref(&v, &s, &sn));
		CHECK_OK(buf_put(&pubblob, s, sn));
		CHECK_OK(buf_get_string_view(&v, &priv));
		CHECK_OK(buf_consume(&priv, 8));
		size_t start = priv.rpos;
		CHECK_OK(buf_get_string_ref(&priv, &s, &sn));
		CHECK_OK(buf_get_string_ref(&priv, &s, &sn));
		CHECK_OK(buf_get_string_ref(&priv, &s, &sn));
		CHECK_OK(buf_put(&fields, priv.data + start, priv.rpos - start));

		char *t = make_openssh_file(&pubblob, &fields, "none", 1, 0x12345678, 0);
		CHECK_OK(parse_text(t, strlen(t)));
		free(t);
		t = make_openssh_file(&pubblob, &fields, "none", 1, 0x12345679, 0);
		CHECK_RC(parse_text(t, strlen(t)), FERRY_EKEYFORMAT); /* checkints differ */
		free(t);
		t = make_openssh_file(&pubblob, &fields, "none", 1, 0x12345678, 1);
		CHECK_RC(parse_text(t, strlen(t)), FERRY_EKEYFORMAT); /* padding not 1,2,3... */
		free(t);
		t = make_openssh_file(&pubblob, &fields, "none", 2, 0x12345678, 0);
		CHECK_RC(parse_text(t, strlen(t)), FERRY_EKEYFORMAT); /* nkeys != 1 */
		free(t);
		t = make_openssh_file(&pubblob, &fields, "aes256-ctr", 1, 0x12345678, 0);
		CHECK_RC(parse_text(t, strlen(t)), FERRY_ENOTSUP);     /* encrypted */
		free(t);
		/* The header's public key is another key's. */
		struct ferry_key *other = load_priv("ed25519.pkcs8");
		if (other) {
			struct buf ob;
			buf_init(&ob, 0);
			CHECK_OK(key_to_blob(other, &ob));
			t = make_openssh_file(&ob, &fields, "none", 1, 0x12345678, 0);
			CHECK_RC(parse_text(t, strlen(t)), FERRY_EKEYFORMAT);
			free(t);
			buf_free(&ob);
		}
		key_free(other);
		free(bin);
		buf_free(&pubblob);
		buf_free(&fields);
	}
	key_free(good);
}

static void test_public_lines(void)
{
	struct ferry_key *k = NULL, *ref = load_priv("ed25519");
	char *fmt = NULL, *comment = (char *)"unset";
	const char *end = NULL;
	if (ref == NULL)
		return;
	CHECK_OK(key_format_public(ref, &fmt));
	const char *b64 = strchr(fmt, ' ') + 1;

	/* Leading blanks, no comment. */
	char *line = str_printf(" \t%s\n", fmt);
	CHECK_OK(key_parse_public_line(line, &k, &comment, &end));
	CHECK(k && key_equal_public(k, ref));
	CHECK(comment == NULL);
	CHECK(end != NULL && *end == '\n');
	key_free(k);
	k = NULL;
	free(line);
	/* Comment with blanks inside, trailing blanks and CRLF trimmed. */
	line = str_printf("%s  a b\tc  \r\n", fmt);
	CHECK_OK(key_parse_public_line(line, &k, &comment, NULL));
	CHECK_STR(comment, "a b\tc");
	free(comment);
	key_free(k);
	k = NULL;
	free(line);
	/* Wrong type label for the blob; unknown type; bad or missing base64. */
	line = str_printf("ssh-rsa %s\n", b64);
	CHECK_RC(key_parse_public_line(line, &k, NULL, NULL), FERRY_EKEYFORMAT);
	free(line);
	line = str_printf("ssh-dss %s\n", b64);
	CHECK_RC(key_parse_public_line(line, &k, NULL, NULL), FERRY_ENOTSUP);
	free(line);
	CHECK_RC(key_parse_public_line("ssh-ed25519 AAAA!!!!\n", &k, NULL, NULL), FERRY_EKEYFORMAT);
	CHECK_RC(key_parse_public_line("ssh-ed25519\n", &k, NULL, NULL), FERRY_EKEYFORMAT);
	CHECK_RC(key_parse_public_line("ssh-ed25519 ", &k, NULL, NULL), FERRY_EKEYFORMAT);
	CHECK_RC(key_parse_public_line("", &k, NULL, NULL), FERRY_EKEYFORMAT);
	/* Every truncation of the base64. */
	line = strdup(fmt);
	for (size_t cut = strlen("ssh-ed25519 "); cut < strlen(fmt); cut++) {
		line[cut] = '\0';
		CHECK(key_parse_public_line(line, &k, NULL, NULL) != 0);
		line[cut] = fmt[cut];
	}
	free(line);
	CHECK(k == NULL);

	/* A public key file with comment lines before the key. */
	char *path = str_printf("%s/commented.pub", tmpdir);
	FILE *f = fopen(path, "w");
	fprintf(f, "# a comment\n\n   \n%s ferry\n", fmt);
	fclose(f);
	CHECK_OK(key_load_public(path, &k));
	CHECK(k && key_equal_public(k, ref));
	key_free(k);
	k = NULL;
	f = fopen(path, "w");
	fprintf(f, "# nothing here\n");
	fclose(f);
	CHECK_RC(key_load_public(path, &k), FERRY_EKEYFORMAT);
	unlink(path);
	free(path);
	free(fmt);
	key_free(ref);
}

/* Runs a command; returns its first output line (caller frees) or NULL. */
static char *run_line(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	if (p == NULL)
		return NULL;
	char buf[8192];
	char *res = NULL;
	if (fgets(buf, sizeof(buf), p) != NULL) {
		buf[strcspn(buf, "\n")] = '\0';
		res = strdup(buf);
	}
	if (pclose(p) != 0) {
		free(res);
		res = NULL;
	}
	return res;
}

static void save_and_check(struct ferry_key *key, const char *label, bool have_keygen)
{
	char *path = str_printf("%s/saved-%s", tmpdir, label);
	char *comment = str_printf("saved %s", label);
	struct ferry_key *back = NULL;
	struct stat st;

	CHECK_OK(key_save_private(key, path, comment));
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_OK(key_load_private(path, &back));
	if (back) {
		CHECK(key_equal_public(back, key));
		CHECK(key_has_private(back));
		/* The reloaded private key signs what the original verifies. */
		const char *alg = sigalgs_for(key_get_type(key), 0);
		struct buf sig;
		buf_init(&sig, 0);
		CHECK_OK(key_sign(back, alg, (const uint8_t *)"x", 1, &sig));
		CHECK_OK(key_verify(key, alg, buf_rptr(&sig), buf_len(&sig), (const uint8_t *)"x", 1));
		buf_free(&sig);
	}
	/* Saving over an existing file replaces it. */
	CHECK_OK(key_save_private(key, path, comment));
	if (have_keygen) {
		/* OpenSSH reads the file and derives the same public key line and comment. */
		char *cmd = str_printf("ssh-keygen -y -f '%s' 2>/dev/null", path);
		char *out = run_line(cmd);
		char *fmt = NULL;
		CHECK_OK(key_format_public(key, &fmt));
		char *want = str_printf("%s %s", fmt, comment);
		CHECK(out != NULL);
		if (out) {
			CHECK_STR(out, want);
		}
		free(out);
		free(cmd);
		free(want);
		free(fmt);
	}
	key_free(back);
	unlink(path);
	free(path);
	free(comment);
}

static void test_save_private(void)
{
	bool have_keygen = system("ssh-keygen -? >/dev/null 2>&1; command -v ssh-keygen >/dev/null") == 0;
	if (!have_keygen)
		printf("  (ssh-keygen not found: skipping its cross-check)\n");
	static const char *const files[] = { "ed25519", "ecdsa256", "ecdsa384", "ecdsa521",
					     "rsa3072", "rsa3072.pem", "ecdsa256.pkcs8",
					     "ed25519.pkcs8" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct ferry_key *k = load_priv(files[i]);
		if (k)
			save_and_check(k, files[i], have_keygen);
		key_free(k);
	}
	static const enum key_type types[] = { KEY_ED25519, KEY_ECDSA_P384, KEY_RSA };
	for (size_t i = 0; i < 3; i++) {
		struct ferry_key *k = NULL;
		CHECK_OK(key_generate(types[i], types[i] == KEY_RSA ? 2048 : 0, &k));
		if (k) {
			char *label = str_printf("generated%zu", i);
			save_and_check(k, label, have_keygen);
			free(label);
		}
		key_free(k);
	}
	/* A public key cannot be saved as a private one. */
	struct ferry_key *priv = load_priv("ed25519"), *pub = NULL;
	if (priv) {
		struct buf b;
		buf_init(&b, 0);
		CHECK_OK(key_to_blob(priv, &b));
		CHECK_OK(key_from_blob(buf_rptr(&b), buf_len(&b), &pub));
		char *path = str_printf("%s/nope", tmpdir);
		CHECK_RC(key_save_private(pub, path, NULL), FERRY_EINVAL);
		CHECK(access(path, F_OK) != 0);
		/* Into a directory that does not exist. */
		char *bad = str_printf("%s/no/such/dir/key", tmpdir);
		CHECK_RC(key_save_private(priv, bad, NULL), FERRY_ENOENT);
		free(bad);
		free(path);
		buf_free(&b);
	}
	key_free(priv);
	key_free(pub);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ferry-test-key-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN_TEST(test_names);
	RUN_TEST(test_load_all_keys);
	RUN_TEST(test_sign_verify_every_type);
	RUN_TEST(test_rsa_short_signature);
	RUN_TEST(test_ed25519_rfc8032);
	RUN_TEST(test_openssh_made_signatures);
	RUN_TEST(test_blob_refused);
	RUN_TEST(test_key_files_refused);
	RUN_TEST(test_public_lines);
	RUN_TEST(test_save_private);
	rmdir(tmpdir);
	return check_report();
}
