/* Unit tests for the SSH transport (proto/transport.c, proto/kex.c): a client and a server
 * transport talk to each other in memory, through every cipher, MAC, KEX and host key type;
 * rekeying, hold-back during KEX, tampering and strict-KEX rules. */
#include "proto/transport.h"
#include "proto/ssh-msg.h"
#include "crypto/cipher.h"
#include "crypto/kex.h"
#include "crypto/key.h"
#include "common/text.h"
#include "check.h"

#include <stdlib.h>

static struct ferry_key *host_keys[5];
static int hostkey_calls;

static int accept_key(void *arg, const struct ferry_key *key)
{
	hostkey_calls++;
	return 0;
}

static int refuse_key(void *arg, const struct ferry_key *key)
{
	return FERRY_EHOSTKEY;
}

/* Moves all pending output of a to the input of b. */
static void pipe_bytes(struct ssh_transport *a, struct ssh_transport *b)
{
	struct buf tmp;
	buf_init(&tmp, 0);
	ssh_transport_output_swap(a, &tmp);
	if (buf_len(&tmp))
		CHECK_OK(ssh_transport_input(b, buf_rptr(&tmp), buf_len(&tmp)));
	buf_free(&tmp);
}

/* Runs both sides until neither has output; collects one upper-layer message per side if any.
 * Returns the first fatal error seen (or 0). */
static int run_pair(struct ssh_transport *c, struct ssh_transport *s, struct buf *got_c, struct buf *got_s)
{
	for (int round = 0; round < 50; round++) {
		pipe_bytes(c, s);
		pipe_bytes(s, c);
		for (int side = 0; side < 2; side++) {
			struct ssh_transport *t = side ? s : c;
			struct buf *got = side ? got_s : got_c;
			for (;;) {
				uint8_t type;
				struct buf m;
				int r = ssh_transport_recv(t, &type, &m);
				if (r == FERRY_EAGAIN)
					break;
				if (r)
					return r;
				if (got) {
					CHECK_OK(buf_put_u8(got, type));
					CHECK_OK(buf_put(got, buf_rptr(&m), buf_len(&m)));
				}
			}
		}
		if (ssh_transport_output_len(c) == 0 && ssh_transport_output_len(s) == 0)
			return 0;
	}
	return 0;
}

static void make_pair(const char *kex, const char *hk, const char *cipher, const char *mac,
		      struct ssh_transport **c, struct ssh_transport **s)
{
	struct ssh_transport_config cc = { .role = SSH_ROLE_CLIENT, .kex_algs = kex, .hostkey_algs = hk,
					   .ciphers = cipher, .macs = mac, .verify_hostkey = accept_key };
	struct ssh_transport_config sc = { .role = SSH_ROLE_SERVER, .host_keys = host_keys, .n_host_keys = 5 };
	CHECK_OK(ssh_transport_new(&cc, c));
	CHECK_OK(ssh_transport_new(&sc, s));
}

