/* A client connection: drives proto/'s sans-I/O SSH client with io/'s loop over one socket. */
#include "transfer/conn.h"
#include "io/net.h"
#include "crypto/hash.h"
#include "common/log.h"
#include "common/text.h"
#include "proto/ssh-msg.h"
#include "proto/transport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_CHUNK (256 * 1024)
#define OUTPUT_HIGH (8u * 1024 * 1024)
#define OUTPUT_LOW (2u * 1024 * 1024)

struct ferry_conn {
	struct io_loop *loop;
	int fd;
	struct ssh_client *ssh;     /* exactly one of these two: the role */
	struct ssh_server *srv;
	struct ssh_transport *t;
	bool reading;
	bool writing;
	bool running;
	bool failed;
	bool authenticated;
	bool write_failed;
	int err;
	char errmsg[600];
	struct buf wbuf;            /* output being written (swapped out of the transport) */
	struct io_timer *tick;
	struct io_timer *handshake_timer;
	uint64_t last_input_ms;
	unsigned alive_missed;
	uint32_t alive_interval, alive_max;
	ferry_conn_event_fn on_event;
	ferry_conn_drain_fn on_drain;
	void *arg;
	ferry_conn_password_fn ask_password;
	void *ask_arg;
	void (*show_banner)(void *arg, const char *text);
	void *banner_arg;
	char *prompt;
};

static void conn_pump(struct ferry_conn *c);

struct io_loop *ferry_conn_loop(struct ferry_conn *c) { return c->loop; }
struct ssh_client *ferry_conn_ssh(struct ferry_conn *c) { return c->ssh; }
struct ssh_server *ferry_conn_server(struct ferry_conn *c) { return c->srv; }
bool ferry_conn_authenticated(const struct ferry_conn *c) { return c->authenticated; }

static int conn_next(struct ferry_conn *c, struct ssh_event *ev)
{
	return c->ssh ? ssh_client_next(c->ssh, ev) : ssh_server_next(c->srv, ev);
}

static const char *conn_machine_error(const struct ferry_conn *c)
{
	return c->ssh ? ssh_client_error(c->ssh) : ssh_server_error(c->srv);
}
const char *ferry_conn_error(const struct ferry_conn *c) { return c->errmsg; }
void ferry_conn_stop(struct ferry_conn *c) { c->running = false; io_loop_stop(c->loop); }

bool ferry_conn_congested(const struct ferry_conn *c)
{
	return ssh_transport_output_len(c->t) + buf_len(&c->wbuf) > OUTPUT_HIGH;
}

void ferry_conn_set_handler(struct ferry_conn *c, ferry_conn_event_fn fn, ferry_conn_drain_fn drain,
			    void *arg)
{
	c->on_event = fn;
	c->on_drain = drain;
	c->arg = arg;
}

static void conn_fail(struct ferry_conn *c, int err, const char *msg)
{
	if (c->failed)
		return;
	c->failed = true;
	c->err = err;
	snprintf(c->errmsg, sizeof(c->errmsg), "%s", msg && *msg ? msg : ferry_strerror(err));
	io_loop_stop(c->loop);
}

static void on_write_done(void *arg, ssize_t res, int sys_errno)
{
	struct ferry_conn *c = arg;
	c->writing = false;
	if (res < 0) {
		c->write_failed = true;
		char msg[256];
		snprintf(msg, sizeof(msg), "write to the connection failed: %s", strerror(sys_errno));
		conn_fail(c, (int)res, msg);
		return;
	}
	buf_reset(&c->wbuf);
	ferry_conn_flush(c);
	/* What is now being written plus what waits behind it is below the low-water mark. */
	if (!c->failed && c->on_drain && buf_len(&c->wbuf) + ssh_transport_output_len(c->t) < OUTPUT_LOW)
		c->on_drain(c->arg, c);
}

