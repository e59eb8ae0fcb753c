/* libFuzzer target: the input is the body of one SSH_MSG_KEXINIT (RFC 4253 §7.1, after the type
 * byte), framed as a correct cleartext packet after a version line, so the time goes into the
 * KEXINIT parser and algorithm negotiation rather than framing. Each input is tried on a
 * client (as the server's KEXINIT) and on a server with an ed25519 host key (as the client's). */
#include "tests/fuzz/fuzz_common.h"
#include "crypto/key.h"
#include "proto/ssh-msg.h"

#include <stdio.h>

/* Made once and only read afterwards: signing does not change it. */
static struct ferry_key *host_key;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_setup();
	if (key_generate(KEY_ED25519, 0, &host_key) != 0) {
		fprintf(stderr, "fuzz_kexinit: cannot make a host key\n");
		abort();
	}
	return 0;
}

static void kexinit_run(enum ssh_role role, const uint8_t *data, size_t size)
{
	struct ssh_transport_config cfg = { .role = role };
	struct ssh_transport *t = NULL;
	struct buf in;
	const char *version = role == SSH_ROLE_CLIENT ? FUZZ_SERVER_VERSION : FUZZ_CLIENT_VERSION;

	buf_init(&in, 0);
	if (role == SSH_ROLE_SERVER) {
		cfg.host_keys = &host_key;
		cfg.n_host_keys = 1;
	}
	if (buf_put(&in, version, strlen(version)) != 0 ||
	    fuzz_put_packet(&in, SSH_MSG_KEXINIT, data, size) != 0 ||
	    ssh_transport_new(&cfg, &t) != 0)
		goto out;
	if (ssh_transport_input(t, buf_rptr(&in), buf_len(&in)) == 0)
		(void)fuzz_drain_transport(t);
out:
	ssh_transport_free(t);
	buf_free(&in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kexinit_run(SSH_ROLE_CLIENT, data, size);
	kexinit_run(SSH_ROLE_SERVER, data, size);
	return 0;
}