/* Sends a message each way and checks it arrives intact. */
static void check_traffic(struct ssh_transport *c, struct ssh_transport *s, size_t size)
{
	uint8_t *msg = malloc(size);
	for (size_t i = 0; i < size; i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	msg[0] = SSH_MSG_CHANNEL_DATA;
	struct buf gc, gs;
	buf_init(&gc, 0);
	buf_init(&gs, 0);
	CHECK_OK(ssh_transport_send(c, msg, size));
	CHECK_OK(ssh_transport_send(s, msg, size));
	CHECK_OK(run_pair(c, s, &gc, &gs));
	CHECK(buf_len(&gc) == size && memcmp(buf_rptr(&gc), msg, size) == 0);
	CHECK(buf_len(&gs) == size && memcmp(buf_rptr(&gs), msg, size) == 0);
	buf_free(&gc);
	buf_free(&gs);
	free(msg);
}

static void one_combo(const char *kex, const char *hk, const char *cipher, const char *mac)
{
	struct ssh_transport *c = NULL, *s = NULL;
	make_pair(kex, hk, cipher, mac, &c, &s);
	int r = run_pair(c, s, NULL, NULL);
	CHECK_OK(r);
	if (r)
		fprintf(stderr, "  %s %s %s %s: %s / %s\n", kex, hk, cipher, mac, ssh_transport_error(c),
			ssh_transport_error(s));
	CHECK(ssh_transport_ready(c) && ssh_transport_ready(s));
	CHECK_STR(ssh_transport_kex_name(c), kex);
	CHECK_STR(ssh_transport_cipher_name(c, true), cipher);
	if (ssh_transport_ready(c)) {
		check_traffic(c, s, 1);
		check_traffic(c, s, 1000);
		check_traffic(c, s, 100000);
	}
	ssh_transport_free(c);
	ssh_transport_free(s);
}

static void test_every_cipher_and_mac(void)
{
	const char *aead[] = { "aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com" };
	const char *ctr[] = { "aes128-ctr", "aes192-ctr", "aes256-ctr" };
	const char *macs[] = { "hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com",
			       "hmac-sha1-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512", "hmac-sha1" };
	for (int i = 0; i < 3; i++)
		one_combo("curve25519-sha256", "ssh-ed25519", aead[i], "hmac-sha2-256");
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 6; j++)
			one_combo("curve25519-sha256", "ssh-ed25519", ctr[i], macs[j]);
}

static void test_every_kex(void)
{
	const char *kex[] = { "curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256",
			      "ecdh-sha2-nistp384", "ecdh-sha2-nistp521", "diffie-hellman-group14-sha256",
			      "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512",
			      "diffie-hellman-group-exchange-sha256" };
	for (size_t i = 0; i < sizeof(kex) / sizeof(kex[0]); i++)
		one_combo(kex[i], "ssh-ed25519", "aes128-gcm@openssh.com", "hmac-sha2-256");
}

static void test_every_host_key(void)
{
	const char *hk[] = { "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
			     "ecdsa-sha2-nistp521", "rsa-sha2-256", "rsa-sha2-512" };
	for (size_t i = 0; i < sizeof(hk) / sizeof(hk[0]); i++)
		one_combo("curve25519-sha256", hk[i], "chacha20-poly1305@openssh.com", "hmac-sha2-256");
}

static void test_rekey_both_ways(void)
{
	struct ssh_transport *c = NULL, *s = NULL;
	make_pair("curve25519-sha256", "ssh-ed25519", "aes128-ctr", "hmac-sha2-256-etm@openssh.com", &c, &s);
	CHECK_OK(run_pair(c, s, NULL, NULL));
	CHECK(ssh_transport_kex_count(c) == 1);
	CHECK_OK(ssh_transport_rekey(c));
	/* Upper-layer messages sent during the exchange are held and still arrive, in order. */
	check_traffic(c, s, 5000);
	CHECK(ssh_transport_kex_count(c) == 2 && ssh_transport_kex_count(s) == 2);
	CHECK_OK(ssh_transport_rekey(s));
	check_traffic(c, s, 5000);
	CHECK(ssh_transport_kex_count(c) == 3 && ssh_transport_kex_count(s) == 3);
	ssh_transport_free(c);
	ssh_transport_free(s);
}

static void test_rekey_by_volume(void)
{
	struct ssh_transport_config cc = { .role = SSH_ROLE_CLIENT, .verify_hostkey = accept_key,
					   .rekey_bytes = 64 * 1024 };
	struct ssh_transport_config sc = { .role = SSH_ROLE_SERVER, .host_keys = host_keys, .n_host_keys = 5 };
	struct ssh_transport *c = NULL, *s = NULL;
	CHECK_OK(ssh_transport_new(&cc, &c));
	CHECK_OK(ssh_transport_new(&sc, &s));
	CHECK_OK(run_pair(c, s, NULL, NULL));
	for (int i = 0; i < 20; i++)
		check_traffic(c, s, 30000);
	CHECK(ssh_transport_kex_count(c) >= 5);
	ssh_transport_free(c);
	ssh_transport_free(s);
}

