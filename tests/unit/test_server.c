/* Unit tests for the server's userauth and connection layers (proto/server.c): ferry's own
 * client and server talk in memory through a full session; scripted clients break the rules. */
#include "proto/client.h"
#include "proto/server.h"
#include "proto/ssh-msg.h"
#include "crypto/key.h"
#include "check.h"

#include <stdlib.h>

static struct ferry_key *host_key, *good_key, *other_key;
static int pubkey_calls_final;

static int check_pubkey(void *arg, const char *user, const struct ferry_key *key, bool final)
{
	if (strcmp(user, "alice") != 0 || !key_equal_public(key, good_key))
		return FERRY_EAUTH;
	if (final)
		pubkey_calls_final++;
	return 0;
}

static int check_password(void *arg, const char *user, const char *pw)
{
	return strcmp(user, "alice") == 0 && strcmp(pw, "sesame") == 0 ? 0 : FERRY_EAUTH;
}

static int accept_any(void *arg, const struct ferry_key *key) { return 0; }

static void move_bytes(struct ssh_transport *from, struct ssh_transport *to)
{
	struct buf tmp;
	buf_init(&tmp, 0);
	ssh_transport_output_swap(from, &tmp);
	if (buf_len(&tmp))
		CHECK_OK(ssh_transport_input(to, buf_rptr(&tmp), buf_len(&tmp)));
	buf_free(&tmp);
}

static struct ssh_server *new_server(uint32_t max_tries)
{
	static struct ferry_key *keys[1];
	keys[0] = host_key;
	struct ssh_server_config sc = {
		.transport = { .host_keys = keys, .n_host_keys = 1 },
		.auth = { check_pubkey, check_password, NULL },
		.pubkey_auth = true, .password_auth = true, .max_auth_tries = max_tries, .max_sessions = 2,
	};
	struct ssh_server *s = NULL;
	CHECK_OK(ssh_server_new(&sc, &s));
	return s;
}

static struct ssh_client *new_client(struct ferry_key **keys, size_t n, bool password)
{
	struct ssh_client_config cc = { .user = "alice", .keys = keys, .n_keys = n,
					.pubkey_auth = true, .password_auth = password };
	cc.transport.verify_hostkey = accept_any;
	struct ssh_client *c = NULL;
	CHECK_OK(ssh_client_new(&cc, &c));
	return c;
}

/* Events seen by each side in one pump. */
struct seen {
	struct ssh_event ev[64];
	char str[64][64];           /* copies of ev[i].str: the original is only lent */
	char data[4096];
	size_t ndata;
	int n;
	int err;
};

static void collect(struct seen *sn, const struct ssh_event *ev)
{
	if (sn->n < 64) {
		snprintf(sn->str[sn->n], sizeof(sn->str[0]), "%s", ev->str ? ev->str : "");
		sn->ev[sn->n] = *ev;
		sn->ev[sn->n].str = sn->str[sn->n];
		sn->ev[sn->n].str2 = NULL;
		sn->ev[sn->n].data = NULL;
		sn->n++;
	}
	if (ev->type == SSH_EV_CHAN_DATA && sn->ndata + ev->len < sizeof(sn->data)) {
		memcpy(sn->data + sn->ndata, ev->data, ev->len);
		sn->ndata += ev->len;
	}
}

static bool saw(const struct seen *sn, enum ssh_ev_type t)
{
	for (int i = 0; i < sn->n; i++)
		if (sn->ev[i].type == t)
			return true;
	return false;
}

/* Pumps both ways until quiet; answers password prompts with pw. */
static void pump(struct ssh_client *c, struct ssh_server *s, struct seen *cs, struct seen *ss, const char *pw)
{
	for (int round = 0; round < 40; round++) {
		move_bytes(ssh_client_transport(c), ssh_server_transport(s));
		move_bytes(ssh_server_transport(s), ssh_client_transport(c));
		struct ssh_event ev;
		int r;
		while (cs->err == 0 && (r = ssh_client_next(c, &ev)) == 0) {
			collect(cs, &ev);
			if (ev.type == SSH_EV_NEED_PASSWORD)
				CHECK_OK(pw ? ssh_client_password(c, pw) : ssh_client_password_cancel(c));
		}
		if (cs->err == 0 && r != FERRY_EAGAIN)
			cs->err = r;
		while (ss->err == 0 && (r = ssh_server_next(s, &ev)) == 0)
			collect(ss, &ev);
		if (ss->err == 0 && r != FERRY_EAGAIN)
			ss->err = r;
		if (ssh_transport_output_len(ssh_client_transport(c)) == 0 &&
		    ssh_transport_output_len(ssh_server_transport(s)) == 0)
			return;
	}
}