void ferry_conn_flush(struct ferry_conn *c)
{
	if (c->writing || c->fd < 0 || ssh_transport_output_len(c->t) == 0)
		return;
	ssh_transport_output_swap(c->t, &c->wbuf);
	int r = io_write(c->loop, c->fd, buf_rptr(&c->wbuf), buf_len(&c->wbuf), on_write_done, c);
	if (r) {
		conn_fail(c, r, "could not write to the connection");
		return;
	}
	c->writing = true;
}

static void start_read(struct ferry_conn *c);

static void on_read_done(void *arg, ssize_t res, int sys_errno)
{
	struct ferry_conn *c = arg;
	c->reading = false;
	if (res < 0) {
		if (res == FERRY_ECANCELED)
			return;
		char msg[256];
		snprintf(msg, sizeof(msg), "read from the connection failed: %s", strerror(sys_errno));
		/* Let what was already received be processed first; then fail. */
		ssh_transport_input_eof(c->t);
		conn_pump(c);
		conn_fail(c, (int)res, msg);
		return;
	}
	if (res == 0)
		ssh_transport_input_eof(c->t);
	else
		ssh_transport_input_commit(c->t, (size_t)res);
	c->last_input_ms = io_now_ms();
	c->alive_missed = 0;
	conn_pump(c);
	if (res > 0)
		start_read(c);
}

static void start_read(struct ferry_conn *c)
{
	uint8_t *p;
	size_t n;
	if (c->reading || c->failed || c->fd < 0)
		return;
	int r = ssh_transport_input_space(c->t, 16 * 1024, &p, &n);
	if (r) {
		conn_fail(c, r, "input buffer full");
		return;
	}
	if (n > READ_CHUNK)
		n = READ_CHUNK;
	r = io_read(c->loop, c->fd, p, n, on_read_done, c);
	if (r) {
		conn_fail(c, r, "could not read from the connection");
		return;
	}
	c->reading = true;
}

/* Gets everything the buffered input yields out of the client, handing events on. */
static void conn_pump(struct ferry_conn *c)
{
	struct ssh_event ev;
	while (!c->failed) {
		int r = conn_next(c, &ev);
		if (r == FERRY_EAGAIN)
			break;
		if (r) {
			ferry_conn_flush(c);
			conn_fail(c, r, conn_machine_error(c));
			break;
		}
		switch (ev.type) {
		case SSH_EV_BANNER:
			if (c->show_banner)
				c->show_banner(c->banner_arg, ev.str);
			break;
		case SSH_EV_NEED_PASSWORD: {
			char *pw = c->ask_password ? c->ask_password(c->ask_arg, c->prompt) : NULL;
			r = pw ? ssh_client_password(c->ssh, pw) : ssh_client_password_cancel(c->ssh);
			if (pw) {
				crypto_wipe(pw, strlen(pw));
				free(pw);
			}
			if (r) {
				ferry_conn_flush(c);
				conn_fail(c, r, ssh_client_error(c->ssh));
			}
			break;
		}
		case SSH_EV_AUTHENTICATED:
			c->authenticated = true;
			if (c->handshake_timer) {
				io_timer_cancel(c->loop, c->handshake_timer);
				c->handshake_timer = NULL;
			}
			if (c->srv && c->on_event)
				c->on_event(c->arg, c, &ev);   /* the server acts on it (drops privileges) */
			else
				io_loop_stop(c->loop);
			break;
		default:
			if (c->on_event)
				c->on_event(c->arg, c, &ev);
			break;
		}
	}
	ferry_conn_flush(c);
}

static void on_tick(void *arg)
{
	struct ferry_conn *c = arg;
	uint64_t now = io_now_ms();
	c->tick = NULL;
	int r = ssh_transport_tick(c->t, now);
	if (r) {
		conn_fail(c, r, ssh_transport_error(c->t));
		return;
	}
	/* ServerAliveInterval: ask for an answer when the server has been quiet; give up after
	 * ServerAliveCountMax unanswered (0: never), as OpenSSH does. */
	if (c->alive_interval && c->authenticated && now - c->last_input_ms >= c->alive_interval * 1000ull) {
		if (c->alive_max && ++c->alive_missed > c->alive_max) {
			conn_fail(c, FERRY_ETIMEDOUT, "Timeout, server not responding.");
			return;
		}
		c->last_input_ms = now;
		r = c->ssh ? ssh_client_global_request(c->ssh, "keepalive@openssh.com", true)
			   : ssh_server_global_request(c->srv, "keepalive@openssh.com", true);
		if (r != 0) {
			conn_fail(c, r, "could not send keepalive");
			return;
		}
	}
	ferry_conn_flush(c);
	if ((r = io_timer_start(c->loop, 1000, on_tick, c, &c->tick)) != 0) {
		c->tick = NULL;
		conn_fail(c, r, "could not restart the connection timer");
	}
}

