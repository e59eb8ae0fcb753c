/* Unit tests for the client's userauth and connection layers (proto/client.c), fed scripted
 * server messages in cleartext (the key exchange is skipped with proto/testing.h): the auth
 * sequence, several channels, windows, EOF/CLOSE, requests, and messages out of place. */
#include "proto/client.h"
#include "proto/ssh-msg.h"
#include "proto/testing.h"
#include "crypto/key.h"
#include "check.h"

#include <stdlib.h>

static struct ferry_key *user_key;

/* Appends one cleartext packet (RFC 4253 §6) holding payload to b. */
static void put_packet(struct buf *b, const struct buf *payload)
{
	size_t n = buf_len(payload);
	size_t pad = 8 - ((5 + n) % 8);
	if (pad < 4)
		pad += 8;
	CHECK_OK(buf_put_u32(b, (uint32_t)(1 + n + pad)));
	CHECK_OK(buf_put_u8(b, (uint8_t)pad));
	CHECK_OK(buf_put(b, buf_rptr(payload), n));
	uint8_t zeros[16] = { 0 };
	CHECK_OK(buf_put(b, zeros, pad));
}

struct peer {
	struct ssh_client *c;
	struct ssh_transport *t;
	struct buf sent;          /* the client's output so far, unparsed */
	bool skipped_preamble;    /* its version line and first KEXINIT are gone */
};

static struct ssh_client *new_client(bool with_key, bool skip_auth)
{
	struct ssh_client_config cfg = { .user = "alice", .pubkey_auth = true, .password_auth = true };
	cfg.transport.role = SSH_ROLE_CLIENT;
	if (with_key) {
		cfg.keys = &user_key;
		cfg.n_keys = 1;
	}
	struct ssh_client *c = NULL;
	CHECK_OK(ssh_client_new(&cfg, &c));
	CHECK_OK(ssh_transport_input(ssh_client_transport(c), "SSH-2.0-test\r\n", 14));
	if (skip_auth)
		ssh_client_testing_skip_auth(c);
	else
		ssh_transport_testing_skip_kex(ssh_client_transport(c));
	return c;
}

static void peer_init(struct peer *p, bool with_key, bool skip_auth)
{
	memset(p, 0, sizeof(*p));
	p->c = new_client(with_key, skip_auth);
	p->t = ssh_client_transport(p->c);
	buf_init(&p->sent, 0);
}

static void peer_free(struct peer *p)
{
	ssh_client_free(p->c);
	buf_free(&p->sent);
}

/* Gives the client one server message (type + the fields in m). */
static void feed(struct peer *p, uint8_t type, const struct buf *fields)
{
	struct buf payload, pkt;
	buf_init(&payload, 0);
	buf_init(&pkt, 0);
	CHECK_OK(buf_put_u8(&payload, type));
	if (fields)
		CHECK_OK(buf_put(&payload, buf_rptr(fields), buf_len(fields)));
	put_packet(&pkt, &payload);
	CHECK_OK(ssh_transport_input(p->t, buf_rptr(&pkt), buf_len(&pkt)));
	buf_free(&payload);
	buf_free(&pkt);
}

/* The next message the client sent, as a view into p->sent (valid until the next call);
 * returns its type, or 0 when there is none. */
static uint8_t next_sent(struct peer *p, struct buf *msg)
{
	struct buf out;
	buf_init(&out, 0);
	ssh_transport_output_swap(p->t, &out);
	CHECK_OK(buf_put(&p->sent, buf_rptr(&out), buf_len(&out)));
	buf_free(&out);
	if (!p->skipped_preamble) {
		const uint8_t *nl = memchr(buf_rptr(&p->sent), '\n', buf_len(&p->sent));
		CHECK(nl != NULL);
		buf_consume(&p->sent, (size_t)(nl - buf_rptr(&p->sent)) + 1);
		p->skipped_preamble = true;
		struct buf kexinit;
		CHECK(next_sent(p, &kexinit) == SSH_MSG_KEXINIT);
	}
	if (buf_len(&p->sent) < 5)
		return 0;
	uint32_t len = peek_u32(buf_rptr(&p->sent));
	uint8_t pad = buf_rptr(&p->sent)[4];
	buf_view(msg, buf_rptr(&p->sent) + 5, len - pad - 1);
	buf_consume(&p->sent, 4 + len);
	uint8_t type;
	CHECK_OK(buf_get_u8(msg, &type));
	return type;
}

