/* libFuzzer target: ferry's client connection protocol (RFC 4254: channel open, requests,
 * data and windows, EOF, close; global requests) with key exchange and authentication
 * skipped and one session channel opened first. The input is a list of (uint16 big-endian
 * length, message) pairs; each message is sent as one cleartext packet after the server's
 * version line. The harness answers events as an application would. */
#include "tests/fuzz/fuzz_common.h"
#include "proto/client.h"
#include "proto/testing.h"

/* Bounds the sessions one input may open, so that state stays small. */
#define MAX_OPENS 4

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_setup();
	return 0;
}

struct chan_run {
	struct ssh_client *c;
	unsigned opens;
};

static void open_session(struct chan_run *run)
{
	uint32_t id;
	if (run->opens < MAX_OPENS && ssh_chan_open_session(run->c, &id) == 0)
		run->opens++;
}

/* Reacts to one event; API refusals (a closed channel, a dead transport) are fine here. */
static void answer_event(struct chan_run *run, const struct ssh_event *ev)
{
	static const uint8_t some[] = "ping\n";
	struct ssh_client *c = run->c;
	size_t sent = 0;
	int r = 0;

	switch (ev->type) {
	case SSH_EV_CHAN_OPENED:
		r = ssh_chan_exec(c, ev->chan, "true");
		break;
	case SSH_EV_CHAN_DATA:
		r = ssh_chan_consumed(c, ev->chan, ev->len);
		break;
	case SSH_EV_CHAN_WINDOW:
		if (ssh_chan_open(c, ev->chan) && ssh_chan_send_room(c, ev->chan) > 0)
			r = ssh_chan_send(c, ev->chan, ev->chan & 1, some, sizeof(some) - 1, &sent);
		break;
	case SSH_EV_CHAN_REQUEST_OK:
		/* Our own rekey: what we send until it completes is held back (RFC 4253 §7.1). */
		r = ssh_transport_rekey(ssh_client_transport(c));
		break;
	case SSH_EV_CHAN_REQUEST_FAILED:
		r = ssh_chan_subsystem(c, ev->chan, "sftp");
		break;
	case SSH_EV_CHAN_EOF:
		r = ssh_chan_send_eof(c, ev->chan);
		break;
	case SSH_EV_CHAN_EXIT_STATUS:
	case SSH_EV_CHAN_EXIT_SIGNAL:
		r = ssh_chan_close(c, ev->chan);
		break;
	case SSH_EV_CHAN_CLOSED:
	case SSH_EV_CHAN_OPEN_FAILED:
		open_session(run);
		break;
	default:
		break;
	}
	(void)r;
	(void)sent;
}

static bool drain_client(void *arg)
{
	struct chan_run *run = arg;
	for (;;) {
		struct ssh_event ev;
		int r = ssh_client_next(run->c, &ev);
		if (r == FERRY_EAGAIN)
			return true;
		if (r != 0)
			return false;
		answer_event(run, &ev);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ssh_client_config cfg = { .user = "fuzz" };
	struct chan_run run = { 0 };
	struct buf stream;

	buf_init(&stream, 0);
	if (fuzz_build_stream(&stream, FUZZ_SERVER_VERSION, data, size) != 0 ||
	    ssh_client_new(&cfg, &run.c) != 0)
		goto out;
	ssh_client_testing_skip_auth(run.c);
	open_session(&run);
	fuzz_feed(ssh_client_transport(run.c), buf_rptr(&stream), buf_len(&stream), drain_client, &run);
out:
	ssh_client_free(run.c);
	buf_free(&stream);
	return 0;
}