/* Client: ConnectTimeout also bounds the banner exchange and the first key exchange, as in
 * OpenSSH. Server: LoginGraceTime bounds everything up to authentication, as in sshd. */
static void on_handshake_timeout(void *arg)
{
	struct ferry_conn *c = arg;
	c->handshake_timer = NULL;
	if (c->srv) {
		if (c->authenticated)
			return;
		ssh_transport_disconnect(c->t, SSH_DISCONNECT_PROTOCOL_ERROR, "Timeout before authentication");
		ferry_conn_flush(c);
		conn_fail(c, FERRY_ETIMEDOUT, "Timeout before authentication");
		return;
	}
	if (ssh_transport_ready(c->t))
		return;
	conn_fail(c, FERRY_ETIMEDOUT, ssh_transport_peer_version(c->t)
		  ? "Connection timed out during key exchange"
		  : "Connection timed out during banner exchange");
}

/* Runs the loop until it is stopped or fails. */
static int conn_loop(struct ferry_conn *c)
{
	c->running = true;
	while (c->running && !c->failed) {
		int r = io_loop_run_once(c->loop, -1);
		if (r == FERRY_ENOENT)
			break;
		if (r) {
			conn_fail(c, r, "event loop failure");
			break;
		}
		if (c->authenticated && !c->on_event && c->running)
			break; /* ferry_conn_open: authentication is what we waited for */
	}
	return c->failed ? c->err : 0;
}

int ferry_conn_open(const struct ferry_conn_params *p, struct ferry_conn **out, char **errmsg)
{
	struct ferry_conn *c = calloc(1, sizeof(*c));
	char *msg = NULL;
	int r = FERRY_ENOMEM;
	if (c == NULL)
		return FERRY_ENOMEM;
	c->fd = -1;
	buf_init(&c->wbuf, 0);
	c->ask_password = p->ask_password;
	c->ask_arg = p->ask_arg;
	c->show_banner = p->show_banner;
	c->banner_arg = p->banner_arg;
	c->alive_interval = p->server_alive_interval;
	c->alive_max = p->server_alive_count_max;
	c->prompt = str_printf("%s@%s's password: ", p->client.user ? p->client.user : "", p->host);
	if (c->prompt == NULL)
		goto fail;
	if ((r = io_loop_new(IO_BACKEND_AUTO, &c->loop)) != 0) {
		msg = str_printf("cannot start the I/O loop: %s", ferry_strerror(r));
		goto fail;
	}
	log_debug1("I/O backend: %s", io_loop_backend_name(c->loop));
	log_debug1("Connecting to %s port %s.", p->host, p->port);
	if ((r = net_connect_tcp(p->host, p->port, p->family, p->connect_timeout_ms, &c->fd, &msg)) != 0)
		goto fail;
	log_debug1("Connection established.");
	if ((r = ssh_client_new(&p->client, &c->ssh)) != 0) {
		msg = str_printf("cannot start the SSH client: %s", ferry_strerror(r));
		goto fail;
	}
	c->t = ssh_client_transport(c->ssh);
	c->last_input_ms = io_now_ms();
	if ((r = ssh_transport_tick(c->t, c->last_input_ms)) != 0)
		goto fail;
	if ((r = io_timer_start(c->loop, 1000, on_tick, c, &c->tick)) != 0)
		goto fail;
	if (p->connect_timeout_ms > 0 &&
	    (r = io_timer_start(c->loop, (uint64_t)p->connect_timeout_ms, on_handshake_timeout, c,
				&c->handshake_timer)) != 0)
		goto fail;
	ferry_conn_flush(c);
	start_read(c);
	r = conn_loop(c);
	if (r == 0 && !c->authenticated)
		r = FERRY_ECLOSED;
	if (r) {
		msg = strdup(c->errmsg[0] ? c->errmsg : ferry_strerror(r));
		goto fail;
	}
	if (c->handshake_timer) {
		io_timer_cancel(c->loop, c->handshake_timer);
		c->handshake_timer = NULL;
	}
	log_debug1("Authenticated to %s.", p->host);
	*out = c;
	return 0;
fail:
	if (errmsg)
		*errmsg = msg ? msg : strdup(ferry_strerror(r));
	else
		free(msg);
	ferry_conn_free(c);
	return r;
}