static int next_event(struct peer *p, struct ssh_event *ev)
{
	return ssh_client_next(p->c, ev);
}

static void test_publickey_auth_sequence(void)
{
	struct peer p;
	struct ssh_event ev;
	struct buf m, f;
	peer_init(&p, true, false);
	buf_init(&f, 0);
	CHECK_RC(next_event(&p, &ev), FERRY_EAGAIN);
	CHECK(next_sent(&p, &m) == SSH_MSG_SERVICE_REQUEST);
	CHECK_OK(buf_put_cstring(&f, "ssh-userauth"));
	feed(&p, SSH_MSG_SERVICE_ACCEPT, &f);
	CHECK_RC(next_event(&p, &ev), FERRY_EAGAIN);
	CHECK(next_sent(&p, &m) == SSH_MSG_USERAUTH_REQUEST);
	char *user = NULL, *service = NULL, *method = NULL;
	CHECK_OK(buf_get_cstring(&m, &user, NULL));
	CHECK_OK(buf_get_cstring(&m, &service, NULL));
	CHECK_OK(buf_get_cstring(&m, &method, NULL));
	CHECK_STR(user, "alice");
	CHECK_STR(service, "ssh-connection");
	CHECK_STR(method, "none");
	free(user); free(service); free(method);
	/* The server says publickey,password: the key is offered without a signature first. */
	buf_reset(&f);
	CHECK_OK(buf_put_cstring(&f, "publickey,password"));
	CHECK_OK(buf_put_bool(&f, false));
	feed(&p, SSH_MSG_USERAUTH_FAILURE, &f);
	CHECK_RC(next_event(&p, &ev), FERRY_EAGAIN);
	CHECK(next_sent(&p, &m) == SSH_MSG_USERAUTH_REQUEST);
	const uint8_t *s; size_t n; bool has_sig;
	CHECK_OK(buf_get_string_ref(&m, &s, &n));
	CHECK_OK(buf_get_string_ref(&m, &s, &n));
	CHECK_OK(buf_get_string_ref(&m, &s, &n));
	CHECK(n == 9 && memcmp(s, "publickey", 9) == 0);
	CHECK_OK(buf_get_bool(&m, &has_sig));
	CHECK(!has_sig);
	const uint8_t *alg, *blob; size_t alen, blen;
	CHECK_OK(buf_get_string_ref(&m, &alg, &alen));
	CHECK_OK(buf_get_string_ref(&m, &blob, &blen));
	/* PK_OK for that key: now it signs. */
	buf_reset(&f);
	CHECK_OK(buf_put_string(&f, alg, alen));
	CHECK_OK(buf_put_string(&f, blob, blen));
	feed(&p, SSH_MSG_USERAUTH_PK_OK, &f);
	CHECK_RC(next_event(&p, &ev), FERRY_EAGAIN);
	CHECK(next_sent(&p, &m) == SSH_MSG_USERAUTH_REQUEST);
	CHECK_OK(buf_get_string_ref(&m, &s, &n));
	CHECK_OK(buf_get_string_ref(&m, &s, &n));
	CHECK_OK(buf_get_string_ref(&m, &s, &n));
	CHECK_OK(buf_get_bool(&m, &has_sig));
	CHECK(has_sig);
	feed(&p, SSH_MSG_USERAUTH_SUCCESS, NULL);
	CHECK_OK(next_event(&p, &ev));
	CHECK(ev.type == SSH_EV_AUTHENTICATED);
	CHECK(ssh_client_authenticated(p.c));
	buf_free(&f);
	peer_free(&p);
}