static void test_refused_host_key(void)
{
	struct ssh_transport_config cc = { .role = SSH_ROLE_CLIENT, .verify_hostkey = refuse_key };
	struct ssh_transport_config sc = { .role = SSH_ROLE_SERVER, .host_keys = host_keys, .n_host_keys = 5 };
	struct ssh_transport *c = NULL, *s = NULL;
	CHECK_OK(ssh_transport_new(&cc, &c));
	CHECK_OK(ssh_transport_new(&sc, &s));
	CHECK_RC(run_pair(c, s, NULL, NULL), FERRY_EHOSTKEY);
	CHECK(ssh_transport_dead(c));
	ssh_transport_free(c);
	ssh_transport_free(s);
}

static void test_no_common_cipher(void)
{
	struct ssh_transport *c = NULL, *s = NULL;
	struct ssh_transport_config cc = { .role = SSH_ROLE_CLIENT, .ciphers = "aes128-ctr",
					   .verify_hostkey = accept_key };
	struct ssh_transport_config sc = { .role = SSH_ROLE_SERVER, .ciphers = "aes256-gcm@openssh.com",
					   .host_keys = host_keys, .n_host_keys = 5 };
	CHECK_OK(ssh_transport_new(&cc, &c));
	CHECK_OK(ssh_transport_new(&sc, &s));
	CHECK_RC(run_pair(c, s, NULL, NULL), FERRY_ENOMATCH);
	CHECK(strstr(ssh_transport_error(c), "no matching client to server cipher") != NULL);
	ssh_transport_free(c);
	ssh_transport_free(s);
}

static void test_tampered_packet_fails(void)
{
	struct ssh_transport *c = NULL, *s = NULL;
	make_pair("curve25519-sha256", "ssh-ed25519", "aes256-gcm@openssh.com", "hmac-sha2-256", &c, &s);
	CHECK_OK(run_pair(c, s, NULL, NULL));
	uint8_t msg[100] = { SSH_MSG_CHANNEL_DATA };
	CHECK_OK(ssh_transport_send(c, msg, sizeof(msg)));
	struct buf tmp;
	buf_init(&tmp, 0);
	ssh_transport_output_swap(c, &tmp);
	buf_mutable_rptr(&tmp)[20] ^= 1;
	CHECK_OK(ssh_transport_input(s, buf_rptr(&tmp), buf_len(&tmp)));
	uint8_t type;
	struct buf m;
	CHECK_RC(ssh_transport_recv(s, &type, &m), FERRY_EMAC);
	CHECK(strstr(ssh_transport_error(s), "MAC") != NULL);
	/* The failed side queued a DISCONNECT for its peer. */
	CHECK(ssh_transport_output_len(s) > 0);
	buf_free(&tmp);
	ssh_transport_free(c);
	ssh_transport_free(s);
}

/* Builds a cleartext packet around payload. */
static void put_packet(struct buf *b, const uint8_t *payload, size_t n)
{
	size_t pad = 8 - ((5 + n) % 8);
	if (pad < 4)
		pad += 8;
	CHECK_OK(buf_put_u32(b, (uint32_t)(1 + n + pad)));
	CHECK_OK(buf_put_u8(b, (uint8_t)pad));
	CHECK_OK(buf_put(b, payload, n));
	uint8_t zeros[16] = { 0 };
	CHECK_OK(buf_put(b, zeros, pad));
}

