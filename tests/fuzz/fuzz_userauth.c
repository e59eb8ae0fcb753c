/* libFuzzer target: ferry's client userauth state machine (RFC 4252; RFC 8308 §3.1 for the
 * key's signature algorithm) behind a transport whose key exchange is skipped. The input is a
 * list of (uint16 big-endian length, message) pairs; each message is sent as one cleartext
 * packet after the server's version line. The first password prompt is answered, a second
 * one cancelled. */
#include "tests/fuzz/fuzz_common.h"
#include "crypto/key.h"
#include "proto/client.h"
#include "proto/testing.h"

#include <stdio.h>

/* The client's key: the test key in tests/data, so that seeds can carry a USERAUTH_PK_OK for
 * it; a fresh one if that file cannot be read (only the PK_OK seeds then stop matching). Made
 * once and only read afterwards. */
static struct ferry_key *user_key;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_setup();
	if (key_load_private(FERRY_TEST_DATA "/keys/ed25519", &user_key) != 0 &&
	    key_generate(KEY_ED25519, 0, &user_key) != 0) {
		fprintf(stderr, "fuzz_userauth: cannot load or make a key\n");
		abort();
	}
	return 0;
}

struct auth_run {
	struct ssh_client *c;
	unsigned asked;
};

/* The first password prompt is answered with "x", a second one is cancelled. */
static bool drain_client(void *arg)
{
	struct auth_run *run = arg;
	for (;;) {
		struct ssh_event ev;
		int r = ssh_client_next(run->c, &ev);
		if (r == FERRY_EAGAIN)
			return true;
		if (r != 0)
			return false;
		if (ev.type != SSH_EV_NEED_PASSWORD)
			continue;
		r = run->asked++ == 0 ? ssh_client_password(run->c, "x")
				      : ssh_client_password_cancel(run->c);
		if (r != 0)
			return false;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const key_names[] = { "fuzz-key" };
	struct ssh_client_config cfg = {
		.user = "fuzz",
		.keys = &user_key,
		.key_names = key_names,
		.n_keys = 1,
		.pubkey_auth = true,
		.password_auth = true,
		.password_prompts = 2,
	};
	struct auth_run run = { 0 };
	struct buf stream;

	buf_init(&stream, 0);
	if (fuzz_build_stream(&stream, FUZZ_SERVER_VERSION, data, size) != 0 ||
	    ssh_client_new(&cfg, &run.c) != 0)
		goto out;
	ssh_transport_testing_skip_kex(ssh_client_transport(run.c));
	fuzz_feed(ssh_client_transport(run.c), buf_rptr(&stream), buf_len(&stream), drain_client, &run);
out:
	ssh_client_free(run.c);
	buf_free(&stream);
	return 0;
}