static void test_password_after_keys_fail(void)
{
	struct peer p;
	struct ssh_event ev;
	struct buf m, f;
	peer_init(&p, false, false);
	buf_init(&f, 0);
	CHECK_RC(next_event(&p, &ev), FERRY_EAGAIN);
	CHECK_OK(buf_put_cstring(&f, "ssh-userauth"));
	feed(&p, SSH_MSG_SERVICE_ACCEPT, &f);
	CHECK_RC(next_event(&p, &ev), FERRY_EAGAIN);
	buf_reset(&f);
	CHECK_OK(buf_put_cstring(&f, "password"));
	CHECK_OK(buf_put_bool(&f, false));
	feed(&p, SSH_MSG_USERAUTH_FAILURE, &f);
	CHECK_OK(next_event(&p, &ev));
	CHECK(ev.type == SSH_EV_NEED_PASSWORD);
	CHECK_OK(ssh_client_password(p.c, "secret"));
	CHECK(next_sent(&p, &m) == SSH_MSG_SERVICE_REQUEST);
	CHECK(next_sent(&p, &m) == SSH_MSG_USERAUTH_REQUEST); /* none */
	CHECK(next_sent(&p, &m) == SSH_MSG_USERAUTH_REQUEST); /* password */
	/* Three failures, then the client gives up with OpenSSH's message. */
	for (int i = 0; i < 2; i++) {
		feed(&p, SSH_MSG_USERAUTH_FAILURE, &f);
		CHECK_OK(next_event(&p, &ev));
		CHECK(ev.type == SSH_EV_NEED_PASSWORD);
		CHECK_OK(ssh_client_password(p.c, "secret"));
	}
	feed(&p, SSH_MSG_USERAUTH_FAILURE, &f);
	CHECK_RC(next_event(&p, &ev), FERRY_EAUTH);
	CHECK_STR(ssh_client_error(p.c), "Permission denied (password).");
	buf_free(&f);
	peer_free(&p);
}

static void test_unsolicited_success_refused(void)
{
	struct peer p;
	struct ssh_event ev;
	peer_init(&p, true, false);
	CHECK_RC(next_event(&p, &ev), FERRY_EAGAIN);   /* SERVICE_REQUEST out */
	feed(&p, SSH_MSG_USERAUTH_SUCCESS, NULL);     /* before SERVICE_ACCEPT */
	CHECK_RC(next_event(&p, &ev), FERRY_EPROTO);
	peer_free(&p);
}

static void test_channel_data_before_auth_refused(void)
{
	struct peer p;
	struct ssh_event ev;
	struct buf f;
	peer_init(&p, true, false);
	buf_init(&f, 0);
	CHECK_OK(buf_put_u32(&f, 0));
	CHECK_OK(buf_put_cstring(&f, "hi"));
	feed(&p, SSH_MSG_CHANNEL_DATA, &f);
	CHECK_RC(next_event(&p, &ev), FERRY_EPROTO);
	CHECK(strstr(ssh_client_error(p.c), "before authentication") != NULL);
	buf_free(&f);
	peer_free(&p);
}

/* Confirms channel id as remote id rid with the given window and packet size. */
static void confirm(struct peer *p, uint32_t id, uint32_t rid, uint32_t window, uint32_t maxpkt)
{
	struct buf f;
	struct ssh_event ev;
	buf_init(&f, 0);
	CHECK_OK(buf_put_u32(&f, id));
	CHECK_OK(buf_put_u32(&f, rid));
	CHECK_OK(buf_put_u32(&f, window));
	CHECK_OK(buf_put_u32(&f, maxpkt));
	feed(p, SSH_MSG_CHANNEL_OPEN_CONFIRMATION, &f);
	CHECK_OK(next_event(p, &ev));
	CHECK(ev.type == SSH_EV_CHAN_OPENED && ev.chan == id);
	buf_free(&f);
}