static void test_bad_framing(void)
{
	static const struct { uint32_t len; int want; } cases[] = {
		{ 0, FERRY_EPROTO }, { 5, FERRY_EPROTO }, { 0xffffffffu, FERRY_EPROTO },
		{ 256 * 1024 + 1, FERRY_EPROTO }, { 12, FERRY_EPROTO } /* not a multiple of 8 with the length */,
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ssh_transport_config cc = { .role = SSH_ROLE_CLIENT, .verify_hostkey = accept_key };
		struct ssh_transport *c = NULL;
		CHECK_OK(ssh_transport_new(&cc, &c));
		struct buf in;
		buf_init(&in, 0);
		CHECK_OK(buf_put(&in, "SSH-2.0-test\r\n", 14));
		CHECK_OK(buf_put_u32(&in, cases[i].len));
		uint8_t zeros[64] = { 10 };
		CHECK_OK(buf_put(&in, zeros, sizeof(zeros)));
		CHECK_OK(ssh_transport_input(c, buf_rptr(&in), buf_len(&in)));
		uint8_t type;
		struct buf m;
		CHECK_RC(ssh_transport_recv(c, &type, &m), cases[i].want);
		buf_free(&in);
		ssh_transport_free(c);
	}
	/* Padding longer than the packet. */
	struct ssh_transport_config cc = { .role = SSH_ROLE_CLIENT, .verify_hostkey = accept_key };
	struct ssh_transport *c = NULL;
	CHECK_OK(ssh_transport_new(&cc, &c));
	const uint8_t bad[] = { 'S', 'S', 'H', '-', '2', '.', '0', '-', 'x', '\n', 0, 0, 0, 12, 200, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	CHECK_OK(ssh_transport_input(c, bad, sizeof(bad)));
	uint8_t type;
	struct buf m;
	CHECK_RC(ssh_transport_recv(c, &type, &m), FERRY_EPROTO);
	CHECK(strstr(ssh_transport_error(c), "padding") != NULL);
	ssh_transport_free(c);
}

static void test_banner_rules(void)
{
	/* A few lines before the version are fine for a client. */
	struct ssh_transport_config cc = { .role = SSH_ROLE_CLIENT, .verify_hostkey = accept_key };
	struct ssh_transport *c = NULL;
	CHECK_OK(ssh_transport_new(&cc, &c));
	const char *ok = "hello\r\nthere\nSSH-2.0-OpenSSH_9.9 test\r\n";
	CHECK_OK(ssh_transport_input(c, ok, strlen(ok)));
	uint8_t type;
	struct buf m;
	CHECK_RC(ssh_transport_recv(c, &type, &m), FERRY_EAGAIN);
	CHECK_STR(ssh_transport_peer_version(c), "SSH-2.0-OpenSSH_9.9 test");
	ssh_transport_free(c);
	/* Version 1 is refused. */
	CHECK_OK(ssh_transport_new(&cc, &c));
	CHECK_OK(ssh_transport_input(c, "SSH-1.5-old\r\n", 13));
	CHECK_RC(ssh_transport_recv(c, &type, &m), FERRY_EPROTO);
	ssh_transport_free(c);
	/* An endless line without a newline is refused, not buffered forever. */
	CHECK_OK(ssh_transport_new(&cc, &c));
	char junk[9000];
	memset(junk, 'x', sizeof(junk));
	CHECK_OK(ssh_transport_input(c, junk, sizeof(junk)));
	CHECK_RC(ssh_transport_recv(c, &type, &m), FERRY_EPROTO);
	ssh_transport_free(c);
	/* A server receiving junk instead of a version refuses it. */
	struct ssh_transport_config sc = { .role = SSH_ROLE_SERVER, .host_keys = host_keys, .n_host_keys = 5 };
	CHECK_OK(ssh_transport_new(&sc, &c));
	CHECK_OK(ssh_transport_input(c, "GET / HTTP/1.0\r\n", 16));
	CHECK_RC(ssh_transport_recv(c, &type, &m), FERRY_EPROTO);
	ssh_transport_free(c);
}

static void test_strict_kex_rules(void)
{
	/* A server that sends IGNORE before its KEXINIT while offering strict KEX is refused. */
	struct ssh_transport_config cc = { .role = SSH_ROLE_CLIENT, .verify_hostkey = accept_key };
	struct ssh_transport_config sc = { .role = SSH_ROLE_SERVER, .host_keys = host_keys, .n_host_keys = 5 };
	struct ssh_transport *c = NULL, *s = NULL;
	CHECK_OK(ssh_transport_new(&cc, &c));
	CHECK_OK(ssh_transport_new(&sc, &s));
	struct buf out;
	buf_init(&out, 0);
	ssh_transport_output_swap(s, &out);
	/* Split the server's output after its version line and put an IGNORE packet there. */
	const uint8_t *p = buf_rptr(&out);
	const uint8_t *nl = memchr(p, '\n', buf_len(&out));
	size_t vlen = (size_t)(nl - p) + 1;
	struct buf in;
	buf_init(&in, 0);
	CHECK_OK(buf_put(&in, p, vlen));
	uint8_t ign[] = { SSH_MSG_IGNORE, 0, 0, 0, 0 };
	put_packet(&in, ign, sizeof(ign));
	CHECK_OK(buf_put(&in, p + vlen, buf_len(&out) - vlen));
	CHECK_OK(ssh_transport_input(c, buf_rptr(&in), buf_len(&in)));
	uint8_t type;
	struct buf m;
	CHECK_RC(ssh_transport_recv(c, &type, &m), FERRY_EPROTO);
	CHECK(strstr(ssh_transport_error(c), "strict KEX") != NULL);
	buf_free(&in);
	buf_free(&out);
	ssh_transport_free(c);
	ssh_transport_free(s);
}

static void test_upper_message_during_kex_refused(void)
{
	/* A USERAUTH_SUCCESS in the middle of the initial key exchange is a protocol error. */
	struct ssh_transport_config cc = { .role = SSH_ROLE_CLIENT, .verify_hostkey = accept_key };
	struct ssh_transport *c = NULL;
	CHECK_OK(ssh_transport_new(&cc, &c));
	struct buf in;
	buf_init(&in, 0);
	CHECK_OK(buf_put(&in, "SSH-2.0-x\r\n", 11));
	uint8_t ok[] = { SSH_MSG_USERAUTH_SUCCESS };
	put_packet(&in, ok, sizeof(ok));
	CHECK_OK(ssh_transport_input(c, buf_rptr(&in), buf_len(&in)));
	uint8_t type;
	struct buf m;
	CHECK_RC(ssh_transport_recv(c, &type, &m), FERRY_EPROTO);
	buf_free(&in);
	ssh_transport_free(c);
}

int main(void)
{
	CHECK_OK(key_generate(KEY_ED25519, 0, &host_keys[0]));
	CHECK_OK(key_generate(KEY_ECDSA_P256, 0, &host_keys[1]));
	CHECK_OK(key_generate(KEY_ECDSA_P384, 0, &host_keys[2]));
	CHECK_OK(key_generate(KEY_ECDSA_P521, 0, &host_keys[3]));
	CHECK_OK(key_generate(KEY_RSA, 2048, &host_keys[4]));
	RUN_TEST(test_every_cipher_and_mac);
	RUN_TEST(test_every_kex);
	RUN_TEST(test_every_host_key);
	RUN_TEST(test_rekey_both_ways);
	RUN_TEST(test_rekey_by_volume);
	RUN_TEST(test_refused_host_key);
	RUN_TEST(test_no_common_cipher);
	RUN_TEST(test_tampered_packet_fails);
	RUN_TEST(test_bad_framing);
	RUN_TEST(test_banner_rules);
	RUN_TEST(test_strict_kex_rules);
	RUN_TEST(test_upper_message_during_kex_refused);
	for (int i = 0; i < 5; i++)
		key_free(host_keys[i]);
	return check_report();
}
