/* A connection: a TCP socket, the io/ loop and proto/'s SSH client or server wired together.
 * ferry's commands open one as a client, authenticate, then run channels on it; ferryd
 * accepts one per connection process and serves sessions on it. */
#ifndef FERRY_TRANSFER_CONN_H
#define FERRY_TRANSFER_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "io/loop.h"
#include "proto/client.h"
#include "proto/server.h"

struct ferry_conn;

/* Receives channel events once the connection is authenticated (the banner goes to
 * params.show_banner). The handler may call ssh_chan_* and start io/ operations; output is
 * flushed after it. */
typedef void (*ferry_conn_event_fn)(void *arg, struct ferry_conn *conn, const struct ssh_event *ev);
/* Asks the user for a password; returns a malloc'd string (the caller wipes and frees it) or
 * NULL to give up. */
typedef char *(*ferry_conn_password_fn)(void *arg, const char *prompt);
/* Called after a write to the peer completed when the output in flight plus the output
 * waiting behind it is below the low-water mark (2 MiB): feed more data then. */
typedef void (*ferry_conn_drain_fn)(void *arg, struct ferry_conn *conn);

struct ferry_conn_params {
	const char *host;
	const char *port;
	int family;                 /* AF_UNSPEC, AF_INET, AF_INET6 */
	int connect_timeout_ms;     /* <= 0: the system's */
	uint32_t server_alive_interval; /* seconds; 0 = off */
	uint32_t server_alive_count_max;
	struct ssh_client_config client;
	ferry_conn_password_fn ask_password;
	void *ask_arg;
	void (*show_banner)(void *arg, const char *text);
	void *banner_arg;
};

/* Connects, runs the key exchange and authenticates. *out is set only on success; on failure
 * *errmsg (caller frees) holds the sentence to show the user. */
int ferry_conn_open(const struct ferry_conn_params *params, struct ferry_conn **out, char **errmsg)
	FERRY_MUST_USE;
struct ferry_accept_params {
	int fd;                          /* the accepted socket; the connection owns it */
	struct ssh_server_config server;
	uint32_t login_grace_ms;         /* LoginGraceTime; 0 = none */
	uint32_t client_alive_interval;  /* ClientAliveInterval seconds; 0 = off */
	uint32_t client_alive_count_max; /* ClientAliveCountMax; 0 = never give up */
};

/* Server side: wraps an accepted socket. Nothing happens until ferry_conn_run; the handler gets
 * SSH_EV_AUTHENTICATED first (before it returns nothing runs for the user), then channel
 * events. LoginGraceTime ends a connection that has not authenticated in time. *out set only
 * on success; on failure the socket is closed. */
int ferry_conn_accept(const struct ferry_accept_params *params, struct ferry_conn **out, char **errmsg)
	FERRY_MUST_USE;
struct ssh_server *ferry_conn_server(struct ferry_conn *conn);
bool ferry_conn_authenticated(const struct ferry_conn *conn);

/* Sends DISCONNECT and lets pending output reach the peer (for at most a second), closes the
 * socket and frees. Accepts NULL. */
void ferry_conn_free(struct ferry_conn *conn);

struct io_loop *ferry_conn_loop(struct ferry_conn *conn);
struct ssh_client *ferry_conn_ssh(struct ferry_conn *conn);

void ferry_conn_set_handler(struct ferry_conn *conn, ferry_conn_event_fn fn, ferry_conn_drain_fn drain,
			    void *arg);
/* Starts writing whatever output is pending (call after ssh_chan_* outside a handler). */
void ferry_conn_flush(struct ferry_conn *conn);
/* True if the pending output is above the high-water mark: stop feeding data for now. */
bool ferry_conn_congested(const struct ferry_conn *conn);
/* Runs the loop until ferry_conn_stop, an error, or nothing left to do. Returns 0 or the
 * error, with ferry_conn_error saying why. */
int ferry_conn_run(struct ferry_conn *conn) FERRY_MUST_USE;
void ferry_conn_stop(struct ferry_conn *conn);
const char *ferry_conn_error(const struct ferry_conn *conn);

#endif