static void test_two_channels_windows_and_close(void)
{
	struct peer p;
	struct ssh_event ev;
	struct buf m, f;
	uint32_t a, b;
	peer_init(&p, false, true);
	buf_init(&f, 0);
	CHECK_OK(ssh_chan_open_session(p.c, &a));
	CHECK_OK(ssh_chan_open_session(p.c, &b));
	CHECK(a != b);
	CHECK(next_sent(&p, &m) == SSH_MSG_CHANNEL_OPEN);
	CHECK(next_sent(&p, &m) == SSH_MSG_CHANNEL_OPEN);
	confirm(&p, a, 100, 10, 4);
	confirm(&p, b, 200, 1000, 1000);
	/* Channel a: window 10, packets of 4: 10 of 25 bytes go, in 4+4+2. */
	size_t sent = 0;
	const uint8_t data[25] = "abcdefghijklmnopqrstuvwxy";
	CHECK_OK(ssh_chan_send(p.c, a, 0, data, sizeof(data), &sent));
	CHECK(sent == 10);
	CHECK(ssh_chan_send_room(p.c, a) == 0);
	uint32_t rid, len;
	CHECK(next_sent(&p, &m) == SSH_MSG_CHANNEL_DATA);
	CHECK_OK(buf_get_u32(&m, &rid));
	CHECK_OK(buf_get_u32(&m, &len));
	CHECK(rid == 100 && len == 4);
	CHECK(next_sent(&p, &m) == SSH_MSG_CHANNEL_DATA);
	CHECK(next_sent(&p, &m) == SSH_MSG_CHANNEL_DATA);
	CHECK_OK(buf_get_u32(&m, &rid));
	CHECK_OK(buf_get_u32(&m, &len));
	CHECK(len == 2);
	/* The window reopens. */
	buf_reset(&f);
	CHECK_OK(buf_put_u32(&f, a));
	CHECK_OK(buf_put_u32(&f, 100));
	feed(&p, SSH_MSG_CHANNEL_WINDOW_ADJUST, &f);
	CHECK_OK(next_event(&p, &ev));
	CHECK(ev.type == SSH_EV_CHAN_WINDOW && ev.chan == a);
	CHECK(ssh_chan_send_room(p.c, a) == 100);
	/* Data for b arrives as b's, stderr marked. */
	buf_reset(&f);
	CHECK_OK(buf_put_u32(&f, b));
	CHECK_OK(buf_put_u32(&f, SSH_EXTENDED_DATA_STDERR));
	CHECK_OK(buf_put_cstring(&f, "oops"));
	feed(&p, SSH_MSG_CHANNEL_EXTENDED_DATA, &f);
	CHECK_OK(next_event(&p, &ev));
	CHECK(ev.type == SSH_EV_CHAN_DATA && ev.chan == b && ev.ext == 1 && ev.len == 4);
	/* exit-status, EOF, CLOSE for b: the client answers CLOSE and frees b. */
	buf_reset(&f);
	CHECK_OK(buf_put_u32(&f, b));
	CHECK_OK(buf_put_cstring(&f, "exit-status"));
	CHECK_OK(buf_put_bool(&f, false));
	CHECK_OK(buf_put_u32(&f, 42));
	feed(&p, SSH_MSG_CHANNEL_REQUEST, &f);
	CHECK_OK(next_event(&p, &ev));
	CHECK(ev.type == SSH_EV_CHAN_EXIT_STATUS && ev.code == 42);
	buf_reset(&f);
	CHECK_OK(buf_put_u32(&f, b));
	feed(&p, SSH_MSG_CHANNEL_EOF, &f);
	CHECK_OK(next_event(&p, &ev));
	CHECK(ev.type == SSH_EV_CHAN_EOF);
	feed(&p, SSH_MSG_CHANNEL_CLOSE, &f);
	CHECK_OK(next_event(&p, &ev));
	CHECK(ev.type == SSH_EV_CHAN_CLOSED && ev.chan == b);
	while (next_sent(&p, &m) == SSH_MSG_CHANNEL_DATA)
		;
	/* Channel a is still open. */
	CHECK(ssh_chan_open(p.c, a));
	CHECK(!ssh_chan_open(p.c, b));
	buf_free(&f);
	peer_free(&p);
}