static void test_publickey_session(void)
{
	struct ferry_key *keys[] = { other_key, good_key };
	struct ssh_client *c = new_client(keys, 2, false);
	struct ssh_server *s = new_server(6);
	struct seen cs = { 0 }, ss = { 0 };
	pubkey_calls_final = 0;
	pump(c, s, &cs, &ss, NULL);
	CHECK(cs.err == 0 && ss.err == 0);
	CHECK(saw(&cs, SSH_EV_AUTHENTICATED) && saw(&ss, SSH_EV_AUTHENTICATED));
	CHECK_STR(ssh_server_user(s), "alice");
	CHECK(pubkey_calls_final == 1);
	CHECK(ssh_server_auth_failures(s) == 1);   /* the other key's query */
	/* A session: env, exec, data both ways, exit status, EOF, close. */
	uint32_t cid;
	CHECK_OK(ssh_chan_open_session(c, &cid));
	memset(&cs, 0, sizeof(cs));
	memset(&ss, 0, sizeof(ss));
	pump(c, s, &cs, &ss, NULL);
	CHECK(saw(&cs, SSH_EV_CHAN_OPENED) && saw(&ss, SSH_EV_CHAN_OPENED));
	uint32_t sid = ss.ev[0].chan;
	CHECK_OK(ssh_chan_env(c, cid, "LANG", "C"));
	CHECK_OK(ssh_chan_exec(c, cid, "echo hi"));
	size_t sent;
	CHECK_OK(ssh_chan_send(c, cid, 0, (const uint8_t *)"input", 5, &sent));
	CHECK(sent == 5);
	memset(&ss, 0, sizeof(ss));
	pump(c, s, &cs, &ss, NULL);
	CHECK(ss.n >= 3);
	CHECK(ss.ev[0].type == SSH_EV_CHAN_ENV && strcmp(ss.ev[0].str, "LANG") == 0);
	CHECK(ss.ev[1].type == SSH_EV_CHAN_EXEC && ss.ev[1].flag);
	CHECK(ss.ndata == 5 && memcmp(ss.data, "input", 5) == 0);
	CHECK_OK(ssh_server_chan_reply(s, sid, true));
	CHECK_OK(ssh_server_chan_send(s, sid, 0, (const uint8_t *)"hi\n", 3, &sent));
	CHECK_OK(ssh_server_chan_send(s, sid, 1, (const uint8_t *)"err", 3, &sent));
	CHECK_OK(ssh_server_chan_exit_status(s, sid, 42));
	CHECK_OK(ssh_server_chan_send_eof(s, sid));
	CHECK_OK(ssh_server_chan_close(s, sid));
	memset(&cs, 0, sizeof(cs));
	memset(&ss, 0, sizeof(ss));
	pump(c, s, &cs, &ss, NULL);
	CHECK(saw(&cs, SSH_EV_CHAN_REQUEST_OK));
	CHECK(cs.ndata == 6);
	bool status = false;
	for (int i = 0; i < cs.n; i++)
		if (cs.ev[i].type == SSH_EV_CHAN_EXIT_STATUS && cs.ev[i].code == 42)
			status = true;
	CHECK(status);
	CHECK(saw(&cs, SSH_EV_CHAN_EOF) && saw(&cs, SSH_EV_CHAN_CLOSED) && saw(&ss, SSH_EV_CHAN_CLOSED));
	CHECK(!ssh_server_chan_open(s, sid));
	ssh_client_free(c);
	ssh_server_free(s);
}

static void test_password_session_and_wrong_password(void)
{
	struct ssh_client *c = new_client(NULL, 0, true);
	struct ssh_server *s = new_server(6);
	struct seen cs = { 0 }, ss = { 0 };
	pump(c, s, &cs, &ss, "sesame");
	CHECK(saw(&cs, SSH_EV_AUTHENTICATED) && saw(&ss, SSH_EV_AUTHENTICATED));
	ssh_client_free(c);
	ssh_server_free(s);
	c = new_client(NULL, 0, true);
	s = new_server(6);
	memset(&cs, 0, sizeof(cs));
	memset(&ss, 0, sizeof(ss));
	pump(c, s, &cs, &ss, "wrong");
	CHECK(cs.err == FERRY_EAUTH);
	CHECK(!saw(&ss, SSH_EV_AUTHENTICATED));
	CHECK(ssh_server_auth_failures(s) == 3);
	ssh_client_free(c);
	ssh_server_free(s);
}