int ferry_conn_accept(const struct ferry_accept_params *p, struct ferry_conn **out, char **errmsg)
{
	struct ferry_conn *c = calloc(1, sizeof(*c));
	int r = FERRY_ENOMEM;
	if (c == NULL) {
		close(p->fd);
		return FERRY_ENOMEM;
	}
	c->fd = p->fd;
	buf_init(&c->wbuf, 0);
	c->alive_interval = p->client_alive_interval;
	c->alive_max = p->client_alive_count_max;
	if ((r = io_loop_new(IO_BACKEND_AUTO, &c->loop)) != 0)
		goto fail;
	if ((r = ssh_server_new(&p->server, &c->srv)) != 0)
		goto fail;
	c->t = ssh_server_transport(c->srv);
	c->last_input_ms = io_now_ms();
	if ((r = ssh_transport_tick(c->t, c->last_input_ms)) != 0 ||
	    (r = io_timer_start(c->loop, 1000, on_tick, c, &c->tick)) != 0)
		goto fail;
	if (p->login_grace_ms > 0 &&
	    (r = io_timer_start(c->loop, p->login_grace_ms, on_handshake_timeout, c, &c->handshake_timer)) != 0)
		goto fail;
	*out = c;
	return 0;
fail:
	if (errmsg)
		*errmsg = str_printf("cannot serve the connection: %s", ferry_strerror(r));
	ferry_conn_free(c);
	return r;
}

int ferry_conn_run(struct ferry_conn *c)
{
	if (c->failed)
		return c->err;
	ferry_conn_flush(c);
	start_read(c);
	return conn_loop(c);
}

/* Lets the pending output (our last CLOSE, the DISCONNECT) reach the peer through the loop,
 * for at most ms milliseconds, so a peer that stopped reading cannot hold us up. */
static void conn_drain(struct ferry_conn *c, uint64_t ms)
{
	if (c->fd < 0 || c->t == NULL || c->write_failed)
		return;
	uint64_t deadline = io_now_ms() + ms;
	ferry_conn_flush(c);
	while (c->writing) {
		uint64_t now = io_now_ms();
		if (now >= deadline)
			break;
		int r = io_loop_run_once(c->loop, (int)(deadline - now));
		if (r != 0 && r != FERRY_ETIMEDOUT)
			break;
		if (!c->writing)
			ferry_conn_flush(c);
	}
}

void ferry_conn_free(struct ferry_conn *c)
{
	if (c == NULL)
		return;
	if (c->tick)
		io_timer_cancel(c->loop, c->tick);
	if (c->handshake_timer)
		io_timer_cancel(c->loop, c->handshake_timer);
	if (c->t && !ssh_transport_dead(c->t))
		ssh_transport_disconnect(c->t, SSH_DISCONNECT_BY_APPLICATION, "disconnected by user");
	if (c->loop) {
		conn_drain(c, 1000);
		if (c->fd >= 0)
			io_cancel_fd(c->loop, c->fd);
	}
	io_loop_free(c->loop);
	if (c->fd >= 0)
		close(c->fd);
	ssh_client_free(c->ssh);
	ssh_server_free(c->srv);
	buf_free(&c->wbuf);
	free(c->prompt);
	free(c);
}