static void test_window_overrun_refused(void)
{
	struct peer p;
	struct ssh_event ev;
	struct buf m, f;
	uint32_t a;
	peer_init(&p, false, true);
	buf_init(&f, 0);
	CHECK_OK(ssh_chan_open_session(p.c, &a));
	CHECK(next_sent(&p, &m) == SSH_MSG_CHANNEL_OPEN);
	uint32_t id, window, maxpkt;
	const uint8_t *s; size_t n;
	CHECK_OK(buf_get_string_ref(&m, &s, &n));
	CHECK_OK(buf_get_u32(&m, &id));
	CHECK_OK(buf_get_u32(&m, &window));
	CHECK_OK(buf_get_u32(&m, &maxpkt));
	confirm(&p, a, 7, 1000, 1000);
	/* Fill the window exactly, then one more byte. */
	uint8_t *chunk = calloc(1, maxpkt);
	uint32_t left = window;
	while (left > 0) {
		uint32_t k = left < maxpkt ? left : maxpkt;
		buf_reset(&f);
		CHECK_OK(buf_put_u32(&f, a));
		CHECK_OK(buf_put_string(&f, chunk, k));
		feed(&p, SSH_MSG_CHANNEL_DATA, &f);
		CHECK_OK(next_event(&p, &ev));
		CHECK(ev.type == SSH_EV_CHAN_DATA && ev.len == k);
		left -= k;
	}
	buf_reset(&f);
	CHECK_OK(buf_put_u32(&f, a));
	CHECK_OK(buf_put_string(&f, chunk, 1));
	feed(&p, SSH_MSG_CHANNEL_DATA, &f);
	CHECK_RC(next_event(&p, &ev), FERRY_EPROTO);
	free(chunk);
	buf_free(&f);
	peer_free(&p);
}

static void test_requests_answered(void)
{
	struct peer p;
	struct ssh_event ev;
	struct buf m, f;
	uint32_t a;
	peer_init(&p, false, true);
	buf_init(&f, 0);
	/* keepalive@openssh.com as a global request wants a reply: REQUEST_FAILURE. */
	CHECK_OK(buf_put_cstring(&f, "keepalive@openssh.com"));
	CHECK_OK(buf_put_bool(&f, true));
	feed(&p, SSH_MSG_GLOBAL_REQUEST, &f);
	CHECK_RC(next_event(&p, &ev), FERRY_EAGAIN);
	CHECK(next_sent(&p, &m) == SSH_MSG_REQUEST_FAILURE);
	/* The same on a channel: CHANNEL_FAILURE to the peer's id. */
	CHECK_OK(ssh_chan_open_session(p.c, &a));
	CHECK(next_sent(&p, &m) == SSH_MSG_CHANNEL_OPEN);
	confirm(&p, a, 9, 100, 100);
	buf_reset(&f);
	CHECK_OK(buf_put_u32(&f, a));
	CHECK_OK(buf_put_cstring(&f, "keepalive@openssh.com"));
	CHECK_OK(buf_put_bool(&f, true));
	feed(&p, SSH_MSG_CHANNEL_REQUEST, &f);
	CHECK_RC(next_event(&p, &ev), FERRY_EAGAIN);
	uint32_t rid;
	CHECK(next_sent(&p, &m) == SSH_MSG_CHANNEL_FAILURE);
	CHECK_OK(buf_get_u32(&m, &rid));
	CHECK(rid == 9);
	/* A server-opened channel is refused. */
	buf_reset(&f);
	CHECK_OK(buf_put_cstring(&f, "x11"));
	CHECK_OK(buf_put_u32(&f, 77));
	CHECK_OK(buf_put_u32(&f, 1000));
	CHECK_OK(buf_put_u32(&f, 1000));
	feed(&p, SSH_MSG_CHANNEL_OPEN, &f);
	CHECK_RC(next_event(&p, &ev), FERRY_EAGAIN);
	CHECK(next_sent(&p, &m) == SSH_MSG_CHANNEL_OPEN_FAILURE);
	/* A reply to a request we never made is a protocol error. */
	buf_reset(&f);
	CHECK_OK(buf_put_u32(&f, a));
	feed(&p, SSH_MSG_CHANNEL_SUCCESS, &f);
	CHECK_RC(next_event(&p, &ev), FERRY_EPROTO);
	buf_free(&f);
	peer_free(&p);
}

