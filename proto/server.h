/* The SSH server above the transport (RFC 4252 userauth, RFC 4254 connection) as a sans-I/O
 * state machine: it authenticates users through callbacks and turns session channels into
 * events for the code that runs commands. */
#ifndef FERRY_PROTO_SERVER_H
#define FERRY_PROTO_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "proto/events.h"
#include "proto/transport.h"

struct ferry_key;
struct ssh_server;

/* Authentication decisions, made synchronously. Return 0 to accept, FERRY_EAUTH to refuse
 * (any other code fails the connection). check_pubkey is called with final == false for a
 * query (RFC 4252 §7: "would you take this key?") and with final == true only after the
 * signature over the session was verified. Unknown users must get the same answer as known
 * ones with a wrong key or password, so the callbacks decide without telling them apart. */
struct ssh_server_auth {
	int (*check_pubkey)(void *arg, const char *user, const struct ferry_key *key, bool final);
	int (*check_password)(void *arg, const char *user, const char *password);
	void *arg;
};

struct ssh_server_config {
	struct ssh_transport_config transport;  /* role is forced to SSH_ROLE_SERVER */
	struct ssh_server_auth auth;
	bool pubkey_auth;
	bool password_auth;
	const char *pubkey_algs;     /* signature algorithms taken for publickey; NULL = defaults */
	uint32_t max_auth_tries;     /* 0 = 6, as sshd */
	uint32_t max_sessions;       /* 0 = 10, as sshd */
	uint32_t channel_window;     /* our receive window per channel; 0 = default */
	uint32_t channel_max_packet; /* 0 = default */
};

/* Creates a server for one connection; the transport starts at once. *out set on success. */
int ssh_server_new(const struct ssh_server_config *cfg, struct ssh_server **out) FERRY_MUST_USE;
void ssh_server_free(struct ssh_server *s);
struct ssh_transport *ssh_server_transport(struct ssh_server *s);

/* Processes buffered input until one event (0), more input is needed (FERRY_EAGAIN), or the
 * connection fails (FERRY_E*; ssh_server_error says why, a DISCONNECT is queued). Events:
 * SSH_EV_AUTHENTICATED (str: user), SSH_EV_CHAN_OPENED (a session channel), SSH_EV_CHAN_EXEC,
 * _SHELL, _SUBSYSTEM, _ENV, _SIGNAL (requests: flag = the client wants a reply, which the
 * caller gives with ssh_server_chan_reply, in order), SSH_EV_CHAN_DATA, _EOF, _CLOSED, _WINDOW. */
int ssh_server_next(struct ssh_server *s, struct ssh_event *ev) FERRY_MUST_USE;
const char *ssh_server_error(const struct ssh_server *s);
/* The authenticated user, or NULL before. */
const char *ssh_server_user(const struct ssh_server *s);
/* Authentication attempts that failed so far. */
uint32_t ssh_server_auth_failures(const struct ssh_server *s);

int ssh_server_chan_reply(struct ssh_server *s, uint32_t id, bool ok) FERRY_MUST_USE;
int ssh_server_chan_send(struct ssh_server *s, uint32_t id, uint32_t ext, const uint8_t *p, size_t n,
			 size_t *sent) FERRY_MUST_USE;
size_t ssh_server_chan_send_room(const struct ssh_server *s, uint32_t id);
int ssh_server_chan_send_eof(struct ssh_server *s, uint32_t id) FERRY_MUST_USE;
int ssh_server_chan_close(struct ssh_server *s, uint32_t id) FERRY_MUST_USE;
int ssh_server_chan_consumed(struct ssh_server *s, uint32_t id, size_t n) FERRY_MUST_USE;
bool ssh_server_chan_open(const struct ssh_server *s, uint32_t id);
/* RFC 4254 §6.10: how the command ended. */
int ssh_server_chan_exit_status(struct ssh_server *s, uint32_t id, uint32_t status) FERRY_MUST_USE;
int ssh_server_chan_exit_signal(struct ssh_server *s, uint32_t id, const char *signame, bool core,
				const char *message) FERRY_MUST_USE;
/* A global request with no data (keepalive@openssh.com for ClientAliveInterval). */
int ssh_server_global_request(struct ssh_server *s, const char *name, bool want_reply) FERRY_MUST_USE;
uint32_t ssh_server_global_pending(const struct ssh_server *s);

#endif
