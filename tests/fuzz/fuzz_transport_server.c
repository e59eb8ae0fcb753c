/* libFuzzer target: ferry's server transport (one ed25519 host key) fed bytes as if from a
 * client (RFC 4253 §4.2 version exchange, §6 packets, §7 KEXINIT and negotiation, §8 /
 * RFC 5656 §4 / RFC 4419 KEX requests), in pieces, until it wants more input or fails. */
#include "tests/fuzz/fuzz_common.h"
#include "crypto/key.h"

#include <stdio.h>

/* Made once and only read afterwards: signing does not change it. */
static struct ferry_key *host_key;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_setup();
	if (key_generate(KEY_ED25519, 0, &host_key) != 0) {
		fprintf(stderr, "fuzz_transport_server: cannot make a host key\n");
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ssh_transport_config cfg = {
		.role = SSH_ROLE_SERVER,
		.host_keys = &host_key,
		.n_host_keys = 1,
	};
	struct ssh_transport *t = NULL;
	if (ssh_transport_new(&cfg, &t) != 0)
		return 0;
	fuzz_feed(t, data, size, fuzz_drain_transport, t);
	ssh_transport_free(t);
	return 0;
}