static void test_window_adjust_overflow_refused(void)
{
	struct peer p;
	struct ssh_event ev;
	struct buf m, f;
	uint32_t a;
	peer_init(&p, false, true);
	buf_init(&f, 0);
	CHECK_OK(ssh_chan_open_session(p.c, &a));
	CHECK(next_sent(&p, &m) == SSH_MSG_CHANNEL_OPEN);
	confirm(&p, a, 1, 0xfffffff0u, 100);
	CHECK_OK(buf_put_u32(&f, a));
	CHECK_OK(buf_put_u32(&f, 0x100));
	feed(&p, SSH_MSG_CHANNEL_WINDOW_ADJUST, &f);
	CHECK_RC(next_event(&p, &ev), FERRY_EPROTO);
	buf_free(&f);
	peer_free(&p);
}

static void test_keepalive_replies_and_unknown_messages(void)
{
	struct peer p;
	struct ssh_event ev;
	struct buf m;
	peer_init(&p, false, true);
	/* Our keepalive@openssh.com wants a reply; failure and success both count as alive. */
	CHECK_OK(ssh_client_global_request(p.c, "keepalive@openssh.com", true));
	CHECK_OK(ssh_client_global_request(p.c, "keepalive@openssh.com", true));
	CHECK(ssh_client_global_pending(p.c) == 2);
	CHECK(next_sent(&p, &m) == SSH_MSG_GLOBAL_REQUEST);
	feed(&p, SSH_MSG_REQUEST_FAILURE, NULL);
	feed(&p, SSH_MSG_REQUEST_SUCCESS, NULL);
	CHECK_RC(next_event(&p, &ev), FERRY_EAGAIN);
	CHECK(ssh_client_global_pending(p.c) == 0);
	/* A message type nobody knows gets UNIMPLEMENTED (RFC 4253 §11.4), naming its packet. */
	feed(&p, 150, NULL);
	CHECK_RC(next_event(&p, &ev), FERRY_EAGAIN);
	while (next_sent(&p, &m) == SSH_MSG_GLOBAL_REQUEST)
		;
	/* next_sent consumed the UNIMPLEMENTED above if the loop ended on it; check the type. */
	feed(&p, 151, NULL);
	CHECK_RC(next_event(&p, &ev), FERRY_EAGAIN);
	uint32_t seq;
	CHECK(next_sent(&p, &m) == SSH_MSG_UNIMPLEMENTED);
	CHECK_OK(buf_get_u32(&m, &seq));
	CHECK(seq == 3);   /* version line aside, the fourth packet fed: two replies, 150, 151 */
	/* A third reply with nothing outstanding is a protocol error. */
	feed(&p, SSH_MSG_REQUEST_FAILURE, NULL);
	CHECK_RC(next_event(&p, &ev), FERRY_EPROTO);
	peer_free(&p);
}

int main(void)
{
	CHECK_OK(key_generate(KEY_ED25519, 0, &user_key));
	RUN_TEST(test_publickey_auth_sequence);
	RUN_TEST(test_password_after_keys_fail);
	RUN_TEST(test_unsolicited_success_refused);
	RUN_TEST(test_channel_data_before_auth_refused);
	RUN_TEST(test_two_channels_windows_and_close);
	RUN_TEST(test_window_overrun_refused);
	RUN_TEST(test_requests_answered);
	RUN_TEST(test_window_adjust_overflow_refused);
	RUN_TEST(test_keepalive_replies_and_unknown_messages);
	key_free(user_key);
	return check_report();
}