static void test_max_auth_tries(void)
{
	struct ssh_client *c = new_client(NULL, 0, true);
	struct ssh_server *s = new_server(2);
	struct seen cs = { 0 }, ss = { 0 };
	pump(c, s, &cs, &ss, "wrong");
	CHECK(ss.err == FERRY_EAUTH);
	CHECK(strstr(ssh_server_error(s), "Too many authentication failures") != NULL);
	CHECK(cs.err == FERRY_EDISCONNECT);
	ssh_client_free(c);
	ssh_server_free(s);
}

/* A scripted client: a bare transport that completes the key exchange, then sends what the
 * test says. */
static struct ssh_transport *raw_client(struct ssh_server *s)
{
	struct ssh_transport_config cc = { .role = SSH_ROLE_CLIENT, .verify_hostkey = accept_any };
	struct ssh_transport *t = NULL;
	CHECK_OK(ssh_transport_new(&cc, &t));
	for (int i = 0; i < 10; i++) {
		move_bytes(t, ssh_server_transport(s));
		move_bytes(ssh_server_transport(s), t);
		uint8_t type;
		struct buf m;
		struct ssh_event ev;
		if (ssh_transport_recv(t, &type, &m) != FERRY_EAGAIN)
			continue;
		if (ssh_server_next(s, &ev) != FERRY_EAGAIN)
			continue;
	}
	CHECK(ssh_transport_ready(t));
	return t;
}

static int send_and_run(struct ssh_transport *t, struct ssh_server *s, const uint8_t *msg, size_t n)
{
	CHECK_OK(ssh_transport_send(t, msg, n));
	move_bytes(t, ssh_server_transport(s));
	struct ssh_event ev;
	int r;
	while ((r = ssh_server_next(s, &ev)) == 0)
		;
	return r;
}

static void test_channel_open_before_auth_refused(void)
{
	struct ssh_server *s = new_server(6);
	struct ssh_transport *t = raw_client(s);
	uint8_t svc[] = { SSH_MSG_SERVICE_REQUEST, 0, 0, 0, 12, 's', 's', 'h', '-', 'u', 's', 'e', 'r', 'a', 'u', 't', 'h' };
	CHECK_RC(send_and_run(t, s, svc, sizeof(svc)), FERRY_EAGAIN);
	/* The client claims success for itself, then opens a channel: neither may work. */
	uint8_t ok[] = { SSH_MSG_USERAUTH_SUCCESS };
	CHECK_RC(send_and_run(t, s, ok, sizeof(ok)), FERRY_EPROTO);
	CHECK(ssh_server_user(s) == NULL);
	ssh_transport_free(t);
	ssh_server_free(s);
	s = new_server(6);
	t = raw_client(s);
	uint8_t open[] = { SSH_MSG_CHANNEL_OPEN, 0, 0, 0, 7, 's', 'e', 's', 's', 'i', 'o', 'n',
			   0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 128, 0 };
	CHECK_RC(send_and_run(t, s, open, sizeof(open)), FERRY_EPROTO);
	CHECK(strstr(ssh_server_error(s), "before authentication") != NULL);
	ssh_transport_free(t);
	ssh_server_free(s);
}

static void test_max_sessions_and_requests(void)
{
	struct ferry_key *keys[] = { good_key };
	struct ssh_client *c = new_client(keys, 1, false);
	struct ssh_server *s = new_server(6);
	struct seen cs = { 0 }, ss = { 0 };
	pump(c, s, &cs, &ss, NULL);
	uint32_t ids[3];
	for (int i = 0; i < 3; i++)
		CHECK_OK(ssh_chan_open_session(c, &ids[i]));
	memset(&cs, 0, sizeof(cs));
	memset(&ss, 0, sizeof(ss));
	pump(c, s, &cs, &ss, NULL);
	int opened = 0, failed = 0;
	for (int i = 0; i < cs.n; i++) {
		opened += cs.ev[i].type == SSH_EV_CHAN_OPENED;
		failed += cs.ev[i].type == SSH_EV_CHAN_OPEN_FAILED;
	}
	CHECK(opened == 2 && failed == 1);   /* MaxSessions 2 */
	ssh_client_free(c);
	ssh_server_free(s);
}

int main(void)
{
	CHECK_OK(key_generate(KEY_ED25519, 0, &host_key));
	CHECK_OK(key_generate(KEY_ED25519, 0, &good_key));
	CHECK_OK(key_generate(KEY_ECDSA_P256, 0, &other_key));
	RUN_TEST(test_publickey_session);
	RUN_TEST(test_password_session_and_wrong_password);
	RUN_TEST(test_max_auth_tries);
	RUN_TEST(test_channel_open_before_auth_refused);
	RUN_TEST(test_max_sessions_and_requests);
	key_free(host_key);
	key_free(good_key);
	key_free(other_key);
	return check_report();
}
