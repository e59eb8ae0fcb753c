/* libFuzzer target: ferry's server userauth and connection state machine (RFC 4252, RFC 4254
 * §5-§6 session channels) behind a transport whose key exchange is skipped. The input is a
 * list of (uint16 big-endian length, message) pairs; each message is sent as one cleartext
 * packet after the client's version line. The server accepts one public key (the ed25519 test
 * key in tests/data, so seeds can carry a query and a signed request for it) and one
 * password, and answers session events as a small application would. */
#include "tests/fuzz/fuzz_common.h"
#include "crypto/key.h"
#include "proto/server.h"
#include "proto/testing.h"

#include <stdio.h>

#define FUZZ_USER "fuzz"
#define FUZZ_PASSWORD "fuzz-password"

/* Made once in LLVMFuzzerInitialize and only read afterwards. */
static struct ferry_key *host_key;
static struct ferry_key *user_key;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_setup();
	if (key_generate(KEY_ED25519, 0, &host_key) != 0) {
		fprintf(stderr, "fuzz_server_auth: cannot make a host key\n");
		abort();
	}
	/* The accepted key: the test key when it can be read, else a fresh one (the seeds for
	 * the key then stop matching, nothing else changes). */
	if (key_load_private(FERRY_TEST_DATA "/keys/ed25519", &user_key) != 0 &&
	    key_generate(KEY_ED25519, 0, &user_key) != 0) {
		fprintf(stderr, "fuzz_server_auth: cannot load or make the user key\n");
		abort();
	}
	return 0;
}

/* Accepts exactly user_key for FUZZ_USER; every other user or key is refused alike. */
static int check_pubkey(void *arg, const char *user, const struct ferry_key *key, bool final)
{
	return strcmp(user, FUZZ_USER) == 0 && key_equal_public(key, user_key) ? 0 : FERRY_EAUTH;
}

static int check_password(void *arg, const char *user, const char *password)
{
	return strcmp(user, FUZZ_USER) == 0 && strcmp(password, FUZZ_PASSWORD) == 0 ? 0 : FERRY_EAUTH;
}

/* Events as ferryd's session layer would take them: requests that want a reply get one
 * (exec, subsystem and env yes, shell no), data is consumed, a CLOSE is answered, and a
 * command's end is sent once EOF came. Returns false once the server failed. */
static bool drain_server(void *arg)
{
	struct ssh_server *s = arg;
	for (;;) {
		struct ssh_event ev;
		static const uint8_t out[] = "output\n";
		size_t sent;
		int r = ssh_server_next(s, &ev);
		if (r == FERRY_EAGAIN)
			return true;
		if (r != 0)
			return false;
		switch (ev.type) {
		case SSH_EV_CHAN_EXEC:
		case SSH_EV_CHAN_SUBSYSTEM:
		case SSH_EV_CHAN_ENV:
		case SSH_EV_CHAN_SHELL:
			if (ev.flag)
				r = ssh_server_chan_reply(s, ev.chan, ev.type != SSH_EV_CHAN_SHELL);
			if (r == 0 && ev.type == SSH_EV_CHAN_EXEC)
				r = ssh_server_chan_send(s, ev.chan, 0, out, sizeof(out) - 1, &sent);
			break;
		case SSH_EV_CHAN_DATA:
			r = ssh_server_chan_consumed(s, ev.chan, ev.len);
			break;
		case SSH_EV_CHAN_EOF:
			if ((r = ssh_server_chan_exit_status(s, ev.chan, 0)) == 0 &&
			    (r = ssh_server_chan_send_eof(s, ev.chan)) == 0)
				r = ssh_server_chan_close(s, ev.chan);
			break;
		case SSH_EV_CHAN_SIGNAL:
			r = ssh_server_chan_exit_signal(s, ev.chan, ev.str, false, "fuzz");
			break;
		default:
			break;
		}
		/* The channel API refusing a call the peer's input made impossible (a closed
		 * channel, no window) is not a failure of the connection. */
		if (r != 0 && r != FERRY_EINVAL && r != FERRY_ENOENT && r != FERRY_ECLOSED && r != FERRY_EAGAIN)
			return false;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ssh_server_config cfg = {
		.transport = {
			.host_keys = &host_key,
			.n_host_keys = 1,
		},
		.auth = {
			.check_pubkey = check_pubkey,
			.check_password = check_password,
		},
		.pubkey_auth = true,
		.password_auth = true,
		.max_auth_tries = 6,
		.max_sessions = 4,
	};
	struct ssh_server *s = NULL;
	struct buf stream;

	buf_init(&stream, 0);
	if (fuzz_build_stream(&stream, FUZZ_CLIENT_VERSION, data, size) != 0 ||
	    ssh_server_new(&cfg, &s) != 0)
		goto out;
	ssh_transport_testing_skip_kex(ssh_server_transport(s));
	fuzz_feed(ssh_server_transport(s), buf_rptr(&stream), buf_len(&stream), drain_server, s);
out:
	ssh_server_free(s);
	buf_free(&stream);
	return 0;
}
