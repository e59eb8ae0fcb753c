/* libFuzzer target: ferry's client transport fed bytes as if from a server (RFC 4253 §4.2
 * version exchange, §6 packets, §7 KEXINIT and negotiation, §8 / RFC 5656 §4 / RFC 4419 KEX
 * replies), in pieces, until it wants more input or fails. */
#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_setup();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ssh_transport_config cfg = { .role = SSH_ROLE_CLIENT };
	struct ssh_transport *t = NULL;
	if (ssh_transport_new(&cfg, &t) != 0)
		return 0;
	fuzz_feed(t, data, size, fuzz_drain_transport, t);
	ssh_transport_free(t);
	return 0;
}
