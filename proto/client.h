/* The SSH client above the transport (RFC 4252 userauth, RFC 4254 connection): authentication
 * and session channels as a sans-I/O state machine that turns peer messages into events. */
#ifndef FERRY_PROTO_CLIENT_H
#define FERRY_PROTO_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "proto/events.h"
#include "proto/transport.h"

struct ferry_key;
struct ssh_client;

struct ssh_client_config {
	struct ssh_transport_config transport;  /* role is forced to SSH_ROLE_CLIENT */
	const char *user;
	/* Private keys to offer, in order (borrowed; must outlive the client), and a name for
	 * each for log lines (may be NULL). */
	struct ferry_key *const *keys;
	const char *const *key_names;
	size_t n_keys;
	bool pubkey_auth;
	bool password_auth;
	unsigned password_prompts;   /* tries; 0 = 3, as OpenSSH's NumberOfPasswordPrompts */
	uint32_t channel_window;     /* our receive window per channel; 0 = default */
	uint32_t channel_max_packet; /* the largest data packet we accept; 0 = default */
};


/* Creates a client; the transport starts at once (its output holds our version and KEXINIT).
 * *out set only on success. */
int ssh_client_new(const struct ssh_client_config *cfg, struct ssh_client **out) FERRY_MUST_USE;
void ssh_client_free(struct ssh_client *c);
/* The transport, for feeding input and taking output. */
struct ssh_transport *ssh_client_transport(struct ssh_client *c);

/* Processes buffered input until it yields one event (0, *ev filled), needs more input
 * (FERRY_EAGAIN), or fails (a FERRY_E* code; ssh_client_error says why). */
int ssh_client_next(struct ssh_client *c, struct ssh_event *ev) FERRY_MUST_USE;
/* Why the client failed, as a sentence for the user. */
const char *ssh_client_error(const struct ssh_client *c);
bool ssh_client_authenticated(const struct ssh_client *c);

/* Sends a global request with no data (RFC 4254 §4), e.g. "keepalive@openssh.com" with
 * want_reply, whose answer (success or failure) only shows the server is alive. */
int ssh_client_global_request(struct ssh_client *c, const char *name, bool want_reply) FERRY_MUST_USE;
/* Global requests sent with want_reply and not answered yet. */
uint32_t ssh_client_global_pending(const struct ssh_client *c);

/* Answers SSH_EV_NEED_PASSWORD (the password is not kept). */
int ssh_client_password(struct ssh_client *c, const char *password) FERRY_MUST_USE;
/* Gives up on password authentication: the client fails with "Permission denied" (password
 * is the last method ferry tries). */
int ssh_client_password_cancel(struct ssh_client *c) FERRY_MUST_USE;

/* Opens a session channel (RFC 4254 §6.1); SSH_EV_CHAN_OPENED or _OPEN_FAILED follows. */
int ssh_chan_open_session(struct ssh_client *c, uint32_t *id) FERRY_MUST_USE;
/* Channel requests (RFC 4254 §6.5, §6.4). exec, subsystem and shell want a reply;
 * env does not (a refused env is silent, as in OpenSSH). */
int ssh_chan_exec(struct ssh_client *c, uint32_t id, const char *command) FERRY_MUST_USE;
int ssh_chan_subsystem(struct ssh_client *c, uint32_t id, const char *name) FERRY_MUST_USE;
int ssh_chan_shell(struct ssh_client *c, uint32_t id) FERRY_MUST_USE;
int ssh_chan_env(struct ssh_client *c, uint32_t id, const char *name, const char *value) FERRY_MUST_USE;
/* Sends up to n bytes as data (ext 0) or extended data (ext 1), as far as the peer's window and
 * packet size allow; *sent says how many went. */
int ssh_chan_send(struct ssh_client *c, uint32_t id, uint32_t ext, const uint8_t *p, size_t n,
		  size_t *sent) FERRY_MUST_USE;
/* Bytes the peer's window takes now. */
size_t ssh_chan_send_room(const struct ssh_client *c, uint32_t id);
int ssh_chan_send_eof(struct ssh_client *c, uint32_t id) FERRY_MUST_USE;
int ssh_chan_close(struct ssh_client *c, uint32_t id) FERRY_MUST_USE;
/* Says that n bytes of received data have been used up, so the window may reopen. */
int ssh_chan_consumed(struct ssh_client *c, uint32_t id, size_t n) FERRY_MUST_USE;
/* Whether the channel exists and has not been closed by us / the peer. */
bool ssh_chan_open(const struct ssh_client *c, uint32_t id);

#endif
